"""Segments and personas: who a portfolio's products serve, and the people in those segments.

- A segment belongs to a portfolio; its name is unique there (exactly as written, as the database
  constraint holds it: "SMB" and "smb" are two names). `size` is a whole number of potential
  customers or accounts (0 or more, or unknown), `growth_pct` a yearly growth in percent (two
  decimal places, −9,999.99 to 9,999.99, or unknown), `priority` 1 (low) to 5 (high).
  The products that serve it are products of the same portfolio; a segment no product serves is a
  growth opportunity, not an error.
- A persona belongs to a portfolio, optionally to one of its segments, with goals, pains and a customer
  journey: at most 12 stages in order, each exactly {"stage", "touchpoints", "pains", "opportunities"},
  texts only (a stage's name required, at most 200 characters; the others at most 2,000), without NUL
  characters or lone surrogates.

Every write runs in one transaction, locks the row it changes and records one domain event
(`segment.*`, `persona.*`). Bad input is InvalidInput with a message per field (400); nothing is written.
"""

import csv
import io
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

from pmflow.access import READ, WRITE, object_for_user
from pmflow.errors import InvalidInput, NotFound
from pmflow.forms import csv_cell
from products import events
from products.models import Persona, Portfolio, Product, Segment

SEGMENT_FIELDS = ("name", "description", "size", "growth_pct", "priority")
PERSONA_FIELDS = ("name", "segment", "goals", "pains", "journey")

NAME_MAX = 200
TEXT_MAX = 20_000
SIZE_MAX = 2**63 - 1  # the column's PositiveBigIntegerField
GROWTH_MAX = Decimal("9999.99")  # the column's 6 digits, 2 places
PRIORITIES = (1, 2, 3, 4, 5)
PRIORITY_LABELS = {1: "1 · Low", 2: "2", 3: "3 · Medium", 4: "4", 5: "5 · High"}

JOURNEY_STAGES_MAX = 12
JOURNEY_KEYS = ("stage", "touchpoints", "pains", "opportunities")
STAGE_NAME_MAX = 200
STAGE_TEXT_MAX = 2000
# The customer journey most teams map, in order: offered as placeholders for a new journey.
USUAL_STAGES = ("Awareness", "Consideration", "Purchase", "Onboarding", "Advocacy")

NAME_TAKEN = "A segment with this name exists in the portfolio."


# --- checks ---------------------------------------------------------------------------------------------


def _text_problem(value) -> str | None:
    """Why `value` is not a text we store (its length aside), or None."""
    if not isinstance(value, str):
        return "Text."
    if "\x00" in value:
        return "Text without NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Text without lone surrogates (half of a character pair)."
    return None


def _text(fields: dict, name: str, errors: dict, *, limit: int, required: str = "") -> None:
    """Strip `fields[name]` (None is empty); `required` is the message when it is empty."""
    if name not in fields:
        return
    value = "" if fields[name] is None else fields[name]
    if problem := _text_problem(value):
        errors[name] = problem
        return
    value = value.strip()
    fields[name] = value
    if required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = f"At most {limit:,} characters."


def _size(fields: dict, errors: dict) -> None:
    if "size" not in fields or fields["size"] is None:
        return
    value = fields["size"]
    if isinstance(value, bool) or not isinstance(value, int):
        errors["size"] = "A whole number of customers or accounts, 0 or more."
    elif value < 0:
        errors["size"] = "Zero or more."
    elif value > SIZE_MAX:
        errors["size"] = f"At most {SIZE_MAX:,}."


def _growth(fields: dict, errors: dict) -> None:
    if "growth_pct" not in fields or fields["growth_pct"] is None:
        return
    value = fields["growth_pct"]
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
        errors["growth_pct"] = "A percentage, e.g. 6.5 or -2."
        return
    try:
        value = Decimal(str(value)) if len(str(value)) <= 64 else Decimal("NaN")
    except (InvalidOperation, ValueError):
        errors["growth_pct"] = "A percentage, e.g. 6.5 or -2."
        return
    if not value.is_finite():
        errors["growth_pct"] = "A percentage, e.g. 6.5 or -2."
    elif abs(value) > GROWTH_MAX:
        errors["growth_pct"] = f"Between -{GROWTH_MAX:,} and {GROWTH_MAX:,} percent."
    elif value != value.quantize(Decimal("0.01")):
        errors["growth_pct"] = "At most two decimal places."
    else:
        fields["growth_pct"] = value.quantize(Decimal("0.01"))


