"""Accepting an idea: it becomes a roadmap item that links back to it and to the feedback behind it.

The rule spans two apps, so it lives in the higher one (DESIGN.md §2): products owns ideas and their
other steps (products.services.ideas), roadmap owns items.
"""

from django.db import transaction

from products.models import Idea
from products.services import ideas
from roadmap.models import RoadmapItem
from roadmap.services.items import roadmap_item_create


def idea_accept(
    *,
    idea_id: int,
    actor=None,
    kind: str = RoadmapItem.Kind.FEATURE,
    horizon: str = RoadmapItem.Horizon.LATER,
    reason: str = "",
) -> RoadmapItem:
    """Accept a concept or an evaluated idea: create a roadmap item of its product with its title and
    description (`kind` a feature and `horizon` later unless given), linked to the idea and its feedback,
    and mark the idea accepted (with the optional `reason`, who and when). One transaction: the item and
    the decision are written together or not at all.

    The product's row is locked, then the idea's (lock order: product → its children), and the status
    is checked under the lock: of two acceptances at once one makes the item, the other is refused.
    Raises NotFound, WrongIdeaStatus (409, with the idea's `status`) when it is accepted or rejected
    already, InvalidInput on `kind` / `horizon` (an unknown value) or `reason` (too long).
    """
    reason = ideas.decision_reason_clean(reason)
    with transaction.atomic():
        idea = ideas.locked_idea(idea_id)
        ideas.require_status(idea, ideas.OPEN, step="accepted")
        item = roadmap_item_create(
            product=idea.product,
            actor=actor,
            kind=kind,
            horizon=horizon,
            title=idea.title,
            description=idea.description,
            ideas=[idea],
            feedback=list(idea.feedback.select_related("product")),
            insights=list(idea.insights.all()),
        )
        ideas.idea_decide(idea, status=Idea.Status.ACCEPTED, reason=reason, actor=actor, data={"roadmap_item": item.id})
    return item


def roadmap_item_of(idea: Idea) -> RoadmapItem | None:
    """The roadmap item an accepted idea became (the first made from it), or None."""
    return idea.roadmap_items.order_by("created_at", "id").first()
