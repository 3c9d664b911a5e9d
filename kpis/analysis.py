"""Portfolio analysis: the products of a portfolio or product line by stage, their share of the revenue and its
trend, and the candidates to extend or to retire, each with the evidence behind it.

Definitions (the API, the page and its CSV say the same):

- Quarters are calendar quarters in the portfolio's time zone; a quarter is *complete* once today (there) is
  past it. Revenue is the `revenue` KPI of each product, read from its quarter rollups (kpis.models.Rollup,
  the KPI's own aggregation within the quarter); nothing is recomputed from measurements.
- `revenue`: the product's revenue over the last 4 complete quarters (the sum of the quarter rows it has
  there); null when it has none of them.
- `revenue_share`: that revenue in percent of the scope's (the portfolio's or the line's products with
  revenue data), rounded half up to 2 decimals; null without revenue data, or when the scope's revenue is 0.
- `revenue_trend`: the change in percent of the last complete quarter on the one before, rounded half up to
  2 decimals; null unless the product has both quarters and the earlier one is not 0.
- Retire (one flag per product): stage `decline`, its revenue fell in each of the last N complete quarters
  (N = `retire_falling_quarters`: N consecutive quarter-on-quarter drops, so N + 1 quarters with data, each
  lower than the one before) and no goal of the product has a period that holds today.
- Extend a segment: a segment of the portfolio whose `growth_pct` ≥ `extend_segment_min_growth_pct` and
  `priority` ≥ `extend_segment_min_priority` that no product serves (for a product line: no product of the
  line; the evidence counts the products of other lines that do).
- Extend a product: stage `growth`, and the feedback it received in the last 90 days (today and the 89
  days before) grew by ≥ `extend_demand_min_growth_pct` % on the 90 days before those, with at least one
  piece before; none before and at least 3 now counts as rising (the reason says so).

`portfolio_analysis` costs a fixed number of queries whatever the number of products, quarters, goals,
segments and feedback (the settings, the products, the revenue rows, the current goals, the segments, the
feedback counts). Evidence is plain JSON (numbers, strings, lists) a person can read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from kpis.models import Granularity, Rollup
from kpis.periods import next_period_start, period_start
from products.models import AnalysisSettings, Feedback, Goal, Portfolio, Product, ProductLine, Segment, Stage
from products.services.analysis_settings import analysis_settings_of

REVENUE_KEY = "revenue"
SHARE_QUARTERS = 4
DEMAND_WINDOW_DAYS = 90
DEMAND_FROM_NOTHING = 3  # pieces of feedback now, with none before, that count as rising
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
EXTEND, RETIRE = "extend", "retire"
KIND_CHOICES = [(EXTEND, "Candidate to extend"), (RETIRE, "Candidate to retire")]
BASIS_CHOICES = [
    ("segment", "A growing, high-priority segment no product serves"),
    ("demand", "A product in growth whose feedback rises"),
    ("revenue", "A product in decline whose revenue falls"),
]


def quarter_label(start: datetime.date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def _previous_quarter(start: datetime.date) -> datetime.date:
    return period_start(start - datetime.timedelta(days=1), Granularity.QUARTER)


def complete_quarters(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the last `count` complete quarters before the one holding `today`, oldest first."""
    starts = []
    start = period_start(today, Granularity.QUARTER)
    for _ in range(count):
        start = _previous_quarter(start)
        starts.append(start)
    return starts[::-1]


def percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * HUNDRED / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def change_pct(new: Decimal, old: Decimal) -> Decimal | None:
    """The change from `old` to `new` in percent of |old|, 2 decimals; None from 0."""
    if not old:
        return None
    return ((new - old) * HUNDRED / abs(old)).quantize(CENT, rounding=ROUND_HALF_UP)


def _number(value: Decimal | None):
    """A JSON number for the evidence: an int when whole, else a float of at most 2 decimals."""
    if value is None:
        return None
    value = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return int(value) if value == value.to_integral_value() else float(value)


def amount_text(value) -> str:
    """12,345 or 12,345.5: as a person reads an amount."""
    if value is None:
        return "—"
    value = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def pct_text(value) -> str:
    """+12.5 %, −3 %, 0 %."""
    if value is None:
        return "—"
    value = Decimal(str(value))
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return f"{sign}{format(abs(value).normalize(), 'f')} %"


@dataclass
class QuarterValue:
    start: datetime.date
    value: Decimal | None

    @property
    def label(self) -> str:
        return quarter_label(self.start)


