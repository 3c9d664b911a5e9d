"""The portfolio KPI page: one KPI key rolled up across the products of a portfolio or a product line.

A product manager asks "how is revenue doing across the portfolio, and who brings it in?": the page
answers with a chart and a table of `rollups_combined` (the same rows the rollups API gives, so the
CSV link beside them downloads exactly what is shown) and the latest complete period by product.
Its query count does not grow with the number of products.
"""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kpis.charts import line_chart, period_label, period_name
from kpis.health import rollup_row
from kpis.models import KPI, Aggregation, Granularity, Health
from kpis.periods import period_start
from kpis.selectors import current_period_start, key_breakdown, kpi_list_for_user, portfolio_keys, rollups_combined
from pmflow.errors import InvalidInput
from products.models import ProductLine
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user

DEFAULT_PERIODS = 12
DEFAULT_GRANULARITY = Granularity.MONTH
# Aggregations whose combined value is the products' sum: each product has a share of it.
SUMMED = (Aggregation.SUM, Aggregation.LAST)


class KeyRollupForm(forms.Form):
    """The page's GET form; `from` and `to` are the rollups API's names (a Python keyword, so added below)."""

    key = forms.ChoiceField(label="KPI", error_messages={"invalid_choice": "Pick one of the portfolio's KPIs."})
    product_line = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label="Scope",
        error_messages={"invalid_choice": "Pick the whole portfolio or one of its product lines."},
    )
    granularity = forms.ChoiceField(
        choices=Granularity.choices,
        label="Period",
        error_messages={"invalid_choice": "Pick day, week, month, quarter or year."},
    )

    def __init__(self, data, *, keys: list[dict], lines: list[ProductLine]):
        super().__init__(data)
        self.lines = {line.id: line for line in lines}  # choices from this list: no second query to check one
        self.fields["key"].choices = [(k["key"], f"{k['name']} ({k['key']})") for k in keys]
        self.fields["product_line"].choices = [("", "Whole portfolio"), *((line.id, line.name) for line in lines)]
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        invalid = {"invalid": "Enter a date as YYYY-MM-DD."}
        self.fields["from"] = forms.DateField(label="From", required=False, widget=date_input, error_messages=invalid)
        self.fields["to"] = forms.DateField(label="To", required=False, widget=date_input, error_messages=invalid)

    def clean_product_line(self) -> ProductLine | None:
        line_id = self.cleaned_data["product_line"]
        return self.lines[line_id] if line_id is not None else None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from") and cleaned.get("to") and cleaned["from"] > cleaned["to"]:
            self.add_error("to", "Must not be before From.")
        return cleaned


def periods_back(start: date, granularity: str, periods: int) -> date:
    """The start of the period `periods` periods before the one starting on `start`."""
    for _ in range(periods):
        start = period_start(start - timedelta(days=1), granularity)
    return start


def _bound(request, key: str) -> dict:
    """The GET parameters with the key from the path and the default granularity filled in."""
    data = request.GET.copy()
    data.setdefault("key", key)
    data.setdefault("granularity", DEFAULT_GRANULARITY)
    return data


def _share_rows(kpis: list[KPI], *, aggregation: str, granularity: str, period: date, current: date) -> list[dict]:
    """One row a product for the breakdown table, the biggest contributors first."""
    measured = [k for k in kpis if k.period_value is not None]
    total = sum((k.period_value for k in measured), Decimal(0))
    counts = sum(k.period_count for k in measured)
    extreme = None
    if measured and aggregation in (Aggregation.MIN, Aggregation.MAX):
        pick = min if aggregation == Aggregation.MIN else max
        extreme = pick(k.period_value for k in measured)
    rows = []
    for kpi in kpis:
        row = {"kpi": kpi, "product": kpi.product, "value": kpi.period_value, "count": kpi.period_count}
        if kpi.period_value is not None:
            judged = rollup_row(
                kpi, granularity, period, kpi.period_value, kpi.period_count, current=current, first_day=kpi.first_day
            )
            row["health"], row["health_label"] = judged["health"], Health(judged["health"]).label
            if aggregation in SUMMED and total:
                row["share"] = kpi.period_value / total * 100
            elif aggregation == Aggregation.AVG and counts:
                row["share"] = Decimal(kpi.period_count) / counts * 100  # an average is weighted by count
            row["sets_value"] = extreme is not None and kpi.period_value == extreme
        rows.append(row)
    descending = aggregation != Aggregation.MIN
    rows.sort(key=lambda r: (r["value"] is None, -r["value"] if descending and r["value"] is not None else r["value"]))
    return rows


def _mixed_aggregations(kpis: list[KPI]) -> list[dict]:
    """{label, kpis} for each aggregation the KPIs of the key use, to tell which ones to change."""
    groups: dict[str, list[KPI]] = {}
    for kpi in kpis:
        groups.setdefault(kpi.aggregation, []).append(kpi)
    return [{"label": Aggregation(a).label, "kpis": groups[a]} for a in sorted(groups)]


