"""The product status book: the product manager's daily log, and the balance of their time.

- An entry is one line of work: a product of the portfolio, a day, a category (daily business, short-term,
  long-term), minutes (1–1,440: one day at most) and what was done. Its author is the person who wrote it
  (an admin or product manager of the portfolio); only the author or an admin of the portfolio changes or
  deletes it (NotAllowed otherwise). The day is from 1900 up to tomorrow in the portfolio's time zone (a
  colleague east of it may already be there); today there when left out.
- The balance compares a person's minutes per category over a period with the recommended ranges
  (RANGES: daily 40–55 %, short-term 20–30 %, long-term 15–25 %): shares in percent rounded half up to
  two decimals, in range when the rounded share is within the range, both ends included. With nothing
  logged every share is 0 and none is in range. One aggregate query; the weekly trend is one more.
- A period is at most PERIOD_MAX_DAYS days, `to` on or after `from`; by default the last four weeks
  ending today in the portfolio's time zone.

Every write runs in one transaction, locks the row it changes and records one domain event
(`status_book_entry.created`, `.updated`, `.deleted`). Bad input is InvalidInput with a message per field
(400); nothing is written.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from pmflow import access
from pmflow.access import READ, WRITE, object_for_user
from pmflow.errors import InvalidInput, NotAllowed, NotFound
from products import events
from products.models import Portfolio, Product, Role, StatusBookEntry

ENTRY_FIELDS = ("product", "date", "category", "minutes", "text")
CATEGORIES = [category.value for category in StatusBookEntry.Category]
CATEGORY_LABELS = dict(StatusBookEntry.Category.choices)
MINUTES_MAX = 1440  # a day; the model's constraint
TEXT_MAX = 5_000
FIRST_YEAR = 1900
LAST_YEAR = 2200  # of a period asked for (the roadmap's years)
PERIOD_MAX_DAYS = 366
DEFAULT_DAYS = 28  # four weeks ending today
WRITER_ROLES = frozenset({Role.ADMIN, Role.PRODUCT_MANAGER})

# The recommended split of a product manager's time, in percent of the minutes logged.
RANGES = {
    StatusBookEntry.Category.DAILY: (40, 55),
    StatusBookEntry.Category.SHORT_TERM: (20, 30),
    StatusBookEntry.Category.LONG_TERM: (15, 25),
}
# What to do about a share out of its range: (below, above).
ADVICE = {
    StatusBookEntry.Category.DAILY: (
        "Little daily business: check that sales support, customer questions and the status book are not left behind.",
        "Too much daily business: block time for long-term work.",
    ),
    StatusBookEntry.Category.SHORT_TERM: (
        "Little short-term work: plan the next campaigns, trade shows and the annual marketing plan.",
        "Short-term work crowds out the rest: hand event and campaign coordination to marketing where you can.",
    ),
    StatusBookEntry.Category.LONG_TERM: (
        "Too little long-term work: block time for strategy, new products and the user experience.",
        "Long-term work takes more than its share: make sure daily business is covered.",
    ),
}
NOTHING_LOGGED = "Nothing logged in this period: every share is 0 and none is in its range."
DATE_MESSAGE = f"A day from {FIRST_YEAR} up to tomorrow, as YYYY-MM-DD."
MINUTES_MESSAGE = f"Whole minutes from 1 to {MINUTES_MAX:,} (one day)."


def today_in(portfolio: Portfolio) -> datetime.date:
    return timezone.localdate(timezone=portfolio.zone)


def latest_day(portfolio: Portfolio) -> datetime.date:
    """The latest day an entry may have: tomorrow in the portfolio's time zone."""
    return today_in(portfolio) + datetime.timedelta(days=1)


# --- checks: each adds a message per field to `errors`, none raises -----------------------------------


def _text(fields: dict, errors: dict) -> None:
    if "text" not in fields:
        return
    value = "" if fields["text"] is None else fields["text"]
    if not isinstance(value, str):
        errors["text"] = "Text."
        return
    value = value.strip()
    fields["text"] = value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors["text"] = "Text without lone surrogates."
        return
    if "\x00" in value:
        errors["text"] = "Text without NUL characters."
    elif not value:
        errors["text"] = "What did you work on? E.g. “Pricing call with sales for the Q3 deals.”"
    elif len(value) > TEXT_MAX:
        errors["text"] = f"At most {TEXT_MAX:,} characters."


