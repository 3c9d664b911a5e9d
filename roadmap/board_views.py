"""The now/next/later board of a product and of a portfolio, and the move its cards make.

A move is `horizon` + `before` (the id of the card it is dropped before; empty for the end of the
column), from a drag, Alt+arrow keys or the card's small buttons (which work without JavaScript). With
htmx the answer is the re-rendered board (or, on the portfolio board, the product's lane); without it,
a redirect back to the board.
"""

from django import forms
from django.contrib import messages
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pmflow import access
from products.models import Product, ProductLine
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user, product_for_user
from roadmap import board, services
from roadmap.models import Release, RoadmapItem
from roadmap.page_tools import row_id
from roadmap.scoring import SCORE_LABELS, SCORES


class BoardFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *RoadmapItem.Kind.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *RoadmapItem.Status.choices])
    score = forms.ChoiceField(
        required=False, label="Score shown", choices=[(name, SCORE_LABELS[name]) for name in SCORES]
    )
    hide_finished = forms.BooleanField(required=False, label="Hide done and dropped")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def board_filters(self) -> board.BoardFilters:
        """The filters asked for; a value that is not valid (a stale link) is left out, not refused."""
        if not self.is_bound:
            return board.BoardFilters()
        self.is_valid()
        data = self.cleaned_data
        release = data.get("release")
        return board.BoardFilters(
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            release_id=release.id if release else None,
            hide_finished=bool(data.get("hide_finished")),
            score=data.get("score") or board.DEFAULT_SCORE,
        )


class ProductBoardFilterForm(BoardFilterForm):
    release = forms.ModelChoiceField(required=False, queryset=Release.objects.none(), empty_label="Any release")
    field_order = ["kind", "status", "release", "score", "hide_finished"]

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["release"].queryset = Release.objects.filter(product=product)


class PortfolioBoardFilterForm(BoardFilterForm):
    product_line = forms.ModelChoiceField(
        required=False, queryset=ProductLine.objects.none(), empty_label="All product lines"
    )
    product = forms.ModelChoiceField(required=False, queryset=Product.objects.none(), empty_label="All products")
    field_order = ["product_line", "product", "kind", "status", "score", "hide_finished"]

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = ProductLine.objects.filter(portfolio=portfolio).order_by("name")
        self.fields["product"].queryset = Product.objects.filter(portfolio=portfolio, archived_at__isnull=True)


def _board_context(request, portfolio_id: int, filters: board.BoardFilters, board_url: str, kind: str) -> dict:
    return {
        "filters": filters,
        "can_move": access.can(request.user, RoadmapItem, portfolio_id, "move"),
        "can_add": access.can(request.user, RoadmapItem, portfolio_id),
        "board_url": board_url,
        "board_kind": kind,
    }


def _with_query(url: str, request) -> str:
    query = request.GET.urlencode()
    return f"{url}?{query}" if query else url


@page
def product_roadmap(request, product_id: int):
    product = product_for_user(request.user, product_id)
    form = ProductBoardFilterForm(request.GET or None, product=product)
    filters = form.board_filters()
    lane = board.product_board(product, filters)
    context = portfolio_context(
        request,
        product.portfolio,
        crumbs=[("Roadmap", reverse("portfolio-roadmap", args=[product.portfolio_id])), (product.name, None)],
        section="roadmap",
        tab="board",
        product=product,
        lane=lane,
        form=form,
        has_releases=form.fields["release"].queryset.exists(),
        clear_url=reverse("product-roadmap", args=[product.id]),
        **_board_context(request, product.portfolio_id, filters, request.get_full_path(), "product"),
    )
    return render(request, "roadmap/board.html", context)


