"""What a launch did to its product's KPIs, and what its campaigns cost and brought.

Figures for the launch plan's KPI panel (kpis.launch_panels) and the shared PM + marketing view of one
launch (kpis.launch_views), read from rollups in a fixed number of queries whatever the number of KPIs
and campaigns:

- **Before and after launch day**, on weekly rollups: the weeks that end before launch day are
  "before", the weeks that start on or after it "after"; a week holding launch day on a Tuesday is
  neither (it is half of each). Each side is the mean of its complete weeks' values (the week in
  progress and a partly covered first week are left out), and the change is after against before.
- **A campaign's marketing figures**, from its KPIs: keys are unique per product, so a campaign's KPI
  plays a role by its key: `leads`, `revenue` (attributed) and `conversion_rate`, or a key that starts
  or ends with one of them (`eclipse_leads`, `leads_eclipse`). Each KPI counts with its value over all
  its measurements (per its aggregation: the sum for a sum KPI). Cost per lead = spend ÷ leads;
  ROI = (revenue − spend) ÷ spend. A figure that cannot be computed says why ("no data", "no spend").
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from gtm.models import Campaign, LaunchPlan
from kpis.health import rollup_row
from kpis.models import KPI, Aggregation, Direction, Rollup
from kpis.periods import period_start
from kpis.selectors import current_period_start, first_measured_days

WINDOW_WEEKS = (4, 8, 13)
DEFAULT_WEEKS = 8
WEEK = timedelta(days=7)

# Campaign KPI roles, by key; checked in this order (a key naming two roles takes the first).
ROLES = (("conversion", "conversion_rate"), ("leads", "leads"), ("revenue", "revenue"))
# The product's adoption and revenue KPIs come first on the launch view, in this order after the headline.
ADOPTION_KEYS = (
    "weekly_active_users",
    "active_users",
    "daily_active_users",
    "monthly_active_users",
    "signups",
    "sign_ups",
    "activations",
    "revenue",
)
NO_DATA = "no data"
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def key_role(key: str) -> str | None:
    """The role a campaign KPI's key gives it: "leads", "revenue", "conversion" or None."""
    for role, name in ROLES:
        if key == name or key.startswith(f"{name}_") or key.endswith(f"_{name}"):
            return role
    return None


# --- values over all measurements -------------------------------------------------------------------


def overall_values(kpis) -> dict[int, Decimal | None]:
    """Each KPI's value over all its measurements, per its aggregation (sum: the total; avg: the mean of
    every measurement; last: the latest; min/max): one query on the year rollups, which hold every
    measurement once. None for a KPI without measurements."""
    kpis = list(kpis)
    if not kpis:
        return {}
    rows = (
        Rollup.objects.filter(kpi__in=kpis, granularity="year")
        .order_by("kpi_id", "period_start")
        .values_list("kpi_id", "value", "count", "total", "minimum", "maximum", "last_value")
    )
    years = defaultdict(list)
    for kpi_id, *numbers in rows:
        years[kpi_id].append(numbers)
    values: dict[int, Decimal | None] = {}
    for kpi in kpis:
        values[kpi.id] = _combine(kpi.aggregation, years[kpi.id]) if years[kpi.id] else None
    return values


def _combine(aggregation: str, rows: list) -> Decimal:
    total = sum((row[2] for row in rows), Decimal(0))
    count = sum(row[1] for row in rows)
    if aggregation == Aggregation.SUM:
        return total
    if aggregation == Aggregation.AVG:
        return (total / count).quantize(Decimal("0.000001"), ROUND_HALF_UP) if count else Decimal(0)
    if aggregation == Aggregation.MIN:
        return min(row[3] for row in rows)
    if aggregation == Aggregation.MAX:
        return max(row[4] for row in rows)
    last = rows[-1]
    return last[5] if last[5] is not None else last[0]


# --- a campaign's marketing figures -----------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A number, or why there is none (`note`)."""

    value: Decimal | None
    note: str = ""

    @property
    def known(self) -> bool:
        return self.value is not None


def cost_per_lead(*, spend: Decimal | None, leads: Decimal | None) -> Figure:
    """spend ÷ leads. `leads` None: no leads KPI or no measurements ("no data"); 0 leads: "no leads"."""
    if leads is None or spend is None:
        return Figure(None, NO_DATA)
    if leads == 0:
        return Figure(None, "no leads")
    return Figure(Decimal(spend) / Decimal(leads))


