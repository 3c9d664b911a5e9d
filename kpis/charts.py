"""Server-rendered SVG charts: readable without JavaScript, numbers also given as tables and CSV."""

from datetime import date
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

HEALTH_COLOURS = {"on_track": "#1a7f37", "at_risk": "#b58100", "off_track": "#c62828"}


def _number(value) -> str:
    value = Decimal(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if value == value.to_integral():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


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
    width: int = 720,
    height: int = 240,
    period_label=None,
    in_progress: date | None = None,
) -> SafeString:
    """A line of `rows` ({period_start, value, target, health}) with the target as a dashed line.

    The period starting on `in_progress` is still running: its point is drawn hollow.
    """
    if not rows:
        return format_html('<p class="empty">{}</p>', "No measurements yet: post some to see the chart.")
    left, right, top, bottom = 64, 16, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(r["value"]) for r in rows]
    targets = [float(r["target"]) for r in rows if r.get("target") is not None]
    low, high = min(values + targets), max(values + targets)
    # Start the axis at zero unless the values sit in a narrow band far from it.
    low = low - (high - low) * 0.15 if low > 0 and (high - low) < high * 0.9 else min(low, 0.0)
    span = (high - low) or 1.0
    high += span * 0.08
    span = high - low

    def x(i: int) -> float:
        return left + (plot_w * i / (len(rows) - 1) if len(rows) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - (v - low) / span * plot_h

    label = period_label or (lambda d: d.isoformat())
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>'
    ]
    for tick in range(5):
        v = low + span * tick / 4
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">'
            f"{escape(_number(v))}</text>"
        )
    every = max(1, len(rows) // 8)
    for i, row in enumerate(rows):
        last = len(rows) - 1
        # Label every n-th period and the latest, unless the latest would sit on top of its neighbour.
        if (i % every == 0 and (i == last or last - i >= every * 0.75)) or i == last:
            anchor = "end" if i == last and i > 0 else "middle"  # the right-most label stays inside
            parts.append(
                f'<text class="axis" x="{x(i) + (6 if anchor == "end" else 0):.1f}" y="{height - 12}" '
                f'text-anchor="{anchor}">{escape(label(row["period_start"]))}</text>'
            )
    target_points = [(i, float(r["target"])) for i, r in enumerate(rows) if r.get("target") is not None]
    if target_points:
        path = " ".join(f"{x(i):.1f},{y(t):.1f}" for i, t in target_points)
        if len(target_points) == 1:
            i, t = target_points[0]
            path = f"{left},{y(t):.1f} {width - right},{y(t):.1f}"
        parts.append(f'<polyline class="target" points="{path}"><title>target</title></polyline>')
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts.append(f'<polyline class="line" points="{line}"/>')
    if len(rows) <= 60:
        for i, row in enumerate(rows):
            colour = HEALTH_COLOURS.get(row.get("health"), "#3558d6")
            running = row["period_start"] == in_progress
            tip = f"{label(row['period_start'])}: {_number(row['value'])} {unit}".strip()
            tip += " (so far)" if running else ""
            fill = f'fill="#fff" stroke="{colour}" stroke-width="2"' if running else f'fill="{colour}"'
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(values[i]):.1f}" r="3.5" {fill}><title>{escape(tip)}</title></circle>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text above is escaped


def period_label(granularity: str):
    def label(day: date) -> str:
        if granularity == "day":
            return day.strftime("%d %b")
        if granularity == "week":
            return f"W{day.isocalendar()[1]} {day:%y}"
        if granularity == "month":
            return day.strftime("%b %Y")
        if granularity == "quarter":
            return f"Q{(day.month - 1) // 3 + 1} {day.year}"
        return str(day.year)

    return label
