"""Ideas: concept → evaluated → accepted | rejected, with the market insights and feedback behind each.

- An idea belongs to a product; the insights and feedback it names are of the same portfolio (another
  portfolio's is a 400 on `insights` / `feedback`). Its text, title and links change in every status.
- `idea_evaluate` moves a concept to evaluated; `idea_reject` a concept or an evaluated idea to rejected,
  with a reason (required, kept as `decision_reason` with who decided and when). Accepting creates a
  roadmap item, so it lives in the app that owns items: `roadmap.services.ideas.idea_accept`, which uses
  `locked_idea`, `require_status` and `idea_decide` from here.
- Any of them on an idea in another status is WrongIdeaStatus (409, with the idea's `status`).

Every write runs in one transaction, locks the idea's row and records one domain event (`idea.*`). Bad
input is InvalidInput with a message per field (400); nothing is written.
"""

from django.db import transaction
from django.utils import timezone

from pmflow.errors import Conflict, InvalidInput, NotFound
from products import events
from products.models import Feedback, Idea, MarketInsight, Product

IDEA_FIELDS = ("title", "description")
LINK_FIELDS = ("insights", "feedback")
TITLE_MAX = 200
TEXT_MAX = 20_000
REASON_MAX = 5000
Status = Idea.Status
# The statuses a decision (evaluate, accept, reject) starts from.
OPEN = (Status.CONCEPT, Status.EVALUATED)


class WrongIdeaStatus(Conflict):
    """The idea is not in the status this step needs."""

    code = "wrong_status"


# --- checks -------------------------------------------------------------------------------------------


def _text(fields: dict, name: str, errors: dict, *, limit: int, required: str = "") -> None:
    """Strip `fields[name]`; `required` is the message when it is empty (empty allowed without one)."""
    if name not in fields:
        return
    value = fields[name]
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = "Text."
        return
    value = value.strip()
    fields[name] = value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors[name] = "Text without lone surrogates (they are not characters)."
        return
    if "\x00" in value:
        errors[name] = "Text without NUL characters."
    elif required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = f"At most {limit:,} characters."


def _links(fields: dict, portfolio_id: int, errors: dict) -> None:
    """`insights` and `feedback`, when given, are lists of rows of this portfolio (deduplicated, by id)."""
    for name, model, what in (("insights", MarketInsight, "market insights"), ("feedback", Feedback, "feedback")):
        if name not in fields:
            continue
        rows = fields[name]
        if not isinstance(rows, list | tuple | set) or not all(isinstance(row, model) for row in rows):
            errors[name] = f"A list of {what}."
            continue
        rows = sorted({row.pk: row for row in rows}.values(), key=lambda row: row.pk)
        ids = [row.pk for row in rows]
        path = "portfolio_id" if model is MarketInsight else "product__portfolio_id"
        if ids and model.objects.filter(pk__in=ids).exclude(**{path: portfolio_id}).exists():
            errors[name] = f"Choose {what} of this portfolio."
        fields[name] = rows


def _check(fields: dict, portfolio_id: int) -> None:
    errors: dict = {}
    _text(fields, "title", errors, limit=TITLE_MAX, required="Give the idea a title, e.g. “Offline mode for drivers”.")
    _text(fields, "description", errors, limit=TEXT_MAX)
    _links(fields, portfolio_id, errors)
    if errors:
        raise InvalidInput(fields=errors)


def _known(fields: dict) -> None:
    unknown = set(fields) - set(IDEA_FIELDS) - set(LINK_FIELDS)
    if unknown:
        raise TypeError(f"not idea fields: {sorted(unknown)}")


def _link_ids(idea: Idea, name: str) -> list[int]:
    return sorted(getattr(idea, name).values_list("pk", flat=True))


def _set_links(idea: Idea, links: dict) -> dict:
    """Replace the named links; {name: [old ids, new ids]} for those that changed."""
    changes = {}
    for name, rows in links.items():
        before, after = _link_ids(idea, name), [row.pk for row in rows]
        if before != after:
            getattr(idea, name).set(rows)
            changes[name] = [before, after]
    return changes


# --- writes -------------------------------------------------------------------------------------------


def idea_create(*, product: Product, actor=None, **fields) -> Idea:
    """Add an idea (in concept) to `product`, with the `insights` and `feedback` behind it.

    Raises InvalidInput: no title, a text too long or with a NUL character, insights or feedback of another
    portfolio.
    """
    _known(fields)
    fields = dict(fields)
    fields.setdefault("title", "")
    _check(fields, product.portfolio_id)
    links = {name: fields.pop(name) for name in LINK_FIELDS if name in fields}
    with transaction.atomic():
        idea = Idea.objects.create(product=product, **fields)
        link_changes = _set_links(idea, links)
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="idea.created",
            obj=idea,
            changes={"title": [None, idea.title], "status": [None, idea.status], **link_changes},
            data={"product": product.id},
        )
    return idea


