"""The stage gate criterion gtm owns: a launch plan at readiness 100."""

from gtm.models import LaunchPlan
from gtm.selectors import with_readiness
from products.gates import CriterionType, fact, register_criterion_type


def _ready_plan(product) -> bool:
    plans = with_readiness(LaunchPlan.objects.filter(product=product).exclude(status=LaunchPlan.Status.CANCELLED))
    return plans.filter(readiness__gte=100).exists()


def _launch_plan_ready(product, params: dict, to_stage: str) -> str | None:
    if not fact(product, "launch_plan_ready", lambda: _ready_plan(product)):
        return "No launch plan is ready: every required task of a plan (not cancelled) must be done."
    return None


register_criterion_type(
    CriterionType(
        key="launch_plan_ready",
        label="A ready launch plan",
        check=_launch_plan_ready,
        describe=lambda params: "A launch plan is at readiness 100 % (every required task done)",
        order=60,
    )
)
