"""The launch_plan_launched lifecycle condition (gtm.conditions): a launch plan of the product launched
while the product is in the rule's from-stage moves it, through the launch_plan.launched event's handler
(gtm.handlers) after commit; the evidence names the plan and renders on the product page."""

import datetime
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from gtm.services import launches as services
from pmflow.errors import InvalidInput
from products import services as product_services
from products.events import relay_pending
from products.models import DomainEvent, Stage, StageTransition
from products.services.rules import describe
from products.tasks import lifecycle_rules_evaluate
from tests.factories import LifecycleRuleFactory, ProductFactory, member

pytestmark = pytest.mark.django_db

LAUNCH_DAY = datetime.date(2026, 6, 15)


def launched_rule(portfolio, **fields):
    fields = {"from_stage": Stage.DEVELOPMENT, "to_stage": Stage.LAUNCH, "name": "Launched, so in launch", **fields}
    return LifecycleRuleFactory(portfolio=portfolio, condition_type="launch_plan_launched", params={}, **fields)


@pytest.fixture
def developing():
    return ProductFactory(stage=Stage.DEVELOPMENT, stage_changed_at=timezone.now() - timedelta(days=2))


def plan_of(product, **fields):
    return services.launch_plan_create(product=product, **{"name": "Nova launch", "launch_date": LAUNCH_DAY, **fields})


def launch(plan, capture, **kwargs):
    with capture(execute=True):
        return services.launch_plan_launch(plan_id=plan.id, **kwargs)


def test_a_plan_launched_in_the_from_stage_moves_the_product(developing, django_capture_on_commit_callbacks):
    rule = launched_rule(developing.portfolio)
    plan = plan_of(developing, tier=1)
    services.launch_task_create(launch_plan=plan, title="Brief sales", function="sales", status="done")
    launch(plan, django_capture_on_commit_callbacks)
    developing.refresh_from_db()
    assert developing.stage == Stage.LAUNCH
    move = StageTransition.objects.get(product=developing, rule=rule)
    assert (move.from_stage, move.to_stage, move.actor, move.reason) == (
        Stage.DEVELOPMENT,
        Stage.LAUNCH,
        None,
        "Launched, so in launch",
    )


def test_the_evidence_names_the_plan(developing, django_capture_on_commit_callbacks):
    launched_rule(developing.portfolio)
    plan = plan_of(developing, tier=1)
    services.launch_task_create(launch_plan=plan, title="Open", function="legal")
    launch(plan, django_capture_on_commit_callbacks, override=True, reason="Board decision")
    plan.refresh_from_db()
    move = StageTransition.objects.get(product=developing)
    assert move.evidence["condition_type"] == "launch_plan_launched"
    assert move.evidence["launch_plan"] == {
        "id": plan.id,
        "name": "Nova launch",
        "tier": 1,
        "launch_date": "2026-06-15",
        "launched_at": plan.launched_at.isoformat(),
        "release": None,
        "override": True,
        "tasks": 1,
        "done": 0,
    }


def test_the_evidence_names_the_release(developing):
    from roadmap.services import release_create

    plan = plan_of(developing, release=release_create(product=developing, version="2.0"))
    services.launch_plan_launch(plan_id=plan.id)
    launched_rule(developing.portfolio)
    move = product_services.lifecycle_rules_evaluate(product_id=developing.id)
    assert move.evidence["launch_plan"]["release"] == "2.0"


def test_a_plan_launched_before_the_product_entered_the_stage_does_not_count(django_capture_on_commit_callbacks):
    product = ProductFactory(stage=Stage.PLANNING, stage_changed_at=timezone.now() - timedelta(days=9))
    launched_rule(product.portfolio)
    launch(plan_of(product), django_capture_on_commit_callbacks)
    product_services.product_transition(
        product_id=product.id,
        to_stage=Stage.DEVELOPMENT,
        reason="Building",
        actor=member(product.portfolio, "admin"),
        override=True,  # whatever gates the portfolio has: this test is about the rule
    )
    assert product_services.lifecycle_rules_evaluate(product_id=product.id) is None
    product.refresh_from_db()
    assert product.stage == Stage.DEVELOPMENT


def test_a_plan_launched_in_another_stage_moves_nothing(django_capture_on_commit_callbacks):
    product = ProductFactory(stage=Stage.PLANNING)
    launched_rule(product.portfolio)
    launch(plan_of(product), django_capture_on_commit_callbacks)
    product.refresh_from_db()
    assert product.stage == Stage.PLANNING
    assert not StageTransition.objects.filter(product=product).exists()


def test_a_plan_of_another_product_moves_nothing(developing, django_capture_on_commit_callbacks):
    launched_rule(developing.portfolio)
    sibling = ProductFactory(portfolio=developing.portfolio, stage=Stage.PLANNING)
    launch(plan_of(sibling), django_capture_on_commit_callbacks)
    developing.refresh_from_db()
    assert developing.stage == Stage.DEVELOPMENT


def test_a_plan_not_launched_moves_nothing(developing):
    launched_rule(developing.portfolio)
    plan_of(developing)
    assert product_services.lifecycle_rules_evaluate(product_id=developing.id) is None


def test_a_cancelled_plan_moves_nothing(developing, django_capture_on_commit_callbacks):
    launched_rule(developing.portfolio)
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_plan_cancel(plan_id=plan_of(developing).id, reason="Slipped")
    developing.refresh_from_db()
    assert developing.stage == Stage.DEVELOPMENT


def test_a_launch_refused_for_open_tasks_moves_nothing(developing, django_capture_on_commit_callbacks):
    launched_rule(developing.portfolio)
    plan = plan_of(developing)
    services.launch_task_create(launch_plan=plan, title="Open", function="sales")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.PlanHasOpenTasks):
        services.launch_plan_launch(plan_id=plan.id)
    developing.refresh_from_db()
    assert developing.stage == Stage.DEVELOPMENT


