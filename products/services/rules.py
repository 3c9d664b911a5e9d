"""Lifecycle rules: writing them, and evaluating them against products."""

import contextlib
import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from pmflow.celery import enqueue_on_commit
from pmflow.errors import InvalidInput, NotFound
from products import events, lifecycle
from products.models import LifecycleRule, Portfolio, Product, Stage, StageTransition
from products.services.stages import StaleStage, product_transition
from products.services.suggestions import suggestion_create, suggestion_reason, suggestions_stale_expire

log = logging.getLogger(__name__)

RULE_FIELDS = ("name", "from_stage", "to_stage", "condition_type", "params", "mode", "is_active")


def lifecycle_rule_clean(*, condition_type: str, params: dict, from_stage: str, to_stage: str) -> dict:
    """Validate a rule's condition and stages; return normalised params or raise InvalidInput."""
    kind = lifecycle.condition_types.get(condition_type)
    if kind is None:
        known = ", ".join(sorted(lifecycle.condition_types)) or "none registered"
        raise InvalidInput(fields={"condition_type": f"Unknown condition type “{condition_type}” ({known})."})
    for field, stage in (("from_stage", from_stage), ("to_stage", to_stage)):
        if stage not in Stage.values:
            raise InvalidInput(fields={field: f"Unknown stage “{stage}”."})
    if from_stage == to_stage:
        raise InvalidInput(fields={"to_stage": "A rule must move the product to another stage."})
    if not isinstance(params, dict):
        raise InvalidInput(fields={"params": "Expected an object."})
    return kind.clean(params)


def lifecycle_rule_save(
    *, portfolio: Portfolio | None = None, rule: LifecycleRule | None = None, actor=None, **fields
) -> LifecycleRule:
    """Create a rule in `portfolio` or change `rule`; it is evaluated at once after commit.

    Raises InvalidInput for an unknown condition type, bad params, equal stages or a taken name.
    """
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"not rule fields: {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"] or len(fields["name"]) > 200:
            raise InvalidInput(fields={"name": "Give the rule a name of at most 200 characters."})
    if "mode" in fields and fields["mode"] not in LifecycleRule.Mode.values:
        raise InvalidInput(fields={"mode": f"Unknown mode “{fields['mode']}”."})
    merged = {
        name: fields.get(name, getattr(rule, name, None))
        for name in ("condition_type", "params", "from_stage", "to_stage")
    }
    fields["params"] = lifecycle_rule_clean(**{**merged, "params": merged["params"] or {}})
    try:
        with transaction.atomic():
            if rule is None:
                rule = LifecycleRule.objects.create(portfolio=portfolio, created_by=actor, **fields)
                events.record(
                    portfolio_id=rule.portfolio_id,
                    actor=actor,
                    verb="lifecycle_rule.created",
                    obj=rule,
                    data={"description": describe(rule)},
                )
            else:
                rule = LifecycleRule.objects.select_for_update().get(pk=rule.pk)
                events.save_changes(
                    rule,
                    fields,
                    portfolio_id=rule.portfolio_id,
                    actor=actor,
                    verb="lifecycle_rule.updated",
                    data=lambda changed: {"description": describe(changed)},
                )
            lifecycle_rule_enqueue(rule_id=rule.id)
    except IntegrityError as exc:
        raise InvalidInput(fields={"name": "A rule with this name exists in the portfolio."}) from exc
    return rule


def lifecycle_rule_delete(*, rule_id: int, actor=None) -> None:
    """Delete a rule; the moves it made stay in the ledger (they keep its name as their reason)."""
    with transaction.atomic():
        rule = LifecycleRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound()
        events.record(
            portfolio_id=rule.portfolio_id,
            actor=actor,
            verb="lifecycle_rule.deleted",
            obj=rule,
            data={"description": describe(rule)},
        )
        rule.delete()


def describe(rule: LifecycleRule) -> str:
    """The rule in plain words: “Launch → Growth when weekly active users stay above 1,500 for 3 weeks”."""
    kind = lifecycle.condition_types.get(rule.condition_type)
    condition = kind.describe(rule.params) if kind else f"an unknown condition ({rule.condition_type})"
    return f"{Stage(rule.from_stage).label} → {Stage(rule.to_stage).label} when {condition}"


