"""The demo's ideas (seed_demo, after roadmap.demo): more ideas beside the few the roadmap demo made, so the
list shows every status, each with the customer feedback behind it; two accepted through the service (so
their roadmap items exist and link back), one rejected with a reason; and the market insights behind the
ideas, where the portfolio has insights naming the idea's product. Written by the services; loading the
demo again adds nothing."""

from datetime import date

from django.db import transaction

from products.models import Feedback, Idea, MarketInsight, Portfolio, Product
from products.services import ideas as services
from roadmap.services.ideas import idea_accept

INSIGHTS_PER_IDEA = 2

# (product, title, description, feedback as (product, customer) pairs, what happens to it)
IDEAS = [
    (
        "Pulse Alerts",
        "Mute alerts during planned maintenance windows",
        "Operators announce a window once; alerts in it are held and summarised afterwards instead of paging.",
        [("Pulse Alerts", "Contoso Retail")],
        ("accept", {"kind": "feature", "horizon": "next", "reason": "The top source of false alarms we hear about."}),
    ),
    (
        "DocFlow",
        "Approve with one tap from a phone notification",
        "Approvers on the road approve or decline from the push notification, confirmed with the phone's lock.",
        [("DocFlow", "Alder Bank")],
        ("accept", {"kind": "feature", "horizon": "later", "reason": "Beta customers ask; it fits the approvals bet."}),
    ),
    (
        "TeamBoard",
        "Export boards as Microsoft Project files",
        "A .mpp export of a board's cards with their dates, for project offices that plan in Project.",
        [],
        (
            "reject",
            {
                "reason": "One customer asked in a year, and the portfolio timeline answers the same need; revisit "
                "if tenders start to require it."
            },
        ),
    ),
    (
        "Huddle",
        "Rotate stand-up times across time zones",
        "The live stand-up moves each week so no one is always the one at 7:00 or 22:00.",
        [("Huddle", "")],
        ("evaluate", {}),
    ),
    (
        "FieldKit",
        "Voice notes that transcribe once back online",
        "Technicians dictate in the basement; the note becomes text in the job report when a signal returns.",
        [("FieldKit", "Kessler Elevators")],
        ("evaluate", {}),
    ),
    (
        "DocFlow",
        "Time-limited guest access for auditors",
        "An auditor gets read-only access to the approved versions and their trail for the weeks of the audit.",
        [("DocFlow", "Hartmann Pharma")],
        ("keep", {}),
    ),
    (
        "Insight Hub",
        "Benchmarks against similar depots",
        "Show how a depot's on-time rate compares with depots of the same size, anonymised.",
        [],
        ("keep", {}),
    ),
]


def _feedback(portfolio: Portfolio, pairs) -> list[Feedback]:
    rows = []
    for product_name, customer in pairs:
        rows += Feedback.objects.filter(
            product__portfolio=portfolio, product__name=product_name, customer=customer
        ).order_by("id")
    return rows


def _insights_for(idea: Idea, insights: list[MarketInsight], by_product: dict) -> list[MarketInsight]:
    return [insight for insight in insights if idea.product_id in by_product.get(insight.id, ())][:INSIGHTS_PER_IDEA]


def _link_insights(portfolio: Portfolio, actor) -> int:
    """Link each idea without insights to the newest insights naming its product. Returns links made."""
    insights = list(MarketInsight.objects.filter(portfolio=portfolio).order_by("-observed_on", "-id"))
    if not insights:
        return 0
    by_product: dict[int, set[int]] = {}
    for insight_id, product_id in MarketInsight.products.through.objects.filter(
        marketinsight__portfolio=portfolio
    ).values_list("marketinsight_id", "product_id"):
        by_product.setdefault(insight_id, set()).add(product_id)
    made = 0
    for idea in Idea.objects.filter(product__portfolio=portfolio, insights__isnull=True).order_by("id"):
        chosen = _insights_for(idea, insights, by_product)
        if chosen:
            services.idea_update(idea_id=idea.id, actor=actor, insights=chosen)
            made += len(chosen)
    return made


def seed_ideas(*, portfolio: Portfolio, actor, today: date) -> dict:
    """Give the demo portfolio its ideas in every status, and link the ideas to the insights present.

    The ideas are written once (none is added when one of them exists already); the insight links are
    made for ideas that have none yet, so a run after the insights were loaded links them. All in one
    transaction. Products missing from the portfolio are skipped with their ideas. Returns counts of what
    it made (all 0 when everything was there).
    """
    counts = {"ideas": 0, "evaluated": 0, "accepted": 0, "rejected": 0, "insight_links": 0}
    products = {p.name: p for p in Product.objects.filter(portfolio=portfolio).select_related("portfolio")}
    titles = [title for _, title, *_ in IDEAS]
    with transaction.atomic():
        if not Idea.objects.filter(product__portfolio=portfolio, title__in=titles).exists():
            for product_name, title, description, pairs, (step, arguments) in IDEAS:
                if product_name not in products:
                    continue
                idea = services.idea_create(
                    product=products[product_name],
                    actor=actor,
                    title=title,
                    description=description,
                    feedback=_feedback(portfolio, pairs),
                )
                counts["ideas"] += 1
                if step == "evaluate":
                    services.idea_evaluate(idea_id=idea.id, actor=actor)
                    counts["evaluated"] += 1
                elif step == "accept":
                    idea_accept(idea_id=idea.id, actor=actor, **arguments)
                    counts["accepted"] += 1
                elif step == "reject":
                    services.idea_reject(idea_id=idea.id, actor=actor, **arguments)
                    counts["rejected"] += 1
        counts["insight_links"] = _link_insights(portfolio, actor)
    return counts
