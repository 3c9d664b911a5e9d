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
