"""KPIs: defining them, and the health stored on them."""

import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from kpis.health import health_of, target_for
from kpis.models import KPI, Health, Rollup
from kpis.periods import period_start
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
)


def kpi_save(*, kpi: KPI | None = None, product: Product | None = None, actor=None, **fields) -> KPI:
    """Create a KPI (give `product`) or change one (give `kpi`); refreshes its health.

    Raises InvalidInput when the key is taken on the product. Making a KPI the headline takes the
    flag from the product's other KPIs (each change recorded as an event). A KPI never moves to
    another product.
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
            data={"measurements": kpi.measurements.count(), "product": kpi.product_id},
        )
        kpi.delete()


def kpi_health_refresh(*, kpi_id: int, today: date | None = None) -> str:
    """Store the health of the KPI's latest complete period at its target granularity.

    While no complete period exists, or the latest complete one is the KPI's partly covered first
    period, the value is shown but not judged (`no_data`, "Not judged yet"): a half-finished month
    would otherwise look off track for a sum KPI.
    """
    kpi = KPI.objects.select_related("product__portfolio").get(pk=kpi_id)
    zone = kpi.product.portfolio.zone
    today = today or timezone.now().astimezone(zone).date()
    current = period_start(today, kpi.target_granularity)
    rows = Rollup.objects.filter(kpi_id=kpi_id, granularity=kpi.target_granularity).order_by("-period_start")
    row = rows.filter(period_start__lt=current).first() or rows.first()
    if row is None:
        kpi.health, kpi.latest_value, kpi.latest_period_start = Health.NO_DATA, None, None
    else:
        target = target_for(
            target=kpi.target,
            target_granularity=kpi.target_granularity,
            aggregation=kpi.aggregation,
            granularity=kpi.target_granularity,
        )
        first_day = (
            Rollup.objects.filter(kpi_id=kpi_id, granularity="day")
            .order_by("period_start")
            .values_list("period_start", flat=True)
            .first()
        )
        judged = row.period_start < current and (first_day is None or first_day <= row.period_start)
        kpi.health = (
            health_of(value=row.value, target=target, direction=kpi.direction, tolerance_pct=kpi.tolerance_pct)
            if judged
            else Health.NO_DATA
        )
        kpi.latest_value, kpi.latest_period_start = row.value, row.period_start
    KPI.objects.filter(pk=kpi_id).update(
        health=kpi.health, latest_value=kpi.latest_value, latest_period_start=kpi.latest_period_start
    )
    return kpi.health


def kpi_health_refresh_all() -> int:
    ids = list(KPI.objects.values_list("id", flat=True))
    for kpi_id in ids:
        kpi_health_refresh(kpi_id=kpi_id)
    return len(ids)
