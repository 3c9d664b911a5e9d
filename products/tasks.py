from celery import shared_task

from pmflow.celery import transient_retry
from products import services

RETRY = transient_retry()


@shared_task(**RETRY)
def lifecycle_rules_evaluate(product_id: int) -> int | None:
    """Evaluate a product's lifecycle rules; returns the id of the transition written, if any.

    Safe to run twice: a rule fires at most once per stay in its from-stage.
    """
    move = services.lifecycle_rules_evaluate(product_id=product_id)
    return move.id if move else None


@shared_task(**RETRY)
def lifecycle_rules_evaluate_products(product_ids: list[int]) -> int:
    """Evaluate the rules of several products whose KPIs' rollups changed together."""
    return services.lifecycle_rules_evaluate_products(product_ids=product_ids)


@shared_task(**RETRY)
def lifecycle_rules_evaluate_all() -> int:
    """The periodic sweep: evaluate every product some active rule could move."""
    return services.lifecycle_rules_evaluate_all()


@shared_task(**RETRY)
def lifecycle_rule_evaluate(rule_id: int) -> int:
    """A rule was created or changed: evaluate it for the products in its from-stage."""
    return services.lifecycle_rule_products_evaluate(rule_id=rule_id)


@shared_task(**RETRY)
def events_relay() -> int:
    """Periodic: hand committed domain events whose handlers did not finish (crash, outage) to them again."""
    from products import events

    return events.relay_pending()