def _priority(fields: dict, errors: dict) -> None:
    if "priority" not in fields:
        return
    value = fields["priority"]
    if isinstance(value, bool) or value not in PRIORITIES:
        errors["priority"] = "1 (low) to 5 (high)."


def _products(products, portfolio_id: int, errors: dict) -> list[Product]:
    rows = list(products) if isinstance(products, list | tuple | set) else None
    if rows is None or not all(isinstance(row, Product) for row in rows):
        errors["products"] = "A list of products."
        return []
    if any(row.portfolio_id != portfolio_id for row in rows):
        errors["products"] = "Choose products of this portfolio."
    return sorted(set(rows), key=lambda product: product.pk)


def _segment_check(fields: dict, errors: dict) -> None:
    _text(fields, "name", errors, limit=NAME_MAX, required="Give the segment a name, e.g. “Mid-market retailers”.")
    _text(fields, "description", errors, limit=TEXT_MAX)
    _size(fields, errors)
    _growth(fields, errors)
    _priority(fields, errors)


def journey_clean(value) -> list[dict]:
    """The journey, checked and trimmed: a list of at most 12 stages in order, each exactly {"stage",
    "touchpoints", "pains", "opportunities"} (texts; a stage name required). Raises InvalidInput on
    `journey`, one message per bad stage (“Stage 2: …”)."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput(fields={"journey": 'A list of {"stage", "touchpoints", "pains", "opportunities"} objects.'})
    if len(value) > JOURNEY_STAGES_MAX:
        raise InvalidInput(fields={"journey": f"At most {JOURNEY_STAGES_MAX} stages; this has {len(value)}."})
    cleaned, problems = [], []
    for number, row in enumerate(value, start=1):
        where = f"Stage {number}"
        if not isinstance(row, dict):
            problems.append(f'{where}: an object with "stage", "touchpoints", "pains" and "opportunities".')
            continue
        unknown = sorted(str(key)[:40] for key in row if key not in JOURNEY_KEYS)
        if unknown:
            problems.append(f"{where}: unknown field {', '.join(f'“{k}”' for k in unknown[:5])}.")
            continue
        missing = [key for key in JOURNEY_KEYS if key not in row]
        if missing:
            problems.append(f"{where}: “{missing[0]}” is missing.")
            continue
        kept, bad = {}, False
        for key in JOURNEY_KEYS:
            limit = STAGE_NAME_MAX if key == "stage" else STAGE_TEXT_MAX
            text = row[key]
            problem = _text_problem(text)
            if problem is None:
                text = text.strip()
                if key == "stage" and not text:
                    problem = "Name the stage, e.g. Awareness."
                elif len(text) > limit:
                    problem = f"At most {limit:,} characters."
            if problem:
                problems.append(f"{where}, {key}: {problem}")
                bad = True
                break
            kept[key] = text
        if not bad:
            cleaned.append(kept)
    if problems:
        raise InvalidInput(fields={"journey": problems})
    return cleaned


def _persona_check(fields: dict, portfolio_id: int, errors: dict) -> None:
    named = "Give the persona a name, e.g. “Olivia, operations manager”."
    _text(fields, "name", errors, limit=NAME_MAX, required=named)
    _text(fields, "goals", errors, limit=TEXT_MAX)
    _text(fields, "pains", errors, limit=TEXT_MAX)
    segment = fields.get("segment")
    if segment is not None and (not isinstance(segment, Segment) or segment.portfolio_id != portfolio_id):
        errors["segment"] = "Choose a segment of this portfolio."
    if "journey" in fields:
        try:
            fields["journey"] = journey_clean(fields["journey"])
        except InvalidInput as exc:
            errors.update(exc.fields)


def _check_fields(fields: dict, allowed, what: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"not {what} fields: {sorted(unknown)}")


# --- segments -------------------------------------------------------------------------------------------


def _product_ids(segment: Segment) -> list[int]:
    return sorted(segment.products.values_list("pk", flat=True))


def segment_create(*, portfolio: Portfolio, actor=None, products=(), **fields) -> Segment:
    """Add a segment to `portfolio`, served by `products` (of that portfolio).

    Raises InvalidInput: no name or one taken in the portfolio, a negative or fractional size, a growth
    out of range or with more than two decimal places, a priority outside 1–5, a product of another
    portfolio.
    """
    _check_fields(fields, SEGMENT_FIELDS, "segment")
    fields = dict(fields)
    fields.setdefault("name", "")
    errors: dict = {}
    _segment_check(fields, errors)
    chosen = _products(products, portfolio.id, errors)
    if "name" not in errors and Segment.objects.filter(portfolio=portfolio, name=fields["name"]).exists():
        errors["name"] = NAME_TAKEN
    if errors:
        raise InvalidInput(fields=errors)
    try:
        with transaction.atomic():
            segment = Segment.objects.create(portfolio=portfolio, **fields)
            segment.products.set(chosen)
            events.record(
                portfolio_id=portfolio.id,
                actor=actor,
                verb="segment.created",
                obj=segment,
                changes={
                    "name": [None, segment.name],
                    "priority": [None, segment.priority],
                    **({"size": [None, segment.size]} if segment.size is not None else {}),
                    **({"growth_pct": [None, segment.growth_pct]} if segment.growth_pct is not None else {}),
                    "products": [None, [p.pk for p in chosen]],
                },
            )
    except IntegrityError as exc:  # the same name created meanwhile
        raise InvalidInput(fields={"name": NAME_TAKEN}) from exc
    return segment


def _locked_segment(segment_id: int) -> Segment:
    segment = Segment.objects.select_for_update().filter(pk=segment_id).first()
    if segment is None:
        raise NotFound()
    return segment


def segment_update(*, segment_id: int, actor=None, products=None, **fields) -> Segment:
    """Change a segment; `products` (when given) replaces the products that serve it. Raises NotFound,
    and InvalidInput as `segment_create`."""
    _check_fields(fields, SEGMENT_FIELDS, "segment")
    fields = dict(fields)
    try:
        with transaction.atomic():
            segment = _locked_segment(segment_id)
            errors: dict = {}
            _segment_check(fields, errors)
            chosen = _products(products, segment.portfolio_id, errors) if products is not None else None
            if (
                "name" not in errors
                and "name" in fields
                and Segment.objects.filter(portfolio_id=segment.portfolio_id, name=fields["name"])
                .exclude(pk=segment.pk)
                .exists()
            ):
                errors["name"] = NAME_TAKEN
            if errors:
                raise InvalidInput(fields=errors)
            before = events.snapshot(segment, fields)
            for name, value in fields.items():
                setattr(segment, name, value)
            changes = events.changes_between(before, events.snapshot(segment, fields))
            if changes:
                segment.save(update_fields=list(changes))
            if chosen is not None:
                old_ids, new_ids = _product_ids(segment), [p.pk for p in chosen]
                if old_ids != new_ids:
                    segment.products.set(chosen)
                    changes["products"] = [old_ids, new_ids]
            if changes:
                events.record(
                    portfolio_id=segment.portfolio_id, actor=actor, verb="segment.updated", obj=segment, changes=changes
                )
    except IntegrityError as exc:
        raise InvalidInput(fields={"name": NAME_TAKEN}) from exc
    return segment


def segment_product_set(*, segment_id: int, product: Product, serves: bool, actor=None) -> bool:
    """Say whether `product` serves the segment (one cell of the product × segment matrix). Returns
    whether anything changed (setting what already holds writes nothing). Raises NotFound, InvalidInput
    on `products` for a product of another portfolio."""
    with transaction.atomic():
        segment = _locked_segment(segment_id)
        if not isinstance(product, Product) or product.portfolio_id != segment.portfolio_id:
            raise InvalidInput(fields={"products": "Choose products of this portfolio."})
        old_ids = _product_ids(segment)
        if (product.pk in old_ids) == bool(serves):
            return False
        if serves:
            segment.products.add(product)
            new_ids = sorted([*old_ids, product.pk])
        else:
            segment.products.remove(product)
            new_ids = [pk for pk in old_ids if pk != product.pk]
        events.record(
            portfolio_id=segment.portfolio_id,
            actor=actor,
            verb="segment.updated",
            obj=segment,
            changes={"products": [old_ids, new_ids]},
            data={"product": product.pk, "serves": bool(serves)},
        )
    return True


def segment_delete(*, segment_id: int, actor=None) -> str:
    """Delete a segment. Its personas, campaigns and feedback stay, without a segment; messaging no
    longer targets it. Returns its name."""
    with transaction.atomic():
        segment = _locked_segment(segment_id)
        events.record(
            portfolio_id=segment.portfolio_id,
            actor=actor,
            verb="segment.deleted",
            obj=segment,
            data={"name": segment.name, "products": _product_ids(segment)},
        )
        name = segment.name
        segment.delete()
    return name


def segment_delete_impact(segment: Segment) -> list[tuple[str, int]]:
    """[(what, how many)] of the rows that point at the segment and stay without it (personas, and what
    other apps link to it), counted through the model's relations: this app names none of theirs."""
    impact = []
    for relation in Segment._meta.related_objects:
        accessor = relation.get_accessor_name()
        if not accessor or relation.related_model is Product:
            continue
        count = getattr(segment, accessor).count()
        if count:
            meta = relation.related_model._meta
            impact.append((str(meta.verbose_name if count == 1 else meta.verbose_name_plural), count))
    return impact