@page
def portfolio_roadmap(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    form = PortfolioBoardFilterForm(request.GET or None, portfolio=portfolio)
    filters = form.board_filters()
    products = Product.objects.filter(portfolio=portfolio, archived_at__isnull=True).select_related("product_line")
    wanted = form.cleaned_data if form.is_bound else {}
    if wanted.get("product_line"):
        products = products.filter(product_line=wanted["product_line"])
    if wanted.get("product"):
        products = products.filter(pk=wanted["product"].pk)
    products = list(products.order_by(F("product_line__name").asc(nulls_last=True), "name", "id"))
    lanes = board.lanes(products, filters)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Roadmap", None)],
        section="roadmap",
        tab="board",
        lanes=lanes,
        form=form,
        has_lines=len(form.fields["product_line"].choices) > 1,
        item_count=sum(lane.total for lane in lanes),
        shown_count=sum(lane.shown for lane in lanes),
        narrowed=filters.narrowed or bool(wanted.get("product_line") or wanted.get("product")),
        clear_url=reverse("portfolio-roadmap", args=[portfolio.id]),
        **_board_context(request, portfolio.id, filters, request.get_full_path(), "portfolio"),
    )
    return render(request, "roadmap/board.html", context)


def _move_input(post) -> tuple[str, int | None]:
    """(horizon, before id or None) from `horizon` + `before`, or from a card button's `move`
    ("<horizon>:<before>"). Raises ValueError with the field's message."""
    if "move" in post:
        horizon, _, before = post["move"].partition(":")
    else:
        horizon, before = post.get("horizon", ""), post.get("before", "")
    if horizon not in RoadmapItem.Horizon.values:
        raise ValueError(f"horizon: use one of {', '.join(RoadmapItem.Horizon.values)}.")
    before = before.strip()
    if not before:
        return horizon, None
    if (before_id := row_id(before)) is None:
        raise ValueError("before: the id of the card it goes before, or empty for the end of the column.")
    return horizon, before_id


def _board_fragment(request, item: RoadmapItem, *, announce: str = "", notice: str = "", status: int = 200):
    """The re-rendered board of the item's product, or its lane when the move came from the portfolio board."""
    product = item.product
    if request.POST.get("board") == "portfolio":
        form = PortfolioBoardFilterForm(request.GET or None, portfolio=product.portfolio)
        url, kind, template = reverse("portfolio-roadmap", args=[product.portfolio_id]), "portfolio", "_board_lane"
    else:
        form = ProductBoardFilterForm(request.GET or None, product=product)
        url, kind, template = reverse("product-roadmap", args=[product.id]), "product", "_board_product"
    filters = form.board_filters()
    context = {
        "product": product,
        "portfolio": product.portfolio,
        "lane": board.lanes([product], filters)[0],
        "announce": announce,
        "notice": notice,
        **_board_context(request, product.portfolio_id, filters, _with_query(url, request), kind),
    }
    return render(request, f"roadmap/{template}.html", context, status=status)


def _back(request, item: RoadmapItem):
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("product-roadmap", args=[item.product_id])
    return redirect(target)


@page
@require_POST
def item_move(request, item_id: int):
    # The access rule of roadmap_item_for_user, without the scores and link lists a move does not need.
    item = access.object_for_user(
        request.user, RoadmapItem.objects.select_related("product__portfolio"), item_id, action="move"
    )
    try:
        horizon, before = _move_input(request.POST)
    except ValueError as exc:
        return HttpResponse(f"Nothing was moved. {exc}", status=400, content_type="text/plain; charset=utf-8")
    try:
        moved = services.roadmap_item_move_before(
            item_id=item.id, horizon=horizon, before_id=before, actor=request.user
        )
    except services.BoardChanged as exc:
        if request.htmx:
            return _board_fragment(request, item, notice=exc.message, status=409)
        messages.error(request, exc.message)
        return _back(request, item)
    done = f"Moved “{moved.title}” to {moved.get_horizon_display()}, position {moved.rank + 1}."
    if request.htmx:
        return _board_fragment(request, item, announce=done)
    messages.success(request, done)
    return _back(request, item)


urlpatterns = [
    path("products/<int:product_id>/roadmap/", product_roadmap, name="product-roadmap"),
    path("portfolios/<int:portfolio_id>/roadmap/", portfolio_roadmap, name="portfolio-roadmap"),
    path("roadmap-items/<int:item_id>/move/", item_move, name="roadmap-item-move"),
]
