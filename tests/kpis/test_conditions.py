"""The kpi_threshold lifecycle condition and the rule engine that fires it."""

from datetime import date, timedelta

import pytest

from kpis.services import measurements_ingest
from pmflow.errors import InvalidInput
from products import services
from products.models import Stage, StageTransition
from tests.factories import KPIFactory, LifecycleRuleFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


def _launched_product_with_revenue(values, capture, rule_params=None, **rule):
    product = ProductFactory(stage=Stage.LAUNCH)
    kpi = KPIFactory(product=product, key="revenue", aggregation="sum")
    start = TODAY - timedelta(days=len(values))
    items = [{"observed_at": (start + timedelta(days=i)).isoformat(), "value": v} for i, v in enumerate(values)]
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)
    params = {"key": "revenue", "granularity": "day", "comparator": "gte", "value": 100, "periods": 3}
    params.update(rule_params or {})
    LifecycleRuleFactory(portfolio=product.portfolio, params=params, **rule)
    return product


def test_rule_moves_product_after_n_consecutive_periods_beyond_threshold(django_capture_on_commit_callbacks):
    product = _launched_product_with_revenue([50, 120, 130, 140], django_capture_on_commit_callbacks)
    move = services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY)
    product.refresh_from_db()
    assert product.stage == Stage.GROWTH
    assert move.actor is None and move.rule is not None and move.reason == move.rule.name


def test_rule_evidence_holds_the_rollup_rows(django_capture_on_commit_callbacks):
    product = _launched_product_with_revenue([50, 120, 130, 140], django_capture_on_commit_callbacks)
    move = services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY)
    assert [row["value"] for row in move.evidence["rollups"]] == [120.0, 130.0, 140.0]
    assert move.evidence["rollups"][0]["period_start"] == (TODAY - timedelta(days=3)).isoformat()
    assert move.evidence["condition"] == "revenue stays at or above 100 for 3 days in a row"


def test_rule_does_not_fire_when_one_period_misses(django_capture_on_commit_callbacks):
    product = _launched_product_with_revenue([120, 90, 130, 140], django_capture_on_commit_callbacks)
    assert services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY) is None
    product.refresh_from_db()
    assert product.stage == Stage.LAUNCH


def test_rule_ignores_the_current_incomplete_period(django_capture_on_commit_callbacks):
    # Two complete days above the threshold plus today's partial day are not three periods.
    product = _launched_product_with_revenue([120, 130], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=product.kpis.get().id, items=[{"observed_at": TODAY.isoformat(), "value": 500}])
    assert services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY) is None


def test_rule_does_not_fire_across_a_gap(django_capture_on_commit_callbacks):
    product = ProductFactory(stage=Stage.LAUNCH)
    kpi = KPIFactory(product=product, key="revenue")
    days = [TODAY - timedelta(days=d) for d in (5, 2, 1)]
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=[{"observed_at": d.isoformat(), "value": 200} for d in days])
    LifecycleRuleFactory(portfolio=product.portfolio)
    assert services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY) is None


def test_rule_fires_at_most_once_per_stay(django_capture_on_commit_callbacks):
    product = _launched_product_with_revenue([120, 130, 140], django_capture_on_commit_callbacks)
    services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY)
    assert services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY) is None
    assert StageTransition.objects.filter(product=product, rule__isnull=False).count() == 1


def test_rule_can_fire_again_in_a_new_stay_of_its_from_stage(django_capture_on_commit_callbacks):
    product = _launched_product_with_revenue([120, 130, 140], django_capture_on_commit_callbacks)
    services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY)
    services.product_transition(
        product_id=product.id, to_stage=Stage.LAUNCH, reason="Relaunch", actor=UserFactory(), override=True
    )
    assert services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY) is not None
    assert StageTransition.objects.filter(product=product, rule__isnull=False).count() == 2


def test_inactive_rule_does_not_fire(django_capture_on_commit_callbacks):
    product = _launched_product_with_revenue([120, 130, 140], django_capture_on_commit_callbacks, is_active=False)
    assert services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY) is None


def test_rule_for_another_stage_does_not_fire(django_capture_on_commit_callbacks):
    product = _launched_product_with_revenue(
        [120, 130, 140], django_capture_on_commit_callbacks, from_stage=Stage.GROWTH, to_stage=Stage.MATURITY
    )
    assert services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY) is None


def test_lower_than_comparator_fires_on_falling_values(django_capture_on_commit_callbacks):
    product = _launched_product_with_revenue(
        [40, 30, 20], django_capture_on_commit_callbacks, rule_params={"comparator": "lt", "value": 50}
    )
    assert services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY) is not None


def test_sweep_evaluates_every_product_a_rule_could_move(django_capture_on_commit_callbacks):
    _launched_product_with_revenue([120, 130, 140], django_capture_on_commit_callbacks)
    assert services.lifecycle_rules_evaluate_all(today=TODAY) == 1


@pytest.mark.parametrize(
    "params, field",
    [
        ({"granularity": "day", "comparator": "gte", "value": 1, "periods": 1}, "params.key"),
        ({"key": "r", "granularity": "fortnight", "comparator": "gte", "value": 1}, "params.granularity"),
        ({"key": "r", "comparator": "about", "value": 1}, "params.comparator"),
        ({"key": "r", "comparator": "gte", "value": "lots"}, "params.value"),
        ({"key": "r", "comparator": "gte", "value": 1, "periods": 0}, "params.periods"),
        ({"key": "r", "comparator": "gte", "value": 1, "colour": "red"}, "params"),
    ],
)
def test_threshold_params_are_validated(params, field):
    with pytest.raises(InvalidInput) as caught:
        services.lifecycle_rule_clean(
            condition_type="kpi_threshold", params=params, from_stage="launch", to_stage="growth"
        )
    assert field in caught.value.fields


def test_unknown_condition_type_is_refused():
    with pytest.raises(InvalidInput) as caught:
        services.lifecycle_rule_clean(condition_type="moon_phase", params={}, from_stage="launch", to_stage="growth")
    assert "condition_type" in caught.value.fields


def test_new_rule_created_through_the_api_moves_a_product_at_once(api_client, django_capture_on_commit_callbacks):
    from products.models import Role
    from tests.factories import member

    product = ProductFactory(stage=Stage.LAUNCH)
    kpi = KPIFactory(product=product, key="signups")
    start = date.today() - timedelta(days=3)
    items = [{"observed_at": (start + timedelta(days=i)).isoformat(), "value": 50} for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)
    api_client.force_authenticate(member(product.portfolio, Role.ADMIN))
    body = {
        "portfolio": product.portfolio_id,
        "name": "Signups hold",
        "from_stage": "launch",
        "to_stage": "growth",
        "condition_type": "kpi_threshold",
        "params": {"key": "signups", "granularity": "day", "comparator": "gte", "value": 40, "periods": 2},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/v1/lifecycle-rules/", body, format="json").status_code == 201
    product.refresh_from_db()
    assert product.stage == Stage.GROWTH
