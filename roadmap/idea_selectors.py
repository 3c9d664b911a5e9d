"""Read queries of ideas for the pages and the API: their demand, links and the roadmap item each became,
in a fixed number of queries whatever the list's length; and the ideas as a spreadsheet."""

import csv
import io

from django.db.models import Prefetch, QuerySet

from pmflow.access import READ, WRITE, object_for_user, queryset_for_user
from pmflow.forms import csv_cell
from products.demand import DEMAND_ORDERING, annotate_demand
from products.models import Feedback, Idea, MarketInsight
from roadmap.models import RoadmapItem

ORDERINGS = {
    "demand": [*DEMAND_ORDERING, "-created_at", "-id"],
    "newest": ["-created_at", "-id"],
}


def _action(write: bool, action: str | None) -> str:
    return action or (WRITE if write else READ)


def ideas(queryset: QuerySet | None = None) -> QuerySet:
    """Ideas with their product and decider joined, their demand (`demand_count`, `demand_weight`,
    `demand_deal_value`) annotated, and the ids of their insights, feedback and roadmap items prefetched
    (insights with their titles)."""
    queryset = Idea.objects.all() if queryset is None else queryset
    return annotate_demand(
        queryset.select_related("product", "decided_by"),
        link="ideas",
    ).prefetch_related(
        Prefetch("insights", queryset=MarketInsight.objects.only("id", "title").order_by("title", "id")),
        Prefetch("feedback", queryset=Feedback.objects.only("id").order_by("id")),
        Prefetch("roadmap_items", queryset=RoadmapItem.objects.only("id", "title").order_by("created_at", "id")),
    )


def idea_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, ideas())


def idea_for_user(user, idea_id, *, write: bool = False, action: str | None = None) -> Idea:
    queryset = ideas().select_related("product__portfolio")
    return object_for_user(user, queryset, idea_id, action=_action(write, action))


def roadmap_item_from_prefetch(idea: Idea) -> RoadmapItem | None:
    """The first roadmap item made from the idea, from the prefetched rows (no query)."""
    items = list(idea.roadmap_items.all())
    return items[0] if items else None


# --- the spreadsheet ----------------------------------------------------------------------------------

COLUMNS = [
    "id",
    "product",
    "title",
    "status",
    "demand_count",
    "demand_weight",
    "demand_deal_value",
    "insights",
    "feedback",
    "roadmap_item",
    "decided_at",
    "decided_by",
    "decision_reason",
    "created_at",
    "description",
]


def idea_row(idea: Idea) -> list:
    """One idea (from `ideas()`) as a CSV row."""
    item = roadmap_item_from_prefetch(idea)
    return [
        idea.id,
        idea.product.name,
        idea.title,
        idea.status,
        idea.demand_count,
        idea.demand_weight,
        idea.demand_deal_value,
        "; ".join(insight.title for insight in idea.insights.all()),
        " ".join(str(row.pk) for row in idea.feedback.all()),
        item.pk if item else None,
        idea.decided_at.isoformat() if idea.decided_at else None,
        idea.decided_by.get_username() if idea.decided_by_id else None,
        idea.decision_reason,
        idea.created_at.isoformat(),
        idea.description,
    ]


def csv_lines(rows):
    """Ideas as CSV lines (BOM first, so a spreadsheet reads UTF-8), a chunk at a time for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    for idea in rows:
        writer.writerow([csv_cell(value) for value in idea_row(idea)])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
