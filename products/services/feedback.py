"""Customer feedback: what customers told us, from an interview, a survey, support, sales, a beta, a review.

- A piece of feedback belongs to a product; its segment and the ideas it supports are of the same
  portfolio (another portfolio's is refused on that field). The roadmap items it feeds hold the link
  (RoadmapItem.feedback, written by roadmap.services), so nothing here writes it.
- `importance` is 1–5; `deal_value` (what sales put on the line) is empty or an amount ≥ 0 with at most two
  decimal places, at most MONEY_MAX; `received_on` is a day from 1900 up to tomorrow in the portfolio's
  time zone (a day ahead for a colleague east of it, never next month).
- `feedback_import` writes the rows of a checked CSV file (products.feedback_import) all at once.

Every write runs in one transaction, locks the row it changes and records one domain event per piece of
feedback (`feedback.created`, `feedback.updated`, `feedback.deleted`; an import records one `feedback.created`
per row in a single INSERT). Bad input is InvalidInput with a message per field (400); nothing is written.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from pmflow.access import READ, WRITE, object_for_user
from pmflow.errors import InvalidInput, NotFound
from products import events
from products.models import Feedback, Idea, Portfolio, Product, Segment

FEEDBACK_FIELDS = ("product", "source", "customer", "segment", "text", "importance", "deal_value", "received_on")
SOURCES = [source.value for source in Feedback.Source]
CUSTOMER_MAX = 200
TEXT_MAX = 20_000
IDEAS_MAX = 200  # ideas one piece of feedback supports: a list, not the whole backlog
MONEY_MAX = Decimal("999999999999.99")  # the column's 14 digits, 2 places
FIRST_YEAR = 1900
IMPORTANCE_WORDS = {1: "nice to have", 2: "minor", 3: "important", 4: "very important", 5: "must have"}

DATE_MESSAGE = f"A day from {FIRST_YEAR} up to tomorrow, as YYYY-MM-DD."


def latest_day(portfolio: Portfolio) -> datetime.date:
    """The latest `received_on` taken: tomorrow in the portfolio's time zone."""
    return timezone.localdate(timezone=portfolio.zone) + datetime.timedelta(days=1)


# --- checks: each adds a message per field to `errors`, none raises -----------------------------------


def _text(fields: dict, name: str, errors: dict, *, limit: int, required: str = "") -> None:
    if name not in fields:
        return
    value = "" if fields[name] is None else fields[name]
    if not isinstance(value, str):
        errors[name] = "Text."
        return
    value = value.strip()
    fields[name] = value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors[name] = "Text without lone surrogates."
        return
    if "\x00" in value:
        errors[name] = "Text without NUL characters."
    elif required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = f"At most {limit:,} characters."


