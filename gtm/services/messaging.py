"""Messaging and positioning: the versions of one line, from draft through review to approved.

A line is the versions that share `origin` (the first version's own id); `version` counts from 1.
Status: draft → in_review (`messaging_submit`) → approved (`messaging_approve`, admins and product
managers). An approved version is frozen: writing or deleting it is a 409 (MessagingFrozen);
`messaging_revise` makes the next version of the line, a draft with the same content.

Rules the contract leaves open, decided here (the API and the pages follow them):

- Editing an in-review version is allowed and sends it back to draft: what is approved is exactly what
  was submitted. An edit that changes nothing leaves it in review.
- Submitting needs a positioning, a value proposition, at least one key message and a response to
  every objection: otherwise 409 `incomplete` with the `missing` fields.
- A reviewer (whoever may approve) sends an in-review version back to draft with a comment
  (`messaging_request_changes`); the comment is kept in the event `messaging.changes_requested`.
- A draft or an in-review version may be deleted; an approved one is frozen (409).
- Only the newest version of a line is revised, and only once approved: a newer version is a 409
  `newer_version` naming it; a newest version that is a draft or in review is a 409 `wrong_status`
  (edit it instead).

Key messages are `[{"message", "proof_points": [str]}]`, objections `[{"objection", "response"}]`:
exactly those keys, texts only, at most MESSAGES_MAX messages (OBJECTIONS_MAX objections), each with
at most PROOF_POINTS_MAX proof points, ROW_TEXT_MAX characters per text, no NUL character or lone
surrogate. A bad row is an InvalidInput on the field, naming the row.

Lock order: product → its messaging rows (every write here takes the product first).
"""

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from gtm.models import LaunchPlan, Messaging
from gtm.services import rules
from pmflow import access
from pmflow.access import READ, WRITE, object_for_user, queryset_for_user
from pmflow.errors import Conflict, InvalidInput, NotFound
from products import events
from products.models import Persona, Product, Segment

CONTENT_FIELDS = (
    "launch_plan",
    "positioning",
    "value_proposition",
    "target_segments",
    "target_personas",
    "key_messages",
    "objections",
)
TEXT_FIELDS = ("positioning", "value_proposition")
LINK_FIELDS = ("target_segments", "target_personas")
MESSAGES_MAX = 50
OBJECTIONS_MAX = 50
PROOF_POINTS_MAX = 20
ROW_TEXT_MAX = 2000
COMMENT_MAX = 5000
Status = Messaging.Status


class MessagingFrozen(Conflict):
    """This version is approved and frozen: revise it to make a new draft."""

    code = "frozen"


class WrongStatus(Conflict):
    """The version is not in the status this step needs."""

    code = "wrong_status"


class NewerVersionExists(Conflict):
    """A newer version of this messaging exists: revise or edit that one."""

    code = "newer_version"


class MessagingIncomplete(Conflict):
    """The draft is missing what a reviewer needs."""

    code = "incomplete"


# --- checking content -----------------------------------------------------------------------------------


def _text_problem(value, *, limit: int = ROW_TEXT_MAX) -> str | None:
    """Why `value` is not a text we store, or None."""
    if not isinstance(value, str):
        return "a text is needed"
    if "\x00" in value:
        return "a NUL character is not allowed"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate (half of a character pair) is not allowed"
    if len(value) > limit:
        return f"at most {limit:,} characters"
    return None


def _keys_problem(row, keys: tuple[str, ...]) -> str | None:
    wanted = " and ".join(f"“{key}”" for key in keys)
    if not isinstance(row, dict):
        return f"an object with {wanted} is needed"
    missing = [key for key in keys if key not in row]
    unknown = sorted(str(key) for key in row if key not in keys)
    if unknown:
        return f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(f'“{k[:40]}”' for k in unknown[:5])}"
    if missing:
        return f"“{missing[0]}” is missing"
    return None


