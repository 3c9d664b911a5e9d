"""The customer feedback pages: the list (filters, newest first, importance and deal value, what each feeds,
CSV), one piece of feedback, its form (rules as field errors, 400), deletion, the import page (every row or
none, errors by line, the template), roles, another portfolio's 404, and the cost of a page."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import DomainEvent, Feedback, Role
from roadmap.services import roadmap_item_update
from tests.factories import (
    FeedbackFactory,
    IdeaFactory,
    PortfolioFactory,
    ProductFactory,
    RoadmapItemFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db

HEADER = "product,source,customer,segment,text,importance,deal_value,received_on\n"


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme", timezone="Europe/Berlin")


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
    return response.content.decode()


def _form(product, **extra):
    return {
        "product": product.id,
        "text": "Needs single sign-on",
        "source": "sales",
        "importance": "4",
        "received_on": "2026-03-02",
        **extra,
    }


# --- the list -----------------------------------------------------------------------------------------


def test_the_list_shows_importance_deal_value_and_what_each_feeds(client, marketer, portfolio, product):
    row = FeedbackFactory(product=product, text="Wants SSO", customer="Tailspin", importance=5, deal_value=36000)
    row.ideas.add(IdeaFactory(product=product, title="Single sign-on"))
    item = RoadmapItemFactory(product=product, title="SAML login")
    roadmap_item_update(item_id=item.id, feedback=[row])
    page = text(client.get(f"/portfolios/{portfolio.id}/feedback/"))
    for words in ("Wants SSO", "Tailspin", "36,000", "Single sign-on", "SAML login", f"/roadmap-items/{item.id}/"):
        assert words in page, words
    assert 'class="importance importance-5"' in page


def test_the_list_is_newest_first(client, marketer, product):
    FeedbackFactory(product=product, text="Older one", received_on=datetime.date(2026, 1, 1))
    FeedbackFactory(product=product, text="Newer one", received_on=datetime.date(2026, 3, 1))
    page = text(client.get(f"/portfolios/{product.portfolio_id}/feedback/"))
    assert page.index("Newer one") < page.index("Older one")


def test_the_list_filters_by_product_source_segment_importance_idea_item_days_and_search(
    client, marketer, portfolio, product
):
    segment, idea = SegmentFactory(portfolio=portfolio), IdeaFactory(product=product)
    item = RoadmapItemFactory(product=product)
    match = FeedbackFactory(product=product, text="Match me", source="beta", segment=segment, importance=2)
    match.ideas.add(idea)
    roadmap_item_update(item_id=item.id, feedback=[match])
    FeedbackFactory(product=ProductFactory(portfolio=portfolio), text="Not me", received_on=datetime.date(2025, 1, 1))
    base = f"/portfolios/{portfolio.id}/feedback/?"
    for query in (
        f"product={product.id}",
        "source=beta",
        f"segment={segment.id}",
        "importance=2",
        f"idea={idea.id}",
        f"roadmap_item={item.id}",
        "received_from=2026-01-01&received_to=2026-12-31",
        "search=match",
    ):
        page = text(client.get(base + query))
        assert "Match me" in page and "Not me" not in page, query


def test_a_bad_filter_value_is_ignored_not_a_500(client, marketer, portfolio, product):
    FeedbackFactory(product=product, text="Still here")
    response = client.get(f"/portfolios/{portfolio.id}/feedback/?importance=9&received_from=soon&product=x")
    assert response.status_code == 200 and "Still here" in text(response)


def test_the_list_downloads_as_csv(client, marketer, portfolio, product):
    FeedbackFactory(product=product, text="In the file", deal_value=Decimal("10.50"))
    response = client.get(f"/portfolios/{portfolio.id}/feedback/?format=csv&product={product.id}")
    assert response["Content-Type"].startswith("text/csv")
    body = text(response).lstrip("\ufeff")
    assert body.splitlines()[0].startswith("product,source,customer,segment,text,importance,deal_value")
    assert "In the file" in body and ",10.5," in body


def test_an_empty_list_says_what_to_do(client, marketer, portfolio):
    page = text(client.get(f"/portfolios/{portfolio.id}/feedback/"))
    assert "No customer feedback yet" in page and "import a spreadsheet" in page


def test_a_viewer_sees_no_write_buttons(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    FeedbackFactory(product=product)
    page = text(client.get(f"/portfolios/{portfolio.id}/feedback/"))
    assert "Add feedback" not in page and "Import CSV" not in page


# --- one piece of feedback, its form and deletion -----------------------------------------------------


def test_the_page_shows_the_feedback_its_links_and_history(client, marketer, product):
    row = FeedbackFactory(product=product, text="Wants SSO", customer="Tailspin", importance=5)
    row.ideas.add(IdeaFactory(product=product, title="Single sign-on"))
    page = text(client.get(f"/feedback/{row.id}/"))
    assert "Wants SSO" in page and "Single sign-on" in page and "5/5 · must have" in page
    assert "No roadmap item yet" in page


def test_feedback_is_recorded_from_the_form(client, marketer, portfolio, product):
    idea = IdeaFactory(product=product)
    response = client.post(
        f"/feedback/new/?portfolio={portfolio.id}", _form(product, deal_value="1,250.50", ideas=[idea.id])
    )
    row = Feedback.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/feedback/{row.id}/"
    assert (row.importance, row.deal_value, list(row.ideas.all())) == (4, Decimal("1250.50"), [idea])
    assert DomainEvent.objects.filter(verb="feedback.created").count() == 1


def test_the_form_preselects_the_product_given(client, marketer, portfolio, product):
    page = text(client.get(f"/feedback/new/?product={product.id}"))
    assert f'<option value="{product.id}" selected>' in page


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"deal_value": "12.345"}, "deal_value"),
        ({"deal_value": "-3"}, "deal_value"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"text": ""}, "text"),
        ({"importance": "7"}, "importance"),
    ],
)
def test_bad_input_comes_back_on_the_form_with_400(client, marketer, portfolio, product, extra, field):
    response = client.post(f"/feedback/new/?portfolio={portfolio.id}", _form(product, **extra))
    assert response.status_code == 400 and field in response.context["form"].errors
    assert not Feedback.objects.exists()


def test_a_viewer_is_refused_the_form_before_it_is_read(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    assert client.get(f"/feedback/new/?portfolio={portfolio.id}").status_code == 403
    assert client.post(f"/feedback/new/?portfolio={portfolio.id}", _form(product)).status_code == 403
    assert not Feedback.objects.exists()


def test_feedback_is_edited_and_deleted(client, marketer, product):
    row = FeedbackFactory(product=product, importance=2)
    response = client.post(f"/feedback/{row.id}/edit/", _form(product, importance="5", text="Edited"))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.importance, row.text) == (5, "Edited")
    assert "cannot be undone" in text(client.get(f"/feedback/{row.id}/delete/"))
    assert client.post(f"/feedback/{row.id}/delete/").status_code == 302
    assert not Feedback.objects.exists()


def test_another_portfolios_feedback_is_a_404_on_every_page(client, marketer):
    row = FeedbackFactory()
    for url in (f"/feedback/{row.id}/", f"/feedback/{row.id}/edit/", f"/feedback/{row.id}/delete/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/feedback/{row.id}/delete/").status_code == 404
    assert client.get(f"/portfolios/{row.product.portfolio_id}/feedback/").status_code == 404
    assert client.get(f"/feedback/new/?portfolio={row.product.portfolio_id}").status_code == 404
    assert Feedback.objects.filter(pk=row.id).exists()


# --- the import page ----------------------------------------------------------------------------------


def _file(content: str):
    return SimpleUploadedFile("feedback.csv", content.encode(), "text/csv")


def test_a_file_is_imported_from_the_page(client, marketer, portfolio, product):
    response = client.post(
        f"/portfolios/{portfolio.id}/feedback/import/", {"file": _file(HEADER + "Nebula,sales,A,,SSO,4,,2026-03-02\n")}
    )
    assert response.status_code == 302 and response["Location"] == f"/portfolios/{portfolio.id}/feedback/"
    assert Feedback.objects.count() == 1


def test_a_bad_row_on_line_3_is_shown_as_line_3_and_nothing_is_imported(client, marketer, portfolio, product):
    content = HEADER + "Nebula,sales,A,,SSO,4,,2026-03-02\nNebula,sales,A,,SSO,4,lots,2026-03-02\n"
    response = client.post(f"/portfolios/{portfolio.id}/feedback/import/", {"file": _file(content)})
    assert response.status_code == 400 and not Feedback.objects.exists()
    assert response.context["refusal"]["errors"][0]["line"] == 3
    assert "Nothing was imported" in text(response) and "<code>deal_value</code>" in text(response)


def test_the_template_downloads_with_a_product_of_the_portfolio(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    response = client.get(f"/portfolios/{portfolio.id}/feedback/import/?format=csv")
    lines = text(response).lstrip("\ufeff").splitlines()
    assert lines[0] == HEADER.strip() and lines[1].startswith("Nebula,sales,")


def test_a_viewer_cannot_import(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/portfolios/{portfolio.id}/feedback/import/"))
    assert "Upload and import" not in page
    response = client.post(
        f"/portfolios/{portfolio.id}/feedback/import/", {"file": _file(HEADER + "Nebula,sales,A,,SSO,4,,2026-03-02\n")}
    )
    assert response.status_code == 403 and not Feedback.objects.exists()


# --- the cost of a page -------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> None:
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        segment = SegmentFactory(portfolio=portfolio)
        item = RoadmapItemFactory(product=product)
        for _ in range(2):
            row = FeedbackFactory(product=product, segment=segment, deal_value=100)
            row.ideas.add(IdeaFactory(product=product))
            item.feedback.add(row)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/portfolios/{portfolio}/feedback/",
        "/portfolios/{portfolio}/feedback/?search=Feedback&importance=3",
        "/portfolios/{portfolio}/feedback/?format=csv",
        "/feedback/{feedback}/",
        "/feedback/{feedback}/edit/",
    ],
)
def test_page_queries_do_not_grow_with_the_data(client, url):
    counts = []
    for n in (2, 20):
        portfolio = PortfolioFactory()
        as_role(client, portfolio, Role.ADMIN)
        _fill(portfolio, n)
        row = Feedback.objects.filter(product__portfolio=portfolio).first()
        for _ in range(n):  # the feedback shown feeds more ideas and items at 10x
            row.ideas.add(IdeaFactory(product=row.product))
            RoadmapItemFactory(product=row.product).feedback.add(row)
        counts.append(_queries(client, url.format(portfolio=portfolio.id, feedback=row.id)))
    assert counts[0] == counts[1], counts
