"""Status book pages: write a line, the balance of daily, short-term and long-term work.

- `status-book`: the portfolio's entries by day (yours by default; any member's, or everyone's), filtered
  by product, category, period (the last four weeks by default) and text; CSV; add, edit and delete.
- `status-book-balance`: a person's split of time over a period against the recommended ranges, as bars
  with the band drawn on each, what to do about a share out of range, and the weekly trend (a chart and a
  table; `?format=csv` downloads the table).
- `status-book-create` (`?portfolio=`), `status-book-edit`, `status-book-delete`. The dashboard's one-line
  form posts to `status-book-create` with `return_to=dashboard` and comes back there with a message.

Every write goes through products.services.status_book; a refusal (minutes out of range, a day in the
future, no text) comes back on the form with status 400. The role (and, to change an entry, being its
author or an admin) is checked before a form is read.
"""

import datetime
import itertools

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode

from pmflow import access
from pmflow.errors import InvalidInput
from pmflow.forms import csv_download, save_with
from products.models import Portfolio, StatusBookEntry
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user
from products.services import status_book as services
from products.status_book_charts import share_bar, week_bar
from products.status_book_forms import BookFilter, EntryForm, PeriodForm

PER_PAGE = 100
RETURN_TO_DASHBOARD = "dashboard"


def _book_url(portfolio_id: int, **query) -> str:
    url = reverse("status-book", args=[portfolio_id])
    query = {name: value for name, value in query.items() if value}
    return f"{url}?{urlencode(query)}" if query else url


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in ("page", "format", *names):
        query.pop(name, None)
    return query.urlencode()


def _period(form: PeriodForm, wanted: dict, portfolio: Portfolio):
    """The period asked for, or (with its error on the form) the default four weeks. The form's empty
    ends show the days used."""
    today = services.today_in(portfolio)
    try:
        first, last = services.period_of(wanted.get("from"), wanted.get("to"), today=today)
    except InvalidInput as exc:
        for name, message in exc.fields.items():
            form.add_error(name, message)
        return services.default_period(today)
    if form.is_bound:
        form.data = form.data.copy()
        for name, day in (("from", first), ("to", last)):
            if not form.data.get(name):
                form.data[name] = day.isoformat()
    else:
        form.initial.update({"from": first, "to": last})
    return first, last


def _entries(portfolio: Portfolio, wanted: dict):
    rows = services.entry_rows().filter(product__portfolio=portfolio)
    if "author" in wanted:
        rows = rows.filter(author__username=wanted["author"])
    for name in ("product", "category"):
        if name in wanted:
            rows = rows.filter(**{name: wanted[name]})
    if "search" in wanted:
        rows = rows.filter(Q(text__icontains=wanted["search"]))
    return rows


def _writes(request, portfolio: Portfolio) -> bool:
    return access.can(request.user, StatusBookEntry, portfolio.id)


def _new_url(portfolio: Portfolio) -> str:
    return reverse("status-book-create") + "?" + urlencode({"portfolio": portfolio.id})


