from datetime import date

from celery import shared_task

from kpis import services
from pmflow.celery import transient_retry

RETRY = transient_retry()


@shared_task(queue="rollups", **RETRY)
def recompute_rollups(kpi_id: int, ranges: list[list[str]]) -> None:
    """Recompute a KPI's rollups for local-day ranges [[first, last], …] (ISO dates).

    Idempotent: it replaces the rows of the covered periods. Retries on database hiccups.
    """
    services.rollups_recompute(
        kpi_id=kpi_id, day_ranges=[(date.fromisoformat(a), date.fromisoformat(b)) for a, b in ranges]
    )


@shared_task(queue="rollups", **RETRY)
def rebuild_rollups(portfolio_id: int | None = None) -> int:
    return services.rollups_rebuild(portfolio_id=portfolio_id)


@shared_task(queue="default", **RETRY)
def kpi_health_refresh_all() -> int:
    """Periodic: health moves when a period ends even if no measurement arrives."""
    return services.kpi_health_refresh_all()
