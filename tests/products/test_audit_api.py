"""GET /api/v1/audit/: an object's domain events, newest first, for the members of its portfolio."""

from datetime import timedelta

import pytest
from django.utils import timezone

from products import events, services
from products.api.audit import object_types
from products.models import DomainEvent, Role
from tests.factories import LifecycleRuleFactory, PortfolioFactory, ProductFactory, member

pytestmark = pytest.mark.django_db

CONTRACT_TYPES = (
    "product",
    "kpi",
    "lifecycle_rule",
    "roadmap_item",
    "release",
    "launch_plan",
    "launch_task",
    "messaging",
    "campaign",
    "stage_gate",
    "webhook",
)


@pytest.fixture
def portfolio():
    return PortfolioFactory()


@pytest.fixture
def manager(portfolio):
    return member(portfolio, Role.PRODUCT_MANAGER)


def _audit(api_client, user, object_type, object_id, **query):
    api_client.force_authenticate(user)
    return api_client.get("/api/v1/audit/", {"object_type": object_type, "object_id": object_id, **query})


def _product_with_history(portfolio, manager):
    product = services.product_create(portfolio=portfolio, name="Comet", actor=manager)
    services.product_update(product_id=product.id, actor=manager, description="Tracks comets.")
    services.product_transition(product_id=product.id, to_stage="research", reason="Interviews", actor=manager)
    return product


def test_the_objects_events_newest_first_with_who_what_and_changes(api_client, portfolio, manager):
    product = _product_with_history(portfolio, manager)
    response = _audit(api_client, manager, "product", product.id)
    assert response.status_code == 200
    body = response.json()
    actions = [row["action"] for row in body["results"]]
    assert actions[0] == "product.stage_changed" and actions[-1] == "product.created"
    assert (
        body["count"] == len(actions) == DomainEvent.objects.filter(object_type="product", object_id=product.id).count()
    )
    updated = next(row for row in body["results"] if row["action"] == "product.updated")
    assert updated["actor"] == manager.username
    assert updated["changes"] == {"description": ["", "Tracks comets."]}
    assert set(body["results"][0]) >= {"at", "actor", "action", "changes"}


def test_the_system_is_a_null_actor(api_client, portfolio, manager):
    rule = LifecycleRuleFactory(portfolio=portfolio)
    events.record(
        portfolio_id=portfolio.id,
        actor=None,
        verb="lifecycle_rule.updated",
        obj=rule,
        changes={"is_active": [True, False]},
    )
    row = _audit(api_client, manager, "lifecycle_rule", rule.id).json()["results"][0]
    assert row["actor"] is None and row["changes"] == {"is_active": [True, False]}


def test_every_member_reads_it_a_viewer_too(api_client, portfolio, manager):
    product = _product_with_history(portfolio, manager)
    assert _audit(api_client, member(portfolio, Role.VIEWER), "product", product.id).status_code == 200


def test_another_portfolios_object_is_404(api_client, portfolio, manager):
    other = _product_with_history(PortfolioFactory(), member(PortfolioFactory(), Role.ADMIN))
    assert _audit(api_client, manager, "product", other.id).status_code == 404


def test_a_missing_object_is_404(api_client, portfolio, manager):
    assert _audit(api_client, manager, "product", 987654).status_code == 404


def test_a_deleted_objects_history_stays_readable_to_its_portfolios_members(api_client, portfolio, manager):
    admin = member(portfolio, Role.ADMIN)
    rule = services.lifecycle_rule_save(
        portfolio=portfolio,
        actor=admin,
        name="Old",
        condition_type="release_shipped",
        params={},
        from_stage="development",
        to_stage="launch",
    )
    services.lifecycle_rule_delete(rule_id=rule.id, actor=admin)
    body = _audit(api_client, manager, "lifecycle_rule", rule.id).json()
    assert [row["action"] for row in body["results"]] == ["lifecycle_rule.deleted", "lifecycle_rule.created"]
    assert body["results"][0]["data"]["description"] == "Development → Launch when a release of the product ships"
    outsider = member(PortfolioFactory(), Role.ADMIN)
    assert _audit(api_client, outsider, "lifecycle_rule", rule.id).status_code == 404


def test_an_unknown_object_type_is_a_400_on_object_type(api_client, portfolio, manager):
    response = _audit(api_client, manager, "spaceship", 1)
    assert response.status_code == 400 and "object_type" in response.json()


@pytest.mark.parametrize("object_id", ["abc", "0", "-3", "99999999999999999999", "1\x00"])
def test_a_bad_object_id_is_a_400_on_object_id(api_client, portfolio, manager, object_id):
    response = _audit(api_client, manager, "product", object_id)
    assert response.status_code == 400 and "object_id" in response.json()


def test_both_parameters_are_required(api_client, portfolio, manager):
    api_client.force_authenticate(manager)
    body = api_client.get("/api/v1/audit/").json()
    assert "object_type" in body and "object_id" in body


def test_it_pages_like_the_other_lists(api_client, portfolio, manager):
    product = _product_with_history(portfolio, manager)
    body = _audit(api_client, manager, "product", product.id, page_size=1).json()
    assert len(body["results"]) == 1 and body["next"] and body["count"] >= 3


def test_secrets_recorded_in_an_event_are_hidden(api_client, portfolio, manager):
    rule = LifecycleRuleFactory(portfolio=portfolio)
    events.record(
        portfolio_id=portfolio.id,
        actor=None,
        verb="lifecycle_rule.updated",
        obj=rule,
        changes={"secret": ["old-s3cret", "new-s3cret"], "name": ["a", "b"]},
        data={"api_token": "t0k3n"},
    )
    response = _audit(api_client, manager, "lifecycle_rule", rule.id)
    assert "s3cret" not in response.content.decode() and "t0k3n" not in response.content.decode()
    assert response.json()["results"][0]["changes"]["name"] == ["a", "b"]


def test_the_contracts_object_types_are_known():
    assert set(CONTRACT_TYPES) <= set(object_types())


def test_query_count_does_not_grow_with_the_history(api_client, portfolio, manager, django_assert_max_num_queries):
    product = ProductFactory(portfolio=portfolio)
    for n in range(3):
        events.record(
            portfolio_id=portfolio.id, actor=manager, verb="product.updated", obj=product, changes={"name": [n, n + 1]}
        )
    _audit(api_client, manager, "product", product.id)
    with django_assert_max_num_queries(10) as once:
        _audit(api_client, manager, "product", product.id)
    start = timezone.now()
    for n in range(30):
        events.record(
            portfolio_id=portfolio.id,
            actor=member(portfolio, Role.VIEWER),
            verb="product.updated",
            obj=product,
            changes={"name": [n, n + 1]},
            at=start + timedelta(seconds=n),
        )
    with django_assert_max_num_queries(len(once.captured_queries)):
        assert len(_audit(api_client, manager, "product", product.id).json()["results"]) == 33
