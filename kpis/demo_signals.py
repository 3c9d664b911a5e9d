"""The demo's cross-functional signals: one of each kind open, found by the detector from the demo's data.

- **Traffic without conversions**: the paid-search campaign of Pulse Alerts' on-call launch (kpis.demo_gtm)
  brought its leads at 5.8 a week of 6, converting at about 3.4 % against 5 %: the demo's data shows it as it is.
- **Low usage despite promotion**: the on-call launch measures the teams that set up a schedule (a KPI of the
  plan written here, weekly from launch day): about 30–50 against a target of 120, while its three campaigns
  spent €17,600.
- **Off track after a competitor move**: TeamBoard's weekly active users sagged after Flowdesk's education price
  cut (products.demo_market, 25 days ago): its daily measurements from three days after the move are written
  again, 1.5 % lower each day down to 86 % of what they were, so the KPI turns off track two weeks after the move.

Written through the services (kpi_save, measurements_ingest, rollups_recompute_many, signals_refresh); runs after
the demo's products and KPIs, go-to-market data and its KPIs (seed_gtm, seed_gtm_kpis) and the market
(seed_market). Writes nothing once the launch has its adoption KPI, or when the launch it builds on is missing
(the campaign's signal may be open already: the detection runs after every rollup recompute).
"""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from gtm.demo import PLANS
from gtm.models import LaunchPlan
from kpis.models import KPI, Measurement, Signal
from kpis.services import kpi_save, measurements_ingest, rollups_recompute_many
from kpis.services.signals import signals_refresh
from products.models import CompetitorMove, Portfolio

PLAN_REF = "pa_oncall"
USAGE_KEY = "oncall_schedule_teams"
# Teams with an on-call schedule at the end of each week since launch: slow, far below the 120 planned.
USAGE_VALUES = [14, 23, 31, 36, 41, 44, 46, 48, 49, 50]
USAGE_TARGET = 120
MOVE_PRODUCT, MOVE_COMPETITOR, MOVE_KIND = "TeamBoard", "Flowdesk", "price_change"
MOVE_KPI = "weekly_active_users"
SAG_AFTER_DAYS = 3  # customers start to leave three days after the price cut
SAG_PER_DAY = Decimal("0.015")
SAG_FLOOR = Decimal("0.86")


def _plan(portfolio: Portfolio) -> LaunchPlan | None:
    name = next(spec["name"] for spec in PLANS if spec["ref"] == PLAN_REF)
    return (
        LaunchPlan.objects.filter(product__portfolio=portfolio, name=name, status=LaunchPlan.Status.LAUNCHED)
        .select_related("product")
        .first()
    )


def _usage(plan: LaunchPlan, actor, today: date) -> tuple[KPI, int]:
    kpi = kpi_save(
        product=plan.product,
        actor=actor,
        key=USAGE_KEY,
        name="Teams using on-call schedules",
        unit="teams",
        aggregation="last",
        target=Decimal(USAGE_TARGET),
        target_granularity="week",
        launch_plan=plan,
    )
    zone = plan.product.portfolio.zone
    days = []
    day = plan.launch_date
    while day < today and len(days) < len(USAGE_VALUES):
        days.append(day)
        day += timedelta(days=7)
    items = [
        {
            "observed_at": datetime.combine(day, time(18, 0), tzinfo=zone).isoformat(),
            "value": value,
            "external_id": f"demo-signals-{plan.id}-{day}",
        }
        for day, value in zip(days, USAGE_VALUES, strict=False)
    ]
    if items:
        measurements_ingest(kpi_id=kpi.id, items=items, actor=actor)
    return kpi, len(items)


def _sag(portfolio: Portfolio, actor, today: date) -> tuple[KPI | None, int]:
    """TeamBoard's weekly active users after Flowdesk's price cut: lower, day by day, to SAG_FLOOR."""
    move = (
        CompetitorMove.objects.filter(
            competitor__portfolio=portfolio,
            competitor__name=MOVE_COMPETITOR,
            kind=MOVE_KIND,
            products__name=MOVE_PRODUCT,
            happened_on__lt=today,
        )
        .order_by("-happened_on")
        .first()
    )
    kpi = KPI.objects.filter(product__portfolio=portfolio, product__name=MOVE_PRODUCT, key=MOVE_KPI).first()
    if move is None or kpi is None:
        return None, 0
    first = move.happened_on + timedelta(days=SAG_AFTER_DAYS)
    zone = portfolio.zone
    rows = Measurement.objects.filter(kpi=kpi, observed_at__date__gte=first - timedelta(days=1)).order_by("observed_at")
    items = []
    for observed_at, value, external_id in rows.values_list("observed_at", "value", "external_id"):
        day = observed_at.astimezone(zone).date()
        if day < first or not external_id:
            continue
        factor = max(SAG_FLOOR, 1 - SAG_PER_DAY * ((day - first).days + 1))
        items.append(
            {
                "observed_at": observed_at.isoformat(),
                "value": str((value * factor).quantize(Decimal("0.01"), ROUND_HALF_UP)),
                "external_id": external_id,
            }
        )
    if items:
        measurements_ingest(kpi_id=kpi.id, items=items, actor=actor)
    return kpi, len(items)


def seed_signals(*, portfolio: Portfolio, actor, today: date) -> dict[str, int]:
    """Give the demo the data behind one signal of each kind and run the detection. Returns {"kpis",
    "measurements", "adjusted", "signals" (open now)}; {} when the launch has its KPI already, or is missing."""
    plan = _plan(portfolio)
    if plan is None or KPI.objects.filter(product=plan.product, key=USAGE_KEY).exists():
        return {}
    with transaction.atomic():
        usage, measured = _usage(plan, actor, today)
        sagged, adjusted = _sag(portfolio, actor, today)
    # What the rollup worker does after commit, done here so the detection below reads the new rows even
    # when a worker would take its time (a recompute that finds its rows done does nothing).
    rollups_recompute_many(kpi_ids=[kpi.id for kpi in (usage, sagged) if kpi is not None])
    signals_refresh(portfolio_id=portfolio.id, today=today)
    opened = Signal.objects.filter(portfolio=portfolio, resolved_at__isnull=True).count()
    return {"kpis": 1, "measurements": measured, "adjusted": adjusted, "signals": opened}