@page
def status_book(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = BookFilter(request.GET or None, portfolio=portfolio, user=request.user)
    wanted = filters.wanted()
    first, last = _period(filters, wanted, portfolio)
    rows = services.entries_in(_entries(portfolio, wanted), first=first, last=last).order_by("-date", "-id")
    if request.GET.get("format") == "csv":
        who = wanted.get("author") or "everyone"
        return csv_download(
            f"status-book-{portfolio.id}-{who}-{first}-{last}",
            services.CSV_COLUMNS,
            (services.csv_row(row) for row in rows.iterator(chunk_size=500)),
        )
    listing = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    entries = list(listing)
    dates = sorted({entry.date for entry in entries}, reverse=True)
    day_totals = dict(
        rows.filter(date__in=dates)
        .order_by()
        .values("date")
        .annotate(total=Sum("minutes"))
        .values_list("date", "total")
    )
    for entry in entries:
        entry.can_change = services.may_change(request.user, entry, portfolio.id)
        entry.duration = services.minutes_text(entry.minutes)
    days = [
        {"date": day, "total": services.minutes_text(day_totals.get(day, 0)), "entries": list(group)}
        for day, group in itertools.groupby(entries, key=lambda entry: entry.date)
    ]
    figures = services.balance(rows)
    author = wanted.get("author")
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Status book", None)],
        section="desk",
        tab="status_book",
        model=StatusBookEntry,
        filters=filters,
        filtered=bool({"product", "category", "search", "from", "to"} & set(wanted)),
        author=author,
        is_me=author == request.user.get_username(),
        first=first,
        last=last,
        days=days,
        listing=listing,
        figures=figures,
        total_text=services.minutes_text(figures.total_minutes),
        query=_query_without(request),
        can_write=_writes(request, portfolio),
        new_url=_new_url(portfolio),
        balance_url=reverse("status-book-balance", args=[portfolio.id])
        + "?"
        + urlencode({"author": author or request.user.get_username(), "from": first, "to": last}),
    )
    return render(request, "products/status_book/book.html", context, status=400 if filters.errors else 200)


@page
def status_book_balance(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    form = PeriodForm(request.GET or None, portfolio=portfolio, user=request.user)
    wanted = form.wanted()
    first, last = _period(form, wanted, portfolio)
    author = wanted["author"]
    entries = services.entries_in(
        _entries(portfolio, {"author": author, **({"product": wanted["product"]} if "product" in wanted else {})}),
        first=first,
        last=last,
    )
    figures = services.balance(entries)
    weeks = services.weekly_trend(entries, first=first, last=last)
    if request.GET.get("format") == "csv":
        return csv_download(
            f"time-balance-{portfolio.id}-{author}-{first}-{last}",
            [
                "week",
                "week_start",
                "total_minutes",
                *[f"{c}_{k}" for c in services.CATEGORIES for k in ("minutes", "share")],
            ],
            (
                [
                    week.label,
                    week.week_start.isoformat(),
                    week.balance.total_minutes,
                    *[v for s in week.balance.shares for v in (s.minutes, s.share)],
                ]
                for week in weeks
            ),
        )
    for share in figures.shares:
        share.bar = share_bar(share)
        share.duration = services.minutes_text(share.minutes)
    for week in weeks:
        week.bar = week_bar(week)
        week.partial = week.week_start < first or week.week_start + datetime.timedelta(days=6) > last
        week.duration = services.minutes_text(week.balance.total_minutes)
    is_me = author == request.user.get_username()
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Status book", _book_url(portfolio.id)), ("Time balance", None)],
        section="desk",
        tab="balance",
        model=StatusBookEntry,
        form=form,
        author=author,
        is_me=is_me,
        first=first,
        last=last,
        figures=figures,
        total_text=services.minutes_text(figures.total_minutes),
        weeks=weeks,
        nothing_logged=services.NOTHING_LOGGED,
        csv_query=_query_without(request),
        can_write=_writes(request, portfolio) and is_me,
        new_url=_new_url(portfolio),
        book_url=_book_url(portfolio.id, author=author, **{"from": first, "to": last}),
    )
    return render(request, "products/status_book/balance.html", context, status=400 if form.errors else 200)


