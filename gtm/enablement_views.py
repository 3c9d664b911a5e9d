"""Pages of sales enablement, marketing events and the press plan: the asset library (with its upload
form and the permission-checked download), the events list and the press & communication plan, each
with its form and delete confirmation.

Every write goes through gtm.services.enablement; a refusal (neither a link nor a file, a file over the
limit, a javascript: link, an end before the start, a product of another portfolio) comes back on the
form with status 400, never as a 500. Uploaded files are never served as static files: `asset_file`
checks the reader's membership (a session or an API token) and answers an attachment.
"""

import mimetypes
from collections import OrderedDict

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from gtm.enablement_forms import (
    AssetFilter,
    AssetForm,
    EventFilter,
    EventForm,
    PressFilter,
    PressForm,
    ProductPick,
    year_range,
)
from gtm.models import Asset, MarketingEvent, PressItem
from gtm.services import enablement as services
from pmflow import access
from pmflow.forms import csv_download, save_with
from products.models import Product
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user, product_for_user
from roadmap.page_tools import product_list_url, row_id, today_in

PER_PAGE = 60
EVENTS_SHOWN = 200  # upcoming and past each; a year or product filter narrows further
PRESS_SHOWN = 300
# Never rendered by a browser from a download, whatever the file's name says.
ACTIVE_TYPES = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
}


def _list_url(name: str, portfolio_id: int, product_id: int | None = None) -> str:
    return product_list_url(name, portfolio_id, product_id)


def _launches_crumb(portfolio_id: int) -> tuple[str, str]:
    return ("Launches", reverse("launch-board", args=[portfolio_id]))


def _valid(filters) -> dict:
    """The filter values that are valid (a bad one is ignored, not a 500 or an empty page)."""
    if not filters.is_bound:
        return {}
    filters.is_valid()
    return {name: value for name, value in filters.cleaned_data.items() if value not in (None, "")}


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _money(value) -> str:
    """8,000 or 8,000.50: as a budget line reads."""
    if value is None:
        return "—"
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


# --- the asset library --------------------------------------------------------------------------------


def _mark_asset(asset: Asset) -> None:
    asset.file_label = services.file_name(asset)
    asset.size_label = services.size_text(asset.file_size) if asset.file_size is not None else ""


