"""The checks every go-to-market service shares: text, dates, money, owners, links within a product.

Each adds its message to `errors` (field → message) so a service reports every bad field at once
(InvalidInput(fields=errors)); none raises on its own.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model

from roadmap.services.items import DATE_MESSAGE, DATE_YEARS

TITLE_MAX = 200
TEXT_MAX = 20_000
MONEY_MAX = Decimal("999999999999.99")  # the columns' 14 digits, 2 places


def text(fields: dict, name: str, errors: dict, *, limit: int = TITLE_MAX, required: str = "") -> None:
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
    if "\x00" in value:
        errors[name] = "Text without NUL characters."
    elif required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = f"At most {limit:,} characters."


def choice(fields: dict, name: str, choices, errors: dict) -> None:
    if name in fields and fields[name] not in choices:
        errors[name] = f"Use one of {', '.join(str(c) for c in choices)}."


def dates(fields: dict, names, errors: dict) -> None:
    """Each of `names` present is None or a date between DATE_YEARS (the roadmap's rule)."""
    for name in names:
        if name not in fields or fields[name] is None:
            continue
        value = fields[name]
        if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
            errors[name] = "A date (YYYY-MM-DD)."
        elif not DATE_YEARS[0] <= value.year <= DATE_YEARS[1]:
            errors[name] = DATE_MESSAGE


def ordered(start, end, errors: dict, *, end_name: str = "end_date", message: str = "") -> None:
    """`end` on or after `start` when both are dates (message on `end_name`)."""
    if isinstance(start, datetime.date) and isinstance(end, datetime.date) and end < start and end_name not in errors:
        errors[end_name] = message or "On or after the start date."


def money(fields: dict, name: str, errors: dict) -> None:
    """A non-negative amount with at most two decimal places, within the column."""
    if name not in fields:
        return
    value = fields[name]
    if value is None:
        value = Decimal(0)
    if isinstance(value, bool):
        errors[name] = "An amount."
        return
    try:
        value = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[name] = "An amount."
        return
    if not value.is_finite():
        errors[name] = "An amount."
    elif value < 0:
        errors[name] = "Zero or more."
    elif value > MONEY_MAX:
        errors[name] = f"At most {MONEY_MAX:,}."
    elif value != value.quantize(Decimal("0.01")):
        errors[name] = "At most two decimal places."
    else:
        fields[name] = value


def member(fields: dict, name: str, portfolio_id: int, errors: dict) -> None:
    """`fields[name]` (a user or None) is a member of the portfolio."""
    user = fields.get(name)
    if user is None:
        return
    if not get_user_model().objects.filter(pk=user.pk, memberships__portfolio_id=portfolio_id).exists():
        errors[name] = f"{user.get_username()} is not a member of this portfolio."


def same_product(fields: dict, name: str, product_id: int, errors: dict, *, what: str) -> None:
    """A linked row (`fields[name]`, with a `product_id`) belongs to the same product."""
    row = fields.get(name)
    if row is not None and row.product_id != product_id:
        errors[name] = f"Choose {what} of the same product."


def same_portfolio(fields: dict, name: str, portfolio_id: int, errors: dict, *, what: str) -> None:
    """A linked portfolio-level row (a segment, a persona, a product; or a list of them) is this portfolio's."""
    value = fields.get(name)
    rows = value if isinstance(value, list | tuple | set) else [value]
    if any(row is not None and row.portfolio_id != portfolio_id for row in rows):
        errors[name] = f"Choose {what} of this portfolio."
