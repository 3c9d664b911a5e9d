"""The lifecycle rule engine's registry of rule condition types (stage gates: products.gates).

`products` is the base app; apps to its right (roadmap, gtm, kpis) plug their facts in from their
`AppConfig.ready()`, so this module never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

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
