from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from kpis.charts import line_chart, period_label
from kpis.models import Granularity, Health
from kpis.periods import period_start
from kpis.selectors import kpi_for_user, rollup_series
from pmflow.errors import NotFound
from products.views import remember_portfolio

CHART_LIMIT = {"day": 90, "week": 52, "month": 24, "quarter": 12, "year": 10}


@login_required
def kpi_page(request, kpi_id: int):
    try:
        kpi = kpi_for_user(request.user, kpi_id)
    except NotFound as exc:
        raise Http404 from exc
    granularity = request.GET.get("granularity", kpi.target_granularity)
    if granularity not in Granularity.values:
        granularity = kpi.target_granularity
    rows = rollup_series(kpi, granularity, limit=CHART_LIMIT[granularity])
    label = period_label(granularity)
    current = period_start(timezone.now().astimezone(kpi.product.portfolio.zone).date(), granularity)
    csv_url = reverse("kpi-rollups", kwargs={"pk": kpi.id}) + f"?granularity={granularity}&format=csv"
    remember_portfolio(request, kpi.product.portfolio_id)
    return render(
        request,
        "kpis/kpi_detail.html",
        {
            "kpi": kpi,
            "product": kpi.product,
            "portfolio": kpi.product.portfolio,
            "granularity": granularity,
            "granularities": Granularity.choices,
            "chart": line_chart(
                rows,
                title=f"{kpi.name} by {granularity}",
                unit=kpi.unit,
                period_label=label,
                in_progress=current,
            ),
            "rows": [
                {
                    **row,
                    "label": label(row["period_start"]) + (" (so far)" if row["period_start"] == current else ""),
                    # A period still running is not judged against a whole period's target yet.
                    "health": "no_data" if row["period_start"] == current else row["health"],
                    "health_label": "In progress" if row["period_start"] == current else Health(row["health"]).label,
                }
                for row in reversed(rows)
            ],
            "limit": CHART_LIMIT[granularity],
            "csv_url": csv_url,
        },
    )
