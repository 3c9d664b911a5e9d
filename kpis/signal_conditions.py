"""The `signal_open` lifecycle condition: holds while the product has an open cross-functional signal
(kpis.signals), of one kind (`params.kind`) or of any kind (`params` empty). E.g. "maturity → decline
while a KPI is off track after a competitor move", in suggest mode, for a person to decide.

Its evidence is the newest open signal (kind, message, when it opened) with its own evidence (the KPI rows
behind it), rendered by kpis/signals/_condition_evidence.html.
"""

from datetime import date

from django import forms

from kpis.models import Signal
from pmflow.errors import InvalidInput
from products.lifecycle import ConditionType, register_condition_type

ANY = ""


def clean_signal_open(params: dict) -> dict:
    """`{}` (any kind) or `{"kind": one of Signal.Kind}`; anything else is InvalidInput on its field."""
    errors = {}
    unknown = set(params) - {"kind"}
    if unknown:
        errors["params"] = f"Unknown parameters: {', '.join(sorted(map(str, unknown)))}."
    kind = params.get("kind")
    if kind in (None, ANY):
        kind = None
    elif not isinstance(kind, str) or kind not in Signal.Kind.values:
        errors["params.kind"] = f"One of {', '.join(Signal.Kind.values)}, or leave it out for any kind."
    if errors:
        raise InvalidInput(fields=errors)
    return {"kind": kind} if kind else {}


def evaluate_signal_open(rule, product, today: date) -> dict | None:
    """The newest open signal of the kind (any kind without one) on the product, as evidence; None without."""
    signals = Signal.objects.filter(product=product, resolved_at__isnull=True)
    if rule.params.get("kind"):
        signals = signals.filter(kind=rule.params["kind"])
    signal = signals.order_by("-opened_at", "-id").first()
    if signal is None:
        return None
    return {
        "signal": {
            "id": signal.id,
            "kind": signal.kind,
            "kind_label": signal.get_kind_display(),
            "message": signal.message,
            "opened_at": signal.opened_at.isoformat(),
        },
        "signal_evidence": signal.evidence,
    }


def describe_signal_open(params: dict) -> str:
    kind = params.get("kind")
    if not kind:
        return "the product has an open signal of any kind"
    return f"the product has an open “{Signal.Kind(kind).label.lower()}” signal"


class SignalOpenParamsForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(ANY, "Any kind"), *Signal.Kind.choices],
        required=False,
        label="Signal",
        help_text="The rule holds while the product has an open signal of this kind.",
    )

    def __init__(self, *args, portfolio=None, **kwargs):
        super().__init__(*args, **kwargs)


def signal_open_params_from_form(cleaned: dict) -> dict:
    return clean_signal_open({"kind": cleaned.get("kind") or ANY})


register_condition_type(
    ConditionType(
        key="signal_open",
        label="A cross-functional signal is open",
        clean=clean_signal_open,
        evaluate=evaluate_signal_open,
        describe=describe_signal_open,
        params_form=SignalOpenParamsForm,
        params_from_form=signal_open_params_from_form,
        evidence_template="kpis/signals/_condition_evidence.html",
    )
)
