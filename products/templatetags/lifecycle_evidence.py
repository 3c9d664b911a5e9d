"""The evidence template of a condition type, for evidence that holds other conditions' evidence
(all_of / any_of: templates/products/_composite_evidence.html includes each part's own template)."""

from django import template

from products import lifecycle

register = template.Library()


@register.filter
def evidence_template(condition_type: str) -> str:
    """The registered type's evidence template; "" for a type without one (or no longer registered)."""
    kind = lifecycle.condition_types.get(condition_type or "")
    return kind.evidence_template if kind is not None else ""
