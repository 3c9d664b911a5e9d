"""KPIs: defining them, and the health stored on them."""

import logging
from collections import defaultdict
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from kpis.health import health_of, target_for
from kpis.models import KPI, Health, Rollup
from kpis.periods import period_start
from kpis.rawvalues import as_date, as_decimal
from pmflow.errors import InvalidInput, NotFound
from products import events
from products.models import Product

log = logging.getLogger(__name__)


# --- KPIs --------------------------------------------------------------------------------------------

KPI_FIELDS = (
    "key",
    "name",
    "unit",
    "direction",
    "aggregation",
    "target",
    "target_granularity",
    "tolerance_pct",
    "headline",
    "launch_plan",
    "campaign",
)

NOT_THIS_PRODUCT = "Not a {what} of this KPI's product."
CAMPAIGN_OF_ANOTHER_PLAN = "This campaign belongs to another launch plan than the KPI's: pick one of {plan}'s."
CAMPAIGN_WITHOUT_PLAN = "This campaign is not part of {plan}: pick one of its campaigns, or no launch plan."


def narrowing_problems(*, product_id: int, launch_plan, campaign) -> dict[str, str]:
    """{field: message} unless the launch plan and campaign (each may be None) are the product's and the
    campaign is one of the plan's (a KPI with a campaign and no plan is the campaign's alone)."""
    problems = {}
    if launch_plan is not None and launch_plan.product_id != product_id:
        problems["launch_plan"] = NOT_THIS_PRODUCT.format(what="launch plan")
    if campaign is not None and campaign.product_id != product_id:
        problems["campaign"] = NOT_THIS_PRODUCT.format(what="campaign")
    elif campaign is not None and launch_plan is not None and "launch_plan" not in problems:
        if campaign.launch_plan_id is None:
            problems["campaign"] = CAMPAIGN_WITHOUT_PLAN.format(plan=launch_plan.name)
        elif campaign.launch_plan_id != launch_plan.id:
            problems["campaign"] = CAMPAIGN_OF_ANOTHER_PLAN.format(plan=launch_plan.name)
    return problems


def _check_narrowing(kpi: KPI) -> None:
    """InvalidInput on the field when the KPI's launch plan or campaign is not its product's (another
    portfolio's included, which the API's scoped field already refuses as unknown), or the campaign is
    not the plan's."""
    problems = narrowing_problems(product_id=kpi.product_id, launch_plan=kpi.launch_plan, campaign=kpi.campaign)
    if problems:
        raise InvalidInput(fields=problems)


def kpi_save(*, kpi: KPI | None = None, product: Product | None = None, actor=None, **fields) -> KPI:
    """Create a KPI (give `product`) or change one (give `kpi`); refreshes its health.

    Raises InvalidInput when the key is taken on the product, or on `launch_plan`/`campaign` when they
    are not the product's or the campaign is not the plan's. Making a KPI the headline takes the flag
    from the product's other KPIs (each change recorded as an event). A KPI never moves to another
    product. Who may write which KPI is the caller's check (kpis.rights).
    """
    unknown = set(fields) - set(KPI_FIELDS)
    if unknown:
        raise TypeError(f"unknown KPI fields {unknown}")
    try:
        with transaction.atomic():
            if kpi is None:
                kpi, before = KPI(product=product), None
            else:
                kpi = KPI.objects.select_for_update().select_related("product").get(pk=kpi.pk)
                before = events.snapshot(kpi, KPI_FIELDS)
            for name, value in fields.items():
                setattr(kpi, name, value)
            _check_narrowing(kpi)
            portfolio_id = kpi.product.portfolio_id
            if kpi.headline:
                others = KPI.objects.filter(product_id=kpi.product_id, headline=True).exclude(pk=kpi.pk)
                for other in others.select_for_update():
                    KPI.objects.filter(pk=other.pk).update(headline=False)
                    events.record(
                        portfolio_id=portfolio_id,
                        actor=actor,
                        verb="kpi.updated",
                        obj=other,
                        changes={"headline": [True, False]},
                    )
            kpi.save()
            after = events.snapshot(kpi, KPI_FIELDS)
            if before is None:
                events.record(portfolio_id=portfolio_id, actor=actor, verb="kpi.created", obj=kpi)
            elif changes := events.changes_between(before, after):
                events.record(portfolio_id=portfolio_id, actor=actor, verb="kpi.updated", obj=kpi, changes=changes)
    except IntegrityError as exc:
        raise InvalidInput(fields={"key": "This product already has a KPI with this key."}) from exc
    kpi_health_refresh(kpi_id=kpi.id)
    kpi.refresh_from_db()
    return kpi


def kpi_delete(*, kpi_id: int, actor=None) -> None:
    """Delete a KPI with its measurements and rollups."""
    with transaction.atomic():
        kpi = KPI.objects.select_related("product").select_for_update(of=("self",)).filter(pk=kpi_id).first()
        if kpi is None:
            raise NotFound()
        events.record(
            portfolio_id=kpi.product.portfolio_id,
            actor=actor,
            verb="kpi.deleted",
            obj=kpi,
            data={"measurements": kpi.measurements.count(), "product": kpi.product_id, "key": kpi.key},
        )
        kpi.delete()


