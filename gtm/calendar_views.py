"""The launch calendar pages: a month grid of a portfolio's launches, tasks, campaigns, events and press
items (`?month=YYYY-MM&product=&kind=`), its CSV and .ics downloads, the member's feed address, and the
public feed itself (`calendar/<token>.ics`, for calendar apps, which cannot sign in).

The month grid starts on Monday (ISO weeks, as the portfolio's rollups do). An entry of several days (a
campaign, an event) is one bar across the days it covers in each week, in a lane of its own above the
single-day chips; on a phone the grid becomes a list of the days that have something. Entries come from
gtm.calendar (six queries whatever their number).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe

from gtm import calendar
from gtm.models import CalendarFeed, LaunchPlan
from gtm.selectors import today_in
from gtm.services import feeds
from pmflow import access
from pmflow.api import representation_etag
from pmflow.errors import NotFound
from pmflow.forms import csv_download
from products.models import Product
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user, product_for_user
from roadmap.page_tools import product_list_url
from roadmap.services.items import DATE_YEARS
from roadmap.timeline import add_months, parse_month

MAX_LANES = 8  # bars a week shows in lanes; more (rare) are listed on their first day instead
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FEED_CACHE_SECONDS = 300


class CalendarFilter(forms.Form):
    month = forms.CharField(
        required=False,
        label="Month",
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}),
    )
    product = forms.ChoiceField(required=False, label="Product")
    kind = forms.MultipleChoiceField(
        required=False, label="Show", choices=calendar.KIND_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, data, *, products, **kwargs):
        super().__init__(data, label_suffix="", **kwargs)
        self.fields["product"].choices = [("", "All products"), *((p.pk, p.name) for p in products)]

    def clean_month(self):
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError("Enter a month as YYYY-MM, e.g. 2026-03.")
        if not DATE_YEARS[0] <= month.year <= DATE_YEARS[1]:
            raise forms.ValidationError(f"Pick a month from {DATE_YEARS[0]}-01 to {DATE_YEARS[1]}-12.")
        return month


# --- the month grid -----------------------------------------------------------------------------------


@dataclass
class Day:
    date: datetime.date
    column: int  # 1 (Monday) to 7
    in_month: bool
    today: bool
    chips: list = field(default_factory=list)  # single-day entries, and bars beyond MAX_LANES
    bars: list = field(default_factory=list)  # bars that start in this week on this day


@dataclass
class Bar:
    entry: calendar.Entry
    column: int
    width: int
    lane: int
    from_before: bool  # began in an earlier week
    goes_on: bool  # ends in a later week


@dataclass
class Week:
    days: list
    lanes: int = 0

    @property
    def rows(self) -> int:
        """Grid rows: the dates, one per lane, the chips."""
        return self.lanes + 2


def month_grid(found: list[calendar.Entry], month: datetime.date, today: datetime.date) -> list[Week]:
    """The weeks (Monday to Sunday) that hold the month, each day with its chips and each week with its
    bars laid out in lanes (a bar keeps a lane through the week; one carried over keeps its order)."""
    first, last = calendar.month_window(month)
    start = first - datetime.timedelta(days=first.weekday())
    weeks = []
    while start <= last:
        days = [
            Day(date=day, column=i + 1, in_month=day.month == month.month, today=day == today)
            for i, day in enumerate(start + datetime.timedelta(days=n) for n in range(7))
        ]
        end = days[-1].date
        by_date = {day.date: day for day in days}
        bars = []
        for entry in found:
            if entry.end_date < start or entry.date > end:
                continue
            if not entry.spans:
                by_date[entry.date].chips.append(entry)
                continue
            begin, finish = max(entry.date, start), min(entry.end_date, end)
            bars.append(
                Bar(
                    entry=entry,
                    column=begin.weekday() + 1,
                    width=(finish - begin).days + 1,
                    lane=0,
                    from_before=entry.date < start,
                    goes_on=entry.end_date > end,
                )
            )
        week = Week(days=days)
        lane_ends: list[int] = []  # the last column each lane holds
        # By first column, then the earlier start, then the later end (the whole entry's dates, not this
        # week's part: bars carried over from last week keep their order among themselves, so mostly
        # their lanes).
        order = sorted(
            bars, key=lambda b: (b.column, b.entry.date, -b.entry.end_date.toordinal(), b.entry.kind, b.entry.object_id)
        )
        for bar in order:
            lane = next((n for n, end_column in enumerate(lane_ends) if end_column < bar.column), None)
            if lane is None and len(lane_ends) < MAX_LANES:
                lane_ends.append(0)
                lane = len(lane_ends) - 1
            if lane is None:
                days[bar.column - 1].chips.insert(0, bar.entry)
                continue
            lane_ends[lane] = bar.column + bar.width - 1
            bar.lane = lane + 1
            days[bar.column - 1].bars.append(bar)
        week.lanes = len(lane_ends)
        weeks.append(week)
        start = end + datetime.timedelta(days=1)
    return weeks


def agenda(found: list[calendar.Entry], month: datetime.date, today: datetime.date) -> list[dict]:
    """The month as a list of days that have something (and today): a bar is listed on its first day in
    the month, with its dates."""
    first, last = calendar.month_window(month)
    days: dict[datetime.date, list] = {}
    for entry in found:
        if entry.end_date < first or entry.date > last:
            continue
        days.setdefault(max(entry.date, first), []).append(entry)
    if first <= today <= last:
        days.setdefault(today, [])
    return [{"date": day, "today": day == today, "entries": days[day]} for day in sorted(days)]


# --- the page ------------------------------------------------------------------------------------------


def _scope(request, portfolio):
    """The product asked for (another portfolio's is a 404, as on the roadmap pages) and the products
    the filter offers."""
    product = None
    if request.GET.get("product"):
        product = product_for_user(request.user, request.GET["product"])
        if product.portfolio_id != portfolio.id:
            raise NotFound()
    products = list(Product.objects.filter(portfolio=portfolio, archived_at__isnull=True).order_by("name", "id"))
    if product is not None and product.pk not in {p.pk for p in products}:
        products.append(product)  # an archived product asked for by its id
    return product, products


def _query(request, **changes) -> str:
    query = request.GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    return query.urlencode()


@page
def launch_calendar(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    product, products = _scope(request, portfolio)
    data = request.GET.copy()
    if not data.getlist("kind"):  # no kind chosen: every kind, and the boxes say so
        data.setlist("kind", list(calendar.KINDS))
    form = CalendarFilter(data, products=products)
    valid = form.is_valid()
    wanted = form.cleaned_data
    today = today_in(portfolio)
    month = wanted.get("month") or today.replace(day=1)
    chosen = [k for k in (wanted.get("kind") or []) if k in calendar.KINDS]
    kinds = chosen if chosen and set(chosen) != set(calendar.KINDS) else None
    first, last = calendar.month_window(month)

    download = request.GET.get("format")
    if download in ("csv", "ics"):
        found = calendar.entries(
            portfolio, first=first, last=last, today=today, product_id=product.id if product else None, kinds=kinds
        )
        return _download(request, portfolio, product, month, found, download)

    # The grid shows the first and last weeks whole: the days of the months either side too.
    grid_first = first - datetime.timedelta(days=first.weekday())
    grid_last = last + datetime.timedelta(days=6 - last.weekday())
    found = calendar.entries(
        portfolio,
        first=grid_first,
        last=grid_last,
        today=today,
        product_id=product.id if product else None,
        kinds=kinds,
    )
    in_month = [e for e in found if e.end_date >= first and e.date <= last]
    previous_month = add_months(month, -1) if month.year > DATE_YEARS[0] or month.month > 1 else None
    next_month = add_months(month, 1) if month.year < DATE_YEARS[1] or month.month < 12 else None
    feed = CalendarFeed.objects.filter(user=request.user, portfolio=portfolio).first()
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Calendar", None)]
        if product is None
        else [
            ("Calendar", reverse("launch-calendar", args=[portfolio.id])),
            (product.name, None),
        ],
        section="calendar",
        tab="calendar",
        model=CalendarFeed,
        product=product,
        form=form,
        month=month,
        month_label=f"{month:%B %Y}",
        weeks=month_grid(found, month, today),
        weekdays=WEEKDAYS,
        agenda=agenda(found, month, today),
        counts=_counts(in_month),
        entry_total=len(in_month),
        today=today,
        this_month=today.replace(day=1),
        previous_query=_query(request, month=f"{previous_month:%Y-%m}", format=None) if previous_month else None,
        next_query=_query(request, month=f"{next_month:%Y-%m}", format=None) if next_month else None,
        today_query=_query(request, month=None, format=None),
        csv_query=_query(request, month=f"{month:%Y-%m}", format="csv"),
        ics_query=_query(request, month=f"{month:%Y-%m}", format="ics"),
        filtered=bool(kinds or product),
        clear_url=reverse("launch-calendar", args=[portfolio.id]) + f"?month={month:%Y-%m}",
        kind_labels=calendar.KIND_LABELS,
        feed=feed,
        feed_url=reverse("launch-calendar-feed-manage", args=[portfolio.id]),
        can_plan=access.can(request.user, LaunchPlan, portfolio.id),
        links={
            "launches": product_list_url("launch-board", portfolio.id, product.id if product else None),
            "campaigns": product_list_url("campaign-list", portfolio.id, product.id if product else None),
            "events": product_list_url("event-list", portfolio.id),
            "press": product_list_url("press-list", portfolio.id, product.id if product else None),
        },
    )
    return render(request, "gtm/calendar.html", context, status=200 if valid else 400)


def _counts(found) -> list[dict]:
    return [
        {"kind": kind, "label": calendar.KIND_LABELS[kind], "count": sum(1 for e in found if e.kind == kind)}
        for kind in calendar.KINDS
    ]


def _download(request, portfolio, product, month, found, download):
    name = f"calendar-{portfolio.id}-{month:%Y-%m}" + (f"-product-{product.id}" if product else "")
    if download == "csv":
        return csv_download(name, calendar.CSV_HEADER, calendar.csv_rows(found, request.build_absolute_uri))
    label = calendar.calendar_name(portfolio) + (f" · {product.name}" if product else "")
    body = calendar.ics(found, name=label, absolute=request.build_absolute_uri)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


# --- the member's feed address ----------------------------------------------------------------------------


@page
def calendar_feed_manage(request, portfolio_id: int):
    """POST `action`: `make` (or `reset`: a new address, the old one stops working) shows the address
    once; `revoke` deletes it. Every member may have one: reading the calendar is all it allows."""
    portfolio = portfolio_for_user(request.user, portfolio_id)
    access.require(request.user, CalendarFeed, portfolio.id)  # before the body is read
    calendar_url = reverse("launch-calendar", args=[portfolio.id])
    if request.method != "POST":
        return redirect(calendar_url + "#subscribe")
    action = request.POST.get("action")
    if action == "revoke":
        if feeds.calendar_feed_revoke(user=request.user, portfolio_id=portfolio.id):
            messages.success(request, "Your feed address is revoked: calendar apps using it get nothing any more.")
        else:
            messages.info(request, "You had no feed address for this portfolio.")
        return redirect(calendar_url + "#subscribe")
    if action not in ("make", "reset"):
        messages.error(request, "Choose to make, reset or revoke your feed address.")
        return redirect(calendar_url + "#subscribe")
    had_one = CalendarFeed.objects.filter(user=request.user, portfolio=portfolio).exists()
    _, token = feeds.calendar_feed_issue(user=request.user, portfolio_id=portfolio.id)
    address = request.build_absolute_uri(reverse("launch-calendar-feed", args=[token]))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Calendar", calendar_url), ("Your feed address", None)],
        section="calendar",
        tab="calendar",
        model=CalendarFeed,
        address=address,
        webcal=address.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1),
        reset=had_one,
        calendar_url=calendar_url,
        months_back=calendar.FEED_MONTHS_BACK,
        months_ahead=calendar.FEED_MONTHS_AHEAD,
    )
    response = render(request, "gtm/calendar_feed.html", context)
    add_never_cache_headers(response)  # the address is a secret: no cache keeps it
    return response


# --- the feed a calendar app reads ----------------------------------------------------------------------


@require_safe
def calendar_feed(request, token: str):
    """The launch calendar of the feed's portfolio, from three months back to twelve ahead. No sign-in:
    the address is the credential. 404 for an unknown token and for a user no longer a member."""
    feed = feeds.calendar_feed_for_token(token)
    if feed is None:
        raise Http404
    portfolio = feed.portfolio
    today = today_in(portfolio)
    first, last = calendar.feed_window(today)
    found = calendar.entries(portfolio, first=first, last=last, today=today)
    body = calendar.ics(found, name=calendar.calendar_name(portfolio), absolute=request.build_absolute_uri)
    feeds.calendar_feed_touch(feed)
    etag = representation_etag(body.decode("utf-8"))
    held = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in held or f"W/{etag}" in held:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="calendar-{portfolio.id}.ics"'
    response["ETag"] = etag
    patch_cache_control(response, private=True, max_age=FEED_CACHE_SECONDS)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


urlpatterns = [
    path("portfolios/<int:portfolio_id>/calendar/", launch_calendar, name="launch-calendar"),
    path("portfolios/<int:portfolio_id>/calendar/feed/", calendar_feed_manage, name="launch-calendar-feed-manage"),
    path("calendar/<str:token>.ics", calendar_feed, name="launch-calendar-feed"),
]
