"""Every write to portfolios, products, stages and lifecycle rules that has a rule goes through here."""

import logging
from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from pmflow.errors import Conflict, InvalidInput, NotFound
from products import lifecycle
from products.models import (
    LifecycleRule,
    Membership,
    Portfolio,
    Product,
    ProductLine,
    Role,
    Stage,
    StageTransition,
)

log = logging.getLogger(__name__)


class StaleStage(Conflict):
    """The product's stage changed since you looked at it."""

    code = "stale_stage"


class GateNotMet(Conflict):
    """The stage gate is not met: give an override reason or meet the criteria."""

    code = "gate_not_met"


# --- portfolios and members ----------------------------------------------------------------------


def portfolio_create(*, name: str, timezone_name: str = "UTC", creator) -> Portfolio:
    """Create a portfolio; its creator becomes its admin."""
    with transaction.atomic():
        portfolio = Portfolio.objects.create(name=name, timezone=timezone_name)
        Membership.objects.create(portfolio=portfolio, user=creator, role=Role.ADMIN)
    return portfolio


def membership_set(*, portfolio: Portfolio, username: str, role: str) -> Membership:
    """Add a user to the portfolio or change their role.

    Raises InvalidInput for an unknown user or role, and Conflict when it would leave no admin.
    """
    if role not in Role.values:
        raise InvalidInput(fields={"role": f"Unknown role “{role}”; use one of {', '.join(Role.values)}."})
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InvalidInput(fields={"username": f"No user named “{username}”."})
    with transaction.atomic():
        Portfolio.objects.select_for_update().get(pk=portfolio.pk)
        membership, _ = Membership.objects.update_or_create(portfolio=portfolio, user=user, defaults={"role": role})
        if not portfolio.memberships.filter(role=Role.ADMIN).exists():
            raise Conflict("A portfolio needs at least one admin.")
    return membership


# --- products and the stage ledger -------------------------------------------------------------------


def product_create(
    *,
    portfolio: Portfolio,
    name: str,
    description: str = "",
    product_line: ProductLine | None = None,
    stage: str = Stage.IDEATION,
    actor=None,
    at=None,
) -> Product:
    """Create a product and the ledger row that puts it in its first stage."""
    if product_line is not None and product_line.portfolio_id != portfolio.id:
        raise InvalidInput(fields={"product_line": "The product line belongs to another portfolio."})
    if stage not in Stage.values:
        raise InvalidInput(fields={"stage": f"Unknown stage “{stage}”."})
    now = at or timezone.now()
    try:
        with transaction.atomic():
            product = Product.objects.create(
                portfolio=portfolio,
                product_line=product_line,
                name=name,
                description=description,
                stage=stage,
                stage_changed_at=now,
            )
            StageTransition.objects.create(
                product=product, from_stage="", to_stage=stage, at=now, actor=actor, reason="Product created"
            )
    except IntegrityError as exc:
        raise InvalidInput(fields={"name": "A product with this name exists in the portfolio."}) from exc
    return product


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
) -> StageTransition:
    """Move a product to `to_stage` and record why: the only way a stage changes.

    Locks the product row, so of two concurrent moves exactly one wins. Raises InvalidInput for an
    unknown or unchanged stage or an empty reason, StaleStage when `expected_stage` is given and no
    longer current, GateNotMet (with `unmet`) when a person moves without meeting the gate and without
    `override`. System moves (actor None, with a rule) are not gated: the rule is the evidence.
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
        unmet = lifecycle.gate_unmet(product, to_stage) if actor is not None else []
        if unmet and not override:
            raise GateNotMet(unmet=unmet)
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
    log.info("product %s moved %s → %s (%s)", product_id, move.from_stage, to_stage, reason)
    return move


# --- lifecycle rules ---------------------------------------------------------------------------------


def lifecycle_rule_clean(*, condition_type: str, params: dict, from_stage: str, to_stage: str) -> dict:
    """Validate a rule's condition and stages; return normalised params or raise InvalidInput."""
    kind = lifecycle.condition_types.get(condition_type)
    if kind is None:
        known = ", ".join(sorted(lifecycle.condition_types)) or "none registered"
        raise InvalidInput(fields={"condition_type": f"Unknown condition type “{condition_type}” ({known})."})
    if from_stage == to_stage:
        raise InvalidInput(fields={"to_stage": "A rule must move the product to another stage."})
    if not isinstance(params, dict):
        raise InvalidInput(fields={"params": "Expected an object."})
    return kind.clean(params)


def lifecycle_rules_evaluate(*, product_id: int, today: date | None = None) -> StageTransition | None:
    """Evaluate the active auto rules whose from-stage is the product's stage; fire the first that holds.

    A rule fires at most once per stay in its from-stage: the firing moves the product out of it under
    the product's row lock, and a rule that already fired during the current stay is skipped.
    Returns the transition written, or None.
    """
    product = Product.objects.select_related("portfolio").filter(pk=product_id).first()
    if product is None:
        return None
    today = today or timezone.now().astimezone(product.portfolio.zone).date()
    rules = LifecycleRule.objects.filter(
        portfolio_id=product.portfolio_id,
        from_stage=product.stage,
        is_active=True,
        mode=LifecycleRule.Mode.AUTO,
    ).order_by("id")
    for rule in rules:
        kind = lifecycle.condition_types.get(rule.condition_type)
        if kind is None:
            log.warning("rule %s has unknown condition type %s", rule.id, rule.condition_type)
            continue
        if StageTransition.objects.filter(product=product, rule=rule, at__gte=product.stage_changed_at).exists():
            continue
        evidence = kind.evaluate(rule, product, today)
        if evidence is None:
            continue
        evidence = {"rule": rule.name, "condition": kind.describe(rule.params), **evidence}
        try:
            return product_transition(
                product_id=product.id,
                to_stage=rule.to_stage,
                reason=rule.name,
                actor=None,
                rule=rule,
                expected_stage=rule.from_stage,
                evidence=evidence,
            )
        except StaleStage:
            return None  # someone else moved it meanwhile; the next evaluation sees the new stage
    return None


def lifecycle_rule_products_evaluate(*, rule_id: int) -> int:
    """Evaluate a new or changed rule at once for the products it could move. Returns moves made."""
    rule = LifecycleRule.objects.filter(pk=rule_id, is_active=True).first()
    if rule is None:
        return 0
    products = Product.objects.filter(portfolio_id=rule.portfolio_id, stage=rule.from_stage).values_list(
        "id", flat=True
    )
    return sum(lifecycle_rules_evaluate(product_id=product_id) is not None for product_id in products)


def lifecycle_rule_enqueue(*, rule_id: int) -> None:
    """After the current transaction commits, evaluate the rule (so a new rule need not wait for beat)."""
    from products.tasks import lifecycle_rule_evaluate

    transaction.on_commit(lambda: lifecycle_rule_evaluate.delay(rule_id))


def lifecycle_rules_evaluate_all(*, today: date | None = None) -> int:
    """Evaluate rules for every product in a stage some active rule starts from. Returns moves made."""
    moved = 0
    pairs = LifecycleRule.objects.filter(is_active=True).values_list("portfolio_id", "from_stage").distinct()
    for portfolio_id, stage in pairs:
        for product_id in Product.objects.filter(portfolio_id=portfolio_id, stage=stage).values_list("id", flat=True):
            moved += lifecycle_rules_evaluate(product_id=product_id, today=today) is not None
    return moved
