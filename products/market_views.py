"""Market insight and competitor pages: the insight list (filters, impact badges, CSV) and an insight's
page (its source, products, and the ideas and roadmap items that name it); the competitor cards with the
moves nobody has answered yet at the top (moves as CSV), a competitor's profile with the timeline of its
moves and our response to each; and the forms and delete confirmations of all three.

Every write goes through products.services.market; a refusal (a taken name, a website that is not
http(s), a planned response that says nothing, a product of another portfolio) comes back on the form
with status 400, never as a 500. Roles are checked before a form is read.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone

from pmflow import access
from pmflow.forms import csv_download, save_with
from products.market_forms import CompetitorFilter, CompetitorForm, InsightFilter, InsightForm, MoveForm
from products.models import Competitor, CompetitorMove, Idea, Impact, MarketInsight
from products.pages import page, portfolio_context, portfolio_to_create_in
from products.selectors import portfolio_for_user
from products.services import market as services

PER_PAGE = 50
UNANSWERED_SHOWN = 30
MOVES_SHOWN = 200
LINKS_SHOWN = 50
THREAT_ORDER = Case(
    When(threat=Impact.HIGH, then=Value(0)),
    When(threat=Impact.MEDIUM, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _row_id(text) -> int | None:
    """A row id as typed ("12"), or None for anything else ("²", "1e5", "-1", too many digits)."""
    text = str(text).strip() if text is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


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


def _strategy_crumbs(portfolio_id: int, *more) -> list:
    """Strategy › … (Strategy links to the goals page once it exists)."""
    try:
        strategy = ("Strategy", reverse("portfolio-goals", args=[portfolio_id]))
    except NoReverseMatch:
        strategy = ("Strategy", None)
    return [strategy, *more]


def _with_product(url: str, product) -> str:
    return f"{url}?product={product.id}" if product else url


# --- market insights ----------------------------------------------------------------------------------


def _insights_url(portfolio_id: int, product=None) -> str:
    return _with_product(reverse("insight-list", args=[portfolio_id]), product)


def _filtered_insights(portfolio, wanted: dict):
    queryset = services.market_insights().filter(portfolio=portfolio)
    if product := wanted.get("product"):
        queryset = queryset.filter(products=product)
    for name in ("kind", "impact"):
        if name in wanted:
            queryset = queryset.filter(**{name: wanted[name]})
    if "since" in wanted:
        queryset = queryset.filter(observed_on__gte=wanted["since"])
    if "until" in wanted:
        queryset = queryset.filter(observed_on__lte=wanted["until"])
    if text := (wanted.get("q") or "").strip():
        queryset = queryset.filter(Q(title__icontains=text) | Q(summary__icontains=text) | Q(source__icontains=text))
    return queryset


@page
def insight_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = InsightFilter(request.GET or None, portfolio=portfolio)
    wanted = _valid(filters)
    product = wanted.get("product")
    queryset = _filtered_insights(portfolio, wanted).order_by("-observed_on", "-id")
    if request.GET.get("format") == "csv":
        return _insights_csv(portfolio, queryset)
    listing = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    totals = queryset.order_by().aggregate(
        count=Count("id"),
        high=Count("id", filter=Q(impact=Impact.HIGH)),
        regulation=Count("id", filter=Q(kind="regulation")),
    )
    crumbs = _strategy_crumbs(portfolio.id, ("Market insight", _insights_url(portfolio.id) if product else None))
    if product:
        crumbs.append((product.name, None))
    can_write = access.can(request.user, MarketInsight, portfolio.id)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        tab="insights",
        model=MarketInsight,
        product=product,
        filters=filters,
        filtered=bool(wanted),
        listing=listing,
        totals=totals,
        query=_query_without_page(request),
        csv_query=request.GET.urlencode(),
        can_write=can_write,
    )
    return render(request, "products/market/insight_list.html", context)


INSIGHT_COLUMNS = ["observed_on", "kind", "impact", "title", "summary", "source", "products", "ideas", "roadmap_items"]


def _insights_csv(portfolio, insights):
    """Every insight the filters select (not only the page shown), as a spreadsheet opens it."""
    rows = (
        (
            insight.observed_on.isoformat(),
            insight.get_kind_display(),
            insight.get_impact_display(),
            insight.title,
            insight.summary,
            insight.source,
            "; ".join(product.name for product in insight.products.all()),
            insight.idea_count,
            insight.roadmap_item_count,
        )
        for insight in insights.iterator(chunk_size=500)
    )
    return csv_download(f"market-insights-{portfolio.id}", INSIGHT_COLUMNS, rows)


def _source_link(source: str) -> str:
    """The source as a link when it is one (http or https only), else ""."""
    text = (source or "").strip()
    return text if text.lower().startswith(("http://", "https://")) and " " not in text else ""


@page
def insight_page(request, insight_id: int):
    insight = services.market_insight_for_user(request.user, insight_id)
    portfolio = insight.portfolio
    ideas = list(
        Idea.objects.filter(insights=insight)
        .select_related("product")
        .order_by("product__name", "title", "id")[:LINKS_SHOWN]
    )
    items = list(insight.roadmap_items.select_related("product").order_by("product__name", "title", "id")[:LINKS_SHOWN])
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(portfolio.id, ("Market insight", _insights_url(portfolio.id)), (insight.title, None)),
        section="strategy",
        tab="insights",
        model=MarketInsight,
        insight=insight,
        source_link=_source_link(insight.source),
        ideas=ideas,
        items=items,
        can_write=access.can(request.user, MarketInsight, portfolio.id),
        can_write_ideas=access.can(request.user, Idea, portfolio.id),
        idea_product=insight.products.order_by("name", "id").first(),
    )
    return render(request, "products/market/insight_page.html", context)


def _insight_form_page(request, portfolio, form: InsightForm, *, insight: MarketInsight | None = None):
    back = reverse("insight-page", args=[insight.id]) if insight else _insights_url(portfolio.id)
    crumbs = _strategy_crumbs(portfolio.id, ("Market insight", _insights_url(portfolio.id)))
    crumbs += [(insight.title, back), ("Edit", None)] if insight else [("New insight", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        tab="insights",
        model=MarketInsight,
        form=form,
        insight=insight,
        title=f"Edit “{insight.title}”" if insight else "New market insight",
        intro=""
        if insight
        else "Something seen in the market that may matter: a competitor's step, a trend, what customers now "
        "expect, a regulation. Say where it comes from and which products it concerns.",
        submit_label="Save changes" if insight else "Add insight",
        cancel_url=back,
        delete_url=reverse("insight-delete", args=[insight.id]) if insight else None,
    )
    return render(request, "products/market/insight_form.html", context, status=400 if form.errors else 200)


@page
def insight_create(request):
    portfolio = portfolio_to_create_in(request, MarketInsight)  # the role, before the form is read
    initial = {"observed_on": timezone.localdate(timezone=portfolio.zone)}
    if product_id := _row_id(request.GET.get("product")):
        initial["products"] = portfolio.products.filter(pk=product_id)
    if (kind := request.GET.get("kind")) in MarketInsight.Kind.values:
        initial["kind"] = kind
    form = InsightForm(request.POST if request.method == "POST" else None, portfolio=portfolio, initial=initial)
    if insight := save_with(
        request,
        form,
        lambda data: services.market_insight_create(
            portfolio=portfolio, actor=request.user, **InsightForm.service_fields(data)
        ),
    ):
        messages.success(request, f"“{insight.title}” is in the market insight.")
        return redirect("insight-page", insight.id)
    return _insight_form_page(request, portfolio, form)


@page
def insight_edit(request, insight_id: int):
    insight = services.market_insight_for_user(request.user, insight_id, write=True)
    form = InsightForm(
        request.POST if request.method == "POST" else None,
        portfolio=insight.portfolio,
        insight=insight,
        initial=InsightForm.initial_for(insight),
    )
    if save_with(
        request,
        form,
        lambda data: services.market_insight_update(
            insight_id=insight.id, actor=request.user, **InsightForm.service_fields(data)
        ),
    ):
        messages.success(request, "Insight saved.")
        return redirect("insight-page", insight.id)
    return _insight_form_page(request, insight.portfolio, form, insight=insight)


@page
def insight_delete(request, insight_id: int):
    insight = services.market_insight_for_user(request.user, insight_id, write=True)
    portfolio = insight.portfolio
    back = reverse("insight-page", args=[insight.id])
    if request.method == "POST":
        title = services.market_insight_delete(insight_id=insight.id, actor=request.user)
        messages.success(request, f"“{title}” deleted.")
        return redirect(_insights_url(portfolio.id))
    consequences = [f"“{insight.title}” ({insight.observed_on:%Y-%m-%d}) leaves the market insight."]
    if insight.idea_count or insight.roadmap_item_count:
        consequences.append(
            f"{insight.idea_count} idea(s) and {insight.roadmap_item_count} roadmap item(s) that name it keep "
            "everything else; only the link to it goes."
        )
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(
            portfolio.id, ("Market insight", _insights_url(portfolio.id)), (insight.title, back), ("Delete", None)
        ),
        section="strategy",
        model=MarketInsight,
        title=f"Delete “{insight.title}”?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        alternative="If it is only outdated, lower its impact or add what changed to its summary instead.",
        confirm_label="Delete insight",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


# --- competitors --------------------------------------------------------------------------------------


def _competitors_url(portfolio_id: int, product=None) -> str:
    return _with_product(reverse("competitor-list", args=[portfolio_id]), product)


@page
def competitor_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = CompetitorFilter(request.GET or None, portfolio=portfolio)
    wanted = _valid(filters)
    product = wanted.get("product")
    listed = Competitor.objects.filter(portfolio=portfolio)
    if "threat" in wanted:
        listed = listed.filter(threat=wanted["threat"])
    if segment := wanted.get("segment"):
        listed = listed.filter(segments=segment)
    moves = services.competitor_moves().filter(competitor__in=listed.values("pk"))
    if product:
        listed = listed.filter(moves__products=product)
        moves = moves.filter(products=product)
    if request.GET.get("format") == "csv":
        return _moves_csv(portfolio, moves.order_by("-happened_on", "-id"))
    competitors = list(services.competitors().filter(pk__in=listed.values("pk")).order_by(THREAT_ORDER, "name", "id"))
    open_moves = services.unanswered(moves).order_by("-happened_on", "-id")
    unanswered = list(open_moves[:UNANSWERED_SHOWN])
    crumbs = _strategy_crumbs(portfolio.id, ("Competitors", _competitors_url(portfolio.id) if wanted else None))
    if product:
        crumbs.append((f"Moves on {product.name}", None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        tab="competitors",
        model=CompetitorMove,  # marketers record moves and responses: not read-only for them
        product=product,
        filters=filters,
        filtered=bool(wanted),
        competitors=competitors,
        unanswered=unanswered,
        unanswered_count=open_moves.count(),
        csv_query=request.GET.urlencode(),
        has_moves=any(competitor.move_count for competitor in competitors),
        can_profile=access.can(request.user, Competitor, portfolio.id),
        can_move=access.can(request.user, CompetitorMove, portfolio.id),
    )
    return render(request, "products/market/competitor_list.html", context)


MOVE_COLUMNS = ["happened_on", "competitor", "kind", "description", "products", "response_status", "response"]


def _moves_csv(portfolio, moves):
    rows = (
        (
            move.happened_on.isoformat(),
            move.competitor.name,
            move.get_kind_display(),
            move.description,
            "; ".join(product.name for product in move.products.all()),
            move.get_response_status_display(),
            move.response,
        )
        for move in moves.iterator(chunk_size=500)
    )
    return csv_download(f"competitor-moves-{portfolio.id}", MOVE_COLUMNS, rows)


@page
def competitor_page(request, competitor_id: int):
    competitor = services.competitor_for_user(request.user, competitor_id)
    portfolio = competitor.portfolio
    moves = services.competitor_moves().filter(competitor=competitor)
    only_open = request.GET.get("response_status") == services.NO_RESPONSE
    if only_open:
        moves = services.unanswered(moves)
    timeline = list(moves.order_by("-happened_on", "-id")[: MOVES_SHOWN + 1])
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(portfolio.id, ("Competitors", _competitors_url(portfolio.id)), (competitor.name, None)),
        section="strategy",
        tab="competitors",
        model=CompetitorMove,
        competitor=competitor,
        timeline=timeline[:MOVES_SHOWN],
        timeline_more=len(timeline) > MOVES_SHOWN,
        only_open=only_open,
        can_profile=access.can(request.user, Competitor, portfolio.id),
        can_move=access.can(request.user, CompetitorMove, portfolio.id),
    )
    return render(request, "products/market/competitor_page.html", context)


def _competitor_form_page(request, portfolio, form: CompetitorForm, *, competitor: Competitor | None = None):
    back = reverse("competitor-page", args=[competitor.id]) if competitor else _competitors_url(portfolio.id)
    crumbs = _strategy_crumbs(portfolio.id, ("Competitors", _competitors_url(portfolio.id)))
    crumbs += [(competitor.name, back), ("Edit", None)] if competitor else [("New competitor", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        tab="competitors",
        model=Competitor,
        form=form,
        competitor=competitor,
        title=f"Edit {competitor.name}" if competitor else "New competitor",
        intro=""
        if competitor
        else "A profile sales and product can agree on: where you meet them, why customers choose them, where "
        "they are weak, what they charge. Record their moves on the profile afterwards.",
        submit_label="Save changes" if competitor else "Add competitor",
        cancel_url=back,
        delete_url=reverse("competitor-delete", args=[competitor.id]) if competitor else None,
    )
    return render(request, "products/market/competitor_form.html", context, status=400 if form.errors else 200)


@page
def competitor_create(request):
    portfolio = portfolio_to_create_in(request, Competitor)  # the role, before the form is read
    form = CompetitorForm(request.POST if request.method == "POST" else None, portfolio=portfolio)
    if competitor := save_with(
        request,
        form,
        lambda data: services.competitor_create(
            portfolio=portfolio, actor=request.user, **CompetitorForm.service_fields(data)
        ),
    ):
        messages.success(request, f"{competitor.name} is on the competitor list.")
        return redirect("competitor-page", competitor.id)
    return _competitor_form_page(request, portfolio, form)


@page
def competitor_edit(request, competitor_id: int):
    competitor = services.competitor_for_user(request.user, competitor_id, write=True)
    form = CompetitorForm(
        request.POST if request.method == "POST" else None,
        portfolio=competitor.portfolio,
        initial=CompetitorForm.initial_for(competitor),
    )
    if save_with(
        request,
        form,
        lambda data: services.competitor_update(
            competitor_id=competitor.id, actor=request.user, **CompetitorForm.service_fields(data)
        ),
    ):
        messages.success(request, "Profile saved.")
        return redirect("competitor-page", competitor.id)
    return _competitor_form_page(request, competitor.portfolio, form, competitor=competitor)


@page
def competitor_delete(request, competitor_id: int):
    competitor = services.competitor_for_user(request.user, competitor_id, write=True)
    portfolio = competitor.portfolio
    back = reverse("competitor-page", args=[competitor.id])
    if request.method == "POST":
        name = services.competitor_delete(competitor_id=competitor.id, actor=request.user)
        messages.success(request, f"{name} deleted with its moves.")
        return redirect(_competitors_url(portfolio.id))
    consequences = [f"The profile of {competitor.name} leaves the competitor list."]
    if competitor.move_count:
        consequences.append(
            f"Its {competitor.move_count} recorded move(s) and our responses to them are deleted with it."
        )
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_strategy_crumbs(
            portfolio.id, ("Competitors", _competitors_url(portfolio.id)), (competitor.name, back), ("Delete", None)
        ),
        section="strategy",
        model=Competitor,
        title=f"Delete {competitor.name}?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        alternative="If they matter less now, lower their threat instead: the history of their moves stays.",
        confirm_label="Delete competitor",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


# --- competitor moves ---------------------------------------------------------------------------------


def _after_move(request, move: CompetitorMove):
    """Back where the person came from: the competitor list (`?from=list`) or the competitor's timeline."""
    if request.GET.get("from") == "list":
        return redirect(_competitors_url(move.competitor.portfolio_id))
    return redirect(reverse("competitor-page", args=[move.competitor_id]) + f"#move-{move.id}")


