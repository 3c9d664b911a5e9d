"""Campaign money: the campaign reads with remaining budget, budget vs spend grouped by quarter or launch
plan (one aggregate query each), the chart of it and the CSV of campaigns.

A campaign counts in the quarter of its `start_date` (the contract's rule for budget actuals). Spend
above budget is allowed (it happens) and flagged: `over` on a row, a warning colour and a text marker
in the chart.

The chart is a server-rendered SVG (readable without JavaScript, no inline style: presentation
attributes and classes styled in static/css/campaigns.css) with its numbers in a table. Other pages
use it as

    budget_chart = gtm.budget.budget_chart(<campaign queryset>, group="campaign" | "quarter" | "launch_plan")
    {% include "gtm/_budget_chart.html" with chart=budget_chart %}
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from gtm.models import Campaign
from pmflow.access import READ, WRITE, object_for_user, queryset_for_user
from pmflow.forms import csv_cell

GROUPS = ("campaign", "quarter", "launch_plan")
# Sums of many 14-digit amounts need more digits than one column.
TOTAL = DecimalField(max_digits=24, decimal_places=2)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


# --- reads ---------------------------------------------------------------------------------------------


def campaigns(queryset: QuerySet | None = None) -> QuerySet:
    """Campaigns with product, launch plan, segment and owner joined and `remaining` (budget − spend)."""
    queryset = Campaign.objects.all() if queryset is None else queryset
    return queryset.select_related("product", "product__portfolio", "launch_plan", "segment", "owner").annotate(
        remaining=F("budget") - F("spend")
    )


def campaign_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, campaigns())


def campaign_for_user(user, campaign_id, *, write: bool = False, action: str | None = None) -> Campaign:
    """One campaign of the user's portfolios (NotFound for missing and foreign alike; NotAllowed for a
    role that may not `write`)."""
    return object_for_user(user, campaigns(), campaign_id, action=action or (WRITE if write else READ))


# --- budget vs spend -----------------------------------------------------------------------------------


@dataclass
class BudgetRow:
    """Budget and spend of one group: a quarter, a launch plan (None: campaigns without one) or a campaign."""

    key: object
    label: str
    budget: Decimal = ZERO
    spend: Decimal = ZERO
    campaigns: int = 0
    url: str = ""
    year: int | None = None
    quarter: int | None = None
    launch_plan: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spend

    @property
    def over(self) -> bool:
        return self.spend > self.budget

    @property
    def over_by(self) -> Decimal:
        return max(self.spend - self.budget, ZERO)

    @property
    def spent_percent(self) -> int | None:
        """Spend as a whole percentage of budget (None without a budget)."""
        return int(self.spend * 100 / self.budget) if self.budget else None

    def as_dict(self) -> dict:
        return {
            "budget": self.budget,
            "spend": self.spend,
            "remaining": self.remaining,
            "over_budget": self.over,
            "campaigns": self.campaigns,
        }


def _money(value) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(CENT)


def _sums():
    return {
        "budget_sum": Coalesce(Sum("budget", output_field=TOTAL), Value(ZERO), output_field=TOTAL),
        "spend_sum": Coalesce(Sum("spend", output_field=TOTAL), Value(ZERO), output_field=TOTAL),
        "count": Count("id"),
    }


def quarter_label(year: int, quarter: int) -> str:
    return f"Q{quarter} {year}"


def budget_vs_spend(campaigns: QuerySet, *, by: str, year: int | None = None) -> list[BudgetRow]:
    """Budget and spend of `campaigns` per group, in one aggregate query.

    `by="quarter"`: per quarter of each campaign's start date, in date order; with `year`, only the
    campaigns starting that year and always its four quarters (empty ones at zero). `by="launch_plan"`:
    per launch plan by launch date, then the campaigns without a plan ("No launch plan").
    """
    base = campaigns.order_by()
    if year is not None:
        base = base.filter(start_date__year=year)
    if by == "quarter":
        rows = (
            base.annotate(year=ExtractYear("start_date"), quarter=ExtractQuarter("start_date"))
            .values("year", "quarter")
            .annotate(**_sums())
            .order_by("year", "quarter")
        )
        found = {
            (row["year"], row["quarter"]): BudgetRow(
                key=f"{row['year']}-Q{row['quarter']}",
                label=quarter_label(row["year"], row["quarter"]),
                budget=_money(row["budget_sum"]),
                spend=_money(row["spend_sum"]),
                campaigns=row["count"],
                year=row["year"],
                quarter=row["quarter"],
            )
            for row in rows
        }
        if year is None:
            return list(found.values())
        return [
            found.get((year, q)) or BudgetRow(key=f"{year}-Q{q}", label=quarter_label(year, q), year=year, quarter=q)
            for q in (1, 2, 3, 4)
        ]
    if by == "launch_plan":
        rows = (
            base.values("launch_plan_id", "launch_plan__name", "launch_plan__launch_date")
            .annotate(**_sums())
            .order_by(F("launch_plan__launch_date").asc(nulls_last=True), "launch_plan__name", "launch_plan_id")
        )
        result = []
        for row in rows:
            plan_id = row["launch_plan_id"]
            result.append(
                BudgetRow(
                    key=plan_id,
                    label=row["launch_plan__name"] if plan_id else "No launch plan",
                    budget=_money(row["budget_sum"]),
                    spend=_money(row["spend_sum"]),
                    campaigns=row["count"],
                    launch_plan=plan_id,
                    url=_url("launch-plan-page", plan_id) if plan_id else "",
                    extra={"launch_date": row["launch_plan__launch_date"]},
                )
            )
        return result
    raise ValueError(f"group budget by quarter or launch_plan, not {by!r}")


def budget_of_campaigns(campaigns: QuerySet, *, year: int | None = None) -> list[BudgetRow]:
    """One row per campaign, by start date (one query)."""
    base = campaigns.order_by("start_date", "name", "id")
    if year is not None:
        base = base.filter(start_date__year=year)
    return [
        BudgetRow(
            key=row["id"],
            label=row["name"],
            budget=_money(row["budget"]),
            spend=_money(row["spend"]),
            campaigns=1,
            url=_url("campaign-page", row["id"]),
            launch_plan=row["launch_plan_id"],
        )
        for row in base.values("id", "name", "budget", "spend", "launch_plan_id")
    ]


def totals(rows: list[BudgetRow], label: str = "Total") -> BudgetRow:
    return BudgetRow(
        key="total",
        label=label,
        budget=sum((r.budget for r in rows), ZERO),
        spend=sum((r.spend for r in rows), ZERO),
        campaigns=sum(r.campaigns for r in rows),
    )


def _url(name: str, pk) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:  # a page another area has not built yet
        return ""


# --- numbers as people read them ----------------------------------------------------------------------


def money_text(value) -> str:
    """12,000 · 1,234.50 · −300 (whole amounts without cents)."""
    value = Decimal(value)
    sign = "−" if value < 0 else ""
    value = abs(value)
    if value == value.to_integral_value():
        return f"{sign}{value.quantize(Decimal(1)):,f}"
    return f"{sign}{value.quantize(CENT):,f}"


def short_money(value) -> str:
    """Axis ticks: 0 · 500 · 2.5k · 1.2M · 3B."""
    value = Decimal(value)
    for size, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "k")):
        if abs(value) >= size:
            text = f"{(value / size).quantize(Decimal('0.1')):f}".removesuffix(".0")
            return text + suffix
    return money_text(value)


def nice_ticks(high: Decimal, count: int = 5) -> list[Decimal]:
    """0 … a round top at or above `high`, in steps of 1, 2 or 5 × 10ⁿ (about `count` ticks)."""
    high = Decimal(high)
    if high <= 0:
        return [Decimal(0), Decimal(1)]
    rough = high / (count - 1)
    exponent = rough.adjusted()
    for factor in (1, 2, 5, 10):
        step = Decimal(factor).scaleb(exponent)
        if step >= rough:
            break
    top = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    return [step * i for i in range(int(top / step) + 1)]


# --- the chart ----------------------------------------------------------------------------------------

BUDGET_COLOUR = "#b9c6ea"
SPEND_COLOUR = "#3558d6"
OVER_COLOUR = "#c2410c"  # spend above budget
MARKER = "▲"


@dataclass(frozen=True)
class Size:
    """One rendering; the chart-frame's container queries (static/css/pmflow.css) show the one that fits."""

    css_class: str
    width: int
    label_width: int  # 0: labels above the bars (a phone)
    font: int = 13

    @property
    def char(self) -> float:
        return self.font * 0.6