def key_messages_clean(value) -> list[dict]:
    """The key messages, checked and trimmed. Raises InvalidInput on `key_messages`, one message per bad
    row (“Key message 2: …”, “Key message 2, proof point 3: …”)."""
    if not isinstance(value, list | tuple):
        raise InvalidInput(fields={"key_messages": 'A list of {"message", "proof_points"} objects.'})
    if len(value) > MESSAGES_MAX:
        raise InvalidInput(fields={"key_messages": f"At most {MESSAGES_MAX} key messages."})
    cleaned, problems = [], []
    for number, row in enumerate(value, start=1):
        where = f"Key message {number}"
        if problem := _keys_problem(row, ("message", "proof_points")):
            problems.append(f"{where}: {problem}.")
            continue
        if problem := _text_problem(row["message"]):
            problems.append(f"{where}: message: {problem}.")
            continue
        message = row["message"].strip()
        if not message:
            problems.append(f"{where}: the message is empty.")
            continue
        points = row["proof_points"]
        if not isinstance(points, list | tuple):
            problems.append(f"{where}: “proof_points” is a list of texts.")
            continue
        if len(points) > PROOF_POINTS_MAX:
            problems.append(f"{where}: at most {PROOF_POINTS_MAX} proof points.")
            continue
        kept, bad = [], False
        for index, point in enumerate(points, start=1):
            problem = _text_problem(point)
            if problem is None and not point.strip():
                problem = "it is empty"
            if problem:
                problems.append(f"{where}, proof point {index}: {problem}.")
                bad = True
                break
            kept.append(point.strip())
        if not bad:
            cleaned.append({"message": message, "proof_points": kept})
    if problems:
        raise InvalidInput(fields={"key_messages": problems})
    return cleaned


def objections_clean(value) -> list[dict]:
    """The objections, checked and trimmed (a response may still be empty in a draft). Raises
    InvalidInput on `objections`, one message per bad row (“Objection 2: …”)."""
    if not isinstance(value, list | tuple):
        raise InvalidInput(fields={"objections": 'A list of {"objection", "response"} objects.'})
    if len(value) > OBJECTIONS_MAX:
        raise InvalidInput(fields={"objections": f"At most {OBJECTIONS_MAX} objections."})
    cleaned, problems = [], []
    for number, row in enumerate(value, start=1):
        where = f"Objection {number}"
        if problem := _keys_problem(row, ("objection", "response")):
            problems.append(f"{where}: {problem}.")
            continue
        texts = {}
        for key in ("objection", "response"):
            if problem := _text_problem(row[key]):
                problems.append(f"{where}: {key}: {problem}.")
                break
            texts[key] = row[key].strip()
        else:
            if not texts["objection"]:
                problems.append(f"{where}: the objection is empty.")
                continue
            cleaned.append(texts)
    if problems:
        raise InvalidInput(fields={"objections": problems})
    return cleaned


def _clean(fields: dict, product: Product) -> dict:
    errors: dict = {}
    for name in TEXT_FIELDS:
        if name not in fields:
            continue
        value = "" if fields[name] is None else fields[name]
        if problem := _text_problem(value, limit=rules.TEXT_MAX):
            errors[name] = problem[0].upper() + problem[1:] + "."
        else:
            fields[name] = value.strip()
    for name, cleaner in (("key_messages", key_messages_clean), ("objections", objections_clean)):
        if name in fields:
            try:
                fields[name] = cleaner(fields[name])
            except InvalidInput as exc:
                errors.update(exc.fields)
    for name, model, what in (("target_segments", Segment, "segments"), ("target_personas", Persona, "personas")):
        if name in fields:
            rows = list(fields[name] or ())
            if any(not isinstance(row, model) for row in rows):
                errors[name] = f"A list of {what}."
                continue
            fields[name] = rows
            rules.same_portfolio(fields, name, product.portfolio_id, errors, what=what)
    if "launch_plan" in fields:
        if fields["launch_plan"] is not None and not isinstance(fields["launch_plan"], LaunchPlan):
            errors["launch_plan"] = "A launch plan."
        else:
            rules.same_product(fields, "launch_plan", product.id, errors, what="a launch plan")
    if errors:
        raise InvalidInput(fields=errors)
    return fields