def _move_form_page(request, competitor: Competitor, form: MoveForm, *, move: CompetitorMove | None = None):
    portfolio = competitor.portfolio
    back = reverse("competitor-page", args=[competitor.id])
    if move is not None and request.GET.get("from") == "list":
        back = _competitors_url(portfolio.id)
    crumbs = _strategy_crumbs(portfolio.id, ("Competitors", _competitors_url(portfolio.id)), (competitor.name, back))
    crumbs.append(("Edit move", None) if move else ("New move", None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        tab="competitors",
        model=CompetitorMove,
        form=form,
        move=move,
        competitor=competitor,
        title=f"{competitor.name}: {move.get_kind_display().lower()} on {move.happened_on:%Y-%m-%d}"
        if move
        else f"New move by {competitor.name}",
        intro="Record our response and its status below; a move without one stands out on the competitor pages."
        if move
        else "A launch, a price change, a campaign or a partnership. Add our response now or once it is agreed.",
        submit_label="Save" if move else "Add move",
        cancel_url=back,
        delete_url=reverse("competitor-move-delete", args=[move.id]) if move else None,
        respond_first=bool(move) and move.response_status == services.NO_RESPONSE,
    )
    return render(request, "products/market/move_form.html", context, status=400 if form.errors else 200)


@page
def move_create(request, competitor_id: int):
    competitor = services.competitor_for_user(request.user, competitor_id)
    access.require(request.user, CompetitorMove, competitor.portfolio_id)  # before the form is read
    initial = {"happened_on": timezone.localdate(timezone=competitor.portfolio.zone)}
    if product_id := _row_id(request.GET.get("product")):
        initial["products"] = competitor.portfolio.products.filter(pk=product_id)
    form = MoveForm(request.POST if request.method == "POST" else None, competitor=competitor, initial=initial)
    if move := save_with(
        request,
        form,
        lambda data: services.competitor_move_create(
            competitor=competitor, actor=request.user, **MoveForm.service_fields(data)
        ),
    ):
        messages.success(request, f"The {move.get_kind_display().lower()} of {competitor.name} is recorded.")
        return _after_move(request, move)
    return _move_form_page(request, competitor, form)


@page
def move_edit(request, move_id: int):
    move = services.competitor_move_for_user(request.user, move_id, write=True)
    form = MoveForm(
        request.POST if request.method == "POST" else None,
        competitor=move.competitor,
        move=move,
        initial=MoveForm.initial_for(move),
    )
    if saved := save_with(
        request,
        form,
        lambda data: services.competitor_move_update(
            move_id=move.id, actor=request.user, **MoveForm.service_fields(data)
        ),
    ):
        messages.success(request, "Move saved.")
        return _after_move(request, saved)
    return _move_form_page(request, move.competitor, form, move=move)


@page
def move_delete(request, move_id: int):
    move = services.competitor_move_for_user(request.user, move_id, write=True)
    competitor = move.competitor
    back = reverse("competitor-page", args=[competitor.id])
    if request.method == "POST":
        label = services.competitor_move_delete(move_id=move.id, actor=request.user)
        messages.success(request, f"{label}: deleted.")
        return redirect(back)
    consequences = [
        f"The {move.get_kind_display().lower()} of {move.happened_on:%Y-%m-%d} leaves {competitor.name}'s timeline."
    ]
    if move.response:
        consequences.append("Our response to it is deleted with it.")
    context = portfolio_context(
        request,
        competitor.portfolio,
        crumbs=_strategy_crumbs(
            competitor.portfolio_id,
            ("Competitors", _competitors_url(competitor.portfolio_id)),
            (competitor.name, back),
            ("Delete move", None),
        ),
        section="strategy",
        model=CompetitorMove,
        title=f"Delete this move by {competitor.name}?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        alternative="If it needs no answer, record that as a done response instead (e.g. “No action: niche segment”).",
        confirm_label="Delete move",
        cancel_url=back,
    )
    return render(request, "confirm_page.html", context)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/insights/", insight_list, name="insight-list"),
    path("insights/new/", insight_create, name="insight-create"),
    path("insights/<int:insight_id>/", insight_page, name="insight-page"),
    path("insights/<int:insight_id>/edit/", insight_edit, name="insight-edit"),
    path("insights/<int:insight_id>/delete/", insight_delete, name="insight-delete"),
    path("portfolios/<int:portfolio_id>/competitors/", competitor_list, name="competitor-list"),
    path("competitors/new/", competitor_create, name="competitor-create"),
    path("competitors/<int:competitor_id>/", competitor_page, name="competitor-page"),
    path("competitors/<int:competitor_id>/edit/", competitor_edit, name="competitor-edit"),
    path("competitors/<int:competitor_id>/delete/", competitor_delete, name="competitor-delete"),
    path("competitors/<int:competitor_id>/moves/new/", move_create, name="competitor-move-create"),
    path("competitor-moves/<int:move_id>/edit/", move_edit, name="competitor-move-edit"),
    path("competitor-moves/<int:move_id>/delete/", move_delete, name="competitor-move-delete"),
]
