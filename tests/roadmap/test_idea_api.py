"""The ideas API (API-CONTRACT.md, "Strategic"): contract fields and demand, links of the same portfolio,
evaluate / accept / reject with their 409 naming the idea's status, roles before the body, another
portfolio's ideas, conditional writes, filters, search, ordering by demand, the CSV, query counts that do
not grow with the list, and two acceptances at once (PostgreSQL)."""

import csv
import io
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products.models import DomainEvent, Idea, Role
from products.services import ideas as services
from roadmap.models import RoadmapItem
from roadmap.services.ideas import idea_accept
from tests.factories import (
    FeedbackFactory,
    IdeaFactory,
    MarketInsightFactory,
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    member,
)

pytestmark = pytest.mark.django_db

IDEAS = "/api/v1/ideas/"
CONTRACT = {
    "id", "product", "title", "description", "status", "insights", "feedback", "feedback_count", "decision_reason",
    "demand_count", "demand_weight", "demand_deal_value",
}  # fmt: skip


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def client_for(portfolio, role) -> APIClient:
    client = APIClient()
    client.force_authenticate(member(portfolio, role))
    return client


@pytest.fixture
def manager(portfolio):
    return client_for(portfolio, Role.PRODUCT_MANAGER)


def written():
    """What a refused request must leave as it was."""
    return (
        list(Idea.objects.order_by("id").values()),
        list(Idea.insights.through.objects.order_by("id").values()),
        list(Idea.feedback.through.objects.order_by("id").values()),
        RoadmapItem.objects.count(),
        DomainEvent.objects.count(),
    )


def test_an_idea_has_the_contract_fields_and_its_demand(manager, product):
    idea = IdeaFactory(product=product)
    FeedbackFactory(product=product, importance=5, deal_value=Decimal("1000.50")).ideas.add(idea)
    FeedbackFactory(product=product, importance=2).ideas.add(idea)
    body = manager.get(f"{IDEAS}{idea.id}/").json()
    assert set(body) >= CONTRACT
    assert (body["status"], body["feedback_count"], body["demand_count"]) == ("concept", 2, 2)
    assert (body["demand_weight"], body["demand_deal_value"]) == (7, 1000.5)
    assert body["roadmap_item"] is None and body["decided_by"] is None


