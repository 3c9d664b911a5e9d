"""Segment and persona pages (the product × segment matrix, journey maps).

- `segment-list`: the portfolio's segments with size, growth, priority and the products serving each,
  sortable by a column header, filterable, downloadable as CSV.
- `segment-matrix`: products as rows × segments as columns, a tick where a product serves a segment;
  writers toggle a cell (a small POST form per cell: htmx swaps the cell in place, a plain POST
  redirects back to it). On a phone it scrolls sideways with the product column kept in view.
- `persona-list`, `persona-page` (goals, pains and the journey as a journey: stages left to right,
  stacked on a phone), `persona-journey` (the journey edited as a table, one row per stage).

Every write goes through products.services.audience; a refusal (a taken name, a product or segment of
another portfolio, a journey over 12 stages) comes back on the form with status 400, never as a 500.
Roles are checked before a form is read.
"""

from django.contrib import messages
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_POST

from pmflow import access
from pmflow.errors import DomainError, NotFound
from pmflow.forms import csv_download, save_with
from products.audience_forms import (
    JOURNEY_ABSOLUTE_MAX,
    JOURNEY_PREFIX,
    SORTS,
    PersonaFilter,
    PersonaForm,
    SegmentFilter,
    SegmentForm,
    journey_formset,
)
from products.models import Persona, Product, Segment
from products.pages import page, portfolio_context, portfolio_to_create_in
from products.selectors import portfolio_for_user
from products.services import audience as services

SEGMENTS_SHOWN = 500
PERSONAS_SHOWN = 500
MATRIX_PRODUCTS = 300
MATRIX_SEGMENTS = 100


def _strategy_crumbs(portfolio_id: int, *more) -> list:
    try:
        crumbs = [("Strategy", reverse("portfolio-goals", args=[portfolio_id]))]
    except NoReverseMatch:  # the goals page is another part's; until it exists, no crumb
        crumbs = []
    return [*crumbs, *more]


def _segments_url(portfolio_id: int) -> str:
    return reverse("segment-list", args=[portfolio_id])


def _personas_url(portfolio_id: int) -> str:
    return reverse("persona-list", args=[portfolio_id])


def _valid(filters) -> dict:
    """The filter values that are valid (a bad one is ignored, not a 500 or an empty page)."""
    if not filters.is_bound:
        return {}
    filters.is_valid()
    return {name: value for name, value in filters.cleaned_data.items() if value not in (None, "")}


def _number(value) -> str:
    return "—" if value is None else f"{value:,}"


def _growth(value) -> str:
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return f"+{text}\u00a0%" if value > 0 else f"{text}\u00a0%".replace("-", "−")


def _mark_segment(segment: Segment) -> None:
    segment.size_label = _number(segment.size)
    segment.growth_label = _growth(segment.growth_pct)
    segment.growth_sign = "up" if (segment.growth_pct or 0) > 0 else "down" if (segment.growth_pct or 0) < 0 else ""
    segment.serving = list(segment.products.all())


# --- segments -------------------------------------------------------------------------------------------

ORDERINGS = {
    "priority": ("priority", "name", "id"),
    "name": ("name", "id"),
    "size": ("size", "name", "id"),
    "growth_pct": ("growth_pct", "name", "id"),
}


def _ordering(sort: str) -> list:
    """Order by `sort` (a SORTS key, "-" for descending); segments without a value sort last either way."""
    name = sort.lstrip("-") or "priority"
    descending = sort.startswith("-") if sort else True
    first, *rest = ORDERINGS[name]
    column = F(first).desc(nulls_last=True) if descending else F(first).asc(nulls_last=True)
    return [column, *rest]


