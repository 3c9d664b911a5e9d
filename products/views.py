"""Pages: the portfolio dashboard and the product page. Rules live in services; these translate."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pmflow import access
from pmflow.errors import DomainError, NotFound
from pmflow.forms import csv_download
from products import gates, lifecycle, pages, services, status_book_views
from products.forms import DashboardFilter, PortfolioForm, TransitionForm
from products.models import Product, Stage
from products.selectors import (
    object_history,
    portfolio_for_user,
    portfolio_list_for_user,
    product_detail,
    product_for_user,
    products_by_stage,
    recent_transitions,
)


def remember_portfolio(request, portfolio_id: int) -> None:
    """The portfolio last looked at is where "/" and the switcher go next (no write if unchanged)."""
    if request.session.get("portfolio_id") != portfolio_id:
        request.session["portfolio_id"] = portfolio_id


def _or_404(fetch, *args, **kwargs):
    try:
        return fetch(*args, **kwargs)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def home(request):
    portfolios = list(portfolio_list_for_user(request.user).only("id"))
    remembered = request.session.get("portfolio_id")
    if any(p.id == remembered for p in portfolios):
        return redirect("portfolio-dashboard", portfolio_id=remembered)
    if portfolios:
        return redirect("portfolio-dashboard", portfolio_id=portfolios[0].id)
    return render(request, "products/no_portfolio.html", {"form": PortfolioForm()})


@login_required
def portfolio_create(request):
    form = PortfolioForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        portfolio = services.portfolio_create(
            name=form.cleaned_data["name"], timezone_name=form.cleaned_data["timezone"], creator=request.user
        )
        messages.success(request, f"Portfolio “{portfolio.name}” created. You are its admin.")
        return redirect("portfolio-dashboard", portfolio_id=portfolio.id)
    return render(request, "products/portfolio_form.html", {"form": form})


@login_required
def portfolio_dashboard(request, portfolio_id: int):
    portfolio = _or_404(portfolio_for_user, request.user, portfolio_id)
    remember_portfolio(request, portfolio.id)
    filters = DashboardFilter(request.GET or None, portfolio=portfolio)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    line = wanted.get("product_line")
    board = products_by_stage(
        portfolio,
        product_line_id=line.id if line else None,
        search=wanted.get("search") or "",
        archived=bool(wanted.get("archived")),
    )
    products = [p for stage_products in board.values() for p in stage_products]
    if request.GET.get("format") == "csv":
        return csv_download(
            f"products-{portfolio.id}",
            ["id", "name", "product_line", "stage", "stage_changed_at", "description"],
            [
                (
                    p.id,
                    p.name,
                    p.product_line.name if p.product_line else "",
                    p.stage,
                    p.stage_changed_at.astimezone(portfolio.zone).isoformat(),
                    p.description,
                )
                for p in products
            ],
        )
    cards = pages.cards_for(products, request)
    filtered = bool(wanted.get("product_line") or wanted.get("search") or wanted.get("archived"))
    columns = [
        {
            "stage": stage,
            "label": Stage(stage).label,
            "products": [(p, cards.get(p.id)) for p in board[stage]],
        }
        for stage in Stage.values
    ]
    context = pages.portfolio_context(
        request,
        portfolio,
        section="board",
        columns=columns,
        product_count=len(products),
        filtered=filtered,
        filters=filters,
        has_lines=portfolio.product_lines.exists(),
        can_create=access.can(request.user, Product, portfolio.id),
        transitions=recent_transitions(portfolio, product_ids=[p.id for p in products] if filtered else None),
        # The status book's one-line form (writers only), for the products the board shows.
        quick_entry=status_book_views.quick_entry(request, portfolio, products=products, filtered=filtered),
        # Portfolio-wide panels other apps add above the board (pending suggestions, signals).
        dashboard_panels=pages.panels_for(portfolio, request, slot="dashboard.panels"),
    )
    context["crumbs"] = []
    return render(request, "products/dashboard.html", context)


def _gate_preview(product) -> dict[str, list[dict]]:
    """{stage: unmet criteria} for every stage a person could pick: shown before the move, not after.
    The portfolio's gates in one query, each fact asked once (products.gates)."""
    return gates.gate_preview(product)


def _evidence_template(move) -> str:
    condition_type = (move.evidence or {}).get("condition_type") or getattr(move.rule, "condition_type", "")
    kind = lifecycle.condition_types.get(condition_type)
    return kind.evidence_template if kind and kind.evidence_template else ""