def test_create_an_idea_with_its_insights_and_feedback(manager, product):
    insight = MarketInsightFactory(portfolio=product.portfolio)
    feedback = FeedbackFactory(product=product)
    response = manager.post(
        IDEAS,
        {"product": product.id, "title": "Offline", "insights": [insight.id], "feedback": [feedback.id]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["insights"], body["feedback"], body["feedback_count"]) == (
        "concept",
        [insight.id],
        [feedback.id],
        1,
    )
    assert DomainEvent.objects.filter(verb="idea.created").count() == 1


def test_status_and_decision_are_read_only(manager, product):
    idea = IdeaFactory(product=product)
    response = manager.patch(
        f"{IDEAS}{idea.id}/", {"status": "accepted", "decision_reason": "Me", "title": "New"}, format="json"
    )
    assert response.status_code == 200
    idea.refresh_from_db()
    assert (idea.status, idea.decision_reason, idea.title) == ("concept", "", "New")


@pytest.mark.parametrize("field", ["insights", "feedback"])
def test_a_reference_of_another_portfolio_is_a_400_on_its_field_and_writes_nothing(manager, product, field):
    foreign = MarketInsightFactory() if field == "insights" else FeedbackFactory()
    idea = IdeaFactory(product=product)
    before = written()
    response = manager.patch(f"{IDEAS}{idea.id}/", {field: [foreign.id]}, format="json")
    assert response.status_code == 400 and set(response.json()) == {field}
    assert written() == before


@pytest.mark.parametrize("field", ["insights", "feedback"])
def test_a_reference_of_another_of_my_portfolios_is_a_400_on_its_field(portfolio, product, field):
    user = member(portfolio, Role.PRODUCT_MANAGER)
    elsewhere = PortfolioFactory()
    member_of_both = APIClient()
    member_of_both.force_authenticate(user)
    MembershipFactory(user=user, portfolio=elsewhere, role=Role.ADMIN)
    other = (
        MarketInsightFactory(portfolio=elsewhere)
        if field == "insights"
        else FeedbackFactory(product=ProductFactory(portfolio=elsewhere))
    )
    response = member_of_both.post(IDEAS, {"product": product.id, "title": "Mix", field: [other.id]}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Idea.objects.exists()


def test_a_product_of_another_portfolio_is_a_400_on_product(manager):
    response = manager.post(IDEAS, {"product": ProductFactory().id, "title": "Leak"}, format="json")
    assert response.status_code == 400 and "product" in response.json()


def test_an_idea_cannot_move_to_another_product(manager, product):
    idea = IdeaFactory(product=product)
    other = ProductFactory(portfolio=product.portfolio)
    response = manager.patch(f"{IDEAS}{idea.id}/", {"product": other.id}, format="json")
    assert response.status_code == 400 and "product" in response.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": ""}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 12}, "title"),
        ({"title": "Ok", "description": "x" * 20_001}, "description"),
        ({"title": "Ok", "insights": {}}, "insights"),
        ({"title": "Ok", "feedback": [True]}, "feedback"),
        ({"title": "Ok", "feedback": [2**70]}, "feedback"),
    ],
)
def test_bad_input_is_a_400_on_the_field_and_writes_nothing(manager, product, body, field):
    before = written()
    response = manager.post(IDEAS, {"product": product.id, **body}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert written() == before


def test_a_lone_surrogate_is_a_400(manager, product):
    response = manager.generic(
        "POST", IDEAS, f'{{"product": {product.id}, "title": "a\\ud800"}}', content_type="application/json"
    )
    assert response.status_code == 400
    assert not Idea.objects.exists()


# --- the steps ----------------------------------------------------------------------------------------


def test_evaluate_answers_the_evaluated_idea(manager, product):
    idea = IdeaFactory(product=product)
    response = manager.post(f"{IDEAS}{idea.id}/evaluate/")
    assert response.status_code == 200 and response.json()["status"] == "evaluated"
    assert response["ETag"]


@pytest.mark.parametrize("status", ["evaluated", "accepted", "rejected"])
def test_evaluate_from_another_status_is_a_409_with_the_status(manager, product, status):
    idea = IdeaFactory(product=product, status=status)
    response = manager.post(f"{IDEAS}{idea.id}/evaluate/")
    assert response.status_code == 409
    assert response.json()["status"] == status and response.json()["code"] == "wrong_status"


@pytest.mark.parametrize("status", ["concept", "evaluated"])
def test_accept_is_a_201_naming_the_item_that_links_back(manager, product, status):
    idea = IdeaFactory(product=product, status=status, title="Offline")
    feedback = FeedbackFactory(product=product)
    feedback.ideas.add(idea)
    response = manager.post(f"{IDEAS}{idea.id}/accept/", {}, format="json")
    assert response.status_code == 201
    item = RoadmapItem.objects.get(pk=response.json()["roadmap_item"])
    assert (item.title, item.kind, item.horizon) == ("Offline", "feature", "later")
    assert list(item.ideas.all()) == [idea] and list(item.feedback.all()) == [feedback]
    body = manager.get(f"{IDEAS}{idea.id}/").json()
    assert (body["status"], body["roadmap_item"]) == ("accepted", item.id)
    assert body["decided_by"] and body["decided_at"]
    # the item's own API shows the links back
    item_body = manager.get(f"/api/v1/roadmap-items/{item.id}/").json()
    assert (item_body["ideas"], item_body["feedback"]) == ([idea.id], [feedback.id])


def test_accept_takes_kind_and_horizon(manager, product):
    idea = IdeaFactory(product=product)
    response = manager.post(f"{IDEAS}{idea.id}/accept/", {"kind": "initiative", "horizon": "now"}, format="json")
    item = RoadmapItem.objects.get(pk=response.json()["roadmap_item"])
    assert (item.kind, item.horizon) == ("initiative", "now")


@pytest.mark.parametrize(
    "body, field", [({"kind": "epic"}, "kind"), ({"horizon": 3}, "horizon"), ({"reason": "x" * 5001}, "reason")]
)
def test_accept_with_bad_input_is_a_400_and_writes_nothing(manager, product, body, field):
    idea = IdeaFactory(product=product)
    before = written()
    response = manager.post(f"{IDEAS}{idea.id}/accept/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert written() == before


@pytest.mark.parametrize("status", ["accepted", "rejected"])
def test_accept_of_a_decided_idea_is_a_409_with_the_status_and_makes_no_item(manager, product, status):
    idea = IdeaFactory(product=product, status=status)
    response = manager.post(f"{IDEAS}{idea.id}/accept/", {}, format="json")
    assert response.status_code == 409 and response.json()["status"] == status
    assert not RoadmapItem.objects.exists()


def test_accepting_twice_is_a_409_and_one_item(manager, product):
    idea = IdeaFactory(product=product)
    assert manager.post(f"{IDEAS}{idea.id}/accept/", {}, format="json").status_code == 201
    assert manager.post(f"{IDEAS}{idea.id}/accept/", {}, format="json").status_code == 409
    assert RoadmapItem.objects.count() == 1


def test_reject_keeps_the_reason(manager, product):
    idea = IdeaFactory(product=product, status="evaluated")
    response = manager.post(f"{IDEAS}{idea.id}/reject/", {"reason": "Too niche"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["decision_reason"]) == ("rejected", "Too niche")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}, {"reason": 5}])
