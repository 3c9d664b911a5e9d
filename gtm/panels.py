"""Go-to-market pieces of the products pages (registered into products.pages slots).

The product page's launch panel sits at order 16, right under the roadmap panel (15) and above the KPI
charts (20): what is built next, then how it goes to market. The dashboard card gets one line with the
product's next launch and its readiness, for the whole board in one query.
"""

from django.db.models import Q

from gtm.launch_views import OPEN, mark, recent_q, with_task_counts
from gtm.models import LaunchPlan
from gtm.selectors import launch_plans, today_in, with_readiness
from pmflow import access
from products.pages import Fragment, register_fragment


def launch_glance(product, request) -> dict:
    """The product's open launches (soonest first) and those launched or cancelled lately, with readiness
    and overdue and blocked task counts: one query."""
    today = today_in(product.portfolio)
    plans = list(with_task_counts(launch_plans(LaunchPlan.objects.filter(Q(product=product) & recent_q())), today))
    for plan in plans:
        mark(plan, today)
    closed = [p for p in plans if not p.is_open]
    closed.sort(key=lambda p: p.launched_at or p.cancelled_at, reverse=True)
    return {
        "open_plans": [p for p in plans if p.is_open],
        "recent_plans": closed,
        "can_plan": access.can(request.user, LaunchPlan, product.portfolio_id),
    }


def launch_cards(products, request) -> dict[int, dict]:
    """Each dashboard card's launch line: the product's next open launch with its readiness and how many
    more are open, for the whole board in one query. Products without an open launch get no line."""
    ids = [product.id for product in products]
    plans = with_readiness(
        LaunchPlan.objects.filter(product_id__in=ids, status__in=OPEN).only(
            "id", "product_id", "name", "launch_date", "status"
        )
    ).order_by("product_id", "launch_date", "id")
    cards: dict[int, dict] = {}
    for plan in plans:
        card = cards.setdefault(plan.product_id, {"next_launch": plan, "more": -1})
        card["more"] += 1
    return cards


register_fragment(
    "dashboard.card",
    Fragment(key="gtm.launches", template="gtm/_dashboard_card.html", context=launch_cards, order=25),
)
register_fragment(
    "product.panels",
    Fragment(key="gtm.launches", template="gtm/_product_panel.html", context=launch_glance, order=16),
)
