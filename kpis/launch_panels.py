"""KPI panels of the go-to-market pages: a launch plan's KPIs and its campaigns' marketing figures
("launch_plan.panels"), and a campaign's KPIs and figures ("campaign.panels").

Registered from kpis/apps.py (gtm never imports kpis). Each panel costs a fixed number of queries,
whatever the number of KPIs and campaigns. Numbers are formatted here, for the templates to show.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.urls import reverse

from gtm.models import Campaign
from kpis import rights
from kpis.charts import format_value, sparkline
from kpis.launch_figures import (
    NO_DATA,
    Figure,
    campaign_figures,
    campaign_totals,
    currency_of,
    overall_values,
    plan_kpis,
)
from kpis.models import KPI
from kpis.panels import latest_rollups
from products.pages import Fragment, register_fragment

SPARK_WEEKS = 12


# --- numbers as people read them --------------------------------------------------------------------


def money(value, currency: str = "", *, cents: bool = False) -> str:
    """€42,000 (or 42,000 without a known currency); `cents` keeps two places (a cost per lead)."""
    if value is None:
        return NO_DATA
    number = Decimal(value).quantize(Decimal("0.01") if cents else Decimal(1), ROUND_HALF_UP)
    text = f"{abs(number):,.2f}" if cents else f"{abs(number):,.0f}"
    sign = "−" if number < 0 else ""
    if currency.endswith(" "):  # a code: 42,000 CHF
        return f"{sign}{text} {currency.strip()}"
    return f"{sign}{currency}{text}"


def ratio(value) -> str:
    """An ROI: 1.4 (one place; −0.3 when it lost money)."""
    number = Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"−{abs(number)}" if number < 0 else str(number)


def quantity(value, unit: str = "") -> str:
    """A KPI's value with its unit: 1,234 users · 3.2 %. Long numbers lose their decimals."""
    number = Decimal(value)
    if abs(number) >= 1000:
        number = number.quantize(Decimal(1), ROUND_HALF_UP)
    elif number != number.to_integral_value():
        number = number.quantize(Decimal("0.01"), ROUND_HALF_UP).normalize()
    text = format_value(number)
    if not unit:
        return text
    return f"{text} {unit}" if unit != "%" else f"{text} %"


def shown(figure: Figure, as_text) -> dict:
    """A figure for a template: {"text", "known", "note"}."""
    if figure.known:
        return {"text": as_text(figure.value), "known": True, "note": ""}
    return {"text": figure.note or NO_DATA, "known": False, "note": figure.note or NO_DATA}


def figure_cells(figures, currency: str) -> dict:
    """A campaign's (or the total's) figures as text."""
    return {
        "leads": shown(figures.leads, quantity),
        "cost_per_lead": shown(figures.cost_per_lead, lambda v: money(v, currency, cents=True)),
        "roi": shown(figures.roi, ratio),
    }


# --- KPI rows with their sparkline ------------------------------------------------------------------


def kpi_rows(kpis: list[KPI]) -> list[dict]:
    """Each KPI with its latest value, health and a sparkline of its latest 12 weeks: one query."""
    series = defaultdict(list)
    for kpi_id, _, value, _ in latest_rollups(kpis, "week", SPARK_WEEKS):
        series[kpi_id].append(value)
    return [
        {
            "kpi": kpi,
            "latest": quantity(kpi.latest_value, kpi.unit) if kpi.latest_value is not None else None,
            "sparkline": sparkline(series[kpi.id], label=f"{kpi.name}, last {SPARK_WEEKS} weeks"),
        }
        for kpi in kpis
    ]


def _new_kpi_url(product_id: int, **scope) -> str:
    return reverse("kpi-create") + "?" + urlencode({"product": product_id, **scope})


def _campaign_block(figures, rows_by_kpi: dict, currency: str, *, can_write: bool) -> dict:
    campaign = figures.campaign
    conversion_unit = figures.conversion_unit
    return {
        "campaign": campaign,
        "budget": money(campaign.budget, currency),
        "spend": money(campaign.spend, currency),
        "over_budget": campaign.spend > campaign.budget,
        "conversion": shown(figures.conversion, lambda v: quantity(v, conversion_unit)),
        **figure_cells(figures, currency),
        "rows": [rows_by_kpi[kpi.id] for kpi in figures.kpis],
        "add_url": _new_kpi_url(
            campaign.product_id,
            **({"launch_plan": campaign.launch_plan_id} if campaign.launch_plan_id else {}),
            campaign=campaign.id,
        )
        if can_write
        else None,
    }


# --- the panels -------------------------------------------------------------------------------------


def launch_plan_panel(plan, request) -> dict:
    """The plan's own KPIs and, per campaign of the plan, its figures and KPIs."""
    kpis = plan_kpis(plan)
    campaigns = list(Campaign.objects.filter(launch_plan=plan).order_by("start_date", "name", "id"))
    product_kpis = KPI.objects.filter(product_id=plan.product_id, unit__gt="").only("key", "unit")
    currency = currency_of([*kpis, *product_kpis])
    values = overall_values(kpis)
    figures = campaign_figures(campaigns, kpis, values)
    rows = {row["kpi"].id: row for row in kpi_rows(kpis)}
    can_write = rights.can_write_kpi(request.user, plan.product.portfolio_id, {"launch_plan": plan.id})
    totals = campaign_totals(figures)
    return {
        "plan": plan,
        "plan_rows": [rows[kpi.id] for kpi in kpis if not kpi.campaign_id],
        "campaigns": [_campaign_block(f, rows, currency, can_write=can_write) for f in figures],
        "totals": {
            "budget": money(totals.budget, currency),
            "spend": money(totals.spend, currency),
            **figure_cells(totals, currency),
        },
        "kpi_count": len(kpis),
        "can_write": can_write,
        "add_url": _new_kpi_url(plan.product_id, launch_plan=plan.id) if can_write else None,
        "view_url": reverse("launch-kpis", args=[plan.id]),
    }


def campaign_panel(campaign, request) -> dict:
    """The campaign's KPIs and its cost per lead, conversion and ROI."""
    kpis = list(KPI.objects.filter(campaign=campaign).order_by("-headline", "name", "id"))
    product_kpis = KPI.objects.filter(product_id=campaign.product_id, unit__gt="").only("key", "unit")
    currency = currency_of([*kpis, *product_kpis])
    figures = campaign_figures([campaign], kpis, overall_values(kpis))[0]
    rows = {row["kpi"].id: row for row in kpi_rows(kpis)}
    can_write = rights.can_write_kpi(request.user, campaign.product.portfolio_id, {"campaign": campaign.id})
    return {
        **_campaign_block(figures, rows, currency, can_write=can_write),
        "can_write": can_write,
        "view_url": reverse("launch-kpis", args=[campaign.launch_plan_id]) if campaign.launch_plan_id else None,
    }


register_fragment(
    "launch_plan.panels",
    Fragment(key="kpis.launch", template="kpis/_launch_panel.html", context=launch_plan_panel, order=30),
)
register_fragment(
    "campaign.panels",
    Fragment(key="kpis.campaign", template="kpis/_campaign_panel.html", context=campaign_panel, order=30),
)