def _locked(idea_id: int) -> Idea:
    idea = Idea.objects.select_for_update(of=("self",)).filter(pk=idea_id).select_related("product").first()
    if idea is None:
        raise NotFound()
    return idea


def locked_idea(idea_id: int) -> Idea:
    """The idea under its row lock, its product's row locked first (lock order: product → its children),
    for a write that also writes the product's other rows (accepting makes a roadmap item). Call inside
    the write's transaction. Raises NotFound."""
    product_id = Idea.objects.filter(pk=idea_id).values_list("product_id", flat=True).first()
    if product_id is None:
        raise NotFound()
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk"))
    return _locked(idea_id)


def require_status(idea: Idea, allowed, *, step: str) -> None:
    """Raise WrongIdeaStatus (409, with the idea's `status`) unless the idea is in one of `allowed`."""
    if idea.status not in allowed:
        names = " or ".join(Status(s).label.lower() for s in allowed)
        raise WrongIdeaStatus(
            f"“{idea.title}” is {idea.get_status_display().lower()}: only an idea in {names} is {step}.",
            status=idea.status,
        )


def idea_update(*, idea_id: int, actor=None, **fields) -> Idea:
    """Change an idea's title, description, insights or feedback (in any status; the decision stays).

    Raises NotFound, and InvalidInput as `idea_create`.
    """
    _known(fields)
    fields = dict(fields)
    with transaction.atomic():
        idea = _locked(idea_id)
        _check(fields, idea.product.portfolio_id)
        links = {name: fields.pop(name) for name in LINK_FIELDS if name in fields}
        before = events.snapshot(idea, fields)
        for name, value in fields.items():
            setattr(idea, name, value)
        changes = events.changes_between(before, events.snapshot(idea, fields))
        if changes:
            idea.save(update_fields=list(changes))
        changes.update(_set_links(idea, links))
        if changes:
            events.record(
                portfolio_id=idea.product.portfolio_id, actor=actor, verb="idea.updated", obj=idea, changes=changes
            )
    return idea


def idea_evaluate(*, idea_id: int, actor=None) -> Idea:
    """Mark a concept as evaluated (looked at, not yet decided). Raises NotFound, WrongIdeaStatus (409)."""
    with transaction.atomic():
        idea = _locked(idea_id)
        require_status(idea, (Status.CONCEPT,), step="evaluated")
        idea.status = Status.EVALUATED
        idea.save(update_fields=["status"])
        events.record(
            portfolio_id=idea.product.portfolio_id,
            actor=actor,
            verb="idea.evaluated",
            obj=idea,
            changes={"status": [Status.CONCEPT, Status.EVALUATED]},
        )
    return idea


def _reason(reason, *, required: bool) -> str:
    fields = {"reason": reason}
    errors: dict = {}
    _text(
        fields,
        "reason",
        errors,
        limit=REASON_MAX,
        required="Say why, e.g. “Too few customers asked; revisit next year”." if required else "",
    )
    if errors:
        raise InvalidInput(fields=errors)
    return fields["reason"]


def idea_decide(idea: Idea, *, status: str, reason: str, actor=None, data: dict | None = None) -> Idea:
    """Record a decision on a locked, open idea (inside the caller's transaction): the status, the reason,
    who and when, and the `idea.accepted` / `idea.rejected` event. For `idea_reject` and
    `roadmap.services.ideas.idea_accept`; check the status first (`require_status`)."""
    old = idea.status
    idea.status, idea.decision_reason = status, reason
    idea.decided_at = timezone.now()
    idea.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    idea.save(update_fields=["status", "decision_reason", "decided_at", "decided_by"])
    changes = {"status": [old, status]}
    if reason:
        changes["decision_reason"] = [None, reason]
    events.record(
        portfolio_id=idea.product.portfolio_id,
        actor=actor,
        verb=f"idea.{status}",
        obj=idea,
        changes=changes,
        data=data,
    )
    return idea


def idea_reject(*, idea_id: int, reason: str, actor=None) -> Idea:
    """Reject a concept or an evaluated idea, saying why (kept with who decided and when).

    Raises InvalidInput on `reason` (empty, too long), NotFound, WrongIdeaStatus (409) when it is already
    accepted or rejected.
    """
    reason = _reason(reason, required=True)
    with transaction.atomic():
        idea = _locked(idea_id)
        require_status(idea, OPEN, step="rejected")
        return idea_decide(idea, status=Status.REJECTED, reason=reason, actor=actor)


def decision_reason_clean(reason) -> str:
    """An optional reason given with an acceptance (checked as a rejection's, but may be empty)."""
    return _reason(reason or "", required=False)


def idea_delete(*, idea_id: int, actor=None) -> str:
    """Delete an idea; a roadmap item made from it stays (without the link). Returns its title."""
    with transaction.atomic():
        idea = _locked(idea_id)
        events.record(
            portfolio_id=idea.product.portfolio_id,
            actor=actor,
            verb="idea.deleted",
            obj=idea,
            data={"title": idea.title, "product": idea.product_id, "status": idea.status},
        )
        title = idea.title
        idea.delete()
    return title
