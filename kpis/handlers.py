"""What kpis does when other apps' domain events are committed."""

from django.db import transaction

from products.events import register_handler


def rebuild_after_timezone_change(event) -> None:
    """Rollup periods are local days, weeks and months: a new time zone moves every boundary."""
    if "timezone" not in event.changes:
        return
    from kpis.tasks import rebuild_rollups

    portfolio_id = event.portfolio_id
    transaction.on_commit(lambda: rebuild_rollups.delay(portfolio_id))


register_handler("portfolio.updated", rebuild_after_timezone_change)