def _importance(fields: dict, errors: dict) -> None:
    if "importance" not in fields:
        return
    value = fields["importance"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        errors["importance"] = "A whole number from 1 (nice to have) to 5 (must have)."


def _deal_value(fields: dict, errors: dict) -> None:
    if "deal_value" not in fields or fields["deal_value"] is None:
        return
    value = fields["deal_value"]
    if isinstance(value, bool | float):
        errors["deal_value"] = "An amount, e.g. 36000 or 1250.50."
        return
    try:
        value = Decimal(str(value)) if len(str(value)) <= 40 else Decimal("NaN")
    except (InvalidOperation, ValueError):
        errors["deal_value"] = "An amount, e.g. 36000 or 1250.50."
        return
    if not value.is_finite():
        errors["deal_value"] = "An amount, e.g. 36000 or 1250.50."
    elif value < 0:
        errors["deal_value"] = "Zero or more."
    elif value > MONEY_MAX:
        errors["deal_value"] = f"At most {MONEY_MAX:,}."
    elif value != value.quantize(Decimal("0.01")):
        errors["deal_value"] = "At most two decimal places."
    else:
        fields["deal_value"] = value


def _received_on(fields: dict, portfolio: Portfolio, errors: dict) -> None:
    if "received_on" not in fields:
        return
    value = fields["received_on"]
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors["received_on"] = "The day it was received, as YYYY-MM-DD."
    elif value.year < FIRST_YEAR:
        errors["received_on"] = DATE_MESSAGE
    elif value > latest_day(portfolio):
        errors["received_on"] = "Not in the future: the day it was received, today at the latest."


def _references(fields: dict, portfolio_id: int, errors: dict) -> None:
    product = fields.get("product")
    if "product" in fields and (not isinstance(product, Product) or product.portfolio_id != portfolio_id):
        errors["product"] = "Choose a product of this portfolio."
    segment = fields.get("segment")
    if segment is not None and (not isinstance(segment, Segment) or segment.portfolio_id != portfolio_id):
        errors["segment"] = "Choose a segment of this portfolio."


def _ideas(ideas, portfolio_id: int, errors: dict) -> list[Idea] | None:
    """The ideas as a sorted, de-duplicated list, or None after an error on `ideas`."""
    if not isinstance(ideas, list | tuple | set) or not all(isinstance(idea, Idea) for idea in ideas):
        errors["ideas"] = "A list of ideas."
        return None
    chosen = sorted(set(ideas), key=lambda idea: idea.pk)
    if len(chosen) > IDEAS_MAX:
        errors["ideas"] = f"At most {IDEAS_MAX} ideas."
        return None
    product_ids = {idea.product_id for idea in chosen}
    if product_ids and Product.objects.filter(pk__in=product_ids).exclude(portfolio_id=portfolio_id).exists():
        errors["ideas"] = "Choose ideas of this portfolio."
        return None
    return chosen


def feedback_check(fields: dict, portfolio: Portfolio, errors: dict) -> None:
    """Check (and normalise in place) the given fields of a piece of feedback of `portfolio`."""
    _references(fields, portfolio.id, errors)
    if "source" in fields and fields["source"] not in SOURCES:
        errors["source"] = f"Use one of {', '.join(SOURCES)}."
    _text(fields, "customer", errors, limit=CUSTOMER_MAX)
    _text(
        fields, "text", errors, limit=TEXT_MAX, required="What did the customer say? E.g. “Needs an export to Excel.”"
    )
    _importance(fields, errors)
    _deal_value(fields, errors)
    _received_on(fields, portfolio, errors)


def _check_names(fields: dict) -> None:
    unknown = set(fields) - set(FEEDBACK_FIELDS)
    if unknown:
        raise TypeError(f"not feedback fields: {sorted(unknown)}")


def _created_changes(row: Feedback, idea_ids: list[int]) -> dict:
    changes = {
        "product": [None, row.product_id],
        "source": [None, row.source],
        "text": [None, row.text],
        "importance": [None, row.importance],
        "received_on": [None, row.received_on],
    }
    if row.customer:
        changes["customer"] = [None, row.customer]
    if row.segment_id:
        changes["segment"] = [None, row.segment_id]
    if row.deal_value is not None:
        changes["deal_value"] = [None, row.deal_value]
    if idea_ids:
        changes["ideas"] = [None, idea_ids]
    return changes


# --- writes -------------------------------------------------------------------------------------------


def feedback_create(*, product: Product, actor=None, ideas=(), **fields) -> Feedback:
    """Record what a customer said about `product`, and the ideas it supports.

    Raises InvalidInput: no text, a source, importance, deal value or day out of range (a day after
    tomorrow, before 1900), a segment or ideas of another portfolio.
    """
    _check_names(fields)
    fields = {"source": Feedback.Source.OTHER, "importance": 3, "received_on": None, **fields, "product": product}
    fields.setdefault("text", "")
    if fields["received_on"] is None:
        fields["received_on"] = timezone.localdate(timezone=product.portfolio.zone)
    errors: dict = {}
    feedback_check(fields, product.portfolio, errors)
    chosen = _ideas(list(ideas), product.portfolio_id, errors)
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        row = Feedback.objects.create(**fields)
        if chosen:
            row.ideas.set(chosen)
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="feedback.created",
            obj=row,
            changes=_created_changes(row, [idea.pk for idea in chosen or []]),
        )
    return row