def _summary(name: str, rows: list) -> str:
    """How a list reads in the history: “3 key messages, 5 proof points”, “2 objections”."""
    if name == "key_messages":
        points = sum(len(row.get("proof_points", ())) for row in rows)
        return (
            f"{len(rows)} key message{'s' if len(rows) != 1 else ''}, {points} proof point{'s' if points != 1 else ''}"
        )
    return f"{len(rows)} objection{'s' if len(rows) != 1 else ''}"


def _content(messaging: Messaging) -> dict:
    """The version's content as plain values (links as sorted ids), to compare before and after."""
    return {
        "launch_plan": messaging.launch_plan_id,
        "positioning": messaging.positioning,
        "value_proposition": messaging.value_proposition,
        "target_segments": sorted(row.pk for row in messaging.target_segments.all()),
        "target_personas": sorted(row.pk for row in messaging.target_personas.all()),
        "key_messages": messaging.key_messages,
        "objections": messaging.objections,
    }


def _plain(name: str, value):
    """A field's new value as `_content` gives it."""
    if name in LINK_FIELDS:
        return sorted(row.pk for row in value)
    if name == "launch_plan":
        return value.pk if value is not None else None
    return value


def _names(model, ids, known: dict) -> str | None:
    return None if ids is None else ", ".join(sorted(known.get(pk, f"#{pk}") for pk in ids))


def _recorded(changes: dict) -> dict:
    """The changes as the event keeps them: the lists as a summary (the diff between versions shows the
    words), said to be reworded when only their words changed; segments and personas by name."""
    kept = {}
    for name, model in (("target_segments", Segment), ("target_personas", Persona)):
        if name in changes:
            old, new = changes[name]
            known = dict(model.objects.filter(pk__in={*(old or ()), *new}).values_list("pk", "name"))
            kept[name] = [_names(model, old, known), _names(model, new, known)]
    for name, (old, new) in changes.items():
        if name in kept:
            continue
        if name in ("key_messages", "objections"):
            old_text, new_text = _summary(name, old or []), _summary(name, new)
            kept[name] = [
                old_text if old is not None else None,
                new_text if old_text != new_text else f"{new_text} (reworded)",
            ]
        else:
            kept[name] = [old, new]
    return kept


def _event_data(messaging: Messaging, **extra) -> dict:
    return {"product": messaging.product_id, "origin": messaging.origin_id, "version": messaging.version, **extra}


# --- locks ---------------------------------------------------------------------------------------------


def _locked(messaging_id: int) -> Messaging:
    """The version under its row lock, its product's taken first (the lock order)."""
    product_id = Messaging.objects.filter(pk=messaging_id).values_list("product_id", flat=True).first()
    if product_id is None:
        raise NotFound()
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk"))
    messaging = Messaging.objects.select_for_update().filter(pk=messaging_id).select_related("product").first()
    if messaging is None:
        raise NotFound()
    return messaging


def _newest_of_line(messaging: Messaging) -> Messaging:
    return Messaging.objects.filter(origin_id=messaging.origin_id).order_by("-version", "-id").first()


def frozen(messaging: Messaging) -> MessagingFrozen:
    """The 409 for writing an approved version."""
    return MessagingFrozen(
        f"Version {messaging.version} is approved and frozen: revise it to make version {messaging.version + 1}, "
        "a draft with the same content."
    )


# --- writes --------------------------------------------------------------------------------------------


