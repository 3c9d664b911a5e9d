"""What roadmap does after its own domain events commit: a shipped release may satisfy a rule."""

from pmflow.celery import enqueue
from products.events import register_handler


class NotHandedOver(Exception):
    """The worker could not be reached: the event stays undispatched and the relay tries again."""


def rules_after_ship(event) -> None:
    """Evaluate the product's lifecycle rules now rather than at the next periodic sweep."""
    from products.tasks import lifecycle_rules_evaluate

    product_id = (event.data or {}).get("product")
    if product_id and not enqueue(lifecycle_rules_evaluate, product_id):
        raise NotHandedOver(f"rules of product {product_id}")


register_handler("release.shipped", rules_after_ship)
