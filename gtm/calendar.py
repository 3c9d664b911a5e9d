"""The launch calendar: the dated go-to-market work of a portfolio, one entry per object and day range.

One reader for the API (`GET /api/v1/calendar/`), the month page and its downloads, and the secret
iCalendar feed: `entries()` collects, in six queries whatever their number, every

- launch (`launch`): a launch plan on its launch date;
- launch task (`launch_task`): a task on its due date (tasks without one are not on the calendar);
- campaign (`campaign`): from its start to its end date;
- event (`event`): a trade show, conference, … from its start to its end date;
- press item (`press_item`): on its publish date (undated drafts are not on it)

that overlaps a window of days (both ends included: a campaign that spans the window is in it).

Cancelled work is marked, not hidden: a cancelled launch plan or campaign keeps its entry with status
`cancelled` (iCalendar STATUS:CANCELLED), so people who planned around it see it was called off. The
tasks of a cancelled plan leave the calendar: nothing is due any more.

An event belongs to the portfolio and may name several products: its `product` is null and `products`
lists them (every other entry has one product, in both). A product filter keeps the events that name it.

`ics()` writes entries as an iCalendar (RFC 5545) with the `icalendar` library (escaping, folding, CRLF):
one all-day VEVENT per entry, DTEND the day after the last (exclusive), a UID stable across downloads
(`launch_plan-12@pmflow`), DTSTAMP and LAST-MODIFIED the object's last change (no METHOD: a published
calendar), so the same data gives the same bytes and the feed's ETag holds while nothing changes.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime
import functools
from dataclasses import dataclass, field

import icalendar
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from gtm.models import Campaign, LaunchPlan, LaunchTask, MarketingEvent, PressItem
from gtm.selectors import is_overdue
from roadmap.timeline import add_months

LAUNCH, LAUNCH_TASK, CAMPAIGN, EVENT, PRESS_ITEM = "launch", "launch_task", "campaign", "event", "press_item"
KINDS = (LAUNCH, LAUNCH_TASK, CAMPAIGN, EVENT, PRESS_ITEM)
KIND_LABELS = {
    LAUNCH: "Launch",
    LAUNCH_TASK: "Task",
    CAMPAIGN: "Campaign",
    EVENT: "Event",
    PRESS_ITEM: "Press",
}
KIND_CHOICES = [(kind, KIND_LABELS[kind]) for kind in KINDS]
# What a calendar app shows before the title ("Due: Brief the press").
SUMMARY_PREFIX = {LAUNCH: "Launch", LAUNCH_TASK: "Due", CAMPAIGN: "Campaign", EVENT: "Event", PRESS_ITEM: "Press"}
# The object type of each kind, as the audit API names it: the UID's first part.
OBJECT_TYPES = {
    LAUNCH: "launch_plan",
    LAUNCH_TASK: "launch_task",
    CAMPAIGN: "campaign",
    EVENT: "event",
    PRESS_ITEM: "press_item",
}
KIND_ORDER = {kind: position for position, kind in enumerate(KINDS)}
CANCELLED = "cancelled"

WINDOW_MONTHS = 13  # the longest window the API answers (a year and a month either side of it)
FEED_MONTHS_BACK, FEED_MONTHS_AHEAD = 3, 12  # what the subscription feed covers around today
PRODID = "-//pmflow//Launch calendar//EN"
UID_DOMAIN = "pmflow"


@dataclass
class Entry:
    """One dated piece of go-to-market work. `date`..`end_date` are both included (equal for one day)."""

    kind: str
    object_id: int
    title: str
    date: datetime.date
    end_date: datetime.date
    product_id: int | None
    products: list = field(default_factory=list)  # [(id, name)]
    status: str | None = None
    status_label: str = ""
    detail: str = ""
    url: str = ""
    overdue: bool = False
    updated_at: datetime.datetime | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def uid(self) -> str:
        return f"{OBJECT_TYPES[self.kind]}-{self.object_id}@{UID_DOMAIN}"

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def spans(self) -> bool:
        return self.end_date > self.date

    @property
    def product_names(self) -> str:
        return ", ".join(name for _, name in self.products)

    @property
    def summary(self) -> str:
        """The title as a calendar app shows it: "Launch: Nova", "Due: Brief the press"."""
        cancelled = " (cancelled)" if self.cancelled else ""
        return f"{SUMMARY_PREFIX[self.kind]}{cancelled}: {self.title}"

    def as_json(self) -> dict:
        return {
            "date": self.date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "kind": self.kind,
            "title": self.title,
            "object_id": self.object_id,
            "product": self.product_id,
            "products": [product_id for product_id, _ in self.products],
            "status": self.status,
            "overdue": self.overdue,
            "detail": self.detail,
            "url": self.url,
        }


# --- windows -------------------------------------------------------------------------------------------


def month_window(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the month of `day`."""
    return day.replace(day=1), day.replace(day=month_calendar.monthrange(day.year, day.month)[1])


