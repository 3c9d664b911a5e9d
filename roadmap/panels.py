"""Roadmap pieces of the products pages (registered into products.pages slots).

The product page's roadmap panel sits at order 15, above the KPI charts (20): it is a few lines high
and says what is being built next, while the KPI panel grows with every KPI's chart and table; below
them it would be out of sight on most products.
"""

from django.db.models import Count, F, Q, Subquery

from pmflow import access
from products.pages import Fragment, register_fragment
from roadmap.models import Release, RoadmapItem
from roadmap.page_tools import today_in
from roadmap.release_views import FINISHED, mark
from roadmap.selectors import releases


def roadmap_glance(product, request) -> dict:
    """Open items per horizon (one query), the next planned release and the last shipped one with the
    number planned (one query, whatever the product's history)."""
    counts = (
        RoadmapItem.objects.filter(product=product)
        .exclude(status__in=FINISHED)
        .aggregate(**{h: Count("id", filter=Q(horizon=h)) for h in RoadmapItem.Horizon.values})
    )
    of_product = Release.objects.filter(product=product)
    planned = of_product.filter(status=Release.Status.PLANNED)
    next_id = planned.order_by(F("target_date").asc(nulls_last=True), "version", "id").values("id")[:1]
    last_id = of_product.filter(status=Release.Status.SHIPPED).order_by("-shipped_at", "-id").values("id")[:1]
    planned_count = planned.order_by().values("product_id").annotate(n=Count("id")).values("n")
    shown = releases(Release.objects.filter(Q(pk=Subquery(next_id)) | Q(pk=Subquery(last_id)))).annotate(
        planned_count=Subquery(planned_count)
    )
    next_release = last_shipped = None
    today = today_in(product.portfolio)
    for release in shown:
        mark(release, today)
        if release.status == Release.Status.PLANNED:
            next_release = release
        else:
            last_shipped = release
    return {
        "horizons": [
            {"value": value, "label": label, "count": counts[value]} for value, label in RoadmapItem.Horizon.choices
        ],
        "open_total": sum(counts.values()),
        "next_release": next_release,
        "more_planned": max((next_release.planned_count or 1) - 1, 0) if next_release else 0,
        "last_shipped": last_shipped,
        "can_plan": access.can(request.user, Release, product.portfolio_id),
    }


def roadmap_cards(products, request) -> dict[int, dict]:
    """Each dashboard card's roadmap line: open items per horizon and the next planned release, for the
    whole board in two queries. Products with no roadmap get no line."""
    ids = [product.id for product in products]
    counts: dict[int, dict[str, int]] = {}
    open_items = RoadmapItem.objects.filter(product_id__in=ids).exclude(status__in=FINISHED)
    for product_id, horizon, n in open_items.values_list("product_id", "horizon").annotate(n=Count("id")).order_by():
        counts.setdefault(product_id, {})[horizon] = n
    upcoming: dict[int, Release] = {}
    planned = Release.objects.filter(product_id__in=ids, status=Release.Status.PLANNED).only(
        "id", "product_id", "version", "target_date"
    )
    for release in planned.order_by("product_id", F("target_date").asc(nulls_last=True), "version", "id"):
        upcoming.setdefault(release.product_id, release)
    cards = {}
    for product_id in ids:
        if product_id not in counts and product_id not in upcoming:
            continue
        horizons = counts.get(product_id, {})
        cards[product_id] = {
            "horizons": [(label, horizons.get(value, 0)) for value, label in RoadmapItem.Horizon.choices],
            "next_release": upcoming.get(product_id),
        }
    return cards


register_fragment(
    "dashboard.card",
    Fragment(key="roadmap.glance", template="roadmap/_dashboard_card.html", context=roadmap_cards, order=20),
)
register_fragment(
    "product.panels",
    Fragment(key="roadmap", template="roadmap/_product_panel.html", context=roadmap_glance, order=15),
)
