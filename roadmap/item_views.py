"""Roadmap item pages: the item page (hierarchy, scores with their inputs, dependencies, feedback,
history), its form, its deletion, dependencies added and removed, and the portfolio's items table
(sortable, filterable, paginated, downloadable as CSV). Rules live in roadmap.services."""

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, OrderBy, Q, Value, When
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from pmflow import access
from pmflow.forms import save_with
from products.demand import DEMAND_ORDERING
from products.models import DomainEvent, Feedback, Idea, MarketInsight
from products.pages import page, portfolio_context
from products.selectors import object_history, portfolio_for_user, product_for_user
from roadmap import exports, services
from roadmap.item_forms import (
    IMPACT_WORDS,
    SORT_FIELDS,
    DependencyForm,
    ItemFilterForm,
    RoadmapItemForm,
    impact_text,
)
from roadmap.models import WEIGHT_INPUTS, RoadmapDependency, RoadmapItem, ScoringWeights
from roadmap.page_tools import product_list_url, row_id
from roadmap.scoring import score_ordering
from roadmap.selectors import dependency_for_user, roadmap_item_for_user, roadmap_items, schedule_warnings

PAGE_SIZE = 100
HISTORY_LENGTH = 20
CHILD_KIND = {RoadmapItem.Kind.INITIATIVE: RoadmapItem.Kind.FEATURE, RoadmapItem.Kind.FEATURE: "requirement"}


# --- numbers and scores in words ----------------------------------------------------------------------


def number(value) -> str:
    """1000 → "1,000", 2.50 → "2.5", 33.3333 → "33.33": as a person writes it."""
    if value is None:
        return "—"
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace("-", "−")


def short_amount(value) -> str:
    """161000 → "161k", 1250000 → "1.3M", 950 → "950": an amount in a narrow column."""
    value = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    return number(value)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _missing(item, names: dict[str, str]) -> list[str]:
    return [label for name, label in names.items() if getattr(item, name) is None]


def score_rows(item: RoadmapItem, weights) -> list[dict]:
    """Each score with its inputs and the formula with the item's numbers (or what is missing)."""
    impact = impact_text(item.impact)
    rice_inputs = [
        ("Reach", f"{number(item.reach)} per quarter" if item.reach is not None else "—"),
        ("Impact", IMPACT_WORDS.get(impact, "—")),
        ("Confidence", f"{item.confidence} %" if item.confidence is not None else "—"),
        ("Effort", f"{number(item.effort)} person-months" if item.effort is not None else "—"),
    ]
    rows = [
        {
            "name": "RICE",
            "noun": "a RICE score",
            "score": item.rice_score,
            "inputs": rice_inputs,
            "words": "reach × impact × confidence ÷ effort",
            "formula": f"RICE {number(item.rice_score)} = {number(item.reach)} × {number(item.impact)} × "
            f"{item.confidence} % ÷ {number(item.effort)}",
            "missing": _missing(
                item, {"reach": "reach", "impact": "impact", "confidence": "confidence", "effort": "effort"}
            ),
            "field": "reach",
        },
        {
            "name": "WSJF",
            "noun": "a WSJF score",
            "score": item.wsjf_score,
            "inputs": [
                ("Business value", number(item.business_value)),
                ("Time criticality", number(item.time_criticality)),
                ("Risk reduction / opportunity", number(item.risk_reduction)),
                ("Job size", number(item.job_size)),
            ],
            "words": "(business value + time criticality + risk reduction) ÷ job size",
            "formula": f"WSJF {number(item.wsjf_score)} = ({number(item.business_value)} + "
            f"{number(item.time_criticality)} + {number(item.risk_reduction)}) ÷ {number(item.job_size)}",
            "missing": _missing(
                item,
                {
                    "business_value": "business value",
                    "time_criticality": "time criticality",
                    "risk_reduction": "risk reduction",
                    "job_size": "job size",
                },
            ),
            "field": "business_value",
        },
        {
            "name": "Value ÷ effort",
            "noun": "a value ÷ effort score",
            "score": item.value_effort,
            "inputs": [("Value", number(item.value)), ("Effort", rice_inputs[3][1])],
            "words": "value ÷ effort",
            "formula": f"Value ÷ effort {number(item.value_effort)} = {number(item.value)} ÷ {number(item.effort)}",
            "missing": _missing(item, {"value": "value", "effort": "effort"}),
            "field": "value",
        },
        _weighted_row(item, weights),
    ]
    for row in rows:
        row["score_text"] = number(row["score"])
        if row["missing"]:
            row["missing_text"] = f"Add {_and(row['missing'])} to get {row['noun']}."
    return rows