@dataclass
class ProductFigures:
    product: Product
    revenue: Decimal | None = None
    revenue_share: Decimal | None = None
    revenue_trend: Decimal | None = None
    quarters: list[QuarterValue] = field(default_factory=list)  # the last 4 complete quarters
    values: dict = field(default_factory=dict)  # {quarter start: revenue} of every quarter read

    @property
    def id(self) -> int:
        return self.product.id

    @property
    def stage(self) -> str:
        return self.product.stage

    def as_dict(self) -> dict:
        line = self.product.product_line
        return {
            "id": self.product.id,
            "name": self.product.name,
            "product_line": line.id if line else None,
            "stage": self.product.stage,
            "revenue": self.revenue,
            "revenue_share": self.revenue_share,
            "revenue_trend": self.revenue_trend,
        }


@dataclass
class Flag:
    kind: str  # extend | retire
    reason: str
    evidence: dict
    product: Product | None = None
    segment: Segment | None = None
    basis: str = ""  # segment | demand | revenue: which rule raised it

    @property
    def name(self) -> str:
        return self.product.name if self.product else self.segment.name

    @property
    def url(self) -> str:
        if self.product:
            return reverse("product-page", args=[self.product.id])
        return reverse("segment-list", args=[self.segment.portfolio_id]) + f"#segment-{self.segment.id}"

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "basis": self.basis,
            "product": self.product.id if self.product else None,
            "segment": self.segment.id if self.segment else None,
            "name": self.name,
            "reason": self.reason,
            "evidence": self.evidence,
        }


@dataclass
class Analysis:
    portfolio: Portfolio
    product_line: ProductLine | None
    today: datetime.date
    settings: AnalysisSettings
    quarters: list[datetime.date]  # the last 4 complete quarters, oldest first
    read_quarters: list[datetime.date]  # every complete quarter read (4, or N + 1 for the retire rule)
    total_revenue: Decimal | None
    products: list[ProductFigures]
    flags: list[Flag]

    @property
    def extend_flags(self) -> list[Flag]:
        return [flag for flag in self.flags if flag.kind == EXTEND]

    @property
    def retire_flags(self) -> list[Flag]:
        return [flag for flag in self.flags if flag.kind == RETIRE]

    def as_dict(self) -> dict:
        return {
            "portfolio": self.portfolio.id,
            "product_line": self.product_line.id if self.product_line else None,
            "as_of": self.today,
            "quarters": [quarter_label(start) for start in self.quarters],
            "total_revenue": self.total_revenue,
            "settings": {name: getattr(self.settings, name) for name in SETTINGS_SHOWN},
            "products": [figures.as_dict() for figures in self.products],
            "flags": [flag.as_dict() for flag in self.flags],
        }


SETTINGS_SHOWN = (
    "retire_falling_quarters",
    "extend_segment_min_growth_pct",
    "extend_segment_min_priority",
    "extend_demand_min_growth_pct",
)


def empty_answer() -> dict:
    """The answer for a scope the requester cannot see (as an unknown one): nothing, no existence oracle."""
    return {"products": [], "flags": []}


# --- the reads: a fixed number of queries -------------------------------------------------------------


def _scope(portfolio: Portfolio, product_line: ProductLine | None):
    products = Product.objects.filter(portfolio=portfolio)
    return products.filter(product_line=product_line) if product_line is not None else products


def _revenue_rows(scope, first: datetime.date, last_start: datetime.date) -> dict[int, dict[datetime.date, Decimal]]:
    rows = Rollup.objects.filter(
        kpi__product__in=scope,
        kpi__key=REVENUE_KEY,
        granularity=Granularity.QUARTER,
        period_start__gte=first,
        period_start__lte=last_start,
    ).values_list("kpi__product_id", "period_start", "value")
    found: dict[int, dict[datetime.date, Decimal]] = {}
    for product_id, start, value in rows:
        found.setdefault(product_id, {})[start] = value
    return found


def _with_current_goal(scope, today: datetime.date) -> set[int]:
    return set(
        Goal.objects.filter(product__in=scope, period_start__lte=today, period_end__gte=today)
        .values_list("product_id", flat=True)
        .distinct()
    )


def _segments(portfolio: Portfolio, product_line: ProductLine | None, settings: AnalysisSettings):
    """Segments at or above both thresholds, with how many products serve them (in scope and in all)."""
    in_scope = Q(products__product_line=product_line) if product_line is not None else Q(products__isnull=False)
    return list(
        Segment.objects.filter(
            portfolio=portfolio,
            growth_pct__isnull=False,
            growth_pct__gte=settings.extend_segment_min_growth_pct,
            priority__gte=settings.extend_segment_min_priority,
        )
        .annotate(
            serving=Count("products", filter=in_scope, distinct=True), serving_all=Count("products", distinct=True)
        )
        .order_by("-priority", "-growth_pct", "name", "id")
    )


