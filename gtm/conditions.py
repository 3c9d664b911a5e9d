"""The `launch_plan_launched` lifecycle condition: a launch plan of the product launched while it is in
the rule's from-stage. gtm/ owns launch plans, so it registers the condition and renders its evidence."""

from django import forms

from gtm.models import LaunchPlan
from pmflow.errors import InvalidInput
from products.lifecycle import ConditionType, register_condition_type


def clean_launched(params: dict) -> dict:
    if params:
        raise InvalidInput(fields={"params": f"Unknown parameters: {', '.join(sorted(map(str, params)))}."})
    return {}


def evaluate_launched(rule, product, today) -> dict | None:
    """The first plan launched since the product entered its current stage (the stay the rule fires
    in), as evidence; None while there is none."""
    plan = (
        LaunchPlan.objects.filter(
            product=product, status=LaunchPlan.Status.LAUNCHED, launched_at__gte=product.stage_changed_at
        )
        .select_related("release")
        .order_by("launched_at", "id")
        .first()
    )
    if plan is None:
        return None
    return {
        "launch_plan": {
            "id": plan.id,
            "name": plan.name,
            "tier": plan.tier,
            "launch_date": plan.launch_date.isoformat(),
            "launched_at": plan.launched_at.isoformat(),
            "release": plan.release.version if plan.release_id else None,
            "override": bool(plan.launch_reason),
            "tasks": plan.tasks.count(),
            "done": plan.tasks.filter(status="done").count(),
        }
    }


def describe_launched(params: dict) -> str:
    return "a launch plan of the product launches"


class LaunchedParamsForm(forms.Form):
    """No parameters: any launch plan of the product that launches counts."""

    def __init__(self, *args, portfolio=None, **kwargs):
        super().__init__(*args, **kwargs)


register_condition_type(
    ConditionType(
        key="launch_plan_launched",
        label="A launch plan launches",
        clean=clean_launched,
        evaluate=evaluate_launched,
        describe=describe_launched,
        params_form=LaunchedParamsForm,
        params_from_form=lambda cleaned: {},
        evidence_template="gtm/_launch_evidence.html",
    )
)