WEIGHT_LABELS = {
    "value": "value",
    "business_value": "business value",
    "time_criticality": "time criticality",
    "risk_reduction": "risk reduction",
    "reach": "reach",
    "impact": "impact",
    "confidence": "confidence",
    "effort": "effort",
    "job_size": "job size",
}


def _weighted_row(item: RoadmapItem, weights) -> dict:
    used = [(name, Decimal(getattr(weights, name))) for name in WEIGHT_INPUTS if getattr(weights, name)]
    terms = []
    for index, (name, weight) in enumerate(used):
        sign = "−" if weight < 0 else ("+" if index else "")
        terms.append(f"{sign} {number(abs(weight))} × {WEIGHT_LABELS[name]} {number(getattr(item, name))}".strip())
    total = sum(abs(weight) for _, weight in used)
    return {
        "name": "Weighted score",
        "noun": "a weighted score",
        "score": item.weighted_score,
        "inputs": [
            (f"{WEIGHT_LABELS[name].capitalize()} (weight {number(weight)})", number(getattr(item, name)))
            for name, weight in used
        ],
        "words": "Σ weight × input ÷ Σ |weight|, with the portfolio's weights",
        "formula": f"Weighted {number(item.weighted_score)} = ({' '.join(terms)}) ÷ {number(total)}"
        if used
        else "No input has a weight.",
        "missing": [WEIGHT_LABELS[name] for name, _ in used if getattr(item, name) is None],
        "field": next((name for name, _ in used if getattr(item, name) is None), "value"),
        "weights_url": reverse("scoring-weights", args=[item.product.portfolio_id]),
    }


# --- the item form ---------------------------------------------------------------------------------------


def _form_page(request, product, form, *, item=None):
    product_url = reverse("product-page", args=[product.id])
    crumbs = [(product.name, product_url), ("Roadmap", reverse("product-roadmap", args=[product.id]))]
    if item:
        crumbs += [(item.title, reverse("roadmap-item-page", args=[item.id])), ("Edit", None)]
        title, cancel = f"Edit “{item.title}”", reverse("roadmap-item-page", args=[item.id])
    else:
        crumbs += [("New item", None)]
        title, cancel = f"New roadmap item · {product.name}", reverse("product-roadmap", args=[product.id])
    context = portfolio_context(
        request,
        product.portfolio,
        crumbs=crumbs,
        section="roadmap",
        form=form,
        item=item,
        product=product,
        title=title,
        submit_label="Save changes" if item else "Create item",
        cancel_url=cancel,
        delete_url=reverse("roadmap-item-delete", args=[item.id]) if item else None,
    )
    return render(request, "roadmap/item_form.html", context, status=400 if form.errors else 200)


def _create_initial(request, product) -> dict:
    """What the "new item" links may preset: ?horizon=, ?kind=, ?parent= (an item of the product)."""
    initial = {}
    if request.GET.get("horizon") in RoadmapItem.Horizon.values:
        initial["horizon"] = request.GET["horizon"]
    parent_id = row_id(request.GET.get("parent"))
    parent = (
        RoadmapItem.objects.filter(product=product, pk=parent_id).exclude(kind="requirement").first()
        if parent_id is not None
        else None
    )
    if parent is not None:
        initial.update(parent=parent.pk, kind=CHILD_KIND[parent.kind])
        initial.setdefault("horizon", parent.horizon)
    if request.GET.get("kind") in RoadmapItem.Kind.values:
        initial["kind"] = request.GET["kind"]
    return initial