def test_a_suggest_rule_makes_a_suggestion_not_a_move(developing, django_capture_on_commit_callbacks):
    launched_rule(developing.portfolio, mode="suggest")
    launch(plan_of(developing), django_capture_on_commit_callbacks)
    developing.refresh_from_db()
    assert developing.stage == Stage.DEVELOPMENT


def test_the_first_plan_of_the_stay_is_the_evidence(developing):
    first, second = plan_of(developing, name="First"), plan_of(developing, name="Second")
    services.launch_plan_launch(plan_id=first.id)
    services.launch_plan_launch(plan_id=second.id)
    rule = launched_rule(developing.portfolio)
    move = product_services.lifecycle_rules_evaluate(product_id=developing.id)
    assert move.rule == rule and move.evidence["launch_plan"]["id"] == first.id


def test_the_rule_is_described_in_plain_words(developing):
    assert (
        describe(launched_rule(developing.portfolio))
        == "Development → Launch when a launch plan of the product launches"
    )


def test_params_must_be_empty():
    clean = product_services.lifecycle_rule_clean
    assert clean(condition_type="launch_plan_launched", params={}, from_stage="development", to_stage="launch") == {}
    with pytest.raises(InvalidInput) as caught:
        clean(condition_type="launch_plan_launched", params={"tier": 1}, from_stage="development", to_stage="launch")
    assert caught.value.fields == {"params": "Unknown parameters: tier."}


def test_a_launch_plan_launched_rule_is_written_through_the_api(api_client, developing):
    api_client.force_authenticate(member(developing.portfolio, "admin"))
    body = {
        "portfolio": developing.portfolio_id,
        "name": "Launched",
        "from_stage": "development",
        "to_stage": "launch",
        "condition_type": "launch_plan_launched",
        "params": {},
    }
    response = api_client.post("/api/v1/lifecycle-rules/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["condition_type"], response.json()["mode"]) == ("launch_plan_launched", "auto")


def test_a_plan_launched_through_the_api_moves_the_product(api_client, developing, django_capture_on_commit_callbacks):
    launched_rule(developing.portfolio)
    plan = plan_of(developing)
    api_client.force_authenticate(member(developing.portfolio, "marketer"))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"/api/v1/launch-plans/{plan.id}/launch/", {}, format="json")
    assert response.status_code == 200
    developing.refresh_from_db()
    assert developing.stage == Stage.LAUNCH


# --- the evidence on the product page -------------------------------------------------------------------


def test_the_evidence_template_links_the_plan(developing, django_capture_on_commit_callbacks):
    launched_rule(developing.portfolio)
    plan = plan_of(developing, tier=1)
    launch(plan, django_capture_on_commit_callbacks)
    move = StageTransition.objects.get(product=developing)
    html = render_to_string("gtm/_launch_evidence.html", {"move": move, "evidence": move.evidence})
    assert f'href="/launches/{plan.id}/"' in html and "Nova launch" in html and "tier 1" in html
    assert "0 of 0 tasks done" in html


def test_the_evidence_template_says_so_without_a_plan():
    html = render_to_string("gtm/_launch_evidence.html", {"move": None, "evidence": {"condition": "x"}})
    assert "No launch plan recorded" in html


def test_the_product_page_shows_the_launch_evidence(client, developing, django_capture_on_commit_callbacks):
    launched_rule(developing.portfolio)
    plan = plan_of(developing)
    launch(plan, django_capture_on_commit_callbacks)
    client.force_login(member(developing.portfolio, "viewer"))
    page = client.get(f"/products/{developing.id}/").content.decode()
    assert f'href="/launches/{plan.id}/"' in page and "Nova launch" in page


# --- the hand-off to the worker (gtm.handlers) ---------------------------------------------------------


@pytest.fixture
def handed(monkeypatch):
    """What gtm.handlers hands the worker: [(task name, args)]; `handed.up` False plays a broker outage."""
    calls = []

    def enqueue(task, *args, **kwargs):
        calls.append((task.name, args, kwargs))
        return handed.up

    handed = type("Handed", (), {"calls": calls, "up": True})
    monkeypatch.setattr("gtm.handlers.enqueue", enqueue)
    return handed


def test_the_rules_task_gets_the_product_id_only_after_the_launch_commits(handed, django_capture_on_commit_callbacks):
    product = ProductFactory()
    plan = plan_of(product)
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_plan_launch(plan_id=plan.id)
        assert handed.calls == []  # nothing runs before the commit
    assert handed.calls == [(lifecycle_rules_evaluate.name, (product.id,), {})]  # an id, not the object
    assert DomainEvent.objects.get(verb="launch_plan.launched").dispatched_at is not None


def test_a_launch_refused_hands_nothing_over(handed, django_capture_on_commit_callbacks):
    plan = plan_of(ProductFactory())
    services.launch_task_create(launch_plan=plan, title="Open", function="sales")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.PlanHasOpenTasks):
        services.launch_plan_launch(plan_id=plan.id)
    assert handed.calls == []


def test_a_worker_out_of_reach_leaves_the_event_for_the_relay(handed, django_capture_on_commit_callbacks):
    handed.up = False
    plan = plan_of(ProductFactory())
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_plan_launch(plan_id=plan.id)
    event = DomainEvent.objects.get(verb="launch_plan.launched")
    assert event.dispatched_at is None and len(handed.calls) == 1
    handed.up = True
    DomainEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(minutes=5))
    assert relay_pending() == 1 and len(handed.calls) == 2
