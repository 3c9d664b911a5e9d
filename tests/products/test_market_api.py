"""The market API: insights, competitors and moves with the contract's fields, references of the same
portfolio (400 on the field), roles, filters (moves needing a response), CSV, conditional writes and the
cost of a list."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products.models import Competitor, CompetitorMove, DomainEvent, MarketInsight, Role
from tests.factories import (
    CompetitorFactory,
    CompetitorMoveFactory,
    IdeaFactory,
    MarketInsightFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db

INSIGHTS, COMPETITORS, MOVES = "/api/v1/market-insights/", "/api/v1/competitors/", "/api/v1/competitor-moves/"


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


@pytest.fixture
def manager(portfolio):
    return client_for(portfolio, Role.PRODUCT_MANAGER)[0]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- insights -----------------------------------------------------------------------------------------


def test_an_insight_is_created_with_the_contract_fields(marketer, portfolio, product):
    body = {
        "portfolio": portfolio.id,
        "products": [product.id],
        "kind": "regulation",
        "title": "EU Data Act applies",
        "summary": "Customers may take their data to a competitor.",
        "source": "https://eur-lex.europa.eu/eli/reg/2023/2854",
        "observed_on": "2026-03-02",
        "impact": "high",
    }
    response = marketer.post(INSIGHTS, body)
    assert response.status_code == 201, response.data
    created = response.json()
    assert {name: created[name] for name in body} == body
    assert created["ideas"] == [] and created["roadmap_items"] == []


def test_an_insight_lists_the_ideas_that_name_it(marketer, portfolio, product):
    insight = MarketInsightFactory(portfolio=portfolio)
    idea = IdeaFactory(product=product)
    idea.insights.add(insight)
    assert marketer.get(f"{INSIGHTS}{insight.id}/").json()["ideas"] == [idea.id]


def test_a_product_of_another_portfolio_of_mine_is_a_400_on_products(portfolio, product):
    other = PortfolioFactory()
    client, user = client_for(portfolio, Role.ADMIN)
    foreign = ProductFactory(portfolio=other)
    member_elsewhere = other.memberships.create(user=user, role=Role.ADMIN)
    assert member_elsewhere
    body = {"portfolio": portfolio.id, "kind": "trend", "title": "T", "observed_on": "2026-03-02"}
    response = client.post(INSIGHTS, {**body, "products": [foreign.id]})
    assert response.status_code == 400 and "products" in response.json()
    assert not MarketInsight.objects.exists()


def test_a_product_i_cannot_see_is_a_400_that_names_nothing(marketer, portfolio):
    secret = ProductFactory(name="Secret product")
    body = {"portfolio": portfolio.id, "kind": "trend", "title": "T", "observed_on": "2026-03-02"}
    response = marketer.post(INSIGHTS, {**body, "products": [secret.id]})
    assert response.status_code == 400 and "products" in response.json()
    assert "Secret product" not in response.content.decode()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": "a\x00b"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"observed_on": "2026-02-30"}, "observed_on"),
        ({"observed_on": "0001-01-01"}, "observed_on"),
        ({"kind": "rumour"}, "kind"),
        ({"impact": 3}, "impact"),
        ({"summary": "s" * 20_001}, "summary"),
        ({"products": {"1": 2}}, "products"),
    ],
)
def test_bad_insight_input_is_a_400_on_its_field(marketer, portfolio, change, field):
    body = {"portfolio": portfolio.id, "kind": "trend", "title": "T", "observed_on": "2026-03-02", **change}
    response = marketer.post(INSIGHTS, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not MarketInsight.objects.exists() and not DomainEvent.objects.exists()


def test_an_insight_cannot_move_to_another_portfolio(portfolio):
    client, user = client_for(portfolio, Role.ADMIN)
    other = PortfolioFactory()
    other.memberships.create(user=user, role=Role.ADMIN)
    insight = MarketInsightFactory(portfolio=portfolio)
    response = client.patch(f"{INSIGHTS}{insight.id}/", {"portfolio": other.id})
    assert response.status_code == 400 and "portfolio" in response.json()


@pytest.mark.parametrize("role, status", [("admin", 201), ("product_manager", 201), ("marketer", 201), ("viewer", 403)])
def test_writing_insights_by_role(portfolio, role, status):
    client, _ = client_for(portfolio, role)
    body = {"portfolio": portfolio.id, "kind": "trend", "title": "T", "observed_on": "2026-03-02"}
    assert client.post(INSIGHTS, body).status_code == status


def test_another_portfolios_insight_is_a_404_on_every_verb(portfolio):
    insight = MarketInsightFactory()
    client, _ = client_for(portfolio, Role.ADMIN)
    assert client.get(f"{INSIGHTS}{insight.id}/").status_code == 404
    assert client.patch(f"{INSIGHTS}{insight.id}/", {"title": "Mine"}).status_code == 404
    assert client.delete(f"{INSIGHTS}{insight.id}/").status_code == 404
    assert client.get(INSIGHTS).json()["count"] == 0


def test_insights_filter_by_product_kind_impact_and_dates(marketer, portfolio, product):
    wanted = MarketInsightFactory(portfolio=portfolio, kind="trend", impact="high", observed_on="2026-02-10")
    wanted.products.add(product)
    MarketInsightFactory(portfolio=portfolio, kind="trend", impact="high", observed_on="2026-02-10")
    MarketInsightFactory(portfolio=portfolio, kind="regulation", impact="high", observed_on="2026-02-10").products.add(
        product
    )
    MarketInsightFactory(portfolio=portfolio, kind="trend", impact="high", observed_on="2025-02-10").products.add(
        product
    )
    query = f"?product={product.id}&kind=trend&impact=high&from=2026-01-01&to=2026-12-31&portfolio={portfolio.id}"
    assert ids(marketer.get(INSIGHTS + query)) == [wanted.id]


def test_insights_filter_by_the_idea_that_names_them(marketer, portfolio, product):
    wanted, _ = MarketInsightFactory(portfolio=portfolio), MarketInsightFactory(portfolio=portfolio)
    idea = IdeaFactory(product=product)
    idea.insights.add(wanted)
    assert ids(marketer.get(f"{INSIGHTS}?idea={idea.id}")) == [wanted.id]


def test_insights_search_and_order(marketer, portfolio):
    MarketInsightFactory(portfolio=portfolio, title="Zeta copilots", observed_on="2026-01-01")
    MarketInsightFactory(portfolio=portfolio, title="Alpha copilots", observed_on="2026-02-01")
    MarketInsightFactory(portfolio=portfolio, title="Pricing pressure", source="Copilot report")
    MarketInsightFactory(portfolio=portfolio, title="Other")
    titles = [row["title"] for row in marketer.get(f"{INSIGHTS}?search=copilot&ordering=title").json()["results"]]
    assert titles == ["Alpha copilots", "Pricing pressure", "Zeta copilots"]


@pytest.mark.parametrize("query", ["kind=rumour", "impact=huge", "product=abc", "product=", "from=2026-13-01"])
def test_a_bad_insight_filter_is_a_400(marketer, query):
    assert marketer.get(f"{INSIGHTS}?{query}").status_code == 400


def test_the_insights_csv_holds_every_match(marketer, portfolio, product):
    for n in range(3):
        MarketInsightFactory(portfolio=portfolio, title=f"=cmd{n}").products.add(product)
    MarketInsightFactory()
    response = marketer.get(f"{INSIGHTS}?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["id", "observed_on", "kind", "impact", "title"]
    assert len(rows) == 4 and all(row[4].startswith("'=") for row in rows[1:])
    assert rows[1][7] == "Nebula"


def test_csv_on_one_insight_is_a_404(marketer, portfolio):
    insight = MarketInsightFactory(portfolio=portfolio)
    assert marketer.get(f"{INSIGHTS}{insight.id}/?format=csv").status_code == 404


def test_a_stale_if_match_is_a_412_and_writes_nothing(marketer, portfolio):
    insight = MarketInsightFactory(portfolio=portfolio, title="Before")
    etag = marketer.get(f"{INSIGHTS}{insight.id}/")["ETag"]
    assert marketer.patch(f"{INSIGHTS}{insight.id}/", {"title": "Now"}, HTTP_IF_MATCH=etag).status_code == 200
    events = DomainEvent.objects.count()
    assert marketer.patch(f"{INSIGHTS}{insight.id}/", {"title": "Late"}, HTTP_IF_MATCH=etag).status_code == 412
    insight.refresh_from_db()
    assert insight.title == "Now" and DomainEvent.objects.count() == events


# --- competitors --------------------------------------------------------------------------------------


def test_a_competitor_is_created_with_segments_and_counts(manager, portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    response = manager.post(
        COMPETITORS,
        {"portfolio": portfolio.id, "name": "Rival", "segments": [segment.id], "threat": "high", "pricing": "€20/seat"},
    )
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["segments"] == [segment.id] and body["threat"] == "high"
    assert (body["move_count"], body["open_move_count"], body["last_move_on"]) == (0, 0, None)


@pytest.mark.parametrize("role, status", [("admin", 201), ("product_manager", 201), ("marketer", 403), ("viewer", 403)])
def test_competitor_profiles_are_written_by_admins_and_product_managers(portfolio, role, status):
    client, _ = client_for(portfolio, role)
    assert client.post(COMPETITORS, {"portfolio": portfolio.id, "name": "Rival"}).status_code == status


def test_a_taken_name_is_a_400_on_name(manager, portfolio):
    CompetitorFactory(portfolio=portfolio, name="Rival")
    response = manager.post(COMPETITORS, {"portfolio": portfolio.id, "name": "Rival"})
    assert response.status_code == 400 and response.json()["name"] == ["This name is taken in the portfolio."]


def test_a_javascript_website_is_a_400(manager, portfolio):
    response = manager.post(COMPETITORS, {"portfolio": portfolio.id, "name": "R", "website": "javascript:alert(1)"})
    assert response.status_code == 400 and "website" in response.json()
    assert not Competitor.objects.exists()


def test_a_segment_i_cannot_see_is_a_400_on_segments(manager, portfolio):
    response = manager.post(COMPETITORS, {"portfolio": portfolio.id, "name": "R", "segments": [SegmentFactory().id]})
    assert response.status_code == 400 and "segments" in response.json()


def test_competitors_filter_by_threat_and_segment_and_order_by_open_moves(manager, portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    busy = CompetitorFactory(portfolio=portfolio, threat="high")
    busy.segments.add(segment)
    CompetitorMoveFactory.create_batch(2, competitor=busy)
    calm = CompetitorFactory(portfolio=portfolio, threat="high")
    calm.segments.add(segment)
    CompetitorFactory(portfolio=portfolio, threat="low").segments.add(segment)
    assert ids(manager.get(f"{COMPETITORS}?threat=high&segment={segment.id}&ordering=-open_move_count")) == [
        busy.id,
        calm.id,
    ]


# --- moves --------------------------------------------------------------------------------------------


def test_a_move_is_created_with_the_contract_fields(marketer, portfolio, product):
    competitor = CompetitorFactory(portfolio=portfolio, name="Rival")
    body = {
        "competitor": competitor.id,
        "kind": "partnership",
        "happened_on": "2026-02-11",
        "description": "Partnered with a big CRM vendor",
        "products": [product.id],
        "response": "Co-marketing with our CRM partner",
        "response_status": "planned",
    }
    response = marketer.post(MOVES, body)
    assert response.status_code == 201, response.data
    created = response.json()
    assert {name: created[name] for name in body} == body and created["competitor_name"] == "Rival"


def test_a_planned_response_without_text_is_a_400_on_response(marketer, portfolio):
    competitor = CompetitorFactory(portfolio=portfolio)
    body = {"competitor": competitor.id, "kind": "launch", "happened_on": "2026-02-11", "description": "X"}
    response = marketer.post(MOVES, {**body, "response_status": "planned"})
    assert response.status_code == 400 and "response" in response.json()
    assert not CompetitorMove.objects.exists()


def test_a_competitor_i_cannot_see_is_a_400_that_names_nothing(marketer):
    secret = CompetitorFactory(name="Secret rival")
    body = {"competitor": secret.id, "kind": "launch", "happened_on": "2026-02-11", "description": "X"}
    response = marketer.post(MOVES, body)
    assert response.status_code == 400 and "competitor" in response.json()
    assert "Secret rival" not in response.content.decode()


def test_a_reader_cannot_record_a_move(portfolio):
    client, _ = client_for(portfolio, Role.VIEWER)
    competitor = CompetitorFactory(portfolio=portfolio)
    body = {"competitor": competitor.id, "kind": "launch", "happened_on": "2026-02-11", "description": "X"}
    assert client.post(MOVES, body).status_code == 403


def test_moves_needing_a_response_are_listed_with_response_status_none(marketer, portfolio, product):
    competitor = CompetitorFactory(portfolio=portfolio)
    open_move = CompetitorMoveFactory(competitor=competitor)
    open_move.products.add(product)
    CompetitorMoveFactory(competitor=competitor, response="Done", response_status="done").products.add(product)
    CompetitorMoveFactory(competitor=CompetitorFactory(portfolio=portfolio)).products.add(product)
    query = f"?response_status=none&competitor={competitor.id}&product={product.id}&portfolio={portfolio.id}"
    assert ids(marketer.get(MOVES + query)) == [open_move.id]


def test_moves_filter_by_kind_and_dates_newest_first(marketer, portfolio):
    competitor = CompetitorFactory(portfolio=portfolio)
    older = CompetitorMoveFactory(competitor=competitor, kind="campaign", happened_on="2026-01-05")
    newer = CompetitorMoveFactory(competitor=competitor, kind="campaign", happened_on="2026-02-05")
    CompetitorMoveFactory(competitor=competitor, kind="launch", happened_on="2026-02-05")
    CompetitorMoveFactory(competitor=competitor, kind="campaign", happened_on="2025-02-05")
    assert ids(marketer.get(f"{MOVES}?kind=campaign&from=2026-01-01&to=2026-06-30")) == [newer.id, older.id]


def test_recording_the_response_of_a_move(marketer, portfolio):
    move = CompetitorMoveFactory(competitor=CompetitorFactory(portfolio=portfolio))
    response = marketer.patch(f"{MOVES}{move.id}/", {"response": "Battle card updated", "response_status": "done"})
    assert response.status_code == 200 and response.json()["response_status"] == "done"
    assert DomainEvent.objects.get(verb="competitor_move.updated").changes["response_status"] == ["none", "done"]


def test_the_moves_csv_names_the_competitor(marketer, portfolio):
    CompetitorMoveFactory(competitor=CompetitorFactory(portfolio=portfolio, name="Rival"), description="Cut prices")
    response = marketer.get(f"{MOVES}?format=csv&response_status=none")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "id",
        "happened_on",
        "competitor",
        "kind",
        "description",
        "products",
        "response_status",
        "response",
    ]
    assert rows[1][2:5] == ["Rival", "launch", "Cut prices"]


def test_a_stale_if_match_on_a_move_is_a_412(marketer, portfolio):
    move = CompetitorMoveFactory(competitor=CompetitorFactory(portfolio=portfolio))
    address = f"{MOVES}{move.id}/"
    etag = marketer.get(address)["ETag"]
    assert marketer.patch(address, {"description": "Changed"}, HTTP_IF_MATCH=etag).status_code == 200
    assert marketer.delete(address, HTTP_IF_MATCH=etag).status_code == 412
    assert CompetitorMove.objects.filter(pk=move.pk).exists()


# --- the cost of a list -------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> None:
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        segment = SegmentFactory(portfolio=portfolio)
        insight = MarketInsightFactory(portfolio=portfolio)
        insight.products.add(product, ProductFactory(portfolio=portfolio))
        IdeaFactory(product=product).insights.add(insight)
        competitor = CompetitorFactory(portfolio=portfolio)
        competitor.segments.add(segment)
        for status in ("none", "done"):
            move = CompetitorMoveFactory(competitor=competitor, response_status=status, response="R")
            move.products.add(product)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MARKETER, Role.VIEWER])
@pytest.mark.parametrize(
    "url",
    [
        INSIGHTS,
        f"{INSIGHTS}?format=csv",
        f"{INSIGHTS}?search=Insight&kind=trend",
        COMPETITORS,
        f"{COMPETITORS}?ordering=-open_move_count",
        MOVES,
        f"{MOVES}?response_status=none",
        f"{MOVES}?format=csv",
    ],
)
def test_list_queries_do_not_grow_with_the_data(url, role):
    counts = []
    for n in (2, 20):
        portfolio = PortfolioFactory()
        client, _ = client_for(portfolio, role)
        _fill(portfolio, n)
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts
