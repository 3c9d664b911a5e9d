"""Suggest-mode rules: the evaluation that writes suggestions, and accepting and dismissing them."""

from datetime import date, timedelta

import pytest

from kpis.services import measurements_ingest
from pmflow.errors import Conflict, InvalidInput
from products import services
from products.models import DomainEvent, LifecycleRule, Product, Stage, StageSuggestion, StageTransition
from products.services.rules import lifecycle_rules_run
from products.services.suggestions import (
    evidence_key,
    suggestion_accept,
    suggestion_dismiss,
    suggestions_stale_expire,
)
from tests.factories import (
    KPIFactory,
    LifecycleRuleFactory,
    ProductFactory,
    StageGateFactory,
    StageSuggestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


def _measure(product, capture, values, *, last_day=TODAY - timedelta(days=1)):
    kpi = product.kpis.first() or KPIFactory(product=product, key="revenue", aggregation="sum")
    start = last_day - timedelta(days=len(values) - 1)
    items = [{"observed_at": (start + timedelta(days=i)).isoformat(), "value": v} for i, v in enumerate(values)]
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)
    return kpi


def _suggesting_product(capture, values=(120, 130, 140), **rule):
    """A product in Launch whose revenue was ≥ 100 on each of the last 3 days, and a suggest rule on it."""
    product = ProductFactory(stage=Stage.LAUNCH)
    _measure(product, capture, list(values))
    LifecycleRuleFactory(portfolio=product.portfolio, name="Revenue holds", mode=LifecycleRule.Mode.SUGGEST, **rule)
    return product


def _evaluate(product, today=TODAY):
    return lifecycle_rules_run(product_id=product.id, today=today)


