"""Read queries and the access helpers pages and API share.

Every helper answers "missing" and "not yours" with the same NotFound, and "yours but read-only" with
NotAllowed.
"""

from django.db.models import Prefetch, QuerySet

from pmflow.errors import NotAllowed, NotFound
from products.models import (
    LifecycleRule,
    Membership,
    Portfolio,
    Product,
    ProductLine,
    Role,
    Stage,
    StageTransition,
)

READ_ROLES = frozenset(Role.values)
# Who may write what, by kind of object. Marketers will write go-to-market data (gtm/) and its KPIs.
WRITE_ROLES = {
    "portfolio": frozenset({Role.ADMIN}),
    "membership": frozenset({Role.ADMIN}),
    "lifecycle_rule": frozenset({Role.ADMIN}),
    "product_line": frozenset({Role.ADMIN, Role.PRODUCT_MANAGER}),
    "product": frozenset({Role.ADMIN, Role.PRODUCT_MANAGER}),
    "transition": frozenset({Role.ADMIN, Role.PRODUCT_MANAGER}),
    "kpi": frozenset({Role.ADMIN, Role.PRODUCT_MANAGER}),
    "measurement": frozenset({Role.ADMIN, Role.PRODUCT_MANAGER}),
}


def roles_by_portfolio(user) -> dict[int, str]:
    """{portfolio_id: role} for the user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, "_pmflow_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("portfolio_id", "role"))
        user._pmflow_roles = cached
    return cached


def role_in(user, portfolio_id: int) -> str | None:
    return roles_by_portfolio(user).get(portfolio_id)


def can_write(user, portfolio_id: int, kind: str) -> bool:
    return role_in(user, portfolio_id) in WRITE_ROLES[kind]


def require_write(user, portfolio_id: int, kind: str) -> None:
    """Raise NotFound if the user is not a member, NotAllowed if the role may only read."""
    role = role_in(user, portfolio_id)
    if role is None:
        raise NotFound()
    if role not in WRITE_ROLES[kind]:
        raise NotAllowed(f"A {Role(role).label.lower()} cannot change this.")


def _scoped(queryset: QuerySet, user, path: str = "portfolio_id") -> QuerySet:
    return queryset.filter(**{f"{path}__in": list(roles_by_portfolio(user))})


# --- lists --------------------------------------------------------------------------------------------


def portfolio_list_for_user(user) -> QuerySet[Portfolio]:
    return _scoped(Portfolio.objects.all(), user, "id")


def membership_list(portfolio: Portfolio) -> QuerySet[Membership]:
    return portfolio.memberships.select_related("user").order_by("user__username")


def product_line_list_for_user(user) -> QuerySet[ProductLine]:
    return _scoped(ProductLine.objects.all(), user)


def product_list_for_user(user) -> QuerySet[Product]:
    return _scoped(Product.objects.select_related("product_line"), user)


def transition_list(product: Product) -> QuerySet[StageTransition]:
    return product.transitions.select_related("actor", "rule")


def recent_transitions(portfolio: Portfolio, limit: int = 10) -> list[StageTransition]:
    return list(
        StageTransition.objects.filter(product__portfolio=portfolio)
        .select_related("product", "actor", "rule")
        .order_by("-at", "-id")[:limit]
    )


def lifecycle_rule_list_for_user(user) -> QuerySet[LifecycleRule]:
    return _scoped(LifecycleRule.objects.all(), user)


def products_by_stage(portfolio: Portfolio) -> dict[str, list[Product]]:
    board: dict[str, list[Product]] = {stage: [] for stage in Stage.values}
    for product in portfolio.products.select_related("product_line").order_by("name"):
        board[product.stage].append(product)
    return board


# --- one object -------------------------------------------------------------------------------------


def _one(queryset: QuerySet, user, pk, kind: str, write: bool):
    try:
        obj = queryset.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise NotFound()
    portfolio_id = obj.id if kind == "portfolio" else obj.portfolio_id
    if role_in(user, portfolio_id) is None:
        raise NotFound()
    if write:
        require_write(user, portfolio_id, kind)
    return obj


def portfolio_for_user(user, portfolio_id, *, write: bool = False) -> Portfolio:
    return _one(Portfolio.objects.all(), user, portfolio_id, "portfolio", write)


def product_line_for_user(user, product_line_id, *, write: bool = False) -> ProductLine:
    return _one(ProductLine.objects.select_related("portfolio"), user, product_line_id, "product_line", write)


def product_for_user(user, product_id, *, write: bool = False, kind: str = "product") -> Product:
    queryset = Product.objects.select_related("portfolio", "product_line")
    return _one(queryset, user, product_id, kind, write)


def lifecycle_rule_for_user(user, rule_id, *, write: bool = False) -> LifecycleRule:
    return _one(LifecycleRule.objects.select_related("portfolio"), user, rule_id, "lifecycle_rule", write)


def product_detail(product: Product) -> Product:
    """The product with its ledger loaded for the product page."""
    return (
        Product.objects.select_related("portfolio", "product_line")
        .prefetch_related(Prefetch("transitions", queryset=StageTransition.objects.select_related("actor", "rule")))
        .get(pk=product.pk)
    )
