"""The stage ledger: the only way a product's stage changes."""

import logging

from django.db import transaction
from django.utils import timezone

from pmflow.errors import Conflict, InvalidInput, NotFound
from products import events, gates
from products.models import LifecycleRule, Product, Stage, StageSuggestion, StageTransition

log = logging.getLogger(__name__)


class StaleStage(Conflict):
    """The product's stage changed since you looked at it."""

    code = "stale_stage"


class GateNotMet(Conflict):
    """The stage gate is not met: give an override reason or meet the criteria."""

    code = "gate_not_met"


def product_transition(
    *,
    product_id: int,
    to_stage: str,
    reason: str,
    actor=None,
    expected_stage: str | None = None,
    override: bool = False,
    evidence: dict | None = None,
    rule: LifecycleRule | None = None,
    at=None,
    gated: bool = True,
) -> StageTransition:
    """Move a product to `to_stage` and record why: the only way a stage changes.

    Locks the product row, so of two concurrent moves exactly one wins. Raises InvalidInput for an
    unknown or unchanged stage or an empty reason, StaleStage when `expected_stage` is given and no
    longer current, GateNotMet (with `unmet`: `[{"type", "message"}]`) when a person moves without meeting
    the stage gate (products.gates) and without `override`; an overridden move records the unmet list in
    `unmet_criteria` and in its evidence (`evidence["unmet"]`). System moves (actor None, with a rule) are
    not gated: the rule is the evidence; `gated=False` says the same of a person's move that carries out
    a rule's (an accepted suggestion).
    """
    reason = (reason or "").strip()
    if to_stage not in Stage.values:
        raise InvalidInput(fields={"to_stage": f"Unknown stage “{to_stage}”."})
    if not reason:
        raise InvalidInput(fields={"reason": "Say why the product moves."})
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound()
        if expected_stage is not None and product.stage != expected_stage:
            raise StaleStage(
                f"The product moved to {Stage(product.stage).label} meanwhile.", current_stage=product.stage
            )
        if product.stage == to_stage:
            raise InvalidInput(fields={"to_stage": f"The product is already in {Stage(to_stage).label}."})
        unmet = gates.gate_unmet(product, to_stage) if gated and actor is not None else []
        if unmet and not override:
            raise GateNotMet(unmet=unmet)
        if unmet:
            evidence = {**(evidence or {}), "unmet": unmet}
        move = StageTransition.objects.create(
            product=product,
            from_stage=product.stage,
            to_stage=to_stage,
            at=at or timezone.now(),
            actor=actor,
            rule=rule,
            reason=reason,
            override=bool(unmet),
            unmet_criteria=unmet,
            evidence=evidence or {},
        )
        product.stage, product.stage_changed_at = to_stage, move.at
        product.save(update_fields=["stage", "stage_changed_at"])
        # Pending suggestions were about the stay that just ended (an accepted one is marked before the move).
        StageSuggestion.objects.filter(product=product, status=StageSuggestion.Status.PENDING).update(
            status=StageSuggestion.Status.EXPIRED, decided_at=move.at
        )
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="product.stage_changed",
            obj=product,
            changes={"stage": [move.from_stage, to_stage]},
            at=move.at,
            data={
                "transition": move.id,
                "reason": reason,
                "override": move.override,
                "rule": rule.id if rule else None,
            },
        )
    log.info("product %s moved %s → %s (%s)", product_id, move.from_stage, to_stage, reason)
    return move
