"""What kpis does when other apps' domain events are committed."""

from pmflow.celery import enqueue
from products.events import register_handler


class NotHandedOver(Exception):
    """The worker could not be reached: the event stays undispatched and the relay tries again."""


def rebuild_after_timezone_change(event) -> None:
    """Rollup periods are local days, weeks and months: a new time zone moves every boundary."""
    if "timezone" not in event.changes:
        return
    from kpis.tasks import rebuild_rollups

    if not enqueue(rebuild_rollups, event.portfolio_id):
        raise NotHandedOver(f"rebuild of portfolio {event.portfolio_id}")


register_handler("portfolio.updated", rebuild_after_timezone_change)


def _rebuild_keys(portfolio_id: int, keys) -> None:
    from kpis.tasks import rebuild_key_rollups

    if not enqueue(rebuild_key_rollups, portfolio_id, sorted(keys) if keys is not None else None):
        raise NotHandedOver(f"key rollups of portfolio {portfolio_id}")


def keys_after_kpi_change(event) -> None:
    """A KPI that changed its key or aggregation moved its periods from one key row to another."""
    changes = event.changes or {}
    if event.verb == "kpi.deleted":
        key = (event.data or {}).get("key")
        _rebuild_keys(event.portfolio_id, [key] if key else None)
        return
    touched = {value for name in ("key",) if name in changes for value in changes[name] if value}
    if "aggregation" in changes:
        from kpis.models import KPI

        touched |= set(KPI.objects.filter(pk=event.object_id).values_list("key", flat=True))
    if touched:
        _rebuild_keys(event.portfolio_id, touched)


def keys_after_product_change(event) -> None:
    """A product that moved to another line (or went) changes the line rows of its KPIs' keys."""
    if event.verb == "product.deleted" or "product_line" in (event.changes or {}):
        from kpis.models import KPI

        keys = set(KPI.objects.filter(product_id=event.object_id).values_list("key", flat=True))
        _rebuild_keys(event.portfolio_id, keys if event.verb != "product.deleted" else None)


register_handler("kpi.updated", keys_after_kpi_change)
register_handler("kpi.deleted", keys_after_kpi_change)
register_handler("product.updated", keys_after_product_change)
register_handler("product.deleted", keys_after_product_change)
