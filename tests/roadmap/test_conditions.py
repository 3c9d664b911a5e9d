"""The release_shipped lifecycle condition (roadmap.conditions): a release of the product shipped while the
product is in the rule's from-stage moves it, through the release.shipped event's handler after commit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pmflow.errors import InvalidInput
from products import services as product_services
from products.events import relay_pending
from products.models import DomainEvent, LifecycleRule, Stage, StageTransition
from products.services.rules import describe
from products.tasks import lifecycle_rules_evaluate
from roadmap import services
from roadmap.models import Release
from tests.factories import LifecycleRuleFactory, ProductFactory, member

pytestmark = pytest.mark.django_db


def shipped_rule(portfolio, **fields):
    fields = {"from_stage": Stage.LAUNCH, "to_stage": Stage.GROWTH, "name": "Shipped, so growing", **fields}
    return LifecycleRuleFactory(portfolio=portfolio, condition_type="release_shipped", params={}, **fields)


@pytest.fixture
def launched():
    return ProductFactory(stage=Stage.LAUNCH, stage_changed_at=timezone.now() - timedelta(days=2))


def ship(release, capture, **kwargs):
    with capture(execute=True):
        services.release_ship(release_id=release.id, **kwargs)


def test_a_release_shipped_in_the_from_stage_moves_the_product(launched, django_capture_on_commit_callbacks):
    rule = shipped_rule(launched.portfolio)
    release = services.release_create(product=launched, version="2.0", name="Aurora")
    services.roadmap_item_create(product=launched, title="Done", release=release, status="done")
    ship(release, django_capture_on_commit_callbacks)
    launched.refresh_from_db()
    assert launched.stage == Stage.GROWTH
    move = StageTransition.objects.get(product=launched, rule=rule)
    assert (move.from_stage, move.to_stage, move.actor) == (Stage.LAUNCH, Stage.GROWTH, None)
    assert move.reason == "Shipped, so growing"
    release.refresh_from_db()
    assert move.evidence["condition_type"] == "release_shipped"
    assert move.evidence["release"] == {
        "id": release.id,
        "version": "2.0",
        "name": "Aurora",
        "shipped_at": release.shipped_at.isoformat(),
        "items": 1,
        "done": 1,
    }


def test_a_release_shipped_before_the_product_entered_the_stage_does_not_fire(
    django_capture_on_commit_callbacks,
):
    product = ProductFactory(stage=Stage.DEVELOPMENT, stage_changed_at=timezone.now() - timedelta(days=9))
    shipped_rule(product.portfolio)
    release = services.release_create(product=product, version="1.0")
    ship(release, django_capture_on_commit_callbacks)
    product_services.product_transition(
        product_id=product.id,
        to_stage=Stage.LAUNCH,
        reason="Launched",
        actor=member(product.portfolio, "admin"),
        override=True,  # whatever gates the portfolio has: this test is about the rule
    )
    assert product_services.lifecycle_rules_evaluate(product_id=product.id) is None
    product.refresh_from_db()
    assert product.stage == Stage.LAUNCH


def test_a_release_shipped_in_another_stage_moves_nothing(django_capture_on_commit_callbacks):
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    shipped_rule(product.portfolio)
    ship(services.release_create(product=product, version="1.0"), django_capture_on_commit_callbacks)
    product.refresh_from_db()
    assert product.stage == Stage.DEVELOPMENT
    assert not StageTransition.objects.filter(product=product).exists()


def test_a_release_of_another_product_moves_nothing(launched, django_capture_on_commit_callbacks):
    shipped_rule(launched.portfolio)
    sibling = ProductFactory(portfolio=launched.portfolio, stage=Stage.DEVELOPMENT)
    ship(services.release_create(product=sibling, version="1.0"), django_capture_on_commit_callbacks)
    launched.refresh_from_db()
    assert launched.stage == Stage.LAUNCH


def test_a_planned_release_moves_nothing(launched):
    shipped_rule(launched.portfolio)
    services.release_create(product=launched, version="1.0")
    assert product_services.lifecycle_rules_evaluate(product_id=launched.id) is None


def test_a_ship_refused_for_open_items_moves_nothing(launched, django_capture_on_commit_callbacks):
    shipped_rule(launched.portfolio)
    release = services.release_create(product=launched, version="1.0")
    services.roadmap_item_create(product=launched, title="Open", release=release, status="in_progress")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.ReleaseHasOpenItems):
        services.release_ship(release_id=release.id)
    launched.refresh_from_db()
    assert launched.stage == Stage.LAUNCH


def test_a_rule_written_after_the_ship_fires_at_once_for_the_stay(launched, django_capture_on_commit_callbacks):
    ship(services.release_create(product=launched, version="1.0"), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        product_services.lifecycle_rule_save(
            portfolio=launched.portfolio,
            name="Shipped",
            from_stage=Stage.LAUNCH,
            to_stage=Stage.GROWTH,
            condition_type="release_shipped",
            params={},
        )
    launched.refresh_from_db()
    assert launched.stage == Stage.GROWTH


def test_the_first_release_of_the_stay_is_the_evidence(launched):
    first = services.release_create(product=launched, version="1.0")
    second = services.release_create(product=launched, version="1.1")
    services.release_ship(release_id=first.id)
    services.release_ship(release_id=second.id)
    rule = shipped_rule(launched.portfolio)
    move = product_services.lifecycle_rules_evaluate(product_id=launched.id)
    assert move.rule == rule and move.evidence["release"]["id"] == first.id


def test_the_rule_is_described_in_plain_words(launched):
    rule = shipped_rule(launched.portfolio)
    assert describe(rule) == "Launch → Growth when a release of the product ships"


def test_params_must_be_empty():
    assert (
        product_services.lifecycle_rule_clean(
            condition_type="release_shipped", params={}, from_stage="launch", to_stage="growth"
        )
        == {}
    )
    with pytest.raises(InvalidInput) as caught:
        product_services.lifecycle_rule_clean(
            condition_type="release_shipped", params={"version": "2.0"}, from_stage="launch", to_stage="growth"
        )
    assert caught.value.fields == {"params": "Unknown parameters: version."}


@pytest.fixture
def admin_client(api_client, launched):
    api_client.force_authenticate(member(launched.portfolio, "admin"))
    return api_client


def rule_body(launched, **changes):
    return {
        "portfolio": launched.portfolio_id,
        "name": "Shipped",
        "from_stage": "launch",
        "to_stage": "growth",
        "condition_type": "release_shipped",
        "params": {},
        **changes,
    }


def test_a_release_shipped_rule_is_written_through_the_api(admin_client, launched):
    response = admin_client.post("/api/v1/lifecycle-rules/", rule_body(launched), format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["condition_type"], response.json()["params"]) == ("release_shipped", {})


@pytest.mark.parametrize("params", [{"version": "2.0"}, {"release": 1, "product": 2}])
def test_unknown_params_are_a_400_through_the_api(admin_client, launched, params):
    response = admin_client.post("/api/v1/lifecycle-rules/", rule_body(launched, params=params), format="json")
    assert response.status_code == 400 and "params" in response.json()
    assert not LifecycleRule.objects.filter(condition_type="release_shipped").exists()


def test_a_release_shipped_through_the_api_moves_the_product(
    admin_client, launched, django_capture_on_commit_callbacks
):
    shipped_rule(launched.portfolio)
    release = services.release_create(product=launched, version="3.0")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/api/v1/releases/{release.id}/ship/", {}, format="json")
    assert response.status_code == 200
    launched.refresh_from_db()
    assert launched.stage == Stage.GROWTH
    assert Release.objects.get(pk=release.id).status == "shipped"


def test_the_product_page_shows_the_release_evidence(client, launched, django_capture_on_commit_callbacks):
    shipped_rule(launched.portfolio)
    release = services.release_create(product=launched, version="3.0", name="Aurora")
    ship(release, django_capture_on_commit_callbacks)
    client.force_login(member(launched.portfolio, "viewer"))
    page = client.get(f"/products/{launched.id}/").content.decode()
    assert f'href="/releases/{release.id}/"' in page and "3.0 Aurora" in page


# --- the hand-off to the worker (roadmap.handlers) -----------------------------------------------------


@pytest.fixture
def handed(monkeypatch):
    """What roadmap.handlers hands the worker: [(task name, args)]; `handed.up` False plays a broker outage."""
    calls = []

    def enqueue(task, *args, **kwargs):
        calls.append((task.name, args, kwargs))
        return handed.up

    handed = type("Handed", (), {"calls": calls, "up": True})
    monkeypatch.setattr("roadmap.handlers.enqueue", enqueue)
    return handed


def test_the_rules_task_gets_the_product_id_only_after_the_ship_commits(handed, django_capture_on_commit_callbacks):
    product = ProductFactory()
    release = services.release_create(product=product, version="1.0")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.release_ship(release_id=release.id)
        assert handed.calls == []  # nothing runs before the commit
    assert len(callbacks) == 1
    assert handed.calls == [(lifecycle_rules_evaluate.name, (product.id,), {})]  # an id, not the object
    assert DomainEvent.objects.get(verb="release.shipped").dispatched_at is not None


def test_a_ship_refused_hands_nothing_over(handed, django_capture_on_commit_callbacks):
    product = ProductFactory()
    release = services.release_create(product=product, version="1.0")
    services.roadmap_item_create(product=product, title="Open", release=release)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.ReleaseHasOpenItems):
        services.release_ship(release_id=release.id)
    assert handed.calls == []


def test_a_worker_out_of_reach_leaves_the_event_for_the_relay(handed, django_capture_on_commit_callbacks):
    handed.up = False
    product = ProductFactory()
    release = services.release_create(product=product, version="1.0")
    with django_capture_on_commit_callbacks(execute=True):
        services.release_ship(release_id=release.id)
    event = DomainEvent.objects.get(verb="release.shipped")
    assert event.dispatched_at is None and len(handed.calls) == 1
    handed.up = True
    DomainEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(minutes=5))
    assert relay_pending() == 1 and len(handed.calls) == 2