def _minutes(fields: dict, errors: dict) -> None:
    if "minutes" not in fields:
        return
    value = fields["minutes"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MINUTES_MAX:
        errors["minutes"] = MINUTES_MESSAGE


def _date(fields: dict, portfolio: Portfolio, errors: dict) -> None:
    if "date" not in fields:
        return
    value = fields["date"]
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors["date"] = "The day of the work, as YYYY-MM-DD."
    elif value.year < FIRST_YEAR:
        errors["date"] = DATE_MESSAGE
    elif value > latest_day(portfolio):
        errors["date"] = "Not in the future: the day of the work, today at the latest."


def entry_check(fields: dict, portfolio: Portfolio, errors: dict) -> None:
    """Check (and normalise in place) the given fields of an entry of `portfolio`."""
    product = fields.get("product")
    if "product" in fields and (not isinstance(product, Product) or product.portfolio_id != portfolio.id):
        errors["product"] = "Choose a product of this portfolio."
    if "category" in fields and fields["category"] not in CATEGORIES:
        errors["category"] = f"Use one of {', '.join(CATEGORIES)}."
    _minutes(fields, errors)
    _date(fields, portfolio, errors)
    _text(fields, errors)


def _check_names(fields: dict) -> None:
    unknown = set(fields) - set(ENTRY_FIELDS)
    if unknown:
        raise TypeError(f"not status book fields: {sorted(unknown)}")


def may_change(user, entry: StatusBookEntry, portfolio_id: int) -> bool:
    """Its author (while they may write in the portfolio) or an admin of the portfolio."""
    role = access.role_in(user, portfolio_id)
    if role == Role.ADMIN:
        return True
    return role in WRITER_ROLES and entry.author_id == getattr(user, "pk", None)


def _require_author_or_admin(user, entry: StatusBookEntry, portfolio_id: int) -> None:
    if not may_change(user, entry, portfolio_id):
        raise NotAllowed("Only its author or an admin of the portfolio changes a status book entry.")


# --- writes -------------------------------------------------------------------------------------------


def status_book_entry_create(*, product: Product, author, actor=None, **fields) -> StatusBookEntry:
    """Log `minutes` of work on `product` for `author` (an admin or product manager of its portfolio).

    Raises InvalidInput: no text, minutes outside 1–1,440, a category not of CATEGORIES, a day after
    tomorrow or before 1900, an author who does not write in the portfolio.
    """
    _check_names(fields)
    portfolio = product.portfolio
    fields = {"category": StatusBookEntry.Category.DAILY, "date": None, **fields, "product": product}
    fields.setdefault("text", "")
    if fields["date"] is None:
        fields["date"] = today_in(portfolio)
    errors: dict = {}
    entry_check(fields, portfolio, errors)
    author_id = getattr(author, "pk", None)
    writes_here = (
        author_id is not None and portfolio.memberships.filter(user_id=author_id, role__in=list(WRITER_ROLES)).exists()
    )
    if not writes_here:
        errors["author"] = "An admin or product manager of this portfolio."
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        entry = StatusBookEntry.objects.create(author=author, **fields)
        events.record(
            portfolio_id=portfolio.id,
            actor=actor,
            verb="status_book_entry.created",
            obj=entry,
            changes={
                "product": [None, entry.product_id],
                "author": [None, author_id],
                "date": [None, entry.date],
                "category": [None, entry.category],
                "minutes": [None, entry.minutes],
                "text": [None, entry.text],
            },
        )
    return entry


def _locked(entry_id: int) -> StatusBookEntry:
    entry = (
        StatusBookEntry.objects.select_for_update(of=("self",))
        .filter(pk=entry_id)
        .select_related("product__portfolio")
        .first()
    )
    if entry is None:
        raise NotFound()
    return entry


def status_book_entry_update(*, entry_id: int, actor, check_author: bool = True, **fields) -> StatusBookEntry:
    """Change an entry; it may move to another product of the same portfolio. Only its author or an admin
    of the portfolio may (`check_author=False`: the Django admin, whose own permissions decide).

    Raises NotFound, NotAllowed, and InvalidInput as `status_book_entry_create`.
    """
    _check_names(fields)
    fields = dict(fields)
    with transaction.atomic():
        entry = _locked(entry_id)
        portfolio = entry.product.portfolio
        if check_author:
            _require_author_or_admin(actor, entry, portfolio.id)
        errors: dict = {}
        entry_check(fields, portfolio, errors)
        if errors:
            raise InvalidInput(fields=errors)
        events.save_changes(entry, fields, portfolio_id=portfolio.id, actor=actor, verb="status_book_entry.updated")
    return entry


def status_book_entry_delete(*, entry_id: int, actor, check_author: bool = True) -> str:
    """Delete an entry (its author or an admin of the portfolio). Returns its label.

    Raises NotFound, NotAllowed."""
    with transaction.atomic():
        entry = _locked(entry_id)
        portfolio_id = entry.product.portfolio_id
        if check_author:
            _require_author_or_admin(actor, entry, portfolio_id)
        label = str(entry)
        events.record(
            portfolio_id=portfolio_id,
            actor=actor,
            verb="status_book_entry.deleted",
            obj=entry,
            data={
                "product": entry.product_id,
                "author": entry.author_id,
                "date": entry.date.isoformat(),
                "category": entry.category,
                "minutes": entry.minutes,
            },
        )
        entry.delete()
    return label


# --- lookups the pages and the API share --------------------------------------------------------------


def entry_rows():
    """Entries with their product and author joined: a list of any length costs one query."""
    return StatusBookEntry.objects.select_related("product", "author")


def entry_for_user(user, entry_id, *, write: bool = False) -> StatusBookEntry:
    """One entry of the user's portfolios: NotFound for missing and foreign alike; with `write`, NotAllowed
    for a role that may not write and for anyone but its author or an admin."""
    entry = object_for_user(
        user, entry_rows().select_related("product__portfolio"), entry_id, action=WRITE if write else READ
    )
    if write:
        _require_author_or_admin(user, entry, entry.access_portfolio_id)
    return entry


def writers_of(portfolio: Portfolio):
    """The people who may keep a status book in the portfolio (its admins and product managers)."""
    return (
        get_user_model()
        .objects.filter(memberships__portfolio=portfolio, memberships__role__in=list(WRITER_ROLES))
        .order_by("username")
    )


def members_of(portfolio: Portfolio):
    """Every member of the portfolio, by username: whose book or balance to show."""
    return get_user_model().objects.filter(memberships__portfolio=portfolio).order_by("username")


# --- periods ------------------------------------------------------------------------------------------


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last four weeks ending `today` (28 days, today included)."""
    return today - datetime.timedelta(days=DEFAULT_DAYS - 1), today


def period_check(first: datetime.date, last: datetime.date, errors: dict) -> None:
    """`to` on or after `from`, at most PERIOD_MAX_DAYS days (both included)."""
    if last < first:
        errors["to"] = "On or after the first day (`from`)."
    elif (last - first).days + 1 > PERIOD_MAX_DAYS:
        errors["to"] = f"A period of at most {PERIOD_MAX_DAYS} days."


def period_of(first, last, *, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period asked for, checked. Both ends None: the last four weeks ending `today`; one end alone:
    the four weeks from it or up to it.

    Raises InvalidInput on `from` or `to` (a year outside FIRST_YEAR–LAST_YEAR, `to` before `from`, more
    than PERIOD_MAX_DAYS days)."""
    errors: dict = {}
    for name, value in (("from", first), ("to", last)):
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            errors[name] = f"A day from {FIRST_YEAR} to {LAST_YEAR}, as YYYY-MM-DD."
    if errors:
        raise InvalidInput(fields=errors)
    span = datetime.timedelta(days=DEFAULT_DAYS - 1)
    if first is None and last is None:
        first, last = default_period(today)
    elif first is None:
        first = last - span
    elif last is None:
        last = first + span
    period_check(first, last, errors)
    if errors:
        raise InvalidInput(fields=errors)
    return first, last


# --- the balance --------------------------------------------------------------------------------------

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def share_of(minutes: int, total: int) -> Decimal:
    """Percent of `total`, rounded half up to two decimals (0 when nothing is logged)."""
    if not total:
        return Decimal("0.00")
    return (Decimal(minutes) * HUNDRED / Decimal(total)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class CategoryShare:
    category: str
    minutes: int
    share: Decimal
    range: tuple[int, int]
    in_range: bool
    total: int = 0

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def direction(self) -> str:
        """ "below", "above", "" (in range), or "none" (nothing logged)."""
        if not self.total:
            return "none"
        if self.in_range:
            return ""
        return "below" if self.share < self.range[0] else "above"

    @property
    def advice(self) -> str:
        below, above = ADVICE[self.category]
        return {"below": below, "above": above}.get(self.direction, "")

    def as_dict(self) -> dict:
        return {"minutes": self.minutes, "share": self.share, "range": list(self.range), "in_range": self.in_range}


@dataclass
class Balance:
    total_minutes: int
    shares: list[CategoryShare] = field(default_factory=list)

    @property
    def out_of_range(self) -> list[CategoryShare]:
        return [share for share in self.shares if self.total_minutes and not share.in_range]

    def __getitem__(self, category: str) -> CategoryShare:
        for share in self.shares:
            if share.category == category:
                return share
        raise KeyError(category)  # templates look attributes up as keys first

    def as_dict(self) -> dict:
        return {"total_minutes": self.total_minutes, **{share.category: share.as_dict() for share in self.shares}}


def balance_from(minutes: dict[str, int]) -> Balance:
    """The balance of minutes per category (missing ones are 0)."""
    total = sum(minutes.get(category, 0) or 0 for category in CATEGORIES)
    shares = []
    for category in CATEGORIES:
        spent = minutes.get(category, 0) or 0
        share = share_of(spent, total)
        low, high = RANGES[category]
        shares.append(
            CategoryShare(
                category=category,
                minutes=spent,
                share=share,
                range=(low, high),
                in_range=bool(total) and low <= share <= high,
                total=total,
            )
        )
    return Balance(total_minutes=total, shares=shares)


def _sums() -> dict:
    return {category: Sum("minutes", filter=Q(category=category)) for category in CATEGORIES}


def entries_in(queryset, *, first: datetime.date, last: datetime.date, author=None, product=None):
    """`queryset` (entries, already scoped) narrowed to a period, an author and a product."""
    queryset = queryset.filter(date__gte=first, date__lte=last)
    if author is not None:
        queryset = queryset.filter(author=author)
    if product is not None:
        queryset = queryset.filter(product=product)
    return queryset


def balance(queryset) -> Balance:
    """The balance of `queryset`'s entries: one aggregate query."""
    return balance_from(queryset.order_by().aggregate(**_sums()))


@dataclass
class WeekShare:
    week_start: datetime.date
    balance: Balance

    @property
    def label(self) -> str:
        year, week, _ = self.week_start.isocalendar()
        return f"{year}-W{week:02d}"

    def as_dict(self) -> dict:
        return {"week_start": self.week_start, "week": self.label, **self.balance.as_dict()}


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def weekly_trend(queryset, *, first: datetime.date, last: datetime.date) -> list[WeekShare]:
    """The balance of each ISO week (Monday first) the period touches, empty weeks included: one query."""
    rows = (
        queryset.order_by()
        .annotate(week=TruncWeek("date"))
        .values("week", "category")
        .annotate(spent=Sum("minutes"))
        .values_list("week", "category", "spent")
    )
    found: dict[datetime.date, dict[str, int]] = {}
    for week, category, spent in rows:
        day = week.date() if isinstance(week, datetime.datetime) else week
        found.setdefault(day, {})[category] = spent
    weeks = []
    monday = week_start(first)
    while monday <= last:
        weeks.append(WeekShare(week_start=monday, balance=balance_from(found.get(monday, {}))))
        monday += datetime.timedelta(days=7)
    return weeks


# --- CSV ----------------------------------------------------------------------------------------------

CSV_COLUMNS = ["id", "date", "product", "author", "category", "minutes", "text"]


def csv_row(entry: StatusBookEntry) -> list:
    return [
        entry.id,
        entry.date.isoformat(),
        entry.product.name,
        entry.author.get_username(),
        entry.category,
        entry.minutes,
        entry.text,
    ]


def minutes_text(minutes: int) -> str:
    """1 h 30 min · 45 min · 12 h: as a person reads a duration."""
    hours, rest = divmod(int(minutes or 0), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"
