"""The kpi_growth lifecycle condition: a KPI's period-over-period change beyond a percentage for N
consecutive complete periods (kpis.conditions), at its boundaries."""

from datetime import date

import pytest
from django.template.loader import render_to_string

from kpis.conditions import clean_growth, describe_growth, growth_pct
from kpis.services import measurements_ingest
from pmflow.errors import InvalidInput
from products import lifecycle, services
from products.models import LifecycleRule, Stage
from tests.factories import KPIFactory, LifecycleRuleFactory, ProductFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)  # June is the period in progress; May is the last complete month
GROWTH = lifecycle.condition_types["kpi_growth"]


def _months(first: date, count: int) -> list[date]:
    months, year, month = [], first.year, first.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _product_with_revenue(capture, values_by_month: dict[date, float], stage=Stage.GROWTH):
    product = ProductFactory(stage=stage)
    kpi = KPIFactory(product=product, key="revenue", name="Revenue", unit="EUR", aggregation="sum")
    items = [{"observed_at": day.isoformat(), "value": value} for day, value in values_by_month.items()]
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)
    return product


def _rule(product, **params) -> LifecycleRule:
    values = {"key": "revenue", "granularity": "month", "comparator": "lt", "value": 5, "periods": 3, **params}
    return LifecycleRuleFactory(
        portfolio=product.portfolio,
        from_stage=Stage.GROWTH,
        to_stage=Stage.MATURITY,
        condition_type="kpi_growth",
        params=clean_growth(values),
    )


def _series(values) -> dict[date, float]:
    """Values for the months ending with May 2026 (the last complete one)."""
    return dict(zip(_months(date(2026, 6 - len(values), 1), len(values)), values, strict=True))


def test_exactly_n_changes_below_the_threshold_fire_with_n_plus_one_rows(django_capture_on_commit_callbacks):
    product = _product_with_revenue(django_capture_on_commit_callbacks, _series([1000, 1030, 1060, 1090]))
    evidence = GROWTH.evaluate(_rule(product), product, TODAY)
    assert [row["period_start"] for row in evidence["rollups"]] == [
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
        "2026-05-01",
    ]
    assert [row["change_pct"] for row in evidence["rollups"]] == [None, 3.0, 2.91, 2.83]
    assert evidence["kpi"]["key"] == "revenue" and evidence["threshold_pct"] == 5


def test_n_minus_one_changes_do_not_fire(django_capture_on_commit_callbacks):
    product = _product_with_revenue(django_capture_on_commit_callbacks, _series([1000, 1030, 1060]))
    assert GROWTH.evaluate(_rule(product), product, TODAY) is None


def test_only_the_latest_n_changes_count(django_capture_on_commit_callbacks):
    # A 50 % jump in January is older than the three changes the rule looks at.
    product = _product_with_revenue(django_capture_on_commit_callbacks, _series([600, 900, 930, 950, 970]))
    evidence = GROWTH.evaluate(_rule(product), product, TODAY)
    assert evidence["rollups"][0]["period_start"] == "2026-02-01"


def test_one_change_beyond_the_threshold_stops_it(django_capture_on_commit_callbacks):
    product = _product_with_revenue(django_capture_on_commit_callbacks, _series([1000, 1030, 1200, 1230]))
    assert GROWTH.evaluate(_rule(product), product, TODAY) is None


def test_the_period_in_progress_never_counts(django_capture_on_commit_callbacks):
    # Three complete months give two changes; June's first half (a fall) is not a third.
    values = {**_series([1000, 1030, 1060]), date(2026, 6, 2): 10}
    product = _product_with_revenue(django_capture_on_commit_callbacks, values)
    assert GROWTH.evaluate(_rule(product), product, TODAY) is None


def test_the_period_in_progress_does_not_spoil_complete_ones(django_capture_on_commit_callbacks):
    values = {**_series([1000, 1030, 1060, 1090]), date(2026, 6, 2): 5000}
    product = _product_with_revenue(django_capture_on_commit_callbacks, values)
    evidence = GROWTH.evaluate(_rule(product), product, TODAY)
    assert evidence["rollups"][-1]["period_start"] == "2026-05-01"


def test_a_gap_between_periods_does_not_fire(django_capture_on_commit_callbacks):
    values = {date(2026, 1, 1): 1000, date(2026, 2, 1): 1010, date(2026, 3, 1): 1020, date(2026, 5, 1): 1030}
    product = _product_with_revenue(django_capture_on_commit_callbacks, values)
    assert GROWTH.evaluate(_rule(product), product, TODAY) is None


def test_a_change_exactly_at_the_threshold_is_not_below_it(django_capture_on_commit_callbacks):
    product = _product_with_revenue(django_capture_on_commit_callbacks, _series([1000, 1050]))
    assert GROWTH.evaluate(_rule(product, periods=1), product, TODAY) is None


def test_a_change_exactly_at_the_threshold_is_at_or_below_it(django_capture_on_commit_callbacks):
    product = _product_with_revenue(django_capture_on_commit_callbacks, _series([1000, 1050]))
    evidence = GROWTH.evaluate(_rule(product, periods=1, comparator="lte"), product, TODAY)
    assert evidence["rollups"][1]["change_pct"] == 5.0