def months_later(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day where it is shorter), held within year 9999."""
    first = add_months(day, months)
    return first.replace(day=min(day.day, month_calendar.monthrange(first.year, first.month)[1]))


def window_limit(first: datetime.date) -> datetime.date:
    """The last day a window starting on `first` may reach (WINDOW_MONTHS months, less a day)."""
    if first.year * 12 + first.month - 1 + WINDOW_MONTHS > 9999 * 12 + 11:
        return datetime.date.max  # the calendar ends before the limit does
    return months_later(first, WINDOW_MONTHS) - datetime.timedelta(days=1)


def feed_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """What the subscription feed covers: from the first of the month three months back to the end of
    the month twelve months ahead."""
    first = add_months(today, -FEED_MONTHS_BACK)
    return first, month_window(add_months(today, FEED_MONTHS_AHEAD))[1]


# --- links -----------------------------------------------------------------------------------------------


@functools.cache
def _route(*names: str) -> str | None:
    """The first of `names` that is a page taking one id, or None. (Only page names: the API's routes
    are called `<basename>-detail`.)"""
    for name in names:
        try:
            reverse(name, args=[1])
        except NoReverseMatch:
            continue
        return name
    return None


def _object_url(detail_names: tuple[str, ...], object_id: int, list_name: str, portfolio_id: int, product_id=None):
    """The object's page where one exists, else its list (narrowed to the product)."""
    name = _route(*detail_names)
    if name is not None:
        return reverse(name, args=[object_id])
    url = reverse(list_name, args=[portfolio_id])
    return f"{url}?product={product_id}" if product_id else url


def _with_product(detail: str, product_name: str) -> str:
    return f"{detail} · {product_name}" if detail else product_name


# --- collecting -------------------------------------------------------------------------------------------


def entries(
    portfolio,
    *,
    first: datetime.date,
    last: datetime.date,
    today: datetime.date,
    product_id: int | None = None,
    kinds=None,
) -> list[Entry]:
    """The portfolio's entries overlapping `first`..`last` (both included), ordered by date, kind, title.

    `product_id` keeps one product's entries (and the events naming it); `kinds` a subset of KINDS.
    Overdue tasks (due before `today`, not done) are marked. Six queries at most, whatever the number.
    """
    wanted = set(kinds or KINDS)
    found: list[Entry] = []
    if LAUNCH in wanted:
        found += _launches(portfolio, first, last, product_id)
    if LAUNCH_TASK in wanted:
        found += _launch_tasks(portfolio, first, last, product_id, today)
    if CAMPAIGN in wanted:
        found += _campaigns(portfolio, first, last, product_id)
    if EVENT in wanted:
        found += _events(portfolio, first, last, product_id)
    if PRESS_ITEM in wanted:
        found += _press_items(portfolio, first, last, product_id)
    found.sort(key=lambda e: (e.date, KIND_ORDER[e.kind], e.title.casefold(), e.object_id))
    return found


def _product_scope(portfolio, product_id, path: str = "product") -> Q:
    condition = Q(**{f"{path}__portfolio": portfolio})
    if product_id is not None:
        condition &= Q(**{path: product_id})
    return condition


def _launches(portfolio, first, last, product_id) -> list[Entry]:
    plans = (
        LaunchPlan.objects.filter(_product_scope(portfolio, product_id), launch_date__range=(first, last))
        .select_related("product")
        .order_by()
    )
    return [
        Entry(
            kind=LAUNCH,
            object_id=plan.id,
            title=plan.name,
            date=plan.launch_date,
            end_date=plan.launch_date,
            product_id=plan.product_id,
            products=[(plan.product_id, plan.product.name)],
            status=plan.status,
            status_label=plan.get_status_display(),
            detail=_with_product(f"Tier {plan.tier} launch", plan.product.name),
            url=reverse("launch-plan-page", args=[plan.id]),
            updated_at=plan.updated_at,
        )
        for plan in plans
    ]


def _launch_tasks(portfolio, first, last, product_id, today) -> list[Entry]:
    tasks = (
        LaunchTask.objects.filter(
            _product_scope(portfolio, product_id, "launch_plan__product"), due_date__range=(first, last)
        )
        .exclude(launch_plan__status=LaunchPlan.Status.CANCELLED)
        .select_related("launch_plan__product")
        .order_by()
    )
    return [
        Entry(
            kind=LAUNCH_TASK,
            object_id=task.id,
            title=task.title,
            date=task.due_date,
            end_date=task.due_date,
            product_id=task.launch_plan.product_id,
            products=[(task.launch_plan.product_id, task.launch_plan.product.name)],
            status=task.status,
            status_label=task.get_status_display(),
            detail=f"{task.launch_plan.name} · {task.get_function_display()}",
            url=reverse("launch-plan-page", args=[task.launch_plan_id]) + f"#task-{task.id}",
            overdue=is_overdue(task, today),
            updated_at=task.updated_at,
        )
        for task in tasks
    ]


