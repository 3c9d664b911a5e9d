"""Stage gates per portfolio: writing the exit criteria of each stage (issue 13).

`portfolio_create` calls `gates_default_create` in its transaction. Every change records a domain event
(`stage_gate.created` / `.updated` / `.deleted`, changes `{"criteria": [old, new]}` and, in `data`, the
stage and the criteria in plain words), so the gates page and the audit API show who changed what.
"""

from django.db import IntegrityError, transaction

from pmflow.errors import InvalidInput, NotFound
from products import events
from products.gates import criteria_clean, default_criteria, describe_criteria
from products.models import Portfolio, Stage, StageGate


def _words(criteria: list[dict]) -> list[str]:
    return [c["description"] for c in describe_criteria(criteria)]


def _data(gate: StageGate) -> dict:
    return {"stage": gate.stage, "criteria": _words(gate.criteria)}


def _stage_clean(stage) -> str:
    if stage not in Stage.values:
        raise InvalidInput(fields={"stage": f"Unknown stage “{str(stage)[:40]}”."})
    return stage


def taken_message(stage: str) -> str:
    return f"This portfolio has a gate for {Stage(stage).label} already: change that one."


def gates_default_create(*, portfolio: Portfolio, actor=None) -> list[StageGate]:
    """Create the default gate set in a new portfolio (a row per stage, so its admins see and edit
    what applies). Call inside the portfolio's creating transaction. Returns the gates made."""
    gates = StageGate.objects.bulk_create(
        [StageGate(portfolio=portfolio, stage=stage, criteria=default_criteria(stage)) for stage in Stage.values]
    )
    events.record_many(
        [
            {
                "portfolio_id": portfolio.id,
                "verb": "stage_gate.created",
                "obj": gate,
                "changes": {"criteria": [None, gate.criteria]},
                "data": {**_data(gate), "default": True},
            }
            for gate in gates
        ],
        actor=actor,
    )
    return gates


def stage_gate_save(
    *,
    actor,
    gate: StageGate | None = None,
    portfolio: Portfolio | None = None,
    stage: str | None = None,
    criteria=None,
) -> StageGate:
    """Create the gate of `stage` in `portfolio`, or change `gate` (its stage and/or criteria).

    `criteria` is `[{"type", "params"}]` (products.gates.criteria_clean: known types, each once, their
    params); `[]` opens the gate. Raises InvalidInput for an unknown stage, bad criteria or a stage that
    has a gate already (one per portfolio and stage), NotFound when `gate` is gone.
    """
    if gate is None and (portfolio is None or stage is None or criteria is None):
        raise TypeError("a new gate needs portfolio, stage and criteria")
    values = {}
    if stage is not None:
        values["stage"] = _stage_clean(stage)
    if criteria is not None:
        values["criteria"] = criteria_clean(criteria)
    try:
        with transaction.atomic():
            if gate is None:
                gate = StageGate.objects.create(portfolio=portfolio, **values)
                events.record(
                    portfolio_id=gate.portfolio_id,
                    actor=actor,
                    verb="stage_gate.created",
                    obj=gate,
                    changes={"criteria": [None, gate.criteria]},
                    data=_data(gate),
                )
                return gate
            gate = StageGate.objects.select_for_update().filter(pk=gate.pk).first()
            if gate is None:
                raise NotFound()
            before = _words(gate.criteria)
            events.save_changes(
                gate,
                values,
                portfolio_id=gate.portfolio_id,
                actor=actor,
                verb="stage_gate.updated",
                data=lambda changed: {**_data(changed), "criteria_before": before},
            )
    except IntegrityError as exc:
        raise InvalidInput(fields={"stage": taken_message(values.get("stage", getattr(gate, "stage", "")))}) from exc
    return gate


def stage_gate_set(*, portfolio: Portfolio, stage: str, criteria, actor) -> StageGate:
    """The gate of `stage` in `portfolio` becomes `criteria`, whether it has a row or not (the page's
    save): one row per stage, locked while it changes. Raises InvalidInput as `stage_gate_save`."""
    stage = _stage_clean(stage)
    clean = criteria_clean(criteria)
    with transaction.atomic():
        # Portfolio first (the house's lock order): two saves of a stage without a row wait, not collide.
        list(Portfolio.objects.select_for_update().filter(pk=portfolio.pk).values_list("pk"))
        gate = StageGate.objects.filter(portfolio=portfolio, stage=stage).first()
        if gate is None:
            return stage_gate_save(actor=actor, portfolio=portfolio, stage=stage, criteria=clean)
        return stage_gate_save(actor=actor, gate=gate, criteria=clean)


def stage_gate_reset(*, portfolio: Portfolio, stage: str, actor) -> StageGate:
    """The gate of `stage` goes back to the default criteria (recorded as a change like any other)."""
    return stage_gate_set(portfolio=portfolio, stage=stage, criteria=default_criteria(stage), actor=actor)


def stage_gate_delete(*, gate_id: int, actor) -> None:
    """Delete a gate row: its stage falls back to the default criteria. Raises NotFound."""
    with transaction.atomic():
        gate = StageGate.objects.select_for_update().filter(pk=gate_id).first()
        if gate is None:
            raise NotFound()
        events.record(
            portfolio_id=gate.portfolio_id,
            actor=actor,
            verb="stage_gate.deleted",
            obj=gate,
            changes={"criteria": [gate.criteria, None]},
            data={**_data(gate), "falls_back_to": _words(default_criteria(gate.stage))},
        )
        gate.delete()