def messaging_create(*, product: Product, actor=None, **fields) -> Messaging:
    """The first version of a new messaging line of `product` (optionally of one of its launch plans): a
    draft, version 1, its own origin. Raises InvalidInput (bad rows, a launch plan of another product,
    segments or personas of another portfolio)."""
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"not messaging fields: {sorted(unknown)}")
    fields = _clean(dict(fields), product)
    links = {name: fields.pop(name) for name in LINK_FIELDS if name in fields}
    with transaction.atomic():
        list(Product.objects.select_for_update().filter(pk=product.pk).values_list("pk"))
        messaging = Messaging.objects.create(
            product=product,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **fields,
        )
        messaging.origin = messaging
        messaging.save(update_fields=["origin"])
        for name, rows in links.items():
            getattr(messaging, name).set(rows)
        after = _content(messaging)
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="messaging.created",
            obj=messaging,
            changes=_recorded({name: [None, value] for name, value in after.items() if value not in ("", [], None)}),
            data=_event_data(messaging),
        )
    return messaging


def messaging_update(*, messaging_id: int, actor=None, **fields) -> Messaging:
    """Change a draft or in-review version; a change to an in-review one sends it back to draft (its
    review restarts). Raises MessagingFrozen (409) for an approved version, InvalidInput for bad input."""
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"not messaging fields: {sorted(unknown)}")
    with transaction.atomic():
        messaging = _locked(messaging_id)
        if messaging.status == Status.APPROVED:
            raise frozen(messaging)
        fields = _clean(dict(fields), messaging.product)
        before = _content(messaging)
        after = {**before, **{name: _plain(name, value) for name, value in fields.items()}}
        changes = {name: [before[name], after[name]] for name in CONTENT_FIELDS if before[name] != after[name]}
        if not changes:
            return messaging
        columns = [name for name in changes if name not in LINK_FIELDS]
        for name in columns:
            setattr(messaging, name, fields[name])
        if messaging.status == Status.IN_REVIEW:
            changes["status"] = [messaging.status, Status.DRAFT]
            messaging.status, messaging.submitted_at = Status.DRAFT, None
            columns += ["status", "submitted_at"]
        messaging.save(update_fields=[*columns, "updated_at"])
        for name in LINK_FIELDS:
            if name in changes:
                getattr(messaging, name).set(fields[name])
        events.record(
            portfolio_id=messaging.product.portfolio_id,
            actor=actor,
            verb="messaging.updated",
            obj=messaging,
            changes=_recorded(changes),
            data=_event_data(messaging),
        )
    return messaging


def messaging_delete(*, messaging_id: int, actor=None) -> Messaging:
    """Delete a draft or in-review version. Returns the deleted row (unsaved: its product, origin and
    version for the caller's message). Raises MessagingFrozen (409) for an approved one."""
    with transaction.atomic():
        messaging = _locked(messaging_id)
        if messaging.status == Status.APPROVED:
            raise frozen(messaging)
        if messaging.origin_id == messaging.id and Messaging.objects.filter(origin_id=messaging.id).count() > 1:
            # Unreachable while only an approved newest version is revised; its versions would go with it.
            raise Conflict("The first version of a line with later versions cannot be deleted.")
        events.record(
            portfolio_id=messaging.product.portfolio_id,
            actor=actor,
            verb="messaging.deleted",
            obj=messaging,
            changes={"status": [messaging.status, None]},
            data=_event_data(messaging),
        )
        pk = messaging.pk
        messaging.delete()
        messaging.pk = pk
    return messaging


def _missing_for_review(messaging: Messaging) -> list[dict]:
    missing = []
    if not messaging.positioning.strip():
        missing.append({"field": "positioning", "message": "Write the positioning."})
    if not messaging.value_proposition.strip():
        missing.append({"field": "value_proposition", "message": "Write the value proposition."})
    if not messaging.key_messages:
        missing.append({"field": "key_messages", "message": "Add at least one key message."})
    unanswered = [n for n, row in enumerate(messaging.objections, start=1) if not str(row.get("response", "")).strip()]
    if unanswered:
        rows = ", ".join(str(n) for n in unanswered)
        missing.append(
            {"field": "objections", "message": f"Answer objection{'s' if len(unanswered) > 1 else ''} {rows}."}
        )
    return missing


