"""Stage suggestions: what a `suggest` rule proposes, and a product manager's decision on it.

- `suggestion_create` is called by the rule evaluation (products.services.rules) when a suggest rule
  holds: one pending suggestion per rule and product, never two for the same evidence in one stay in the
  stage (the unique constraints and the product's row lock; a concurrent insert that loses is "someone
  else did it", not an error). A dismissed suggestion stays away while the evidence is the same
  (`evidence_key`, a digest of what identifies it: the periods, the plan, the release; not the figures
  that late data refines nor the rule's wording).
- `suggestion_accept` carries out the rule's move for the accepting person (not gated: the rule is the
  evidence), with the suggestion named in the move's evidence; `suggestion_dismiss` needs a reason.
- A suggestion expires when its product leaves the stage (products.services.stages); the periodic sweep
  also expires any pending one whose product is no longer in that stay (`suggestions_stale_expire`).

Locks: product → suggestion, as every service that moves a product.
"""

import hashlib
import json
import logging

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from pmflow.errors import Conflict, InvalidInput, NotFound
from products import events
from products.models import LifecycleRule, Product, Stage, StageSuggestion, StageTransition
from products.services.stages import product_transition

log = logging.getLogger(__name__)

MAX_REASON = 2000

# Parts of the evidence that say how much, not which: late measurements refine a period's value and
# count, a plan's task counts and a release's item counts change, and the rule's name and wording can
# be edited; none of that is new evidence. What stays: the KPI, the periods, the plan, the release, the
# condition types, and any other fact a condition type reports.
VOLATILE = frozenset(
    {
        "rule",
        "condition",
        "value",
        "count",
        "change_pct",
        "target",
        "threshold_pct",
        "comparator",
        "items",
        "done",
        "tasks",
        "name",
        "unit",
        "title",
        "message",
        "updated_at",
    }
)


def evidence_identity(evidence):
    """What identifies the evidence: an object that has an `id` is that id; a period is its start;
    otherwise the parts that are not VOLATILE, recursively."""
    if isinstance(evidence, dict):
        if "id" in evidence:
            return {"id": evidence["id"]}
        if "period_start" in evidence:
            return {"period_start": evidence["period_start"]}
        return {key: evidence_identity(value) for key, value in evidence.items() if key not in VOLATILE}
    if isinstance(evidence, list | tuple):
        return [evidence_identity(value) for value in evidence]
    return evidence