def _product_page(request, product, form=None, status=200, unmet=None):
    product = product_detail(product)
    stage_index = Stage.order(product.stage)
    can_move = access.can(request.user, Product, product.portfolio_id, "transition")
    refused = _gate_preview(product)  # every member sees what the next stage needs
    choices = TransitionForm(product=product, refused=refused).fields["to_stage"].choices
    if form is None:
        form = TransitionForm(product=product, refused=refused)
    form.fields["to_stage"].choices = choices
    next_stage = Stage.values[stage_index + 1] if stage_index + 1 < len(Stage.values) else None
    described_for = gates.first_move_refused_for(product, refused, "has_description")
    description_needed_for = Stage(described_for).label if described_for else None
    transitions = list(product.transitions.all())
    for move in transitions:
        move.evidence_template = _evidence_template(move)
        # An overridden gate's unmet list is shown as such, not again in the raw evidence.
        move.unmet_messages = gates.unmet_messages(move.unmet_criteria)
        move.shown_evidence = {k: v for k, v in (move.evidence or {}).items() if k != "unmet"}
    line = product.product_line
    line_crumb = []
    if line:
        line_crumb = [
            (line.name, f"{reverse('portfolio-dashboard', args=[product.portfolio_id])}?product_line={line.id}")
        ]
    context = pages.portfolio_context(
        request,
        product.portfolio,
        crumbs=[*line_crumb, (product.name, None)],
        product=product,
        stages=[
            {
                "value": v,
                "label": label,
                "state": "done" if i < stage_index else "current" if i == stage_index else "todo",
            }
            for i, (v, label) in enumerate(Stage.choices)
        ],
        transitions=transitions,
        panels=pages.panels_for(product, request),
        can_move=can_move,
        can_edit=access.can(request.user, Product, product.portfolio_id),
        form=form,
        unmet=unmet or [],
        description_needed_for=description_needed_for,
        next_stage=next_stage
        and {"value": next_stage, "label": Stage(next_stage).label, "unmet": refused.get(next_stage, [])},
        refused=[(Stage(stage).label, gates.unmet_messages(unmet)) for stage, unmet in refused.items()],
        history=object_history("product", product.id, limit=20, zone=product.portfolio.zone),
    )
    return render(request, "products/product_detail.html", context, status=status)


@login_required
def product_page(request, product_id: int):
    product = _or_404(product_for_user, request.user, product_id)
    remember_portfolio(request, product.portfolio_id)
    return _product_page(request, product)


@login_required
@require_POST
def product_transition(request, product_id: int):
    product = _or_404(product_for_user, request.user, product_id)
    if not access.can(request.user, Product, product.portfolio_id, "transition"):
        raise PermissionDenied("Your role in this portfolio cannot move products.")
    form = TransitionForm(request.POST, product=product)
    if not form.is_valid():
        return _product_page(request, product, form, status=400)
    data = form.cleaned_data
    try:
        services.product_transition(
            product_id=product.id,
            to_stage=data["to_stage"],
            reason=data["reason"],
            override=data["override"],
            expected_stage=data["from_stage"],
            actor=request.user,
        )
    except services.GateNotMet as exc:
        form.add_error(None, "The stage gate is not met. Meet the criteria below, or override with a reason.")
        return _product_page(request, product, form, status=409, unmet=exc.details.get("unmet"))
    except services.StaleStage as exc:
        messages.error(request, f"{exc.message} Nothing was changed; check the history and try again.")
        return redirect("product-page", product_id=product.id)
    except DomainError as exc:
        for field, problems in getattr(exc, "fields", {}).items():
            form.add_error(field if field in form.fields else None, problems)
        if not getattr(exc, "fields", None):
            form.add_error(None, exc.message)
        return _product_page(request, product, form, status=400)
    messages.success(request, f"{product.name} moved to {Stage(data['to_stage']).label}.")
    return redirect("product-page", product_id=product.id)


@login_required
def portfolio_switch(request):
    """The navigation's portfolio switcher (a GET form that works without JavaScript): to that dashboard."""
    try:
        portfolio_id = int(request.GET.get("portfolio", ""))
    except ValueError:
        raise Http404("No such portfolio.") from None
    portfolio = _or_404(portfolio_for_user, request.user, portfolio_id)
    return redirect("portfolio-dashboard", portfolio_id=portfolio.id)