@page
def item_create(request):
    product = product_for_user(request.user, request.GET.get("product"))
    access.require(request.user, RoadmapItem, product.portfolio_id)
    form = RoadmapItemForm(request.POST or None, product=product, initial=_create_initial(request, product))
    if item := save_with(
        request,
        form,
        lambda data: services.roadmap_item_create(product=product, actor=request.user, **form.item_fields()),
    ):
        messages.success(request, f"“{item.title}” added to {item.get_horizon_display()}.")
        return redirect("roadmap-item-page", item_id=item.id)
    return _form_page(request, product, form)


@page
def item_edit(request, item_id: int):
    item = roadmap_item_for_user(request.user, item_id, write=True)
    form = RoadmapItemForm(
        request.POST or None, product=item.product, item=item, initial=RoadmapItemForm.initial_for(item)
    )
    if save_with(
        request,
        form,
        lambda data: services.roadmap_item_update(item_id=item.id, actor=request.user, **form.item_fields()),
    ):
        messages.success(request, "Item saved.")
        return redirect("roadmap-item-page", item_id=item.id)
    return _form_page(request, item.product, form, item=item)


@page
def item_delete(request, item_id: int):
    item = roadmap_item_for_user(request.user, item_id, write=True)
    item_url = reverse("roadmap-item-page", args=[item.id])
    if request.method == "POST":
        title = services.roadmap_item_delete(item_id=item.id, actor=request.user)
        messages.success(request, f"“{title}” was deleted.")
        return redirect(product_list_url("roadmap-items", item.product.portfolio_id, item.product_id))
    children = list(item.children.order_by("title").values_list("title", flat=True)[:11])
    edges = RoadmapDependency.objects.filter(Q(item=item) | Q(depends_on=item)).count()
    consequences = ["Its scores and its links to ideas, feedback and a key result."]
    if children:
        shown = ", ".join(f"“{t}”" for t in children[:10]) + (" …" if len(children) > 10 else "")
        consequences.append(f"Its children stay on the roadmap without a parent: {shown}.")
    if edges:
        consequences.append(f"{edges} dependenc{'y' if edges == 1 else 'ies'} to and from it are removed.")
    context = portfolio_context(
        request,
        item.product.portfolio,
        crumbs=[
            (item.product.name, reverse("product-page", args=[item.product_id])),
            ("Roadmap", reverse("product-roadmap", args=[item.product_id])),
            (item.title, item_url),
            ("Delete", None),
        ],
        section="roadmap",
        title=f"Delete the {item.kind} “{item.title}”?",
        consequence_intro="This cannot be undone; its history stays in the audit log. Deleted with it:",
        consequences=consequences,
        alternative="To keep it on record but off the plan, set its status to Dropped instead.",
        confirm_label=f"Delete {item.kind}",
        cancel_url=item_url,
    )
    return render(request, "confirm_page.html", context)


# --- the item page ---------------------------------------------------------------------------------------


def _history(item: RoadmapItem) -> list[DomainEvent]:
    """The item's events and those of dependencies to or from it, newest first."""
    events = object_history("roadmap_item", item.id, limit=HISTORY_LENGTH, zone=item.product.portfolio.zone)
    for event in events:
        event.label = event.action_label
    edges = list(
        DomainEvent.objects.filter(portfolio_id=item.product.portfolio_id, object_type="roadmap_dependency")
        .filter(Q(data__item=item.id) | Q(data__depends_on=item.id))
        .select_related("actor")
        .order_by("-at", "-id")[:HISTORY_LENGTH]
    )
    for event in edges:
        verb = "added" if event.verb.endswith("created") else "removed"
        event.label = f"Dependency {verb}: {event.object_repr}"
        event.readable = []
    return sorted([*events, *edges], key=lambda e: (e.at, e.id), reverse=True)[:HISTORY_LENGTH]