# --- personas -------------------------------------------------------------------------------------------


def persona_create(*, portfolio: Portfolio, actor=None, **fields) -> Persona:
    """Add a persona to `portfolio`, optionally in one of its segments, with goals, pains and a journey.

    Raises InvalidInput: no name, a segment of another portfolio, texts over their limits, a journey that
    is not a list of at most 12 stages of exactly {"stage", "touchpoints", "pains", "opportunities"}.
    """
    _check_fields(fields, PERSONA_FIELDS, "persona")
    fields = dict(fields)
    fields.setdefault("name", "")
    errors: dict = {}
    _persona_check(fields, portfolio.id, errors)
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        persona = Persona.objects.create(portfolio=portfolio, **fields)
        events.record(
            portfolio_id=portfolio.id,
            actor=actor,
            verb="persona.created",
            obj=persona,
            changes={
                "name": [None, persona.name],
                **({"segment": [None, persona.segment_id]} if persona.segment_id else {}),
                **({"journey": [None, persona.journey]} if persona.journey else {}),
            },
        )
    return persona


def _locked_persona(persona_id: int) -> Persona:
    persona = Persona.objects.select_for_update().filter(pk=persona_id).first()
    if persona is None:
        raise NotFound()
    return persona


def persona_update(*, persona_id: int, actor=None, **fields) -> Persona:
    """Change a persona (its journey is written whole). Raises NotFound, and InvalidInput as
    `persona_create`."""
    _check_fields(fields, PERSONA_FIELDS, "persona")
    fields = dict(fields)
    with transaction.atomic():
        persona = _locked_persona(persona_id)
        errors: dict = {}
        _persona_check(fields, persona.portfolio_id, errors)
        if errors:
            raise InvalidInput(fields=errors)
        events.save_changes(persona, fields, portfolio_id=persona.portfolio_id, actor=actor, verb="persona.updated")
    return persona


