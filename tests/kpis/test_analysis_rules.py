"""kpis.analysis: revenue share and trend from the quarter rollups, and the extend / retire flags, each rule
exactly at its threshold and one step below, without data, for a product line, with its evidence."""

import datetime
from decimal import Decimal

import pytest

from kpis.analysis import portfolio_analysis
from kpis.services import measurements_ingest
from products.services.analysis_settings import analysis_settings_update
from tests.factories import (
    FeedbackFactory,
    GoalFactory,
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
    SegmentFactory,
)
from tests.kpis.analysis_data import TODAY, feedback, revenue

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Zephyr Holdings")


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def run(portfolio, **kwargs):
    return portfolio_analysis(portfolio=portfolio, today=TODAY, **kwargs)


def figures_of(result, product):
    return next(f for f in result.products if f.id == product.id)


def flags_of(result, kind, basis=None):
    return [f for f in result.flags if f.kind == kind and (basis is None or f.basis == basis)]


def thresholds(portfolio, **values):
    analysis_settings_update(portfolio=portfolio, actor=None, **values)


# --- revenue share and trend ---------------------------------------------------------------------------


def test_the_share_is_each_products_percent_of_the_scopes_revenue_over_the_last_four_complete_quarters(
    portfolio, capture
):
    big = ProductFactory(portfolio=portfolio, stage="maturity")
    small = ProductFactory(portfolio=portfolio, stage="growth")
    revenue(big, [9999, 100, 100, 100, 100], capture)  # the fifth quarter back is not counted
    revenue(small, [None, 50, 50, 50, 50], capture)
    result = run(portfolio)
    assert figures_of(result, big).revenue == Decimal(400)
    assert figures_of(result, big).revenue_share == Decimal("66.67")
    assert figures_of(result, small).revenue_share == Decimal("33.33")
    assert result.total_revenue == Decimal(600)


def test_the_quarter_holding_today_is_not_counted(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="growth")
    kpi = revenue(product, [100], capture)
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=[{"observed_at": "2026-05-01T12:00:00+00:00", "value": 5000}])
    assert figures_of(run(portfolio), product).revenue == Decimal(100)


def test_the_trend_is_the_last_complete_quarter_on_the_one_before(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="growth")
    revenue(product, [80, 120], capture)
    assert figures_of(run(portfolio), product).revenue_trend == Decimal("50.00")


def test_a_falling_quarter_is_a_negative_trend_rounded_to_two_decimals(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="growth")
    revenue(product, [300, 200], capture)
    assert figures_of(run(portfolio), product).revenue_trend == Decimal("-33.33")


def test_no_trend_with_one_quarter_or_from_zero(portfolio, capture):
    one = ProductFactory(portfolio=portfolio, stage="growth")
    from_zero = ProductFactory(portfolio=portfolio, stage="growth")
    revenue(one, [None, 120], capture)
    revenue(from_zero, [0, 120], capture)
    result = run(portfolio)
    assert figures_of(result, one).revenue_trend is None
    assert figures_of(result, from_zero).revenue_trend is None


def test_a_product_without_revenue_data_has_no_share_and_no_trend(portfolio, capture):
    earning = ProductFactory(portfolio=portfolio, stage="growth")
    silent = ProductFactory(portfolio=portfolio, stage="research")
    revenue(earning, [100, 100], capture)
    figures = figures_of(run(portfolio), silent)
    assert (figures.revenue, figures.revenue_share, figures.revenue_trend) == (None, None, None)


def test_no_data_at_all_gives_products_without_figures_and_no_flags(portfolio):
    product = ProductFactory(portfolio=portfolio, stage="decline")
    result = run(portfolio)
    assert [f.id for f in result.products] == [product.id]
    assert result.total_revenue is None and result.flags == []


def test_an_empty_portfolio_has_no_products_and_no_flags(portfolio):
    result = run(portfolio)
    assert result.products == [] and result.flags == []


