"""Post-launch review pages: did each launch do what its planners expected, and how often do they get it right?

- `launch-review-list` (/portfolios/<id>/launch-reviews/, Lifecycle tab "Launch reviews"): over all the
  portfolio's launches, how often the expectations held and how optimistic the planners were, by quarter of
  launch (two charts and their table), then every review (launch, product, date, window, status, the
  expectations held, the headline KPI's change). `?product=` narrows it to one product; `?format=csv`
  downloads the reviews, one row per review and KPI. Plans launched before reviews existed get theirs here.
- `launch-review-page` (/launch-reviews/<id>/): one launch's review: a sentence, each KPI's before / after /
  change / expected / outcome with a small before-after chart (the expected level dashed), the roadmap items
  whose expectations it checks, and the window (admins and product managers change it here).
- `launch-review-window` (POST /launch-reviews/<id>/window/): the window form's target.
- `launch-review-for-plan` (/launches/<plan id>/review/): the plan's review (made on first visit for a plan
  that launched before reviews existed); how the launch plan page and the launch view link to it.

Every member reads. The figures are kpis.reviews's; each page costs a fixed number of queries whatever the
number of reviews, KPIs and items. Charts are server-rendered SVG (no script, CSP-safe).
"""

import math
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from gtm.models import LaunchPlan
from kpis import reviews as figures
from kpis.api.reviews import review_csv_lines
from kpis.charts import SIZES, nice_ticks, tick_labels
from kpis.launch_panels import quantity
from kpis.launch_views import STEADY_PCT
from kpis.models import LaunchReview
from kpis.services import reviews as services
from pmflow import access
from pmflow.errors import InvalidInput, NotFound
from products.models import Product
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user
from roadmap.page_tools import row_id

AGGREGATION_WORDS = {
    "sum": "total",
    "avg": "average of every measurement",
    "last": "latest value",
    "min": "lowest value",
    "max": "highest value",
}
OUTCOME_CSS = {"held": "held", "missed": "missed", "waiting": "waiting", "no_data": "none", "no_expectation": "none"}


# --- words and numbers ------------------------------------------------------------------------------


def pct(value, *, signed: bool = True) -> str:
    """+12.5 % · −3 % · 0 %: two decimals at most, a real minus sign."""
    if value is None:
        return "—"
    number = Decimal(value).quantize(Decimal("0.01")).normalize()
    number = number.quantize(Decimal(1)) if number == number.to_integral_value() else number
    sign = "−" if number < 0 else ("+" if signed and number > 0 else "")
    return f"{sign}{format(abs(number), 'f')} %"


def points(value) -> str:
    """+4.2 points · −1 point."""
    if value is None:
        return "—"
    text = pct(value).removesuffix(" %")
    return f"{text} point{'' if abs(Decimal(value)) == 1 else 's'}"


def _day(day) -> str:
    return f"{day.day} {day:%b} {day.year}"


def _value(value, kpi) -> str | None:
    return quantity(value, kpi.unit if kpi else "") if value is not None else None


def review_summary(result: figures.ReviewResult) -> str:
    """One sentence a planner reads first."""
    windows, expected = result.windows, result.expected
    days = windows.days
    if result.status == figures.WAITING:
        if result.today < windows.launch_date:
            return (
                f"The launch is dated {_day(windows.launch_date)}: its {days}-day review window closes on "
                f"{_day(windows.last_day)}."
            )
        left = (windows.last_day - result.today).days + 1
        to_go = f"{left} day{'s' if left != 1 else ''} to go"
        return (
            f"Waiting: the {days} days after launch end on {_day(windows.last_day)} ({to_go}); the figures below "
            "are so far and nothing is judged yet."
        )
    if not expected:
        return (
            f"No roadmap item of the launch's release states an expected change, so the {days} days before and "
            "after launch are shown without a verdict."
        )
    judged = [k for k in expected if k.held is not None]
    held = [k for k in judged if k.held]
    sentence = f"{len(held)} of {len(expected)} expectation{'s' if len(expected) != 1 else ''} held"
    unjudged = len(expected) - len(judged)
    if unjudged:
        sentence += f" ({unjudged} without data to judge)"
    gaps = [k.optimism_pct for k in judged]
    if gaps:
        mean = sum(gaps, Decimal(0)) / len(gaps)
        if mean > 0:
            sentence += f"; the planners expected {points(mean).lstrip('+')} more than happened"
        elif mean < 0:
            sentence += f"; the launch beat the plan by {points(-mean).lstrip('+')}"
        else:
            sentence += "; exactly as planned"
        sentence += " on average"
    return sentence + "."