# The regular one carries class "chart", the fallback where container queries are not supported. The wide
# one is narrower than the KPI charts' (bars need no long time axis), so its text is not drawn small.
SIZES = (Size("chart-compact", 360, 0, font=14), Size("chart", 640, 190), Size("chart-wide", 920, 260, font=14))
BAR = 12
BAR_GAP = 3


@dataclass
class BudgetChart:
    """What templates/gtm/_budget_chart.html renders."""

    title: str
    group: str
    rows: list[BudgetRow]
    total: BudgetRow
    svgs: list[SafeString]
    year: int | None = None
    empty_text: str = ""
    chart_id: str = ""
    summary: bool = True  # the totals in the caption (off where the page shows them already)

    @property
    def over_rows(self) -> list[BudgetRow]:
        return [row for row in self.rows if row.over]

    @property
    def has_money(self) -> bool:
        return any(row.budget or row.spend for row in self.rows)

    @property
    def group_label(self) -> str:
        return {"campaign": "Campaign", "quarter": "Quarter", "launch_plan": "Launch plan"}[self.group]


_ids = itertools.count(1)

GROUP_TITLES = {
    "campaign": "Budget vs spend per campaign",
    "quarter": "Budget vs spend per quarter",
    "launch_plan": "Budget vs spend per launch plan",
}