def test_suggest_rule_writes_one_pending_suggestion_and_does_not_move(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    outcome = _evaluate(product)
    product.refresh_from_db()
    suggestion = StageSuggestion.objects.get(product=product)
    assert outcome == {"move": None, "suggestions": [suggestion]}
    assert product.stage == Stage.LAUNCH
    assert (suggestion.status, suggestion.from_stage, suggestion.to_stage) == ("pending", "launch", "growth")
    assert suggestion.stay_started_at == product.stage_changed_at


def test_suggestion_reason_is_the_rules_name_and_plain_words(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    assert StageSuggestion.objects.get(product=product).reason == (
        "Revenue holds: Launch → Growth when revenue stays at or above 100 for 3 days in a row"
    )


def test_suggestion_evidence_is_what_an_auto_move_records(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    evidence = StageSuggestion.objects.get(product=product).evidence
    assert evidence["rule"] == "Revenue holds" and evidence["condition_type"] == "kpi_threshold"
    assert [row["value"] for row in evidence["rollups"]] == [120.0, 130.0, 140.0]


def test_suggestion_created_event_names_product_rule_stages_and_suggestion(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    suggestion = StageSuggestion.objects.get(product=product)
    event = DomainEvent.objects.get(verb="stage_suggestion.created")
    assert (event.object_type, event.object_id, event.actor_id) == ("stage_suggestion", suggestion.id, None)
    assert event.data["suggestion"] == suggestion.id and event.data["product"] == product.id
    assert event.data["rule"] == suggestion.rule_id
    assert (event.data["from_stage"], event.data["to_stage"]) == ("launch", "growth")


def test_evaluating_twice_keeps_one_suggestion_and_one_event(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    assert _evaluate(product)["suggestions"] == []
    assert StageSuggestion.objects.filter(product=product).count() == 1
    assert DomainEvent.objects.filter(verb="stage_suggestion.created").count() == 1


def test_sweep_suggests_without_counting_a_move(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    assert services.lifecycle_rules_evaluate_all(today=TODAY) == 0
    assert StageSuggestion.objects.filter(product=product, status="pending").count() == 1


def test_condition_that_does_not_hold_suggests_nothing(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks, values=(120, 90, 140))
    _evaluate(product)
    assert not StageSuggestion.objects.exists()


def test_dismissed_suggestion_does_not_come_back_for_the_same_evidence(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    suggestion_dismiss(suggestion_id=StageSuggestion.objects.get().id, actor=UserFactory(), reason="Seasonal peak")
    assert _evaluate(product)["suggestions"] == []
    assert list(StageSuggestion.objects.values_list("status", flat=True)) == ["dismissed"]


def test_late_data_refining_the_same_periods_is_not_new_evidence(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    suggestion_dismiss(suggestion_id=StageSuggestion.objects.get().id, actor=UserFactory(), reason="Seasonal peak")
    _measure(product, django_capture_on_commit_callbacks, [5])  # one more sale on the last day: 145
    assert _evaluate(product)["suggestions"] == []


def test_dismissed_suggestion_comes_back_with_new_evidence_in_the_same_stay(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    first = StageSuggestion.objects.get()
    suggestion_dismiss(suggestion_id=first.id, actor=UserFactory(), reason="Seasonal peak")
    # A fourth day holds too (the rollup's own evaluation may already suggest it: the outcome is the same).
    _measure(product, django_capture_on_commit_callbacks, [150], last_day=TODAY)
    _evaluate(product, today=TODAY + timedelta(days=1))
    again = StageSuggestion.objects.get(status="pending")
    assert again.evidence_key != first.evidence_key and again.stay_started_at == first.stay_started_at
    assert [row["period_start"] for row in again.evidence["rollups"]][-1] == TODAY.isoformat()


def test_pending_suggestion_shows_the_latest_evidence(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    _measure(product, django_capture_on_commit_callbacks, [150], last_day=TODAY)
    assert _evaluate(product, today=TODAY + timedelta(days=1))["suggestions"] == []
    suggestion = StageSuggestion.objects.get()
    assert [row["value"] for row in suggestion.evidence["rollups"]] == [130.0, 140.0, 150.0]
    assert suggestion.evidence_key == evidence_key(suggestion.evidence)


def test_pending_suggestion_expires_when_the_product_moves(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    services.product_transition(
        product_id=product.id, to_stage=Stage.GROWTH, reason="We decided", actor=UserFactory(), override=True
    )
    suggestion = StageSuggestion.objects.get()
    assert suggestion.status == "expired" and suggestion.decided_at is not None


def test_a_new_stay_in_the_stage_can_be_suggested_again(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    _evaluate(product)
    for stage in (Stage.GROWTH, Stage.LAUNCH):
        services.product_transition(
            product_id=product.id, to_stage=stage, reason="Back and forth", actor=UserFactory(), override=True
        )
    assert len(_evaluate(product)["suggestions"]) == 1
    assert sorted(StageSuggestion.objects.values_list("status", flat=True)) == ["expired", "pending"]


def test_auto_rule_moves_before_a_suggest_rule_suggests(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    LifecycleRuleFactory(portfolio=product.portfolio, name="Auto", to_stage=Stage.MATURITY)  # a later id
    outcome = _evaluate(product)
    assert outcome["move"].rule.name == "Auto" and outcome["suggestions"] == []
    assert not StageSuggestion.objects.exists()


def test_two_suggest_rules_of_a_stage_each_suggest(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    LifecycleRuleFactory(portfolio=product.portfolio, mode="suggest", to_stage=Stage.MATURITY)
    assert len(_evaluate(product)["suggestions"]) == 2


def test_sweep_expires_a_pending_suggestion_whose_product_left_the_stage():
    suggestion = StageSuggestionFactory(stay_started_at=ProductFactory.stage_changed_at.function())
    Product.objects.filter(pk=suggestion.product_id).update(stage=Stage.GROWTH)  # bypassing the ledger
    assert suggestions_stale_expire() == 1
    suggestion.refresh_from_db()
    assert suggestion.status == "expired"


def test_sweep_leaves_a_pending_suggestion_of_the_current_stay():
    product = ProductFactory(stage=Stage.LAUNCH)
    StageSuggestionFactory(product=product, stay_started_at=product.stage_changed_at)
    assert suggestions_stale_expire() == 0


# --- evidence keys ----------------------------------------------------------------------------------


def test_evidence_key_ignores_figures_names_and_wording():
    one = {
        "rule": "A",
        "condition": "x",
        "kpi": {"id": 3, "name": "Revenue"},
        "rollups": [{"period_start": "2026-06-01", "value": 1.0, "count": 2}],
    }
    other = {
        "rule": "B",
        "condition": "y",
        "kpi": {"id": 3, "name": "Sales"},
        "rollups": [{"period_start": "2026-06-01", "value": 9.0, "count": 7}],
    }
    assert evidence_key(one) == evidence_key(other)


def test_evidence_key_differs_for_other_periods_plans_or_releases():
    base = {"kpi": {"id": 3}, "rollups": [{"period_start": "2026-06-01"}]}
    assert evidence_key(base) != evidence_key({**base, "rollups": [{"period_start": "2026-06-08"}]})
    assert evidence_key({"launch_plan": {"id": 1}}) != evidence_key({"launch_plan": {"id": 2}})
    assert evidence_key({"release": {"id": 1}}) != evidence_key({"launch_plan": {"id": 1}})


# --- accepting ---------------------------------------------------------------------------------------


def _pending(capture):
    product = _suggesting_product(capture)
    _evaluate(product)
    return StageSuggestion.objects.get(product=product)


def test_accepting_moves_the_product_with_the_accepting_person_as_actor(django_capture_on_commit_callbacks):
    suggestion = _pending(django_capture_on_commit_callbacks)
    pm = UserFactory()
    move = suggestion_accept(suggestion_id=suggestion.id, actor=pm)
    suggestion.refresh_from_db()
    assert Product.objects.get(pk=suggestion.product_id).stage == Stage.GROWTH
    assert (move.actor, move.rule_id, move.from_stage, move.to_stage) == (pm, suggestion.rule_id, "launch", "growth")
    assert (suggestion.status, suggestion.decided_by, suggestion.transition) == ("accepted", pm, move)


def test_accepted_move_evidence_names_the_suggestion(django_capture_on_commit_callbacks):
    suggestion = _pending(django_capture_on_commit_callbacks)
    move = suggestion_accept(suggestion_id=suggestion.id, actor=UserFactory())
    assert move.evidence["suggestion"] == suggestion.id
    assert move.evidence["rollups"] == suggestion.evidence["rollups"]


def test_accepting_keeps_the_note_as_the_decision_and_in_the_move(django_capture_on_commit_callbacks):
    suggestion = _pending(django_capture_on_commit_callbacks)
    move = suggestion_accept(suggestion_id=suggestion.id, actor=UserFactory(), reason="  Sales agree  ")
    suggestion.refresh_from_db()
    assert suggestion.decision_reason == "Sales agree"
    assert move.reason == "Revenue holds — suggestion accepted: Sales agree"


def test_accepting_is_not_gated(django_capture_on_commit_callbacks):
    suggestion = _pending(django_capture_on_commit_callbacks)
    StageGateFactory(
        portfolio=suggestion.product.portfolio, stage=Stage.LAUNCH, criteria=[{"type": "has_goal", "params": {}}]
    )
    move = suggestion_accept(suggestion_id=suggestion.id, actor=UserFactory())
    assert move.override is False and move.unmet_criteria == []


def test_accepting_twice_gives_one_transition_and_a_conflict(django_capture_on_commit_callbacks):
    suggestion = _pending(django_capture_on_commit_callbacks)
    suggestion_accept(suggestion_id=suggestion.id, actor=UserFactory(username="ann"))
    with pytest.raises(Conflict, match="already accepted by ann"):
        suggestion_accept(suggestion_id=suggestion.id, actor=UserFactory())
    assert StageTransition.objects.filter(product=suggestion.product, to_stage=Stage.GROWTH).count() == 1


def test_accepting_expires_the_products_other_pending_suggestions(django_capture_on_commit_callbacks):
    product = _suggesting_product(django_capture_on_commit_callbacks)
    LifecycleRuleFactory(portfolio=product.portfolio, mode="suggest", to_stage=Stage.MATURITY)
    first, second = _evaluate(product)["suggestions"]
    suggestion_accept(suggestion_id=first.id, actor=UserFactory())
    second.refresh_from_db()
    assert second.status == "expired"


def test_accepted_move_without_a_note_says_the_rule_and_that_it_was_accepted(django_capture_on_commit_callbacks):
    suggestion = _pending(django_capture_on_commit_callbacks)
    move = suggestion_accept(suggestion_id=suggestion.id, actor=UserFactory())
    assert move.reason == "Revenue holds — suggestion accepted"


def test_accepting_records_an_event(django_capture_on_commit_callbacks):
    suggestion = _pending(django_capture_on_commit_callbacks)
    pm = UserFactory()
    move = suggestion_accept(suggestion_id=suggestion.id, actor=pm)
    event = DomainEvent.objects.get(verb="stage_suggestion.accepted")
    assert (event.object_id, event.actor, event.data["transition"]) == (suggestion.id, pm, move.id)


def test_accepting_a_suggestion_whose_rule_was_deleted_still_moves(django_capture_on_commit_callbacks):
    suggestion = _pending(django_capture_on_commit_callbacks)
    services.lifecycle_rule_delete(rule_id=suggestion.rule_id)
    move = suggestion_accept(suggestion_id=suggestion.id, actor=UserFactory())
    assert move.rule is None and move.to_stage == Stage.GROWTH


def test_accepting_when_the_product_left_the_stage_is_a_conflict_and_moves_nothing():
    suggestion = StageSuggestionFactory()
    Product.objects.filter(pk=suggestion.product_id).update(stage=Stage.MATURITY)
    with pytest.raises(Conflict, match="no longer applies"):
        suggestion_accept(suggestion_id=suggestion.id, actor=UserFactory())
    suggestion.refresh_from_db()
    assert suggestion.status == "pending" and not StageTransition.objects.exists()


def test_accepting_with_a_note_with_a_nul_character_is_refused():
    suggestion = StageSuggestionFactory()
    with pytest.raises(InvalidInput) as refused:
        suggestion_accept(suggestion_id=suggestion.id, actor=UserFactory(), reason="a\x00b")
    assert "reason" in refused.value.fields
    suggestion.refresh_from_db()
    assert suggestion.status == "pending"


# --- dismissing --------------------------------------------------------------------------------------


def test_dismissing_keeps_who_and_why():
    suggestion = StageSuggestionFactory()
    pm = UserFactory()
    suggestion_dismiss(suggestion_id=suggestion.id, actor=pm, reason=" One-off campaign spike ")
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by, suggestion.decision_reason) == (
        "dismissed",
        pm,
        "One-off campaign spike",
    )
    assert DomainEvent.objects.get(verb="stage_suggestion.dismissed").data["reason"] == "One-off campaign spike"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_dismissing_without_a_reason_is_refused_and_changes_nothing(reason):
    suggestion = StageSuggestionFactory()
    with pytest.raises(InvalidInput) as refused:
        suggestion_dismiss(suggestion_id=suggestion.id, actor=UserFactory(), reason=reason)
    assert "reason" in refused.value.fields
    suggestion.refresh_from_db()
    assert suggestion.status == "pending"


def test_dismissing_a_reason_over_the_limit_is_refused():
    suggestion = StageSuggestionFactory()
    with pytest.raises(InvalidInput):
        suggestion_dismiss(suggestion_id=suggestion.id, actor=UserFactory(), reason="x" * 2001)


@pytest.mark.parametrize("status", ["accepted", "dismissed", "expired"])
def test_dismissing_a_decided_suggestion_is_a_conflict(status):
    suggestion = StageSuggestionFactory(status=status)
    with pytest.raises(Conflict):
        suggestion_dismiss(suggestion_id=suggestion.id, actor=UserFactory(), reason="No")