def test_products_come_in_lifecycle_order_then_by_name(portfolio):
    later = ProductFactory(portfolio=portfolio, stage="decline", name="Alpha")
    early_b = ProductFactory(portfolio=portfolio, stage="research", name="Beta")
    early_a = ProductFactory(portfolio=portfolio, stage="research", name="alpha")
    assert [f.id for f in run(portfolio).products] == [early_a.id, early_b.id, later.id]


# --- retire --------------------------------------------------------------------------------------------


def test_retire_a_declining_product_whose_revenue_fell_exactly_the_threshold_quarters(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="decline", name="Ledger")
    revenue(product, [100, 300, 200, 150], capture)  # two drops in a row at the end
    thresholds(portfolio, retire_falling_quarters=2)
    assert [f.product for f in flags_of(run(portfolio), "retire")] == [product]


def test_no_retire_when_the_revenue_fell_one_quarter_fewer_than_the_threshold(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="decline")
    revenue(product, [100, 300, 200, 150], capture)
    thresholds(portfolio, retire_falling_quarters=3)
    assert flags_of(run(portfolio), "retire") == []


def test_a_flat_quarter_is_no_fall(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="decline")
    revenue(product, [300, 200, 200], capture)
    assert flags_of(run(portfolio), "retire") == []


def test_a_quarter_without_data_in_the_window_is_no_fall(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="decline")
    revenue(product, [300, None, 100], capture)
    assert flags_of(run(portfolio), "retire") == []


def test_no_retire_outside_decline(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="maturity")
    revenue(product, [300, 200, 100], capture)
    assert flags_of(run(portfolio), "retire") == []


def test_no_retire_while_a_goal_of_the_product_runs_today(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="decline")
    revenue(product, [300, 200, 100], capture)
    GoalFactory(product=product, period_start=TODAY, period_end=TODAY)
    assert flags_of(run(portfolio), "retire") == []


def test_a_goal_that_ended_yesterday_or_starts_tomorrow_does_not_hold_a_retire_flag(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="decline")
    revenue(product, [300, 200, 100], capture)
    GoalFactory(product=product, period_start=D(2026, 1, 1), period_end=TODAY - datetime.timedelta(days=1))
    GoalFactory(product=product, period_start=TODAY + datetime.timedelta(days=1), period_end=D(2026, 12, 31))
    assert [f.product for f in flags_of(run(portfolio), "retire")] == [product]


def test_the_retire_evidence_holds_the_quarters_and_their_revenue(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="decline", name="Ledger")
    revenue(product, [300, 200, 150], capture)
    (flag,) = flags_of(run(portfolio), "retire")
    assert flag.evidence == {
        "stage": "decline",
        "falling_quarters": 2,
        "quarters": [
            {"quarter": "2025-Q3", "period_start": "2025-07-01", "revenue": 300, "change_pct": None},
            {"quarter": "2025-Q4", "period_start": "2025-10-01", "revenue": 200, "change_pct": -33.33},
            {"quarter": "2026-Q1", "period_start": "2026-01-01", "revenue": 150, "change_pct": -25},
        ],
        "change_pct": -50,
        "goals_running_today": 0,
    }
    assert flag.reason == (
        "Ledger is in decline and its revenue fell in each of the last 2 complete quarters (from 300 in 2025-Q3 "
        "to 150 in 2026-Q1, −50 %); no goal of it runs today."
    )


def test_twelve_falling_quarters_read_thirteen(portfolio, capture):
    product = ProductFactory(portfolio=portfolio, stage="decline")
    revenue(product, list(range(1300, 0, -100)), capture)
    thresholds(portfolio, retire_falling_quarters=12)
    (flag,) = flags_of(run(portfolio), "retire")
    assert len(flag.evidence["quarters"]) == 13


# --- extend: segments ----------------------------------------------------------------------------------


def test_extend_into_an_unserved_segment_exactly_at_both_thresholds(portfolio):
    segment = SegmentFactory(portfolio=portfolio, name="Installers", growth_pct=Decimal("10.00"), priority=4)
    assert [f.segment for f in flags_of(run(portfolio), "extend", "segment")] == [segment]