def kpi_card(entry: figures.KPIResult, windows: figures.Windows) -> dict:
    kpi = entry.kpi
    change = entry.change_pct
    improved = None
    if change is not None and abs(change) >= STEADY_PCT and kpi is not None:
        improved = (change > 0) == (kpi.direction == "higher_is_better")
    return {
        "entry": entry,
        "kpi": kpi,
        "name": entry.name,
        "how": AGGREGATION_WORDS.get(kpi.aggregation, "") if kpi else "no KPI has this key any more",
        "before": _value(entry.before, kpi),
        "after": _value(entry.after, kpi),
        "change": pct(change) if change is not None else None,
        "change_note": "when the window closes" if change is None and entry.waiting and entry.after is not None else "",
        "change_css": "better" if improved else "worse" if improved is False else "flat",
        "expected": pct(entry.expected_change_pct) if entry.expected_change_pct is not None else None,
        "optimism": points(entry.optimism_pct) if entry.optimism_pct is not None else None,
        "outcome": entry.outcome,
        "outcome_label": figures.OUTCOMES[entry.outcome],
        "outcome_css": OUTCOME_CSS[entry.outcome],
        "chart": before_after_chart(entry, windows),
    }


# --- charts -----------------------------------------------------------------------------------------


def before_after_chart(entry: figures.KPIResult, windows: figures.Windows) -> SafeString:
    """Before and after as two points joined by a line, on an axis fitted to them (so a 3 % change shows),
    and the level the expectation aimed at as a dashed mark beside the after point."""
    if entry.before is None and entry.after is None:
        return mark_safe('<p class="empty small">No measurements in either window.</p>')  # noqa: S308
    if entry.waiting and entry.kpi is not None and entry.kpi.aggregation == "sum":
        return mark_safe(  # noqa: S308
            f'<p class="empty small">A total: the {entry.after_days} day{"s" if entry.after_days != 1 else ""} after '
            "launch so far are compared with the whole window before once the window closes.</p>"
        )
    target = None
    if entry.expected_change_pct is not None and entry.before is not None:
        target = entry.before + abs(entry.before) * entry.expected_change_pct / 100
    values = [float(v) for v in (entry.before, entry.after, target) if v is not None]
    low, high = min(values), max(values)
    # At least a tenth of the values' size from bottom to top, so a change of 0.1 % stays a flat line.
    span = max(high - low, max(abs(low), abs(high)) * 0.1)
    middle = (low + high) / 2
    low, high = middle - span / 2, middle + span / 2
    pad = span * 0.15 or 1.0
    ticks = nice_ticks(low - pad, high + pad, count=4)
    labels = tick_labels(ticks)
    lo, hi = float(ticks[0]), float(ticks[-1])
    width, height, top, bottom = 300, 150, 12, 26
    left = max(len(label) for label in labels) * 7 + 12
    x_before, x_after = left + (width - left) * 0.22, left + (width - left) * 0.6

    def y(v) -> float:
        return top + (hi - float(v)) / (hi - lo) * (height - top - bottom)

    def reading(value) -> str:
        return _value(value, entry.kpi) or "no data"

    title = f"{entry.name}: before {reading(entry.before)}, after {reading(entry.after)}" + (
        f", expected {reading(target)} ({pct(entry.expected_change_pct)})" if target is not None else ""
    )
    out = [
        f'<svg class="review-dumbbell" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f'<title>{escape(title)}</title><g aria-hidden="true">'
    ]
    for tick, label in zip(ticks, labels, strict=True):
        ty = y(tick)
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - 4}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end">{escape(label)}</text>'
        )
    after_label = "After, so far" if entry.waiting else "After"
    for x, label in ((x_before, "Before"), (x_after, after_label)):
        out.append(f'<text class="label" x="{x:.1f}" y="{height - 6}" text-anchor="middle">{label}</text>')
    out.append("</g>")
    css = {"held": "held", "missed": "missed"}.get(entry.outcome, "plain")
    if entry.before is not None and entry.after is not None:
        out.append(
            f'<line class="link {css}" x1="{x_before:.1f}" y1="{y(entry.before):.1f}" x2="{x_after:.1f}" '
            f'y2="{y(entry.after):.1f}"/>'
        )
    if target is not None:
        ty = y(target)
        out.append(
            f'<g class="point"><title>Expected: {escape(reading(target))} ({escape(pct(entry.expected_change_pct))})'
            f'</title><line class="expected" x1="{x_after - 22:.1f}" x2="{x_after + 22:.1f}" y1="{ty:.1f}" '
            f'y2="{ty:.1f}"/><text class="expected-label" x="{x_after + 27:.1f}" y="{ty + 4:.1f}">expected</text></g>'
        )
    for x, value, name, point_css in (
        (x_before, entry.before, "Before", "before"),
        (x_after, entry.after, after_label, f"after {css}"),
    ):
        if value is None:
            out.append(f'<text class="none" x="{x:.1f}" y="{height / 2:.1f}" text-anchor="middle">no data</text>')
            continue
        out.append(
            f'<g class="point"><title>{name}: {escape(reading(value))}</title>'
            f'<circle class="dot {point_css}" cx="{x:.1f}" cy="{y(value):.1f}" r="6"/></g>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308


def accuracy_charts(rows: list[dict]) -> dict[str, SafeString]:
    """Per quarter: the share of judged reviews that held (bars, 0–100 %), and the planners' mean optimism
    in points (bars up: they expected more than happened; down: less). Three sizes each (kpis.charts)."""
    share = [(r["quarter"], r["share"], r) for r in rows]
    optimism = [(r["quarter"], r["optimism_pct"], r) for r in rows]
    return {
        "share": _frame(
            share, kind="share", title="Share of judged launch reviews whose expectations held, by quarter"
        ),
        "optimism": _frame(
            optimism,
            kind="optimism",
            title="Mean of expected minus actual change in percentage points, by quarter (above zero: optimistic)",
        ),
    }


def _frame(series, *, kind: str, title: str) -> SafeString:
    svgs = "".join(_quarter_svg(series, size, kind=kind, title=title) for size in SIZES)
    return mark_safe(f'<figure class="chart-frame accuracy-chart">{svgs}</figure>')  # noqa: S308


def _quarter_svg(series, size, *, kind: str, title: str) -> str:
    height = size.height - 40
    top, bottom = 30, 30
    values = [float(v) for _, v, _ in series if v is not None]
    if kind == "share":
        ticks = [Decimal(0), Decimal(25), Decimal(50), Decimal(75), Decimal(100)]
    else:
        low, high = min([0.0, *values]), max([0.0, *values])
        if low == high:
            low, high = -5.0, 5.0
        ticks = nice_ticks(low, high, count=5)
    labels = [
        f"{text} %" if kind == "share" else f"{'+' if tick > 0 else ''}{text}"
        for tick, text in zip(ticks, tick_labels(ticks), strict=True)
    ]
    labels = [label.replace("-", "−") for label in labels]
    left = math.ceil(max(len(t) for t in labels) * size.char + 14)
    right = 10
    plot_w, plot_h = size.width - left - right, height - top - bottom
    lo, hi = float(ticks[0]), float(ticks[-1])
    n = max(len(series), 1)

    def y(v) -> float:
        return top + (hi - float(v)) / (hi - lo) * plot_h

    out = [
        f'<svg class="{size.css_class}" viewBox="0 0 {size.width} {height}" role="img" aria-label="{escape(title)}" '
        f'preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>',
        f'<g class="axes" aria-hidden="true" font-size="{size.font}">',
    ]
    if kind == "optimism":
        out.append(f'<text class="axis-title" x="4" y="{top - 10}">points</text>')
    for tick, label in zip(ticks, labels, strict=True):
        ty = y(tick)
        out.append(
            f'<line class="grid{" zero" if tick == 0 else ""}" x1="{left}" x2="{size.width - right}" '
            f'y1="{ty:.1f}" y2="{ty:.1f}"/><text class="axis" x="{left - 8}" y="{ty + size.font * 0.35:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
    slot = plot_w / n
    label_w = 7 * size.char + 6
    every = max(1, math.ceil(label_w / slot))
    for index, (quarter, _, _) in enumerate(series):
        if (n - 1 - index) % every == 0:  # the latest quarter always has its label
            out.append(
                f'<text class="axis x-label" x="{left + slot * (index + 0.5):.1f}" y="{height - 10}" '
                f'text-anchor="middle">{escape(quarter)}</text>'
            )
    out.append("</g>")
    bar_w = min(56.0, slot * 0.62)
    zero = y(0)
    for index, (quarter, value, row) in enumerate(series):
        cx = left + slot * (index + 0.5)
        if value is None:
            words = (
                f"{quarter}: no launch" if not row["reviews"] else f"{quarter}: {row['reviews']} review(s), none judged"
            )
            out.append(
                f'<g class="point"><title>{escape(words)}</title><text class="none" x="{cx:.1f}" y="{zero - 6:.1f}" '
                f'text-anchor="middle" font-size="{size.font}">–</text></g>'
            )
            continue
        vy = y(value)
        top_y, bar_h = min(vy, zero), max(abs(zero - vy), 1.5)
        if kind == "share":
            css = "share"
            words = f"{quarter}: {row['held']} of {row['with_expectations']} held ({pct(value, signed=False)})"
            text = pct(value, signed=False)
        else:
            css = "optimistic" if value > 0 else "pessimistic"
            words = f"{quarter}: {points(value)} on average over {row['expectations']} expectation(s)"
            text = points(value).replace(" points", "").replace(" point", "")
        out.append(
            f'<g class="point"><title>{escape(words)}</title><rect class="bar {css}" x="{cx - bar_w / 2:.1f}" '
            f'y="{top_y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" rx="3"/></g>'
        )
        text_y = top_y - 5 if value >= 0 else top_y + bar_h + size.font
        out.append(
            f'<text class="bar-value" x="{cx:.1f}" y="{text_y:.1f}" text-anchor="middle" font-size="{size.font}" '
            f'aria-hidden="true">{escape(text)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


# --- the pages --------------------------------------------------------------------------------------


def _status(result: figures.ReviewResult) -> dict:
    if result.status == figures.WAITING:
        return {"css": "waiting", "label": "Waiting", "note": f"until {_day(result.windows.last_day)}"}
    held = result.held
    if held is None:
        return {"css": "none", "label": "No expectation" if not result.expected else "Not enough data"}
    return {"css": "held" if held else "missed", "label": "Held" if held else "Missed"}


def _headline(entry) -> dict | None:
    if entry is None:
        return None
    if entry.change_pct is not None:
        change = pct(entry.change_pct)
    else:
        change = "pending" if entry.waiting and entry.after is not None else "no data"
    return {"name": entry.name, "change": change}


def _list_row(result: figures.ReviewResult) -> dict:
    plan = result.review.launch_plan
    headline = result.headline
    expected = result.expected
    return {
        "review": result.review,
        "plan": plan,
        "product": plan.product,
        "result": result,
        "status": _status(result),
        "expected": len(expected),
        "held_count": result.held_count,
        "judged": sum(1 for k in expected if k.held is not None),
        "headline": _headline(headline),
    }


def _accuracy_rows(rows: list[dict]) -> list[dict]:
    return [
        {
            **row,
            "share_text": pct(row["share"], signed=False) if row["share"] is not None else "—",
            "optimism_text": points(row["optimism_pct"]) if row["optimism_pct"] is not None else "—",
        }
        for row in rows
    ]


def _overall_sentence(total: dict) -> str:
    if not total["reviews"]:
        return ""
    if not total["with_expectations"]:
        waiting = f" ({total['waiting']} still waiting for their window to close)" if total["waiting"] else ""
        return (
            f"{total['reviews']} launch review{'s' if total['reviews'] != 1 else ''}{waiting}, none judged yet: "
            "state an expected change on the roadmap items of a release, and its launch review judges it."
        )
    sentence = (
        f"Expectations held in {total['held']} of {total['with_expectations']} judged launches "
        f"({pct(total['share'].quantize(Decimal(1), ROUND_HALF_UP), signed=False)})"
    )
    mean = total["optimism_pct"]
    if mean is not None and mean > 0:
        sentence += f"; on average planners expected {points(mean).lstrip('+')} more than happened"
    elif mean is not None and mean < 0:
        sentence += f"; on average launches beat the plan by {points(-mean).lstrip('+')}"
    return sentence + "."


@page
def review_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    services.reviews_backfill(portfolio_ids=[portfolio.id])
    products = list(Product.objects.filter(portfolio=portfolio).order_by("name", "id").only("id", "name"))
    chosen = row_id(request.GET.get("product"))
    product = next((p for p in products if p.id == chosen), None)
    reviews = figures.reviews_queryset().filter(launch_plan__product__portfolio=portfolio)
    if product is not None:
        reviews = reviews.filter(launch_plan__product=product)
    reviews = reviews.order_by("-launch_plan__launch_date", "-id")
    here = reverse("launch-review-list", args=[portfolio.id])
    if request.GET.get("format") == "csv":
        name = f"launch-reviews-{portfolio.id}" + (f"-product-{product.id}" if product else "")
        response = StreamingHttpResponse(review_csv_lines(reviews.iterator()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    results = figures.compute(reviews, only_expected=True)
    ordered = [results[review.id] for review in reviews]
    rows = figures.accuracy(ordered)
    total = figures.overall(ordered)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Lifecycle", reverse("rule-list", args=[portfolio.id])), ("Launch reviews", None)],
        section="rules",
        model=LaunchReview,
        products=products,
        product=product,
        rows=[_list_row(result) for result in ordered],
        quarters=_accuracy_rows(rows),
        judged_quarters=[row for row in rows if row["with_expectations"]],
        charts=accuracy_charts(rows) if any(row["with_expectations"] for row in rows) else None,
        total=total,
        total_sentence=_overall_sentence(total),
        csv_url=here + (f"?product={product.id}&" if product else "?") + "format=csv",
        here=here,
    )
    return render(request, "kpis/reviews/list.html", context)


def _review_for_user(user, review_id, *, write: bool = False) -> LaunchReview:
    return access.object_for_user(
        user, figures.reviews_queryset(), review_id, action=access.WRITE if write else access.READ
    )


def _review_page(request, review: LaunchReview, *, window_error: str = "", window_value=None, status: int = 200):
    plan = review.launch_plan
    product, portfolio = plan.product, plan.product.portfolio
    result = figures.compute_one(review)
    cards = [kpi_card(entry, result.windows) for entry in result.kpis]
    outcome_by_key = {card["entry"].key: card for card in cards}
    items = [
        {
            "item": item,
            "expected": pct(item.expected_change_pct),
            "card": outcome_by_key.get(item.expected_kpi_key),
        }
        for item in result.items
    ]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Launch reviews", reverse("launch-review-list", args=[portfolio.id])),
            (plan.name, None),
        ],
        section="rules",
        model=LaunchReview,
        review=review,
        plan=plan,
        product=product,
        result=result,
        windows=result.windows,
        status=_status(result),
        summary=review_summary(result),
        cards=cards,
        expected_cards=[card for card in cards if card["entry"].expected_change_pct is not None],
        other_cards=[card for card in cards if card["entry"].expected_change_pct is None],
        items=items,
        release=plan.release,
        can_edit=access.can(request.user, LaunchReview, portfolio.id),
        window_range=figures.WINDOW_RANGE,
        window_error=window_error,
        window_value=window_value if window_value is not None else review.window_days,
        launch_view_url=reverse("launch-kpis", args=[plan.id]),
    )
    return render(request, "kpis/reviews/page.html", context, status=status)


@page
def review_page(request, review_id: int):
    return _review_page(request, _review_for_user(request.user, review_id))


@page
@require_POST
def review_window(request, review_id: int):
    review = _review_for_user(request.user, review_id, write=True)  # the role before the form is read
    raw = (request.POST.get("window_days") or "").strip()[:20]
    try:
        services.review_update(review_id=review.id, actor=request.user, window_days=raw)
    except InvalidInput as exc:
        return _review_page(
            request, review, window_error=exc.fields.get("window_days", exc.message), window_value=raw, status=400
        )
    messages.success(request, f"Window saved: {services.clean_window(raw)} days before and after launch.")
    return redirect("launch-review-page", review_id=review.id)


@page
def review_for_plan(request, plan_id: int):
    plan = access.object_for_user(request.user, LaunchPlan.objects.all(), plan_id)
    review = LaunchReview.objects.filter(launch_plan=plan).first()
    if review is None:
        if plan.status != LaunchPlan.Status.LAUNCHED:
            raise NotFound()
        review = services.review_create(plan_id=plan.id)
    return redirect("launch-review-page", review_id=review.id)


# --- the launch plan page's panel -------------------------------------------------------------------


def plan_panel(plan, request) -> dict:
    """The review on the launch plan's page ("launch_plan.panels", registered by kpis.review_handlers)."""
    review = figures.reviews_queryset().filter(launch_plan=plan).first()
    if review is None:
        return {"review_url": reverse("launch-review-for-plan", args=[plan.id]), "result": None}
    result = figures.compute_one(review)
    return {
        "review_url": reverse("launch-review-page", args=[review.id]),
        "result": result,
        "status": _status(result),
        "summary": review_summary(result),
        "cards": [kpi_card(entry, result.windows) for entry in result.expected],
    }


urlpatterns = [
    path("portfolios/<int:portfolio_id>/launch-reviews/", review_list, name="launch-review-list"),
    path("launch-reviews/<int:review_id>/", review_page, name="launch-review-page"),
    path("launch-reviews/<int:review_id>/window/", review_window, name="launch-review-window"),
    path("launches/<int:plan_id>/review/", review_for_plan, name="launch-review-for-plan"),
]
