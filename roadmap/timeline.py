"""The roadmap timeline: a Gantt-like chart by month, laid out here and drawn as server-side SVG.

`build()` is pure layout (no queries): it takes the items, releases and dependency edges a view read
and returns the rows (products, then each product's items as a tree: initiative, its features, their
requirements), every bar's dates, the releases as milestones, the arrows between bars and the items
that have no dates. `svg()` draws that. The item titles are not in the SVG: the page puts them in an
HTML column of the same row heights (links, wrapped text, a screen reader reads them), which stays in
place while the chart scrolls sideways on a narrow screen. The row heights below and those in
static/css/timeline.css must match (tests/roadmap/test_timeline_pages.py checks).

The SVG is drawn at its own size in CSS pixels: months are wide enough for their labels and fill about
the width a laptop gives the chart; a longer range, or a phone, scrolls. Looks come from classes styled
in static/css/timeline.css (no inline style: the pages run under a strict CSP).

Bars:
- start and end date: the bar between them (both days included);
- no end date but a release with a target date: an *estimated* bar (hatched) ending on that date and
  starting on the later of its start date and the first of the current month;
- an end date without a start date: estimated from the first of the current month;
- a start date alone: estimated, one month long;
- none of these: not drawn, listed as unscheduled.
An estimated start after its end starts the bar with the end's month (or the start date, if earlier).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Geometry in CSS px (the SVG is drawn at its own size). ROW_H, GROUP_H and AXIS_H are repeated in
# static/css/timeline.css for the title column.
AXIS_H = 44
GROUP_H = 36
ROW_H = 32
BAR_H = 14
TIP_ROOM = 48  # below the last row: the hover/focus label of a bar opens downwards
FONT = 12
MONTH_MIN, MONTH_MAX = 64, 170
CHART_WIDTH = 1040  # what a 1440 px screen gives the chart beside the title column
DEFAULT_BACK = 12  # months: the default range starts no earlier than this before the current month
DEFAULT_SPAN = 36  # months: the default range is at most this long
MAX_SPAN = 60  # months a chosen range may cover

FINISHED = ("done", "dropped")


# --- months --------------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


FIRST_MONTH, LAST_MONTH = date.min, date.max.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after the month of `day`; held within the calendar's years 1 to
    9999 (a range asked for at its edge ends there, it does not fail)."""
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    if year < FIRST_MONTH.year:
        return FIRST_MONTH
    if year > LAST_MONTH.year:
        return LAST_MONTH
    return date(year, month + 1, 1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_between(first: date, last: date) -> int:
    """Whole months from the month of `first` to that of `last` (0: the same month)."""
    return (last.year - first.year) * 12 + last.month - first.month


def parse_month(text: str) -> date | None:
    """ "2026-03" → 2026-03-01; anything else → None."""
    try:
        year, month = text.strip().split("-")
        if len(year) != 4 or len(month) != 2:
            return None
        return date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        return None


def day_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


# --- bars ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A bar's dates, both included; `estimated` when a date was not set on the item itself."""

    start: date
    end: date
    estimated: bool = False
    basis: str = ""  # how an estimate was made, in words

    def overlaps(self, first: date, last: date) -> bool:
        """Does the bar show in the months `first` … `last` (month starts, both included)?"""
        return self.start <= month_end(last) and self.end >= first


def _estimated_start(start: date | None, end: date, today: date) -> date:
    begin = max(month_start(today), start) if start else month_start(today)
    if begin > end:
        begin = min(start, month_start(end)) if start else month_start(end)
    return begin


def item_span(item, *, today: date) -> Span | None:
    """The bar of an item (its `release` must be loaded), or None when it has nothing to place it by."""
    start, end = item.start_date, item.end_date
    if start and end:
        return Span(start, end)
    if end:
        return Span(_estimated_start(None, end, today), end, True, "start date not set")
    release = item.release
    if release is not None and release.target_date:
        target = release.target_date
        return Span(_estimated_start(start, target, today), target, True, f"ends with release {release.version}")
    if start:
        return Span(start, month_end(start), True, "end date not set: one month shown")
    return None


def out_of_order(dependent, dependent_span: Span | None, prerequisite, prerequisite_span: Span | None, kind) -> bool:
    """A `blocks` edge whose dependent starts before its prerequisite ends (done or dropped items are
    past planning; `relates` says nothing about order)."""
    if kind != "blocks" or dependent_span is None or prerequisite_span is None:
        return False
    if dependent.status in FINISHED or prerequisite.status in FINISHED:
        return False
    return dependent_span.start < prerequisite_span.end


def default_range(spans: list[Span], release_dates: list[date], *, today: date) -> tuple[date, date]:
    """(first month, last month) shown when none is chosen.

    From the earliest start, or the month before the current one when nothing starts earlier (no
    more than DEFAULT_BACK months back), to the latest end or release date, at least six months and
    at most DEFAULT_SPAN.
    """
    now = month_start(today)
    first = add_months(now, -1)
    if spans:
        first = min(first, month_start(min(s.start for s in spans)))
    first = max(first, add_months(now, -DEFAULT_BACK))
    ends = [s.end for s in spans] + list(release_dates)
    last = month_start(max(ends)) if ends else now
    last = min(max(last, add_months(first, 5)), add_months(first, DEFAULT_SPAN - 1))
    return first, last


# --- layout --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    first: date  # first month shown (a month start)
    last: date  # last month shown (a month start)

    @property
    def count(self) -> int:
        return months_between(self.first, self.last) + 1

    @property
    def month_width(self) -> float:
        return float(min(MONTH_MAX, max(MONTH_MIN, CHART_WIDTH // self.count)))

    @property
    def width(self) -> float:
        return self.count * self.month_width

    @property
    def months(self) -> list[date]:
        return [add_months(self.first, i) for i in range(self.count)]

    def x(self, day: date) -> float:
        """Where a day begins (not clamped: a day outside the range lies outside 0 … width)."""
        days = calendar.monthrange(day.year, day.month)[1]
        return (months_between(self.first, day) + (day.day - 1) / days) * self.month_width

    def x_end(self, day: date) -> float:
        """Where a day ends: where the next day begins, without computing the next day (none after
        9999-12-31)."""
        days = calendar.monthrange(day.year, day.month)[1]
        return (months_between(self.first, day) + day.day / days) * self.month_width

    def bar(self, span: Span) -> tuple[float, float]:
        """x from the start of the first day to the end of the last, clamped to the chart."""
        x1 = min(max(self.x(span.start), 0.0), self.width)
        x2 = min(max(self.x_end(span.end), 0.0), self.width)
        return x1, x2


@dataclass
class Milestone:
    release: object
    x: float
    level: int | None = None  # label line (0 above, 1 below the middle); None: no room for a label
    side: str = "right"  # of the diamond


@dataclass
class Dependency:
    """One prerequisite of a row's item, for the table and the arrows."""

    item: object  # the prerequisite
    kind: str
    warn: bool
    drawn: bool = False


@dataclass
class Row:
    product: object
    item: object | None = None  # None: the product's header row
    depth: int = 0
    span: Span | None = None
    shown: bool = False  # the bar is in the range
    top: float = 0.0
    milestones: list[Milestone] = field(default_factory=list)
    depends_on: list[Dependency] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.item is None

    @property
    def height(self) -> int:
        return GROUP_H if self.is_group else ROW_H

    @property
    def middle(self) -> float:
        return self.top + self.height / 2


@dataclass
class Arrow:
    source: Row  # the prerequisite: the arrow leaves its bar's end
    target: Row  # the dependent: the arrow reaches its bar's start
    kind: str
    warn: bool


@dataclass
class Timeline:
    axis: Axis
    today: date
    rows: list[Row]
    arrows: list[Arrow]
    unscheduled: list  # items without dates, by product and tree order
    outside: int  # items with dates that fall outside the range (and no child inside it)

    @property
    def item_rows(self) -> list[Row]:
        return [r for r in self.rows if not r.is_group]

    @property
    def height(self) -> float:
        return (self.rows[-1].top + self.rows[-1].height if self.rows else AXIS_H) + TIP_ROOM

    @property
    def today_x(self) -> float | None:
        """Where today's line is, or None when today is not in the range."""
        if not self.axis.first <= self.today <= month_end(self.axis.last):
            return None
        days = calendar.monthrange(self.today.year, self.today.month)[1]
        return self.axis.x(self.today) + self.axis.month_width / days / 2

    @property
    def warnings(self) -> int:
        return sum(1 for r in self.item_rows for d in r.depends_on if d.warn)


def _tree(items: list) -> tuple[dict, dict]:
    """(roots by product id, children by parent id): a parent that is not among `items` (filtered
    out, another kind hidden) leaves its children as roots."""
    ids = {i.pk for i in items}
    roots: dict[int, list] = {}
    children: dict[int, list] = {}
    for item in items:
        if item.parent_id in ids and item.parent_id != item.pk:
            children.setdefault(item.parent_id, []).append(item)
        else:
            roots.setdefault(item.product_id, []).append(item)
    return roots, children


KIND_ORDER = {"initiative": 0, "feature": 1, "requirement": 2}


def build(
    items,
    releases,
    edges,
    *,
    today: date,
    first: date | None = None,
    last: date | None = None,
    products=None,
) -> Timeline:
    """Lay out the timeline.

    `items`: RoadmapItems with `product` and `release` loaded. `releases`: the releases to show as
    milestones (those without a target date are skipped). `edges`: RoadmapDependency rows of these
    items with `depends_on` (and its `release`) loaded; a prerequisite outside `items` is listed in
    the table but not drawn. `first`/`last`: the months to show (default: `default_range`).
    `products`: the product order (default: by name, as the items and releases give them).
    """
    items = list(items)
    spans = {item.pk: item_span(item, today=today) for item in items}
    dated_releases = [r for r in releases if r.target_date]
    if first is None or last is None:
        default_first, default_last = default_range(
            [s for s in spans.values() if s], [r.target_date for r in dated_releases], today=today
        )
        if first is not None:  # from a chosen month: to the default end, six months at least
            last = min(max(default_last, add_months(first, 5)), add_months(first, DEFAULT_SPAN - 1))
        elif last is not None:  # up to a chosen month: from the default start, six months at least
            first = max(min(default_first, add_months(last, -5)), add_months(last, -(DEFAULT_SPAN - 1)))
        else:
            first, last = default_first, default_last
    axis = Axis(month_start(first), month_start(last))

    product_list = list(products) if products is not None else None
    if product_list is None:
        by_id = {i.product_id: i.product for i in items} | {r.product_id: r.product for r in dated_releases}
        product_list = sorted(by_id.values(), key=lambda p: (p.name.lower(), p.pk))

    walk = _Walk(items, spans, axis)
    rows: list[Row] = []
    for product in product_list:
        product_rows = walk.product_rows(product)
        milestones = [
            Milestone(release=r, x=axis.x(r.target_date))
            for r in dated_releases
            if r.product_id == product.pk and axis.first <= r.target_date <= month_end(axis.last)
        ]
        if product_rows or milestones:
            rows.append(Row(product=product, milestones=_place_labels(milestones)))
            rows.extend(product_rows)

    top = float(AXIS_H)
    for row in rows:
        row.top = top
        top += row.height

    arrows: list[Arrow] = []
    row_of = walk.row_of
    for edge in edges:
        row = row_of.get(edge.item_id)
        if row is None:
            continue
        prerequisite = edge.depends_on
        # A prerequisite not among the items (another kind, filtered out) is placed by its own dates.
        known = prerequisite.pk in spans
        prerequisite_span = spans[prerequisite.pk] if known else item_span(prerequisite, today=today)
        warn = out_of_order(row.item, row.span, prerequisite, prerequisite_span, edge.kind)
        source = row_of.get(prerequisite.pk)
        drawn = bool(row.shown and source is not None and source.shown)
        row.depends_on.append(Dependency(item=prerequisite, kind=edge.kind, warn=warn, drawn=drawn))
        if drawn:
            arrows.append(Arrow(source=source, target=row, kind=edge.kind, warn=warn))
    return Timeline(
        axis=axis, today=today, rows=rows, arrows=arrows, unscheduled=walk.unscheduled, outside=walk.outside
    )


class _Walk:
    """Each product's items as a tree, depth first: siblings by the earliest start in their subtree."""

    def __init__(self, items: list, spans: dict, axis: Axis):
        self.spans, self.axis = spans, axis
        self.roots, self.children = _tree(items)
        self.subtree_start: dict[int, date | None] = {}
        self.row_of: dict[int, Row] = {}
        self.unscheduled: list = []
        self.outside = 0

    def earliest(self, item, seen: frozenset = frozenset()) -> date | None:
        if item.pk not in self.subtree_start:
            span = self.spans[item.pk]
            starts = [span.start] if span else []
            for child in self.children.get(item.pk, ()):
                if child.pk not in seen and (start := self.earliest(child, seen | {item.pk})):
                    starts.append(start)
            self.subtree_start[item.pk] = min(starts) if starts else None
        return self.subtree_start[item.pk]

    def order(self, item) -> tuple:
        start = self.earliest(item)
        return (start is None, start or date.max, KIND_ORDER.get(item.kind, 3), item.title.lower(), item.pk)

    def product_rows(self, product) -> list[Row]:
        rows: list[Row] = []
        for root in sorted(self.roots.get(product.pk, ()), key=self.order):
            self.visit(product, rows, root, 0, frozenset({root.pk}))
        return rows

    def visit(self, product, rows: list[Row], item, depth: int, seen: frozenset) -> bool:
        """Add the item's row (and its children's) when it or a descendant has a bar in range."""
        span = self.spans[item.pk]
        shown = bool(span and span.overlaps(self.axis.first, self.axis.last))
        row = Row(product=product, item=item, depth=depth, span=span, shown=shown)
        at = len(rows)
        rows.append(row)
        if span is None:
            self.unscheduled.append(item)
        any_child = False
        for child in sorted(self.children.get(item.pk, ()), key=self.order):
            if child.pk not in seen:
                any_child = self.visit(product, rows, child, depth + 1, seen | {child.pk}) or any_child
        if shown or any_child:
            self.row_of[item.pk] = row
            return True
        del rows[at]
        if span is not None:
            self.outside += 1
        return False


def _label_width(text: str) -> float:
    return len(text) * FONT * 0.62 + 4


DIAMOND = 7  # half the width of a release's diamond


def _place_labels(milestones: list[Milestone]) -> list[Milestone]:
    """Version labels beside their diamonds: right of it above the middle, left of it above, then right
    and left below; never over another diamond or label. No room anywhere: no label (the diamond's
    <title> and the release list still name it)."""
    diamonds = [(m.x - DIAMOND, m.x + DIAMOND) for m in milestones]
    taken: list[list[tuple[float, float]]] = [[], []]
    for m in sorted(milestones, key=lambda m: m.x):
        width = _label_width(m.release.version)
        right, left = (m.x + DIAMOND + 2, m.x + DIAMOND + 2 + width), (m.x - DIAMOND - 2 - width, m.x - DIAMOND - 2)
        for level, side, (a, b) in ((0, "right", right), (0, "left", left), (1, "right", right), (1, "left", left)):
            clear = a >= 0 and all(b <= d0 or a >= d1 for d0, d1 in diamonds if (d0 + d1) / 2 != m.x)
            if clear and all(b <= t0 or a >= t1 for t0, t1 in taken[level]):
                m.level, m.side = level, side
                taken[level].append((a, b))
                break
    return milestones


# --- drawing -------------------------------------------------------------------------------------------

STATUS_LABELS = {
    "proposed": "Proposed",
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "dropped": "Dropped",
}


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_words(row: Row) -> str:
    """The bar's dates in words: for its <title>, its visible label and the table."""
    span = row.span
    words = f"{day_label(span.start)} – {day_label(span.end)}"
    if span.estimated:
        words += f" (estimated: {span.basis})"
    return words


def _bar(row: Row, axis: Axis, width: float) -> str:
    item, span = row.item, row.span
    x1, x2 = axis.bar(span)
    x2 = max(x2, x1 + 4)
    y = row.middle - BAR_H / 2
    status = item.status
    status_label = STATUS_LABELS.get(status, status)
    title = f"{item.title} · {status_label} · {bar_words(row)}"
    estimated = " estimated" if span.estimated else ""
    # The label under the bar on hover and focus: title, then status and dates, kept inside the chart.
    lines = [item.title if len(item.title) <= 60 else item.title[:59] + "…", f"{status_label} · {bar_words(row)}"]
    tip_w = max(len(lines[0]) * 0.64, len(lines[1]) * 0.6) * FONT + 16
    tip_h = 2 * (FONT + 5) + 8
    tx = min(max(x1, 2.0), max(width - tip_w - 2, 2.0))
    ty = y + BAR_H + 4
    return (
        f'<g class="bar" tabindex="0"><title>{escape(title)}</title>'
        f'<rect class="bar-fill s-{escape(status)}{estimated}" x="{_f(x1)}" y="{_f(y)}" width="{_f(x2 - x1)}" '
        f'height="{BAR_H}" rx="3"/>'
        f'<g class="bar-tip" aria-hidden="true"><rect x="{_f(tx)}" y="{_f(ty)}" width="{_f(tip_w)}" '
        f'height="{tip_h}" rx="4"/><text x="{_f(tx + 8)}" y="{_f(ty + FONT + 5)}">'
        f'<tspan class="tip-title">{escape(lines[0])}</tspan>'
        f'<tspan x="{_f(tx + 8)}" dy="{FONT + 5}">{escape(lines[1])}</tspan></text></g></g>'
    )


def _arrow_path(arrow: Arrow, axis: Axis) -> str:
    x1 = axis.bar(arrow.source.span)[1]
    x2 = axis.bar(arrow.target.span)[0]
    y1, y2 = arrow.source.middle, arrow.target.middle
    bend = x1 + 8
    if x2 - 10 >= bend:
        return f"M{_f(x1)},{_f(y1)} H{_f(bend)} V{_f(y2)} H{_f(x2)}"
    # The dependent starts too early for a plain elbow: go round, between the rows, into its start.
    between = arrow.target.top if y2 > y1 else arrow.target.top + arrow.target.height
    back = max(x2 - 10, 2.0)
    return f"M{_f(x1)},{_f(y1)} H{_f(bend)} V{_f(between)} H{_f(back)} V{_f(y2)} H{_f(x2)}"


def _arrow(arrow: Arrow, axis: Axis) -> str:
    path = _arrow_path(arrow, axis)
    source, target = arrow.source.item, arrow.target.item
    relation = "is blocked by" if arrow.kind == "blocks" else "relates to"
    title = f"“{target.title}” {relation} “{source.title}”"
    if arrow.warn:
        title += (
            f": it starts {day_label(arrow.target.span.start)}, before that ends {day_label(arrow.source.span.end)}"
        )
    classes = f"arrow {escape(arrow.kind)}{' warn' if arrow.warn else ''}"
    marker = "tl-arrow-warn" if arrow.warn else "tl-arrow"
    return (
        f'<g class="{classes}"><title>{escape(title)}</title>'
        f'<path class="arrow-hit" d="{path}"/>'
        f'<path class="arrow-line" d="{path}" marker-end="url(#{marker})"/></g>'
    )


def _defs() -> str:
    patterns = "".join(
        f'<pattern id="tl-hatch-{s}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect class="hatch-bg s-{s}" width="6" height="6"/>'
        f'<rect class="hatch s-{s}" width="2.5" height="6"/></pattern>'
        for s in STATUS_LABELS
    )
    markers = "".join(
        f'<marker id="{name}" viewBox="0 0 8 8" refX="7.5" refY="4" markerWidth="8" markerHeight="8" '
        f'markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path class="{css}" d="M0,0.5 L8,4 L0,7.5 z"/></marker>'
        for name, css in (("tl-arrow", "arrow-head"), ("tl-arrow-warn", "arrow-head warn"))
    )
    return f"<defs>{patterns}{markers}</defs>"


def _axis(timeline: Timeline, height: float) -> str:
    axis = timeline.axis
    width = axis.width
    out = ['<g class="months" aria-hidden="true">']
    for i, month in enumerate(axis.months):
        x = i * axis.month_width
        if i % 2:
            out.append(
                f'<rect class="month-band" x="{_f(x)}" y="0" width="{_f(axis.month_width)}" height="{_f(height)}"/>'
            )
        line = "year-line" if month.month == 1 and i else "month-line"
        out.append(f'<line class="{line}" x1="{_f(x)}" x2="{_f(x)}" y1="{AXIS_H - 22}" y2="{_f(height)}"/>')
        if i == 0 or month.month == 1:
            out.append(f'<text class="year" x="{_f(x + 5)}" y="15">{month.year}</text>')
        out.append(
            f'<text class="month" x="{_f(x + axis.month_width / 2)}" y="{AXIS_H - 9}" text-anchor="middle">'
            f"{month:%b}</text>"
        )
    out.append(f'<line class="axis-base" x1="0" x2="{_f(width)}" y1="{AXIS_H}" y2="{AXIS_H}"/></g>')
    return "".join(out)


def _today(timeline: Timeline, height: float) -> str:
    axis, today, x = timeline.axis, timeline.today, timeline.today_x
    if x is None:
        return ""
    # "Today" beside the line in the year row: to its right, or its left where a year label sits.
    year_x = [i * axis.month_width for i, m in enumerate(axis.months) if i == 0 or m.month == 1]
    right = all(not (yx - 46 < x < yx + 40) for yx in year_x) or x < 50
    tx, anchor = (x + 4, "start") if right else (x - 4, "end")
    return (
        f'<g class="today"><title>Today, {day_label(today)}</title>'
        f'<line x1="{_f(x)}" x2="{_f(x)}" y1="4" y2="{_f(height)}"/>'
        f'<text x="{_f(tx)}" y="15" text-anchor="{anchor}">Today</text></g>'
    )


def _milestones(row: Row, rows_below: float) -> str:
    out = []
    for m in row.milestones:
        release = m.release
        y = row.middle
        shipped = release.status == "shipped"
        state = "shipped" if shipped else "planned"
        title = f"Release {release}: target {day_label(release.target_date)}" + (" · shipped" if shipped else "")
        out.append(
            f'<line class="release-line" x1="{_f(m.x)}" x2="{_f(m.x)}" y1="{_f(y)}" y2="{_f(rows_below)}"/>'
            f'<a class="milestone {state}" href="{escape(release.url)}"><title>{escape(title)}</title>'
            f'<path d="M{_f(m.x)},{_f(y - 7)} L{_f(m.x + 7)},{_f(y)} L{_f(m.x)},{_f(y + 7)} '
            f'L{_f(m.x - 7)},{_f(y)} z"/>'
        )
        if m.level is not None:
            ty = y - 2 if m.level == 0 else y + 11
            tx, anchor = (m.x + DIAMOND + 2, "start") if m.side == "right" else (m.x - DIAMOND - 2, "end")
            out.append(f'<text x="{_f(tx)}" y="{_f(ty)}" text-anchor="{anchor}">{escape(release.version)}</text>')
        out.append("</a>")
    return "".join(out)


def svg(timeline: Timeline, *, label: str) -> SafeString:
    """The chart; releases need a `url` attribute (their page) set by the view."""
    axis = timeline.axis
    width = axis.width + 2
    height = timeline.height
    rows_end = height - TIP_ROOM
    out = [
        f'<svg class="tl-chart" width="{_f(width)}" height="{_f(height)}" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'role="group" aria-label="{escape(label)}" font-size="{FONT}"><title>{escape(label)}</title>',
        _defs(),
        _axis(timeline, rows_end),
    ]
    groups = [r for r in timeline.rows if r.is_group]
    out.append('<g class="rows" aria-hidden="true">')
    for row in timeline.rows:
        if row.is_group:
            out.append(f'<rect class="group-band" x="0" y="{_f(row.top)}" width="{_f(width)}" height="{GROUP_H}"/>')
        else:
            bottom = row.top + row.height - 0.5
            out.append(f'<line class="row-line" x1="0" x2="{_f(width)}" y1="{_f(bottom)}" y2="{_f(bottom)}"/>')
    out.append("</g>")
    out.append(_today(timeline, rows_end))
    out.append('<g class="arrows">')
    out.extend(_arrow(a, axis) for a in timeline.arrows)
    out.append("</g>")
    # Bars bottom-up, so the label a bar opens downwards is drawn over the rows below it.
    bars = [r for r in timeline.rows if not r.is_group and r.shown]
    out.append('<g class="bars">')
    out.extend(_bar(r, axis, width) for r in reversed(bars))
    out.append("</g>")
    for i, group in enumerate(groups):
        # A release's line runs down through its product's rows.
        next_top = groups[i + 1].top if i + 1 < len(groups) else rows_end
        out.append(_milestones(group, next_top))
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
