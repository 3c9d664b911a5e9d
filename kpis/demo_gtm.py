"""The KPIs of the demo's campaigns and launch plans (gtm.demo writes them; gtm does not import kpis).

A campaign's KPIs play their role on the launch pages by their key's ending (kpis.launch_figures):
`…_leads` (sum) gives the cost per lead, `…_revenue` (sum, the revenue attributed to the campaign) the
ROI, `…_conversion_rate` (avg, %) the conversion. Keys are unique per product, and the products have
their own `revenue` and `conversion_rate`, so each key starts with the campaign's channel
(`paid_search_leads`, `content_leads`): the key pages then compare a channel across products, and a
campaign's revenue never adds to the product's. Each is measured once a week over the campaign's dates
up to yesterday. The two launch plans measure what the launch was for: trial sign-ups after Pulse
Alerts 1.2, the beta waiting list before DocFlow's beta.

Written by the services (kpi_save, measurements_ingest), all in one transaction; `seed_demo` calls it on
every run and it writes nothing once a campaign or launch plan of the portfolio has a KPI. A KPI whose
key the product already has is left out and counted as skipped.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from gtm.demo import PLANS
from gtm.models import Campaign, LaunchPlan
from kpis.models import KPI
from kpis.services import kpi_save, measurements_ingest
from pmflow.errors import InvalidInput
from products.models import Portfolio

# role (the key's ending): (name, unit, aggregation, target granularity)
KINDS = {
    "leads": ("Leads", "leads", "sum", "week"),
    "conversion_rate": ("Lead-to-customer conversion", "%", "avg", "week"),
    "revenue": ("Attributed revenue", "EUR", "sum", "month"),
}

# campaign name: ({role: target}, weekly leads, conversion %, first-year revenue of a customer in EUR).
# Paid search brought many leads that converted poorly (over budget, a thin return); the e-book fewer,
# smaller and better ones; the migration offer a few existing customers.
CAMPAIGN_KPIS = {
    "Paid search: on-call alerting": ({"leads": 60, "conversion_rate": 5, "revenue": 16000}, 58, "3.4", 1700),
    "Alert-fatigue guide (gated e-book)": ({"leads": 30, "conversion_rate": 5, "revenue": 6000}, 28, "4.5", 1200),
    # A free beta: no revenue yet.
    "Beta waiting list: compliance content series": ({"leads": 25, "conversion_rate": 20}, 27, "22.0", 0),
    "Ledger Classic to Insight Hub: migration offer": (
        {"leads": 6, "conversion_rate": 30, "revenue": 9000},
        5,
        "25.0",
        2000,
    ),
}

# plan ref: (key, name, unit, aggregation, weekly target, weekly values from the first measured week,
# weeks measured from: "launch" (after launch day) or "before" (the weeks up to launch day))
PLAN_KPIS = {
    "pa_oncall": (
        "trial_signups",
        "Trial sign-ups after the launch",
        "sign-ups",
        "sum",
        45,
        [38, 61, 57, 49, 46, 44],
        "launch",
    ),
    "df_beta": (
        "beta_waitlist_signups",
        "Beta waiting-list sign-ups",
        "sign-ups",
        "sum",
        30,
        [12, 19, 24, 31, 36, 33],
        "before",
    ),
}


def _weeks(start: date, end: date, today: date) -> list[date]:
    """One day a week from `start` through `end`, up to yesterday (the days measured)."""
    last = min(end, today - timedelta(days=1))
    days, day = [], start
    while day <= last:
        days.append(day)
        day += timedelta(days=7)
    return days


def _items(days: list[date], values: list, zone, prefix: str) -> list[dict]:
    return [
        {
            "observed_at": datetime.combine(day, time(18, 0), tzinfo=zone).isoformat(),
            "value": value,
            "external_id": f"{prefix}-{day}",
        }
        for day, value in zip(days, values, strict=True)
    ]


def _kpi(*, product, actor, key: str, target, campaign=None, launch_plan=None, **fields) -> KPI | None:
    """A campaign's or launch plan's KPI through the service; None when the product has the key already."""
    try:
        return kpi_save(
            product=product,
            actor=actor,
            key=key,
            target=Decimal(target),
            campaign=campaign,
            launch_plan=launch_plan if launch_plan is not None else getattr(campaign, "launch_plan", None),
            **fields,
        )
    except InvalidInput as exc:
        if "key" in exc.fields:
            return None
        raise


def seed_gtm_kpis(*, portfolio: Portfolio, actor, today: date) -> dict | None:
    """Give the demo's campaigns and launch plans their KPIs with weekly measurements; None when a
    campaign or launch plan of the portfolio has a KPI already, or the demo's campaigns are missing.
    Returns {"kpis", "measurements", "skipped"} (skipped: keys the product already has). All or nothing."""
    narrowed = Q(launch_plan__isnull=False) | Q(campaign__isnull=False)
    if KPI.objects.filter(narrowed, product__portfolio=portfolio).exists():
        return None
    campaigns = {
        c.name: c
        for c in Campaign.objects.filter(product__portfolio=portfolio, name__in=CAMPAIGN_KPIS).select_related(
            "product", "launch_plan"
        )
    }
    names = {spec["ref"]: spec["name"] for spec in PLANS}
    plans = {
        plan.name: plan
        for plan in LaunchPlan.objects.filter(
            product__portfolio=portfolio, name__in=[names[ref] for ref in PLAN_KPIS]
        ).select_related("product")
    }
    if not campaigns and not plans:
        return None
    rng = random.Random(23)
    zone = portfolio.zone
    counts = {"kpis": 0, "measurements": 0, "skipped": 0}
    with transaction.atomic():
        for name, (targets, leads, conversion, deal) in CAMPAIGN_KPIS.items():
            campaign = campaigns.get(name)
            if campaign is None:
                continue
            days = _weeks(campaign.start_date, campaign.end_date, today)
            weekly_leads = [max(0, round(leads * rng.uniform(0.75, 1.25))) for _ in days]
            weekly_conversion = [round(float(conversion) * rng.uniform(0.8, 1.2), 2) for _ in days]
            series = {
                "leads": weekly_leads,
                "conversion_rate": weekly_conversion,
                "revenue": [round(n * c / 100 * deal, 2) for n, c in zip(weekly_leads, weekly_conversion, strict=True)],
            }
            for key, target in targets.items():
                label, unit, aggregation, granularity = KINDS[key]
                kpi = _kpi(
                    product=campaign.product,
                    actor=actor,
                    key=f"{campaign.channel}_{key}",
                    target=target,
                    campaign=campaign,
                    name=label,
                    unit=unit,
                    aggregation=aggregation,
                    target_granularity=granularity,
                )
                if kpi is None:
                    counts["skipped"] += 1
                    continue
                counts["kpis"] += 1
                if days:
                    items = _items(days, series[key], zone, f"demo-campaign-{campaign.id}-{key}")
                    measurements_ingest(kpi_id=kpi.id, items=items)
                    counts["measurements"] += len(days)
        for ref, (key, label, unit, aggregation, target, values, when) in PLAN_KPIS.items():
            plan = plans.get(names[ref])
            if plan is None:
                continue
            kpi = _kpi(
                product=plan.product,
                actor=actor,
                key=key,
                target=target,
                launch_plan=plan,
                name=label,
                unit=unit,
                aggregation=aggregation,
                target_granularity="week",
            )
            if kpi is None:
                counts["skipped"] += 1
                continue
            counts["kpis"] += 1
            if when == "launch":
                days = _weeks(plan.launch_date, plan.launch_date + timedelta(days=7 * len(values) - 1), today)
            else:
                first = plan.launch_date - timedelta(days=7 * len(values))
                days = _weeks(first, plan.launch_date - timedelta(days=1), today)
            if days:
                items = _items(days, values[: len(days)], zone, f"demo-plan-{plan.id}-{key}")
                measurements_ingest(kpi_id=kpi.id, items=items)
                counts["measurements"] += len(days)
    return counts