def kpi_health_refresh(*, kpi_id: int, today: date | None = None) -> str:
    """Store the health of the KPI's latest complete period at its target granularity (see
    `kpi_health_refresh_many`); returns it."""
    kpi_health_refresh_many(kpi_ids=[kpi_id], today=today)
    return KPI.objects.filter(pk=kpi_id).values_list("health", flat=True).first() or Health.NO_DATA


# The latest complete period's row of each KPI at its target granularity, else its latest row.
LATEST_ROWS = """
    SELECT kpi_id, period_start, value FROM (
        SELECT r.kpi_id, r.period_start, r.value, ROW_NUMBER() OVER (
            PARTITION BY r.kpi_id ORDER BY CASE WHEN r.period_start < %s THEN 0 ELSE 1 END, r.period_start DESC
        ) AS n
        FROM kpis_rollup r
        WHERE r.granularity = %s AND r.kpi_id IN ({ids})
    ) latest
    WHERE n = 1
"""


def kpi_health_refresh_many(*, kpi_ids, today: date | None = None) -> None:
    """Store each KPI's health: that of its latest complete period at its target granularity.

    While no complete period exists, or the latest complete one is the KPI's partly covered first
    period, the value is shown but not judged (`no_data`, "Not judged yet"): a half-finished month
    would otherwise look off track for a sum KPI. A few queries for any number of KPIs.
    """
    kpis = list(KPI.objects.select_related("product__portfolio").filter(pk__in=set(kpi_ids)).order_by("id"))
    if not kpis:
        return
    groups: dict[tuple[str, date], list[KPI]] = defaultdict(list)
    for kpi in kpis:
        local_today = today or timezone.now().astimezone(kpi.product.portfolio.zone).date()
        groups[(kpi.target_granularity, period_start(local_today, kpi.target_granularity))].append(kpi)
    latest = {}
    with connection.cursor() as cursor:
        for (granularity, current), members in groups.items():
            ids = [kpi.id for kpi in members]
            cursor.execute(
                LATEST_ROWS.format(ids=", ".join(["%s"] * len(ids))),
                [connection.ops.adapt_datefield_value(current), granularity, *ids],
            )
            for kpi_id, start, value in cursor.fetchall():
                latest[kpi_id] = (as_date(start), as_decimal(value), current)
    # Each KPI's first day: one index probe per KPI (a GROUP BY would read every day row of them all).
    first = Rollup.objects.filter(kpi=OuterRef("pk"), granularity="day").order_by("period_start")
    first_days = dict(
        KPI.objects.filter(pk__in=[kpi.id for kpi in kpis])
        .annotate(first=Subquery(first.values("period_start")[:1]))
        .values_list("id", "first")
    )
    changed = []
    turned = []  # (kpi, old health): a `kpi.health_changed` event each (notifications, webhooks)
    for kpi in kpis:
        before = (kpi.health, kpi.latest_value, kpi.latest_period_start)
        if kpi.id not in latest:
            kpi.health, kpi.latest_value, kpi.latest_period_start = Health.NO_DATA, None, None
        else:
            start, value, current = latest[kpi.id]
            target = target_for(
                target=kpi.target,
                target_granularity=kpi.target_granularity,
                aggregation=kpi.aggregation,
                granularity=kpi.target_granularity,
            )
            first_day = first_days.get(kpi.id)
            judged = start < current and (first_day is None or first_day <= start)
            kpi.health = (
                health_of(value=value, target=target, direction=kpi.direction, tolerance_pct=kpi.tolerance_pct)
                if judged
                else Health.NO_DATA
            )
            kpi.latest_value, kpi.latest_period_start = value, start
        if (kpi.health, kpi.latest_value, kpi.latest_period_start) != before:
            changed.append(kpi)
        if kpi.health != before[0]:
            turned.append((kpi, before[0]))
    if changed:
        with transaction.atomic():
            KPI.objects.bulk_update(changed, ["health", "latest_value", "latest_period_start"])
            # Every change of health, the first judgement after "not judged yet" included: a subscriber
            # hears when a KPI is first on or off track, not only when it turns.
            if turned:
                events.record_many([_health_event(kpi, old) for kpi, old in turned])


def _health_event(kpi: KPI, old: str) -> dict:
    value = kpi.latest_value
    return {
        "portfolio_id": kpi.product.portfolio_id,
        "verb": "kpi.health_changed",
        "obj": kpi,
        "changes": {"health": [old, kpi.health]},
        "data": {
            "product": kpi.product_id,
            "product_name": kpi.product.name,
            "key": kpi.key,
            "name": kpi.name,
            "unit": kpi.unit,
            "value": float(value) if value is not None else None,
            "period": kpi.latest_period_start.isoformat() if kpi.latest_period_start else None,
            "granularity": kpi.target_granularity,
            "target": float(kpi.target) if kpi.target is not None else None,
            "launch_plan": kpi.launch_plan_id,
            "campaign": kpi.campaign_id,
        },
    }


def kpi_health_refresh_all() -> int:
    ids = list(KPI.objects.values_list("id", flat=True))
    for start in range(0, len(ids), 500):
        kpi_health_refresh_many(kpi_ids=ids[start : start + 500])
    return len(ids)