def _form_page(request, portfolio, form: EntryForm, *, entry: StatusBookEntry | None = None):
    back = _book_url(portfolio.id)
    crumbs = [("Status book", back), ("Edit" if entry else "New", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="desk",
        tab="status_book",
        model=StatusBookEntry,
        form=form,
        entry=entry,
        title="Edit a status book line" if entry else "Log your work",
        submit_label="Save changes" if entry else "Add to the status book",
        cancel_url=back,
        delete_url=reverse("status-book-delete", args=[entry.id]) if entry else None,
    )
    return render(request, "products/status_book/form.html", context, status=400 if form.errors else 200)


@page
def status_book_create(request):
    """`?portfolio=` (or the portfolio last looked at) says where; the role is checked before the form."""
    portfolio = portfolio_for_user(request.user, request.GET.get("portfolio") or request.session.get("portfolio_id"))
    access.require(request.user, StatusBookEntry, portfolio.id)
    form = EntryForm(request.POST if request.method == "POST" else None, portfolio=portfolio)
    if entry := save_with(
        request,
        form,
        lambda data: services.status_book_entry_create(
            author=request.user, actor=request.user, **EntryForm.service_fields(data)
        ),
    ):
        messages.success(
            request,
            f"Logged {services.minutes_text(entry.minutes)} on {entry.product.name} "
            f"({entry.get_category_display().lower()}) for {entry.date:%Y-%m-%d}.",
        )
        if request.POST.get("return_to") == RETURN_TO_DASHBOARD:
            return redirect("portfolio-dashboard", portfolio_id=portfolio.id)
        return redirect(_book_url(portfolio.id))
    return _form_page(request, portfolio, form)


@page
def status_book_edit(request, entry_id: int):
    entry = services.entry_for_user(request.user, entry_id, write=True)
    portfolio = entry.product.portfolio
    form = EntryForm(
        request.POST if request.method == "POST" else None,
        portfolio=portfolio,
        entry=entry,
        initial=EntryForm.initial_for(entry),
    )
    if save_with(
        request,
        form,
        lambda data: services.status_book_entry_update(
            entry_id=entry.id, actor=request.user, **EntryForm.service_fields(data)
        ),
    ):
        messages.success(request, "Status book line saved.")
        return redirect(_book_url(portfolio.id))
    return _form_page(request, portfolio, form, entry=entry)


@page
def status_book_delete(request, entry_id: int):
    entry = services.entry_for_user(request.user, entry_id, write=True)
    portfolio = entry.product.portfolio
    back = _book_url(portfolio.id)
    if request.method == "POST":
        services.status_book_entry_delete(entry_id=entry.id, actor=request.user)
        messages.success(request, "Status book line deleted.")
        return redirect(back)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Status book", back), ("Delete", None)],
        section="desk",
        model=StatusBookEntry,
        title="Delete this status book line?",
        consequence_intro="This cannot be undone; its history stays in the audit log.",
        consequences=[
            f"{services.minutes_text(entry.minutes)} of {entry.get_category_display().lower()} work on "
            f"{entry.product.name} on {entry.date:%Y-%m-%d} ({entry.author.get_username()}) no longer count in "
            "the time balance."
        ],
        alternative="If only the minutes or the category are wrong, edit the line instead.",
        confirm_label="Delete line",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


def quick_entry(request, portfolio: Portfolio, products=None, *, filtered: bool = False) -> dict | None:
    """The dashboard's one-line form, for the roles that may write (None otherwise: no query).

    `products` are the ones the board shows (archived ones are left out): no query of its own. Without
    them, one query lists the portfolio's products."""
    if not _writes(request, portfolio):
        return None
    if products is None:
        products = portfolio.products.filter(archived_at__isnull=True).only("id", "name")
    choices = sorted(
        ((product.id, product.name) for product in products if product.archived_at is None),
        key=lambda pair: pair[1].lower(),
    )
    return {
        "action": _new_url(portfolio),
        "products": choices,
        "filtered": filtered,
        "categories": StatusBookEntry.Category.choices,
        "today": services.today_in(portfolio),
        "return_to": RETURN_TO_DASHBOARD,
        "balance_url": reverse("status-book-balance", args=[portfolio.id]),
    }


urlpatterns = [
    path("portfolios/<int:portfolio_id>/status-book/", status_book, name="status-book"),
    path("portfolios/<int:portfolio_id>/status-book/balance/", status_book_balance, name="status-book-balance"),
    path("status-book/new/", status_book_create, name="status-book-create"),
    path("status-book/<int:entry_id>/edit/", status_book_edit, name="status-book-edit"),
    path("status-book/<int:entry_id>/delete/", status_book_delete, name="status-book-delete"),
]
