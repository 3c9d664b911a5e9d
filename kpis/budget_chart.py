"""The budget plan's chart: per quarter, budget vs spend (marketing) and target vs actual (sales).

Two panels, each on its own money axis (sales are often a hundred times the marketing budget, so one axis
would flatten the budget bars). Server-rendered SVG, readable without JavaScript, no inline style:
presentation attributes and classes styled in static/css/budget_plan.css. Each panel is drawn at two
widths; the chart-frame container query (static/css/pmflow.css) shows the one that fits. The numbers are
the page's table (and CSV) too.

Colours say good and bad the same way the table does: spend above budget is the warning orange (with
a ▲ marker), revenue below target amber (▼), at or above target green.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from gtm.budget import money_text, nice_ticks, short_money
from kpis.budget_actuals import PlanFigures, QuarterFigures

BUDGET_COLOUR = "#b9c6ea"
SPEND_COLOUR = "#3558d6"
OVER_COLOUR = "#c2410c"
TARGET_COLOUR = "#c9d3c2"
ACTUAL_COLOUR = "#1d7a3e"
BELOW_COLOUR = "#b7791f"
INK, MUTED, GRID = "#1d2330", "#5d6778", "#e7eaf0"

_ids = itertools.count(1)


@dataclass(frozen=True)
class Size:
    css_class: str
    width: int
    font: int


SIZES = (Size("chart-compact", 360, 14), Size("chart", 560, 13), Size("chart-wide", 640, 13))


@dataclass
class Panel:
    key: str  # "marketing" | "sales"
    title: str
    first_label: str
    second_label: str
    svgs: list[SafeString]
    empty: bool


def _bars(quarter: QuarterFigures, key: str):
    """((label, amount or None, colour, css class), (…)) of one quarter."""
    if key == "marketing":
        spend_colour = OVER_COLOUR if quarter.over_budget else SPEND_COLOUR
        return (
            ("Budget", quarter.budget, BUDGET_COLOUR, "bar-budget"),
            ("Spend", quarter.spend, spend_colour, "bar-spend" + (" over" if quarter.over_budget else "")),
        )
    below = quarter.below_target
    return (
        ("Target", quarter.sales_target, TARGET_COLOUR, "bar-target"),
        (
            "Actual",
            quarter.sales_actual,
            BELOW_COLOUR if below else ACTUAL_COLOUR,
            "bar-actual" + (" below" if below else ""),
        ),
    )


def _marker(quarter: QuarterFigures, key: str) -> str:
    if key == "marketing":
        return f"▲ {short_money(quarter.spend_variance)}" if quarter.over_budget else ""
    variance = quarter.sales_variance
    if variance is None:
        return ""
    return f"▼ {short_money(-variance)}" if variance < 0 else f"+{short_money(variance)}"


def _quarter_title(quarter: QuarterFigures, key: str, year: int) -> str:
    def text(value):
        return "no data" if value is None else money_text(value)

    if key == "marketing":
        words = f"Q{quarter.quarter} {year}: budget {text(quarter.budget)}, spend {text(quarter.spend)}"
        variance = quarter.spend_variance
        return words + (
            f", over budget by {money_text(variance)}" if variance > 0 else f", {money_text(-variance)} left"
        )
    target = "none set" if quarter.sales_target is None else money_text(quarter.sales_target)
    words = f"Q{quarter.quarter} {year}: target {target}, actual {text(quarter.sales_actual)}"
    variance = quarter.sales_variance
    if variance is None:
        return words
    return words + (f", {money_text(variance)} above target" if variance >= 0 else f", {money_text(-variance)} below")


def _svg(figures: PlanFigures, key: str, size: Size, chart_id: str, title: str) -> SafeString:
    quarters = figures.quarters
    amounts = [amount or 0 for q in quarters for _, amount, _, _ in _bars(q, key)]
    ticks = nice_ticks(max(max(amounts), Decimal(1)))
    axis_max = ticks[-1]
    font = size.font
    left = int(max(len(short_money(t)) for t in ticks) * font * 0.6) + 10
    right = 6
    top = font + 10  # room for the variance markers above the bars
    plot_height = 150
    bottom = top + plot_height
    height = bottom + 2 * font + 12
    plot_width = size.width - left - right
    group = plot_width / len(quarters)
    bar = min(34.0, group * 0.32)
    gap = 4

    def y(amount) -> float:
        return bottom - float(Decimal(amount) / axis_max) * plot_height

    ident = f"{chart_id}-{size.css_class}"
    parts = [
        format_html(
            '<svg class="{} plan-svg" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
            'font-size="{}" xmlns="http://www.w3.org/2000/svg">',
            size.css_class,
            size.width,
            height,
            ident,
            ident,
            font,
        ),
        format_html('<title id="{}-title">{}</title>', ident, title),
        format_html(
            '<desc id="{}-desc">{}</desc>',
            ident,
            "; ".join(_quarter_title(q, key, figures.plan.year) for q in quarters),
        ),
    ]
    for tick in ticks:
        ty = y(tick)
        parts.append(
            format_html(
                '<line class="grid{}" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
                " zero" if tick == 0 else "",
                left,
                f"{ty:.1f}",
                size.width - right,
                f"{ty:.1f}",
                "#b9c1cf" if tick == 0 else GRID,
            )
        )
        parts.append(
            format_html(
                '<text class="axis" x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                left - 6,
                f"{ty + font * 0.35:.1f}",
                MUTED,
                short_money(tick),
            )
        )
    for index, quarter in enumerate(quarters):
        centre = left + group * index + group / 2
        parts.append(
            format_html(
                '<g class="plan-quarter" tabindex="0"><title>{}</title>',
                _quarter_title(quarter, key, figures.plan.year),
            )
        )
        for bar_index, (label, amount, colour, css) in enumerate(_bars(quarter, key)):
            x = centre - bar - gap / 2 if bar_index == 0 else centre + gap / 2
            if amount is None:
                # Nothing known (no target set, no revenue data): a dashed outline on the axis, no bar.
                parts.append(
                    format_html(
                        '<line class="bar-missing" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
                        'stroke-dasharray="3 3"/>',
                        f"{x:.1f}",
                        f"{bottom - 1:.1f}",
                        f"{x + bar:.1f}",
                        f"{bottom - 1:.1f}",
                        MUTED,
                    )
                )
                continue
            bar_top = y(amount)
            bar_height = max(bottom - bar_top, 1.5 if amount else 0)
            parts.append(
                format_html(
                    '<rect class="bar {}" x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    css,
                    f"{x:.1f}",
                    f"{bottom - bar_height:.1f}",
                    f"{bar:.1f}",
                    f"{bar_height:.1f}",
                    colour,
                    label,
                    money_text(amount),
                )
            )
        marker = _marker(quarter, key)
        if marker:
            highest = max((amount or 0) for _, amount, _, _ in _bars(quarter, key))
            good = key == "sales" and not quarter.below_target
            parts.append(
                format_html(
                    '<text class="plan-marker{}" x="{}" y="{}" text-anchor="middle" fill="{}" font-weight="700" '
                    'font-size="{}">{}</text>',
                    " good" if good else " bad",
                    f"{centre:.1f}",
                    f"{y(highest) - 5:.1f}",
                    ACTUAL_COLOUR if good else (OVER_COLOUR if key == "marketing" else BELOW_COLOUR),
                    font - 1,
                    marker,
                )
            )
        parts.append(
            format_html(
                '<text class="axis quarter-label" x="{}" y="{}" text-anchor="middle" fill="{}">Q{}</text>',
                f"{centre:.1f}",
                bottom + font + 4,
                INK,
                quarter.quarter,
            )
        )
        parts.append(mark_safe("</g>"))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))


def plan_chart(figures: PlanFigures) -> list[Panel]:
    """The two panels of a plan's page."""
    chart_id = f"plan-chart-{next(_ids)}"
    year = figures.plan.year
    panels = []
    for key, title, first, second in (
        ("marketing", f"Marketing: budget vs spend per quarter, {year}", "Budget", "Spend"),
        ("sales", f"Sales: target vs actual revenue per quarter, {year}", "Target", "Actual"),
    ):
        empty = not any(amount for q in figures.quarters for _, amount, _, _ in _bars(q, key))
        svgs = [] if empty else [_svg(figures, key, size, f"{chart_id}-{key}", title) for size in SIZES]
        panels.append(Panel(key=key, title=title, first_label=first, second_label=second, svgs=svgs, empty=empty))
    return panels