def _ancestors(item: RoadmapItem) -> list[RoadmapItem]:
    """Parents from the top down: at most two, since a parent is of a higher kind (initiative > feature >
    requirement). The item's parent comes joined; a grandparent costs one query."""
    if item.parent is None:
        return []
    if item.parent.parent_id is None:
        return [item.parent]
    return [RoadmapItem.objects.get(pk=item.parent.parent_id), item.parent]


def _item_page(request, item: RoadmapItem, *, dependency_form=None, status=200):
    portfolio = item.product.portfolio
    can_edit = access.can(request.user, RoadmapItem, portfolio.id)
    can_link = access.can(request.user, RoadmapDependency, portfolio.id)
    depends_on = list(
        RoadmapDependency.objects.filter(item=item)
        .select_related("depends_on__product")
        .order_by("kind", "depends_on__title", "id")
    )
    needed_by = list(
        RoadmapDependency.objects.filter(depends_on=item)
        .select_related("item__product")
        .order_by("kind", "item__title", "id")
    )
    warnings = schedule_warnings([item]).get(item.id, [])
    blocked_dependents = [edge.item for edge in needed_by if edge.kind == RoadmapDependency.Kind.BLOCKS]
    by_id = {dependent.pk: dependent for dependent in blocked_dependents}
    early = [  # items that depend on this one and are planned before it: the same conflict, seen from here
        {"item": by_id[dependent_id], "reasons": warning["reasons"]}
        for dependent_id, found in schedule_warnings(blocked_dependents).items()
        for warning in found
        if warning["depends_on"].pk == item.pk
    ]
    if can_link and dependency_form is None:
        dependency_form = DependencyForm(item=item, taken={edge.depends_on_id for edge in depends_on})
    # Fresh queries: the item's own `ideas`/`feedback` managers carry the selector's id-only prefetch.
    feedback = list(Feedback.objects.filter(roadmap_items=item).order_by("-importance", "-received_on", "-id")[:50])
    ideas = list(Idea.objects.filter(roadmap_items=item).order_by("title", "id")[:50])
    insights = list(MarketInsight.objects.filter(roadmap_items=item).order_by("-observed_on", "-id")[:50])
    key_result = item.key_result
    if key_result is not None:
        key_result = type(key_result).objects.select_related("goal").get(pk=key_result.pk)
    weights = services.scoring_weights_of(portfolio)
    child_kind = CHILD_KIND.get(item.kind)
    new_child_url = None
    if child_kind and can_edit:
        new_child_url = (
            reverse("roadmap-item-create")
            + "?"
            + urlencode({"product": item.product_id, "parent": item.id, "kind": child_kind, "horizon": item.horizon})
        )
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            (item.product.name, reverse("product-page", args=[item.product_id])),
            ("Roadmap", reverse("product-roadmap", args=[item.product_id])),
            (item.title, None),
        ],
        section="roadmap",
        item=item,
        product=item.product,
        ancestors=_ancestors(item),
        children=list(item.children.select_related("release").order_by("kind", "horizon", "rank", "title", "id")),
        child_kind=child_kind,
        new_child_url=new_child_url,
        scores=score_rows(item, weights),
        depends_on=depends_on,
        needed_by=needed_by,
        warnings=warnings,
        early_dependents=early,
        dependency_form=dependency_form,
        feedback=feedback,
        ideas=ideas,
        insights=insights,
        key_result=key_result,
        history=_history(item),
        can_edit=can_edit,
        can_link=can_link,
        can_weigh=access.can(request.user, ScoringWeights, portfolio.id),
    )
    return render(request, "roadmap/item_detail.html", context, status=status)


@page
def item_page(request, item_id: int):
    return _item_page(request, roadmap_item_for_user(request.user, item_id))