def messaging_submit(*, messaging_id: int, actor=None) -> Messaging:
    """Send a draft for review (draft → in_review). Raises WrongStatus (409) for any other status and
    MessagingIncomplete (409, `missing`) when the draft lacks what a reviewer needs."""
    with transaction.atomic():
        messaging = _locked(messaging_id)
        if messaging.status != Status.DRAFT:
            raise WrongStatus(
                f"Version {messaging.version} is {messaging.get_status_display().lower()}: only a draft is "
                "submitted for review.",
                status=messaging.status,
            )
        missing = _missing_for_review(messaging)
        if missing:
            raise MessagingIncomplete(
                "Not ready for review: " + " ".join(row["message"] for row in missing), missing=missing
            )
        messaging.status, messaging.submitted_at = Status.IN_REVIEW, timezone.now()
        messaging.save(update_fields=["status", "submitted_at", "updated_at"])
        events.record(
            portfolio_id=messaging.product.portfolio_id,
            actor=actor,
            verb="messaging.submitted",
            obj=messaging,
            changes={"status": [Status.DRAFT, Status.IN_REVIEW]},
            data=_event_data(messaging),
        )
    return messaging


def messaging_approve(*, messaging_id: int, actor=None) -> Messaging:
    """Approve a version in review (in_review → approved, by admins and product managers); it is frozen
    from then on. Raises NotAllowed (403) for another role, WrongStatus (409) for another status."""
    with transaction.atomic():
        messaging = _locked(messaging_id)
        if actor is not None:
            access.require(actor, Messaging, messaging.product.portfolio_id, "approve")
        if messaging.status != Status.IN_REVIEW:
            raise WrongStatus(
                f"Version {messaging.version} is {messaging.get_status_display().lower()}: only a version in "
                "review is approved (submit the draft first).",
                status=messaging.status,
            )
        messaging.status, messaging.approved_at = Status.APPROVED, timezone.now()
        messaging.approved_by = actor if getattr(actor, "is_authenticated", False) else None
        messaging.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
        events.record(
            portfolio_id=messaging.product.portfolio_id,
            actor=actor,
            verb="messaging.approved",
            obj=messaging,
            changes={"status": [Status.IN_REVIEW, Status.APPROVED], "approved_at": [None, messaging.approved_at]},
            data=_event_data(messaging),
        )
    return messaging


def comment_clean(comment) -> str:
    """A reviewer's comment: required text, at most COMMENT_MAX characters."""
    if comment is None:
        comment = ""
    if problem := _text_problem(comment, limit=COMMENT_MAX):
        raise InvalidInput(fields={"comment": problem[0].upper() + problem[1:] + "."})
    comment = comment.strip()
    if not comment:
        raise InvalidInput(fields={"comment": "Say what should change; the author sees your comment."})
    return comment


def messaging_request_changes(*, messaging_id: int, actor=None, comment: str = "") -> Messaging:
    """Send a version in review back to draft with a comment (by those who may approve). Raises
    InvalidInput without a comment, NotAllowed (403) for another role, WrongStatus (409) unless in review."""
    comment = comment_clean(comment)
    with transaction.atomic():
        messaging = _locked(messaging_id)
        if actor is not None:
            access.require(actor, Messaging, messaging.product.portfolio_id, "approve")
        if messaging.status != Status.IN_REVIEW:
            raise WrongStatus(
                f"Version {messaging.version} is {messaging.get_status_display().lower()}: changes are requested "
                "on a version in review.",
                status=messaging.status,
            )
        messaging.status, messaging.submitted_at = Status.DRAFT, None
        messaging.save(update_fields=["status", "submitted_at", "updated_at"])
        events.record(
            portfolio_id=messaging.product.portfolio_id,
            actor=actor,
            verb="messaging.changes_requested",
            obj=messaging,
            changes={"status": [Status.IN_REVIEW, Status.DRAFT]},
            data=_event_data(messaging, comment=comment),
        )
    return messaging