@pytest.mark.parametrize("base", [0, -200])
def test_a_change_from_a_zero_or_negative_base_never_counts(django_capture_on_commit_callbacks, base):
    # From 0 (or a loss) to 1,000 has no percentage: not "below 5 %", not "above" it either.
    product = _product_with_revenue(django_capture_on_commit_callbacks, _series([base, 1000]))
    assert GROWTH.evaluate(_rule(product, periods=1), product, TODAY) is None
    assert GROWTH.evaluate(_rule(product, periods=1, comparator="gt", value=0), product, TODAY) is None


def test_growth_pct_is_undefined_from_zero_and_exact_otherwise():
    from decimal import Decimal

    assert growth_pct(Decimal(0), Decimal(5)) is None
    assert growth_pct(Decimal(200), Decimal(150)) == Decimal(-25)


def test_falling_quarters_fire_a_below_zero_rule(django_capture_on_commit_callbacks):
    quarters = {date(2025, 4, 1): 9000, date(2025, 7, 1): 8800, date(2025, 10, 1): 8500, date(2026, 1, 1): 8100}
    product = _product_with_revenue(django_capture_on_commit_callbacks, quarters, stage=Stage.GROWTH)
    rule = _rule(product, granularity="quarter", value=0)
    evidence = GROWTH.evaluate(rule, product, TODAY)
    assert [row["period_start"] for row in evidence["rollups"]][-1] == "2026-01-01"
    assert all(row["change_pct"] < 0 for row in evidence["rollups"][1:])


def test_a_missing_kpi_does_not_fire():
    product = ProductFactory(stage=Stage.GROWTH)
    assert GROWTH.evaluate(_rule(product), product, TODAY) is None


def test_an_auto_rule_moves_the_product_with_the_growth_as_evidence(django_capture_on_commit_callbacks):
    product = _product_with_revenue(django_capture_on_commit_callbacks, _series([1000, 1030, 1060, 1090]))
    _rule(product)
    move = services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY)
    product.refresh_from_db()
    assert product.stage == Stage.MATURITY
    assert move.evidence["condition"] == "monthly revenue growth stays below 5 % for 3 months in a row"
    assert len(move.evidence["rollups"]) == 4


@pytest.mark.parametrize(
    "params, words",
    [
        (
            {"comparator": "lt", "value": 5, "periods": 3},
            "monthly revenue growth stays below 5 % for 3 months in a row",
        ),
        (
            {"comparator": "gte", "value": 2.5, "periods": 1},
            "monthly revenue growth stays at or above 2.5 % for a complete month",
        ),
        (
            {"comparator": "lt", "value": 0, "periods": 3, "granularity": "quarter"},
            "quarterly revenue falls for 3 quarters in a row",
        ),
        (
            {"comparator": "gt", "value": 0, "periods": 2, "granularity": "week"},
            "weekly revenue grows for 2 weeks in a row",
        ),
        (
            {"comparator": "lt", "value": 0, "periods": 2, "key": "active_users"},
            "monthly active users fall for 2 months in a row",
        ),
    ],
)
def test_describe_says_it_in_plain_words(params, words):
    assert describe_growth(clean_growth({"key": "revenue", "granularity": "month", **params})) == words


@pytest.mark.parametrize(
    "params, field",
    [
        ({"comparator": "lt", "value": 5}, "params.key"),
        ({"key": "revenue", "comparator": "up", "value": 5}, "params.comparator"),
        ({"key": "revenue", "comparator": "lt", "value": "target"}, "params.value"),
        ({"key": "revenue", "comparator": "lt", "value": "1e999999"}, "params.value"),
        ({"key": "revenue", "comparator": "lt", "value": 5, "periods": 0}, "params.periods"),
        ({"key": "revenue", "comparator": "lt", "value": 5, "periods": True}, "params.periods"),
        ({"key": "revenue", "comparator": "lt", "value": 5, "granularity": "hour"}, "params.granularity"),
        ({"key": "revenue", "comparator": "lt", "value": 5, "window": 3}, "params"),
    ],
)
def test_growth_params_are_validated(params, field):
    with pytest.raises(InvalidInput) as caught:
        clean_growth(params)
    assert field in caught.value.fields


def test_clean_fills_defaults_and_keeps_a_negative_percentage():
    cleaned = clean_growth({"key": " revenue ", "comparator": "lt", "value": "-2.5"})
    assert cleaned == {"key": "revenue", "granularity": "month", "comparator": "lt", "value": -2.5, "periods": 1}


def test_evidence_template_shows_each_change_and_a_chart(django_capture_on_commit_callbacks):
    product = _product_with_revenue(django_capture_on_commit_callbacks, _series([1000, 1030, 1060, 1090]))
    evidence = {
        "condition": "monthly revenue growth stays below 5 %",
        **GROWTH.evaluate(_rule(product), product, TODAY),
    }
    html = render_to_string(GROWTH.evidence_template, {"evidence": evidence})
    assert "+3 %" in html and "+2.91 %" in html and "base" in html
    assert '<svg class="growth-chart"' in html and html.count("<rect") == 3
    assert "2026-03-01 +3 %" in html  # the chart's numbers for screen readers