@page
@require_POST
def dependency_create(request, item_id: int):
    item = roadmap_item_for_user(request.user, item_id)
    access.require(request.user, RoadmapDependency, item.product.portfolio_id)
    form = DependencyForm(request.POST, item=item)
    if dependency := save_with(
        request,
        form,
        lambda data: services.dependency_create(
            item=item, depends_on=data["depends_on"], kind=data["kind"], actor=request.user
        ),
    ):
        verb = "is blocked by" if dependency.kind == RoadmapDependency.Kind.BLOCKS else "relates to"
        messages.success(request, f"“{item.title}” {verb} “{dependency.depends_on.title}”.")
        return redirect(reverse("roadmap-item-page", args=[item.id]) + "#dependencies")
    return _item_page(request, item, dependency_form=form, status=400)


@page
@require_POST
def dependency_delete(request, dependency_id: int):
    dependency = dependency_for_user(request.user, dependency_id, write=True)
    back = dependency.item_id
    if request.POST.get("from") == str(dependency.depends_on_id):
        back = dependency.depends_on_id
    services.dependency_delete(dependency_id=dependency.id, actor=request.user)
    messages.success(
        request, f"Removed: “{dependency.item.title}” no longer depends on “{dependency.depends_on.title}”."
    )
    return redirect(reverse("roadmap-item-page", args=[back]) + "#dependencies")


# --- the items table -------------------------------------------------------------------------------------


def _rank(field: str, values: list[str]) -> Case:
    return Case(
        *[When(**{field: value}, then=Value(index)) for index, value in enumerate(values)],
        default=Value(None),
        output_field=IntegerField(),
    )


SORT_EXPRESSIONS = {  # None: a score, ordered by roadmap.scoring.score_ordering
    "kind": _rank("kind", RoadmapItem.Kind.values),
    "title": F("title"),
    "product": F("product__name"),
    "status": _rank("status", RoadmapItem.Status.values),
    "horizon": _rank("horizon", RoadmapItem.Horizon.values),
    "release": F("release__target_date"),
    "owner": F("owner__username"),
    "rice_score": None,
    "wsjf_score": None,
    "value_effort": None,
    "weighted_score": None,
    "moscow": _rank("moscow", RoadmapItem.MoSCoW.values),
    "feedback_count": F("feedback_count"),
    "demand": None,  # weight, then deal value, then count (products.demand.DEMAND_ORDERING)
}
NUMERIC = {"rice_score", "wsjf_score", "value_effort", "weighted_score", "feedback_count", "demand"}
BOARD_ORDER = (F("product__name").asc(), _rank("horizon", RoadmapItem.Horizon.values).asc(), "rank", "id")


def _ordering(sort: str) -> tuple:
    name = sort.lstrip("-")
    if name not in SORT_EXPRESSIONS:
        return BOARD_ORDER
    descending = sort.startswith("-")
    if name == "demand":  # "-demand": the most wanted first
        return (*(OrderBy(F(term.lstrip("-")), descending=descending) for term in DEMAND_ORDERING), *BOARD_ORDER)
    expression = SORT_EXPRESSIONS[name]
    # Items without a value (no score, no release, no owner, no MoSCoW) sort last either way.
    term = (
        score_ordering(name, descending=descending)
        if expression is None
        else OrderBy(expression, descending=descending, nulls_last=True)
    )
    return (term, *BOARD_ORDER)


def _filtered(portfolio, wanted: dict):
    items = RoadmapItem.objects.filter(product__portfolio=portfolio)
    for name in ("product", "kind", "status", "horizon", "release"):
        if name in wanted:
            items = items.filter(**{name: wanted[name]})
    if "moscow" in wanted:
        items = (
            items.filter(moscow__isnull=True) if wanted["moscow"] == "none" else items.filter(moscow=wanted["moscow"])
        )
    if "search" in wanted:
        items = items.filter(Q(title__icontains=wanted["search"]) | Q(description__icontains=wanted["search"]))
    return roadmap_items(items)


