"""A product's vision, its goals for a period and the key results that measure them.

- A goal has a title and a period (`period_start` … `period_end`, the end on or after the start, years
  1900–2200). Its key results belong to it for good (a key result never moves to another goal).
- A key result goes from `start_value` to `target_value` (falling targets too: churn from 8 to 4 %).
  `manual_value` is the value a person reports; it counts only while no KPI measures the key result.
  Which KPI measures it is held by the KPI (kpis app): kpis.services.key_results sets it, and passes
  `link` here so that the link and the key result change in one transaction with one event.
- The vision is the product's (`Product.vision`), written through products.services.catalog.

Every write runs in one transaction, locks the row it changes (the goal before its key result: lock
order product → goal → key result) and records one domain event (`goal.*`, `key_result.*`,
`product.updated`). Bad input is InvalidInput with a message per field (400); nothing is written.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from pmflow.errors import InvalidInput, NotFound
from pmflow.fields import bounded_decimal
from products import events
from products.models import Goal, KeyResult, Product
from products.services import catalog

GOAL_FIELDS = ("title", "description", "period_start", "period_end")
KEY_RESULT_FIELDS = ("title", "start_value", "target_value", "manual_value")

TITLE_MAX = 200
TEXT_MAX = 10_000
DATE_YEARS = (1900, 2200)  # the roadmap's and go-to-market's bounds (products imports neither)
VALUE_DIGITS, VALUE_PLACES = 20, 6  # the columns of the values

# A write of a higher app made in the key result's transaction (the KPI that measures it): it gets the
# locked key result and returns its changes ({field: [old, new]}) for the key result's event.
Link = Callable[[KeyResult], dict]


# --- checks (each adds field → message to `errors`) -----------------------------------------------------


def _text(fields: dict, name: str, errors: dict, *, limit: int, required: str = "") -> None:
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
    if "\x00" in value:
        errors[name] = "Text without NUL characters."
    elif any("\ud800" <= ch <= "\udfff" for ch in value):
        errors[name] = "Text without lone surrogates (not characters)."
    elif required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = f"At most {limit:,} characters."


def _date(fields: dict, name: str, errors: dict, *, required: str) -> None:
    if name not in fields:
        return
    value = fields[name]
    if value is None:
        errors[name] = required
    elif not isinstance(value, date) or isinstance(value, datetime):
        errors[name] = "A date (YYYY-MM-DD)."
    elif not DATE_YEARS[0] <= value.year <= DATE_YEARS[1]:
        errors[name] = f"A date between the years {DATE_YEARS[0]} and {DATE_YEARS[1]}."


def _value(fields: dict, name: str, errors: dict, *, required: str = "") -> None:
    """A number the (20, 6) column holds, rounded to six places; None only where `required` is empty."""
    if name not in fields:
        return
    raw = fields[name]
    if raw is None:
        if required:
            errors[name] = required
        return
    try:
        fields[name] = bounded_decimal(raw, max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    except ValueError as exc:
        errors[name] = str(exc)


def _goal_check(fields: dict, errors: dict, *, start=None, end=None) -> None:
    _text(fields, "title", errors, limit=TITLE_MAX, required="Give the goal a title, e.g. “Win the mid-market”.")
    _text(fields, "description", errors, limit=TEXT_MAX)
    _date(fields, "period_start", errors, required="Give the first day of the goal's period.")
    _date(fields, "period_end", errors, required="Give the last day of the goal's period.")
    first, last = fields.get("period_start", start), fields.get("period_end", end)
    if (
        "period_start" not in errors
        and "period_end" not in errors
        and isinstance(first, date)
        and isinstance(last, date)
        and last < first
    ):
        errors["period_end"] = "On or after the start of the period."


def _key_result_check(fields: dict, errors: dict) -> None:
    _text(fields, "title", errors, limit=TITLE_MAX, required="Give the key result a title, e.g. “Churn below 4 %”.")
    _value(fields, "start_value", errors, required="Give the value it starts from (0 when it starts from nothing).")
    _value(fields, "target_value", errors, required="Give the value to reach.")
    _value(fields, "manual_value", errors)


def _only(fields: dict, allowed, what: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"not {what} fields: {sorted(unknown)}")


# --- goals ----------------------------------------------------------------------------------------------


def goal_create(*, product: Product, actor=None, **fields) -> Goal:
    """Give `product` a goal for a period.

    Raises InvalidInput: no title, no period start or end, a date outside 1900–2200, an end before the
    start, a title over 200 or a description over 10,000 characters, NUL characters.
    """
    _only(fields, GOAL_FIELDS, "goal")
    fields = {"title": "", "description": "", "period_start": None, "period_end": None, **fields}
    errors: dict = {}
    _goal_check(fields, errors)
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        goal = Goal.objects.create(product=product, **fields)
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="goal.created",
            obj=goal,
            changes={
                "title": [None, goal.title],
                "period_start": [None, goal.period_start],
                "period_end": [None, goal.period_end],
            },
            data={"product": product.id},
        )
    return goal


def _locked_goal(goal_id: int) -> Goal:
    goal = Goal.objects.select_for_update(of=("self",)).select_related("product").filter(pk=goal_id).first()
    if goal is None:
        raise NotFound()
    return goal


def goal_update(*, goal_id: int, actor=None, **fields) -> Goal:
    """Change a goal's title, description or period. Raises NotFound, and InvalidInput as `goal_create`
    (the end is judged against the start the goal will have)."""
    _only(fields, GOAL_FIELDS, "goal")
    fields = dict(fields)
    with transaction.atomic():
        goal = _locked_goal(goal_id)
        errors: dict = {}
        _goal_check(fields, errors, start=goal.period_start, end=goal.period_end)
        if errors:
            raise InvalidInput(fields=errors)
        events.save_changes(goal, fields, portfolio_id=goal.product.portfolio_id, actor=actor, verb="goal.updated")
    return goal


def goal_delete(*, goal_id: int, actor=None) -> str:
    """Delete a goal with its key results (their KPIs stay, measuring nothing; roadmap items that served
    them keep going without). Returns its title."""
    with transaction.atomic():
        goal = _locked_goal(goal_id)
        titles = list(goal.key_results.order_by("id").values_list("title", flat=True))
        events.record(
            portfolio_id=goal.product.portfolio_id,
            actor=actor,
            verb="goal.deleted",
            obj=goal,
            data={"title": goal.title, "product": goal.product_id, "key_results": titles},
        )
        title = goal.title
        goal.delete()
    return title


# --- key results ----------------------------------------------------------------------------------------


def key_result_create(*, goal: Goal, actor=None, link: Link | None = None, **fields) -> KeyResult:
    """Add a key result to `goal`. `link` (kpis.services.key_results) sets the KPI that measures it in
    the same transaction; its changes are part of the one `key_result.created` event.

    Raises InvalidInput: no title, no target, a value that is not a finite number the column holds
    (14 digits before the point, 6 after), and whatever `link` refuses.
    """
    _only(fields, KEY_RESULT_FIELDS, "key result")
    fields = {"title": "", "start_value": Decimal(0), "target_value": None, **fields}
    errors: dict = {}
    _key_result_check(fields, errors)
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        locked = _locked_goal(goal.pk)
        key_result = KeyResult.objects.create(goal=locked, **fields)
        changes = {
            "title": [None, key_result.title],
            "start_value": [None, key_result.start_value],
            "target_value": [None, key_result.target_value],
            **({"manual_value": [None, key_result.manual_value]} if key_result.manual_value is not None else {}),
        }
        if link is not None:
            changes.update(link(key_result))
        events.record(
            portfolio_id=locked.product.portfolio_id,
            actor=actor,
            verb="key_result.created",
            obj=key_result,
            changes=changes,
            data={"goal": locked.id, "product": locked.product_id},
        )
    return key_result


def _locked_key_result(key_result_id: int) -> KeyResult:
    goal_id = KeyResult.objects.filter(pk=key_result_id).values_list("goal_id", flat=True).first()
    if goal_id is None:
        raise NotFound()
    goal = _locked_goal(goal_id)  # the goal first: the lock order of a create
    key_result = KeyResult.objects.select_for_update().filter(pk=key_result_id, goal_id=goal.id).first()
    if key_result is None:
        raise NotFound()
    key_result.goal = goal
    return key_result


def key_result_update(*, key_result_id: int, actor=None, link: Link | None = None, **fields) -> KeyResult:
    """Change a key result; `link` as in `key_result_create`. One `key_result.updated` event with every
    change, none when nothing changed. Raises NotFound, and InvalidInput as `key_result_create`."""
    _only(fields, KEY_RESULT_FIELDS, "key result")
    fields = dict(fields)
    errors: dict = {}
    _key_result_check(fields, errors)
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        key_result = _locked_key_result(key_result_id)
        before = events.snapshot(key_result, fields)
        for name, value in fields.items():
            setattr(key_result, name, value)
        changes = events.changes_between(before, events.snapshot(key_result, fields))
        if changes:
            key_result.save(update_fields=list(changes))
        if link is not None:
            changes.update(link(key_result))
        if changes:
            events.record(
                portfolio_id=key_result.goal.product.portfolio_id,
                actor=actor,
                verb="key_result.updated",
                obj=key_result,
                changes=changes,
                data={"goal": key_result.goal_id},
            )
    return key_result


def key_result_delete(*, key_result_id: int, actor=None) -> str:
    """Delete a key result (its KPI stays, measuring nothing). Returns its title."""
    with transaction.atomic():
        key_result = _locked_key_result(key_result_id)
        events.record(
            portfolio_id=key_result.goal.product.portfolio_id,
            actor=actor,
            verb="key_result.deleted",
            obj=key_result,
            data={"title": key_result.title, "goal": key_result.goal_id},
        )
        title = key_result.title
        key_result.delete()
    return title


# --- the vision -----------------------------------------------------------------------------------------


def product_vision_set(*, product_id: int, vision, actor=None) -> Product:
    """Write a product's vision (blank clears it): one `product.updated` event when it changed.

    Raises NotFound, and InvalidInput for more than 10,000 characters, NUL characters or lone surrogates.
    """
    fields = {"vision": vision}
    errors: dict = {}
    _text(fields, "vision", errors, limit=catalog.VISION_MAX)
    if errors:
        raise InvalidInput(fields=errors)
    return catalog.product_update(product_id=product_id, actor=actor, vision=fields["vision"])
