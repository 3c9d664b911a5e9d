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


# --- notifications (issue 13) -------------------------------------------------------------------------


@shared_task(**RETRY)
def notifications_email_send(notification_ids: list[int]) -> int:
    """E-mail these notifications to their people (those still due); safe to run twice."""
    from products.services import notifications

    return notifications.notifications_email_send(notification_ids=notification_ids)


@shared_task(**RETRY)
def notifications_email_sweep() -> int:
    """Periodic: send the notification e-mails a broker outage or a mail server failure left."""
    from products.services import notifications

    return notifications.notifications_email_sweep()


@shared_task(**RETRY)
def notifications_digest_send() -> int:
    """Periodic (hourly): each person's daily digest, once a day from the digest hour."""
    from products.services import notifications

    return notifications.digest_send()


# --- webhooks (issue 13) ------------------------------------------------------------------------------


@shared_task(**RETRY)
def webhook_delivery_send(delivery_id: int) -> str | None:
    """One try of a webhook delivery, if it is due (the row lock and the claim make a second run of the
    same try a no-op). Returns the delivery's status afterwards, None when there was nothing to do."""
    from products.services import webhooks

    delivery = webhooks.delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else None


@shared_task(**RETRY)
def webhook_deliveries_sweep() -> int:
    """Periodic: hand the worker the webhook deliveries that are due (retries, a broker outage's leftovers)."""
    from products.services import webhooks

    return webhooks.deliveries_sweep()
