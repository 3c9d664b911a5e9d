"""What gtm does after its own domain events commit: a launched plan may satisfy a lifecycle rule."""

from pmflow.celery import enqueue
from products.events import register_handler


class NotHandedOver(Exception):
    """The worker could not be reached: the event stays undispatched and the relay tries again."""


def rules_after_launch(event) -> None:
    """Evaluate the product's lifecycle rules now rather than at the next periodic sweep."""
    from products.tasks import lifecycle_rules_evaluate

    product_id = (event.data or {}).get("product")
    if product_id and not enqueue(lifecycle_rules_evaluate, product_id):
        raise NotHandedOver(f"rules of product {product_id}")


register_handler("launch_plan.launched", rules_after_launch)
