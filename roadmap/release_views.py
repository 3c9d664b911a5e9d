"""Release pages (the list, a release, its form, ship, delete) and the portfolio's scoring weights.

Every write goes through roadmap.services; a refusal (a taken version, open items, an override without
a reason, a weight out of range) comes back on the page with its status, never as a 500.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, DateField, F, When
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pmflow import access
from pmflow.errors import DomainError
from pmflow.forms import add_domain_error, save_with
from products.pages import page, portfolio_context
from products.selectors import object_history, portfolio_for_user, product_for_user
from roadmap import services
from roadmap.models import WEIGHT_INPUTS, Release, RoadmapItem, ScoringWeights
from roadmap.page_tools import product_list_url, row_id, today_in
from roadmap.release_forms import (
    ProductPick,
    ReleaseFilter,
    ReleaseForm,
    ScoringWeightsForm,
    ShipForm,
    weight_text,
)
from roadmap.scoring import score_ordering, with_scores
from roadmap.selectors import HORIZON_ORDER, release_for_user, releases, roadmap_items

PER_PAGE = 50
FINISHED = (RoadmapItem.Status.DONE, RoadmapItem.Status.DROPPED)
# The release page lists open work first: what still stands between the release and shipping it.
STATUS_ORDER = ("in_progress", "planned", "proposed", "done", "dropped")


def readiness(release) -> dict:
    """Done of total for the readiness bar; `percent` is a whole number for the text."""
    total, done = release.item_count or 0, release.done_count or 0
    return {"total": total, "done": done, "percent": round(100 * done / total) if total else 0}


def mark(release, today) -> None:
    release.readiness = readiness(release)
    release.overdue = bool(
        release.status == Release.Status.PLANNED and release.target_date and release.target_date < today
    )


def _list_url(portfolio_id: int, product_id: int | None = None) -> str:
    return product_list_url("release-list", portfolio_id, product_id)


# --- the list ---------------------------------------------------------------------------------------


@page
def release_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = ReleaseFilter(request.GET or None, portfolio=portfolio)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    product, status = wanted.get("product"), wanted.get("status")
    queryset = Release.objects.filter(product__portfolio=portfolio)
    if product:
        queryset = queryset.filter(product=product)
    if status:
        queryset = queryset.filter(status=status)
    # Planned first, the nearest target date first (none last); then shipped, the newest first.
    ordered = releases(queryset).order_by(
        "status",
        Case(When(status=Release.Status.PLANNED, then=F("target_date")), output_field=DateField()).asc(nulls_last=True),
        F("shipped_at").desc(nulls_last=True),
        "version",
        "id",
    )
    listing = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    today = today_in(portfolio)
    for release in listing:
        mark(release, today)
    can_write = access.can(request.user, Release, portfolio.id)
    query = request.GET.copy()
    query.pop("page", None)
    crumbs = [("Releases", _list_url(portfolio.id) if product else None)]
    if product:
        crumbs.append((product.name, None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="releases",
        tab="releases",
        product=product,
        status=status,
        filters=filters,
        filtered=bool(product or status),
        listing=listing,
        query=query.urlencode(),
        can_write=can_write,
        pick=ProductPick(portfolio=portfolio) if can_write and not product else None,
        today=today,
    )
    return render(request, "roadmap/releases.html", context)


# --- one release ------------------------------------------------------------------------------------


def _release_page(request, release, *, ship_form=None, refused=None, status=200):
    portfolio = release.product.portfolio
    items = sorted(release.items.select_related("owner"), key=lambda i: (HORIZON_ORDER[i.horizon], i.rank, i.id))
    groups = [
        {"status": s, "label": RoadmapItem.Status(s).label, "items": [i for i in items if i.status == s]}
        for s in STATUS_ORDER
    ]
    open_items = [i for i in items if i.status not in FINISHED]
    mark(release, today_in(portfolio))
    can_plan = access.can(request.user, RoadmapItem, portfolio.id) and release.status == Release.Status.PLANNED
    candidates = []
    if can_plan:  # the product's open items that are not in this release (some are in another)
        candidates = list(
            RoadmapItem.objects.filter(product_id=release.product_id)
            .exclude(release=release)
            .exclude(status__in=FINISHED)
            .select_related("release")
            .order_by("horizon", "rank", "id")
        )
        candidates.sort(key=lambda i: (HORIZON_ORDER[i.horizon], i.rank, i.id))
    can_ship = access.can(request.user, Release, portfolio.id, "ship") and release.status == Release.Status.PLANNED
    if refused is not None:
        refused = [{**row, "status_label": RoadmapItem.Status(row["status"]).label} for row in refused]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Releases", _list_url(portfolio.id)),
            (release.product.name, _list_url(portfolio.id, release.product_id)),
            (release.version, None),
        ],
        section="releases",
        tab="releases",
        release=release,
        product=release.product,
        groups=[g for g in groups if g["items"]],
        item_total=len(items),
        open_items=open_items,
        dropped_count=sum(1 for i in items if i.status == RoadmapItem.Status.DROPPED),
        can_write=access.can(request.user, Release, portfolio.id),
        can_ship=can_ship,
        can_plan=can_plan,
        candidates=candidates,
        late_items=[i for i in open_items if i.ends_after_release],
        ship_form=ship_form or ShipForm(),
        refused=refused,
        history=object_history("release", release.id, limit=20, zone=portfolio.zone),
    )
    return render(request, "roadmap/release_page.html", context, status=status)


@page
def release_page(request, release_id: int):
    return _release_page(request, release_for_user(request.user, release_id))


@page
def release_ship(request, release_id: int):
    release = release_for_user(request.user, release_id, action="ship")
    if request.method != "POST":
        return redirect(reverse("release-page", args=[release.id]) + "#ship")
    form = ShipForm(request.POST)
    form.is_valid()  # nothing to refuse here: the service judges override and reason (the API's rule too)
    reason = form.cleaned_data.get("reason", "")
    try:
        shipped = services.release_ship(
            release_id=release.id,
            actor=request.user,
            override=request.POST.get("override", "").lower() in ("true", "on", "1"),
            reason=reason,
        )
    except services.ReleaseAlreadyShipped as exc:
        messages.info(request, f"Nothing to do: {exc.message}")
        return redirect("release-page", release_id=release.id)
    except services.ReleaseHasOpenItems as exc:
        retry = ShipForm(initial={"reason": reason})
        return _release_page(request, release, ship_form=retry, refused=exc.details.get("open_items", []), status=409)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _release_page(request, release, ship_form=form, status=400)
    note = " with open items; your reason is kept with it" if shipped.ship_reason else ""
    messages.success(request, f"{shipped.version} shipped{note}. Lifecycle rules on releases are checked now.")
    return redirect("release-page", release_id=release.id)


@page
@require_POST
def release_items(request, release_id: int):
    """Put the product's items in this release (`add`: ids) or take one out (`remove`: an id), through
    the item service (the same product, an event per item). Only a planned release is planned."""
    release = release_for_user(request.user, release_id)
    access.require(request.user, RoadmapItem, release.product.portfolio_id)
    back = redirect(reverse("release-page", args=[release.id]) + "#items-title")
    if release.status != Release.Status.PLANNED:
        messages.error(request, f"{release.version} has shipped: its items are its record. Nothing was changed.")
        return back
    remove, add = request.POST.get("remove", ""), request.POST.getlist("add")
    wanted = [remove] if remove else add
    ids = [row_id(value) for value in wanted]
    if not ids or None in ids:
        messages.error(request, "Choose the items to add. Nothing was changed.")
        return back
    items = list(RoadmapItem.objects.filter(pk__in=ids, product_id=release.product_id))
    if len(items) != len(set(ids)):
        messages.error(request, f"Only items of {release.product.name} go in its releases. Nothing was changed.")
        return back
    try:
        with transaction.atomic():  # all of them or none
            for item in items:
                services.roadmap_item_update(item_id=item.id, actor=request.user, release=None if remove else release)
    except DomainError as exc:
        messages.error(request, f"Nothing was changed: {exc.message}")
        return back
    if remove:
        messages.success(request, f"“{items[0]}” is no longer in {release.version}.")
    else:
        names = ", ".join(f"“{item}”" for item in items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")
        messages.success(request, f"{names} now in {release.version}.")
    return back


# --- create, edit, delete ---------------------------------------------------------------------------


def _form_page(request, product, form, *, release=None):
    portfolio = product.portfolio
    title = f"Edit release {release.version}" if release else f"New release of {product.name}"
    release_url = reverse("release-page", args=[release.id]) if release else None
    crumbs = [("Releases", _list_url(portfolio.id)), (product.name, _list_url(portfolio.id, product.id))]
    crumbs += [(release.version, release_url), ("Edit", None)] if release else [("New release", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="releases",
        form=form,
        title=title,
        intro=""
        if release
        else "Plan it with a version and a target date; then give it items from the board or an item's page.",
        submit_label="Save changes" if release else "Plan release",
        cancel_url=release_url or _list_url(portfolio.id, product.id),
        delete_url=reverse("release-delete", args=[release.id]) if release else None,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


@page
def release_create(request):
    product = product_for_user(request.user, request.GET.get("product"))
    access.require(request.user, Release, product.portfolio_id)  # before the form is read
    form = ReleaseForm(request.POST or None)
    if release := save_with(
        request, form, lambda data: services.release_create(product=product, actor=request.user, **data)
    ):
        messages.success(request, f"Release {release.version} planned. Next: put roadmap items in it.")
        return redirect("release-page", release_id=release.id)
    return _form_page(request, product, form)


@page
def release_edit(request, release_id: int):
    release = release_for_user(request.user, release_id, write=True)
    form = ReleaseForm(request.POST or None, initial=ReleaseForm.initial_for(release))
    if save_with(
        request, form, lambda data: services.release_update(release_id=release.id, actor=request.user, **data)
    ):
        messages.success(request, "Release saved.")
        return redirect("release-page", release_id=release.id)
    return _form_page(request, release.product, form, release=release)


@page
def release_delete(request, release_id: int):
    release = release_for_user(request.user, release_id, write=True)
    portfolio_id = release.product.portfolio_id
    back = _list_url(portfolio_id, release.product_id)
    if request.method == "POST":
        version = services.release_delete(release_id=release.id, actor=request.user)
        messages.success(request, f"Release {version} deleted. Its items stay on the roadmap, without a release.")
        return redirect(back)
    count = release.item_count
    kept = (
        f"Its {count} item{'' if count == 1 else 's'} stay{'s' if count == 1 else ''} on the roadmap, "
        "without a release."
        if count
        else "It has no items."
    )
    shipped = (
        [
            f"It shipped on {timezone.localtime(release.shipped_at, release.product.portfolio.zone):%Y-%m-%d}: "
            "its ship record goes with it (the change history keeps the event)."
        ]
        if release.shipped_at
        else []
    )
    context = portfolio_context(
        request,
        release.product.portfolio,
        crumbs=[
            ("Releases", _list_url(portfolio_id)),
            (release.product.name, back),
            (release.version, reverse("release-page", args=[release.id])),
            ("Delete", None),
        ],
        section="releases",
        title=f"Delete release {release}?",
        consequence_intro="This cannot be undone.",
        consequences=[kept, *shipped],
        alternative="To plan it for later instead, edit its target date.",
        confirm_label="Delete release",
        cancel_url=reverse("release-page", args=[release.id]),
    )
    return render(request, "confirm_page.html", context)


# --- scoring weights --------------------------------------------------------------------------------

EXAMPLE_SIZE = 5


@page
def scoring_weights(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    can_edit = access.can(request.user, ScoringWeights, portfolio.id)
    if request.method == "POST":
        access.require(request.user, ScoringWeights, portfolio.id)  # before the form is read
    weights = services.scoring_weights_of(portfolio)
    form = ScoringWeightsForm(request.POST or None, initial=ScoringWeightsForm.initial_for(weights))
    if save_with(
        request,
        form,
        lambda data: services.scoring_weights_save(portfolio=portfolio, actor=request.user, **data),
    ):
        messages.success(request, "Weights saved: every weighted score uses them from now on.")
        return redirect("scoring-weights", portfolio_id=portfolio.id)
    open_items = RoadmapItem.objects.filter(product__portfolio=portfolio).exclude(status__in=FINISHED)
    ranked = roadmap_items(open_items).order_by(score_ordering("weighted_score", descending=True), "id")
    top = list(ranked[:EXAMPLE_SIZE])
    counts = with_scores(open_items).aggregate(total=Count("id"), scored=Count("weighted_score"))
    weighted_inputs = [
        {"name": name, "label": form.fields[name].label, "weight": getattr(weights, name)}
        for name in WEIGHT_INPUTS
        if getattr(weights, name)
    ]
    for item in top:
        item.inputs = [(row["label"], getattr(item, row["name"]), row["weight"]) for row in weighted_inputs]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Roadmap", reverse("portfolio-roadmap", args=[portfolio.id])), ("Scoring weights", None)],
        section="roadmap",
        tab="scoring",
        form=form,
        can_edit=can_edit,
        weights=[(form[name], weight_text(getattr(weights, name))) for name in WEIGHT_INPUTS],
        top=top,
        open_total=counts["total"],
        unscored=counts["total"] - counts["scored"],
        saved_at=weights.updated_at if weights.pk else None,
    )
    return render(request, "roadmap/scoring_weights.html", context, status=400 if form.errors else 200)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/releases/", release_list, name="release-list"),
    path("releases/new/", release_create, name="release-create"),
    path("releases/<int:release_id>/", release_page, name="release-page"),
    path("releases/<int:release_id>/edit/", release_edit, name="release-edit"),
    path("releases/<int:release_id>/delete/", release_delete, name="release-delete"),
    path("releases/<int:release_id>/ship/", release_ship, name="release-ship"),
    path("releases/<int:release_id>/items/", release_items, name="release-items"),
    path("portfolios/<int:portfolio_id>/scoring/", scoring_weights, name="scoring-weights"),
]