@page
def segment_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = SegmentFilter(request.GET or None, portfolio=portfolio)
    wanted = _valid(filters)
    queryset = services.segments_with_counts().filter(portfolio=portfolio)
    if product := wanted.get("product"):
        queryset = queryset.filter(pk__in=Segment.products.through.objects.filter(product=product).values("segment"))
    if wanted.get("priority"):
        queryset = queryset.filter(priority=wanted["priority"])
    if served := wanted.get("served"):
        has_products = Segment.products.through.objects.values("segment")
        queryset = queryset.filter(pk__in=has_products) if served == "yes" else queryset.exclude(pk__in=has_products)
    sort = wanted.get("sort", "")
    queryset = queryset.order_by(*_ordering(sort))
    if request.GET.get("format") == "csv":
        rows = (services.segment_csv_row(segment) for segment in queryset.iterator(chunk_size=500))
        return csv_download(f"segments-{portfolio.id}", services.SEGMENT_CSV_COLUMNS, rows)
    rows = list(queryset[: SEGMENTS_SHOWN + 1])
    for segment in rows:
        _mark_segment(segment)
    columns = []
    current = sort or "-priority"
    for key, label in SORTS.items():
        if current.lstrip("-") == key:
            state = "descending" if current.startswith("-") else "ascending"
            next_sort = key if current.startswith("-") else f"-{key}"
        else:
            state, next_sort = None, key if key == "name" else f"-{key}"
        query = request.GET.copy()
        query["sort"] = next_sort
        columns.append({"key": key, "label": label, "sort": state, "url": f"?{query.urlencode()}"})
    csv_query = request.GET.copy()
    csv_query["format"] = "csv"
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(portfolio.id, ("Segments", None)),
        section="strategy",
        tab="segments",
        model=Segment,
        filters=filters,
        filtered=bool({k: v for k, v in wanted.items() if k != "sort"}),
        sort=sort,
        columns=columns,
        segments=rows[:SEGMENTS_SHOWN],
        more=len(rows) > SEGMENTS_SHOWN,
        unserved=sum(1 for segment in rows if not segment.serving),
        csv_url=f"?{csv_query.urlencode()}",
        can_write=access.can(request.user, Segment, portfolio.id),
    )
    return render(request, "products/audience/segment_list.html", context)


def _matrix_context(request, portfolio) -> dict:
    products = list(
        Product.objects.filter(portfolio=portfolio)
        .order_by(F("archived_at").asc(nulls_first=True), "name", "id")
        .only("id", "name", "stage", "archived_at", "portfolio_id")[: MATRIX_PRODUCTS + 1]
    )
    segments = list(
        Segment.objects.filter(portfolio=portfolio)
        .order_by("-priority", "name", "id")
        .only("id", "name", "priority", "portfolio_id")[: MATRIX_SEGMENTS + 1]
    )
    pairs = set(
        Segment.products.through.objects.filter(segment__portfolio=portfolio).values_list("product_id", "segment_id")
    )
    served_by = {segment.id: 0 for segment in segments}
    serves = {product.id: 0 for product in products}
    for product_id, segment_id in pairs:
        if segment_id in served_by and product_id in serves:
            served_by[segment_id] += 1
            serves[product_id] += 1
    for segment in segments:
        segment.product_count = served_by[segment.id]
    archived_idle = {p.id for p in products if p.archived_at is not None and not serves[p.id]}
    rows = []
    for product in products[:MATRIX_PRODUCTS]:
        if product.id in archived_idle:
            continue  # an archived product that serves nothing has no row
        cells = [
            {
                "segment": segment,
                "served": (product.id, segment.id) in pairs,
            }
            for segment in segments[:MATRIX_SEGMENTS]
        ]
        rows.append({"product": product, "cells": cells, "count": serves[product.id]})
    return {
        "rows": rows,
        "segments": segments[:MATRIX_SEGMENTS],
        "more_products": len(products) > MATRIX_PRODUCTS,
        "more_segments": len(segments) > MATRIX_SEGMENTS,
        "unserved": [segment for segment in segments[:MATRIX_SEGMENTS] if not segment.product_count],
        "can_write": access.can(request.user, Segment, portfolio.id),
    }


@page
def segment_matrix(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(portfolio.id, ("Segments", _segments_url(portfolio.id)), ("Product × segment", None)),
        section="strategy",
        tab="segments",
        model=Segment,
        **_matrix_context(request, portfolio),
    )
    return render(request, "products/audience/segment_matrix.html", context)


@page
@require_POST
def segment_matrix_cell(request, segment_id: int, product_id: int):
    """Toggle one cell: `serves` = "true" or "false". htmx gets the cell back; a plain POST a redirect to
    it on the matrix."""
    segment = services.segment_for_user(request.user, segment_id, write=True)  # before the body is read
    product = Product.objects.filter(pk=product_id, portfolio_id=segment.portfolio_id).first()
    if product is None:
        raise NotFound()
    serves = request.POST.get("serves", "").lower() in ("true", "on", "1", "yes")
    matrix_url = reverse("segment-matrix", args=[segment.portfolio_id]) + f"#cell-{product.id}-{segment.id}"
    try:
        services.segment_product_set(segment_id=segment.id, product=product, serves=serves, actor=request.user)
    except DomainError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
        messages.error(request, exc.message)
        return redirect(matrix_url)
    note = f"{product.name} {'serves' if serves else 'no longer serves'} {segment.name}."
    if request.htmx:
        cell = {"segment": segment, "served": serves}
        context = {"product": product, "cell": cell, "can_write": True, "announce": note}
        return render(request, "products/audience/_matrix_cell.html", context)
    messages.success(request, note)
    return redirect(matrix_url)


