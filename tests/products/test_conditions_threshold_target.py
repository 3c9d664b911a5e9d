"""kpi_threshold against the KPI's own target (`"value": "target"`): the target for one period of the
rule's granularity (kpis.health.target_for); no target, no fire; numbers work as before."""

from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string

from kpis.conditions import clean_threshold, describe_threshold
from kpis.services import measurements_ingest
from products import lifecycle
from products.models import Stage
from tests.factories import KPIFactory, LifecycleRuleFactory, ProductFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 17)  # a Wednesday: the week of 15 June is in progress
THRESHOLD = lifecycle.condition_types["kpi_threshold"]
WEEKS = [date(2026, 5, 18), date(2026, 5, 25), date(2026, 6, 1), date(2026, 6, 8)]


def _product(capture, values, **kpi):
    product = ProductFactory(stage=Stage.LAUNCH)
    defaults = {"key": "weekly_active_users", "aggregation": "last", "target": 2000, "target_granularity": "week"}
    metric = KPIFactory(product=product, **{**defaults, **kpi})
    items = [
        {"observed_at": (week + timedelta(days=3)).isoformat(), "value": v}
        for week, v in zip(WEEKS, values, strict=True)
    ]
    with capture(execute=True):
        measurements_ingest(kpi_id=metric.id, items=items)
    return product


def _rule(product, **params):
    values = {"key": "weekly_active_users", "granularity": "week", "comparator": "gte", "value": "target", "periods": 4}
    return LifecycleRuleFactory(portfolio=product.portfolio, params=clean_threshold({**values, **params}))


def test_four_weeks_at_or_above_target_fire_with_the_target_in_the_evidence(django_capture_on_commit_callbacks):
    product = _product(django_capture_on_commit_callbacks, [2000, 2100, 2300, 2250])
    evidence = THRESHOLD.evaluate(_rule(product), product, TODAY)
    assert evidence["target"] == 2000.0
    assert [row["value"] for row in evidence["rollups"]] == [2000.0, 2100.0, 2300.0, 2250.0]


def test_one_week_below_target_does_not_fire(django_capture_on_commit_callbacks):
    product = _product(django_capture_on_commit_callbacks, [2000, 1999, 2300, 2250])
    assert THRESHOLD.evaluate(_rule(product), product, TODAY) is None


def test_no_target_set_never_fires(django_capture_on_commit_callbacks):
    product = _product(django_capture_on_commit_callbacks, [5000, 5000, 5000, 5000], target=None)
    assert THRESHOLD.evaluate(_rule(product), product, TODAY) is None
    assert THRESHOLD.evaluate(_rule(product, comparator="lt"), product, TODAY) is None


def test_a_sum_kpis_monthly_target_is_scaled_to_the_week(django_capture_on_commit_callbacks):
    # 30,436.875 a month is 7,000 a week (kpis.health.target_for: sum targets scale with the period).
    product = _product(
        django_capture_on_commit_callbacks,
        [7000, 7100, 7050, 7001],
        key="revenue",
        aggregation="sum",
        target="30436.875",
        target_granularity="month",
    )
    evidence = THRESHOLD.evaluate(_rule(product, key="revenue"), product, TODAY)
    assert evidence["target"] == 7000.0


def test_a_number_still_works_as_before(django_capture_on_commit_callbacks):
    product = _product(django_capture_on_commit_callbacks, [1600, 1700, 1800, 1900], target=None)
    evidence = THRESHOLD.evaluate(_rule(product, value=1500), product, TODAY)
    assert len(evidence["rollups"]) == 4 and "target" not in evidence


def test_describe_says_its_target():
    params = clean_threshold(
        {"key": "weekly_active_users", "granularity": "week", "comparator": "gt", "value": "target", "periods": 4}
    )
    assert describe_threshold(params) == "weekly active users stay above their target for 4 weeks in a row"


def test_clean_accepts_target_in_any_case_and_keeps_numbers_numbers():
    base = {"key": "revenue", "granularity": "week", "comparator": "gte", "periods": 2}
    assert clean_threshold({**base, "value": " Target "})["value"] == "target"
    assert clean_threshold({**base, "value": "1500"})["value"] == 1500
    assert clean_threshold({**base, "value": 2.5})["value"] == 2.5


def test_an_other_word_than_target_is_a_field_error():
    from pmflow.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        clean_threshold({"key": "revenue", "comparator": "gte", "value": "goal"})
    assert "target" in caught.value.fields["params.value"]


def test_evidence_template_names_the_target(django_capture_on_commit_callbacks):
    product = _product(django_capture_on_commit_callbacks, [2000, 2100, 2300, 2250])
    evidence = {
        "condition": "weekly active users stay at or above their target",
        **THRESHOLD.evaluate(_rule(product), product, TODAY),
    }
    html = render_to_string(THRESHOLD.evidence_template, {"evidence": evidence})
    assert "Against the KPI's target for one week: 2,000." in html


def test_evidence_template_without_a_target_says_nothing_of_one():
    evidence = {"condition": "x", "kpi": {"name": "WAU"}, "granularity": "week", "rollups": []}
    assert "target" not in render_to_string(THRESHOLD.evidence_template, {"evidence": evidence})
