"""A budget plan against what happened (kpis.budget_actuals): the expected figures are worked out here, by
hand, from the campaigns and measurements the test writes."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.budget_actuals import MIXED_REVENUE, NO_REVENUE_KPI, campaigns_counted, figures_of, plan_figures
from kpis.services import measurements_ingest
from products.services import budget as services
from tests.factories import (
    CampaignFactory,
    KPIFactory,
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def quarter(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


@pytest.fixture
def shop(django_capture_on_commit_callbacks):
    """A line of two products with revenue, campaigns on both sides of quarter and year ends."""
    portfolio = PortfolioFactory(timezone="Europe/Berlin")
    line = ProductLineFactory(portfolio=portfolio, name="Analytics")
    hub = ProductFactory(portfolio=portfolio, product_line=line, name="Hub")
    alerts = ProductFactory(portfolio=portfolio, product_line=line, name="Alerts")
    campaigns = [
        (hub, datetime.date(2025, 12, 31), D("999.00")),  # last year: not counted in 2026
        (hub, datetime.date(2026, 2, 10), D("2000.00")),
        (hub, datetime.date(2026, 3, 31), D("1500.50")),  # the last day of Q1: counts in Q1
        (hub, datetime.date(2026, 4, 1), D("700.00")),  # the first day of Q2
        (alerts, datetime.date(2026, 5, 5), D("300.00")),
        (alerts, datetime.date(2026, 12, 31), D("40.00")),  # the last day of the year: Q4
    ]
    for product, start, spend in campaigns:
        CampaignFactory(
            product=product, start_date=start, end_date=start + datetime.timedelta(days=60), spend=spend, budget=1
        )
    revenue = {hub: KPIFactory(product=hub, key="revenue"), alerts: KPIFactory(product=alerts, key="revenue")}
    measured = [
        (hub, "2026-01-15T10:00:00+01:00", D("4000")),
        (hub, "2026-02-01T10:00:00+01:00", D("3000")),
        # 23:30 UTC on 31 March is 01:30 on 1 April in Berlin: the portfolio's Q2.
        (hub, "2026-03-31T23:30:00+00:00", D("100")),
        (hub, "2026-05-01T10:00:00+02:00", D("6000.255")),
        (alerts, "2026-01-20T10:00:00+01:00", D("1000")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for product, at, value in measured:
            measurements_ingest(kpi_id=revenue[product].id, items=[{"observed_at": at, "value": str(value)}])
    return type(
        "Shop",
        (),
        {
            "portfolio": portfolio,
            "line": line,
            "hub": hub,
            "alerts": alerts,
            "campaigns": campaigns,
            "measured": measured,
        },
    )


def _spend(shop, products, year: int, q: int) -> Decimal:
    return sum(
        (
            spend
            for product, start, spend in shop.campaigns
            if product in products and start.year == year and quarter(start) == q
        ),
        D("0.00"),
    )


def _hub_plan(shop, **extra):
    return services.budget_plan_create(
        product=shop.hub,
        year=2026,
        budget_lines=[
            {"quarter": 1, "channel": "email", "amount": "1000"},
            {"quarter": 1, "channel": "events", "amount": "2000"},
            {"quarter": 2, "channel": "email", "amount": "500"},
        ],
        sales_targets=[
            {"quarter": 1, "amount": "10000"},
            {"quarter": 2, "amount": "5000"},
            {"quarter": 3, "amount": "4000"},
        ],
        **extra,
    )


def _rows(plan) -> dict[int, dict]:
    return {q.quarter: q.as_dict() for q in figures_of(services.plans().get(pk=plan.pk)).quarters}


def test_a_product_plan_has_four_quarters_in_order(shop):
    assert list(_rows(_hub_plan(shop))) == [1, 2, 3, 4]


def test_budget_is_the_sum_of_each_quarters_lines(shop):
    rows = _rows(_hub_plan(shop))
    assert [rows[q]["budget"] for q in (1, 2, 3, 4)] == [D("3000.00"), D("500.00"), D("0.00"), D("0.00")]


def test_spend_counts_the_products_campaigns_in_the_quarter_of_their_start(shop):
    rows = _rows(_hub_plan(shop))
    expected = [_spend(shop, {shop.hub}, 2026, q) for q in (1, 2, 3, 4)]
    assert [rows[q]["spend"] for q in (1, 2, 3, 4)] == expected
    assert expected == [D("3500.50"), D("700.00"), D("0.00"), D("0.00")]


def test_a_campaign_starting_on_the_last_day_of_a_quarter_counts_in_that_quarter(shop):
    plan = _hub_plan(shop)
    CampaignFactory(
        product=shop.hub, start_date=datetime.date(2026, 6, 30), end_date=datetime.date(2026, 7, 30), spend=11
    )
    CampaignFactory(
        product=shop.hub, start_date=datetime.date(2026, 7, 1), end_date=datetime.date(2026, 7, 30), spend=7
    )
    rows = _rows(plan)
    assert rows[2]["spend"] == D("711.00")
    assert rows[3]["spend"] == D("7.00")


def test_spend_variance_is_spend_minus_budget_positive_when_over(shop):
    rows = _rows(_hub_plan(shop))
    assert rows[1]["spend_variance"] == D("500.50")  # over budget: positive
    assert rows[2]["spend_variance"] == D("200.00")
    assert rows[3]["spend_variance"] == D("0.00")


def test_sales_actual_is_the_revenue_rollup_of_the_quarter_in_the_portfolios_zone(shop):
    rows = _rows(_hub_plan(shop))
    q1 = sum((v for p, at, v in shop.measured if p == shop.hub and at < "2026-03-31T23"), D(0))
    assert rows[1]["sales_actual"] == q1 == D("7000")
    assert rows[2]["sales_actual"] == D("6100.26")  # 100 (1 April in Berlin) + 6000.255, to the cent


def test_sales_variance_is_actual_minus_target_positive_when_above(shop):
    rows = _rows(_hub_plan(shop))
    assert rows[1]["sales_variance"] == D("-3000.00")
    assert rows[2]["sales_variance"] == D("1100.26")


def test_a_quarter_without_revenue_data_has_a_null_actual_and_variance_not_zero(shop):
    rows = _rows(_hub_plan(shop))
    assert rows[3]["sales_target"] == D("4000.00")
    assert rows[3]["sales_actual"] is None
    assert rows[3]["sales_variance"] is None


def test_a_quarter_without_a_target_has_a_null_target_and_variance(shop):
    plan = services.budget_plan_create(product=shop.hub, year=2026, sales_targets=[{"quarter": 2, "amount": 1}])
    rows = _rows(plan)
    assert rows[1]["sales_target"] is None and rows[1]["sales_actual"] == D("7000.00")
    assert rows[1]["sales_variance"] is None


def test_a_product_without_a_revenue_kpi_has_no_actual_sales_and_says_why(shop):
    other = ProductFactory(portfolio=shop.portfolio, product_line=shop.line)
    KPIFactory(product=other, key="signups")
    plan = services.budget_plan_create(product=other, year=2026, sales_targets=[{"quarter": 1, "amount": 100}])
    figures = figures_of(services.plans().get(pk=plan.pk))
    assert [q.sales_actual for q in figures.quarters] == [None] * 4
    assert figures.revenue_note == NO_REVENUE_KPI
    assert figures.total.sales_actual is None and figures.total.sales_variance is None


def test_a_line_plan_counts_the_campaigns_of_all_its_products(shop):
    plan = services.budget_plan_create(product_line=shop.line, year=2026)
    rows = _rows(plan)
    both = {shop.hub, shop.alerts}
    assert [rows[q]["spend"] for q in (1, 2, 3, 4)] == [_spend(shop, both, 2026, q) for q in (1, 2, 3, 4)]
    assert rows[4]["spend"] == D("40.00")


def test_a_line_plan_counts_the_lines_combined_revenue(shop):
    plan = services.budget_plan_create(
        product_line=shop.line, year=2026, sales_targets=[{"quarter": 1, "amount": "9000"}]
    )
    rows = _rows(plan)
    q1 = sum((v for p, at, v in shop.measured if at < "2026-03-31T23"), D(0))
    assert rows[1]["sales_actual"] == q1 == D("8000")
    assert rows[1]["sales_variance"] == D("-1000.00")
    assert rows[2]["sales_actual"] == D("6100.26")


def test_a_product_outside_the_line_does_not_count_in_the_lines_plan(shop):
    elsewhere = ProductFactory(portfolio=shop.portfolio)
    CampaignFactory(
        product=elsewhere, start_date=datetime.date(2026, 1, 5), end_date=datetime.date(2026, 1, 9), spend=5
    )
    rows = _rows(services.budget_plan_create(product_line=shop.line, year=2026))
    assert rows[1]["spend"] == _spend(shop, {shop.hub, shop.alerts}, 2026, 1)


def test_a_line_whose_revenue_kpis_aggregate_differently_has_no_actual_sales(shop, django_capture_on_commit_callbacks):
    third = ProductFactory(portfolio=shop.portfolio, product_line=shop.line)
    kpi = KPIFactory(product=third, key="revenue", aggregation="avg")
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=[{"observed_at": "2026-01-10T10:00:00+01:00", "value": 5}])
    figures = figures_of(services.plans().get(pk=services.budget_plan_create(product_line=shop.line, year=2026).pk))
    assert [q.sales_actual for q in figures.quarters] == [None] * 4
    assert figures.revenue_note == MIXED_REVENUE


def test_last_years_plan_counts_last_years_campaigns(shop):
    rows = _rows(services.budget_plan_create(product=shop.hub, year=2025))
    assert rows[4]["spend"] == D("999.00")
    assert rows[4]["sales_actual"] is None


def test_the_years_totals_add_the_quarters_and_compare_sales_where_both_are_known(shop):
    figures = figures_of(services.plans().get(pk=_hub_plan(shop).pk))
    total = figures.total
    assert total.budget == D("3500.00")
    assert total.spend == D("4200.50")
    assert total.spend_variance == D("700.50")
    assert total.sales_target == D("19000.00")
    assert total.sales_actual == D("13100.26")
    assert total.sales_variance == D("-3000.00") + D("1100.26")  # Q1 and Q2; Q3 has no revenue yet


def test_the_campaigns_counted_are_those_starting_in_the_year(shop):
    plan = services.budget_plan_create(product_line=shop.line, year=2026)
    starts = [c.start_date for c in campaigns_counted(plan)]
    assert starts == sorted(start for _, start, _ in shop.campaigns if start.year == 2026)


def test_many_plans_cost_as_many_queries_as_one(shop):
    _hub_plan(shop)
    services.budget_plan_create(product_line=shop.line, year=2026)
    counts = []
    for extra in (0, 9):
        for n in range(extra):
            product = ProductFactory(
                portfolio=shop.portfolio, product_line=ProductLineFactory(portfolio=shop.portfolio)
            )
            KPIFactory(product=product, key="revenue")
            CampaignFactory(product=product, start_date=datetime.date(2026, 2, 2), end_date=datetime.date(2026, 3, 2))
            services.budget_plan_create(
                product=product, year=2026, budget_lines=[{"quarter": 1, "channel": "pr", "amount": n}]
            )
            services.budget_plan_create(product_line=product.product_line, year=2026 - n % 2)
        with CaptureQueriesContext(connection) as captured:
            plan_figures(services.plans())
        counts.append(len(captured))
    assert counts[0] == counts[1] == 7  # plans, lines, targets; campaigns, revenue KPIs, product and line rollups