def lifecycle_rules_evaluate(*, product_id: int, today: date | None = None) -> StageTransition | None:
    """Evaluate the active rules whose from-stage is the product's stage. Returns the move made, or None.

    `auto` rules first, in id order: the first that holds moves the product (actor None, the rule's name
    as the reason, what fired it as the evidence) and nothing else is evaluated. Otherwise every `suggest`
    rule that holds suggests its move (products.services.suggestions.suggestion_create). A rule fires at
    most once per stay in its from-stage: a move is made under the product's row lock with the stage it
    was evaluated in expected, and a rule that already moved the product in this stay is skipped; a
    suggestion is written once per rule, stay and evidence. Several workers at once give one move or one
    suggestion.
    """
    return lifecycle_rules_run(product_id=product_id, today=today)["move"]


def lifecycle_rules_run(*, product_id: int, today: date | None = None) -> dict:
    """`lifecycle_rules_evaluate`, telling what it did: {"move": transition or None, "suggestions": [...]}."""
    outcome = {"move": None, "suggestions": []}
    product = Product.objects.select_related("portfolio").filter(pk=product_id).first()
    if product is None:
        return outcome
    today = today or timezone.now().astimezone(product.portfolio.zone).date()
    rules = list(
        LifecycleRule.objects.filter(
            portfolio_id=product.portfolio_id, from_stage=product.stage, is_active=True
        ).order_by("id")
    )
    for rule in sorted(rules, key=lambda r: (r.mode != LifecycleRule.Mode.AUTO, r.id)):
        kind = lifecycle.condition_types.get(rule.condition_type)
        if kind is None:
            log.warning("rule %s has unknown condition type %s", rule.id, rule.condition_type)
            continue
        if StageTransition.objects.filter(product=product, rule=rule, at__gte=product.stage_changed_at).exists():
            continue
        evidence = kind.evaluate(rule, product, today)
        if evidence is None:
            continue
        description = kind.describe(rule.params)
        evidence = {"rule": rule.name, "condition": description, "condition_type": kind.key, **evidence}
        if rule.mode == LifecycleRule.Mode.SUGGEST:
            suggestion = suggestion_create(
                rule=rule,
                product_id=product.id,
                stay_started_at=product.stage_changed_at,
                evidence=evidence,
                reason=suggestion_reason(rule, describe(rule)),
            )
            if suggestion is not None:
                outcome["suggestions"].append(suggestion)
            continue
        # StaleStage: someone else moved it meanwhile; the next evaluation sees the new stage.
        with contextlib.suppress(StaleStage):
            outcome["move"] = product_transition(
                product_id=product.id,
                to_stage=rule.to_stage,
                reason=rule.name,
                actor=None,
                rule=rule,
                expected_stage=rule.from_stage,
                evidence=evidence,
            )
        return outcome
    return outcome


def lifecycle_rule_products_evaluate(*, rule_id: int) -> int:
    """Evaluate a new or changed rule at once for the products it could move or suggest moving (with the
    other rules of their stage: an auto rule goes first). Returns moves made."""
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

    # Lost if the broker is down: then the periodic evaluation (RULES_EVALUATE_SECONDS) runs it.
    enqueue_on_commit(lifecycle_rule_evaluate, rule_id)


def lifecycle_rules_evaluate_products(*, product_ids: list[int]) -> int:
    """Evaluate the rules of several products (their KPIs changed together), skipping in one query the
    products whose stage no active rule starts from. Returns moves made."""
    candidates = Product.objects.filter(
        pk__in=product_ids,
        portfolio__lifecycle_rules__is_active=True,
        portfolio__lifecycle_rules__from_stage=F("stage"),
    )
    return sum(
        lifecycle_rules_evaluate(product_id=product_id) is not None
        for product_id in candidates.order_by("id").values_list("id", flat=True).distinct()
    )


def lifecycle_rules_evaluate_all(*, today: date | None = None) -> int:
    """The periodic sweep: expire pending suggestions whose product has left their stay (defensive: a
    move expires them), then evaluate rules for every product in a stage some active rule starts from.
    Returns moves made."""
    suggestions_stale_expire()
    moved = 0
    pairs = LifecycleRule.objects.filter(is_active=True).values_list("portfolio_id", "from_stage").distinct()
    for portfolio_id, stage in pairs:
        for product_id in Product.objects.filter(portfolio_id=portfolio_id, stage=stage).values_list("id", flat=True):
            moved += lifecycle_rules_evaluate(product_id=product_id, today=today) is not None
    return moved
