"""Stage gates: the exit criteria a person's move must meet, per portfolio and stage.

A gate belongs to the stage being left (`StageGate(portfolio, stage, criteria=[{"type", "params"}])`).
The criterion types are a registry: each app registers the types whose facts it owns from its
`AppConfig.ready()` (products: description, market insight, goal, one stage at a time; roadmap: roadmap
items, a shipped release; gtm: a launch plan at readiness 100; kpis: a KPI with a target), so this module
never imports the apps to its right.

Which gates a move must pass:
- a move forward passes the gate of the stage it leaves and of every stage it skips (skipping a stage
  does not skip its gate);
- retiring a product passes the Decline gate (the retirement gate), from whatever stage: ending a
  product early does not need the exit criteria of the stages it will never reach;
- a move back passes only the criteria about the move itself (`one_stage_forward`, which asks for an
  override reason): exit criteria are about moving on.
A stage without a row has `DEFAULT_CRITERIA` (they behave like the fixed gates pmflow had before gates
were per portfolio); a row with `[]` is an open gate. Rule moves and accepted suggestions are not gated:
`products.services.stages.product_transition` decides that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pmflow.errors import InvalidInput
from products.models import Product, Stage, StageGate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CriterionParam:
    """A whole-number parameter of a criterion type (`has_roadmap_items`' `min`)."""

    name: str
    label: str
    default: int
    minimum: int
    maximum: int
    help_text: str = ""


@dataclass(frozen=True)
class CriterionType:
    """A kind of exit criterion.

    `check(product, params, to_stage)` returns the unmet criterion in words (“The product has no
    description of the problem it solves.”), or None when it is met; it may remember a fact on the product
    instance with `fact()` so a page that previews every stage asks the database once. `describe(params)`
    says what the criterion asks in plain words (“At least 3 roadmap items”). `about_the_move`: the
    criterion judges the move itself (its direction), not the product, so it applies to moves back too.
    """

    key: str
    label: str
    check: Callable[[Product, dict, str], str | None]
    describe: Callable[[dict], str] | None = None
    params: tuple[CriterionParam, ...] = ()
    order: int = 50
    about_the_move: bool = False
    help_text: str = ""

    def words(self, params: dict) -> str:
        return self.describe(params) if self.describe else self.label


criterion_types: dict[str, CriterionType] = {}


def register_criterion_type(kind: CriterionType) -> None:
    criterion_types[kind.key] = kind


def ordered_types() -> list[CriterionType]:
    return sorted(criterion_types.values(), key=lambda kind: (kind.order, kind.key))


def fact(product: Product, name: str, compute: Callable[[], Any]) -> Any:
    """`compute()` once per product instance: a page previewing every stage asks each question once (the
    transition service checks a freshly locked instance, so a move never sees a stale answer)."""
    facts = product.__dict__.setdefault("_gate_facts", {})
    if name not in facts:
        facts[name] = compute()
    return facts[name]


# --- the default gate set ---------------------------------------------------------------------------

ONE_STAGE_FORWARD = {"type": "one_stage_forward", "params": {}}
DESCRIBED = {"type": "has_description", "params": {}}
MEASURED = {"type": "kpi_with_target", "params": {}}

# Like the fixed gates before them: one stage at a time, forward; described before Planning and later;
# a KPI with a target before Launch and later, but not to retire.
DEFAULT_CRITERIA: dict[str, list[dict]] = {
    Stage.IDEATION: [ONE_STAGE_FORWARD],
    Stage.RESEARCH: [ONE_STAGE_FORWARD, DESCRIBED],
    Stage.PLANNING: [ONE_STAGE_FORWARD, DESCRIBED],
    Stage.DEVELOPMENT: [ONE_STAGE_FORWARD, DESCRIBED, MEASURED],
    Stage.LAUNCH: [ONE_STAGE_FORWARD, DESCRIBED, MEASURED],
    Stage.GROWTH: [ONE_STAGE_FORWARD, DESCRIBED, MEASURED],
    Stage.MATURITY: [ONE_STAGE_FORWARD, DESCRIBED, MEASURED],
    Stage.DECLINE: [ONE_STAGE_FORWARD, DESCRIBED],
    Stage.RETIRED: [ONE_STAGE_FORWARD],
}


def default_criteria(stage: str) -> list[dict]:
    """A copy of the stage's default criteria (callers may change it)."""
    return [{"type": c["type"], "params": dict(c["params"])} for c in DEFAULT_CRITERIA.get(stage, [])]


# --- checking what a gate's criteria are ------------------------------------------------------------

MAX_CRITERIA = 50


def _params_clean(kind: CriterionType, params, where: str) -> tuple[dict, list[str]]:
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return {}, [f"{where}.params: an object, e.g. {{}}."]
    errors, clean = [], {}
    known = {p.name: p for p in kind.params}
    for name in params:
        if name not in known:
            takes = ", ".join(sorted(known)) or "no parameters"
            shown = name if isinstance(name, str) and len(name) <= 40 else "…"
            errors.append(f"{where}.params.{shown}: {kind.key} takes {takes}.")
    for spec in kind.params:
        value = params.get(spec.name, spec.default)
        if isinstance(value, bool) or not isinstance(value, int) or not spec.minimum <= value <= spec.maximum:
            errors.append(f"{where}.params.{spec.name}: a whole number from {spec.minimum:,} to {spec.maximum:,}.")
            continue
        clean[spec.name] = value
    return clean, errors


def criteria_clean(criteria) -> list[dict]:
    """A gate's criteria, checked and normalised: `[{"type", "params"}]` in the registry's order, each
    type once, params complete (defaults filled in). Raises InvalidInput on `criteria` with one message
    per problem, each naming its path (`criteria[1].params.min: …`)."""
    if not isinstance(criteria, list):
        raise InvalidInput(fields={"criteria": 'A list of criteria, e.g. [{"type": "has_description"}].'})
    if len(criteria) > MAX_CRITERIA:
        raise InvalidInput(fields={"criteria": f"At most {MAX_CRITERIA} criteria."})
    errors, seen, clean = [], {}, []
    for index, criterion in enumerate(criteria):
        where = f"criteria[{index}]"
        if not isinstance(criterion, dict):
            errors.append(f'{where}: an object such as {{"type": "has_description", "params": {{}}}}.')
            continue
        extra = sorted(str(k)[:40] for k in criterion if k not in ("type", "params"))
        if extra:
            errors.append(f"{where}: unknown field(s) {', '.join(extra)}: give type and params.")
        key = criterion.get("type")
        kind = criterion_types.get(key) if isinstance(key, str) else None
        if kind is None:
            known = ", ".join(kind.key for kind in ordered_types())
            shown = f"“{key}”" if isinstance(key, str) and len(key) <= 40 else "missing or not a name"
            errors.append(f"{where}.type: unknown criterion type {shown}; known: {known}.")
            continue
        if key in seen:
            errors.append(f"{where}.type: {key} is criteria[{seen[key]}] already: each type once per gate.")
            continue
        seen[key] = index
        params, problems = _params_clean(kind, criterion.get("params"), where)
        errors.extend(problems)
        clean.append({"type": key, "params": params})
    if errors:
        raise InvalidInput(fields={"criteria": errors})
    rank = {kind.key: n for n, kind in enumerate(ordered_types())}
    return sorted(clean, key=lambda c: rank[c["type"]])


def describe_criteria(criteria: list[dict]) -> list[dict]:
    """`[{"type", "label", "description"}]`: what each criterion asks, in plain words."""
    described = []
    for criterion in criteria:
        kind = criterion_types.get(criterion.get("type"))
        if kind is None:
            described.append(
                {"type": criterion.get("type"), "label": criterion.get("type"), "description": "An unknown criterion"}
            )
            continue
        described.append(
            {"type": kind.key, "label": kind.label, "description": kind.words(criterion.get("params") or {})}
        )
    return described


# --- evaluating gates ---------------------------------------------------------------------------------


def portfolio_gates(portfolio_id: int) -> dict[str, list[dict]]:
    """Every stage's criteria in the portfolio: its own rows, the defaults elsewhere (one query)."""
    stored = dict(StageGate.objects.filter(portfolio_id=portfolio_id).values_list("stage", "criteria"))
    return {stage: stored[stage] if stage in stored else default_criteria(stage) for stage in Stage.values}


def gates_passed(from_stage: str, to_stage: str) -> list[str]:
    """The stages whose gates a forward move passes (see the module's docstring); [] for a move back."""
    here, there = Stage.order(from_stage), Stage.order(to_stage)
    if there <= here:
        return []
    if to_stage == Stage.RETIRED:
        return [Stage.DECLINE]
    return Stage.values[here:there]


def _unmet(product: Product, to_stage: str, gates: dict[str, list[dict]]) -> list[dict]:
    forward = Stage.order(to_stage) > Stage.order(product.stage)
    criteria = []
    if forward:
        for stage in gates_passed(product.stage, to_stage):
            criteria.extend(gates.get(stage, []))
    else:
        criteria = [
            c
            for c in gates.get(product.stage, [])
            if (kind := criterion_types.get(c.get("type"))) is not None and kind.about_the_move
        ]
    unmet, said = [], set()
    for criterion in criteria:
        kind = criterion_types.get(criterion.get("type"))
        if kind is None:  # an app that registered it is gone: nothing a person could do about it
            log.warning("stage gate criterion %r is not registered; skipped", criterion.get("type"))
            continue
        message = kind.check(product, criterion.get("params") or {}, to_stage)
        if message and (kind.key, message) not in said:
            said.add((kind.key, message))
            unmet.append({"type": kind.key, "message": message})
    return unmet


def gate_unmet(product: Product, to_stage: str, *, gates: dict[str, list[dict]] | None = None) -> list[dict]:
    """The criteria a person's move of `product` to `to_stage` does not meet, `[{"type", "message"}]`
    (empty: the gate is open). `gates`: the portfolio's, when the caller has them already."""
    if gates is None:
        gates = portfolio_gates(product.portfolio_id)
    return _unmet(product, to_stage, gates)


def gate_preview(product: Product) -> dict[str, list[dict]]:
    """{stage: unmet criteria} for every other stage a person could pick, leaving out the open ones:
    shown before a move. One query for the gates, one per fact asked."""
    gates = portfolio_gates(product.portfolio_id)
    preview = {}
    for stage in Stage.values:
        if stage != product.stage and (unmet := _unmet(product, stage, gates)):
            preview[stage] = unmet
    return preview


def first_move_refused_for(product: Product, preview: dict[str, list[dict]], criterion_type: str) -> str | None:
    """The first stage ahead of `product` whose move `preview` (from `gate_preview`) refuses for want of
    `criterion_type`, e.g. the move a description is needed for; None when no gate asks for it."""
    ahead = Stage.values[Stage.order(product.stage) + 1 :]
    return next((s for s in ahead if any(u["type"] == criterion_type for u in preview.get(s, []))), None)


def unmet_messages(unmet) -> list[str]:
    """The messages of a recorded unmet list (older transitions recorded bare strings)."""
    return [item.get("message", "") if isinstance(item, dict) else str(item) for item in unmet or []]


# --- the criterion types products owns ------------------------------------------------------------


def _one_stage_forward(product: Product, params: dict, to_stage: str) -> str | None:
    here, there = Stage.order(product.stage), Stage.order(to_stage)
    if there < here:
        return f"Moves back from {Stage(product.stage).label} to {Stage(to_stage).label}."
    if there > here + 1:
        skipped = ", ".join(Stage(s).label for s in Stage.values[here + 1 : there])
        return f"Skips {skipped}: move one stage at a time."
    return None


def _has_description(product: Product, params: dict, to_stage: str) -> str | None:
    if not (product.description or "").strip():
        return "The product has no description of the problem it solves."
    return None


def _has_market_insight(product: Product, params: dict, to_stage: str) -> str | None:
    if not fact(product, "market_insight", lambda: product.market_insights.exists()):
        return "No market insight names the product: record what you learned about the market."
    return None


def _has_goal(product: Product, params: dict, to_stage: str) -> str | None:
    if not fact(product, "goal", lambda: product.goals.exists()):
        return "The product has no goal that says what it should achieve."
    return None


for _kind in (
    CriterionType(
        key="one_stage_forward",
        label="One stage at a time, forward",
        check=_one_stage_forward,
        describe=lambda params: "One stage at a time, forward",
        order=0,
        about_the_move=True,
        help_text="A move back, or past a stage, is refused unless overridden with a reason.",
    ),
    CriterionType(
        key="has_description",
        label="A description",
        check=_has_description,
        describe=lambda params: "The product describes the problem it solves",
        order=10,
    ),
    CriterionType(
        key="has_market_insight",
        label="A market insight",
        check=_has_market_insight,
        describe=lambda params: "A market insight names the product",
        order=20,
    ),
    CriterionType(
        key="has_goal",
        label="A goal",
        check=_has_goal,
        describe=lambda params: "The product has a goal",
        order=30,
    ),
):
    register_criterion_type(_kind)
