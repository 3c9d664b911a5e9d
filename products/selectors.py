"""Read queries and the access helpers pages and API share.

Access answers come from the one policy registry (`pmflow.access`): every helper here answers
"missing" and "not yours" with the same NotFound, and "yours but read-only" with NotAllowed.
"""

from django.db.models import Count, Prefetch, Q, QuerySet

from pmflow.access import READ, WRITE, object_for_user, queryset_for_user, role_in, roles_by_portfolio
from products import events
from products.models import (
    DomainEvent,
    LifecycleRule,
    Membership,
    Portfolio,
    Product,
    ProductLine,
    Stage,
    StageTransition,
)

__all__ = ["role_in", "roles_by_portfolio"]


def _action(write: bool, action: str | None) -> str:
    return action or (WRITE if write else READ)


# --- lists --------------------------------------------------------------------------------------------


def portfolio_list_for_user(user) -> QuerySet[Portfolio]:
    return queryset_for_user(user, Portfolio)


def membership_list(portfolio: Portfolio) -> QuerySet[Membership]:
    return portfolio.memberships.select_related("user").order_by("user__username")


def product_line_list_for_user(user) -> QuerySet[ProductLine]:
    return queryset_for_user(user, ProductLine)


def product_line_list(portfolio: Portfolio) -> QuerySet[ProductLine]:
    """The portfolio's lines with their number of (unarchived) products, for the lines page."""
    return portfolio.product_lines.annotate(
        product_count=Count("products", filter=Q(products__archived_at__isnull=True))
    ).order_by("name", "id")


def product_list_for_user(user) -> QuerySet[Product]:
    return queryset_for_user(user, Product.objects.select_related("product_line"))


def transition_list(product: Product) -> QuerySet[StageTransition]:
    return product.transitions.select_related("actor", "rule")


def recent_transitions(portfolio: Portfolio, limit: int = 10, product_ids=None) -> list[StageTransition]:
    """The portfolio's latest stage changes, of the given products only when a filter narrows the board."""
    moves = StageTransition.objects.filter(product__portfolio=portfolio)
    if product_ids is not None:
        moves = moves.filter(product_id__in=product_ids)
    return list(moves.select_related("product", "actor", "rule").order_by("-at", "-id")[:limit])


def lifecycle_rule_list_for_user(user) -> QuerySet[LifecycleRule]:
    return queryset_for_user(user, LifecycleRule)


def products_by_stage(
    portfolio: Portfolio, *, product_line_id: int | None = None, search: str = "", archived: bool = False
) -> dict[str, list[Product]]:
    """The dashboard board: the portfolio's products by stage, narrowed by line and name."""
    board: dict[str, list[Product]] = {stage: [] for stage in Stage.values}
    products = portfolio.products.select_related("product_line").filter(archived_at__isnull=not archived)
    if product_line_id:
        products = products.filter(product_line_id=product_line_id)
    if search:
        products = products.filter(name__icontains=search)
    for product in products.order_by("name"):
        board[product.stage].append(product)
    return board


def object_history(
    object_type: str, object_id: int, limit: int = 50, zone=None, *, children: tuple[str, object] | None = None
) -> list[DomainEvent]:
    """The object's domain events, newest first, each with its changes in words (times in `zone`, the
    portfolio's): the page's history. `children` = (object type, ids) adds the events of the objects the
    page also shows (a launch plan's tasks; the ids a list or a `values("id")` subquery), each labelled with
    the object's name."""
    wanted = Q(object_type=object_type, object_id=object_id)
    if children is not None:
        wanted |= Q(object_type=children[0], object_id__in=children[1])
    history = list(DomainEvent.objects.filter(wanted).select_related("actor").order_by("-at", "-id")[:limit])
    for event in history:
        event.readable = events.readable_changes(event, zone)
        if event.object_type != object_type:
            event.label = f"{event.object_repr or event.object_type}: {event.action_label.lower()}"
    return history


# --- one object -------------------------------------------------------------------------------------


def portfolio_for_user(user, portfolio_id, *, write: bool = False, action: str | None = None) -> Portfolio:
    return object_for_user(user, Portfolio, portfolio_id, action=_action(write, action))


def product_line_for_user(user, product_line_id, *, write: bool = False, action: str | None = None) -> ProductLine:
    queryset = ProductLine.objects.select_related("portfolio")
    return object_for_user(user, queryset, product_line_id, action=_action(write, action))


def product_for_user(user, product_id, *, write: bool = False, action: str | None = None) -> Product:
    queryset = Product.objects.select_related("portfolio", "product_line")
    return object_for_user(user, queryset, product_id, action=_action(write, action))


def lifecycle_rule_for_user(user, rule_id, *, write: bool = False, action: str | None = None) -> LifecycleRule:
    queryset = LifecycleRule.objects.select_related("portfolio")
    return object_for_user(user, queryset, rule_id, action=_action(write, action))


def membership_for_user(user, membership_id, *, write: bool = False) -> Membership:
    queryset = Membership.objects.select_related("portfolio", "user")
    return object_for_user(user, queryset, membership_id, action=_action(write, None))


def product_detail(product: Product) -> Product:
    """The product with its ledger loaded for the product page."""
    return (
        Product.objects.select_related("portfolio", "product_line")
        .prefetch_related(Prefetch("transitions", queryset=StageTransition.objects.select_related("actor", "rule")))
        .get(pk=product.pk)
    )
