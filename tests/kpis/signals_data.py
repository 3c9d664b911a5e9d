"""Data for the signal tests (tests/kpis/test_signals_*.py): rollup rows written directly at fixed dates, so
each test states exactly the weeks it judges. TODAY is a Wednesday: the week from MONDAY is in progress."""

import datetime
from datetime import date, timedelta
from decimal import Decimal

from kpis.models import Rollup
from kpis.periods import next_period_start
from tests.factories import CampaignFactory, KPIFactory, LaunchPlanFactory, PortfolioFactory, ProductFactory

TODAY = date(2026, 3, 18)
MONDAY = date(2026, 3, 16)


def weeks_back(n: int) -> date:
    """The Monday `n` weeks before the week in progress."""
    return MONDAY - timedelta(weeks=n)


def rollups(kpi, first: date, values, granularity: str = "week") -> None:
    """One rollup row per value from the period starting `first`, and a day row on `first` (so the first
    period is covered from its start, not partial)."""
    at = datetime.datetime.combine(first, datetime.time(12), tzinfo=datetime.UTC)
    rows = [_row(kpi, "day", first, values[0], at)]
    start = first
    for value in values:
        rows.append(_row(kpi, granularity, start, value, at))
        start = next_period_start(start, granularity)
    Rollup.objects.bulk_create(rows)


def _row(kpi, granularity, start, value, at) -> Rollup:
    value = Decimal(str(value))
    return Rollup(
        kpi=kpi,
        granularity=granularity,
        period_start=start,
        value=value,
        count=1,
        total=value,
        minimum=value,
        maximum=value,
        last_value=value,
        last_observed_at=at,
    )


def campaign_case(
    *,
    conversion=(3, 3, 3),
    traffic=(60, 60, 60),
    conversion_target=5,
    traffic_target=60,
    product=None,
    **campaign_fields,
):
    """A campaign with a conversion KPI (weekly target 5 %, 10 % tolerance: off track below 4.5) and a
    traffic KPI (leads, weekly target 60), their weekly rows ending with the last complete week."""
    product = product or ProductFactory(portfolio=PortfolioFactory(name="Signal Co"), name="Pulse")
    weeks = max(len(conversion or ()), len(traffic or ()), 1)
    fields = {
        "start_date": weeks_back(weeks),
        "end_date": TODAY + timedelta(days=20),
        "status": "active",
        "name": "Paid search: alerts",
        "channel": "paid_search",
        **campaign_fields,
    }
    campaign = CampaignFactory(product=product, **fields)
    kpis = {}
    if conversion is not None:
        kpis["conversion"] = KPIFactory(
            product=product,
            campaign=campaign,
            key="paid_search_conversion_rate",
            name="Lead-to-customer conversion",
            unit="%",
            aggregation="avg",
            target=conversion_target,
            target_granularity="week",
        )
        if conversion:
            rollups(kpis["conversion"], weeks_back(len(conversion)), conversion)
    if traffic is not None:
        kpis["traffic"] = KPIFactory(
            product=product,
            campaign=campaign,
            key="paid_search_leads",
            name="Leads",
            unit="leads",
            aggregation="sum",
            target=traffic_target,
            target_granularity="week",
        )
        if traffic:
            rollups(kpis["traffic"], weeks_back(len(traffic)), traffic)
    return campaign, kpis


def launch_case(*, usage=(50, 50, 50), spend="1000", launch_date=None, own_kpi=True, target=100, product=None):
    """A plan launched on a Monday three weeks ago, one campaign of it that spent `spend`, and a usage KPI (the
    plan's own, or the product's weekly active users) with weekly rows from launch (target 100: off track
    below 90)."""
    product = product or ProductFactory(portfolio=PortfolioFactory(name="Launch Co"), name="Beacon")
    launch_date = launch_date or weeks_back(len(usage))
    plan = LaunchPlanFactory(
        product=product,
        name="Beacon 2.0",
        launch_date=launch_date,
        status="launched",
        launched_at=datetime.datetime.combine(launch_date, datetime.time(9), tzinfo=datetime.UTC),
    )
    campaign = CampaignFactory(
        product=product, launch_plan=plan, spend=Decimal(spend), start_date=launch_date, status="active"
    )
    kpi = KPIFactory(
        product=product,
        launch_plan=plan if own_kpi else None,
        key="teams_on_schedules" if own_kpi else "weekly_active_users",
        name="Teams using schedules" if own_kpi else "Weekly active users",
        unit="teams" if own_kpi else "users",
        aggregation="last",
        target=target,
        target_granularity="week",
    )
    if usage:
        first = launch_date if launch_date.weekday() == 0 else launch_date - timedelta(days=launch_date.weekday())
        rollups(kpi, first, usage)
    return plan, campaign, kpi


def move_case(
    *, values=(100, 100, 100, 100, 80, 80), moved_on=None, competitor_product=None, health="off_track", product=None
):
    """A product KPI (weekly target 100: off track below 90) whose rows turn off track in the fifth of six
    weeks (the week from weeks_back(2)), and a competitor move naming the product a week before the turn."""
    from tests.factories import CompetitorFactory, CompetitorMoveFactory

    product = product or ProductFactory(portfolio=PortfolioFactory(name="Market Co"), name="TeamBoard")
    portfolio = product.portfolio
    kpi = KPIFactory(
        product=product,
        key="weekly_active_users",
        name="Weekly active users",
        unit="users",
        aggregation="last",
        target=100,
        target_granularity="week",
        health=health,
    )
    rollups(kpi, weeks_back(len(values)), values)
    move = CompetitorMoveFactory(
        competitor=CompetitorFactory(portfolio=portfolio, name=f"Flowdesk {product.id}"),
        kind="price_change",
        happened_on=moved_on or weeks_back(3),
        description="Education price cut to €6 per seat.",
    )
    move.products.add(competitor_product or product)
    return product, kpi, move
