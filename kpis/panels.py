"""KPI pieces of the products' pages: dashboard card sparklines and the product page's KPI charts."""

from collections import defaultdict

from django.db.models import F, OuterRef, Subquery, Window
from django.db.models.functions import RowNumber

from kpis.charts import line_chart, period_label, period_name, sparkline
from kpis.health import rollup_row
from kpis.models import KPI, Granularity, Health, Rollup
from kpis.selectors import current_period_start
from products.pages import Fragment, register_fragment

SPARK_WEEKS = 12
CHART_PERIODS = {"week": 26, "month": 12, "quarter": 8}


def latest_rollups(kpis, granularity: str, keep: int, *, first_day: bool = False) -> list[tuple]:
    """The latest `keep` rollups of each KPI, oldest first, in one query (a window, not a loop).

    With `first_day`, each row ends with the KPI's first day with a measurement (its first day
    rollup, one index lookup), which tells a partly covered first period.
    """
    if not kpis:
        return []
    ranked = (
        Rollup.objects.filter(kpi__in=kpis, granularity=granularity)
        .annotate(rank=Window(RowNumber(), partition_by=F("kpi_id"), order_by=F("period_start").desc()))
        .filter(rank__lte=keep)
        .order_by("kpi_id", "period_start")
    )
    fields = ["kpi_id", "period_start", "value", "count"]
    if first_day:
        days = Rollup.objects.filter(kpi_id=OuterRef("kpi_id"), granularity="day").order_by("period_start")
        ranked = ranked.annotate(first_day=Subquery(days.values("period_start")[:1]))
        fields.append("first_day")
    return list(ranked.values_list(*fields))


def headline_cards(products) -> dict[int, dict]:
    """Each product's headline KPI (or its first) with health and its latest 12 weeks: two queries."""
    if not products:
        return {}
    headline: dict[int, KPI] = {}
    own = KPI.objects.filter(product__in=products, launch_plan__isnull=True, campaign__isnull=True)
    for kpi in own.order_by("product_id", "-headline", "name", "id"):
        headline.setdefault(kpi.product_id, kpi)
    series = defaultdict(list)
    rows = latest_rollups(list(headline.values()), "week", SPARK_WEEKS)
    for kpi_id, _, value, _ in rows:
        series[kpi_id].append(value)
    return {
        product_id: {
            "kpi": kpi,
            "sparkline": sparkline(series[kpi.id], label=f"{kpi.name}, last {SPARK_WEEKS} weeks"),
        }
        for product_id, kpi in headline.items()
    }


def kpi_charts(product, request) -> dict:
    granularity = request.GET.get("granularity", "month")
    if granularity not in CHART_PERIODS:
        granularity = "month"
    # The product's own KPIs; a launch's or campaign's KPIs are charted on its page (counted here).
    every = list(KPI.objects.filter(product=product).order_by("-headline", "name", "id"))
    kpis = [kpi for kpi in every if kpi.launch_plan_id is None and kpi.campaign_id is None]
    keep = CHART_PERIODS[granularity]
    by_kpi, first_days = defaultdict(list), {}
    for kpi_id, start, value, count, first_day in latest_rollups(kpis, granularity, keep, first_day=True):
        by_kpi[kpi_id].append((start, value, count))
        first_days[kpi_id] = first_day
    label, name = period_label(granularity), period_name(granularity)
    current = current_period_start(product.portfolio.zone, granularity)
    charts = []
    for kpi in kpis:
        series = [
            rollup_row(kpi, granularity, *row, current=current, first_day=first_days.get(kpi.id))
            for row in by_kpi[kpi.id]
        ]
        charts.append(
            {
                "kpi": kpi,
                "svg": line_chart(
                    series,
                    title=f"{kpi.name} by {granularity}" + (f", in {kpi.unit}" if kpi.unit else ""),
                    unit=kpi.unit,
                    period_label=label,
                    period_name=name,
                    focusable=False,  # the table under each chart has the numbers; keep the move form near
                ),
                "latest": series[-1] if series else None,
                # Newest first, for the table under the chart.
                "rows": [
                    {**row, "label": label(row["period_start"]), "health_label": Health(row["health"]).label}
                    for row in reversed(series)
                ],
            }
        )
    return {
        "charts": charts,
        "narrowed_count": len(every) - len(kpis),
        "granularity": granularity,
        "granularities": list(CHART_PERIODS),
        "granularity_label": Granularity(granularity).label.lower(),
    }


def headline_card_contexts(products, request) -> dict[int, dict]:
    """Every card gets the fragment: "No KPI yet" tells a product manager what is missing."""
    cards = headline_cards(products)
    return {product.id: cards.get(product.id, {}) for product in products}


register_fragment(
    "dashboard.card",
    Fragment(key="kpis.headline", template="kpis/_dashboard_card.html", context=headline_card_contexts, order=10),
)
register_fragment(
    "product.panels", Fragment(key="kpis", template="kpis/_product_panel.html", context=kpi_charts, order=20)
)