def persona_delete(*, persona_id: int, actor=None) -> str:
    """Delete a persona (messaging no longer targets it). Returns its name."""
    with transaction.atomic():
        persona = _locked_persona(persona_id)
        events.record(
            portfolio_id=persona.portfolio_id,
            actor=actor,
            verb="persona.deleted",
            obj=persona,
            data={"name": persona.name, "segment": persona.segment_id},
        )
        name = persona.name
        persona.delete()
    return name


# --- lookups the pages and the API share ----------------------------------------------------------------


def _action(write: bool, action: str | None) -> str:
    return action or (WRITE if write else READ)


def segments():
    """Segments with the products that serve them (by name) prefetched."""
    return Segment.objects.prefetch_related(Prefetch("products", queryset=Product.objects.order_by("name", "id")))


def segments_with_counts():
    """`segments()` with `persona_count` (a subquery each: a filter on products multiplies no row)."""
    personas = (
        Persona.objects.filter(segment=OuterRef("pk")).order_by().values("segment").annotate(n=Count("id")).values("n")
    )
    return segments().annotate(persona_count=Coalesce(Subquery(personas), 0))


def personas():
    return Persona.objects.select_related("segment")


def segment_for_user(user, segment_id, *, write: bool = False, action: str | None = None) -> Segment:
    queryset = segments_with_counts().select_related("portfolio")
    return object_for_user(user, queryset, segment_id, action=_action(write, action))


def persona_for_user(user, persona_id, *, write: bool = False, action: str | None = None) -> Persona:
    return object_for_user(user, personas().select_related("portfolio"), persona_id, action=_action(write, action))


SEGMENT_CSV_COLUMNS = ["id", "name", "priority", "size", "growth_pct", "products", "personas", "description"]


def segment_csv_row(segment: Segment) -> list:
    """One segment as a spreadsheet row (its products by name, "; " between them)."""
    return [
        segment.pk,
        segment.name,
        segment.priority,
        segment.size,
        segment.growth_pct,
        "; ".join(product.name for product in segment.products.all()),
        getattr(segment, "persona_count", None),
        segment.description,
    ]


def segment_csv_lines(rows):
    """Segments as CSV lines (BOM first, so a spreadsheet reads UTF-8), a chunk at a time for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(SEGMENT_CSV_COLUMNS)
    for segment in rows:
        writer.writerow([csv_cell(value) for value in segment_csv_row(segment)])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