def _locked(feedback_id: int) -> Feedback:
    row = (
        Feedback.objects.select_for_update(of=("self",))
        .filter(pk=feedback_id)
        .select_related("product__portfolio")
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def feedback_update(*, feedback_id: int, actor=None, ideas=None, **fields) -> Feedback:
    """Change a piece of feedback; `ideas` (when given) replaces the ideas it supports. It may move to
    another product of the same portfolio (filed under the wrong one).

    Raises NotFound, and InvalidInput as `feedback_create`.
    """
    _check_names(fields)
    fields = dict(fields)
    with transaction.atomic():
        row = _locked(feedback_id)
        portfolio = row.product.portfolio
        errors: dict = {}
        feedback_check(fields, portfolio, errors)
        chosen = _ideas(list(ideas), portfolio.id, errors) if ideas is not None else None
        if errors:
            raise InvalidInput(fields=errors)
        before = events.snapshot(row, fields)
        for name, value in fields.items():
            setattr(row, name, value)
        changes = events.changes_between(before, events.snapshot(row, fields))
        if changes:
            row.save(update_fields=list(changes))
        if chosen is not None:
            old_ids = sorted(row.ideas.values_list("pk", flat=True))
            new_ids = [idea.pk for idea in chosen]
            if old_ids != new_ids:
                row.ideas.set(chosen)
                changes["ideas"] = [old_ids, new_ids]
        if changes:
            events.record(portfolio_id=portfolio.id, actor=actor, verb="feedback.updated", obj=row, changes=changes)
    return row


def feedback_delete(*, feedback_id: int, actor=None) -> str:
    """Delete a piece of feedback (its links to ideas and roadmap items go with it). Returns its label."""
    with transaction.atomic():
        row = _locked(feedback_id)
        label = str(row)
        events.record(
            portfolio_id=row.product.portfolio_id,
            actor=actor,
            verb="feedback.deleted",
            obj=row,
            data={
                "product": row.product_id,
                "customer": row.customer,
                "source": row.source,
                "importance": row.importance,
                "received_on": row.received_on.isoformat(),
            },
        )
        row.delete()
    return label


def feedback_import(*, portfolio: Portfolio, rows: list[dict], actor=None) -> list[Feedback]:
    """Write checked rows (products.feedback_import.check_file) as feedback of `portfolio`, all or none.

    Each row is checked again here (the rule stays in one place): a row that fails raises InvalidInput
    with `errors` [{line, column, message}] and nothing is written. One INSERT for the rows and one for
    their events.
    """
    problems = []
    for row in rows:
        fields = {name: row[name] for name in FEEDBACK_FIELDS if name in row}
        errors: dict = {}
        feedback_check(fields, portfolio, errors)
        problems += [{"line": row.get("line"), "column": name, "message": m} for name, m in errors.items()]
    if problems:
        raise InvalidInput("Nothing was imported: fix these rows and try again.", errors=problems)
    with transaction.atomic():
        created = Feedback.objects.bulk_create(
            [Feedback(**{name: row[name] for name in FEEDBACK_FIELDS if name in row}) for row in rows]
        )
        events.record_many(
            [
                {
                    "portfolio_id": portfolio.id,
                    "verb": "feedback.created",
                    "obj": item,
                    "changes": _created_changes(item, []),
                    "data": {"import": True, "line": row.get("line")},
                }
                for item, row in zip(created, rows, strict=True)
            ],
            actor=actor,
        )
    return created


# --- lookups the pages and the API share --------------------------------------------------------------


def _roadmap_item_model():
    # The link is roadmap's (RoadmapItem.feedback): its model is reached through the reverse relation,
    # so products imports nothing of the app to its right.
    return Feedback._meta.get_field("roadmap_items").related_model


def feedback_rows():
    """Feedback with its product and segment joined and the ideas and roadmap items it feeds prefetched
    (ids and titles): a list of any length costs the same few queries."""
    return Feedback.objects.select_related("product", "segment").prefetch_related(
        Prefetch("ideas", queryset=Idea.objects.only("id", "title", "status", "product_id").order_by("title", "id")),
        Prefetch(
            "roadmap_items",
            queryset=_roadmap_item_model().objects.only("id", "title", "kind", "product_id").order_by("title", "id"),
        ),
    )


def feedback_for_user(user, feedback_id, *, write: bool = False) -> Feedback:
    queryset = feedback_rows().select_related("product__portfolio")
    return object_for_user(user, queryset, feedback_id, action=WRITE if write else READ)


def ideas_of(portfolio_id: int):
    """The portfolio's ideas, for choosing which ones a piece of feedback supports."""
    return (
        Idea.objects.filter(product__portfolio_id=portfolio_id)
        .select_related("product")
        .order_by("product__name", "title", "id")
    )


def roadmap_items_of(portfolio_id: int):
    return (
        _roadmap_item_model()
        .objects.filter(product__portfolio_id=portfolio_id)
        .select_related("product")
        .order_by("product__name", "title", "id")
    )
