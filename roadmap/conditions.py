"""The `release_shipped` lifecycle condition: a release of the product shipped while it is in the
rule's from-stage. roadmap/ owns releases, so it registers the condition and renders its evidence."""

from django import forms

from pmflow.errors import InvalidInput
from products.lifecycle import ConditionType, register_condition_type
from roadmap.models import Release


def clean_shipped(params: dict) -> dict:
    if params:
        raise InvalidInput(fields={"params": f"Unknown parameters: {', '.join(sorted(map(str, params)))}."})
    return {}


def evaluate_shipped(rule, product, today) -> dict | None:
    """The first release shipped since the product entered its current stage (the stay the rule
    fires in), as evidence; None while there is none."""
    release = (
        Release.objects.filter(product=product, status=Release.Status.SHIPPED, shipped_at__gte=product.stage_changed_at)
        .order_by("shipped_at", "id")
        .first()
    )
    if release is None:
        return None
    return {
        "release": {
            "id": release.id,
            "version": release.version,
            "name": release.name,
            "shipped_at": release.shipped_at.isoformat(),
            "items": release.items.count(),
            "done": release.items.filter(status="done").count(),
        }
    }


def describe_shipped(params: dict) -> str:
    return "a release of the product ships"


class ShippedParamsForm(forms.Form):
    """No parameters: any release of the product that ships counts."""

    def __init__(self, *args, portfolio=None, **kwargs):
        super().__init__(*args, **kwargs)


register_condition_type(
    ConditionType(
        key="release_shipped",
        label="A release ships",
        clean=clean_shipped,
        evaluate=evaluate_shipped,
        describe=describe_shipped,
        params_form=ShippedParamsForm,
        params_from_form=lambda cleaned: {},
        evidence_template="roadmap/_release_evidence.html",
    )
)