@page
def key_rollups_page(request, portfolio_id: int, key: str):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    keys = portfolio_keys(request.user, portfolio)
    current_key = next((k for k in keys if k["key"] == key), None)
    if current_key is None:
        raise Http404("No KPI of this portfolio has that key.")
    wanted = request.GET.get("key")
    if wanted and wanted != key and any(k["key"] == wanted for k in keys):
        # The form's KPI select changes the path: one address per key, the other choices kept.
        query = {name: value for name, value in request.GET.items() if name != "key"}
        target = reverse("key-rollups-page", args=[portfolio.id, wanted])
        return redirect(f"{target}?{urlencode(query)}" if query else target)
    lines = list(
        ProductLine.objects.filter(portfolio=portfolio, products__kpis__key=key).distinct().order_by("name", "id")
    )
    form = KeyRollupForm(_bound(request, key), keys=keys, lines=lines)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[(f"{current_key['name']} across products", None)],
        form=form,
        key=key,
        key_name=current_key["name"],
        unit=current_key["unit"],
        keys=keys,
    )
    if not form.is_valid():
        return render(request, "kpis/key_rollups.html", context, status=400)
    context.update(_figures(request, portfolio, form, key=key, key_name=current_key["name"], unit=current_key["unit"]))
    return render(request, "kpis/key_rollups.html", context)


def _figures(request, portfolio, form: KeyRollupForm, *, key: str, key_name: str, unit: str) -> dict:
    """Chart, table, breakdown and CSV link for a valid form; the dates it used are written back into
    the form so the inputs show them (defaults, and From moved to the start of its period)."""
    granularity, line = form.cleaned_data["granularity"], form.cleaned_data["product_line"]
    today = timezone.now().astimezone(portfolio.zone).date()
    current = current_period_start(portfolio.zone, granularity, today)
    last = form.cleaned_data["to"] or today
    first = form.cleaned_data["from"] or periods_back(
        min(current, period_start(last, granularity)), granularity, DEFAULT_PERIODS - 1
    )
    first = period_start(first, granularity)  # a period counts when it starts in the range
    form.data = form.data.copy()
    form.data["from"], form.data["to"] = first.isoformat(), last.isoformat()
    scope_name = line.name if line else portfolio.name
    kpis = kpi_list_for_user(request.user).filter(key=key, product__portfolio=portfolio)
    if line:
        kpis = kpis.filter(product__product_line=line)
    figures = {
        "granularity": granularity,
        "granularity_label": Granularity(granularity).label.lower(),
        "line": line,
        "scope_name": scope_name,
        "first": first,
        "last": last,
        "csv_url": reverse("api-rollups")
        + "?"
        + urlencode(
            {
                "key": key,
                **({"product_line": line.id} if line else {"portfolio": portfolio.id}),
                "granularity": granularity,
                "from": first.isoformat(),
                "to": last.isoformat(),
                "format": "csv",
            }
        ),
    }
    try:
        rows = rollups_combined(
            request.user,
            key=key,
            granularity=granularity,
            portfolio_id=None if line else portfolio.id,
            product_line_id=line.id if line else None,
            first=first,
            last=last,
        )
    except InvalidInput:
        # KPIs sharing the key combine sums with averages: say which, so someone can fix them.
        figures["mixed"] = _mixed_aggregations(key_breakdown(kpis, granularity, None))
        return figures
    complete = [row for row in rows if row["health"] != Health.IN_PROGRESS]
    latest = (complete or rows)[-1] if rows else None
    breakdown_kpis = key_breakdown(kpis, granularity, latest["period_start"] if latest else None)
    aggregation = breakdown_kpis[0].aggregation if breakdown_kpis else Aggregation.SUM
    label, name = period_label(granularity), period_name(granularity)
    healths = {row["health"] for row in rows}
    figures.update(
        rows=[
            {
                **row,
                "label": label(row["period_start"]) + (" (so far)" if row["health"] == Health.IN_PROGRESS else ""),
                "health_label": Health(row["health"]).label,
            }
            for row in reversed(rows)
        ],
        chart=line_chart(
            rows,
            title=f"{key_name} across {scope_name} by {granularity}" + (f", in {unit}" if unit else ""),
            unit=unit,
            period_label=label,
            period_name=name,
        )
        if rows
        else "",
        has_in_progress=Health.IN_PROGRESS in healths,
        has_partial=Health.PARTIAL in healths,
        aggregation=aggregation,
        aggregation_label=Aggregation(aggregation).label,
        kpi_count=len(breakdown_kpis),
        latest=latest,
        latest_label=name(latest["period_start"]) if latest else "",
        latest_running=bool(latest) and latest["health"] == Health.IN_PROGRESS,
        breakdown=_share_rows(
            breakdown_kpis,
            aggregation=aggregation,
            granularity=granularity,
            period=latest["period_start"],
            current=current,
        )
        if latest
        else [],
        shares=aggregation in SUMMED or aggregation == Aggregation.AVG,
    )
    return figures
