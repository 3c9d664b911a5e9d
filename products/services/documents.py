"""Research and planning documents: interviews, research notes, concept designs, PRD and MRD, beta-test
reports, written in Markdown, with versions, review comments and links.

- A document belongs to a product; the ideas and feedback it names are of the same portfolio (another
  portfolio's is a 400 on `ideas` / `feedback`). Its roadmap items are linked by the app that owns items
  (roadmap.services.documents), handed to the writes here as `extra_links`, in the same transaction
  and the same event.
- `version` starts at 1 and grows by one with each change of the title or the body; each version's title
  and body are kept (a DocumentVersion row per version, version 1 included) with who wrote it and when.
  A change of status, kind or links alone keeps the version.
- Status: any of draft, in review, approved, archived to any other, except that an archived document is
  read-only until it is set back to draft: any other change (text, kind, links, another status, a review
  comment or its resolution) is DocumentArchived (409). Setting it to draft may come with other changes
  in the same write.
- A review comment is written against the document's version of the moment; it can be resolved and
  reopened.

Every write runs in one transaction, locks the document's row and records one domain event
(`document.*`). Bad input is InvalidInput with a message per field (400): a title of at most 200
characters, a body of at most 200,000, no NUL characters or lone surrogates; nothing is written.
"""

from django.db import transaction
from django.utils import timezone

from pmflow.errors import Conflict, InvalidInput, NotFound
from pmflow.textdiff import ops_html, text_ops
from products import events
from products.models import Document, DocumentComment, DocumentVersion, Feedback, Idea, Product

DOCUMENT_FIELDS = ("kind", "title", "body", "status")
LINK_FIELDS = ("ideas", "feedback")
TITLE_MAX = 200
BODY_MAX = 200_000
COMMENT_MAX = 10_000
Kind = Document.Kind
Status = Document.Status
KINDS = [k.value for k in Kind]
STATUSES = [s.value for s in Status]
VERSIONED = ("title", "body")


class DocumentArchived(Conflict):
    """The document is archived: set it back to draft to change it."""

    code = "archived"


# --- checks -------------------------------------------------------------------------------------------


def _text(fields: dict, name: str, errors: dict, *, limit: int, required: str = "", strip: bool = True) -> None:
    """Check `fields[name]` (stripped unless `strip` is off); `required` is the message when it is empty."""
    if name not in fields:
        return
    value = fields[name]
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = "Text."
        return
    value = value.strip() if strip else value
    fields[name] = value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors[name] = "Text without lone surrogates (they are not characters)."
        return
    if "\x00" in value:
        errors[name] = "Text without NUL characters."
    elif required and not value.strip():
        errors[name] = required
    elif len(value) > limit:
        errors[name] = f"At most {limit:,} characters (this has {len(value):,})."


def _body(fields: dict, errors: dict) -> None:
    """The body keeps its leading indentation (Markdown's code blocks) and loses only trailing white space
    and the line endings of Windows (\\r\\n), so an unchanged text saved from a form is unchanged."""
    if isinstance(fields.get("body"), str):
        fields["body"] = fields["body"].replace("\r\n", "\n").replace("\r", "\n").rstrip()
    _text(fields, "body", errors, limit=BODY_MAX, strip=False)


def _choice(fields: dict, name: str, choices, errors: dict) -> None:
    if name in fields and fields[name] not in choices:
        errors[name] = f"Use one of {', '.join(choices)}."


def _links(fields: dict, portfolio_id: int, errors: dict) -> None:
    """`ideas` and `feedback`, when given, are lists of rows of this portfolio (deduplicated, by id)."""
    for name, model, what in (("ideas", Idea, "ideas"), ("feedback", Feedback, "feedback")):
        if name not in fields:
            continue
        rows = fields[name]
        if not isinstance(rows, list | tuple | set) or not all(isinstance(row, model) for row in rows):
            errors[name] = f"A list of {what}."
            continue
        rows = sorted({row.pk: row for row in rows}.values(), key=lambda row: row.pk)
        ids = [row.pk for row in rows]
        if ids and model.objects.filter(pk__in=ids).exclude(product__portfolio_id=portfolio_id).exists():
            errors[name] = f"Choose {what} of this portfolio."
        fields[name] = rows