def _query(request, **changes) -> str:
    """The current query string with `changes` (None removes a key); `page` is reset unless given."""
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"


@page
def item_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = ItemFilterForm(request.GET or None, portfolio=portfolio)
    wanted = filters.wanted() if request.GET else {}
    sort = wanted.get("sort", "")
    items = _filtered(portfolio, wanted).order_by(*_ordering(sort))
    product = wanted.get("product")
    if request.GET.get("format") == "csv":
        if filters.errors:
            problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items())
            return HttpResponse(f"Filters not valid: {problems}\n", status=400, content_type="text/plain")
        response = StreamingHttpResponse(
            exports.csv_lines(items.iterator(chunk_size=500)), content_type="text/csv; charset=utf-8"
        )
        name = f"roadmap-{portfolio.id}" + (f"-{product.id}" if product else "")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    listing = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(listing.object_list)
    warned = schedule_warnings(rows)
    for item in rows:
        item.score_texts = [
            (number(getattr(item, name)), SORT_FIELDS[name][0])
            for name in ("rice_score", "wsjf_score", "value_effort", "weighted_score")
        ]
        item.demand_deal_text = number(item.demand_deal_value) if item.demand_deal_value else ""
        item.demand_deal_short = short_amount(item.demand_deal_value) if item.demand_deal_value else ""
    current = sort.lstrip("-")
    columns = []
    for key, (label, _, _, descending_first) in SORT_FIELDS.items():
        if (key == "product" and product) or key == "feedback_count":  # the count shows in the Demand column
            continue
        if key == current:
            next_sort = key if sort.startswith("-") else f"-{key}"
            state = "descending" if sort.startswith("-") else "ascending"
        else:
            next_sort, state = (f"-{key}" if descending_first else key), None
        columns.append(
            {"key": key, "label": label, "num": key in NUMERIC, "url": _query(request, sort=next_sort), "sort": state}
        )
    filtered = any(name in wanted for name in ("product", "kind", "status", "horizon", "release", "moscow", "search"))
    crumbs = [("Roadmap", reverse("portfolio-roadmap", args=[portfolio.id])), ("Items & scores", None)]
    if product:
        crumbs = [
            (product.name, reverse("product-page", args=[product.id])),
            ("Roadmap", reverse("product-roadmap", args=[product.id])),
            ("Items & scores", None),
        ]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="roadmap",
        tab="items",
        product=product,
        filters=filters,
        filtered=filtered,
        columns=columns,
        rows=[(item, warned.get(item.id)) for item in rows],
        listing=listing,
        total=listing.paginator.count,
        csv_url=_query(request, format="csv"),
        clear_url=product_list_url("roadmap-items", portfolio.id, product.id if product else None),
        page_urls={
            "previous": _query(request, page=listing.previous_page_number()) if listing.has_previous() else None,
            "next": _query(request, page=listing.next_page_number()) if listing.has_next() else None,
        },
        can_create=access.can(request.user, RoadmapItem, portfolio.id),
        products=list(filters.fields["product"].queryset) if not product else [],
    )
    return render(request, "roadmap/items.html", context)


urlpatterns = [
    path("roadmap-items/new/", item_create, name="roadmap-item-create"),
    path("roadmap-items/<int:item_id>/", item_page, name="roadmap-item-page"),
    path("roadmap-items/<int:item_id>/edit/", item_edit, name="roadmap-item-edit"),
    path("roadmap-items/<int:item_id>/delete/", item_delete, name="roadmap-item-delete"),
    path("roadmap-items/<int:item_id>/dependencies/", dependency_create, name="roadmap-dependency-create"),
    path("roadmap-dependencies/<int:dependency_id>/delete/", dependency_delete, name="roadmap-dependency-delete"),
    path("portfolios/<int:portfolio_id>/roadmap/items/", item_list, name="roadmap-items"),
]
