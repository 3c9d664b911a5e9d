"""Portfolio analysis pages and the analysis thresholds.

- `portfolio-analysis` (/portfolios/<id>/analysis/, `?product_line=`): the products grouped by stage with
  their revenue over the last 4 complete quarters, share (a bar) and trend (▲▼ with %), the share chart,
  then the candidates to extend and to retire as cards, each with its reason in a sentence and its evidence
  (the quarters behind a retire flag with a sparkline, the segment's growth and priority against the
  thresholds, the feedback of the two 90-day windows) and links to the product or segment. `?format=csv`
  downloads the products table. Every member reads it.
- `analysis-settings` (/portfolios/<id>/analysis/settings/): admins edit the thresholds (through
  products.services.analysis_settings; a refusal comes back on the form with status 400); the other
  members see them read-only, each explained. The role is checked before a form is read.

The definitions are kpis.analysis's; the page costs the same queries for any number of products.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode

from kpis import analysis
from kpis.analysis_charts import share_bar, share_chart, slice_class, sparkline
from kpis.analysis_forms import AnalysisSettingsForm, ScopeForm
from pmflow import access
from pmflow.forms import csv_download, save_with
from products.models import AnalysisSettings, Stage
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user
from products.services import analysis_settings as services

KIND_LABELS = {analysis.EXTEND: "Extend", analysis.RETIRE: "Retire"}
BASIS_LABELS = {
    "segment": "Unserved segment",
    "demand": "Rising demand",
    "revenue": "Falling revenue",
}
STAGE_LABELS = dict(Stage.choices)


def _trend(value) -> dict:
    if value is None:
        return {"text": "—", "css": "flat", "words": "no trend (fewer than two complete quarters)"}
    if value > 0:
        return {"text": f"▲ {analysis.pct_text(value)}", "css": "up", "words": f"up {value} %"}
    if value < 0:
        return {"text": f"▼ {analysis.pct_text(value)}", "css": "down", "words": f"down {abs(value)} %"}
    return {"text": "± 0 %", "css": "flat", "words": "unchanged"}


def _stage_groups(result: analysis.Analysis) -> list[dict]:
    groups: list[dict] = []
    for figures in result.products:
        if not groups or groups[-1]["stage"] != figures.stage:
            groups.append({"stage": figures.stage, "label": STAGE_LABELS[figures.stage], "rows": []})
        figures.bar = share_bar(figures.revenue_share) if figures.revenue_share is not None else ""
        figures.trend = _trend(figures.revenue_trend)
        figures.revenue_text = analysis.amount_text(figures.revenue)
        groups[-1]["rows"].append(figures)
    return groups


def _share_slices(result: analysis.Analysis) -> list[dict]:
    ranked = sorted(
        (f for f in result.products if f.revenue_share is not None and f.revenue_share > 0),
        key=lambda f: (-f.revenue_share, f.product.name.lower()),
    )
    return [
        {"name": f.product.name, "share": f.revenue_share, "css": slice_class(index), "id": f.product.id}
        for index, f in enumerate(ranked)
    ]


def _flag_view(flag: analysis.Flag, portfolio_id: int) -> analysis.Flag:
    """What the card shows beside the flag's own reason and evidence."""
    flag.kind_label = KIND_LABELS[flag.kind]
    flag.basis_label = BASIS_LABELS[flag.basis]
    evidence = flag.evidence
    if flag.basis == "revenue":
        rows = evidence["quarters"]
        flag.rows = [
            {
                "quarter": row["quarter"],
                "revenue": analysis.amount_text(row["revenue"]),
                "change": analysis.pct_text(row["change_pct"]) if row["change_pct"] is not None else "—",
            }
            for row in rows
        ]
        flag.chart = sparkline(
            [row["revenue"] for row in rows],
            label="Revenue by quarter: " + "; ".join(f"{r['quarter']} {r['revenue']}" for r in flag.rows),
        )
    elif flag.basis == "segment":
        flag.growth_text = analysis.pct_text(evidence["growth_pct"]).lstrip("+")
        flag.min_growth_text = analysis.pct_text(evidence["min_growth_pct"]).lstrip("+")
        flag.size_text = analysis.amount_text(evidence["size"]) if evidence["size"] is not None else ""
        flag.links = [("The segment", flag.url)]
    else:
        flag.growth_text = analysis.pct_text(evidence["growth_pct"]) if evidence["growth_pct"] is not None else ""
        flag.min_growth_text = analysis.pct_text(evidence["min_growth_pct"]).lstrip("+")
        feedback = reverse("feedback-list", args=[portfolio_id])
        recent, previous = evidence["recent"], evidence["previous"]
        flag.windows = [
            {
                "label": "Last 90 days",
                "span": f"{recent['from']} – {recent['to']}",
                "count": recent["feedback"],
                "url": feedback
                + "?"
                + urlencode({"product": flag.product.id, "received_from": recent["from"], "received_to": recent["to"]}),
            },
            {
                "label": "The 90 days before",
                "span": f"{previous['from']} – {previous['to']}",
                "count": previous["feedback"],
                "url": feedback
                + "?"
                + urlencode(
                    {"product": flag.product.id, "received_from": previous["from"], "received_to": previous["to"]}
                ),
            },
        ]
    return flag