def demand_windows(
    today: datetime.date,
) -> tuple[tuple[datetime.date, datetime.date], tuple[datetime.date, datetime.date]]:
    """(recent, previous): the last 90 days (today included) and the 90 days before them."""
    recent = (today - datetime.timedelta(days=DEMAND_WINDOW_DAYS - 1), today)
    previous = (
        today - datetime.timedelta(days=2 * DEMAND_WINDOW_DAYS - 1),
        today - datetime.timedelta(days=DEMAND_WINDOW_DAYS),
    )
    return recent, previous


def _feedback_counts(scope, today: datetime.date) -> dict[int, tuple[int, int]]:
    """{product id: (recent, previous)} for the products of the scope in growth."""
    recent, previous = demand_windows(today)
    rows = (
        Feedback.objects.filter(
            product__in=scope.filter(stage=Stage.GROWTH), received_on__gte=previous[0], received_on__lte=recent[1]
        )
        .order_by()
        .values("product_id")
        .annotate(
            recent=Count("id", filter=Q(received_on__gte=recent[0])),
            previous=Count("id", filter=Q(received_on__lte=previous[1])),
        )
        .values_list("product_id", "recent", "previous")
    )
    return {product_id: (now, before) for product_id, now, before in rows}


# --- the rules ----------------------------------------------------------------------------------------


def falling_window(values: dict, quarters: list, falling: int) -> list[tuple[datetime.date, Decimal]] | None:
    """The last `falling` + 1 complete quarters with their revenue when each is lower than the one before;
    None when one of them has no data or any did not fall."""
    window = quarters[-(falling + 1) :]
    series = [values.get(start) for start in window]
    if len(window) < falling + 1 or any(value is None for value in series):
        return None
    if not all(later < earlier for earlier, later in zip(series, series[1:], strict=False)):
        return None
    return list(zip(window, series, strict=True))


def _retire_flag(figures: ProductFigures, quarters: list, falling: int, goal_held: bool) -> Flag | None:
    if figures.product.stage != Stage.DECLINE or goal_held:
        return None
    found = falling_window(figures.values, quarters, falling)
    if found is None:
        return None
    window = [start for start, _ in found]
    series = [value for _, value in found]
    rows = []
    for index, (start, value) in enumerate(zip(window, series, strict=True)):
        rows.append(
            {
                "quarter": quarter_label(start),
                "period_start": start.isoformat(),
                "revenue": _number(value),
                "change_pct": _number(change_pct(value, series[index - 1])) if index else None,
            }
        )
    overall = change_pct(series[-1], series[0])
    fell = "in the last complete quarter" if falling == 1 else f"in each of the last {falling} complete quarters"
    reason = (
        f"{figures.product.name} is in decline and its revenue fell {fell} "
        f"(from {amount_text(series[0])} in {quarter_label(window[0])} to {amount_text(series[-1])} in "
        f"{quarter_label(window[-1])}, {pct_text(overall)}); no goal of it runs today."
    )
    evidence = {
        "stage": figures.product.stage,
        "falling_quarters": falling,
        "quarters": rows,
        "change_pct": _number(overall),
        "goals_running_today": 0,
    }
    return Flag(kind=RETIRE, basis="revenue", product=figures.product, reason=reason, evidence=evidence)


def _segment_flag(segment: Segment, settings: AnalysisSettings, product_line: ProductLine | None) -> Flag | None:
    if segment.serving:
        return None
    elsewhere = segment.serving_all - segment.serving
    if product_line is not None:
        nobody = f"no product of the {product_line.name} line serves it"
        if elsewhere:
            nobody += f" ({elsewhere} product{'' if elsewhere == 1 else 's'} of other lines do)"
    else:
        nobody = "no product of the portfolio serves it"
    reason = (
        f"{segment.name} grows {pct_text(segment.growth_pct).lstrip('+')} a year at priority {segment.priority} "
        f"of 5, and {nobody}."
    )
    evidence = {
        "growth_pct": _number(segment.growth_pct),
        "min_growth_pct": _number(settings.extend_segment_min_growth_pct),
        "priority": segment.priority,
        "min_priority": settings.extend_segment_min_priority,
        "size": segment.size,
        "products_serving": 0,
        "products_serving_elsewhere": elsewhere if product_line is not None else 0,
    }
    return Flag(kind=EXTEND, basis="segment", segment=segment, reason=reason, evidence=evidence)