def test_no_segment_flag_a_cent_below_the_growth_threshold(portfolio):
    SegmentFactory(portfolio=portfolio, growth_pct=Decimal("9.99"), priority=5)
    assert flags_of(run(portfolio), "extend") == []


def test_no_segment_flag_one_below_the_priority_threshold(portfolio):
    SegmentFactory(portfolio=portfolio, growth_pct=Decimal("50"), priority=3)
    assert flags_of(run(portfolio), "extend") == []


def test_the_segment_thresholds_are_the_portfolios(portfolio):
    segment = SegmentFactory(portfolio=portfolio, growth_pct=Decimal("2"), priority=2)
    thresholds(portfolio, extend_segment_min_growth_pct=Decimal("2"), extend_segment_min_priority=2)
    assert [f.segment for f in flags_of(run(portfolio), "extend")] == [segment]


def test_no_segment_flag_without_a_growth_figure_or_when_a_product_serves_it(portfolio):
    SegmentFactory(portfolio=portfolio, growth_pct=None, priority=5)
    served = SegmentFactory(portfolio=portfolio, growth_pct=Decimal("30"), priority=5)
    served.products.add(ProductFactory(portfolio=portfolio))
    assert flags_of(run(portfolio), "extend") == []


def test_another_portfolios_segments_are_not_read(portfolio):
    SegmentFactory(growth_pct=Decimal("30"), priority=5)
    assert flags_of(run(portfolio), "extend") == []


def test_the_segment_evidence_states_growth_and_priority_against_the_thresholds(portfolio):
    SegmentFactory(portfolio=portfolio, name="Installers", growth_pct=Decimal("18.5"), priority=4, size=5400)
    (flag,) = flags_of(run(portfolio), "extend", "segment")
    assert flag.evidence == {
        "growth_pct": 18.5,
        "min_growth_pct": 10,
        "priority": 4,
        "min_priority": 4,
        "size": 5400,
        "products_serving": 0,
        "products_serving_elsewhere": 0,
    }
    assert (
        flag.reason == "Installers grows 18.5 % a year at priority 4 of 5, and no product of the portfolio serves it."
    )


# --- extend: products with rising demand ---------------------------------------------------------------


def test_extend_a_growing_product_whose_feedback_rose_exactly_the_threshold(portfolio):
    product = ProductFactory(portfolio=portfolio, stage="growth")
    feedback(product, recent=6, previous=5)  # +20 %
    assert [f.product for f in flags_of(run(portfolio), "extend", "demand")] == [product]


def test_no_demand_flag_a_step_below_the_threshold(portfolio):
    product = ProductFactory(portfolio=portfolio, stage="growth")
    feedback(product, recent=6, previous=5)
    thresholds(portfolio, extend_demand_min_growth_pct=Decimal("20.01"))
    assert flags_of(run(portfolio), "extend") == []


def test_three_pieces_after_none_count_as_rising_and_say_so(portfolio):
    product = ProductFactory(portfolio=portfolio, stage="growth", name="Hub")
    feedback(product, recent=3, previous=0)
    (flag,) = flags_of(run(portfolio), "extend", "demand")
    assert flag.evidence["growth_pct"] is None
    assert "counted as rising" in flag.reason and "counted as rising" in flag.evidence["note"]


def test_two_pieces_after_none_are_not_rising(portfolio):
    feedback(ProductFactory(portfolio=portfolio, stage="growth"), recent=2, previous=0)
    assert flags_of(run(portfolio), "extend") == []


def test_no_demand_flag_outside_growth(portfolio):
    feedback(ProductFactory(portfolio=portfolio, stage="maturity"), recent=9, previous=1)
    assert flags_of(run(portfolio), "extend") == []


