"""Pages: the portfolio dashboard and the product page. Rules live in services; these translate."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pmflow import access
from pmflow.errors import DomainError, NotFound
from products import pages, services
from products.forms import PortfolioForm, TransitionForm
from products.models import Product, Stage
from products.selectors import (
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
    board = products_by_stage(portfolio)
    products = [p for stage_products in board.values() for p in stage_products]
    cards = pages.cards_for(products)
    columns = [
        {
            "stage": stage,
            "label": Stage(stage).label,
            "products": [(p, cards.get(p.id)) for p in board[stage]],
        }
        for stage in Stage.values
    ]
    return render(
        request,
        "products/dashboard.html",
        {
            "portfolio": portfolio,
            "columns": columns,
            "product_count": len(products),
            "transitions": recent_transitions(portfolio),
        },
    )


def _product_page(request, product, form, status=200, unmet=None):
    product = product_detail(product)
    stage_index = Stage.order(product.stage)
    context = {
        "portfolio": product.portfolio,
        "product": product,
        "stages": [
            {
                "value": v,
                "label": label,
                "state": "done" if i < stage_index else "current" if i == stage_index else "todo",
            }
            for i, (v, label) in enumerate(Stage.choices)
        ],
        "transitions": list(product.transitions.all()),
        "panels": pages.panels_for(product, request),
        "can_move": access.can(request.user, Product, product.portfolio_id, "transition"),
        "form": form,
        "unmet": unmet or [],
    }
    return render(request, "products/product_detail.html", context, status=status)


@login_required
def product_page(request, product_id: int):
    product = _or_404(product_for_user, request.user, product_id)
    remember_portfolio(request, product.portfolio_id)
    return _product_page(request, product, TransitionForm(product=product))


@login_required
@require_POST
def product_transition(request, product_id: int):
    product = _or_404(product_for_user, request.user, product_id)
    if not access.can(request.user, Product, product.portfolio_id, "transition"):
        messages.error(request, "Your role in this portfolio cannot move products.")
        return redirect("product-page", product_id=product.id)
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
