"""The lifecycle rule engine's two registries: stage gates and rule condition types.

`products` is the base app; apps to its right (roadmap, gtm, kpis) plug their facts in from their
`AppConfig.ready()`, so this module never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from products.models import LifecycleRule, Product, Stage

# --- Stage gates: what a person must satisfy to move a product into a stage ------------------------

GateCheck = Callable[[Product, str], str | None]
_gate_checks: list[tuple[str, GateCheck]] = []


def register_gate(name: str, check: GateCheck) -> None:
    """Add a check `check(product, to_stage)` returning an unmet criterion's text, or None."""
    if name not in {n for n, _ in _gate_checks}:
        _gate_checks.append((name, check))


def gate_unmet(product: Product, to_stage: str) -> list[str]:
    """The gate criteria a move of `product` to `to_stage` does not meet (empty: the gate is open)."""
    return [text for _, check in _gate_checks if (text := check(product, to_stage))]


def _one_step_forward(product: Product, to_stage: str) -> str | None:
    here, there = Stage.order(product.stage), Stage.order(to_stage)
    if there < here:
        return f"Moves back from {Stage(product.stage).label} to {Stage(to_stage).label}."
    if there > here + 1:
        skipped = ", ".join(Stage(s).label for s in Stage.values[here + 1 : there])
        return f"Skips {skipped}: move one stage at a time."
    return None


def _described(product: Product, to_stage: str) -> str | None:
    if Stage.order(to_stage) >= Stage.order(Stage.PLANNING) and not product.description.strip():
        return "The product has no description of the problem it solves."
    return None


register_gate("one_step_forward", _one_step_forward)
register_gate("described", _described)


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
