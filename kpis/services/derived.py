"""Rollups and health derived from measurements: incremental recomputes and full rebuilds."""

import logging
from collections import defaultdict
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from kpis import rollups
from kpis.models import KPI, KeyRollup, PendingRollup, Rollup
from kpis.periods import merge_ranges
from kpis.services.definitions import kpi_health_refresh, kpi_health_refresh_many
from pmflow.celery import enqueue, enqueue_on_commit
from products import events
from products.models import Portfolio

log = logging.getLogger(__name__)


# --- rollups -------------------------------------------------------------------------------------


def rollups_recompute(*, kpi_id: int, day_ranges: list[tuple[date, date]] | None = None) -> int:
    """`rollups_recompute_many` for one KPI."""
    return rollups_recompute_many(kpi_ids=[kpi_id], day_ranges=day_ranges)


# A batch whose KPIs touched more distinct sets of days than this is recomputed over the union of them.
MAX_RANGE_GROUPS = 8


def rollups_recompute_many(*, kpi_ids, day_ranges: list[tuple[date, date]] | None = None) -> int:
    """Recompute the rollups of KPIs for their pending local-day ranges (and `day_ranges`, if given),
    the key rows across their portfolios and product lines, and their health; then ask the lifecycle
    rules of their products whether to move them (after commit).

    Set-based: KPIs of one portfolio that touched the same days (a daily feed) share one DELETE and
    one INSERT … SELECT per granularity. The pending rows read are deleted in the same transaction as
    the rollups they produce, so a crash half way leaves them for the sweep, and a second delivery of
    the same task finds nothing to do. Returns the number of pending rows covered.
    """
    from kpis.tasks import signals_detect_products
    from products.tasks import lifecycle_rules_evaluate_products

    ids = sorted(set(kpi_ids))
    with transaction.atomic():
        # The KPIs' locks, in id order (lock order: product → KPI): two recomputes of one KPI run one
        # after the other instead of both inserting the same rollup rows, and an ingest waits for the
        # recompute, so every pending row is either read here or after.
        locked = list(
            KPI.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .order_by("id")
            .values_list("id", "key", "product_id", "product__portfolio_id", "product__portfolio__timezone")
        )
        if not locked:
            return 0  # deleted meanwhile: nothing to derive (their pending rows went with them)
        pending = list(
            PendingRollup.objects.filter(kpi_id__in=[row[0] for row in locked]).values_list(
                "id", "kpi_id", "first_day", "last_day"
            )
        )
        ranges: dict[int, list] = defaultdict(list)
        for _, kpi_id, first, last in pending:
            ranges[kpi_id].append((first, last))
        for kpi_id, *_ in locked:
            if day_ranges:
                ranges[kpi_id] += list(day_ranges)
        if not ranges:
            return 0
        by_portfolio: dict[tuple[int, str], dict[int, tuple]] = defaultdict(dict)
        keys: dict[int, set[str]] = defaultdict(set)
        for kpi_id, key, _, portfolio_id, zone_name in locked:
            if kpi_id in ranges:
                by_portfolio[(portfolio_id, zone_name)][kpi_id] = tuple(merge_ranges(ranges[kpi_id]))
                keys[portfolio_id].add(key)
        for (portfolio_id, zone_name), kpi_ranges in by_portfolio.items():
            groups: dict[tuple, list[int]] = defaultdict(list)
            for kpi_id, kpi_range in kpi_ranges.items():
                groups[kpi_range].append(kpi_id)
            if len(groups) > MAX_RANGE_GROUPS:
                groups = {tuple(merge_ranges([r for rs in groups for r in rs])): list(kpi_ranges)}
            for group_ranges, group_ids in groups.items():
                rollups.recompute_kpis(kpi_ids=group_ids, zone_name=zone_name, day_ranges=list(group_ranges))
            all_ranges = merge_ranges([r for rs in kpi_ranges.values() for r in rs])
            rollups.recompute_keys(portfolio_id=portfolio_id, keys=keys[portfolio_id], day_ranges=all_ranges)
        PendingRollup.objects.filter(id__in=[row[0] for row in pending]).delete()
        done = sorted(kpi_id for ranges_ in by_portfolio.values() for kpi_id in ranges_)
        kpi_health_refresh_many(kpi_ids=done)
        products = sorted({product_id for kpi_id, _, product_id, _, _ in locked if kpi_id in ranges})
        enqueue_on_commit(lifecycle_rules_evaluate_products, products)
        enqueue_on_commit(signals_detect_products, products)  # cross-functional signals (kpis.signals)
    return len(pending)


def key_rollups_rebuild(*, portfolio_id: int, keys: list[str] | None = None) -> int:
    """Rebuild the rows of `keys` (every key when None) across a portfolio's products and lines.

    With the portfolio's KPI locks when every key is rebuilt (no recompute interleaves), with the keys'
    own locks otherwise (kpis.rollups.recompute_keys). Returns the number of rows written.
    """
    with transaction.atomic():
        if keys is None:
            list(
                KPI.objects.select_for_update(of=("self",))
                .filter(product__portfolio_id=portfolio_id)
                .order_by("id")
                .values_list("id", flat=True)
            )
        rollups.recompute_keys(portfolio_id=portfolio_id, keys=keys)
        rows = KeyRollup.objects.filter(portfolio_id=portfolio_id)
        return (rows.filter(key__in=keys) if keys is not None else rows).count()


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
            # The key's rows across the portfolio and lines were made from the wrong rows: redo them.
            rollups.recompute_keys(portfolio_id=kpi.product.portfolio_id, keys=[kpi.key])
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
        kpi_health_refresh_many(kpi_ids=kpi_ids)
        done += 1
    return done
