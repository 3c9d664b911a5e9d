"""The shared PM + marketing view of one launch: the product's adoption and revenue KPIs before and after
launch day beside what the launch's campaigns spent and brought (the launch retro's page).

Reads only: every member of the portfolio sees it. A fixed number of queries whatever the number of KPIs,
campaigns and weeks (kpis.launch_figures). Charts are server-rendered SVG (no script, CSP-safe), drawn
at three sizes as kpis.charts draws its own, with the numbers in tables and as CSV.
"""

import math
from datetime import date
from decimal import Decimal

from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from gtm.models import Campaign, LaunchPlan
from kpis import rights
from kpis.charts import HEALTH_COLOURS, NEUTRAL, SIZES, UNJUDGED, axis_range, nice_ticks, period_name, tick_labels
from kpis.launch_figures import (
    DEFAULT_WEEKS,
    WINDOW_WEEKS,
    Comparison,
    Window,
    before_after,
    campaign_figures,
    campaign_totals,
    currency_of,
    key_role,
    overall_values,
    product_kpis_for_launch,
)
from kpis.launch_panels import figure_cells, money, quantity, ratio, shown
from kpis.models import KPI, Health
from kpis.signal_panels import plan_panel
from pmflow.access import object_for_user
from pmflow.forms import csv_download
from products.pages import page, portfolio_context
from roadmap.page_tools import today_in

STEADY_PCT = Decimal(1)  # a change smaller than this reads "held steady"


# --- the chart: weekly values with launch day marked ------------------------------------------------


def _short(day: date) -> str:
    return f"{day.day} {day:%b}"


def _day(day: date, month: str = "%b") -> str:
    """19 Oct 2026 (or 19 October 2026 with month="%B"), without the platform-dependent %-d."""
    return f"{day.day} {day.strftime(month)} {day.year}"


def launch_chart(comparison: Comparison, window: Window, *, title: str) -> SafeString:
    """The KPI's weekly values over the window, launch day a vertical line, the weeks after it shaded,
    and the before and after averages as dashed levels over their weeks. Three sizes, as kpis.charts."""
    rows = [row for row in comparison.rows if row["period_start"] in set(window.all_weeks)]
    if not rows:
        return format_empty("No weekly values around launch day yet.")
    description = _chart_description(comparison, window, title)
    svgs = "".join(_launch_svg(comparison, rows, window, size, title=description) for size in SIZES)
    return mark_safe(f'<figure class="chart-frame launch-chart">{svgs}{_legend(comparison, window)}</figure>')  # noqa: S308


def format_empty(text: str) -> SafeString:
    return mark_safe(f'<p class="empty">{escape(text)}</p>')  # noqa: S308


def _chart_description(comparison: Comparison, window: Window, title: str) -> str:
    unit = comparison.kpi.unit
    parts = [f"{title}, weekly, {window.weeks} weeks before and after launch on {_day(window.launch_date)}"]
    if comparison.before is not None:
        parts.append(f"average before {quantity(comparison.before, unit)}")
    if comparison.after is not None:
        parts.append(f"average after {quantity(comparison.after, unit)}")
    if comparison.change_pct is not None:
        parts.append(f"change {comparison.change_pct:+} %")
    return "; ".join(parts)