def field_errors(fields: dict, portfolio_id: int) -> dict:
    """{field: message} for what is wrong with `fields` (cleaned in place: stripped texts, deduplicated
    links); {} when nothing is. For roadmap.services.documents, which adds its own link's message."""
    errors: dict = {}
    _text(fields, "title", errors, limit=TITLE_MAX, required="Give the document a title, e.g. “Offline mode PRD”.")
    _body(fields, errors)
    _choice(fields, "kind", KINDS, errors)
    _choice(fields, "status", STATUSES, errors)
    _links(fields, portfolio_id, errors)
    return errors


def _check(fields: dict, portfolio_id: int) -> None:
    if errors := field_errors(fields, portfolio_id):
        raise InvalidInput(fields=errors)


def _known(fields: dict) -> None:
    unknown = set(fields) - set(DOCUMENT_FIELDS) - set(LINK_FIELDS)
    if unknown:
        raise TypeError(f"not document fields: {sorted(unknown)}")


def _link_ids(document: Document, name: str) -> list[int]:
    return sorted(getattr(document, name).values_list("pk", flat=True))


def set_links(document: Document, links: dict) -> dict:
    """Replace the named links of a document; {name: [old ids, new ids]} for those that changed. Inside the
    caller's transaction (roadmap.services.documents sets `roadmap_items` with it too)."""
    changes = {}
    for name, rows in links.items():
        before, after = _link_ids(document, name), sorted(row.pk for row in rows)
        if before != after:
            getattr(document, name).set(rows)
            changes[name] = [before, after]
    return changes


def _size(text: str) -> str:
    return f"{len(text):,} characters"


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _keep_version(document: Document) -> None:
    """Write the row of the document's current version when it has none (a document made before the
    services wrote them, or by a test's factory), so the history stays whole before the next version."""
    if not DocumentVersion.objects.filter(document=document, version=document.version).exists():
        DocumentVersion.objects.create(
            document=document,
            version=document.version,
            title=document.title,
            body=document.body,
            author_id=document.updated_by_id,
            at=document.updated_at or timezone.now(),
        )


# --- writes -------------------------------------------------------------------------------------------


def document_create(*, product: Product, actor=None, extra_links: dict | None = None, **fields) -> Document:
    """Write a new document of `product` (version 1, a draft unless `status` says otherwise), with the
    `ideas` and `feedback` it relates to. `extra_links` ({relation name: rows}) are links other apps hold
    (roadmap.services.documents: `roadmap_items`), checked by them and set here in the same transaction.

    Raises InvalidInput: no title, a kind or status not of the lists, a text too long or with a NUL
    character or a lone surrogate, ideas or feedback of another portfolio.
    """
    _known(fields)
    fields = dict(fields)
    fields.setdefault("title", "")
    fields.setdefault("kind", "")
    _check(fields, product.portfolio_id)
    links = {name: fields.pop(name) for name in LINK_FIELDS if name in fields} | (extra_links or {})
    with transaction.atomic():
        document = Document.objects.create(product=product, updated_by=_user(actor), version=1, **fields)
        DocumentVersion.objects.create(
            document=document,
            version=1,
            title=document.title,
            body=document.body,
            author=_user(actor),
            at=document.updated_at,
        )
        changes = set_links(document, links)
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="document.created",
            obj=document,
            changes={
                "title": [None, document.title],
                "kind": [None, document.kind],
                "status": [None, document.status],
                "version": [None, 1],
                "body": [None, _size(document.body)],
                **changes,
            },
            data={"product": product.id},
        )
    return document