def test_the_windows_are_the_last_90_days_and_the_90_before(portfolio):
    product = ProductFactory(portfolio=portfolio, stage="growth")
    for days_ago in (0, 89, 90, 179, 180):
        FeedbackFactory(product=product, received_on=TODAY - datetime.timedelta(days=days_ago))
    FeedbackFactory(product=product, received_on=TODAY + datetime.timedelta(days=1))
    thresholds(portfolio, extend_demand_min_growth_pct=Decimal("-100"))
    (flag,) = flags_of(run(portfolio), "extend", "demand")
    assert flag.evidence["recent"] == {"from": "2026-03-18", "to": "2026-06-15", "feedback": 2}
    assert flag.evidence["previous"] == {"from": "2025-12-18", "to": "2026-03-17", "feedback": 2}
    assert flag.evidence["growth_pct"] == 0 and flag.evidence["window_days"] == 90


# --- a product line ------------------------------------------------------------------------------------


def test_a_line_is_analysed_on_its_own_products_and_revenue(portfolio, capture):
    line = ProductLineFactory(portfolio=portfolio, name="Mobile")
    inside = ProductFactory(portfolio=portfolio, product_line=line, stage="growth")
    outside = ProductFactory(portfolio=portfolio, stage="growth")
    revenue(inside, [100, 100], capture)
    revenue(outside, [900, 900], capture)
    result = run(portfolio, product_line=line)
    assert [f.id for f in result.products] == [inside.id]
    assert figures_of(result, inside).revenue_share == Decimal("100.00")


def test_a_segment_served_only_by_other_lines_is_a_candidate_for_the_line(portfolio):
    line = ProductLineFactory(portfolio=portfolio, name="Mobile")
    segment = SegmentFactory(portfolio=portfolio, name="Installers", growth_pct=Decimal("20"), priority=5)
    segment.products.add(ProductFactory(portfolio=portfolio))
    assert flags_of(run(portfolio), "extend") == []
    (flag,) = flags_of(run(portfolio, product_line=line), "extend")
    assert flag.segment == segment and flag.evidence["products_serving_elsewhere"] == 1
    assert "no product of the Mobile line serves it (1 product of other lines do)" in flag.reason


def test_a_segment_served_by_the_line_is_no_candidate_for_it(portfolio):
    line = ProductLineFactory(portfolio=portfolio)
    segment = SegmentFactory(portfolio=portfolio, growth_pct=Decimal("20"), priority=5)
    segment.products.add(ProductFactory(portfolio=portfolio, product_line=line))
    assert flags_of(run(portfolio, product_line=line), "extend") == []


def test_retire_and_demand_flags_of_a_line_are_its_products_only(portfolio, capture):
    line = ProductLineFactory(portfolio=portfolio)
    outside = ProductFactory(portfolio=portfolio, stage="decline")
    revenue(outside, [300, 200, 100], capture)
    feedback(ProductFactory(portfolio=portfolio, stage="growth"), recent=9, previous=1)
    assert run(portfolio, product_line=line).flags == []


# --- cost ----------------------------------------------------------------------------------------------


def _products(portfolio, capture, n, suffix=""):
    line = ProductLineFactory(portfolio=portfolio)
    for i in range(n):
        declining = ProductFactory(portfolio=portfolio, product_line=line, stage="decline", name=f"Old {suffix}{i}")
        revenue(declining, [300, 200, 100], capture)
        GoalFactory(product=declining, period_start=D(2025, 1, 1), period_end=D(2025, 12, 31))
        growing = ProductFactory(portfolio=portfolio, product_line=line, stage="growth", name=f"New {suffix}{i}")
        revenue(growing, [100, 200, 300], capture)
        feedback(growing, recent=3, previous=1, prefix=f"{suffix}{i}")
        segment = SegmentFactory(portfolio=portfolio, growth_pct=Decimal("30"), priority=5)
        if i % 2:
            segment.products.add(growing)


def test_the_analysis_costs_the_same_queries_for_ten_times_the_products(portfolio, capture, django_assert_num_queries):
    _products(portfolio, capture, 1)
    run(portfolio)  # the thresholds are made on the first read
    with django_assert_num_queries(6) as one:
        first = run(portfolio)
    _products(portfolio, capture, 9, suffix="x")
    with django_assert_num_queries(len(one.captured_queries)):
        tenfold = run(portfolio)
    assert len(tenfold.products) == 10 * len(first.products)
    assert len(tenfold.flags) > len(first.flags)