def _segment_form_page(request, portfolio, form: SegmentForm, *, segment: Segment | None = None):
    back = _segments_url(portfolio.id)
    crumbs = _strategy_crumbs(portfolio.id, ("Segments", back), (segment.name, None) if segment else ("New", None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        model=Segment,
        form=form,
        segment=segment,
        title=f"Edit segment “{segment.name}”" if segment else "New segment",
        intro=""
        if segment
        else "A group of customers with shared needs: how many there are, how fast they grow, how much they "
        "matter, and which products serve them.",
        submit_label="Save changes" if segment else "Add segment",
        cancel_url=back,
        delete_url=reverse("segment-delete", args=[segment.id]) if segment else None,
    )
    return render(request, "products/audience/segment_form.html", context, status=400 if form.errors else 200)


@page
def segment_create(request):
    portfolio = portfolio_to_create_in(request, Segment)  # the role before the form is read
    initial = {}
    if product_id := _row_id(request.GET.get("product")):
        initial["products"] = portfolio.products.filter(pk=product_id)
    form = SegmentForm(request.POST if request.method == "POST" else None, portfolio=portfolio, initial=initial)
    if segment := save_with(
        request,
        form,
        lambda data: services.segment_create(portfolio=portfolio, actor=request.user, **form.service_fields(data)),
    ):
        messages.success(request, f"Segment “{segment.name}” added.")
        return redirect(_segments_url(portfolio.id) + f"#segment-{segment.id}")
    return _segment_form_page(request, portfolio, form)


@page
def segment_edit(request, segment_id: int):
    segment = services.segment_for_user(request.user, segment_id, write=True)
    form = SegmentForm(
        request.POST if request.method == "POST" else None,
        portfolio=segment.portfolio,
        segment=segment,
        initial=SegmentForm.initial_for(segment),
    )
    if save_with(
        request,
        form,
        lambda data: services.segment_update(segment_id=segment.id, actor=request.user, **form.service_fields(data)),
    ):
        messages.success(request, f"Segment “{form.cleaned_data['name']}” saved.")
        return redirect(_segments_url(segment.portfolio_id) + f"#segment-{segment.id}")
    return _segment_form_page(request, segment.portfolio, form, segment=segment)


@page
def segment_delete(request, segment_id: int):
    segment = services.segment_for_user(request.user, segment_id, write=True)
    back = _segments_url(segment.portfolio_id)
    if request.method == "POST":
        name = services.segment_delete(segment_id=segment.id, actor=request.user)
        messages.success(request, f"Segment “{name}” deleted.")
        return redirect(back)
    consequences = [f"{segment.name} leaves the segment list and the product × segment matrix."]
    consequences += [
        f"{count} {what} stay, without this segment." if count > 1 else f"1 {what} stays, without this segment."
        for what, count in services.segment_delete_impact(segment)
    ]
    context = portfolio_context(
        request,
        segment.portfolio,
        crumbs=_strategy_crumbs(
            segment.portfolio_id,
            ("Segments", back),
            (segment.name, reverse("segment-edit", args=[segment.id])),
            ("Delete", None),
        ),
        section="strategy",
        model=Segment,
        title=f"Delete segment “{segment.name}”?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        alternative="To keep it for the record, lower its priority to 1 instead.",
        confirm_label="Delete segment",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


# --- personas -------------------------------------------------------------------------------------------


def _row_id(text) -> int | None:
    """A row id as typed ("12"), or None for anything else."""
    text = str(text).strip() if text is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


@page
def persona_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = PersonaFilter(request.GET or None, portfolio=portfolio)
    wanted = _valid(filters)
    queryset = services.personas().filter(portfolio=portfolio)
    if segment := wanted.get("segment"):
        queryset = queryset.filter(segment=segment)
    rows = list(queryset.order_by("name", "id")[: PERSONAS_SHOWN + 1])
    for persona in rows:
        persona.stages = [str(row.get("stage") or "") for row in persona.journey if isinstance(row, dict)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(portfolio.id, ("Personas", None)),
        section="strategy",
        tab="personas",
        model=Persona,
        filters=filters,
        filtered=bool(wanted),
        personas=rows[:PERSONAS_SHOWN],
        more=len(rows) > PERSONAS_SHOWN,
        can_write=access.can(request.user, Persona, portfolio.id),
    )
    return render(request, "products/audience/persona_list.html", context)


def journey_rows(persona: Persona) -> list[dict]:
    """The stored journey with every key (a row written before the rule may miss one)."""
    return [
        {key: str(row.get(key) or "") for key in services.JOURNEY_KEYS}
        for row in persona.journey
        if isinstance(row, dict)
    ]


@page
def persona_page(request, persona_id: int):
    persona = services.persona_for_user(request.user, persona_id)
    portfolio = persona.portfolio
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(portfolio.id, ("Personas", _personas_url(portfolio.id)), (persona.name, None)),
        section="strategy",
        tab="personas",
        model=Persona,
        persona=persona,
        journey=journey_rows(persona),
        can_write=access.can(request.user, Persona, portfolio.id),
    )
    return render(request, "products/audience/persona_page.html", context)


def _persona_form_page(request, portfolio, form: PersonaForm, *, persona: Persona | None = None):
    back = reverse("persona-page", args=[persona.id]) if persona else _personas_url(portfolio.id)
    crumbs = [("Personas", _personas_url(portfolio.id))]
    crumbs += [(persona.name, back), ("Edit", None)] if persona else [("New", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(portfolio.id, *crumbs),
        section="strategy",
        model=Persona,
        form=form,
        persona=persona,
        title=f"Edit persona “{persona.name}”" if persona else "New persona",
        intro=""
        if persona
        else "A typical buyer or user: who they are, what they want, what gets in their way. Map their customer "
        "journey next.",
        submit_label="Save changes" if persona else "Add persona",
        cancel_url=back,
        delete_url=reverse("persona-delete", args=[persona.id]) if persona else None,
    )
    return render(request, "products/audience/persona_form.html", context, status=400 if form.errors else 200)


@page
def persona_create(request):
    portfolio = portfolio_to_create_in(request, Persona)  # the role before the form is read
    initial = {}
    if segment_id := _row_id(request.GET.get("segment")):
        initial["segment"] = Segment.objects.filter(pk=segment_id, portfolio=portfolio).first()
    form = PersonaForm(request.POST if request.method == "POST" else None, portfolio=portfolio, initial=initial)
    if persona := save_with(
        request,
        form,
        lambda data: services.persona_create(portfolio=portfolio, actor=request.user, **form.service_fields(data)),
    ):
        messages.success(request, f"Persona “{persona.name}” added. Map their customer journey next.")
        return redirect("persona-journey", persona_id=persona.id)
    return _persona_form_page(request, portfolio, form)


@page
def persona_edit(request, persona_id: int):
    persona = services.persona_for_user(request.user, persona_id, write=True)
    form = PersonaForm(
        request.POST if request.method == "POST" else None,
        portfolio=persona.portfolio,
        initial=PersonaForm.initial_for(persona),
    )
    if save_with(
        request,
        form,
        lambda data: services.persona_update(persona_id=persona.id, actor=request.user, **form.service_fields(data)),
    ):
        messages.success(request, "Persona saved.")
        return redirect("persona-page", persona_id=persona.id)
    return _persona_form_page(request, persona.portfolio, form, persona=persona)


ROW_KEYS = (*services.JOURNEY_KEYS, "DELETE")


def _with_one_more_row(data):
    data = data.copy()
    key = f"{JOURNEY_PREFIX}-TOTAL_FORMS"
    data[key] = str(min((_row_id(data.get(key)) or 0) + 1, JOURNEY_ABSOLUTE_MAX))
    return data


def _with_rows_swapped(data, first: int, second: int):
    """The posted rows with rows `first` and `second` exchanged (a move up or down, not saved yet)."""
    data = data.copy()
    for key in ROW_KEYS:
        a, b = f"{JOURNEY_PREFIX}-{first}-{key}", f"{JOURNEY_PREFIX}-{second}-{key}"
        values_a, values_b = data.getlist(a), data.getlist(b)
        data.setlist(a, values_b)
        data.setlist(b, values_a)
        for name, values in ((a, values_b), (b, values_a)):
            if not values:
                data.pop(name, None)
    return data


def _move(data) -> tuple[int, int] | None:
    """The rows a "move" button asks to exchange: "up-3" → (3, 2), "down-3" → (3, 4); None otherwise."""
    direction, _, index = str(data.get("move", "")).partition("-")
    row = _row_id(index)
    total = _row_id(data.get(f"{JOURNEY_PREFIX}-TOTAL_FORMS")) or 0
    if row is None or direction not in ("up", "down"):
        return None
    other = row - 1 if direction == "up" else row + 1
    return (row, other) if 0 <= other < total and row < total else None


@page
def persona_journey(request, persona_id: int):
    """The journey as a table, one row per stage: add, remove and reorder rows, then save the whole list."""
    persona = services.persona_for_user(request.user, persona_id, write=True)  # before the form is read
    posted = request.method == "POST"
    data = request.POST if posted else None
    adding = posted and "add" in request.POST
    moving = posted and "move" in request.POST  # a move past the first or last row changes nothing
    swap = _move(request.POST) if moving else None
    if adding:
        data = _with_one_more_row(data)
    elif swap:
        data = _with_rows_swapped(data, *swap)
    formset = journey_formset(data, journey=journey_rows(persona))
    journey_errors: list = []
    status = 200
    if adding:
        if formset.forms:
            formset.forms[-1].fields["stage"].widget.attrs["autofocus"] = True
    elif moving:
        # Keep the moved row's button under the keyboard: focus follows the row.
        if swap:
            direction = "up" if swap[1] < swap[0] else "down"
            formset.focus = f"move-{direction}-{swap[1]}"
    elif posted:
        if formset.is_valid():
            try:
                services.persona_update(persona_id=persona.id, actor=request.user, journey=formset.rows())
            except DomainError as exc:
                status = exc.status
                problems = getattr(exc, "fields", {}).get("journey") or exc.message
                journey_errors = problems if isinstance(problems, list) else [problems]
            else:
                messages.success(request, "Journey saved.")
                return redirect(reverse("persona-page", args=[persona.id]) + "#journey")
        else:
            status = 400
            journey_errors = list(formset.non_form_errors())
    portfolio = persona.portfolio
    page_url = reverse("persona-page", args=[persona.id])
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(
            portfolio.id,
            ("Personas", _personas_url(portfolio.id)),
            (persona.name, page_url),
            ("Journey", None),
        ),
        section="strategy",
        model=Persona,
        persona=persona,
        formset=formset,
        journey_errors=journey_errors,
        focus=getattr(formset, "focus", ""),
        stage_limit=services.JOURNEY_STAGES_MAX,
        usual_stages=services.USUAL_STAGES,
        cancel_url=page_url + "#journey",
    )
    return render(request, "products/audience/persona_journey.html", context, status=status)


@page
def persona_delete(request, persona_id: int):
    persona = services.persona_for_user(request.user, persona_id, write=True)
    back = _personas_url(persona.portfolio_id)
    if request.method == "POST":
        name = services.persona_delete(persona_id=persona.id, actor=request.user)
        messages.success(request, f"Persona “{name}” deleted.")
        return redirect(back)
    stages = len(journey_rows(persona))
    consequences = [f"{persona.name} leaves the personas of {persona.portfolio.name}."]
    if stages:
        consequences.append(f"Their customer journey ({stages} stage{'s' if stages != 1 else ''}) goes with them.")
    consequences.append("Messaging that targets this persona no longer names it.")
    context = portfolio_context(
        request,
        persona.portfolio,
        crumbs=_strategy_crumbs(
            persona.portfolio_id,
            ("Personas", back),
            (persona.name, reverse("persona-page", args=[persona.id])),
            ("Delete", None),
        ),
        section="strategy",
        model=Persona,
        title=f"Delete persona “{persona.name}”?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        confirm_label="Delete persona",
        cancel_url=reverse("persona-page", args=[persona.id]),
    )
    return render(request, "confirm_page.html", context)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/segments/", segment_list, name="segment-list"),
    path("portfolios/<int:portfolio_id>/segments/matrix/", segment_matrix, name="segment-matrix"),
    path("segments/new/", segment_create, name="segment-create"),
    path("segments/<int:segment_id>/edit/", segment_edit, name="segment-edit"),
    path("segments/<int:segment_id>/delete/", segment_delete, name="segment-delete"),
    path(
        "segments/<int:segment_id>/products/<int:product_id>/",
        segment_matrix_cell,
        name="segment-matrix-cell",
    ),
    path("portfolios/<int:portfolio_id>/personas/", persona_list, name="persona-list"),
    path("personas/new/", persona_create, name="persona-create"),
    path("personas/<int:persona_id>/", persona_page, name="persona-page"),
    path("personas/<int:persona_id>/edit/", persona_edit, name="persona-edit"),
    path("personas/<int:persona_id>/journey/", persona_journey, name="persona-journey"),
    path("personas/<int:persona_id>/delete/", persona_delete, name="persona-delete"),
]
