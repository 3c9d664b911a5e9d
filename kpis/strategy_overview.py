"""What the strategy overview of a product reads: its goals with their key results' progress, the market
insights and open competitor moves that concern it, the segments it serves, the ideas most asked for and
the recent feedback by source.

A fixed number of queries whatever the data size: each list is one query that also counts all its rows
(a window count over the same rows, so "5 of 23" costs nothing more), the goals two (and one for the
rollups of the KPIs that measure their key results, kpis.key_results), the feedback one aggregate.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, Value, When, Window

from kpis import key_results
from kpis.launch_panels import quantity
from products.demand import DEMAND_ORDERING, annotate_demand
from products.models import CompetitorMove, Feedback, Goal, Idea, Impact, MarketInsight, Product

TOP = 5
SEGMENTS_SHOWN = 8
GOALS_SHOWN = 5
FEEDBACK_DAYS = 90
OPEN_RESPONSES = (CompetitorMove.ResponseStatus.NONE, CompetitorMove.ResponseStatus.PLANNED)
OPEN_IDEAS = (Idea.Status.CONCEPT, Idea.Status.EVALUATED)


@dataclass
class Listed:
    """The first rows of a list and how many rows it has in all."""

    rows: list
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


@dataclass
class Overview:
    product: Product
    today: datetime.date
    goals: list = field(default_factory=list)  # goals with .value and their key results with .value
    goals_total: int = 0
    insights: Listed | None = None
    moves: Listed | None = None
    segments: Listed | None = None
    ideas: Listed | None = None
    feedback_by_source: list = field(default_factory=list)  # [(label, source, count)], most first
    feedback_recent: int = 0
    feedback_total: int = 0
    feedback_since: datetime.date | None = None


def _listed(queryset, limit: int) -> Listed:
    rows = list(queryset.annotate(listed_total=Window(Count("pk")))[:limit])
    return Listed(rows, rows[0].listed_total if rows else 0)


def _impact_rank():
    return Case(
        When(impact=Impact.HIGH, then=Value(3)),
        When(impact=Impact.MEDIUM, then=Value(2)),
        default=Value(1),
        output_field=IntegerField(),
    )


def _goals(product: Product, today: datetime.date) -> tuple[list, int]:
    """The goals whose period holds today or is still to come, soonest first (each with `.value`, and
    its key results each with `.value`)."""
    queryset = Goal.objects.filter(product=product, period_end__gte=today).order_by("period_start", "title", "id")
    goals = list(key_results.goals_loaded(queryset.annotate(listed_total=Window(Count("pk"))))[:GOALS_SHOWN])
    goal_values, kr_values = key_results.goal_values(goals, today=today)
    for goal in goals:
        goal.value = goal_values[goal.pk]
        goal.key_result_list = list(goal.key_results.all())
        for kr in goal.key_result_list:
            kr.value = kr_values.get(kr.pk)
            unit = kr.value.kpi.unit if kr.value and kr.value.kpi else ""
            current = kr.value.current if kr.value else None
            # As the goals page writes them (kpis.launch_panels.quantity): 104,402 EUR, 12.63 %.
            shown = "—" if current is None else quantity(current, unit)
            kr.figure = f"{shown} of {quantity(kr.target_value, unit)}"
    return goals, goals[0].listed_total if goals else 0


def product_strategy(product: Product, *, today: datetime.date | None = None) -> Overview:
    """The product's strategy overview (see the module). `today` defaults to the portfolio's."""
    today = today or key_results.today_of(product.portfolio)
    overview = Overview(product=product, today=today)
    overview.goals, overview.goals_total = _goals(product, today)
    overview.insights = _listed(
        MarketInsight.objects.filter(products=product)
        .annotate(impact_rank=_impact_rank())
        .order_by("-impact_rank", "-observed_on", "-id"),
        TOP,
    )
    overview.moves = _listed(
        CompetitorMove.objects.filter(products=product, response_status__in=OPEN_RESPONSES)
        .select_related("competitor")
        .order_by("-happened_on", "-id"),
        TOP,
    )
    overview.segments = _listed(product.segments.order_by("-priority", "name", "id"), SEGMENTS_SHOWN)
    overview.ideas = _listed(
        annotate_demand(Idea.objects.filter(product=product, status__in=OPEN_IDEAS), link="ideas").order_by(
            *DEMAND_ORDERING, "-created_at", "-id"
        ),
        TOP,
    )
    since = today - datetime.timedelta(days=FEEDBACK_DAYS)
    rows = list(
        Feedback.objects.filter(product=product)
        .order_by()
        .values("source")
        .annotate(recent=Count("pk", filter=Q(received_on__gt=since)), total=Count("pk"))
    )
    labels = dict(Feedback.Source.choices)
    counted = [(labels.get(row["source"], row["source"]), row["source"], row["recent"]) for row in rows]
    overview.feedback_by_source = sorted((c for c in counted if c[2]), key=lambda c: (-c[2], c[0]))
    overview.feedback_recent = sum(row["recent"] for row in rows)
    overview.feedback_total = sum(row["total"] for row in rows)
    overview.feedback_since = since + datetime.timedelta(days=1)
    return overview
