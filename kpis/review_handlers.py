"""What the post-launch reviews plug into other apps from kpis' AppConfig.ready(): the review made when a plan
launches (a domain event handler), the review's panel on a launched plan's page ("launch_plan.panels"), and
the KPI keys the roadmap offers an item to expect a change in (roadmap does not import kpis)."""

import contextlib

from products.events import register_handler
from products.pages import Fragment, register_fragment
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


def review_panel(plan, request) -> dict:
    from kpis.review_views import plan_panel

    return plan_panel(plan, request)


def _launched(plan, request) -> bool:
    return plan.status == "launched"


register_handler("launch_plan.launched", review_after_launch)
register_fragment(
    "launch_plan.panels",
    Fragment(
        key="kpis.review",
        template="kpis/reviews/_plan_panel.html",
        context=review_panel,
        order=20,
        visible=_launched,
    ),
)
register_kpi_keys(product_kpi_keys)