def return_on_investment(*, revenue: Decimal | None, spend: Decimal | None) -> Figure:
    """(revenue − spend) ÷ spend. No revenue KPI or no measurements: "no data"; nothing spent: "no spend"."""
    if revenue is None or spend is None:
        return Figure(None, NO_DATA)
    if spend == 0:
        return Figure(None, "no spend")
    return Figure((Decimal(revenue) - Decimal(spend)) / Decimal(spend))


@dataclass
class CampaignFigures:
    campaign: Campaign
    kpis: list[KPI] = field(default_factory=list)
    leads: Figure = Figure(None, NO_DATA)
    revenue: Figure = Figure(None, NO_DATA)
    conversion: Figure = Figure(None, NO_DATA)
    conversion_unit: str = ""
    cost_per_lead: Figure = Figure(None, NO_DATA)
    roi: Figure = Figure(None, NO_DATA)


def campaign_figures(campaigns, kpis, values: dict[int, Decimal | None]) -> list[CampaignFigures]:
    """Each campaign's KPIs and marketing figures, from its KPIs (`kpis`, any of them; those of other
    campaigns are ignored) and their overall values (`overall_values`). No query."""
    by_campaign: dict[int, list[KPI]] = defaultdict(list)
    for kpi in kpis:
        if kpi.campaign_id:
            by_campaign[kpi.campaign_id].append(kpi)
    figures = []
    for campaign in campaigns:
        mine = by_campaign.get(campaign.id, [])
        roles: dict[str, KPI] = {}
        for kpi in sorted(mine, key=lambda k: (len(k.key), k.id)):  # the plainest key wins a role
            role = key_role(kpi.key)
            if role is not None:
                roles.setdefault(role, kpi)

        leads, revenue, conversion = (
            values.get(roles[role].id) if role in roles else None for role in ("leads", "revenue", "conversion")
        )
        figures.append(
            CampaignFigures(
                campaign=campaign,
                kpis=mine,
                leads=Figure(leads, "" if leads is not None else NO_DATA),
                revenue=Figure(revenue, "" if revenue is not None else NO_DATA),
                conversion=Figure(conversion, "" if conversion is not None else NO_DATA),
                conversion_unit=roles["conversion"].unit if "conversion" in roles else "",
                cost_per_lead=cost_per_lead(spend=campaign.spend, leads=leads),
                roi=return_on_investment(revenue=revenue, spend=campaign.spend),
            )
        )
    return figures


@dataclass
class CampaignTotals:
    count: int
    budget: Decimal
    spend: Decimal
    leads: Figure
    cost_per_lead: Figure
    roi: Figure
    with_revenue: int  # campaigns whose ROI is known (a revenue KPI with data, something spent)


def campaign_totals(figures: list[CampaignFigures]) -> CampaignTotals:
    """Budget and spend of all the campaigns; cost per lead and ROI over the campaigns that can give them
    (those with leads, those with attributed revenue), so a campaign without a revenue KPI does not
    count as a loss."""
    budget = sum((f.campaign.budget for f in figures), Decimal(0))
    spend = sum((f.campaign.spend for f in figures), Decimal(0))
    with_leads = [f for f in figures if f.leads.known]
    leads = sum((f.leads.value for f in with_leads), Decimal(0)) if with_leads else None
    lead_spend = sum((f.campaign.spend for f in with_leads), Decimal(0))
    with_revenue = [f for f in figures if f.revenue.known]
    revenue = sum((f.revenue.value for f in with_revenue), Decimal(0)) if with_revenue else None
    revenue_spend = sum((f.campaign.spend for f in with_revenue), Decimal(0))
    return CampaignTotals(
        count=len(figures),
        budget=budget,
        spend=spend,
        leads=Figure(leads, "" if leads is not None else NO_DATA),
        cost_per_lead=cost_per_lead(spend=lead_spend, leads=leads),
        roi=return_on_investment(revenue=revenue, spend=revenue_spend),
        with_revenue=len([f for f in figures if f.roi.known]),
    )


# --- the KPIs of a launch ---------------------------------------------------------------------------


def plan_kpis(plan: LaunchPlan) -> list[KPI]:
    """The KPIs of the plan and of its campaigns (a campaign's KPI may name no plan): one query."""
    return list(
        KPI.objects.filter(Q(launch_plan=plan) | Q(campaign__launch_plan=plan))
        .select_related("campaign")
        .order_by("campaign__start_date", "campaign_id", "-headline", "name", "id")
    )