def _launch_svg(comparison: Comparison, rows: list[dict], window: Window, size, *, title: str) -> str:
    weeks = window.all_weeks
    slot = {week: index for index, week in enumerate(weeks)}
    n = len(weeks)
    unit = comparison.kpi.unit
    levels = [v for v in (comparison.before, comparison.after) if v is not None]
    numbers = [float(r["value"]) for r in rows if r["health"] != "partial"] or [float(r["value"]) for r in rows]
    numbers += [float(v) for v in levels]
    integers = all(Decimal(r["value"]) == Decimal(r["value"]).to_integral_value() for r in rows)
    height = size.height - 20
    top, bottom = (34 if unit else 22), 28
    ticks = nice_ticks(*axis_range(numbers), count=max(3, (height - top - bottom) // 42), integers=integers)
    labels = tick_labels(ticks)
    left = math.ceil(max(max(len(t) for t in labels) * size.char + 10, 30))
    right = 14
    plot_w, plot_h = size.width - left - right, height - top - bottom
    low, high = float(ticks[0]), float(ticks[-1])

    def x(t: float) -> float:  # t in slots: 0 is the window's first Monday, n its end
        return left + t * plot_w / n

    def y(v) -> float:
        return top + plot_h - (float(v) - low) / (high - low) * plot_h

    launch_t = slot[window.launch_week] + (window.launch_date - window.launch_week).days / 7
    after_t = slot[window.first_after]
    out = [
        f'<svg class="{size.css_class}" viewBox="0 0 {size.width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>',
        f'<rect class="after-zone" x="{x(launch_t):.1f}" y="{top}" width="{x(n) - x(launch_t):.1f}" '
        f'height="{plot_h}"/>',
        f'<g class="axes" aria-hidden="true" font-size="{size.font}">',
    ]
    if unit:
        out.append(f'<text class="axis-title" x="4" y="{top - 20}">{escape(unit)}</text>')
    for tick, label in zip(ticks, labels, strict=True):
        ty = y(tick)
        out.append(
            f'<line class="grid{" zero" if tick == 0 else ""}" x1="{left}" x2="{size.width - right}" '
            f'y1="{ty:.1f}" y2="{ty:.1f}"/>'
            f'<text class="axis" x="{left - 8}" y="{ty + size.font * 0.35:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    # Week labels (their Monday), every k-th counted from the first week after launch, so it has one.
    label_w = 6 * size.char + size.font
    every = max(1, math.ceil(label_w / (plot_w / n)))
    for index in range(n):
        if (index - after_t) % every == 0:
            out.append(
                f'<text class="axis x-label" x="{x(index + 0.5):.1f}" y="{height - 8}" text-anchor="middle">'
                f"{escape(_short(weeks[index]))}</text>"
            )
    out.append("</g>")
    # Launch day.
    lx = x(launch_t)
    anchor = "end" if launch_t > n * 0.7 else "start"
    nudge = -5 if anchor == "end" else 5
    out.append(
        f'<g class="launch-mark" aria-hidden="true" font-size="{size.font}">'
        f'<line class="launch-line" x1="{lx:.1f}" x2="{lx:.1f}" y1="{top - 14}" y2="{top + plot_h}"/>'
        f'<text class="launch-label" x="{lx + nudge:.1f}" y="{top - 4}" text-anchor="{anchor}">'
        f"Launch {escape(_short(window.launch_date))}</text></g>"
    )
    # The two averages over their weeks.
    if comparison.before is not None:
        out.append(
            f'<line class="level before-level" x1="{x(0):.1f}" x2="{x(window.weeks):.1f}" '
            f'y1="{y(comparison.before):.1f}" y2="{y(comparison.before):.1f}"/>'
        )
    if comparison.after is not None:
        out.append(
            f'<line class="level after-level" x1="{x(after_t):.1f}" x2="{x(n):.1f}" '
            f'y1="{y(comparison.after):.1f}" y2="{y(comparison.after):.1f}"/>'
        )
    # The values: a solid line through complete weeks, dotted into the week in progress.
    points = [(x(slot[r["period_start"]] + 0.5), y(r["value"]), r) for r in rows]
    firm = [(px, py) for px, py, r in points if r["health"] not in ("in_progress", "partial")]
    if len(firm) > 1:
        out.append('<polyline class="line" points="' + " ".join(f"{px:.1f},{py:.1f}" for px, py in firm) + '"/>')
    for (ax, ay, a), (bx, by, b) in zip(points, points[1:], strict=False):
        if b["health"] == "in_progress" and a["health"] != "partial":
            out.append(f'<line class="line unjudged" x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}"/>')
    radius = min(4.5, max(2.5, plot_w / n / 3))
    name = period_name("week")
    for px, py, row in points:
        health = row["health"]
        reading = f"{quantity(row['value'], unit)}"
        if health == "in_progress":
            paint = f'fill="#fff" stroke="{NEUTRAL}" stroke-width="2"'
            reading += " so far"
        else:
            colour = HEALTH_COLOURS.get(health, UNJUDGED if health == "partial" else NEUTRAL)
            paint = f'fill="{colour}"'
        py = min(max(py, top), top + plot_h)
        out.append(
            f'<g class="point"><title>{escape(name(row["period_start"]))}: {escape(reading)}</title>'
            f'<circle class="marker" cx="{px:.1f}" cy="{py:.1f}" r="{radius:.1f}" {paint}/></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _legend(comparison: Comparison, window: Window) -> str:
    def mark(shape: str) -> str:
        return f'<svg class="legend-mark" viewBox="0 0 22 12" width="22" height="12" aria-hidden="true">{shape}</svg>'

    items = []
    if comparison.kpi.target is not None:  # points coloured by health, as on the KPI's own chart
        for health, words in (("on_track", "On track"), ("at_risk", "At risk"), ("off_track", "Off track")):
            items.append((mark(f'<circle cx="11" cy="6" r="4.5" fill="{HEALTH_COLOURS[health]}"/>'), words))
    else:
        items.append((mark(f'<circle cx="11" cy="6" r="4.5" fill="{NEUTRAL}"/>'), "Weekly value (no target)"))
    items.append(
        (
            mark('<line class="launch-line" x1="11" y1="0" x2="11" y2="12"/>'),
            f"Launch day, {_day(window.launch_date)}",
        )
    )
    if comparison.before is not None or comparison.after is not None:
        items.append((mark('<line class="level" x1="1" y1="6" x2="21" y2="6"/>'), "Average before / after"))
    if any(row["health"] == "in_progress" for row in comparison.rows):
        items.append(
            (
                mark(f'<circle cx="11" cy="6" r="4" fill="#fff" stroke="{NEUTRAL}" stroke-width="2"/>'),
                "This week so far (not counted)",
            )
        )
    body = "".join(f"<li>{shape}{escape(words)}</li>" for shape, words in items)
    return f'<figcaption><ul class="chart-legend" aria-label="Legend">{body}</ul></figcaption>'


# --- what the page says -----------------------------------------------------------------------------


def _moved(comparison: Comparison) -> str | None:
    """ "rose 18 %", "fell 5 %", "held steady" for a KPI's change; None without one."""
    change = comparison.change_pct
    if change is None:
        return None
    if abs(change) < STEADY_PCT:
        return "held steady"
    return f"{'rose' if change > 0 else 'fell'} {abs(change):.0f} %"


def summary_sentence(
    *, plan, window: Window, lead: Comparison | None, revenue: Comparison | None, totals, currency: str, today: date
) -> str:
    """One sentence for the retro: how the lead KPI (and revenue) moved after launch, and what the
    campaigns spent of their budget with what return."""
    if plan.launch_date > today:
        first = (
            f"{plan.name} launches on {_day(plan.launch_date, '%B')}: the after figures start when its first week ends"
        )
    elif lead is None or _moved(lead) is None:
        first = "No adoption or revenue KPI has weekly values on both sides of launch day yet"
    else:
        weeks = lead.after_weeks
        span = f"the {weeks} week{'s' if weeks != 1 else ''} after launch"
        if weeks < window.weeks:
            span += " so far"
        name = lead.kpi.name
        first = f"{name} {_moved(lead)}"
        if revenue is not None and revenue.kpi.id != lead.kpi.id and _moved(revenue) is not None:
            first += f" and {revenue.kpi.name[:1].lower() + revenue.kpi.name[1:]} {_moved(revenue)}"
        first += f" in {span}"
    if not totals.count:
        second = "no campaigns are part of this launch yet"
    else:
        campaigns = "the campaign" if totals.count == 1 else f"the {totals.count} campaigns"
        second = f"{campaigns} spent {money(totals.spend, currency)} of {money(totals.budget, currency)}"
        if totals.spend > totals.budget:
            second += f" ({money(totals.spend - totals.budget, currency)} over budget)"
        if totals.roi.known:
            second += f" with an ROI of {ratio(totals.roi.value)}"
            if totals.with_revenue < totals.count:
                second += f" ({totals.with_revenue} of {totals.count} attribute revenue)"
        else:
            second += ", with no attributed revenue to give an ROI yet"
    return f"{first}; {second}."


def _lead_and_revenue(kpis: list[KPI], comparisons: dict) -> tuple[Comparison | None, Comparison | None]:
    """The KPI the sentence leads with (the headline, else the first adoption KPI with a change) and the
    product's revenue KPI."""
    with_change = [comparisons[k.id] for k in kpis if comparisons[k.id].change_pct is not None]
    adoption = [c for c in with_change if key_role(c.kpi.key) != "revenue"]
    revenue = next((c for c in with_change if key_role(c.kpi.key) == "revenue"), None)
    # Adoption leads (the headline when it is one; `kpis` come headline first, then the adoption keys).
    lead = adoption[0] if adoption else revenue
    return lead, revenue


def _comparison_card(comparison: Comparison, window: Window) -> dict:
    kpi, unit = comparison.kpi, comparison.kpi.unit
    change = comparison.change_pct
    in_window = set(window.all_weeks)
    label = {week: "before" for week in window.before} | {week: "after" for week in window.after}
    if window.straddle:
        label[window.straddle] = "launch week"
    return {
        "kpi": kpi,
        "chart": launch_chart(comparison, window, title=kpi.name),
        "before": quantity(comparison.before, unit) if comparison.before is not None else None,
        "after": quantity(comparison.after, unit) if comparison.after is not None else None,
        "before_weeks": comparison.before_weeks,
        "after_weeks": comparison.after_weeks,
        "change": f"{change:+} %" if change is not None else None,
        "direction": "better" if comparison.improved else "worse" if comparison.improved is False else "flat",
        "rows": [
            {
                "label": _day(row["period_start"]),
                "side": label.get(row["period_start"], ""),
                "value": quantity(row["value"], unit),
                "health": row["health"],
                "health_label": Health(row["health"]).label,
            }
            for row in reversed(comparison.rows)
            if row["period_start"] in in_window
        ],
    }


# --- the page ---------------------------------------------------------------------------------------


def _weeks(request) -> int:
    raw = request.GET.get("weeks", "")
    return int(raw) if raw in {str(w) for w in WINDOW_WEEKS} else DEFAULT_WEEKS


@page
def launch_kpis(request, plan_id: int):
    plan = object_for_user(request.user, LaunchPlan.objects.select_related("product__portfolio"), plan_id)
    product, portfolio = plan.product, plan.product.portfolio
    window = Window(plan.launch_date, _weeks(request))
    product_kpis = product_kpis_for_launch(plan)
    campaigns = list(Campaign.objects.filter(launch_plan=plan).order_by("start_date", "name", "id"))
    campaign_kpis = list(
        KPI.objects.filter(campaign__launch_plan=plan).order_by("campaign_id", "-headline", "name", "id")
    )
    comparisons = before_after([*product_kpis, *campaign_kpis], window, zone=portfolio.zone)
    if request.GET.get("format") == "csv":
        return _csv(plan, window, [*product_kpis, *campaign_kpis], comparisons, campaigns)
    currency = currency_of([*product_kpis, *campaign_kpis])
    figures = campaign_figures(campaigns, campaign_kpis, overall_values(campaign_kpis))
    totals = campaign_totals(figures)
    today = _today(portfolio)
    lead, revenue = _lead_and_revenue(product_kpis, comparisons)
    can_write = rights.can_write_kpi(request.user, portfolio.id, {"launch_plan": plan.id})
    new_kpi = reverse("kpi-create") + f"?product={product.id}&launch_plan={plan.id}"
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Launches", reverse("launch-board", args=[portfolio.id])),
            (plan.name, reverse("launch-plan-page", args=[plan.id])),
            ("KPIs before and after launch", None),
        ],
        section="launches",
        model=KPI,
        # Readers and writers look at the same page; a marketer writes the launch's KPIs.
        read_only=not rights.can_write_some_kpi(request.user, portfolio.id),
        plan=plan,
        product=product,
        window=window,
        weeks_choices=WINDOW_WEEKS,
        launched=plan.launch_date <= today,
        summary=summary_sentence(
            plan=plan, window=window, lead=lead, revenue=revenue, totals=totals, currency=currency, today=today
        ),
        cards=[_comparison_card(comparisons[kpi.id], window) for kpi in product_kpis],
        campaign_rows=[_campaign_row(f, currency, comparisons, window) for f in figures],
        totals={
            "count": totals.count,
            "budget": money(totals.budget, currency),
            "spend": money(totals.spend, currency),
            **figure_cells(totals, currency),
        },
        can_write=can_write,
        new_kpi_url=new_kpi,
        csv_url=f"?weeks={window.weeks}&format=csv",
        signals=plan_panel(plan, request),  # cross-functional signals of the launch and its campaigns
    )
    return render(request, "kpis/launch_kpis.html", context)


def _campaign_row(figures, currency: str, comparisons: dict, window: Window) -> dict:
    campaign = figures.campaign
    unit = figures.conversion_unit
    return {
        "campaign": campaign,
        "budget": money(campaign.budget, currency),
        "spend": money(campaign.spend, currency),
        "over_budget": campaign.spend > campaign.budget,
        "conversion": shown(figures.conversion, lambda v: quantity(v, unit)),
        **figure_cells(figures, currency),
        "cards": [_comparison_card(comparisons[kpi.id], window) for kpi in figures.kpis],
    }


def _today(portfolio) -> date:
    return today_in(portfolio)


def _csv(plan, window: Window, kpis: list[KPI], comparisons: dict, campaigns: list) -> object:
    names = {campaign.id: campaign.name for campaign in campaigns}
    side = {week: "before" for week in window.before} | {week: "after" for week in window.after}
    if window.straddle:
        side[window.straddle] = "launch_week"
    in_window = set(window.all_weeks)
    rows = (
        (
            kpi.key,
            kpi.name,
            names.get(kpi.campaign_id, ""),
            row["period_start"].isoformat(),
            side.get(row["period_start"], ""),
            row["value"],
            row["health"],
        )
        for kpi in kpis
        for row in comparisons[kpi.id].rows
        if row["period_start"] in in_window
    )
    return csv_download(
        f"launch-{plan.id}-kpis-{window.weeks}-weeks",
        ["key", "kpi", "campaign", "week_start", "side", "value", "health"],
        rows,
    )
