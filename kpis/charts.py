"""Server-rendered SVG charts: readable without JavaScript, numbers also given as tables and CSV.

Hand-written rather than a charting library: see DESIGN-NOTES.md "Decisions". Pages run under a
strict Content-Security-Policy, so there is no inline script or style here: looks come from classes
styled in static/css/pmflow.css and from SVG presentation attributes.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from kpis.periods import next_period_start

# Health colours of points and legend marks; the CSS badge colours (.health-*) match them.
HEALTH_COLOURS = {"on_track": "#1a7f37", "at_risk": "#9a6b00", "off_track": "#c62828"}
NEUTRAL = "#3558d6"  # points that are not judged against a target (none set)
UNJUDGED = "#7a8496"  # a partial first period
TARGET_COLOUR = "#5d6778"
HEALTH_WORDS = {
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "in_progress": "so far, not judged yet",
    "partial": "partial period, not judged",
}


@dataclass(frozen=True)
class Size:
    """One rendering of a chart; CSS container queries show the one that fits the space it has."""

    css_class: str
    width: int
    height: int
    font: int = 13  # viewBox units: ≈ CSS px when the chart is drawn at its own width

    @property
    def char(self) -> float:
        # Rough advance of a digit or letter; labels are short and mostly digits.
        return self.font * 0.62


# Widths about 1.7× apart, so each is drawn at 0.75-1.3× its size (text ≈ 10-17 px). The regular one
# carries class "chart" and is the fallback where container queries are not supported.
SIZES = (Size("chart-compact", 380, 240), Size("chart", 640, 260), Size("chart-wide", 1080, 300))


# --- numbers ---------------------------------------------------------------------------------------


def format_value(value) -> str:
    """The exact value with thousands separators and without trailing zeros: 12,345.5 · 42 · 0.004."""
    number = Decimal(value)
    if number == 0:
        return "0"
    if number == number.to_integral_value():
        return f"{number.quantize(Decimal(1)):,f}"
    return f"{number.normalize():,f}"


def nice_ticks(low, high, *, count: int = 5, integers: bool = False) -> list[Decimal]:
    """Axis ticks on round numbers: a step of 1, 2 or 5 × 10ⁿ, bounds on multiples of the step.

    About `count` ticks, the first at or below `low` and the last at or above `high`. With
    `integers` the step is at least 1 (an axis of counts has no 0.5 user). Exact (Decimal), so the
    labels never read 0.30000000000000004.
    """
    low, high = Decimal(str(low)), Decimal(str(high))
    if low > high:
        low, high = high, low
    if low == high:  # one value: show it against zero
        low, high = (Decimal(0), Decimal(1)) if low == 0 else (min(low, Decimal(0)), max(high, Decimal(0)))
    intervals = max(count - 1, 1)
    exponent = ((high - low) / intervals).adjusted()
    candidates = [Decimal(f).scaleb(e) for e in (exponent, exponent + 1) for f in (1, 2, 5)]
    if integers:
        candidates = [step for step in candidates if step >= 1] or [Decimal(1)]

    def fit(step: Decimal) -> tuple:
        first, last = math.floor(low / step), math.ceil(high / step)
        waste = (last - first) * step - (high - low)
        return abs((last - first) - intervals), waste

    step = min(candidates, key=fit)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [(step * i).normalize() + 0 for i in range(first, last + 1)]


def tick_labels(ticks: list[Decimal]) -> list[str]:
    """Labels for axis ticks: thousands separators, and k / M / B once the numbers get long."""
    top = max((abs(t) for t in ticks), default=Decimal(0))
    divisor, suffix = next(
        ((d, s) for d, s in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 4, "k")) if top >= d),
        (Decimal(1), ""),
    )
    if suffix == "k":
        divisor = Decimal(1000)
    return ["0" if t == 0 else format_value(t / divisor) + suffix for t in ticks]


def axis_range(numbers: list[float]) -> tuple[float, float]:
    """The span an axis must show: zero too, unless the values sit in a band far from it."""
    low, high = min(numbers), max(numbers)
    if low > 0 and low > high / 2:  # e.g. a conversion rate between 9 % and 12 %
        return low, high
    if high < 0 and high < low / 2:
        return low, high
    return min(low, 0.0), max(high, 0.0)


# --- periods ---------------------------------------------------------------------------------------


def iso_week(day: date) -> str:
    """The ISO week a day is in, named with its ISO year: Monday 2024-12-30 is W01 2025."""
    year, week, _ = day.isocalendar()
    return f"W{week:02d} {year}"


def period_label(granularity: str):
    """Short names of periods, for the x axis and the tables."""

    def label(day: date) -> str:
        if granularity == "day":
            return f"{day.day} {day:%b}"
        if granularity == "week":
            return iso_week(day)
        if granularity == "month":
            return day.strftime("%b %Y")
        if granularity == "quarter":
            return f"Q{(day.month - 1) // 3 + 1} {day.year}"
        return str(day.year)

    return label


def period_name(granularity: str):
    """Full names of periods, for the hover and focus text of points."""

    def name(day: date) -> str:
        if granularity == "day":
            return f"{day:%a} {day.day} {day:%b %Y}"
        if granularity == "year":
            return str(day.year)
        end = next_period_start(day, granularity) - timedelta(days=1)
        if granularity == "week":
            return f"{iso_week(day)} ({day.day} {day:%b} – {end.day} {end:%b})"
        if granularity == "month":
            return day.strftime("%B %Y")
        return f"Q{(day.month - 1) // 3 + 1} {day.year} ({day:%b}–{end:%b})"

    return name


# --- charts ----------------------------------------------------------------------------------------


def sparkline(values: list, *, width: int = 120, height: int = 28, label: str = "") -> SafeString:
    if len(values) < 2:
        return format_html('<span class="muted small">{}</span>', "no trend yet")
    numbers = [float(v) for v in values]
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = (width - 4) / (len(numbers) - 1)
    points = " ".join(
        f"{2 + i * step:.1f},{height - 2 - (n - low) / span * (height - 4):.1f}" for i, n in enumerate(numbers)
    )
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {w} {h}" width="{w}" height="{h}" preserveAspectRatio="none" '
        'role="img" aria-label="{label}"><polyline fill="none" stroke="currentColor" stroke-width="1.6" '
        'vector-effect="non-scaling-stroke" points="{points}"/></svg>',
        w=width,
        h=height,
        label=label or "trend",
        points=points,
    )


def line_chart(
    rows: list[dict],
    *,
    title: str,
    unit: str = "",
    width: int | None = None,
    height: int | None = None,
    period_label=None,
    period_name=None,
    in_progress: date | None = None,
    focusable: bool = True,
) -> SafeString:
    """A line of `rows` ({period_start, value, target, health}, oldest first), the target dashed.

    Drawn at three sizes (CSS shows the one that fits) with a legend below. A row whose health is
    `focusable` makes each point a Tab stop (the KPI page); where a page shows many charts with their
    tables, points are left out of the Tab order so the page's controls stay a few keys away.
    `in_progress` (or that starts on `in_progress`) is the period still running: a hollow point,
    "so far". Every point has a <title> and is focusable, and shows its period and exact value on
    hover and focus. `width`/`height` draw one size only.
    """
    if not rows:
        return format_html('<p class="empty">{}</p>', "No measurements yet: post some to see the chart.")
    short = period_label or (lambda d: d.isoformat())
    long = period_name or short
    points = [_point(row, short, long, unit, in_progress) for row in rows]
    sizes = [Size("chart", width or 640, height or 260)] if width or height else SIZES
    svgs = "".join(_svg(points, rows, size, title=title, unit=unit, short=short, focusable=focusable) for size in sizes)
    return mark_safe(f'<figure class="chart-frame">{svgs}{_legend(points, rows)}</figure>')  # noqa: S308


@dataclass
class _Point:
    value: float
    target: float | None
    health: str
    running: bool
    period: str  # the period's full name
    reading: str  # exact value, target and health

    @property
    def tip(self) -> str:
        """For <title>: what a screen reader says on focus and a mouse shows on hover."""
        return f"{self.period}: {self.reading}"


def _point(row: dict, short, long, unit: str, in_progress: date | None) -> _Point:
    health = row.get("health") or ""
    running = health == "in_progress" or (in_progress is not None and row["period_start"] == in_progress)
    if running:
        health = "in_progress"
    reading = f"{format_value(row['value'])} {unit}".strip()
    if running:
        reading += " so far"
    if row.get("target") is not None:
        # A sum KPI's target scaled to a week has six decimals: two are plenty to compare with.
        reading += f" · target {format_value(Decimal(row['target']).quantize(Decimal('0.01')))}"
    if health in HEALTH_WORDS and not running:
        reading += f" · {HEALTH_WORDS[health]}"
    target = float(row["target"]) if row.get("target") is not None else None
    return _Point(float(row["value"]), target, health, running, long(row["period_start"]), reading)


def _svg(
    points: list[_Point], rows: list[dict], size: Size, *, title: str, unit: str, short, focusable: bool = True
) -> str:
    # A partial first period (a few days of a month) would pull the axis down and look like a crash:
    # it does not set the scale, and its marker sits on the plot's edge when it falls outside.
    scaled = [p.value for p in points if p.health != "partial"] or [p.value for p in points]
    numbers = scaled + [p.target for p in points if p.target is not None]
    integers = all(Decimal(r["value"]) == Decimal(r["value"]).to_integral_value() for r in rows) and all(
        Decimal(r["target"]) == Decimal(r["target"]).to_integral_value() for r in rows if r.get("target") is not None
    )
    top, bottom = (30 if unit else 14), 30
    ticks = nice_ticks(*axis_range(numbers), count=max(3, (size.height - top - bottom) // 42), integers=integers)
    labels = tick_labels(ticks)
    x_texts = [short(r["period_start"]) for r in rows]
    x_label_w = max(len(t) for t in x_texts) * size.char
    left = math.ceil(max(max(len(t) for t in labels) * size.char + 10, x_label_w / 2 + 2, 28))
    right = math.ceil(max(x_label_w / 2 + 2, 12))
    plot_w, plot_h = size.width - left - right, size.height - top - bottom
    low, high = float(ticks[0]), float(ticks[-1])
    n = len(points)
    step = plot_w / (n - 1) if n > 1 else 0.0

    def x(i: int) -> float:
        return left + (step * i if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    def y_marker(v: float) -> float:
        return min(max(y(v), top), top + plot_h)

    out = [
        f'<svg class="{size.css_class}" viewBox="0 0 {size.width} {size.height}" role="group" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>'
        f'<g class="axes" aria-hidden="true" font-size="{size.font}">'
    ]
    if unit:
        out.append(f'<text class="axis-title" x="4" y="{top - 16}">{escape(unit)}</text>')
    for tick, label in zip(ticks, labels, strict=True):
        ty = y(float(tick))
        out.append(
            f'<line class="grid{" zero" if tick == 0 else ""}" x1="{left}" x2="{size.width - right}" '
            f'y1="{ty:.1f}" y2="{ty:.1f}"/>'
            f'<text class="axis" x="{left - 8}" y="{ty + size.font * 0.35:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    # Label every k-th period counted back from the latest (always labelled), k such that no two
    # labels overlap at this width.
    every = max(1, math.ceil((x_label_w + size.font) / step)) if step else 1
    for i in range(n - 1, -1, -every):
        out.append(
            f'<text class="axis x-label" x="{x(i):.1f}" y="{size.height - 10}" text-anchor="middle">'
            f"{escape(x_texts[i])}</text>"
        )
    out.append("</g>")
    target_points = [(i, p.target) for i, p in enumerate(points) if p.target is not None]
    if len(target_points) == 1:
        t = target_points[0][1]
        out.append(f'<polyline class="target" points="{left},{y(t):.1f} {size.width - right},{y(t):.1f}"/>')
    elif target_points:
        path = " ".join(f"{x(i):.1f},{y(t):.1f}" for i, t in target_points)
        out.append(f'<polyline class="target" points="{path}"/>')
    # The line through complete periods is solid; the step into (or out of) a period that is not
    # judged (running, or a partial first one) is dotted, since its value is not comparable yet.
    firm = [i for i, p in enumerate(points) if p.health not in ("in_progress", "partial")]
    if len(firm) > 1:
        path = " ".join(f"{x(i):.1f},{y(points[i].value):.1f}" for i in range(firm[0], firm[-1] + 1))
        out.append(f'<polyline class="line" points="{path}"/>')
    for a in range(n - 1):
        # Only the running period is joined (dotted): a partial first period stands alone.
        if "partial" in (points[a].health, points[a + 1].health):
            continue
        if points[a].health == "in_progress" or points[a + 1].health == "in_progress":
            out.append(
                f'<line class="line unjudged" x1="{x(a):.1f}" y1="{y(points[a].value):.1f}" '
                f'x2="{x(a + 1):.1f}" y2="{y(points[a + 1].value):.1f}"/>'
            )
    radius = min(4.5, max(2.5, step / 3)) if n > 1 else 4.5
    for i, p in enumerate(points):
        out.append(_marker(p, x(i), y_marker(p.value), radius, size, focusable=focusable))
    out.append("</svg>")
    return "".join(out)


def _marker(p: _Point, cx: float, cy: float, radius: float, size: Size, *, focusable: bool = True) -> str:
    colour = HEALTH_COLOURS.get(p.health, UNJUDGED if p.health == "partial" else NEUTRAL)
    paint = f'fill="#fff" stroke="{NEUTRAL}" stroke-width="2"' if p.running else f'fill="{colour}"'
    # The visible label on hover and focus, two lines (period; reading), kept inside the chart: above
    # the point, or below it when the point is near the top.
    line = size.font + 4
    tip_w = max(len(p.period) * 0.64, len(p.reading) * 0.6) * size.font + 16  # the period line is bold
    tip_h = 2 * line + 8
    tx = min(max(cx - tip_w / 2, 2), size.width - tip_w - 2)
    ty = cy - tip_h - 10 if cy - tip_h - 10 >= 2 else cy + 12
    hit = max(radius + 4, 9)
    tab_stop = ' tabindex="0"' if focusable else ""
    return (
        f'<g class="point"{tab_stop}><title>{escape(p.tip)}</title>'
        f'<rect class="hit" x="{cx - hit:.1f}" y="{cy - hit:.1f}" width="{2 * hit:.1f}" height="{2 * hit:.1f}" '
        'fill="transparent"/>'
        f'<circle class="marker marker-{escape(p.health or "none")}" cx="{cx:.1f}" cy="{cy:.1f}" '
        f'r="{radius:.1f}" {paint}/>'
        f'<g class="point-tip" aria-hidden="true" font-size="{size.font}"><rect x="{tx:.1f}" y="{ty:.1f}" '
        f'width="{tip_w:.1f}" height="{tip_h}" rx="4"/>'
        f'<text x="{tx + 7:.1f}" y="{ty + line:.1f}"><tspan class="tip-period">{escape(p.period)}</tspan>'
        f'<tspan x="{tx + 7:.1f}" dy="{line}">{escape(p.reading)}</tspan></text></g></g>'
    )


def _mark(shape: str) -> str:
    return f'<svg class="legend-mark" viewBox="0 0 22 12" width="22" height="12" aria-hidden="true">{shape}</svg>'


def _legend(points: list[_Point], rows: list[dict]) -> str:
    items = []
    judged = {p.health for p in points}
    if any(p.target is not None for p in points):
        for health, words in (("on_track", "On track"), ("at_risk", "At risk"), ("off_track", "Off track")):
            items.append((f'<circle cx="11" cy="6" r="4.5" fill="{HEALTH_COLOURS[health]}"/>', words))
        items.append(
            (
                f'<line x1="1" y1="6" x2="21" y2="6" stroke="{TARGET_COLOUR}" stroke-width="1.5" '
                'stroke-dasharray="5 3"/>',
                "Target",
            )
        )
    else:
        items.append((f'<circle cx="11" cy="6" r="4.5" fill="{NEUTRAL}"/>', "Value (no target set, not judged)"))
    if "partial" in judged:
        items.append(
            (
                f'<circle cx="11" cy="6" r="4.5" fill="{UNJUDGED}"/>',
                "Partial first period: measured from part-way through, not judged",
            )
        )
    if any(p.running for p in points):
        items.append(
            (
                f'<circle cx="11" cy="6" r="4" fill="#fff" stroke="{NEUTRAL}" stroke-width="2"/>',
                "So far: the period in progress, not judged until it ends",
            )
        )
    body = "".join(f"<li>{_mark(shape)}{escape(words)}</li>" for shape, words in items)
    return f'<figcaption><ul class="chart-legend" aria-label="Legend">{body}</ul></figcaption>'