def locked_document(document_id: int) -> Document:
    """The document under its row lock, with its product. Call inside the write's transaction. Raises
    NotFound."""
    document = Document.objects.select_for_update(of=("self",)).filter(pk=document_id).select_related("product").first()
    if document is None:
        raise NotFound()
    return document


def require_editable(document: Document, *, unarchiving: bool = False) -> None:
    """Raise DocumentArchived (409, with its `status`) when the document is archived, unless this write
    sets it back to draft."""
    if document.status == Status.ARCHIVED and not unarchiving:
        raise DocumentArchived(
            f"“{document.title}” is archived and read-only: set it back to draft to change it.",
            status=document.status,
        )


def document_update(*, document_id: int, actor=None, extra_links: dict | None = None, **fields) -> Document:
    """Change a document's kind, title, body, status, ideas or feedback (and `extra_links` as in
    `document_create`). A new title or body makes the next version (`version` + 1, its row kept with who
    and when); the rest keeps the version. A write that changes nothing records nothing.

    Raises NotFound, DocumentArchived (409) for a change to an archived document that does not set it back
    to draft, and InvalidInput as `document_create`.
    """
    _known(fields)
    fields = dict(fields)
    with transaction.atomic():
        document = locked_document(document_id)
        _check(fields, document.product.portfolio_id)
        links = {name: fields.pop(name) for name in LINK_FIELDS if name in fields} | (extra_links or {})
        before = events.snapshot(document, fields)
        changes = events.changes_between(before, dict(fields))
        moved = {name: rows for name, rows in links.items() if _link_ids(document, name) != sorted(r.pk for r in rows)}
        if not (changes or moved):
            return document
        require_editable(document, unarchiving=changes.get("status", [None, None])[1] == Status.DRAFT)
        new_version = any(name in changes for name in VERSIONED)
        if new_version:
            _keep_version(document)
        for name in changes:
            setattr(document, name, fields[name])
        if "body" in changes:
            changes["body"] = [_size(changes["body"][0] or ""), _size(changes["body"][1] or "")]
        if new_version:
            changes["version"] = [document.version, document.version + 1]
            document.version += 1
        document.updated_by = _user(actor)
        document.save(
            update_fields=[*(name for name in changes if name != "version"), "version", "updated_by", "updated_at"]
        )
        changes.update(set_links(document, moved))
        if new_version:
            DocumentVersion.objects.create(
                document=document,
                version=document.version,
                title=document.title,
                body=document.body,
                author=_user(actor),
                at=document.updated_at,
            )
        events.record(
            portfolio_id=document.product.portfolio_id,
            actor=actor,
            verb="document.updated",
            obj=document,
            changes=changes,
        )
    return document


def document_set_status(*, document_id: int, status: str, actor=None) -> Document:
    """Move a document to `status` (the buttons of its page): any to any, but an archived one only back to
    draft. The version stays. Raises NotFound, DocumentArchived (409), InvalidInput on `status`."""
    return document_update(document_id=document_id, actor=actor, status=status)


def document_delete(*, document_id: int, actor=None) -> str:
    """Delete a document with its versions and review comments (its links go, the linked rows stay).
    Returns its title. An archived document can be deleted: deleting is not editing. Raises NotFound."""
    with transaction.atomic():
        document = locked_document(document_id)
        events.record(
            portfolio_id=document.product.portfolio_id,
            actor=actor,
            verb="document.deleted",
            obj=document,
            data={"title": document.title, "product": document.product_id, "version": document.version},
        )
        title = document.title
        document.delete()
    return title


# --- review comments ----------------------------------------------------------------------------------