def messaging_revise(*, messaging_id: int, actor=None) -> Messaging:
    """The next version of the line: a draft with the content of this one (the newest, approved), its
    segments and personas too; version + 1, the same origin. Raises NewerVersionExists (409, `newer`)
    when this is not the newest version, WrongStatus (409) when it is not approved."""
    with transaction.atomic():
        source = _locked(messaging_id)
        newest = _newest_of_line(source)
        if newest.pk != source.pk:
            raise NewerVersionExists(
                f"Version {newest.version} ({newest.get_status_display().lower()}) is newer than version "
                f"{source.version}: {'revise' if newest.status == Status.APPROVED else 'edit'} that one.",
                newer={"id": newest.id, "version": newest.version, "status": newest.status},
            )
        if source.status != Status.APPROVED:
            raise WrongStatus(
                f"Version {source.version} is {source.get_status_display().lower()}, not approved: edit it "
                "instead of revising it.",
                status=source.status,
            )
        revision = Messaging(
            product=source.product,
            launch_plan_id=source.launch_plan_id,
            origin_id=source.origin_id,
            version=source.version + 1,
            positioning=source.positioning,
            value_proposition=source.value_proposition,
            key_messages=[{**row, "proof_points": list(row["proof_points"])} for row in source.key_messages],
            objections=[dict(row) for row in source.objections],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        try:
            with transaction.atomic():
                revision.save()
        except IntegrityError as exc:  # the product's lock makes this unlikely: another writer got there first
            raise Conflict("Another version was made at the same time: reload and try again.") from exc
        revision.target_segments.set(source.target_segments.all())
        revision.target_personas.set(source.target_personas.all())
        events.record(
            portfolio_id=source.product.portfolio_id,
            actor=actor,
            verb="messaging.revised",
            obj=revision,
            changes={"version": [source.version, revision.version], "status": [None, Status.DRAFT]},
            data=_event_data(revision, revised_from=source.id),
        )
    return revision


# --- reads ---------------------------------------------------------------------------------------------


def newer_version_exists() -> Exists:
    """True for a version with a newer one in its line (`~newer_version_exists()`: each line's newest)."""
    return Exists(Messaging.objects.filter(origin_id=OuterRef("origin_id"), version__gt=OuterRef("version")))


def messaging_rows(queryset: QuerySet | None = None) -> QuerySet:
    """Versions with what a page or the API shows of them joined: product, launch plan, approver,
    author, segments and personas (by name)."""
    queryset = Messaging.objects.all() if queryset is None else queryset
    return queryset.select_related(
        "product", "product__portfolio", "launch_plan", "approved_by", "created_by"
    ).prefetch_related(
        Prefetch("target_segments", queryset=Segment.objects.order_by("name", "id")),
        Prefetch("target_personas", queryset=Persona.objects.order_by("name", "id")),
    )


def messaging_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, messaging_rows())


def messaging_for_user(user, messaging_id, *, write: bool = False, action: str | None = None) -> Messaging:
    """One version of the user's portfolios (NotFound for missing and foreign alike; NotAllowed for a
    role that may not `action` it)."""
    return object_for_user(user, messaging_rows(), messaging_id, action=action or (WRITE if write else READ))


def line_versions(messaging: Messaging) -> list[Messaging]:
    """Every version of the version's line, the newest first (one query, the approver joined)."""
    return list(
        Messaging.objects.filter(origin_id=messaging.origin_id)
        .select_related("approved_by")
        .only("id", "origin_id", "version", "status", "approved_at", "approved_by__username", "created_at")
        .order_by("-version", "-id")
    )
