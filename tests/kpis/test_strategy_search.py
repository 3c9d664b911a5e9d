"""Search across a portfolio's strategy: the page, the API, highlighting and snippets, refused queries and
the cost of a search."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from kpis import strategy_search as search
from products.models import Role
from tests.factories import (
    CompetitorFactory,
    FeedbackFactory,
    IdeaFactory,
    MarketInsightFactory,
    PersonaFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


@pytest.fixture
def viewer(client, portfolio):
    user = member(portfolio, Role.VIEWER)
    client.force_login(user)
    return user


def url(portfolio, q=None) -> str:
    base = f"/portfolios/{portfolio.id}/strategy/search/"
    return base if q is None else f"{base}?q={q}"


def text(response) -> str:
    return response.content.decode()


def reversible(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- words, highlighting and snippets -------------------------------------------------------------


def test_words_are_split_on_spaces_and_repeated_words_count_once():
    assert search.terms_of("  Price  cut price ") == ["Price", "cut"]


def test_highlight_marks_every_word_in_any_case():
    assert search.highlight("Rival cut its PRICE", ["price", "cut"]) == "Rival <mark>cut</mark> its <mark>PRICE</mark>"


def test_highlight_escapes_the_text_and_the_words():
    marked = search.highlight("<b>Bold</b> claim", ["<b>"])
    assert marked == "<mark>&lt;b&gt;</mark>Bold&lt;/b&gt; claim"


def test_a_snippet_of_a_long_text_is_cut_around_the_first_word_found():
    long = "Filler words " * 40 + "the churn doubled in Q3 " + "more filler " * 40
    cut = search.snippet(long, ["churn"])
    assert "churn doubled" in cut
    assert cut.startswith("…") and cut.endswith("…")
    assert len(cut) <= search.SNIPPET_CHARS + 2


def test_a_short_text_is_its_own_snippet():
    assert search.snippet("Short\n text", ["x"]) == "Short text"


@pytest.mark.parametrize(
    "value, words",
    [("a\x00b", "NUL"), ("\ud800", "surrogate"), ("x" * 201, "at most 200")],
)
def test_a_query_that_is_no_text_or_too_long_is_refused_with_a_reason(value, words):
    assert words in search.query_problem(value)


def test_a_query_of_200_characters_is_fine():
    assert search.query_problem("x" * 200) is None


# --- the page -------------------------------------------------------------------------------------


def test_each_kind_is_found_by_its_fields(client, portfolio, product, viewer):
    MarketInsightFactory(portfolio=portfolio, title="Trend A", summary="Buyers want orbit dashboards")
    MarketInsightFactory(portfolio=portfolio, title="Trend B", source="Orbit report 2026")
    IdeaFactory(product=product, title="Idea C", description="An orbit view")
    FeedbackFactory(product=product, text="Nothing", customer="Orbit Ltd")
    FeedbackFactory(product=product, text="Please add orbit exports")
    CompetitorFactory(portfolio=portfolio, name="OrbitSoft")
    PersonaFactory(portfolio=portfolio, name="Olga", goals="Keep the orbit clean")
    PersonaFactory(portfolio=portfolio, name="Pete", pains="Orbit reports are late")
    found = search.strategy_search(portfolio, "orbit")
    assert {kind: result.total for kind, result in found.items()} == {
        "insights": 2,
        "ideas": 1,
        "feedback": 2,
        "competitors": 1,
        "personas": 2,
    }
    page = text(client.get(url(portfolio, "orbit")))
    assert "8 results for “orbit”" in page
    for title in ("Trend A", "Trend B", "Idea C", "Orbit</mark> Ltd", "Orbit</mark>Soft", "Olga", "Pete"):
        assert title in page


def test_every_word_must_appear_in_the_same_row(portfolio, product):
    MarketInsightFactory(portfolio=portfolio, title="Rival cut its prices")
    MarketInsightFactory(portfolio=portfolio, title="Prices rose")
    found = search.strategy_search(portfolio, "price cut")
    assert [hit.title for hit in found["insights"].hits] == ["Rival cut its prices"]


def test_rows_with_the_word_in_the_title_come_first(portfolio):
    MarketInsightFactory(portfolio=portfolio, title="Newest", summary="churn", observed_on=datetime.date(2026, 5, 1))
    MarketInsightFactory(portfolio=portfolio, title="Churn rises", observed_on=datetime.date(2026, 1, 1))
    found = search.strategy_search(portfolio, "churn")
    assert [hit.title for hit in found["insights"].hits] == ["Churn rises", "Newest"]


def test_another_portfolios_rows_are_never_found(client, portfolio, viewer):
    other = PortfolioFactory()
    MarketInsightFactory(portfolio=other, title="Secret orbit plan")
    IdeaFactory(product=ProductFactory(portfolio=other), title="Secret orbit idea")
    CompetitorFactory(portfolio=other, name="Secret Orbit")
    page = text(client.get(url(portfolio, "orbit")))
    assert "Secret" not in page
    assert "Nothing in the strategy of Acme matches “orbit”" in page


def test_results_are_grouped_by_kind_with_counts_and_links_to_their_pages(client, portfolio, product, viewer):
    insight = MarketInsightFactory(portfolio=portfolio, title="Orbit trend")
    idea = IdeaFactory(product=product, title="Orbit idea")
    page = text(client.get(url(portfolio, "orbit")))
    assert 'id="found-insights"' in page and 'id="found-ideas"' in page
    assert '<a href="#found-insights">Market insights <span class="count">1</span></a>' in page
    assert "No feedback, competitors or personas match “orbit”." in page
    assert 'id="found-competitors"' not in page
    for name, obj in (("insight-page", insight), ("idea-page", idea)):
        link = reversible(name, obj.id)
        if link:  # the page exists: the result links to it
            assert f'href="{link}"' in page


def test_at_most_20_per_kind_with_a_link_to_the_filtered_list(client, portfolio, viewer):
    for n in range(25):
        MarketInsightFactory(portfolio=portfolio, title=f"Orbit {n}")
    page = text(client.get(url(portfolio, "orbit")))
    assert page.count('class="hit"') == 20
    assert '<span class="count">25</span>' in page
    listing = reversible("insight-list", portfolio.id)
    if listing:
        assert f'href="{listing}?search=orbit"' in page
        assert "Show all 25 market insights matching “orbit”" in page
    else:
        assert "and 5 more" in page


def test_the_words_are_highlighted_and_stored_markup_is_escaped(client, portfolio, viewer):
    MarketInsightFactory(portfolio=portfolio, title="<script>alert(1)</script> Orbit", summary="<img src=x> orbit")
    page = text(client.get(url(portfolio, "%3Cscript%3E+orbit")))
    assert "<script>alert" not in page and "<img src=x>" not in page
    assert "<mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt; <mark>Orbit</mark>" in page
    assert 'value="&lt;script&gt; orbit"' in page


def test_an_empty_query_shows_what_can_be_searched(client, portfolio, viewer):
    response = client.get(url(portfolio, "+++"))
    assert response.status_code == 200
    assert "Type a word or two" in text(response)
    assert "results for" not in text(response)


def test_a_nul_character_is_refused_with_a_message(client, portfolio, viewer):
    response = client.get(url(portfolio, "orbit%00"))
    assert response.status_code == 400
    assert "NUL character" in text(response)


def test_a_query_over_200_characters_is_refused_and_kept_for_editing(client, portfolio, viewer):
    response = client.get(url(portfolio, "x" * 201))
    assert response.status_code == 400
    assert "at most 200 characters (this is 201)" in text(response)
    assert 'value="' + "x" * 201 + '"' in text(response)


def test_the_page_has_the_strategy_tabs_and_breadcrumbs(client, portfolio, viewer):
    page = text(client.get(url(portfolio)))
    assert 'aria-label="Strategy views"' in page
    assert '<span aria-current="page">Search</span>' in page


def fill(portfolio, n: int) -> None:
    product = ProductFactory(portfolio=portfolio)
    segment = SegmentFactory(portfolio=portfolio)
    for i in range(n):
        MarketInsightFactory(portfolio=portfolio, title=f"Orbit insight {i}", summary="orbit " * 50)
        IdeaFactory(product=product, title=f"Orbit idea {i}")
        FeedbackFactory(product=product, text=f"Orbit please {i}", customer=f"Customer {i}")
        CompetitorFactory(portfolio=portfolio, name=f"Orbit rival {i}")
        PersonaFactory(portfolio=portfolio, name=f"Orbit persona {i}", segment=segment)


def queries(client, address: str) -> int:
    client.get(address)  # the user's roles and session, read once
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def test_the_page_costs_the_same_queries_at_ten_times_the_data(client):
    counts = []
    for n in (2, 20):
        portfolio = PortfolioFactory()
        client.force_login(member(portfolio, Role.PRODUCT_MANAGER))
        fill(portfolio, n)
        counts.append(queries(client, url(portfolio, "orbit")))
    assert counts[0] == counts[1] <= 10, counts


# --- the API --------------------------------------------------------------------------------------


@pytest.fixture
def api(portfolio):
    client = APIClient()
    client.force_authenticate(member(portfolio, Role.VIEWER))
    return client


API = "/api/v1/strategy/search/"


def test_the_api_answers_each_kind_with_ids_titles_snippets_and_counts(api, portfolio, product):
    insight = MarketInsightFactory(portfolio=portfolio, title="Orbit trend", summary="Buyers want orbit views")
    idea = IdeaFactory(product=product, title="Orbit idea")
    feedback = FeedbackFactory(product=product, text="Orbit please", customer="Ann")
    response = api.get(API, {"portfolio": portfolio.id, "q": "orbit"})
    assert response.status_code == 200
    body = response.json()
    assert body["insights"] == [{"id": insight.id, "title": "Orbit trend", "snippet": "Buyers want orbit views"}]
    assert body["ideas"] == [{"id": idea.id, "title": "Orbit idea", "snippet": "", "product": product.id}]
    assert body["feedback"] == [{"id": feedback.id, "title": "Ann", "snippet": "Orbit please", "product": product.id}]
    assert body["competitors"] == [] and body["personas"] == []
    assert body["counts"] == {"insights": 1, "ideas": 1, "feedback": 1, "competitors": 0, "personas": 0}


def test_the_api_snippets_carry_no_markup(api, portfolio):
    MarketInsightFactory(portfolio=portfolio, title="<b>Orbit</b>", summary="orbit")
    hit = api.get(API, {"portfolio": portfolio.id, "q": "orbit"}).json()["insights"][0]
    assert hit == {"id": hit["id"], "title": "<b>Orbit</b>", "snippet": "orbit"}


def test_a_portfolio_you_are_not_a_member_of_finds_nothing(api):
    other = PortfolioFactory()
    MarketInsightFactory(portfolio=other, title="Orbit secret")
    body = api.get(API, {"portfolio": other.id, "q": "orbit"}).json()
    assert body["insights"] == [] and body["counts"]["insights"] == 0


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": "orbit"}, "portfolio"),
        ({"portfolio": "", "q": "orbit"}, "portfolio"),
        ({"portfolio": "x", "q": "orbit"}, "portfolio"),
        ({"portfolio": "{id}"}, "q"),
        ({"portfolio": "{id}", "q": "   "}, "q"),
        ({"portfolio": "{id}", "q": "x" * 201}, "q"),
        ({"portfolio": "{id}", "q": "orbit\x00"}, "q"),
    ],
)
def test_bad_parameters_are_a_400_on_the_field(api, portfolio, params, field):
    params = {name: str(portfolio.id) if value == "{id}" else value for name, value in params.items()}
    response = api.get(API, params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_api_costs_the_same_queries_at_ten_times_the_data():
    counts = []
    for n in (2, 20):
        portfolio = PortfolioFactory()
        client = APIClient()
        client.force_authenticate(member(portfolio, Role.VIEWER))
        fill(portfolio, n)
        client.get(API, {"portfolio": portfolio.id, "q": "orbit"})
        with CaptureQueriesContext(connection) as captured:
            assert client.get(API, {"portfolio": portfolio.id, "q": "orbit"}).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 6, counts