def document_comment_add(*, document_id: int, body, actor=None) -> DocumentComment:
    """Add a review comment to a document, on its current version.

    Raises NotFound, DocumentArchived (409), InvalidInput on `body` (empty, longer than 10,000 characters,
    a NUL character or a lone surrogate).
    """
    fields = {"body": body}
    errors: dict = {}
    _text(fields, "body", errors, limit=COMMENT_MAX, required="Write the comment.")
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        document = locked_document(document_id)
        require_editable(document)
        comment = DocumentComment.objects.create(
            document=document, version=document.version, author=_user(actor), body=fields["body"]
        )
        events.record(
            portfolio_id=document.product.portfolio_id,
            actor=actor,
            verb="document.commented",
            obj=document,
            changes={"comment": [None, comment.body[:200]]},
            data={"comment": comment.id, "version": document.version},
        )
    return comment


def document_comment_resolve(*, comment_id: int, resolved: bool = True, actor=None) -> DocumentComment:
    """Mark a review comment resolved (or open again with `resolved=False`); the same state is no change.

    Raises NotFound, DocumentArchived (409), InvalidInput when `resolved` is not true or false.
    """
    if not isinstance(resolved, bool):
        raise InvalidInput(fields={"resolved": "true or false."})
    document_id = DocumentComment.objects.filter(pk=comment_id).values_list("document_id", flat=True).first()
    if document_id is None:
        raise NotFound()
    with transaction.atomic():
        document = locked_document(document_id)  # lock order: the document, then its comment
        comment = DocumentComment.objects.select_for_update().filter(pk=comment_id).first()
        if comment is None:
            raise NotFound()
        if comment.resolved == resolved:
            return comment
        require_editable(document)
        comment.resolved = resolved
        comment.save(update_fields=["resolved"])
        events.record(
            portfolio_id=document.product.portfolio_id,
            actor=actor,
            verb="document.comment_resolved" if resolved else "document.comment_reopened",
            obj=document,
            changes={"resolved": [not resolved, resolved]},
            data={"comment": comment.id},
        )
    return comment


# --- versions and the diff ----------------------------------------------------------------------------


def versions_of(document: Document):
    """The document's versions, newest first: the kept rows, and the current one made up from the document
    when it has no row (a document not written by these services). A list of DocumentVersion (the made
    up one unsaved)."""
    rows = list(DocumentVersion.objects.filter(document=document).select_related("author").order_by("-version"))
    if not rows or rows[0].version < document.version:
        rows.insert(0, current_version(document))
    return rows


def current_version(document: Document) -> DocumentVersion:
    return DocumentVersion(
        document=document,
        version=document.version,
        title=document.title,
        body=document.body,
        author=document.updated_by,
        at=document.updated_at,
    )


def version_of(document: Document, number) -> DocumentVersion:
    """Version `number` of the document. Raises NotFound for a version it does not have."""
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= document.version:
        raise NotFound(f"“{document.title}” has versions 1 to {document.version}.")
    row = DocumentVersion.objects.filter(document=document, version=number).select_related("author").first()
    if row is not None:
        return row
    if number == document.version:
        return current_version(document)
    raise NotFound(f"Version {number} of “{document.title}” was not kept.")


def _version_brief(version: DocumentVersion) -> dict:
    return {
        "version": version.version,
        "title": version.title,
        "author": version.author.get_username() if version.author_id else None,
        "at": version.at,
    }


def _text_diff(old: str, new: str) -> dict:
    return {"changed": old != new, "old": old, "new": new, "ops": text_ops(old, new)}


def document_diff(old: DocumentVersion, new: DocumentVersion) -> dict:
    """What changed from version `old` to version `new` of one document: the title and the body, each
    compared by lines, then sentences, then words (pmflow.textdiff). Either order works (an older `new`
    shows the way back)."""
    fields = {"title": _text_diff(old.title, new.title), "body": _text_diff(old.body, new.body)}
    return {
        "from": _version_brief(old),
        "to": _version_brief(new),
        "changed": any(field["changed"] for field in fields.values()),
        "fields": fields,
    }


def with_html(result: dict) -> dict:
    """`document_diff`'s result with the HTML of each field's operations (`html`), for the diff page."""
    for field in result["fields"].values():
        field["html"] = ops_html(field["ops"])
    return result
