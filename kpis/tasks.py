from datetime import date, timedelta

from celery import shared_task
from django.conf import settings

from kpis import services
from pmflow.celery import enqueue, transient_retry

RETRY = transient_retry()
# Hard limits below the broker's visibility timeout (settings.py), so a task is never delivered to a
# second worker while the first still runs it.
RECOMPUTE_LIMITS = {"soft_time_limit": 240, "time_limit": 300}
# A rebuild is one portfolio (1,000,000 measurements rebuild in seconds: bench/rollups.py).
REBUILD_LIMITS = {"soft_time_limit": 540, "time_limit": 600}


@shared_task(queue="rollups", **RETRY, **RECOMPUTE_LIMITS)
def recompute_rollups(kpi_id: int, ranges: list[list[str]] | None = None) -> int:
    """Recompute a KPI's pending rollups (recorded by the write that needed them), plus local-day ranges
    [[first, last], …] (ISO dates) if given.

    Idempotent: it replaces the rows of the covered periods, and a second delivery finds no pending
    rows. Retries on database hiccups; a crash leaves the pending rows for `rollups_sweep`.
    """
    day_ranges = [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in ranges or []]
    return services.rollups_recompute(kpi_id=kpi_id, day_ranges=day_ranges)


@shared_task(queue="rollups", **RETRY, **RECOMPUTE_LIMITS)
def recompute_rollups_many(kpi_ids: list[int]) -> int:
    """Recompute the pending rollups of several KPIs written together (a batch or an import): one task
    and one set of statements per portfolio, however many KPIs the batch touched. Idempotent like
    `recompute_rollups`."""
    return services.rollups_recompute_many(kpi_ids=kpi_ids)


@shared_task(queue="rollups", **RETRY, **RECOMPUTE_LIMITS)
def rollups_sweep() -> int:
    """Periodic: pending rollups that waited too long (broker down, worker killed) go to the worker
    again, and so do imports that stopped moving."""
    handed = services.rollups_sweep(waited=timedelta(seconds=settings.ROLLUP_SWEEP_AFTER_SECONDS))
    return handed + services.imports_sweep(waited=timedelta(seconds=settings.IMPORT_SWEEP_AFTER_SECONDS))


@shared_task(queue="rollups", **RETRY, **REBUILD_LIMITS)
def import_process(import_id: int) -> str:
    """Check, write and roll up one CSV import (kpis.services.imports). Safe to deliver twice: a second
    run finds it running elsewhere, written, or done."""
    return services.import_process(import_id=import_id)


@shared_task(queue="rollups", **RETRY, **REBUILD_LIMITS)
def rollups_verify() -> int:
    """Periodic: compare a sample of rollups with the measurements; repair and log differences."""
    return len(services.rollups_verify(sample=settings.ROLLUP_VERIFY_SAMPLE))


@shared_task(queue="rollups", **RETRY, **REBUILD_LIMITS)
def rebuild_rollups(portfolio_id: int | None = None) -> int:
    """Rebuild a portfolio's rollups from its measurements; without one, hand each portfolio to the
    worker as a task of its own (so no task outgrows its time limit). Returns portfolios done or handed."""
    if portfolio_id is not None:
        return services.rollups_rebuild(portfolio_id=portfolio_id)
    from products.models import Portfolio

    return sum(enqueue(rebuild_rollups, pid) for pid in Portfolio.objects.order_by("id").values_list("id", flat=True))


@shared_task(queue="rollups", **RETRY, **REBUILD_LIMITS)
def rebuild_key_rollups(portfolio_id: int, keys: list[str] | None = None) -> int:
    """Rebuild a portfolio's rows of `keys` (all when None) across products and lines from the KPIs'
    rollups: after a KPI changed its key or aggregation, or a product its line. Idempotent."""
    return services.key_rollups_rebuild(portfolio_id=portfolio_id, keys=keys)


@shared_task(queue="default", **RETRY, **RECOMPUTE_LIMITS)
def kpi_health_refresh_all() -> int:
    """Periodic: health moves when a period ends even if no measurement arrives."""
    return services.kpi_health_refresh_all()


# --- cross-functional signals (kpis.signals) ---------------------------------------------------------


@shared_task(queue="default", **RETRY, **RECOMPUTE_LIMITS)
def signals_detect_products(product_ids: list[int]) -> dict:
    """Open, refresh and resolve the signals of these products (after their rollups changed). Idempotent:
    one open signal per kind and subject is the database's rule."""
    from kpis.services.signals import signals_refresh_products

    return signals_refresh_products(product_ids=product_ids)


@shared_task(queue="default", **RETRY, **RECOMPUTE_LIMITS)
def signals_detect_portfolio(portfolio_id: int) -> dict:
    """The same for a whole portfolio (a campaign, a competitor move or a launch changed). Idempotent."""
    from kpis.services.signals import signals_refresh

    return signals_refresh(portfolio_id=portfolio_id)


@shared_task(queue="default", **RETRY, **REBUILD_LIMITS)
def signals_detect_all() -> dict:
    """Periodic: every portfolio's signals (weeks end and launches age without new data). Idempotent."""
    from kpis.services.signals import signals_refresh_all

    return signals_refresh_all()
