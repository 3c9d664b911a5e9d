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


def _asset_file_goes_with_its_row(sender, instance, **kwargs) -> None:
    """An asset deleted with its product (or launch plan's product, a cascade no service sees) takes its
    stored file with it once the deletion commits."""
    from gtm.services.enablement import remove_file_after_commit

    remove_file_after_commit(instance.file.name if instance.file else "")


def connect_file_cleanup() -> None:
    from django.db.models.signals import post_delete

    from gtm.models import Asset

    post_delete.connect(_asset_file_goes_with_its_row, sender=Asset, dispatch_uid="gtm.asset_file_cleanup")