def product_kpis_for_launch(plan: LaunchPlan) -> list[KPI]:
    """The product's KPIs a launch moves: those without a campaign, of the whole product or of this
    plan (another launch's KPIs are that launch's). Headline first, then adoption and revenue keys,
    then the rest by name: one query."""
    kpis = KPI.objects.filter(product_id=plan.product_id, campaign__isnull=True).filter(
        Q(launch_plan__isnull=True) | Q(launch_plan=plan)
    )
    rank = {key: index for index, key in enumerate(ADOPTION_KEYS)}
    return sorted(kpis, key=lambda k: (not k.headline, rank.get(k.key, len(rank)), k.name.lower(), k.id))


def currency_of(kpis) -> str:
    """The currency the product's money is in, from a revenue KPI's unit (EUR → €); "" when none says."""
    for kpi in kpis:
        unit = (kpi.unit or "").strip()
        if key_role(kpi.key) == "revenue" and unit:
            if unit.upper() in CURRENCY_SYMBOLS:
                return CURRENCY_SYMBOLS[unit.upper()]
            if len(unit) == 3 and unit.isalpha() and unit.isupper():
                return f"{unit} "
            if unit in CURRENCY_SYMBOLS.values():
                return unit
    return ""


# --- before and after launch day --------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The weeks around a launch day: `weeks` before it and `weeks` after it, and the week holding it
    when launch day is not a Monday (`straddle`, in neither)."""

    launch_date: date
    weeks: int

    @property
    def launch_week(self) -> date:
        return period_start(self.launch_date, "week")

    @property
    def straddle(self) -> date | None:
        return None if self.launch_week == self.launch_date else self.launch_week

    @property
    def first_after(self) -> date:
        return self.launch_week if self.straddle is None else self.launch_week + WEEK

    @property
    def before(self) -> list[date]:
        return [self.launch_week - WEEK * n for n in range(self.weeks, 0, -1)]

    @property
    def after(self) -> list[date]:
        return [self.first_after + WEEK * n for n in range(self.weeks)]

    @property
    def all_weeks(self) -> list[date]:
        return [*self.before, *([self.straddle] if self.straddle else []), *self.after]


@dataclass
class Comparison:
    kpi: KPI
    rows: list[dict]  # the weekly rollup rows of the window (rollup_row shape), oldest first
    before: Decimal | None
    after: Decimal | None
    before_weeks: int  # complete weeks with a value on each side
    after_weeks: int

    @property
    def change_pct(self) -> Decimal | None:
        if self.before is None or self.after is None or self.before == 0:
            return None
        return ((self.after - self.before) / abs(self.before) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def improved(self) -> bool | None:
        """Did the KPI move the right way (per its direction)? None without a change."""
        change = self.change_pct
        if change is None or change == 0:
            return None
        return (change > 0) == (self.kpi.direction == Direction.HIGHER)


UNJUDGED = ("in_progress", "partial")


def mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.000001"), ROUND_HALF_UP)


def before_after(kpis, window: Window, *, zone, today: date | None = None) -> dict[int, Comparison]:
    """{kpi_id: Comparison} over the window's weeks: two queries for any number of KPIs (the rows, the
    KPIs' first measured days). `zone`: the portfolio's, for the week in progress."""
    kpis = list(kpis)
    if not kpis:
        return {}
    weeks = window.all_weeks
    rows = (
        Rollup.objects.filter(kpi__in=kpis, granularity="week", period_start__gte=weeks[0], period_start__lte=weeks[-1])
        .order_by("kpi_id", "period_start")
        .values_list("kpi_id", "period_start", "value", "count")
    )
    by_kpi = defaultdict(list)
    for kpi_id, start, value, count in rows:
        by_kpi[kpi_id].append((start, value, count))
    first_days = first_measured_days(kpis)
    current = current_period_start(zone, "week", today)
    before, after = set(window.before), set(window.after)
    comparisons = {}
    for kpi in kpis:
        series = [
            rollup_row(kpi, "week", start, value, count, current=current, first_day=first_days.get(kpi.id))
            for start, value, count in by_kpi[kpi.id]
        ]
        judged = [row for row in series if row["health"] not in UNJUDGED]
        before_values = [row["value"] for row in judged if row["period_start"] in before]
        after_values = [row["value"] for row in judged if row["period_start"] in after]
        comparisons[kpi.id] = Comparison(
            kpi=kpi,
            rows=series,
            before=mean(before_values),
            after=mean(after_values),
            before_weeks=len(before_values),
            after_weeks=len(after_values),
        )
    return comparisons