def budget_chart(
    campaigns: QuerySet,
    *,
    group: str = "campaign",
    year: int | None = None,
    title: str = "",
    empty_text: str = "",
    summary: bool = True,
) -> BudgetChart:
    """The chart context of `campaigns` (a Campaign queryset, already narrowed to what the page shows)
    grouped per campaign, per quarter of the start date or per launch plan; `year` keeps the campaigns
    starting that year (and, per quarter, shows its four quarters). One query."""
    if group not in GROUPS:
        raise ValueError(f"group is one of {', '.join(GROUPS)}, not {group!r}")
    if group == "campaign":
        rows = budget_of_campaigns(campaigns, year=year)
    else:
        rows = budget_vs_spend(campaigns, by=group, year=year)
    title = title or GROUP_TITLES[group] + (f", {year}" if year else "")
    chart_id = f"budget-chart-{next(_ids)}"
    chart = BudgetChart(
        title=title,
        group=group,
        rows=rows,
        total=totals(rows),
        svgs=[],
        year=year,
        empty_text=empty_text or ("No campaigns start in " + str(year) + "." if year else "No campaigns yet."),
        chart_id=chart_id,
        summary=summary,
    )
    if chart.total.campaigns:
        chart.svgs = [_svg(chart, size) for size in SIZES]
    return chart


def _truncate(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)].rstrip() + "…"


def _row_title(row: BudgetRow) -> str:
    words = f"{row.label}: budget {money_text(row.budget)}, spend {money_text(row.spend)}"
    if row.over:
        return words + f", over budget by {money_text(row.over_by)}"
    return words + f", {money_text(row.remaining)} remaining"


def _marker(row: BudgetRow) -> str:
    return f"{MARKER} over by {short_money(row.over_by)}" if row.over else ""