def _demand_flag(product: Product, counts: tuple[int, int], settings: AnalysisSettings, today) -> Flag | None:
    if product.stage != Stage.GROWTH:
        return None
    now, before = counts
    threshold = settings.extend_demand_min_growth_pct
    recent, previous = demand_windows(today)
    growth = None
    if before:
        exact = Decimal(now - before) * HUNDRED / Decimal(before)
        if exact < threshold:
            return None
        growth = exact.quantize(CENT, rounding=ROUND_HALF_UP)
        reason = (
            f"{product.name} is in growth and its feedback rose from {before} to {now} "
            f"({pct_text(growth)}) in the last 90 days on the 90 before, at least {pct_text(threshold).lstrip('+')}."
        )
        note = ""
    elif now >= DEMAND_FROM_NOTHING:
        note = (
            f"No feedback in the 90 days before and {now} now: counted as rising "
            f"({DEMAND_FROM_NOTHING} or more after none)."
        )
        reason = (
            f"{product.name} is in growth and received {now} pieces of feedback in the last 90 days after none "
            "in the 90 before: counted as rising."
        )
    else:
        return None
    evidence = {
        "stage": product.stage,
        "window_days": DEMAND_WINDOW_DAYS,
        "recent": {"from": recent[0].isoformat(), "to": recent[1].isoformat(), "feedback": now},
        "previous": {"from": previous[0].isoformat(), "to": previous[1].isoformat(), "feedback": before},
        "growth_pct": _number(growth),
        "min_growth_pct": _number(threshold),
        "note": note,
    }
    return Flag(kind=EXTEND, basis="demand", product=product, reason=reason, evidence=evidence)


def portfolio_analysis(
    *, portfolio: Portfolio, product_line: ProductLine | None = None, today: datetime.date | None = None
) -> Analysis:
    """The analysis of a portfolio, or of one of its product lines (`product_line` of `portfolio`).

    `today` defaults to today in the portfolio's time zone. Reads only, but the portfolio's thresholds are
    made with their defaults the first time they are read (products.services.analysis_settings)."""
    if product_line is not None and product_line.portfolio_id != portfolio.id:
        raise ValueError("the product line is not of this portfolio")
    today = today or timezone.localdate(timezone=portfolio.zone)
    settings = analysis_settings_of(portfolio)
    falling = settings.retire_falling_quarters
    quarters = complete_quarters(today, max(SHARE_QUARTERS, falling + 1))
    share_quarters = quarters[-SHARE_QUARTERS:]
    scope = _scope(portfolio, product_line)

    products = sorted(scope.select_related("product_line"), key=lambda p: (Stage.order(p.stage), p.name.lower(), p.id))
    revenue = _revenue_rows(scope, quarters[0], quarters[-1])
    goal_held = _with_current_goal(scope, today)
    segments = _segments(portfolio, product_line, settings)
    demand = _feedback_counts(scope, today)

    figures_list = []
    for product in products:
        values = revenue.get(product.id, {})
        held = [values[start] for start in share_quarters if start in values]
        figures = ProductFigures(
            product=product,
            revenue=sum(held, Decimal(0)) if held else None,
            quarters=[QuarterValue(start, values.get(start)) for start in share_quarters],
            values=values,
        )
        last, before = values.get(quarters[-1]), values.get(quarters[-2])
        if last is not None and before is not None:
            figures.revenue_trend = change_pct(last, before)
        figures_list.append(figures)
    with_revenue = [figures.revenue for figures in figures_list if figures.revenue is not None]
    total = sum(with_revenue, Decimal(0)) if with_revenue else None
    for figures in figures_list:
        if figures.revenue is not None and total:
            figures.revenue_share = percent(figures.revenue, total)

    flags: list[Flag] = []
    for segment in segments:
        if flag := _segment_flag(segment, settings, product_line):
            flags.append(flag)
    for figures in figures_list:
        if figures.product.id in demand and (
            flag := _demand_flag(figures.product, demand[figures.product.id], settings, today)
        ):
            flags.append(flag)
    for figures in figures_list:
        if flag := _retire_flag(figures, quarters, falling, figures.product.id in goal_held):
            flags.append(flag)

    return Analysis(
        portfolio=portfolio,
        product_line=product_line,
        today=today,
        settings=settings,
        quarters=share_quarters,
        read_quarters=quarters,
        total_revenue=total,
        products=figures_list,
        flags=flags,
    )


# --- CSV ----------------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "id",
    "product",
    "product_line",
    "stage",
    "revenue_last_4_quarters",
    "revenue_share_pct",
    "revenue_trend_pct",
]


def csv_rows(analysis: Analysis):
    for figures in analysis.products:
        line = figures.product.product_line
        yield [
            figures.product.id,
            figures.product.name,
            line.name if line else "",
            figures.product.stage,
            figures.revenue,
            figures.revenue_share,
            figures.revenue_trend,
        ]


def quarter_end(start: datetime.date) -> datetime.date:
    return next_period_start(start, Granularity.QUARTER) - datetime.timedelta(days=1)
