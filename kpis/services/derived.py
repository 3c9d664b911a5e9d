"""Rollups and health derived from measurements: incremental recomputes and full rebuilds."""

import logging
from datetime import date

from django.db import transaction

from kpis import rollups
from kpis.models import KPI
from kpis.services.definitions import kpi_health_refresh
from products.models import Portfolio

log = logging.getLogger(__name__)


# --- rollups -------------------------------------------------------------------------------------


def rollups_recompute(*, kpi_id: int, day_ranges: list[tuple[date, date]]) -> None:
    """Recompute a KPI's rollups for the touched local-day ranges, refresh its health, then ask the
    lifecycle rules of its product whether to move it (after commit)."""
    from products.tasks import lifecycle_rules_evaluate

    kpi = KPI.objects.select_related("product__portfolio").filter(pk=kpi_id).first()
    if kpi is None:
        return  # deleted meanwhile: nothing to derive
    with transaction.atomic():
        # The KPI's lock (lock order: product → KPI): two recomputes of one KPI run one after the
        # other instead of both inserting the same rollup rows (an IntegrityError on PostgreSQL).
        if not list(KPI.objects.select_for_update().filter(pk=kpi_id).values_list("id", flat=True)):
            return
        rollups.recompute_kpi(kpi_id=kpi_id, zone_name=kpi.product.portfolio.timezone, day_ranges=day_ranges)
        kpi_health_refresh(kpi_id=kpi_id)
        product_id = kpi.product_id
        transaction.on_commit(lambda: lifecycle_rules_evaluate.delay(product_id))


def rollups_rebuild(*, portfolio_id: int | None = None) -> int:
    """Rebuild all rollups (of one portfolio, or all) from measurements; returns portfolios rebuilt."""
    portfolios = Portfolio.objects.all() if portfolio_id is None else Portfolio.objects.filter(pk=portfolio_id)
    done = 0
    for portfolio in portfolios.order_by("id"):
        with transaction.atomic():
            # Every KPI's lock, in id order, so no incremental recompute interleaves with the rebuild.
            kpis = KPI.objects.select_for_update(of=("self",)).filter(product__portfolio=portfolio).order_by("id")
            list(kpis.values_list("id", flat=True))
            rollups.rebuild_portfolio(portfolio_id=portfolio.id, zone_name=portfolio.timezone)
        for kpi_id in KPI.objects.filter(product__portfolio=portfolio).values_list("id", flat=True):
            kpi_health_refresh(kpi_id=kpi_id)
        done += 1
    return done
