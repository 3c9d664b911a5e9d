"""What the post-launch reviews do when other apps' domain events are committed, and the KPI keys the
roadmap offers an item to expect a change in (roadmap does not import kpis: it takes them from here)."""

import contextlib

from products.events import register_handler
from roadmap.services.items import register_kpi_keys


def review_after_launch(event) -> None:
    """A plan launched: its review exists from now on (idempotent, so the relay may call it again)."""
    from kpis.services.reviews import PlanNotLaunched, review_create
    from pmflow.errors import NotFound

    with contextlib.suppress(NotFound, PlanNotLaunched):  # deleted or cancelled since: nothing to review
        review_create(plan_id=event.object_id)


def product_kpi_keys(product_id: int) -> dict[str, str]:
    """{key: name} of the product's own KPIs (not a campaign's): what a roadmap item may expect to move."""
    from kpis.models import KPI

    kpis = KPI.objects.filter(product_id=product_id, campaign__isnull=True).order_by("name", "id")
    return dict(kpis.values_list("key", "name"))


register_handler("launch_plan.launched", review_after_launch)
register_kpi_keys(product_kpi_keys)
