"""Page fragments other apps add to the products' pages, and what every page view shares.

`products` must not import the apps to its right, yet the dashboard shows each product's headline KPI
and the product page its KPI charts: apps register template fragments into named slots from their
`AppConfig.ready()`, each with an order and a visibility check. Slots today:

- "dashboard.card": `context(products, request)` → {product_id: context} for each card, batched so a
  board of 500 products costs a fixed number of queries; the template gets it as `card`.
- "product.panels": `context(product, request)` → dict, rendered in the product page's main column.
- "dashboard.panels": `context(portfolio, request)` → dict, rendered above the dashboard's board
  (pending stage suggestions, cross-functional signals); keep each to a fixed number of queries.
- "launch_plan.panels": `context(plan, request)` → dict, rendered on a launch plan's page (kpis adds
  the KPIs of the plan and its campaigns).

Condition types render their own evidence (`ConditionType.evidence_template`, products.lifecycle).
"""

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pmflow import access
from pmflow.errors import NotAllowed, NotFound
from products.models import Portfolio, Product, Role
from products.selectors import portfolio_for_user


@dataclass(frozen=True)
class Fragment:
    """A piece of another app's page: `template` rendered with what `context` returns."""

    key: str
    template: str
    context: Callable
    order: int = 100
    visible: Callable | None = None  # visible(obj, request) -> bool; None: always


_slots: dict[str, list[Fragment]] = defaultdict(list)


def register_fragment(slot: str, fragment: Fragment) -> None:
    """Add (or replace, by key) a fragment in a slot; fragments render in `order`."""
    kept = [f for f in _slots[slot] if f.key != fragment.key]
    _slots[slot] = sorted([*kept, fragment], key=lambda f: (f.order, f.key))


def fragments(slot: str) -> list[Fragment]:
    return list(_slots.get(slot, ()))


def _shown(fragment: Fragment, obj, request) -> bool:
    return fragment.visible is None or fragment.visible(obj, request)


def cards_for(products: list[Product], request=None) -> dict[int, dict]:
    """{product_id: {"fragments": [{"template", "context"}]}} for the dashboard board."""
    cards: dict[int, dict] = {p.id: {"fragments": []} for p in products}
    if not products:
        return cards
    for fragment in fragments("dashboard.card"):
        contexts = fragment.context(products, request)
        for product in products:
            if product.id in contexts and _shown(fragment, product, request):
                cards[product.id]["fragments"].append({"template": fragment.template, "context": contexts[product.id]})
    return cards


def panels_for(product: Product, request, slot: str = "product.panels") -> list[dict]:
    """The panels of `slot` for one object (a product; a launch plan for "launch_plan.panels")."""
    return [
        {"template": f.template, **f.context(product, request)} for f in fragments(slot) if _shown(f, product, request)
    ]


# --- what every page view shares ---------------------------------------------------------------------


def page(view):
    """A page view for signed-in people: NotFound is the 404 page, NotAllowed the 403 page."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapped


def portfolio_to_create_in(request, model):
    """The portfolio a "new …" page creates in (`?portfolio=`, else the one last looked at), checked
    for the user's right to write `model` there before any form is read."""
    portfolio = portfolio_for_user(request.user, request.GET.get("portfolio") or request.session.get("portfolio_id"))
    access.require(request.user, model, portfolio.id)
    return portfolio


def portfolio_context(request, portfolio, *, crumbs=(), section: str = "", model=None, **extra) -> dict:
    """The portfolio, the user's role there, the navigation's section and breadcrumbs for base.html.

    `crumbs` are (label, url) pairs after the portfolio; the last one is the page itself (url None).
    `model` is what the page writes (Product by default): the "read only" notice shows to the roles
    that may not write it (a marketer on a go-to-market page is not read-only).
    """
    role = access.role_in(request.user, portfolio.id)
    if request.session.get("portfolio_id") != portfolio.id:
        request.session["portfolio_id"] = portfolio.id
    return {
        "portfolio": portfolio,
        "role": role,
        "role_label": Role(role).label if role else "",
        "read_only": not access.can(request.user, model or Product, portfolio.id),
        "is_admin": access.can(request.user, Portfolio, portfolio.id),
        "section": section,
        "crumbs": [(portfolio.name, reverse("portfolio-dashboard", args=[portfolio.id])), *crumbs],
        **extra,
    }