def test_reject_without_a_reason_is_a_400_on_reason(manager, product, body):
    idea = IdeaFactory(product=product)
    before = written()
    response = manager.post(f"{IDEAS}{idea.id}/reject/", body, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert written() == before


@pytest.mark.parametrize("status", ["accepted", "rejected"])
def test_reject_of_a_decided_idea_is_a_409(manager, product, status):
    idea = IdeaFactory(product=product, status=status)
    response = manager.post(f"{IDEAS}{idea.id}/reject/", {"reason": "No"}, format="json")
    assert response.status_code == 409 and response.json()["status"] == status


@pytest.mark.parametrize("step", ["evaluate", "accept", "reject"])
@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_cannot_decide_and_are_refused_before_the_body(portfolio, product, role, step):
    idea = IdeaFactory(product=product)
    client = client_for(portfolio, role)
    response = client.post(f"{IDEAS}{idea.id}/{step}/", "[", content_type="application/json")  # bad JSON
    assert response.status_code == 403
    idea.refresh_from_db()
    assert idea.status == "concept" and not DomainEvent.objects.exists()


@pytest.mark.parametrize("role, status", [("admin", 201), ("product_manager", 201), ("marketer", 403), ("viewer", 403)])
def test_writing_ideas_by_role(portfolio, product, role, status):
    response = client_for(portfolio, role).post(IDEAS, {"product": product.id, "title": "Idea"}, format="json")
    assert response.status_code == status


def test_another_portfolios_idea_is_a_404_on_every_verb(product):
    idea = IdeaFactory(product=product)
    outsider = client_for(PortfolioFactory(), Role.ADMIN)
    assert outsider.get(f"{IDEAS}{idea.id}/").status_code == 404
    assert outsider.patch(f"{IDEAS}{idea.id}/", {"title": "Mine"}, format="json").status_code == 404
    assert outsider.delete(f"{IDEAS}{idea.id}/").status_code == 404
    for step in ("evaluate", "accept", "reject"):
        assert outsider.post(f"{IDEAS}{idea.id}/{step}/", {"reason": "x"}, format="json").status_code == 404
    assert outsider.get(IDEAS).json()["count"] == 0
    idea.refresh_from_db()
    assert idea.status == "concept"


def test_a_stale_if_match_is_a_412_and_writes_nothing(manager, product):
    idea = IdeaFactory(product=product, title="One")
    etag = manager.get(f"{IDEAS}{idea.id}/")["ETag"]
    assert manager.patch(f"{IDEAS}{idea.id}/", {"title": "Two"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    events = DomainEvent.objects.count()
    response = manager.patch(f"{IDEAS}{idea.id}/", {"title": "Three"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    idea.refresh_from_db()
    assert idea.title == "Two" and DomainEvent.objects.count() == events


def test_new_feedback_changes_the_etag(manager, product):
    idea = IdeaFactory(product=product)
    etag = manager.get(f"{IDEAS}{idea.id}/")["ETag"]
    FeedbackFactory(product=product).ideas.add(idea)
    assert manager.get(f"{IDEAS}{idea.id}/")["ETag"] != etag


def test_delete_keeps_the_roadmap_item(manager, product):
    idea = IdeaFactory(product=product)
    item = idea_accept(idea_id=idea.id)
    assert manager.delete(f"{IDEAS}{idea.id}/").status_code == 204
    assert RoadmapItem.objects.filter(pk=item.pk).exists() and not Idea.objects.exists()


# --- lists ----------------------------------------------------------------------------------------------


def test_ideas_filter_by_product_status_insight_feedback_and_roadmap_item(manager, product):
    other = ProductFactory(portfolio=product.portfolio)
    insight = MarketInsightFactory(portfolio=product.portfolio)
    feedback = FeedbackFactory(product=product)
    wanted = services.idea_create(product=product, title="Wanted", insights=[insight], feedback=[feedback])
    services.idea_create(product=product, title="No links")
    services.idea_create(product=other, title="Other", insights=[insight], feedback=[feedback])
    query = f"?product={product.id}&status=concept&insight={insight.id}&feedback={feedback.id}"
    assert [row["id"] for row in manager.get(IDEAS + query).json()["results"]] == [wanted.id]
    item = idea_accept(idea_id=wanted.id)
    assert [row["id"] for row in manager.get(f"{IDEAS}?roadmap_item={item.id}").json()["results"]] == [wanted.id]
    assert [row["id"] for row in manager.get(f"{IDEAS}?status=accepted").json()["results"]] == [wanted.id]


@pytest.mark.parametrize("query", ["status=maybe", "product=abc", "insight=", "feedback=-1", "roadmap_item=1.5"])
def test_a_bad_filter_is_a_400(manager, query):
    assert manager.get(f"{IDEAS}?{query}").status_code == 400


def test_search_finds_title_and_description(manager, product):
    IdeaFactory(product=product, title="Offline mode")
    IdeaFactory(product=product, title="Other", description="Works offline too")
    IdeaFactory(product=product, title="Dark mode")
    titles = {row["title"] for row in manager.get(f"{IDEAS}?search=offline").json()["results"]}
    assert titles == {"Offline mode", "Other"}


def _wanted(product, importance, deal=None, count=1):
    idea = IdeaFactory(product=product, title=f"w{importance}-{deal}-{count}")
    for _ in range(count):
        FeedbackFactory(product=product, importance=importance, deal_value=deal).ideas.add(idea)
    return idea


def test_ordering_by_demand_puts_the_most_wanted_first(manager, product):
    quiet = IdeaFactory(product=product)
    heavy = _wanted(product, 5, count=2)  # weight 10
    rich = _wanted(product, 5, deal=Decimal("50000"))  # weight 5, deal value
    light = _wanted(product, 5)  # weight 5
    ids = [row["id"] for row in manager.get(f"{IDEAS}?ordering=demand").json()["results"]]
    assert ids == [heavy.id, rich.id, light.id, quiet.id]
    ids = [row["id"] for row in manager.get(f"{IDEAS}?ordering=-demand").json()["results"]]
    assert ids[0] == quiet.id and ids[-1] == heavy.id


def test_ordering_by_one_demand_figure(manager, product):
    a = _wanted(product, 2, count=3)  # 3 asks, weight 6
    b = _wanted(product, 5, count=2)  # 2 asks, weight 10
    assert [r["id"] for r in manager.get(f"{IDEAS}?ordering=-demand_count").json()["results"]] == [a.id, b.id]
    assert [r["id"] for r in manager.get(f"{IDEAS}?ordering=-demand_weight").json()["results"]] == [b.id, a.id]


def test_the_csv_lists_every_matching_idea_with_its_demand(manager, product):
    idea = _wanted(product, 4, deal=Decimal("1200"))
    IdeaFactory(product=product, status="rejected", title="=cmd()")
    response = manager.get(f"{IDEAS}?format=csv&ordering=demand")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row["id"] for row in rows][0] == str(idea.id)
    assert (rows[0]["demand_count"], rows[0]["demand_weight"], rows[0]["demand_deal_value"]) == ("1", "4", "1200")
    assert rows[1]["title"] == "'=cmd()"  # never a formula
    filtered = manager.get(f"{IDEAS}?format=csv&status=rejected")
    assert len(list(csv.reader(io.StringIO(b"".join(filtered.streaming_content).decode("utf-8-sig"))))) == 2


def test_csv_of_one_idea_is_a_404(manager, product):
    idea = IdeaFactory(product=product)
    assert manager.get(f"{IDEAS}{idea.id}/?format=csv").status_code == 404


# --- the cost of a list -------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> None:
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        insight = MarketInsightFactory(portfolio=portfolio)
        feedback = [FeedbackFactory(product=product, deal_value=Decimal("10")) for _ in range(2)]
        for status in ("concept", "accepted", "rejected"):
            idea = services.idea_create(product=product, title=f"{status} idea", insights=[insight], feedback=feedback)
            if status == "accepted":
                idea_accept(idea_id=idea.id)
            elif status == "rejected":
                services.idea_reject(idea_id=idea.id, reason="No")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
@pytest.mark.parametrize(
    "url", [IDEAS, f"{IDEAS}?ordering=demand", f"{IDEAS}?status=accepted&search=idea", f"{IDEAS}?format=csv"]
)
def test_list_queries_do_not_grow_with_the_data(url, role):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        client = client_for(portfolio, role)
        _fill(portfolio, n)
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts


# --- two acceptances at once (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_acceptances_at_once_make_one_item_and_one_409(attempt):
    product = ProductFactory()
    manager = member(product.portfolio, "product_manager")
    idea = IdeaFactory(product=product)
    FeedbackFactory(product=product).ideas.add(idea)
    barrier, statuses = threading.Barrier(2), []

    def accept_now():
        try:
            client = APIClient()
            client.force_authenticate(manager)
            barrier.wait(timeout=10)
            statuses.append(client.post(f"{IDEAS}{idea.id}/accept/", {}, format="json").status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            statuses.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses, key=str) == [201, 409]
    assert RoadmapItem.objects.filter(product=product).count() == 1
    assert DomainEvent.objects.filter(verb="idea.accepted", object_id=idea.id).count() == 1
