"""The value/effort matrix: items as points (x effort, y value) in four quadrants, drawn as server-side SVG.

The quadrants split at the medians of the plotted items, so they always divide the work in view into
halves, whatever scale a portfolio gives value (1-10 or 1-100) and effort (person-months). An item on
a median line counts as the higher value and the lower effort: a tie is read in the item's favour.

    Quick wins  high value, low effort      Big bets    high value, high effort
    Fill-ins    low value, low effort       Money pits  low value, high effort

Each point is a numbered link to its item with a <title>; the page lists the same numbers by quadrant.
The chart is drawn at three sizes and the house CSS (static/css/pmflow.css, .chart-frame) shows the
one that fits, as kpis/charts.py does; colours and text come from classes (static/css/timeline.css).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

QUADRANTS = (
    ("quick_wins", "Quick wins", "High value, low effort: do these first."),
    ("big_bets", "Big bets", "High value, high effort: worth planning for."),
    ("fill_ins", "Fill-ins", "Low value, low effort: when there is room."),
    ("money_pits", "Money pits", "Low value, high effort: question these."),
)
QUADRANT_LABELS = {key: label for key, label, _ in QUADRANTS}


def quadrant(value, effort, *, value_median, effort_median) -> str:
    """The quadrant of a point; on a median line it counts as higher value and lower effort."""
    high_value = value >= value_median
    low_effort = effort <= effort_median
    if high_value:
        return "quick_wins" if low_effort else "big_bets"
    return "fill_ins" if low_effort else "money_pits"


def number(value) -> str:
    """12 · 2.5 · 0.33: at most two decimals, no trailing zeros."""
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass
class Point:
    item: object
    value: Decimal
    effort: Decimal
    ratio: float
    quadrant: str
    number: int = 0

    @property
    def tip(self) -> str:
        return (
            f"{self.item.title}: value {number(self.value)}, effort {number(self.effort)}, "
            f"value ÷ effort {number(self.ratio)}"
        )


@dataclass
class Matrix:
    points: list[Point]
    not_plotted: list  # items without a value or an effort
    value_median: Decimal | None = None
    effort_median: Decimal | None = None
    quadrants: list[dict] = field(default_factory=list)


def build(items) -> Matrix:
    """Split items into points and those not plotted; number the points in list order (by quadrant,
    then value ÷ effort, best first)."""
    plotted, not_plotted = [], []
    for item in items:
        (plotted if item.value is not None and item.effort is not None else not_plotted).append(item)
    if not plotted:
        return Matrix(points=[], not_plotted=not_plotted, quadrants=_quadrants([]))
    value_median = statistics.median(Decimal(i.value) for i in plotted)
    effort_median = statistics.median(Decimal(i.effort) for i in plotted)
    points = [
        Point(
            item=i,
            value=Decimal(i.value),
            effort=Decimal(i.effort),
            ratio=Decimal(i.value) / Decimal(i.effort),
            quadrant=quadrant(i.value, i.effort, value_median=value_median, effort_median=effort_median),
        )
        for i in plotted
    ]
    order = {key: n for n, (key, _, _) in enumerate(QUADRANTS)}
    points.sort(key=lambda p: (order[p.quadrant], -p.ratio, -p.value, p.item.title.lower(), p.item.pk))
    for n, point in enumerate(points, start=1):
        point.number = n
    return Matrix(
        points=points,
        not_plotted=not_plotted,
        value_median=value_median,
        effort_median=effort_median,
        quadrants=_quadrants(points),
    )


def _quadrants(points: list[Point]) -> list[dict]:
    return [
        {"key": key, "label": label, "words": words, "points": [p for p in points if p.quadrant == key]}
        for key, label, words in QUADRANTS
    ]


# --- drawing -------------------------------------------------------------------------------------------


def ticks(high, *, count: int = 5) -> list[Decimal]:
    """Ticks from 0 to at least `high` on a step of 1, 2 or 5 × 10ⁿ, about `count` intervals."""
    high = Decimal(str(high))
    if high <= 0:
        high = Decimal(1)
    raw = high / count
    exponent = math.floor(math.log10(raw))
    step = next(Decimal(f).scaleb(exponent) for f in (1, 2, 5, 10) if Decimal(f).scaleb(exponent) >= raw).normalize()
    last = math.ceil(high / step)
    return [(step * i).normalize() + 0 for i in range(last + 1)]


@dataclass(frozen=True)
class Size:
    css_class: str
    width: int
    height: int
    font: int


# The house chart sizes (kpis/charts.py): .chart-frame's container queries pick one.
SIZES = (Size("chart-compact", 380, 360, 12), Size("chart", 640, 440, 13), Size("chart-wide", 960, 520, 13))


def svg(matrix: Matrix, *, label: str, unit: str = "person-months") -> SafeString:
    """The scatter at every size, in a figure the house CSS sizes; items need a `url` attribute."""
    if not matrix.points:
        return mark_safe("")
    drawings = "".join(_svg(matrix, size, label=label, unit=unit) for size in SIZES)
    return mark_safe(f'<figure class="chart-frame mx-frame">{drawings}</figure>')  # noqa: S308 - escaped


def _offsets(points: list[Point]) -> dict[int, tuple[float, float]]:
    """Points on the same spot fan out on a circle around it, wide enough that they do not overlap:
    each stays visible and clickable. (dx, dy) in point radii."""
    spots: dict[tuple, list[Point]] = {}
    for p in points:
        spots.setdefault((p.value, p.effort), []).append(p)
    moved = {}
    for group in spots.values():
        if len(group) == 1:
            continue
        spread = 1.1 / math.sin(math.pi / len(group))
        for k, p in enumerate(group):
            angle = math.pi + 2 * math.pi * k / len(group)  # from the left: values are often whole numbers
            moved[p.number] = (spread * math.cos(angle), spread * math.sin(angle))
    return moved


def _svg(matrix: Matrix, size: Size, *, label: str, unit: str) -> str:
    points = matrix.points
    font = size.font
    char = font * 0.62
    x_ticks = ticks(max(p.effort for p in points) * Decimal("1.05"), count=max(3, size.width // 110))
    y_ticks = ticks(max(p.value for p in points) * Decimal("1.05"), count=max(3, size.height // 80))
    y_labels = [number(t) for t in y_ticks]
    left = math.ceil(max(len(t) for t in y_labels) * char + 14)
    top, right, bottom = font + 16, 16, 2 * font + 22
    plot_w, plot_h = size.width - left - right, size.height - top - bottom
    x_max, y_max = float(x_ticks[-1]), float(y_ticks[-1])

    def x(effort) -> float:
        return left + float(effort) / x_max * plot_w

    def y(value) -> float:
        return top + plot_h - float(value) / y_max * plot_h

    mx, my = x(matrix.effort_median), y(matrix.value_median)
    out = [
        f'<svg class="{size.css_class}" viewBox="0 0 {size.width} {size.height}" role="group" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet" font-size="{font}">'
        f"<title>{escape(label)}</title>",
        '<g class="quadrants" aria-hidden="true">',
        f'<rect class="q-bg q-quick_wins" x="{left}" y="{top}" width="{mx - left:.1f}" height="{my - top:.1f}"/>',
        f'<rect class="q-bg q-big_bets" x="{mx:.1f}" y="{top}" width="{left + plot_w - mx:.1f}" '
        f'height="{my - top:.1f}"/>',
        f'<rect class="q-bg q-fill_ins" x="{left}" y="{my:.1f}" width="{mx - left:.1f}" '
        f'height="{top + plot_h - my:.1f}"/>',
        f'<rect class="q-bg q-money_pits" x="{mx:.1f}" y="{my:.1f}" width="{left + plot_w - mx:.1f}" '
        f'height="{top + plot_h - my:.1f}"/>',
    ]
    pad = 6
    corners = (
        ("quick_wins", left + pad, top + font + 2, "start"),
        ("big_bets", left + plot_w - pad, top + font + 2, "end"),
        ("fill_ins", left + pad, top + plot_h - pad, "start"),
        ("money_pits", left + plot_w - pad, top + plot_h - pad, "end"),
    )
    for key, qx, qy, anchor in corners:
        out.append(
            f'<text class="q-label q-{key}" x="{qx:.1f}" y="{qy:.1f}" text-anchor="{anchor}">'
            f"{QUADRANT_LABELS[key]}</text>"
        )
    out.append("</g>")
    out.append('<g class="axes" aria-hidden="true">')
    for t, text in zip(y_ticks, y_labels, strict=True):
        ty = y(t)
        out.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{ty + font * 0.35:.1f}" text-anchor="end">{text}</text>'
        )
    label_w = max(len(number(t)) for t in x_ticks) * char + 8
    every = max(1, math.ceil(label_w / (plot_w / (len(x_ticks) - 1))))
    for i, t in enumerate(x_ticks):
        tx = x(t)
        out.append(f'<line class="grid" x1="{tx:.1f}" x2="{tx:.1f}" y1="{top}" y2="{top + plot_h}"/>')
        if i % every == 0:
            out.append(
                f'<text class="axis" x="{tx:.1f}" y="{top + plot_h + font + 6}" text-anchor="middle">{number(t)}</text>'
            )
    out.append(
        f'<text class="axis-title" x="{left}" y="{font + 2}">Value ↑</text>'
        f'<text class="axis-title" x="{left + plot_w}" y="{size.height - 6}" text-anchor="end">'
        f"Effort ({escape(unit)}) →</text>"
    )
    out.append(
        f'<line class="median" x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{top + plot_h}"/>'
        f'<line class="median" x1="{left}" x2="{left + plot_w}" y1="{my:.1f}" y2="{my:.1f}"/>'
        f'<text class="median-label" x="{mx:.1f}" y="{top - 4}" text-anchor="middle">'
        f"median {number(matrix.effort_median)}</text>"
        "</g>"
    )
    out.append(
        f'<text class="median-label" x="{left + plot_w}" y="{my - 4:.1f}" text-anchor="end" aria-hidden="true">'
        f"median {number(matrix.value_median)}</text>"
    )
    moved = _offsets(points)
    # The compact drawing (a phone) has dots; the larger ones carry the numbers of the page's lists.
    numbered = size.css_class != "chart-compact"
    for p in points:
        radius = (9 if p.number < 100 else 11) if numbered else 5.5
        dx, dy = moved.get(p.number, (0.0, 0.0))
        cx, cy = x(p.effort) + dx * radius, y(p.value) + dy * radius
        out.append(_point(p, cx, cy, radius, size, numbered=numbered))
    out.append("</svg>")
    return "".join(out)


def _point(p: Point, cx: float, cy: float, radius: float, size: Size, *, numbered: bool = True) -> str:
    font = size.font
    lines = [
        p.item.title if len(p.item.title) <= 48 else p.item.title[:47] + "…",
        f"value {number(p.value)} · effort {number(p.effort)} · ÷ {number(p.ratio)}",
    ]
    line = font + 4
    tip_w = max(len(lines[0]) * 0.64, len(lines[1]) * 0.6) * font + 16
    tip_h = 2 * line + 8
    tx = min(max(cx - tip_w / 2, 2), size.width - tip_w - 2)
    ty = cy - tip_h - radius - 4 if cy - tip_h - radius - 4 >= 2 else cy + radius + 4
    label = (
        f'<text class="point-number" x="{cx:.1f}" y="{cy + 3.5:.1f}" text-anchor="middle" font-size="10">'
        f"{p.number}</text>"
        if numbered
        else ""
    )
    return (
        f'<a class="point" href="{escape(p.item.url)}"><title>{escape(p.tip)}</title>'
        f'<circle class="marker q-{p.quadrant}" cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}"/>{label}'
        f'<g class="point-tip" aria-hidden="true"><rect x="{tx:.1f}" y="{ty:.1f}" width="{tip_w:.1f}" '
        f'height="{tip_h}" rx="4"/><text x="{tx + 7:.1f}" y="{ty + line:.1f}">'
        f'<tspan class="tip-period">{escape(lines[0])}</tspan>'
        f'<tspan x="{tx + 7:.1f}" dy="{line}">{escape(lines[1])}</tspan></text></g></a>'
    )
