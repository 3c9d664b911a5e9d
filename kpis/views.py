from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from kpis import rights
from kpis.charts import line_chart, period_label, period_name
from kpis.models import Granularity, Health
from kpis.selectors import kpi_for_user, rollup_series
from pmflow.errors import NotFound
from products.pages import portfolio_context
from products.selectors import object_history

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
    label, name = period_label(granularity), period_name(granularity)
    csv_url = reverse("kpi-rollups", kwargs={"pk": kpi.id}) + f"?granularity={granularity}&format=csv"
    healths = {row["health"] for row in rows}
    return render(
        request,
        "kpis/kpi_detail.html",
        portfolio_context(
            request,
            kpi.product.portfolio,
            crumbs=[(kpi.product.name, reverse("product-page", args=[kpi.product_id])), (kpi.name, None)],
            kpi=kpi,
            product=kpi.product,
            read_only=not rights.can_write_kpi(request.user, kpi.product.portfolio_id, kpi),  # a marketer: gtm KPIs
            granularity=granularity,
            granularity_label=Granularity(granularity).label.lower(),
            granularities=Granularity.choices,
            chart=line_chart(
                rows,
                title=f"{kpi.name} by {granularity}" + (f", in {kpi.unit}" if kpi.unit else ""),
                unit=kpi.unit,
                period_label=label,
                period_name=name,
            ),
            rows=[
                {
                    **row,
                    # The selector marks the running period in_progress: it is not judged yet.
                    "label": label(row["period_start"]) + (" (so far)" if row["health"] == Health.IN_PROGRESS else ""),
                    "health_label": Health(row["health"]).label,
                }
                for row in reversed(rows)
            ],
            history=object_history("kpi", kpi.id, limit=20, zone=kpi.product.portfolio.zone),
            has_in_progress=Health.IN_PROGRESS in healths,
            has_partial=Health.PARTIAL in healths,
            limit=CHART_LIMIT[granularity],
            csv_url=csv_url,
        ),
    )
