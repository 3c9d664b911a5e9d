"""The market pages: the insight list (filters, impact badges, CSV) and page (linked ideas and roadmap
items), competitor cards with the moves nobody answered called out, a competitor's timeline, the forms
(rules as field errors), buttons by role and the cost of each page."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import Competitor, CompetitorMove, DomainEvent, MarketInsight, Role
from tests.factories import (
    CompetitorFactory,
    CompetitorMoveFactory,
    IdeaFactory,
    MarketInsightFactory,
    PortfolioFactory,
    ProductFactory,
    RoadmapItemFactory,
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


def as_role(client, portfolio, role):
    user = member(portfolio, role)
    client.force_login(user)
    return user


@pytest.fixture
def marketer(client, portfolio):
    return as_role(client, portfolio, Role.MARKETER)


def text(response) -> str:
    assert response.status_code in (200, 400), response.status_code
    return response.content.decode()


INSIGHT_FORM = {
    "title": "Buyers expect SSO",
    "kind": "customer_expectation",
    "impact": "high",
    "observed_on": "2026-03-02",
}
MOVE_FORM = {
    "kind": "price_change",
    "happened_on": "2026-03-04",
    "description": "Cut Pro by 20 %",
    "response_status": "none",
}


# --- insights -----------------------------------------------------------------------------------------


def test_the_insight_list_shows_kind_impact_source_and_products(client, portfolio, product, marketer):
    insight = MarketInsightFactory(
        portfolio=portfolio, title="EU Data Act", kind="regulation", impact="high", source="EUR-Lex"
    )
    insight.products.add(product)
    page = text(client.get(f"/portfolios/{portfolio.id}/insights/"))
    assert "EU Data Act" in page and "Regulation" in page and 'class="impact impact-high"' in page
    assert "Source: EUR-Lex" in page and "<li>Nebula</li>" in page and f'href="/insights/{insight.id}/"' in page


def test_the_insight_list_filters_by_product_kind_impact_dates_and_search(client, portfolio, product, marketer):
    wanted = MarketInsightFactory(portfolio=portfolio, title="Wanted copilot", kind="trend", impact="high")
    wanted.products.add(product)
    MarketInsightFactory(portfolio=portfolio, title="Unlinked copilot", kind="trend", impact="high")
    MarketInsightFactory(portfolio=portfolio, title="Low copilot", kind="trend", impact="low").products.add(product)
    MarketInsightFactory(
        portfolio=portfolio, title="Old copilot", kind="trend", impact="high", observed_on=datetime.date(2020, 1, 1)
    ).products.add(product)
    query = f"?product={product.id}&kind=trend&impact=high&since=2025-01-01&until=2030-01-01&q=copilot"
    page = text(client.get(f"/portfolios/{portfolio.id}/insights/{query}"))
    assert "Wanted copilot" in page
    assert not any(title in page for title in ("Unlinked copilot", "Low copilot", "Old copilot"))


def test_a_bad_filter_value_is_ignored_not_a_500(client, portfolio, marketer):
    MarketInsightFactory(portfolio=portfolio, title="Still here")
    response = client.get(f"/portfolios/{portfolio.id}/insights/?product=²&kind=rumour&since=2026-02-31")
    assert response.status_code == 200 and "Still here" in text(response)


def test_the_insight_csv_holds_every_filtered_insight(client, portfolio, product, marketer):
    MarketInsightFactory(portfolio=portfolio, title="Trend one", kind="trend").products.add(product)
    MarketInsightFactory(portfolio=portfolio, title="A regulation", kind="regulation")
    response = client.get(f"/portfolios/{portfolio.id}/insights/?kind=trend&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["observed_on", "kind", "impact", "title"]
    assert [row[3] for row in rows[1:]] == ["Trend one"] and rows[1][6] == "Nebula"


def test_an_empty_insight_list_says_what_to_do(client, portfolio, marketer):
    page = text(client.get(f"/portfolios/{portfolio.id}/insights/"))
    assert "No market insight yet" in page and f"/insights/new/?portfolio={portfolio.id}" in page


def test_a_viewer_sees_no_insight_buttons(client, portfolio):
    insight = MarketInsightFactory(portfolio=portfolio)
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/insights/{insight.id}/"))
    assert f"/insights/{insight.id}/edit/" not in page and "Read only" in page
    assert "/insights/new/" not in text(client.get(f"/portfolios/{portfolio.id}/insights/"))


def test_the_insight_page_lists_the_ideas_and_roadmap_items_behind_it(client, portfolio, product, marketer):
    insight = MarketInsightFactory(portfolio=portfolio, source="https://example.com/report")
    IdeaFactory(product=product, title="Offline mode").insights.add(insight)
    item = RoadmapItemFactory(product=product, title="SSO for every plan")
    item.insights.add(insight)
    page = text(client.get(f"/insights/{insight.id}/"))
    assert "Offline mode" in page and "SSO for every plan" in page and f'href="/roadmap-items/{item.id}/"' in page
    assert 'href="https://example.com/report"' in page and 'rel="noopener noreferrer"' in page


def test_a_product_manager_starts_an_idea_from_an_insight(client, portfolio, product):
    insight = MarketInsightFactory(portfolio=portfolio)
    insight.products.add(product)
    as_role(client, portfolio, Role.PRODUCT_MANAGER)
    page = text(client.get(f"/insights/{insight.id}/"))
    assert f"/ideas/new/?portfolio={portfolio.id}&amp;product={product.id}&amp;insight={insight.id}" in page


def test_a_marketer_is_not_offered_to_start_an_idea(client, portfolio, marketer):
    insight = MarketInsightFactory(portfolio=portfolio)
    assert "New idea from this insight" not in text(client.get(f"/insights/{insight.id}/"))


def test_a_source_that_is_not_a_web_address_is_not_a_link(client, portfolio, marketer):
    insight = MarketInsightFactory(portfolio=portfolio, source="javascript:alert(1)")
    assert 'href="javascript:' not in text(client.get(f"/insights/{insight.id}/"))


def test_adding_an_insight_from_the_form(client, portfolio, product, marketer):
    response = client.post(f"/insights/new/?portfolio={portfolio.id}", {**INSIGHT_FORM, "products": [product.id]})
    insight = MarketInsight.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/insights/{insight.id}/"
    assert list(insight.products.all()) == [product]
    assert DomainEvent.objects.filter(verb="market_insight.created", actor=marketer).exists()


def test_the_new_insight_form_ticks_the_product_it_came_from(client, portfolio, product, marketer):
    page = text(client.get(f"/insights/new/?portfolio={portfolio.id}&product={product.id}"))
    assert f'value="{product.id}"' in page and "checked" in page


def test_a_new_insight_and_a_new_move_are_dated_today_in_the_portfolio(client, portfolio, marketer):
    today = datetime.datetime.now(portfolio.zone).date().isoformat()
    assert f'value="{today}"' in text(client.get(f"/insights/new/?portfolio={portfolio.id}"))
    competitor = CompetitorFactory(portfolio=portfolio)
    assert f'value="{today}"' in text(client.get(f"/competitors/{competitor.id}/moves/new/"))


def test_an_insight_without_a_day_is_a_form_error(client, portfolio, marketer):
    response = client.post(f"/insights/new/?portfolio={portfolio.id}", {**INSIGHT_FORM, "observed_on": ""})
    assert response.status_code == 400 and "This field is required." in text(response)
    assert not MarketInsight.objects.exists()


def test_a_product_of_another_portfolio_is_refused_by_the_form(client, portfolio, marketer):
    foreign = ProductFactory()
    response = client.post(f"/insights/new/?portfolio={portfolio.id}", {**INSIGHT_FORM, "products": [foreign.id]})
    assert response.status_code == 400 and not MarketInsight.objects.exists()


def test_editing_and_deleting_an_insight(client, portfolio, marketer):
    insight = MarketInsightFactory(portfolio=portfolio, title="Before")
    assert client.post(f"/insights/{insight.id}/edit/", {**INSIGHT_FORM, "title": "After"}).status_code == 302
    insight.refresh_from_db()
    assert insight.title == "After"
    assert "This cannot be undone." in text(client.get(f"/insights/{insight.id}/delete/"))
    response = client.post(f"/insights/{insight.id}/delete/")
    assert response.status_code == 302 and response["Location"] == f"/portfolios/{portfolio.id}/insights/"
    assert not MarketInsight.objects.exists()


def test_a_viewer_cannot_open_the_insight_form_or_post_it(client, portfolio):
    as_role(client, portfolio, Role.VIEWER)
    assert client.get(f"/insights/new/?portfolio={portfolio.id}").status_code == 403
    assert client.post(f"/insights/new/?portfolio={portfolio.id}", INSIGHT_FORM).status_code == 403
    assert not MarketInsight.objects.exists()


def test_another_portfolios_insight_is_a_404_on_its_pages(client, portfolio, marketer):
    insight = MarketInsightFactory()
    for url in (f"/insights/{insight.id}/", f"/insights/{insight.id}/edit/", f"/insights/{insight.id}/delete/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/insights/{insight.id}/delete/").status_code == 404
    assert MarketInsight.objects.filter(pk=insight.pk).exists()


# --- competitors --------------------------------------------------------------------------------------


def test_moves_without_a_response_are_called_out_at_the_top(client, portfolio, product, marketer):
    rival = CompetitorFactory(portfolio=portfolio, name="Rival", threat="high")
    open_move = CompetitorMoveFactory(competitor=rival, description="Free tier launched")
    CompetitorMoveFactory(competitor=rival, description="Old campaign", response="Ignored", response_status="done")
    page = text(client.get(f"/portfolios/{portfolio.id}/competitors/"))
    callout = page.split('class="card unanswered-moves"')[1].split("</section>")[0]
    assert "Free tier launched" in callout and "Old campaign" not in callout
    assert f"/competitor-moves/{open_move.id}/edit/?from=list" in callout
    assert "1 without a response" in page and "High threat" in page


def test_without_open_moves_the_list_says_every_move_is_answered(client, portfolio, marketer):
    CompetitorMoveFactory(competitor=CompetitorFactory(portfolio=portfolio), response="OK", response_status="done")
    page = text(client.get(f"/portfolios/{portfolio.id}/competitors/"))
    assert "unanswered-moves" not in page and "Every recorded move has a response" in page


def test_competitors_are_cards_highest_threat_first(client, portfolio, marketer):
    CompetitorFactory(portfolio=portfolio, name="Aardvark", threat="low")
    CompetitorFactory(portfolio=portfolio, name="Zebra", threat="high")
    page = text(client.get(f"/portfolios/{portfolio.id}/competitors/"))
    assert page.index("Zebra") < page.index("Aardvark")


def test_the_competitor_list_filters_by_threat_segment_and_product(client, portfolio, product, marketer):
    segment = SegmentFactory(portfolio=portfolio)
    wanted = CompetitorFactory(portfolio=portfolio, name="Wanted", threat="high")
    wanted.segments.add(segment)
    CompetitorMoveFactory(competitor=wanted).products.add(product)
    CompetitorFactory(portfolio=portfolio, name="No moves", threat="high").segments.add(segment)
    other = CompetitorFactory(portfolio=portfolio, name="Low one", threat="low")
    other.segments.add(segment)
    CompetitorMoveFactory(competitor=other).products.add(product)
    query = f"?threat=high&segment={segment.id}&product={product.id}"
    page = text(client.get(f"/portfolios/{portfolio.id}/competitors/{query}"))
    assert "Wanted" in page and "No moves" not in page and "Low one" not in page


def test_the_moves_csv_lists_the_moves_of_the_listed_competitors(client, portfolio, marketer):
    CompetitorMoveFactory(competitor=CompetitorFactory(portfolio=portfolio, name="Rival"), description="Launch")
    response = client.get(f"/portfolios/{portfolio.id}/competitors/?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["happened_on", "competitor", "kind"] and rows[1][1:4] == ["Rival", "Launch", "Launch"]


def test_an_empty_competitor_list_says_what_to_do(client, portfolio):
    as_role(client, portfolio, Role.PRODUCT_MANAGER)
    page = text(client.get(f"/portfolios/{portfolio.id}/competitors/"))
    assert "No competitor profiles yet" in page and f"/competitors/new/?portfolio={portfolio.id}" in page


def test_a_marketer_records_moves_but_does_not_edit_profiles(client, portfolio, marketer):
    competitor = CompetitorFactory(portfolio=portfolio)
    page = text(client.get(f"/competitors/{competitor.id}/"))
    assert f"/competitors/{competitor.id}/moves/new/" in page and f"/competitors/{competitor.id}/edit/" not in page
    assert "Read only" not in page
    assert client.get(f"/competitors/{competitor.id}/edit/").status_code == 403
    assert client.post(f"/competitors/new/?portfolio={portfolio.id}", {"name": "X", "threat": "low"}).status_code == 403


def test_the_timeline_marks_the_moves_without_a_response(client, portfolio, marketer):
    competitor = CompetitorFactory(portfolio=portfolio)
    open_move = CompetitorMoveFactory(competitor=competitor, happened_on=datetime.date(2026, 3, 1))
    done = CompetitorMoveFactory(
        competitor=competitor,
        response="Matched the price",
        response_status="done",
        happened_on=datetime.date(2026, 2, 1),
    )
    page = text(client.get(f"/competitors/{competitor.id}/"))
    assert f'id="move-{open_move.id}" class="unanswered"' in page and f'id="move-{done.id}">' in page
    assert "No response yet" in page and "Matched the price" in page and "Response done" in page
    assert page.index(f"move-{open_move.id}") < page.index(f"move-{done.id}")
    only_open = text(client.get(f"/competitors/{competitor.id}/?response_status=none"))
    assert f"move-{open_move.id}" in only_open and f"move-{done.id}" not in only_open


def test_adding_a_competitor_from_the_form(client, portfolio):
    as_role(client, portfolio, Role.PRODUCT_MANAGER)
    segment = SegmentFactory(portfolio=portfolio)
    body = {"name": "Rival", "threat": "high", "website": "https://rival.example.com", "segments": [segment.id]}
    response = client.post(f"/competitors/new/?portfolio={portfolio.id}", body)
    competitor = Competitor.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/competitors/{competitor.id}/"
    assert list(competitor.segments.all()) == [segment]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"name": "Rival", "website": "javascript:alert(1)"}, "A web address starting with http://"),
        ({"name": "Taken"}, "This name is taken in the portfolio."),
    ],
)
def test_competitor_form_errors_come_back_on_the_field(client, portfolio, body, message):
    as_role(client, portfolio, Role.ADMIN)
    CompetitorFactory(portfolio=portfolio, name="Taken")
    response = client.post(f"/competitors/new/?portfolio={portfolio.id}", {"threat": "low", **body})
    assert response.status_code == 400 and message in text(response)
    assert Competitor.objects.count() == 1


def test_deleting_a_competitor_says_its_moves_go_too(client, portfolio):
    as_role(client, portfolio, Role.ADMIN)
    competitor = CompetitorFactory(portfolio=portfolio)
    CompetitorMoveFactory.create_batch(2, competitor=competitor)
    assert "Its 2 recorded move(s)" in text(client.get(f"/competitors/{competitor.id}/delete/"))
    assert client.post(f"/competitors/{competitor.id}/delete/").status_code == 302
    assert not Competitor.objects.exists() and not CompetitorMove.objects.exists()


# --- moves --------------------------------------------------------------------------------------------


def test_recording_a_move_from_the_competitor_page(client, portfolio, product, marketer):
    competitor = CompetitorFactory(portfolio=portfolio)
    response = client.post(f"/competitors/{competitor.id}/moves/new/", {**MOVE_FORM, "products": [product.id]})
    move = CompetitorMove.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/competitors/{competitor.id}/#move-{move.id}"
    assert move.competitor == competitor and list(move.products.all()) == [product]


def test_the_move_form_of_an_unanswered_move_asks_for_the_response_first(client, portfolio, marketer):
    move = CompetitorMoveFactory(competitor=CompetitorFactory(portfolio=portfolio))
    page = text(client.get(f"/competitor-moves/{move.id}/edit/"))
    assert page.index("Our response") < page.index("What they did")


def test_recording_the_response_from_the_list_returns_to_the_list(client, portfolio, marketer):
    competitor = CompetitorFactory(portfolio=portfolio)
    move = CompetitorMoveFactory(competitor=competitor, kind="price_change", description="Cut")
    body = {
        **MOVE_FORM,
        "competitor": competitor.id,
        "description": "Cut",
        "happened_on": move.happened_on.isoformat(),
        "response_status": "planned",
        "response": "Match for deals over 50 seats",
    }
    response = client.post(f"/competitor-moves/{move.id}/edit/?from=list", body)
    assert response.status_code == 302 and response["Location"] == f"/portfolios/{portfolio.id}/competitors/"
    move.refresh_from_db()
    assert (move.response_status, move.response) == ("planned", "Match for deals over 50 seats")


def test_a_planned_response_without_text_is_a_form_error(client, portfolio, marketer):
    competitor = CompetitorFactory(portfolio=portfolio)
    response = client.post(f"/competitors/{competitor.id}/moves/new/", {**MOVE_FORM, "response_status": "planned"})
    assert response.status_code == 400 and "Say what the response is" in text(response)
    assert not CompetitorMove.objects.exists()


def test_deleting_a_move(client, portfolio, marketer):
    move = CompetitorMoveFactory(competitor=CompetitorFactory(portfolio=portfolio))
    assert client.post(f"/competitor-moves/{move.id}/delete/").status_code == 302
    assert not CompetitorMove.objects.exists()


def test_a_viewer_cannot_record_a_move(client, portfolio):
    competitor = CompetitorFactory(portfolio=portfolio)
    as_role(client, portfolio, Role.VIEWER)
    assert client.post(f"/competitors/{competitor.id}/moves/new/", MOVE_FORM).status_code == 403
    assert "moves/new/" not in text(client.get(f"/competitors/{competitor.id}/"))


def test_another_portfolios_move_is_a_404(client, portfolio, marketer):
    move = CompetitorMoveFactory()
    assert client.get(f"/competitor-moves/{move.id}/edit/").status_code == 404
    assert client.post(f"/competitor-moves/{move.id}/delete/").status_code == 404
    assert client.get(f"/competitors/{move.competitor_id}/").status_code == 404


# --- the cost of a page -------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> dict:
    competitor = insight = None
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        segment = SegmentFactory(portfolio=portfolio)
        insight = MarketInsightFactory(portfolio=portfolio)
        insight.products.add(product)
        IdeaFactory(product=product).insights.add(insight)
        RoadmapItemFactory(product=product).insights.add(insight)
        competitor = CompetitorFactory(portfolio=portfolio)
        competitor.segments.add(segment)
        for status in ("none", "planned"):
            CompetitorMoveFactory(competitor=competitor, response_status=status, response="R").products.add(product)
    # One insight and one competitor with n links and moves each: their pages cost the same at any n.
    first = MarketInsight.objects.filter(portfolio=portfolio).order_by("id").first()
    for item in MarketInsight.objects.filter(portfolio=portfolio).values_list("ideas", flat=True):
        if item:
            first.ideas.add(item)
    CompetitorMove.objects.filter(competitor__portfolio=portfolio).update(competitor=competitor)
    return {"insight": first.id, "competitor": competitor.id, "portfolio": portfolio.id}


def _queries(client, url) -> int:
    client.get(url)  # the first visit remembers the portfolio in the session: not the page's own cost
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MARKETER, Role.VIEWER])
@pytest.mark.parametrize(
    "url",
    [
        "/portfolios/{portfolio}/insights/",
        "/portfolios/{portfolio}/insights/?format=csv",
        "/portfolios/{portfolio}/insights/?kind=trend&impact=medium&q=Insight",
        "/insights/{insight}/",
        "/portfolios/{portfolio}/competitors/",
        "/portfolios/{portfolio}/competitors/?format=csv",
        "/competitors/{competitor}/",
    ],
)
def test_pages_cost_the_same_at_ten_times_the_data(client, role, url):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        as_role(client, portfolio, role)
        counts.append(_queries(client, url.format(**_fill(portfolio, n))))
    assert counts[0] == counts[1], counts