def _svg(chart: BudgetChart, size: Size) -> SafeString:
    """Horizontal bars: per group a budget bar and a spend bar under it, on one money axis."""
    font, char = size.font, size.char
    top = max(max(row.budget, row.spend) for row in chart.rows)
    ticks = nice_ticks(top)
    axis_max = ticks[-1]
    value_width = max(len(money_text(max(row.budget, row.spend))) for row in chart.rows) * char + 10
    # The label column as wide as the longest label needs, up to the size's column.
    longest = max(max(len(row.label), len(_marker(row))) for row in chart.rows)
    label_width = min(size.label_width, int(max(longest, 10) * char) + 8) if size.label_width else 0
    size = Size(size.css_class, size.width, label_width, size.font)
    plot_left = size.label_width + 8 if size.label_width else 4
    plot_right = size.width - value_width - 4
    plot_width = max(plot_right - plot_left, 40)
    label_line = font + 5 if not size.label_width else 0
    row_height = label_line + 2 * BAR + BAR_GAP + 14
    height_rows = row_height * len(chart.rows)
    axis_top = 6
    axis_bottom = axis_top + height_rows
    height = axis_bottom + font * 2 + 14

    def x(amount) -> float:
        return plot_left + float(Decimal(amount) / axis_max) * plot_width

    parts = [
        format_html(
            '<svg class="{} budget-svg" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
            'font-size="{}" xmlns="http://www.w3.org/2000/svg">',
            size.css_class,
            size.width,
            height,
            f"{chart.chart_id}-{size.css_class}",
            f"{chart.chart_id}-{size.css_class}",
            font,
        ),
        format_html('<title id="{}-title">{}</title>', f"{chart.chart_id}-{size.css_class}", chart.title),
        format_html(
            '<desc id="{}-desc">{}</desc>',
            f"{chart.chart_id}-{size.css_class}",
            "; ".join(_row_title(row) for row in chart.rows),
        ),
    ]
    # Grid and money axis.
    label_every = 1 if size.label_width or len(ticks) <= 5 else 2
    for i, tick in enumerate(ticks):
        tx = x(tick)
        parts.append(
            format_html(
                '<line class="grid{}" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e7eaf0"/>',
                " zero" if tick == 0 else "",
                f"{tx:.1f}",
                axis_top,
                f"{tx:.1f}",
                axis_bottom,
            )
        )
        if i % label_every == 0 or i == len(ticks) - 1:
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="middle" fill="#5d6778">{}</text>',
                    f"{tx:.1f}",
                    axis_bottom + font + 2,
                    short_money(tick),
                )
            )
    parts.append(
        format_html(
            '<text class="axis-title" x="{}" y="{}" text-anchor="middle" fill="#1d2330">{}</text>',
            f"{plot_left + plot_width / 2:.1f}",
            axis_bottom + 2 * font + 8,
            "Amount" if not size.label_width else "Amount (upper bar: budget, lower bar: spend)",
        )
    )
    label_chars = int((size.label_width - 6) / char) if size.label_width else int((size.width - 8) / char)
    for index, row in enumerate(chart.rows):
        y0 = axis_top + index * row_height + 7
        bars_y = y0 + label_line
        parts.append(format_html('<g class="budget-group{}" tabindex="0">', " over" if row.over else ""))
        parts.append(format_html("<title>{}</title>", _row_title(row)))
        marker = _marker(row)
        if size.label_width:
            label_y = bars_y + BAR + (BAR_GAP / 2) + font * 0.35
            label_x = size.label_width
            anchor = "end"
            label_text = _truncate(row.label, label_chars)
            if marker:
                label_y -= font * 0.55
        else:
            label_x, label_y, anchor = 4, y0 + font - 2, "start"
            room = label_chars - (len(marker) + 3 if marker else 0)
            label_text = _truncate(row.label, room)
        text = format_html(
            '<text class="budget-label" x="{}" y="{}" text-anchor="{}" fill="#1d2330">{}</text>',
            f"{label_x:.1f}",
            f"{label_y:.1f}",
            anchor,
            label_text,
        )
        if row.url:
            text = format_html('<a href="{}">{}</a>', row.url, text)
        parts.append(text)
        if marker:
            if size.label_width:
                mx, my, manchor = label_x, label_y + font + 1, "end"
            else:
                mx, my, manchor = size.width - 4, label_y, "end"
            parts.append(
                format_html(
                    '<text class="over-marker" x="{}" y="{}" text-anchor="{}" fill="{}" font-weight="700">{}</text>',
                    f"{mx:.1f}",
                    f"{my:.1f}",
                    manchor,
                    OVER_COLOUR,
                    marker,
                )
            )
        for bar_index, (kind, amount, colour) in enumerate(
            (
                ("budget", row.budget, BUDGET_COLOUR),
                ("spend", row.spend, OVER_COLOUR if row.over else SPEND_COLOUR),
            )
        ):
            by = bars_y + bar_index * (BAR + BAR_GAP)
            width = x(amount) - plot_left
            if amount and width < 1.5:
                width = 1.5  # a small amount is still visible
            parts.append(
                format_html(
                    '<rect class="bar bar-{}{}" x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}"/>',
                    kind,
                    " over" if kind == "spend" and row.over else "",
                    f"{plot_left:.1f}",
                    by,
                    f"{width:.1f}",
                    BAR,
                    colour,
                )
            )
            parts.append(
                format_html(
                    '<text class="bar-value bar-value-{}" x="{}" y="{}" fill="{}" font-size="{}">{}</text>',
                    kind,
                    f"{plot_left + width + 4:.1f}",
                    f"{by + BAR - 2:.1f}",
                    OVER_COLOUR if kind == "spend" and row.over else "#394255",
                    font - 1,
                    money_text(amount),
                )
            )
        parts.append(mark_safe("</g>"))
    parts.append(
        format_html(
            '<line class="grid zero" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#b9c1cf"/>',
            f"{plot_left:.1f}",
            axis_top,
            f"{plot_left:.1f}",
            axis_bottom,
        )
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(p) for p in parts))


# --- CSV ----------------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "id",
    "product",
    "launch plan",
    "name",
    "channel",
    "segment",
    "status",
    "start",
    "end",
    "budget",
    "spend",
    "remaining",
    "owner",
]


def campaign_row(campaign: Campaign) -> list:
    """One campaign as a CSV row (a campaign from `campaigns()`: links joined, `remaining` annotated)."""
    remaining = getattr(campaign, "remaining", None)
    if remaining is None:
        remaining = campaign.budget - campaign.spend
    return [
        campaign.id,
        campaign.product.name,
        campaign.launch_plan.name if campaign.launch_plan_id else "",
        campaign.name,
        campaign.channel,
        campaign.segment.name if campaign.segment_id else "",
        campaign.status,
        campaign.start_date,
        campaign.end_date,
        campaign.budget,
        campaign.spend,
        _money(remaining),
        campaign.owner.get_username() if campaign.owner_id else "",
    ]


def csv_lines(rows):
    """Campaigns as CSV lines (BOM first, so a spreadsheet reads UTF-8), a chunk at a time for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for campaign in rows:
        writer.writerow([csv_cell(value) for value in campaign_row(campaign)])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
