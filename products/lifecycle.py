"""The lifecycle rule engine's registry of rule condition types (stage gates: products.gates).

`products` is the base app; apps to its right (roadmap, gtm, kpis) plug their facts in from their
`AppConfig.ready()`, so this module never imports them.
"""

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms

from pmflow.errors import InvalidInput
from products.models import LifecycleRule, Product

# Stage gates (what a person's move must meet) live in products.gates, per portfolio.


# --- Rule condition types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionType:
    """A kind of evidence that can move a product.

    `clean(params)` returns normalised params or raises `InvalidInput` with field messages;
    `evaluate(rule, product, today)` returns the evidence (JSON a person can read) when the condition
    holds, else None; `describe(params)` says it in one sentence. For the rule form on the pages,
    `params_form(portfolio=…, initial=params)` is a Django form class whose fields are the params, and
    `params_from_form(cleaned)` turns its cleaned values into `params`; `evidence_template` renders the
    evidence of a move the condition made (with `move` and `evidence` in its context).
    """

    key: str
    label: str
    clean: Callable[[dict], dict]
    evaluate: Callable[[LifecycleRule, Product, date], dict | None]
    describe: Callable[[dict], str]
    params_form: Any = None
    params_from_form: Callable[[dict], dict] = dict
    evidence_template: str = ""


condition_types: dict[str, ConditionType] = {}


def register_condition_type(condition_type: ConditionType) -> None:
    condition_types[condition_type.key] = condition_type


# --- Composite conditions: all_of / any_of -----------------------------------------------------------
#
# `params.conditions` is a list of 1-10 parts `{"condition_type", "params"}`, each cleaned through the
# registry (a composite part recursively, at most MAX_NESTING composites deep). Errors name the field
# path, e.g. `params.conditions[1].params.key`, so the API and the form point at the part that is wrong.

COMPOSITES = ("all_of", "any_of")
MAX_PARTS = 10
MAX_NESTING = 3
FORM_PARTS = 4  # parts the rule form offers; the API takes up to MAX_PARTS


def _clean_composite(params: dict, depth: int) -> dict:
    if not isinstance(params, dict):
        raise InvalidInput(fields={"params": "Expected an object with “conditions”."})
    unknown = set(params) - {"conditions"}
    if unknown:
        raise InvalidInput(fields={"params": f"Unknown parameters: {', '.join(sorted(map(str, unknown)))}."})
    parts = params.get("conditions")
    if not isinstance(parts, list) or not 1 <= len(parts) <= MAX_PARTS:
        raise InvalidInput(
            fields={"params.conditions": f"A list of 1 to {MAX_PARTS} conditions, each {{condition_type, params}}."}
        )
    errors, cleaned = {}, []
    for index, part in enumerate(parts):
        path = f"params.conditions[{index}]"
        if not isinstance(part, dict) or set(part) - {"condition_type", "params"}:
            errors[path] = "Expected an object with “condition_type” and “params” only."
            continue
        condition_type, part_params = part.get("condition_type"), part.get("params", {})
        kind = condition_types.get(condition_type) if isinstance(condition_type, str) else None
        if kind is None:
            known = ", ".join(sorted(condition_types))
            errors[f"{path}.condition_type"] = f"Unknown condition type “{condition_type}” ({known})."
            continue
        if not isinstance(part_params, dict):
            errors[f"{path}.params"] = "Expected an object."
            continue
        if condition_type in COMPOSITES and depth >= MAX_NESTING:
            errors[f"{path}.condition_type"] = f"Nest all_of and any_of at most {MAX_NESTING} levels deep."
            continue
        try:
            if condition_type in COMPOSITES:
                part_params = _clean_composite(part_params, depth + 1)
            else:
                part_params = kind.clean(part_params)
        except InvalidInput as exc:
            for field, message in exc.fields.items():
                errors[f"{path}.{field}"] = message
            continue
        cleaned.append({"condition_type": condition_type, "params": part_params})
    if errors:
        raise InvalidInput(fields=errors)
    return {"conditions": cleaned}


def clean_composite(params: dict) -> dict:
    return _clean_composite(params, 1)


def _part_rule(rule: LifecycleRule, part: dict) -> LifecycleRule:
    """The rule as its part sees it: the part's type and params (a condition reads `rule.params`)."""
    part_rule = copy.copy(rule)
    part_rule.condition_type, part_rule.params = part["condition_type"], part["params"]
    return part_rule


def _part_evidence(rule: LifecycleRule, part: dict, product: Product, today: date) -> dict | None:
    kind = condition_types.get(part["condition_type"])
    if kind is None:
        return None  # a type whose app is gone: the part cannot hold
    evidence = kind.evaluate(_part_rule(rule, part), product, today)
    if evidence is None:
        return None
    return {"condition_type": kind.key, "condition": kind.describe(part["params"]), **evidence}


def evaluate_all_of(rule: LifecycleRule, product: Product, today: date) -> dict | None:
    """Every part's evidence when every part holds (stops at the first that does not)."""
    parts = []
    for part in rule.params["conditions"]:
        evidence = _part_evidence(rule, part, product, today)
        if evidence is None:
            return None
        parts.append(evidence)
    return {"parts": parts}


def evaluate_any_of(rule: LifecycleRule, product: Product, today: date) -> dict | None:
    """The evidence of every part that holds, when at least one does: the person reading a move or a
    suggestion sees all the reasons there are, not just the first one checked."""
    parts = [evidence for part in rule.params["conditions"] if (evidence := _part_evidence(rule, part, product, today))]
    return {"parts": parts} if parts else None