def evidence_key(evidence: dict) -> str:
    """A stable digest of the evidence's identity: same evidence, same key (64 hex characters)."""
    canonical = json.dumps(evidence_identity(evidence), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def suggestion_reason(rule: LifecycleRule, description: str) -> str:
    """The rule's name and what it says in plain words."""
    return f"{rule.name}: {description}"


def _event_data(suggestion: StageSuggestion, product: Product, **extra) -> dict:
    return {
        "suggestion": suggestion.id,
        "product": product.id,
        "product_name": product.name,
        "rule": suggestion.rule_id,
        "rule_name": suggestion.rule.name if suggestion.rule_id else None,
        "from_stage": suggestion.from_stage,
        "to_stage": suggestion.to_stage,
        **extra,
    }


def suggestion_create(
    *, rule: LifecycleRule, product_id: int, stay_started_at, evidence: dict, reason: str
) -> StageSuggestion | None:
    """Suggest the rule's move for the product's current stay, unless it is suggested already.

    Under the product's row lock: nothing when the product has moved since it was evaluated (another
    stage or another stay), when a suggestion of this rule is pending (its evidence is brought up to date
    instead: a dismissal then covers what the person saw), or when one for the same evidence was
    already made in this stay (a dismissed one stays away). Records `stage_suggestion.created`.
    Returns the new suggestion, or None.
    """
    key = evidence_key(evidence)
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None or product.stage != rule.from_stage or product.stage_changed_at != stay_started_at:
            return None  # moved meanwhile: the next evaluation sees the new stay
        ours = StageSuggestion.objects.filter(product=product, rule=rule)
        # Defensive: a pending one of an earlier stay (every move expires them) is no longer about now.
        ours.filter(status=StageSuggestion.Status.PENDING).exclude(stay_started_at=stay_started_at).update(
            status=StageSuggestion.Status.EXPIRED, decided_at=timezone.now()
        )
        this_stay = ours.filter(stay_started_at=stay_started_at)
        pending = this_stay.filter(status=StageSuggestion.Status.PENDING).first()
        if pending is not None:
            _refresh(pending, evidence=evidence, key=key, reason=reason)
            return None
        if this_stay.filter(evidence_key=key).exists():
            return None  # decided for this evidence already (dismissed): it stays away
        try:
            with transaction.atomic():
                suggestion = StageSuggestion.objects.create(
                    product=product,
                    rule=rule,
                    from_stage=rule.from_stage,
                    to_stage=rule.to_stage,
                    reason=reason,
                    evidence=evidence,
                    evidence_key=key,
                    stay_started_at=stay_started_at,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            return None  # someone else wrote it meanwhile
        events.record(
            portfolio_id=product.portfolio_id,
            actor=None,
            verb="stage_suggestion.created",
            obj=suggestion,
            at=suggestion.created_at,
            data=_event_data(suggestion, product, reason=reason),
        )
    log.info("suggested %s → %s for product %s (rule %s)", rule.from_stage, rule.to_stage, product_id, rule.id)
    return suggestion


def _refresh(pending: StageSuggestion, *, evidence: dict, key: str, reason: str) -> None:
    """A pending suggestion shows the evidence as it is now (a period more, a value refined)."""
    if pending.evidence == evidence and pending.reason == reason:
        return
    try:
        with transaction.atomic():
            StageSuggestion.objects.filter(pk=pending.pk).update(evidence=evidence, evidence_key=key, reason=reason)
    except IntegrityError:
        pass  # the new evidence is one a person already dismissed in this stay: keep what they see


def _reason_clean(reason, *, required: bool) -> str:
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise InvalidInput(fields={"reason": "Expected a text."})
    reason = reason.strip()
    if required and not reason:
        raise InvalidInput(fields={"reason": "Say why you dismiss the suggestion: it stays in its history."})
    if len(reason) > MAX_REASON:
        raise InvalidInput(fields={"reason": f"At most {MAX_REASON:,} characters."})
    if "\x00" in reason:
        raise InvalidInput(fields={"reason": "Text without NUL characters."})
    try:
        reason.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(fields={"reason": "Text without lone surrogates."}) from exc
    return reason


def not_pending_message(suggestion: StageSuggestion) -> str:
    """Why a decided or expired suggestion cannot be decided again, in words."""
    who = suggestion.decided_by.get_username() if suggestion.decided_by_id else None
    when = suggestion.decided_at.date().isoformat() if suggestion.decided_at else None
    by = f" by {who}" if who else ""
    on = f" on {when}" if when else ""
    if suggestion.status == StageSuggestion.Status.ACCEPTED:
        return f"This suggestion was already accepted{by}{on}: the product moved."
    if suggestion.status == StageSuggestion.Status.DISMISSED:
        return f"This suggestion was dismissed{by}{on}."
    return f"This suggestion expired{on}: the product left {Stage(suggestion.from_stage).label} first."


def _locked(suggestion_id: int) -> StageSuggestion:
    """The suggestion under its product's lock, then its own (product → suggestion); NotFound if gone,
    Conflict when it is no longer pending."""
    product_id = StageSuggestion.objects.filter(pk=suggestion_id).values_list("product_id", flat=True).first()
    if product_id is None:
        raise NotFound()
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk"))
    suggestion = (
        StageSuggestion.objects.select_for_update(of=("self",))
        .select_related("product", "rule", "decided_by")
        .filter(pk=suggestion_id)
        .first()
    )
    if suggestion is None:
        raise NotFound()
    if suggestion.status != StageSuggestion.Status.PENDING:
        raise Conflict(not_pending_message(suggestion), status=suggestion.status)
    return suggestion


def _accepted_reason(suggestion: StageSuggestion, note: str) -> str:
    """The accepted move's reason: the rule's name (as an automatic move's), that a person accepted it,
    and their note: "Growth slows below 5 % a month — suggestion accepted: budget moves to retention"."""
    name = suggestion.rule.name if suggestion.rule_id else (suggestion.evidence or {}).get("rule") or suggestion.reason
    return f"{name} — suggestion accepted{': ' + note if note else ''}"


def suggestion_accept(*, suggestion_id: int, actor, reason: str = "") -> StageTransition:
    """Accept a pending suggestion: the product moves as the rule said, with `actor` as the mover (not
    gated: accepting is the rule's move), `rule` the suggestion's rule and the evidence the suggestion's
    plus `{"suggestion": id}`. `reason` is an optional note kept as the decision's reason and added to
    the move's (the rule's name, "suggestion accepted", the note). Raises Conflict (409) when the
    suggestion is not pending (accepted twice, dismissed, expired) or the product is no longer in its
    from-stage; InvalidInput for a bad note. Returns the transition.
    """
    note = _reason_clean(reason, required=False)
    with transaction.atomic():
        suggestion = _locked(suggestion_id)
        product = suggestion.product
        if product.stage != suggestion.from_stage:
            raise Conflict(
                f"{product.name} is in {Stage(product.stage).label} now, not {Stage(suggestion.from_stage).label}: "
                "this suggestion no longer applies.",
                current_stage=product.stage,
            )
        now = timezone.now()
        # Accepted before the move: the move expires the product's other pending suggestions.
        suggestion.status = StageSuggestion.Status.ACCEPTED
        suggestion.decided_by, suggestion.decided_at, suggestion.decision_reason = actor, now, note
        suggestion.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        move = product_transition(
            product_id=product.id,
            to_stage=suggestion.to_stage,
            reason=_accepted_reason(suggestion, note),
            actor=actor,
            expected_stage=suggestion.from_stage,
            evidence={**(suggestion.evidence or {}), "suggestion": suggestion.id},
            rule=suggestion.rule,
            at=now,
            gated=False,
        )
        suggestion.transition = move
        suggestion.save(update_fields=["transition"])
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="stage_suggestion.accepted",
            obj=suggestion,
            at=now,
            changes={"status": [StageSuggestion.Status.PENDING, StageSuggestion.Status.ACCEPTED]},
            data=_event_data(suggestion, product, transition=move.id, reason=note),
        )
    return move


def suggestion_dismiss(*, suggestion_id: int, actor, reason: str) -> StageSuggestion:
    """Dismiss a pending suggestion with a reason (required). It does not come back for the same
    evidence in this stay; new evidence makes a new one. Raises InvalidInput without a reason, Conflict
    when the suggestion is not pending."""
    reason = _reason_clean(reason, required=True)
    with transaction.atomic():
        suggestion = _locked(suggestion_id)
        now = timezone.now()
        suggestion.status = StageSuggestion.Status.DISMISSED
        suggestion.decided_by, suggestion.decided_at, suggestion.decision_reason = actor, now, reason
        suggestion.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        events.record(
            portfolio_id=suggestion.product.portfolio_id,
            actor=actor,
            verb="stage_suggestion.dismissed",
            obj=suggestion,
            at=now,
            changes={"status": [StageSuggestion.Status.PENDING, StageSuggestion.Status.DISMISSED]},
            data=_event_data(suggestion, suggestion.product, reason=reason),
        )
    return suggestion


def suggestions_stale_expire() -> int:
    """Expire pending suggestions whose product is no longer in that stay of the from-stage (every move
    expires them already; the periodic sweep runs this in case one slipped by). Returns how many."""
    stale = StageSuggestion.objects.filter(status=StageSuggestion.Status.PENDING).filter(
        ~Q(product__stage=F("from_stage")) | ~Q(product__stage_changed_at=F("stay_started_at"))
    )
    ids = list(stale.values_list("pk", flat=True)[:10000])
    count = StageSuggestion.objects.filter(pk__in=ids, status=StageSuggestion.Status.PENDING).update(
        status=StageSuggestion.Status.EXPIRED, decided_at=timezone.now()
    )
    if count:
        log.warning("expired %s pending suggestion(s) whose product had moved", count)
    return count
