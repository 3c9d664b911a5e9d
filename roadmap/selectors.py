"""Read queries of the roadmap worth naming, each with its joins, scores and counts."""

from django.db.models import Count, F, Prefetch, Q, QuerySet

from pmflow.access import READ, WRITE, object_for_user, queryset_for_user
from products.demand import annotate_demand
from roadmap.models import Release, RoadmapDependency, RoadmapItem
from roadmap.scoring import with_scores

HORIZON_ORDER = {"now": 0, "next": 1, "later": 2}


def _action(write: bool, action: str | None) -> str:
    return action or (WRITE if write else READ)


def roadmap_items(queryset: QuerySet | None = None) -> QuerySet:
    """Items with their scores, the demand behind them (products.demand: `demand_count`, `demand_weight`,
    `demand_deal_value`), product, parent, release and owner joined, and the id lists of their links
    prefetched: a list of any length costs the same few queries."""
    queryset = RoadmapItem.objects.all() if queryset is None else queryset
    queryset = annotate_demand(queryset, link="roadmap_items")
    return with_scores(
        queryset.select_related("product", "parent", "release", "owner", "key_result")
        .annotate(feedback_count=Count("feedback", distinct=True))
        .order_by("product_id", "horizon", "rank", "id")
        .prefetch_related(
            Prefetch("ideas", queryset=RoadmapItem.ideas.rel.model.objects.only("id")),
            Prefetch("feedback", queryset=RoadmapItem.feedback.rel.model.objects.only("id")),
            Prefetch("insights", queryset=RoadmapItem.insights.rel.model.objects.only("id")),
            Prefetch("dependencies", queryset=RoadmapDependency.objects.only("id", "item_id", "depends_on_id")),
        )
    )


def roadmap_item_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, roadmap_items())


def roadmap_item_for_user(user, item_id, *, write: bool = False, action: str | None = None) -> RoadmapItem:
    return object_for_user(user, roadmap_items(), item_id, action=_action(write, action))


def releases(queryset: QuerySet | None = None) -> QuerySet:
    queryset = Release.objects.all() if queryset is None else queryset
    return (
        queryset.select_related("product", "shipped_by")
        .annotate(
            item_count=Count("items", distinct=True),
            done_count=Count("items", filter=Q(items__status=RoadmapItem.Status.DONE), distinct=True),
        )
        .order_by(F("target_date").asc(nulls_last=True), "version", "id")
    )


def release_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, releases())


def release_for_user(user, release_id, *, write: bool = False, action: str | None = None) -> Release:
    return object_for_user(user, releases(), release_id, action=_action(write, action))


def dependency_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, RoadmapDependency.objects.select_related("item", "depends_on"))


def dependency_for_user(user, dependency_id, *, write: bool = False) -> RoadmapDependency:
    queryset = RoadmapDependency.objects.select_related("item__product", "depends_on")
    return object_for_user(user, queryset, dependency_id, action=_action(write, None))


def planned_before(item: RoadmapItem, prerequisite: RoadmapItem) -> list[str]:
    """Why `item` is planned before `prerequisite`, which it depends on (empty: it is not).

    Judged by horizon (now before next before later), by release target date, and by dates (it
    starts before the other ends). Items done or dropped are past planning.
    """
    finished = ("done", "dropped")
    if item.status in finished or prerequisite.status in finished:
        return []
    reasons = []
    if HORIZON_ORDER[item.horizon] < HORIZON_ORDER[prerequisite.horizon]:
        reasons.append(
            f"it is in {item.get_horizon_display()}, “{prerequisite}” in {prerequisite.get_horizon_display()}"
        )
    mine, theirs = item.release, prerequisite.release
    if mine and theirs and mine.target_date and theirs.target_date and mine.target_date < theirs.target_date:
        reasons.append(
            f"its release {mine.version} is due {mine.target_date:%Y-%m-%d}, before {theirs.version} "
            f"({theirs.target_date:%Y-%m-%d})"
        )
    if item.start_date and prerequisite.end_date and item.start_date < prerequisite.end_date:
        reasons.append(
            f"it starts {item.start_date:%Y-%m-%d}, before “{prerequisite}” ends {prerequisite.end_date:%Y-%m-%d}"
        )
    return reasons


def schedule_warnings(items) -> dict[int, list[dict]]:
    """{item id: [{"depends_on": item, "reasons": [...]}]} for items planned before a `blocks`
    prerequisite: one query for all their edges."""
    items = list(items)
    if not items:
        return {}
    edges = (
        RoadmapDependency.objects.filter(item__in=[i.pk for i in items], kind=RoadmapDependency.Kind.BLOCKS)
        .select_related("item__release", "depends_on__release", "depends_on__product")
        .order_by("id")
    )
    warnings: dict[int, list[dict]] = {}
    for edge in edges:
        reasons = planned_before(edge.item, edge.depends_on)
        if reasons:
            warnings.setdefault(edge.item_id, []).append({"depends_on": edge.depends_on, "reasons": reasons})
    return warnings
