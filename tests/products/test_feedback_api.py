"""/api/v1/feedback/: the contract's fields and read-only `roadmap_items`, references of the same portfolio
(400 on the field), roles, 404 for another portfolio's, conditional writes, filters, search, ordering, CSV and
the cost of a list."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products.models import DomainEvent, Feedback, Role
from roadmap.services import roadmap_item_update
from tests.factories import (
    FeedbackFactory,
    IdeaFactory,
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    RoadmapItemFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/feedback/"
FIELDS = {
    "id",
    "product",
    "source",
    "customer",
    "segment",
    "text",
    "importance",
    "deal_value",
    "received_on",
    "ideas",
    "roadmap_items",
}


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def client_for(portfolio, role) -> tuple[APIClient, object]:
    user = member(portfolio, role)
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.fixture
def marketer(portfolio):
    return client_for(portfolio, Role.MARKETER)[0]


def _body(product, **extra):
    return {"product": product.id, "text": "Needs SSO", "received_on": "2026-03-02", **extra}


def test_feedback_is_created_with_the_contracts_fields(marketer, portfolio, product):
    segment, idea = SegmentFactory(portfolio=portfolio), IdeaFactory(product=product)
    response = marketer.post(
        URL,
        _body(
            product,
            source="sales",
            customer="Acme",
            segment=segment.id,
            importance=5,
            deal_value=1250.5,
            ideas=[idea.id],
        ),
    )
    assert response.status_code == 201, response.data
    body = response.json()
    assert set(body) >= FIELDS
    assert (body["source"], body["importance"], body["deal_value"], body["ideas"]) == ("sales", 5, 1250.5, [idea.id])
    assert body["roadmap_items"] == [] and DomainEvent.objects.filter(verb="feedback.created").count() == 1


def test_a_deal_value_is_rounded_to_cents_as_every_amount_of_the_api(marketer, product):
    response = marketer.post(URL, _body(product, deal_value=12.345))
    assert response.status_code == 201 and response.json()["deal_value"] == 12.34


def test_roadmap_items_shows_the_items_it_feeds_and_is_read_only(marketer, product):
    row = FeedbackFactory(product=product)
    item = RoadmapItemFactory(product=product)
    roadmap_item_update(item_id=item.id, feedback=[row])
    response = marketer.patch(f"{URL}{row.id}/", {"roadmap_items": []})
    assert response.status_code == 200 and response.json()["roadmap_items"] == [item.id]


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"importance": 0}, "importance"),
        ({"importance": 6}, "importance"),
        ({"deal_value": -1}, "deal_value"),
        ({"deal_value": 1e15}, "deal_value"),
        ({"deal_value": "NaN"}, "deal_value"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"received_on": "1899-12-31"}, "received_on"),
        ({"received_on": "2026-02-30"}, "received_on"),
        ({"text": ""}, "text"),
        ({"text": "a\u0000b"}, "text"),
        ({"text": "x" * 20_001}, "text"),
        ({"source": "phone"}, "source"),
        ({"customer": 12}, "customer"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_writes_nothing(marketer, product, extra, field):
    response = marketer.post(URL, _body(product, **extra))
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("field", ["segment", "ideas", "product"])
def test_a_reference_to_another_portfolio_of_mine_is_a_400_on_the_field(portfolio, product, field):
    client, user = client_for(portfolio, Role.MARKETER)
    other = PortfolioFactory()
    MembershipFactory(user=user, portfolio=other, role=Role.MARKETER)
    theirs = {
        "segment": SegmentFactory(portfolio=other).id,
        "ideas": [IdeaFactory(product=ProductFactory(portfolio=other)).id],
        "product": ProductFactory(portfolio=other).id,
    }
    row = FeedbackFactory(product=product)
    response = client.patch(f"{URL}{row.id}/", {field: theirs[field]})
    assert response.status_code == 400 and field in response.json()
    row.refresh_from_db()
    assert row.product == product and row.segment is None and not row.ideas.exists()


def test_a_reference_i_cannot_see_is_a_400_that_names_nothing(marketer, product):
    response = marketer.post(URL, _body(product, segment=SegmentFactory(name="Secret segment").id))
    assert response.status_code == 400 and "Secret" not in response.content.decode()


@pytest.mark.parametrize(
    "role, status",
    [(Role.ADMIN, 201), (Role.PRODUCT_MANAGER, 201), (Role.MARKETER, 201), (Role.VIEWER, 403)],
)
def test_writing_feedback_by_role(portfolio, product, role, status):
    client, _ = client_for(portfolio, role)
    assert client.post(URL, _body(product)).status_code == status


def test_another_portfolios_feedback_is_a_404_on_every_verb(marketer):
    row = FeedbackFactory()
    for method in ("get", "patch", "put", "delete"):
        assert getattr(marketer, method)(f"{URL}{row.id}/", {}).status_code == 404, method
    assert Feedback.objects.filter(pk=row.id).exists()


def test_a_stale_if_match_is_a_412_and_writes_nothing(marketer, product):
    row = FeedbackFactory(product=product, importance=2)
    etag = marketer.get(f"{URL}{row.id}/")["ETag"]
    assert marketer.patch(f"{URL}{row.id}/", {"importance": 3}, HTTP_IF_MATCH=etag).status_code == 200
    assert marketer.patch(f"{URL}{row.id}/", {"importance": 4}, HTTP_IF_MATCH=etag).status_code == 412
    row.refresh_from_db()
    assert row.importance == 3


def test_a_delete_records_an_event(marketer, product):
    row = FeedbackFactory(product=product)
    assert marketer.delete(f"{URL}{row.id}/").status_code == 204
    assert DomainEvent.objects.filter(verb="feedback.deleted", object_id=row.id).exists()


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_feedback_filters_by_every_reference_and_field(marketer, portfolio, product):
    segment, idea = SegmentFactory(portfolio=portfolio), IdeaFactory(product=product)
    item = RoadmapItemFactory(product=product)
    match = FeedbackFactory(product=product, source="sales", segment=segment, importance=5)
    match.ideas.add(idea)
    roadmap_item_update(item_id=item.id, feedback=[match])
    other = FeedbackFactory(product=ProductFactory(portfolio=portfolio), source="survey", importance=1)
    for query in (
        f"product={product.id}",
        "source=sales",
        f"segment={segment.id}",
        "importance=5",
        f"idea={idea.id}",
        f"roadmap_item={item.id}",
        f"portfolio={portfolio.id}&importance=5",
    ):
        assert _ids(marketer.get(f"{URL}?{query}")) == [match.id], query
    assert _ids(marketer.get(f"{URL}?source=survey")) == [other.id]


def test_feedback_filters_by_the_days_received(marketer, product):
    early = FeedbackFactory(product=product, received_on=datetime.date(2026, 1, 5))
    late = FeedbackFactory(product=product, received_on=datetime.date(2026, 3, 5))
    assert _ids(marketer.get(f"{URL}?from=2026-02-01")) == [late.id]
    assert _ids(marketer.get(f"{URL}?to=2026-02-01")) == [early.id]


@pytest.mark.parametrize("query", ["importance=6", "source=phone", "from=2026-13-01", "product=abc", "idea="])
def test_a_bad_filter_is_a_400(marketer, query):
    assert marketer.get(f"{URL}?{query}").status_code == 400


def test_search_finds_text_and_customer(marketer, product):
    by_text = FeedbackFactory(product=product, text="Wants Excel export")
    by_customer = FeedbackFactory(product=product, customer="Excelsior Ltd")
    FeedbackFactory(product=product, text="Other")
    assert sorted(_ids(marketer.get(f"{URL}?search=excel"))) == sorted([by_text.id, by_customer.id])


def test_the_newest_first_and_ordering_by_importance(marketer, product):
    old = FeedbackFactory(product=product, received_on=datetime.date(2026, 1, 1), importance=5)
    new = FeedbackFactory(product=product, received_on=datetime.date(2026, 3, 1), importance=1)
    assert _ids(marketer.get(URL)) == [new.id, old.id]
    assert _ids(marketer.get(f"{URL}?ordering=importance")) == [new.id, old.id]
    assert _ids(marketer.get(f"{URL}?ordering=-importance")) == [old.id, new.id]


def test_the_list_downloads_as_csv_with_the_import_columns_first(marketer, product):
    row = FeedbackFactory(product=product, customer="=HYPERLINK()", deal_value=36000, source="sales")
    row.ideas.add(IdeaFactory(product=product, title="SSO"))
    response = marketer.get(f"{URL}?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0] == "product,source,customer,segment,text,importance,deal_value,received_on,id,ideas,roadmap_items"
    assert lines[1].startswith("Nebula,sales,'=HYPERLINK(),,") and ",36000,2026-03-01," in lines[1]
    assert lines[1].endswith(",SSO,")


def test_csv_of_an_object_is_a_404(marketer, product):
    row = FeedbackFactory(product=product)
    assert marketer.get(f"{URL}{row.id}/?format=csv").status_code == 404


# --- the cost of a list -------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> None:
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        segment = SegmentFactory(portfolio=portfolio)
        item = RoadmapItemFactory(product=product)
        rows = [FeedbackFactory(product=product, segment=segment, deal_value=100) for _ in range(2)]
        for row in rows:
            row.ideas.add(IdeaFactory(product=product), IdeaFactory(product=product))
        item.feedback.add(*rows)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
@pytest.mark.parametrize("url", [URL, f"{URL}?search=Feedback&ordering=-importance", f"{URL}?format=csv"])
def test_list_queries_do_not_grow_with_the_data(url, role):
    counts = []
    for n in (2, 20):
        portfolio = PortfolioFactory()
        client, _ = client_for(portfolio, role)
        _fill(portfolio, n)
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts
