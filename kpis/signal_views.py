"""Signal pages: where marketing's and product's numbers disagree, with the KPI rows behind each flag.

- `signal-list` (/portfolios/<id>/signals/, Lifecycle tab "Signals"): the open signals (newest first), then
  those resolved lately (RECENT_RESOLVED_DAYS; `?resolved=all` for every one, 50 a page), each expandable to
  its evidence (the rule in words, the KPI rows as tables, links to the KPI, campaign, launch or move), and how
  signals are found. Filters `product`, `kind`; `?format=csv` downloads what the filters match.
- `signal-page` (/signals/<id>/): one signal with its evidence open (where a notification leads).

Every member reads; nobody writes (the detector opens and resolves signals). Each page costs a fixed number
of queries whatever the number of signals: the signals with what they name in one query, the KPIs their
evidence links to in one more.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone

from kpis import signals as detection
from kpis.api.signals import CSV_COLUMNS, signal_csv_rows, signals_queryset
from kpis.launch_panels import quantity
from kpis.models import KPI, Health, Signal
from pmflow import access
from products.api.market import csv_lines
from products.models import Product
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user
from roadmap.page_tools import row_id

RECENT_RESOLVED_DAYS = 30
RESOLVED_PER_PAGE = 50
KIND_CSS = {
    Signal.Kind.CAMPAIGN_LOW_CONVERSION: "conversion",
    Signal.Kind.LOW_USAGE_DESPITE_SPEND: "usage",
    Signal.Kind.OFF_TRACK_AFTER_COMPETITOR_MOVE: "competitor",
}
# Who acts on each kind first, in the words of the page.
KIND_HINTS = {
    Signal.Kind.CAMPAIGN_LOW_CONVERSION: "Marketing: check the landing page, the offer and who the campaign reaches.",
    Signal.Kind.LOW_USAGE_DESPITE_SPEND: "Product and marketing: is the feature found, understood and worth it?",
    Signal.Kind.OFF_TRACK_AFTER_COMPETITOR_MOVE: "Product and marketing: plan a response to the move.",
}
HEALTH_LABELS = dict(Health.choices)
PERIOD_NAMES = {"day": "Day", "week": "Week of", "month": "Month of", "quarter": "Quarter from", "year": "Year from"}


# --- a signal as the templates show it ----------------------------------------------------------------------


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _day_text(day: date) -> str:
    return f"{day.day} {day:%b} {day.year}"


def _series(entry: dict, kpi_urls: dict[int, str]) -> dict:
    kpi = entry.get("kpi") or {}
    unit = kpi.get("unit") or ""
    rows = []
    for row in entry.get("rows") or []:
        value, target = row.get("value"), row.get("target")
        rows.append(
            {
                "period_start": _day(row.get("period_start")),
                # The unit is in the table's caption: the numbers stay narrow enough for a phone.
                "value": quantity(value) if value is not None else "—",
                "target": quantity(target) if target is not None else "—",
                "health": row.get("health") or "",
                "health_label": HEALTH_LABELS.get(row.get("health"), row.get("health") or ""),
            }
        )
    return {
        "name": kpi.get("name") or kpi.get("key") or "A KPI",
        "unit": unit,
        "url": kpi_urls.get(kpi.get("id")),
        "granularity": entry.get("granularity") or "week",
        "period_name": PERIOD_NAMES.get(entry.get("granularity"), "Period"),
        "rows": rows,
    }


def _links(signal: Signal) -> list[tuple[str, str]]:
    links = []
    if signal.campaign_id:
        links.append((f"Campaign “{signal.campaign.name}”", reverse("campaign-page", args=[signal.campaign_id])))
    if signal.launch_plan_id:
        links.append((f"Launch “{signal.launch_plan.name}”", reverse("launch-plan-page", args=[signal.launch_plan_id])))
        links.append(("Before and after launch", reverse("launch-kpis", args=[signal.launch_plan_id])))
    if signal.competitor_move_id:
        move = signal.competitor_move
        links.append(
            (
                f"{move.competitor.name}: {move.get_kind_display().lower()} on {_day_text(move.happened_on)}",
                reverse("competitor-page", args=[move.competitor_id]) + f"#move-{move.id}",
            )
        )
    return links


def _kpi_urls(signals: list[Signal], portfolio_id: int) -> dict[int, str]:
    """The pages of the KPIs the signals' evidence names that still exist in the portfolio: one query."""
    ids = set()
    for signal in signals:
        for entry in (signal.evidence or {}).get("series") or []:
            kpi_id = (entry.get("kpi") or {}).get("id") if isinstance(entry, dict) else None
            if isinstance(kpi_id, int):
                ids.add(kpi_id)
    if not ids:
        return {}
    existing = KPI.objects.filter(pk__in=ids, product__portfolio_id=portfolio_id).values_list("id", flat=True)
    return {kpi_id: reverse("kpi-page", args=[kpi_id]) for kpi_id in existing}


def signal_items(signals, portfolio_id: int) -> list[dict]:
    """Each signal with its kind's words, its links and its evidence as rows a person reads (one query for
    the KPI links; the signals come from `signals_queryset`, with what they name)."""
    signals = list(signals)
    kpi_urls = _kpi_urls(signals, portfolio_id)
    items = []
    for signal in signals:
        evidence = signal.evidence or {}
        items.append(
            {
                "signal": signal,
                "kind_label": signal.get_kind_display(),
                "kind_css": KIND_CSS.get(signal.kind, "other"),
                "hint": KIND_HINTS.get(signal.kind, ""),
                "is_open": signal.resolved_at is None,
                "rule": evidence.get("rule") or detection.RULES.get(signal.kind, ""),
                "resolution": evidence.get("resolution", ""),
                "series": [_series(e, kpi_urls) for e in evidence.get("series") or [] if isinstance(e, dict)],
                "links": _links(signal),
                "url": reverse("signal-page", args=[signal.id]),
            }
        )
    return items


# --- the pages ----------------------------------------------------------------------------------------------


def _choice(raw, allowed) -> str:
    return raw if isinstance(raw, str) and raw in allowed else ""


@page
def signal_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    products = list(Product.objects.filter(portfolio=portfolio).order_by("name", "id").only("id", "name"))
    chosen = row_id(request.GET.get("product"))
    product = next((p for p in products if p.id == chosen), None)
    kind = _choice(request.GET.get("kind"), Signal.Kind.values)
    everything = request.GET.get("resolved") == "all"
    signals = signals_queryset().filter(portfolio=portfolio)
    if product is not None:
        signals = signals.filter(product=product)
    if kind:
        signals = signals.filter(kind=kind)
    if request.GET.get("format") == "csv":
        name = f"signals-{portfolio.id}" + (f"-product-{product.id}" if product else "") + (f"-{kind}" if kind else "")
        rows = signal_csv_rows(signals.order_by("-opened_at", "-id").iterator(chunk_size=500))
        response = StreamingHttpResponse(csv_lines(CSV_COLUMNS, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    open_signals = list(signals.filter(resolved_at__isnull=True).order_by("-opened_at", "-id"))
    resolved = signals.filter(resolved_at__isnull=False).order_by("-resolved_at", "-id")
    if not everything:
        resolved = resolved.filter(resolved_at__gte=timezone.now() - timedelta(days=RECENT_RESOLVED_DAYS))
    resolved_page = Paginator(resolved, RESOLVED_PER_PAGE).get_page(request.GET.get("page"))
    items = signal_items([*open_signals, *resolved_page.object_list], portfolio.id)
    here = reverse("signal-list", args=[portfolio.id])
    query = {"product": product.id if product else "", "kind": kind, "resolved": "all" if everything else ""}
    kept = urlencode({name: value for name, value in query.items() if value})
    by_kind = {k: 0 for k in Signal.Kind.values}
    for signal in open_signals:
        by_kind[signal.kind] += 1
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Lifecycle", reverse("rule-list", args=[portfolio.id])), ("Signals", None)],
        section="rules",
        model=Signal,
        read_only=False,  # nobody writes signals: no "read only" notice for anyone
        products=products,
        product=product,
        kinds=Signal.Kind.choices,
        kind=kind,
        everything=everything,
        open_items=items[: len(open_signals)],
        resolved_items=items[len(open_signals) :],
        resolved_page=resolved_page,
        open_by_kind=[
            {"kind": k, "label": label, "count": by_kind[k], "css": KIND_CSS[k]} for k, label in Signal.Kind.choices
        ],
        rules=[
            {"label": label, "rule": detection.RULES[k], "hint": KIND_HINTS[k], "css": KIND_CSS[k]}
            for k, label in Signal.Kind.choices
        ],
        recent_days=RECENT_RESOLVED_DAYS,
        filtered=bool(product or kind),
        here=here,
        kept=kept,
        csv_url=here + "?" + urlencode({**{k: v for k, v in query.items() if v and k != "resolved"}, "format": "csv"}),
    )
    return render(request, "kpis/signals/list.html", context)


@page
def signal_page(request, signal_id: int):
    signal = access.object_for_user(request.user, signals_queryset(), signal_id)
    portfolio = signal.portfolio
    item = signal_items([signal], portfolio.id)[0]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Signals", reverse("signal-list", args=[portfolio.id])),
            (f"{item['kind_label']}: {signal.product.name}", None),
        ],
        section="rules",
        model=Signal,
        read_only=False,
        item=item,
        product=signal.product,
    )
    return render(request, "kpis/signals/page.html", context)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/signals/", signal_list, name="signal-list"),
    path("signals/<int:signal_id>/", signal_page, name="signal-page"),
]