def _campaigns(portfolio, first, last, product_id) -> list[Entry]:
    campaigns = (
        Campaign.objects.filter(_product_scope(portfolio, product_id), start_date__lte=last, end_date__gte=first)
        .select_related("product")
        .order_by()
    )
    return [
        Entry(
            kind=CAMPAIGN,
            object_id=campaign.id,
            title=campaign.name,
            date=campaign.start_date,
            end_date=campaign.end_date,
            product_id=campaign.product_id,
            products=[(campaign.product_id, campaign.product.name)],
            status=campaign.status,
            status_label=campaign.get_status_display(),
            detail=_with_product(campaign.get_channel_display(), campaign.product.name),
            url=_object_url(("campaign-page",), campaign.id, "campaign-list", portfolio.id, campaign.product_id),
            updated_at=campaign.updated_at,
        )
        for campaign in campaigns
    ]


def _events(portfolio, first, last, product_id) -> list[Entry]:
    events = MarketingEvent.objects.filter(portfolio=portfolio, start_date__lte=last, end_date__gte=first)
    if product_id is not None:
        events = events.filter(products=product_id)
    events = events.prefetch_related("products").order_by()
    found = []
    for event in events:
        products = sorted(((p.id, p.name) for p in event.products.all()), key=lambda p: (p[1].casefold(), p[0]))
        detail = " · ".join(part for part in (event.get_kind_display(), event.location) if part)
        found.append(
            Entry(
                kind=EVENT,
                object_id=event.id,
                title=event.name,
                date=event.start_date,
                end_date=event.end_date,
                product_id=None,
                products=products,
                status=None,
                detail=detail,
                url=_object_url(("event-page",), event.id, "event-list", portfolio.id),
                updated_at=event.updated_at,
            )
        )
    return found


def _press_items(portfolio, first, last, product_id) -> list[Entry]:
    items = (
        PressItem.objects.filter(_product_scope(portfolio, product_id), publish_date__range=(first, last))
        .select_related("product")
        .order_by()
    )
    return [
        Entry(
            kind=PRESS_ITEM,
            object_id=item.id,
            title=item.title,
            date=item.publish_date,
            end_date=item.publish_date,
            product_id=item.product_id,
            products=[(item.product_id, item.product.name)],
            status=item.status,
            status_label=item.get_status_display(),
            detail=_with_product(
                " · ".join(part for part in (item.get_kind_display(), item.channel) if part), item.product.name
            ),
            url=_object_url(
                ("press-item-page", "press-page"),
                item.id,
                "press-list",
                portfolio.id,
                item.product_id,
            ),
            updated_at=item.updated_at,
        )
        for item in items
    ]


# --- downloads -------------------------------------------------------------------------------------------

CSV_HEADER = ["date", "end_date", "kind", "title", "product", "status", "url"]


def csv_rows(found: list[Entry], absolute) -> list[tuple]:
    """The CSV's rows: `absolute(path)` makes each link one a spreadsheet opens."""
    return [
        (
            e.date.isoformat(),
            e.end_date.isoformat(),
            e.kind,
            e.title,
            e.product_names,
            e.status or "",
            absolute(e.url),
        )
        for e in found
    ]


def calendar_name(portfolio) -> str:
    return f"{portfolio.name} · launch calendar"


def ics(found: list[Entry], *, name: str, absolute) -> bytes:
    """The entries as an iCalendar; `absolute(path)` turns each entry's link into a full URL."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # X- properties are TEXT: vText escapes commas, semicolons and line breaks as TEXT needs.
    cal.add("name", icalendar.vText(name))
    cal.add("x-wr-calname", icalendar.vText(name))
    cal.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(datetime.timedelta(hours=1)))
    for entry in found:
        cal.add_component(_vevent(entry, absolute))
    return cal.to_ical()


def _vevent(entry: Entry, absolute) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("dtstart", entry.date)  # a date: VALUE=DATE, an all-day entry
    last = entry.end_date
    event.add("dtend", last if last == datetime.date.max else last + datetime.timedelta(days=1))
    stamp = entry.updated_at or datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    stamp = stamp.astimezone(datetime.UTC).replace(microsecond=0)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("summary", entry.summary)
    url = absolute(entry.url)
    event.add("url", url)
    lines = [entry.detail]
    if entry.kind == EVENT and entry.products:
        lines.append(f"Products: {entry.product_names}")
    if entry.status_label:
        lines.append(f"Status: {entry.status_label}")
    lines.append(url)
    event.add("description", "\n".join(line for line in lines if line))
    event.add("categories", [entry.kind_label])
    event.add("transp", "TRANSPARENT")  # a launch on the calendar does not make anyone busy
    if entry.cancelled:
        event.add("status", "CANCELLED")
    return event