@page
def asset_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = AssetFilter(request.GET or None, portfolio=portfolio)
    wanted = _valid(filters)
    product = wanted.get("product")
    queryset = services.assets().filter(product__portfolio=portfolio)
    for name in ("product", "launch_plan", "kind", "audience"):
        if name in wanted:
            queryset = queryset.filter(**{name: wanted[name]})
    ordered = queryset.order_by("product__name", "product_id", "kind", "title", "id")
    listing = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    for asset in listing:
        _mark_asset(asset)
    can_write = access.can(request.user, Asset, portfolio.id)
    crumbs = [
        _launches_crumb(portfolio.id),
        ("Sales enablement", _list_url("asset-list", portfolio.id) if product else None),
    ]
    if product:
        crumbs.append((product.name, None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        tab="assets",
        model=Asset,
        product=product,
        filters=filters,
        filtered=bool(wanted),
        listing=listing,
        query=_query_without_page(request),
        can_write=can_write,
        pick=ProductPick(portfolio=portfolio) if can_write and not product else None,
        size_limit=services.size_limit_text(),
        kind_labels=dict(Asset.Kind.choices),
    )
    return render(request, "gtm/asset_list.html", context)


def _asset_form_page(request, product: Product, form: AssetForm, *, asset: Asset | None = None):
    portfolio = product.portfolio
    back = _list_url("asset-list", portfolio.id, product.id)
    crumbs = [_launches_crumb(portfolio.id), ("Sales enablement", _list_url("asset-list", portfolio.id))]
    crumbs += [(product.name, back), (asset.title, None) if asset else ("New asset", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        tab="assets",
        model=Asset,
        form=form,
        asset=asset,
        product=product,
        title=f"Edit “{asset.title}”" if asset else f"New sales enablement asset for {product.name}",
        size_limit=services.size_limit_text(),
        submit_label="Save changes" if asset else "Add asset",
        cancel_url=back,
        delete_url=reverse("asset-delete", args=[asset.id]) if asset else None,
    )
    if asset is not None:
        _mark_asset(asset)
    return render(request, "gtm/asset_form.html", context, status=400 if form.errors else 200)


@page
def asset_create(request):
    product = product_for_user(request.user, request.GET.get("product"))
    access.require(request.user, Asset, product.portfolio_id)  # before the form (and its file) is read
    posted = request.method == "POST"
    initial = {}
    if plan_id := row_id(request.GET.get("launch_plan")):
        initial["launch_plan"] = services.launch_plans_of(product.id).filter(pk=plan_id).first()
    form = AssetForm(
        request.POST if posted else None, request.FILES if posted else None, product=product, initial=initial
    )
    if asset := save_with(
        request,
        form,
        lambda data: services.asset_create(product=product, actor=request.user, **form.service_fields(data)),
    ):
        messages.success(request, f"“{asset.title}” is in the sales enablement library.")
        return redirect(_list_url("asset-list", product.portfolio_id, product.id))
    return _asset_form_page(request, product, form)


@page
def asset_edit(request, asset_id: int):
    asset = services.asset_for_user(request.user, asset_id, write=True)
    posted = request.method == "POST"
    form = AssetForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        product=asset.product,
        asset=asset,
        initial=AssetForm.initial_for(asset),
    )
    if save_with(
        request,
        form,
        lambda data: services.asset_update(asset_id=asset.id, actor=request.user, **form.service_fields(data)),
    ):
        messages.success(request, "Asset saved.")
        return redirect(_list_url("asset-list", asset.product.portfolio_id, asset.product_id))
    return _asset_form_page(request, asset.product, form, asset=asset)


@page
def asset_delete(request, asset_id: int):
    asset = services.asset_for_user(request.user, asset_id, write=True)
    portfolio_id = asset.product.portfolio_id
    back = _list_url("asset-list", portfolio_id, asset.product_id)
    if request.method == "POST":
        title = services.asset_delete(asset_id=asset.id, actor=request.user)
        messages.success(request, f"“{title}” deleted.")
        return redirect(back)
    _mark_asset(asset)
    consequences = [f"{asset.title} leaves the sales enablement library of {asset.product.name}."]
    if asset.file:
        consequences.append(f"Its file {asset.file_label} ({asset.size_label}) is deleted for good.")
    if asset.url:
        consequences.append("The link itself stays where it points; only this entry goes.")
    context = portfolio_context(
        request,
        asset.product.portfolio,
        crumbs=[
            _launches_crumb(portfolio_id),
            ("Sales enablement", _list_url("asset-list", portfolio_id)),
            (asset.product.name, back),
            (asset.title, reverse("asset-edit", args=[asset.id])),
            ("Delete", None),
        ],
        section="launches",
        model=Asset,
        title=f"Delete “{asset.title}”?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        alternative="To keep it but mark it outdated, edit its version or description instead.",
        confirm_label="Delete asset",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


def _content_type(name: str) -> str:
    guessed, encoding = mimetypes.guess_type(name)
    if encoding or not guessed or guessed in ACTIVE_TYPES:
        return "application/octet-stream"
    return guessed


@page
def _asset_file(request, asset_id: int):
    asset = services.asset_for_user(request.user, asset_id)
    if not asset.file:
        if asset.url:  # a link-only asset: its file is where the link points
            return redirect(asset.url)
        raise Http404
    try:
        handle = asset.file.open("rb")
    except OSError:  # gone from storage: as missing as any other
        raise Http404 from None
    name = services.file_name(asset)
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=_content_type(name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


def asset_file(request, asset_id: int):
    """Download an asset's file as an attachment: members of its portfolio only (404 for anyone else),
    signed in or with an API token (`Authorization: Token …`, as the API's `file` address is followed)."""
    if not request.user.is_authenticated and request.headers.get("Authorization"):
        try:
            signed = TokenAuthentication().authenticate(request)
        except AuthenticationFailed:
            response = HttpResponse("Invalid token.", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = "Token"
            return response
        if signed is not None:
            request.user = signed[0]
    return _asset_file(request, asset_id)


# --- events -------------------------------------------------------------------------------------------


def _mark_event(event: MarketingEvent) -> None:
    event.per_lead = services.cost_per_lead(event)
    event.cost_label = _money(event.cost)
    event.per_lead_label = _money(event.per_lead) if event.per_lead is not None else ""


@page
def event_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    mine = MarketingEvent.objects.filter(portfolio=portfolio)
    years = sorted({day.year for day in mine.dates("start_date", "year")} | {today_in(portfolio).year}, reverse=True)
    filters = EventFilter(request.GET or None, portfolio=portfolio, years=years)
    wanted = _valid(filters)
    product, kind, year = wanted.get("product"), wanted.get("kind"), wanted.get("year")
    queryset = mine
    if product:
        queryset = queryset.filter(products=product)
    if kind:
        queryset = queryset.filter(kind=kind)
    if year:
        first, last = year_range(year)
        queryset = queryset.filter(start_date__lte=last, end_date__gte=first)
    today = today_in(portfolio)
    listed = queryset.prefetch_related(Prefetch("products", queryset=Product.objects.order_by("name")))
    if request.GET.get("format") == "csv":
        return _events_csv(portfolio, listed.order_by("start_date", "name", "id"))
    upcoming = list(listed.filter(end_date__gte=today).order_by("start_date", "name", "id")[: EVENTS_SHOWN + 1])
    past = list(listed.filter(end_date__lt=today).order_by("-start_date", "-id")[: EVENTS_SHOWN + 1])
    for event in (*upcoming, *past):
        _mark_event(event)
    totals = queryset.aggregate(
        event_count=Count("id"),
        total_cost=Sum("cost"),
        total_leads=Sum("leads"),
        cost_with_leads=Sum("cost", filter=Q(leads__gt=0)),
    )
    per_lead = None
    if totals["total_leads"]:
        overall = MarketingEvent(cost=totals["cost_with_leads"] or 0, leads=totals["total_leads"])
        per_lead = _money(services.cost_per_lead(overall))
    crumbs = [_launches_crumb(portfolio.id), ("Events", _list_url("event-list", portfolio.id) if wanted else None)]
    if product:
        crumbs.append((product.name, None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        tab="events",
        model=MarketingEvent,
        product=product,
        filters=filters,
        filtered=bool(wanted),
        year=year,
        upcoming=upcoming[:EVENTS_SHOWN],
        upcoming_more=len(upcoming) > EVENTS_SHOWN,
        past=past[:EVENTS_SHOWN],
        past_more=len(past) > EVENTS_SHOWN,
        past_open=bool(past and not upcoming),
        totals={
            "count": totals["event_count"],
            "cost": _money(totals["total_cost"] or 0),
            "leads": totals["total_leads"],
            "per_lead": per_lead,
        },
        today=today,
        can_write=access.can(request.user, MarketingEvent, portfolio.id),
    )
    return render(request, "gtm/event_list.html", context)


EVENT_COLUMNS = [
    "start_date",
    "end_date",
    "name",
    "kind",
    "location",
    "products",
    "cost",
    "leads",
    "cost_per_lead",
]


def _events_csv(portfolio, events):
    """Every event the filters select (not only the ones shown), as a spreadsheet opens it."""
    rows = (
        (
            event.start_date.isoformat(),
            event.end_date.isoformat(),
            event.name,
            event.get_kind_display(),
            event.location,
            "; ".join(product.name for product in event.products.all()),
            event.cost,
            event.leads,
            services.cost_per_lead(event),
        )
        for event in events.iterator(chunk_size=500)
    )
    return csv_download(f"events-{portfolio.id}", EVENT_COLUMNS, rows)


def _event_form_page(request, portfolio, form: EventForm, *, event: MarketingEvent | None = None):
    back = _list_url("event-list", portfolio.id)
    crumbs = [_launches_crumb(portfolio.id), ("Events", back), (event.name, None) if event else ("New event", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        tab="events",
        model=MarketingEvent,
        form=form,
        event=event,
        title=f"Edit {event.name}" if event else "New event",
        intro="" if event else "A trade show, exhibition, conference, webinar or meetup; add its leads afterwards.",
        submit_label="Save changes" if event else "Add event",
        cancel_url=back,
        delete_url=reverse("event-delete", args=[event.id]) if event else None,
    )
    return render(request, "gtm/event_form.html", context, status=400 if form.errors else 200)


@page
def event_create(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    access.require(request.user, MarketingEvent, portfolio.id)  # before the form is read
    initial = {}
    if product_id := row_id(request.GET.get("product")):
        initial["products"] = portfolio.products.filter(pk=product_id)
    form = EventForm(request.POST if request.method == "POST" else None, portfolio=portfolio, initial=initial)
    if event := save_with(
        request,
        form,
        lambda data: services.marketing_event_create(
            portfolio=portfolio, actor=request.user, **EventForm.service_fields(data)
        ),
    ):
        messages.success(request, f"{event.name} is on the events list.")
        return redirect(_list_url("event-list", portfolio.id))
    return _event_form_page(request, portfolio, form)


@page
def event_edit(request, event_id: int):
    event = services.marketing_event_for_user(request.user, event_id, write=True)
    form = EventForm(
        request.POST if request.method == "POST" else None,
        portfolio=event.portfolio,
        event=event,
        initial=EventForm.initial_for(event),
    )
    if save_with(
        request,
        form,
        lambda data: services.marketing_event_update(
            event_id=event.id, actor=request.user, **EventForm.service_fields(data)
        ),
    ):
        messages.success(request, f"{event.name} saved.")
        return redirect(_list_url("event-list", event.portfolio_id))
    return _event_form_page(request, event.portfolio, form, event=event)


@page
def event_delete(request, event_id: int):
    event = services.marketing_event_for_user(request.user, event_id, write=True)
    back = _list_url("event-list", event.portfolio_id)
    if request.method == "POST":
        name = services.marketing_event_delete(event_id=event.id, actor=request.user)
        messages.success(request, f"{name} deleted.")
        return redirect(back)
    consequences = [f"{event.name} ({event.start_date:%Y-%m-%d}) leaves the events list and the launch calendar."]
    if event.leads:
        consequences.append(
            f"Its {event.leads:,} leads and cost of {_money(event.cost)} no longer count in the totals."
        )
    context = portfolio_context(
        request,
        event.portfolio,
        crumbs=[
            _launches_crumb(event.portfolio_id),
            ("Events", back),
            (event.name, reverse("event-edit", args=[event.id])),
            ("Delete", None),
        ],
        section="launches",
        model=MarketingEvent,
        title=f"Delete {event.name}?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        alternative="If it was called off, you may want to keep it with a note in its description instead.",
        confirm_label="Delete event",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


# --- the press & communication plan -------------------------------------------------------------------


@page
def press_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = PressFilter(request.GET or None, portfolio=portfolio)
    wanted = _valid(filters)
    product = wanted.get("product")
    queryset = services.press_items().filter(product__portfolio=portfolio)
    for name in ("product", "launch_plan", "status", "kind"):
        if name in wanted:
            queryset = queryset.filter(**{name: wanted[name]})
    if request.GET.get("format") == "csv":
        return _press_csv(portfolio, queryset.order_by(F("publish_date").asc(nulls_last=True), "title", "id"))
    today = today_in(portfolio)
    month_start = today.replace(day=1)
    ahead = list(
        queryset.filter(Q(publish_date__gte=month_start) | Q(publish_date__isnull=True)).order_by(
            F("publish_date").asc(nulls_last=True), "title", "id"
        )[: PRESS_SHOWN + 1]
    )
    earlier = list(queryset.filter(publish_date__lt=month_start).order_by("-publish_date", "-id")[: PRESS_SHOWN + 1])
    for item in (*ahead, *earlier):
        item.late = bool(item.publish_date and item.publish_date < today and item.status != PressItem.Status.PUBLISHED)
    crumbs = [_launches_crumb(portfolio.id), ("Press", _list_url("press-list", portfolio.id) if product else None)]
    if product:
        crumbs.append((product.name, None))
    can_write = access.can(request.user, PressItem, portfolio.id)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        tab="press",
        model=PressItem,
        product=product,
        filters=filters,
        filtered=bool(wanted),
        months=_by_month(ahead[:PRESS_SHOWN]),
        ahead_more=len(ahead) > PRESS_SHOWN,
        earlier_months=_by_month(earlier[:PRESS_SHOWN]),
        earlier_count=min(len(earlier), PRESS_SHOWN),
        earlier_more=len(earlier) > PRESS_SHOWN,
        today=today,
        can_write=can_write,
        pick=ProductPick(portfolio=portfolio) if can_write and not product else None,
    )
    return render(request, "gtm/press_list.html", context)


PRESS_COLUMNS = ["publish_date", "title", "kind", "status", "product", "launch_plan", "channel", "owner", "description"]


def _press_csv(portfolio, items):
    rows = (
        (
            item.publish_date.isoformat() if item.publish_date else None,
            item.title,
            item.get_kind_display(),
            item.get_status_display(),
            item.product.name,
            item.launch_plan.name if item.launch_plan else None,
            item.channel,
            item.owner.get_username() if item.owner else None,
            item.description,
        )
        for item in items.iterator(chunk_size=500)
    )
    return csv_download(f"press-plan-{portfolio.id}", PRESS_COLUMNS, rows)


def _by_month(items) -> list[dict]:
    """[{"month": date | None, "items": [...]}] in the order given; undated items under None."""
    groups: OrderedDict = OrderedDict()
    for item in items:
        key = item.publish_date.replace(day=1) if item.publish_date else None
        groups.setdefault(key, []).append(item)
    return [{"month": month, "items": rows} for month, rows in groups.items()]


def _press_form_page(request, product: Product, form: PressForm, *, item: PressItem | None = None):
    portfolio = product.portfolio
    back = _list_url("press-list", portfolio.id, product.id)
    crumbs = [_launches_crumb(portfolio.id), ("Press", _list_url("press-list", portfolio.id)), (product.name, back)]
    crumbs.append((item.title, None) if item else ("New item", None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        tab="press",
        model=PressItem,
        form=form,
        item=item,
        product=product,
        title=f"Edit “{item.title}”" if item else f"Plan press or communication for {product.name}",
        intro="" if item else "A press release, briefing, blog or social post, newsletter or interview, by date.",
        submit_label="Save changes" if item else "Add to the plan",
        cancel_url=back,
        delete_url=reverse("press-delete", args=[item.id]) if item else None,
    )
    return render(request, "gtm/press_form.html", context, status=400 if form.errors else 200)


@page
def press_create(request):
    product = product_for_user(request.user, request.GET.get("product"))
    access.require(request.user, PressItem, product.portfolio_id)  # before the form is read
    initial = {}
    if plan_id := row_id(request.GET.get("launch_plan")):
        initial["launch_plan"] = services.launch_plans_of(product.id).filter(pk=plan_id).first()
    form = PressForm(request.POST if request.method == "POST" else None, product=product, initial=initial)
    if item := save_with(
        request,
        form,
        lambda data: services.press_item_create(product=product, actor=request.user, **PressForm.service_fields(data)),
    ):
        messages.success(request, f"“{item.title}” is in the press plan.")
        return redirect(_list_url("press-list", product.portfolio_id, product.id))
    return _press_form_page(request, product, form)


@page
def press_edit(request, item_id: int):
    item = services.press_item_for_user(request.user, item_id, write=True)
    form = PressForm(
        request.POST if request.method == "POST" else None, product=item.product, initial=PressForm.initial_for(item)
    )
    if save_with(
        request,
        form,
        lambda data: services.press_item_update(item_id=item.id, actor=request.user, **PressForm.service_fields(data)),
    ):
        messages.success(request, "Press item saved.")
        return redirect(_list_url("press-list", item.product.portfolio_id, item.product_id))
    return _press_form_page(request, item.product, form, item=item)


@page
def press_delete(request, item_id: int):
    item = services.press_item_for_user(request.user, item_id, write=True)
    portfolio_id = item.product.portfolio_id
    back = _list_url("press-list", portfolio_id, item.product_id)
    if request.method == "POST":
        title = services.press_item_delete(item_id=item.id, actor=request.user)
        messages.success(request, f"“{title}” taken out of the press plan.")
        return redirect(back)
    when = f" planned for {item.publish_date:%Y-%m-%d}" if item.publish_date else ""
    context = portfolio_context(
        request,
        item.product.portfolio,
        crumbs=[
            _launches_crumb(portfolio_id),
            ("Press", _list_url("press-list", portfolio_id)),
            (item.product.name, back),
            (item.title, reverse("press-edit", args=[item.id])),
            ("Delete", None),
        ],
        section="launches",
        model=PressItem,
        title=f"Delete “{item.title}”?",
        consequence_intro="This cannot be undone.",
        consequences=[f"The {item.get_kind_display().lower()}{when} leaves the press plan and the launch calendar."],
        alternative="If it is only postponed, clear its publish date or set it back to draft instead.",
        confirm_label="Delete item",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/assets/", asset_list, name="asset-list"),
    path("assets/new/", asset_create, name="asset-create"),
    path("assets/<int:asset_id>/edit/", asset_edit, name="asset-edit"),
    path("assets/<int:asset_id>/delete/", asset_delete, name="asset-delete"),
    path("assets/<int:asset_id>/file/", asset_file, name="asset-file"),
    path("portfolios/<int:portfolio_id>/events/", event_list, name="event-list"),
    path("portfolios/<int:portfolio_id>/events/new/", event_create, name="event-create"),
    path("events/<int:event_id>/edit/", event_edit, name="event-edit"),
    path("events/<int:event_id>/delete/", event_delete, name="event-delete"),
    path("portfolios/<int:portfolio_id>/press/", press_list, name="press-list"),
    path("press/new/", press_create, name="press-create"),
    path("press/<int:item_id>/edit/", press_edit, name="press-edit"),
    path("press/<int:item_id>/delete/", press_delete, name="press-delete"),
]
