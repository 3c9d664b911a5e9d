"""Rollups and health derived from measurements: incremental recomputes and full rebuilds."""

import logging
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from kpis import rollups
from kpis.models import KPI, PendingRollup, Rollup
from kpis.services.definitions import kpi_health_refresh
from pmflow.celery import enqueue, enqueue_on_commit
from products import events
from products.models import Portfolio

log = logging.getLogger(__name__)


# --- rollups -------------------------------------------------------------------------------------


def rollups_recompute(*, kpi_id: int, day_ranges: list[tuple[date, date]] | None = None) -> int:
    """Recompute a KPI's rollups for its pending local-day ranges (and `day_ranges`, if given), refresh
    its health, then ask the lifecycle rules of its product whether to move it (after commit).

    The pending rows read are deleted in the same transaction as the rollups they produce, so a crash
    half way leaves them for the sweep, and a second delivery of the same task finds nothing to do.
    Returns the number of pending rows covered.
    """
    from products.tasks import lifecycle_rules_evaluate

    kpi = KPI.objects.select_related("product__portfolio").filter(pk=kpi_id).first()
    if kpi is None:
        return 0  # deleted meanwhile: nothing to derive (its pending rows went with it)
    with transaction.atomic():
        # The KPI's lock (lock order: product → KPI): two recomputes of one KPI run one after the
        # other instead of both inserting the same rollup rows (an IntegrityError on PostgreSQL), and
        # an ingest waits for the recompute, so every pending row is either read here or after.
        if not list(KPI.objects.select_for_update().filter(pk=kpi_id).values_list("id", flat=True)):
            return 0
        pending = list(PendingRollup.objects.filter(kpi_id=kpi_id).values_list("id", "first_day", "last_day"))
        ranges = [(first, last) for _, first, last in pending] + list(day_ranges or [])
        if not ranges:
            return 0
        rollups.recompute_kpi(kpi_id=kpi_id, zone_name=kpi.product.portfolio.timezone, day_ranges=ranges)
        PendingRollup.objects.filter(id__in=[row[0] for row in pending]).delete()
        kpi_health_refresh(kpi_id=kpi_id)
        enqueue_on_commit(lifecycle_rules_evaluate, kpi.product_id)
    return len(pending)


def rollups_sweep(*, waited: timedelta = timedelta(minutes=2), limit: int = 1000) -> int:
    """Hand to the worker again every KPI whose pending rollups have waited longer than `waited`
    (since they were written or last swept): the broker was down, or the worker died half way.

    Returns the number of KPIs handed over. Safe to run anywhere and often: a recompute that finds its
    rows already done does nothing.
    """
    from kpis.tasks import recompute_rollups

    cutoff = timezone.now() - waited
    stale = PendingRollup.objects.filter(Q(swept_at__isnull=True, created_at__lt=cutoff) | Q(swept_at__lt=cutoff))
    kpi_ids = list(stale.order_by("kpi_id").values_list("kpi_id", flat=True).distinct()[:limit])
    if not kpi_ids:
        return 0
    oldest = stale.filter(kpi_id__in=kpi_ids).order_by("created_at").values_list("created_at", flat=True).first()
    log.warning(
        "rollup sweep: %d KPI(s) had pending rollups waiting since %s; handing them to the worker again",
        len(kpi_ids),
        oldest.isoformat() if oldest else "?",
    )
    PendingRollup.objects.filter(kpi_id__in=kpi_ids).update(swept_at=timezone.now())
    handed = 0
    for kpi_id in kpi_ids:
        handed += enqueue(recompute_rollups, kpi_id)
    return handed


def rollups_backlog() -> dict:
    """How much rollup work waits, for /healthz: rows, KPIs, and the age of the oldest in seconds."""
    rows = PendingRollup.objects.aggregate(
        rows=Count("id"), kpis=Count("kpi_id", distinct=True), oldest=Min("created_at")
    )
    oldest = rows.pop("oldest")
    rows["oldest_seconds"] = round((timezone.now() - oldest).total_seconds()) if oldest else 0
    return rows


def _rollup_rows(kpi_id: int) -> dict:
    values = Rollup.objects.filter(kpi_id=kpi_id).values_list("granularity", "period_start", "value", "count")
    return {(granularity, start): (value, count) for granularity, start, value, count in values}


def rollups_verify(*, sample: int = 50, kpi_ids: list[int] | None = None) -> list[dict]:
    """Compare the stored rollups of a random sample of KPIs (or of `kpi_ids`) with what their
    measurements give; repair every difference, log it and record it as a `kpi.rollups_repaired`
    domain event (so the KPI's history explains the change). Returns the repairs.

    A KPI with pending rollups is skipped: its rows are about to change anyway.
    """
    if kpi_ids is None:
        kpi_ids = list(KPI.objects.order_by("?").values_list("id", flat=True)[:sample])
    repairs = []
    for kpi_id in kpi_ids:
        with transaction.atomic():
            kpi = (
                KPI.objects.select_for_update(of=("self",))
                .select_related("product__portfolio")
                .filter(pk=kpi_id)
                .first()
            )
            if kpi is None or PendingRollup.objects.filter(kpi_id=kpi_id).exists():
                continue
            before = _rollup_rows(kpi_id)
            rollups.rebuild_kpi(kpi_id=kpi_id, zone_name=kpi.product.portfolio.timezone)
            after = _rollup_rows(kpi_id)
            if before == after:
                continue
            differences = [
                {
                    "granularity": granularity,
                    "period_start": start.isoformat(),
                    "stored": _pair(before.get((granularity, start))),
                    "computed": _pair(after.get((granularity, start))),
                }
                for granularity, start in sorted(set(before) | set(after))
                if before.get((granularity, start)) != after.get((granularity, start))
            ]
            log.warning(
                "rollup verification: KPI %s (%s) had %d wrong rollup row(s), repaired: %s",
                kpi_id,
                kpi.key,
                len(differences),
                differences[:10],
            )
            events.record(
                portfolio_id=kpi.product.portfolio_id,
                actor=None,
                verb="kpi.rollups_repaired",
                obj=kpi,
                data={"rows": len(differences), "differences": differences[:100]},
            )
            kpi_health_refresh(kpi_id=kpi_id)
            repairs.append({"kpi": kpi_id, "rows": len(differences), "differences": differences})
    return repairs


def _pair(row) -> dict | None:
    if row is None:
        return None
    value, count = row
    return {"value": format(value.normalize(), "f"), "count": count}


def rollups_rebuild(*, portfolio_id: int | None = None) -> int:
    """Rebuild all rollups (of one portfolio, or all) from measurements; returns portfolios rebuilt."""
    portfolios = Portfolio.objects.all() if portfolio_id is None else Portfolio.objects.filter(pk=portfolio_id)
    done = 0
    for portfolio in portfolios.order_by("id"):
        with transaction.atomic():
            # Every KPI's lock, in id order, so no incremental recompute interleaves with the rebuild.
            kpis = KPI.objects.select_for_update(of=("self",)).filter(product__portfolio=portfolio).order_by("id")
            kpi_ids = list(kpis.values_list("id", flat=True))
            rollups.rebuild_portfolio(portfolio_id=portfolio.id, zone_name=portfolio.timezone)
            PendingRollup.objects.filter(kpi_id__in=kpi_ids).delete()  # covered by the rebuild
        for kpi_id in KPI.objects.filter(product__portfolio=portfolio).values_list("id", flat=True):
            kpi_health_refresh(kpi_id=kpi_id)
        done += 1
    return done
