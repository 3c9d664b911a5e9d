"""The strategy overview of a product, and search across insights, ideas, feedback, competitors and personas.

Both pages read only. Links to the other strategy pages are resolved by name in the templates
(`{% url … as u %}`), so a page another part of the app has not built yet is left out, not a 500.
"""

from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse

from kpis import strategy_overview
from kpis import strategy_search as search
from pmflow import access
from products.models import Feedback, Idea, MarketInsight, Product
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user, product_for_user


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _strategy_crumb(portfolio_id: int) -> tuple[str, str | None]:
    return ("Strategy", _url("portfolio-goals", portfolio_id) or None)


@page
def strategy_search(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    text = request.GET.get("q", "")
    problem = search.query_problem(text)
    terms = [] if problem else search.terms_of(text)
    found = {} if problem else search.strategy_search(portfolio, text)
    sections = []
    for kind in search.KINDS:
        if kind.key not in found:
            continue
        result = found[kind.key]
        list_url = _url(kind.list, portfolio.id)
        for hit in result.hits:
            hit.url = _url(kind.page, hit.id)
            hit.title_html = search.highlight(hit.title, terms)
            hit.snippet_html = search.highlight(hit.snippet, terms)
        sections.append({"found": result, "list_url": list_url})
    none = [s["found"].label.lower() for s in sections if not s["found"].total]
    missing = ", ".join(none[:-1]) + " or " + none[-1] if len(none) > 1 else "".join(none)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[_strategy_crumb(portfolio.id), ("Search", None)],
        section="strategy",
        q="" if search.broken(text) else text,
        problem=problem,
        terms=terms,
        sections=sections,
        total=sum(s["found"].total for s in sections),
        missing=missing,
        max_chars=search.MAX_QUERY_CHARS,
    )
    return render(request, "kpis/strategy/search.html", context, status=400 if problem else 200)


@page
def product_strategy(request, product_id: int):
    product = product_for_user(request.user, product_id)
    portfolio = product.portfolio
    overview = strategy_overview.product_strategy(product)
    can = {
        "product": access.can(request.user, Product, portfolio.id),
        "insight": access.can(request.user, MarketInsight, portfolio.id),
        "idea": access.can(request.user, Idea, portfolio.id),
        "feedback": access.can(request.user, Feedback, portfolio.id),
    }
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[(product.name, reverse("product-page", args=[product.id])), ("Strategy", None)],
        section="strategy",
        product=product,
        overview=overview,
        can=can,
        top=strategy_overview.TOP,
        feedback_days=strategy_overview.FEEDBACK_DAYS,
    )
    return render(request, "kpis/strategy/product.html", context)


urlpatterns = [
    path("products/<int:product_id>/strategy/", product_strategy, name="product-strategy"),
    path("portfolios/<int:portfolio_id>/strategy/search/", strategy_search, name="strategy-search"),
]