def _thresholds_text(row) -> str:
    quarters = row.retire_falling_quarters
    return (
        f"Retire after {quarters} falling quarter{'' if quarters == 1 else 's'} in decline; extend into segments "
        f"growing at least {analysis.pct_text(row.extend_segment_min_growth_pct).lstrip('+')} at priority "
        f"{row.extend_segment_min_priority} or more, and products in growth whose feedback rose at least "
        f"{analysis.pct_text(row.extend_demand_min_growth_pct).lstrip('+')}."
    )


def _csv_name(result: analysis.Analysis) -> str:
    scope = f"line-{result.product_line.id}" if result.product_line else f"portfolio-{result.portfolio.id}"
    return f"portfolio-analysis-{scope}-{result.today}"


@page
def portfolio_analysis(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    scope = ScopeForm(request.GET if "product_line" in request.GET else None, portfolio=portfolio)
    line = scope.chosen_line()
    result = analysis.portfolio_analysis(portfolio=portfolio, product_line=line)
    if request.GET.get("format") == "csv" and not scope.errors:
        return csv_download(_csv_name(result), analysis.CSV_COLUMNS, analysis.csv_rows(result))
    groups = _stage_groups(result)
    flags = [_flag_view(flag, portfolio.id) for flag in result.flags]
    slices = _share_slices(result)
    settings_url = reverse("analysis-settings", args=[portfolio.id])
    here = reverse("portfolio-analysis", args=[portfolio.id])
    query = urlencode({"product_line": line.id}) if line else ""
    crumbs = [("Portfolio analysis", here if line else None)]
    if line:
        crumbs.append((line.name, None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="desk",
        tab="analysis",
        model=AnalysisSettings,
        scope=scope,
        line=line,
        result=result,
        groups=groups,
        flags=flags,
        extend_count=len(result.extend_flags),
        retire_count=len(result.retire_flags),
        quarters=[analysis.quarter_label(start) for start in result.quarters],
        total_text=analysis.amount_text(result.total_revenue),
        slices=slices,
        chart=share_chart([(s["name"], s["share"], s["css"]) for s in slices]) if slices else "",
        thresholds_text=_thresholds_text(result.settings),
        settings_url=settings_url,
        csv_url=here + "?" + (f"{query}&" if query else "") + "format=csv",
        can_edit_settings=access.can(request.user, AnalysisSettings, portfolio.id),
        reads_url=reverse("key-rollups-page", args=[portfolio.id, analysis.REVENUE_KEY]),
    )
    # Read-only, so a refused filter is still a read: the whole portfolio, with the error on the form.
    return render(request, "kpis/analysis/page.html", context, status=400 if scope.errors else 200)


@page
def analysis_settings(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    can_edit = access.can(request.user, AnalysisSettings, portfolio.id)
    if request.method == "POST":
        access.require(request.user, AnalysisSettings, portfolio.id)  # before the form is read
    row = services.analysis_settings_of(portfolio)
    form = AnalysisSettingsForm(request.POST or None, initial=AnalysisSettingsForm.initial_for(row))
    if save_with(
        request,
        form,
        lambda data: services.analysis_settings_update(portfolio=portfolio, actor=request.user, **data),
    ):
        messages.success(request, "Thresholds saved: the portfolio analysis judges its flags with them from now on.")
        return redirect("analysis-settings", portfolio_id=portfolio.id)
    analysis_url = reverse("portfolio-analysis", args=[portfolio.id])
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Portfolio analysis", analysis_url), ("Thresholds", None)],
        section="desk",
        tab="analysis",
        model=AnalysisSettings,
        form=form,
        can_edit=can_edit,
        thresholds=services.settings_rows(row),
        analysis_url=analysis_url,
    )
    return render(request, "kpis/analysis/settings.html", context, status=400 if form.errors else 200)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/analysis/", portfolio_analysis, name="portfolio-analysis"),
    path("portfolios/<int:portfolio_id>/analysis/settings/", analysis_settings, name="analysis-settings"),
]