def describe_part(part: dict) -> str:
    kind = condition_types.get(part["condition_type"])
    if kind is None:
        return f"an unknown condition ({part['condition_type']})"
    text = kind.describe(part["params"])
    return f"({text})" if part["condition_type"] in COMPOSITES and len(part["params"]["conditions"]) > 1 else text


def describe_all_of(params: dict) -> str:
    """“A and B and C”: nested composites in parentheses."""
    return " and ".join(describe_part(part) for part in params["conditions"])


def describe_any_of(params: dict) -> str:
    """“A or B”: nested composites in parentheses."""
    return " or ".join(describe_part(part) for part in params["conditions"])


def simple_condition_types() -> list[ConditionType]:
    """The registered types that are not composites, by label: what a part of a composite may be."""
    return sorted((kind for key, kind in condition_types.items() if key not in COMPOSITES), key=lambda k: k.label)


class CompositeParamsForm(forms.Form):
    """Up to FORM_PARTS parts, each a type select (`part<N>-condition_type`) and that type's own fields
    prefixed `part<N>-`. Which fields a part shows follows its type in the submitted data (the rule form
    re-renders on a change, without JavaScript too); a nested all_of/any_of part (written through the
    API) is kept as it is, in a hidden field, unless its type is changed."""

    def __init__(self, data=None, *args, portfolio=None, initial=None, **kwargs):
        super().__init__(data, *args, initial=None, **kwargs)
        parts = (initial or {}).get("conditions") or []
        self.part_fields: list[tuple[int, list[str]]] = []
        simple = simple_condition_types()
        datalist_given = False
        for number in range(1, FORM_PARTS + 1):
            prefix = f"part{number}-"
            part = parts[number - 1] if number <= len(parts) and isinstance(parts[number - 1], dict) else {}
            choices = [("", "— none —"), *((kind.key, kind.label) for kind in simple)]
            nested = part.get("condition_type") in COMPOSITES
            if nested:
                choices.append((part["condition_type"], f"As it is: {describe_part(part)}"))
            self.fields[f"{prefix}condition_type"] = forms.ChoiceField(
                choices=choices, required=False, label=f"Condition {number}"
            )
            self.initial[f"{prefix}condition_type"] = part.get("condition_type", "")
            chosen = (data or {}).get(f"{prefix}condition_type") if data is not None else part.get("condition_type")
            names = []
            if chosen in COMPOSITES and nested:
                self.fields[f"{prefix}nested"] = forms.CharField(widget=forms.HiddenInput, required=False)
                self.initial[f"{prefix}nested"] = json.dumps(part["params"])
                names.append("nested")
            elif (kind := condition_types.get(chosen)) is not None and kind.params_form is not None:
                same_type = part.get("condition_type") == chosen
                part_form = kind.params_form(portfolio=portfolio, initial=part.get("params", {}) if same_type else {})
                for name, field in part_form.fields.items():
                    if getattr(field, "datalist", None) is not None:
                        if datalist_given:  # one <datalist id="kpi-keys"> on the page; the others point at it
                            del field.datalist
                        datalist_given = True
                    self.fields[prefix + name] = field
                    if name in part_form.initial:
                        self.initial[prefix + name] = part_form.initial[name]
                    names.append(name)
            self.part_fields.append((number, names))


def composite_params_from_form(cleaned: dict) -> dict:
    """The parts chosen on the form, in order, as `params`; a part's own errors name its form number
    (`params.conditions[<number − 1>]…`), whichever parts were left empty before it."""
    errors, conditions = {}, []
    for number in range(1, FORM_PARTS + 1):
        prefix = f"part{number}-"
        chosen = cleaned.get(f"{prefix}condition_type")
        if not chosen:
            continue
        path = f"params.conditions[{number - 1}]"
        try:
            if chosen in COMPOSITES:
                nested = json.loads(cleaned.get(f"{prefix}nested") or "null")
                params = _clean_composite(nested, 2)
            else:
                kind = condition_types[chosen]
                names = list(kind.params_form().fields) if kind.params_form is not None else []
                values = {name: cleaned.get(prefix + name) for name in names}
                params = kind.params_from_form(values)
        except InvalidInput as exc:
            errors.update({f"{path}.{field}": message for field, message in exc.fields.items()})
            continue
        except (KeyError, ValueError):
            errors[f"{path}.condition_type"] = "Choose this condition again: its details were not understood."
            continue
        conditions.append({"condition_type": chosen, "params": params})
    if errors:
        raise InvalidInput(fields=errors)
    if not conditions:
        raise InvalidInput(fields={"params.conditions": "Choose at least one condition."})
    return clean_composite({"conditions": conditions})


register_condition_type(
    ConditionType(
        key="all_of",
        label="All of several conditions hold",
        clean=clean_composite,
        evaluate=evaluate_all_of,
        describe=describe_all_of,
        params_form=CompositeParamsForm,
        params_from_form=composite_params_from_form,
        evidence_template="products/_composite_evidence.html",
    )
)
register_condition_type(
    ConditionType(
        key="any_of",
        label="Any one of several conditions holds",
        clean=clean_composite,
        evaluate=evaluate_any_of,
        describe=describe_any_of,
        params_form=CompositeParamsForm,
        params_from_form=composite_params_from_form,
        evidence_template="products/_composite_evidence.html",
    )
)
