"""Demand: how much customer feedback stands behind an idea or a roadmap item.

For each idea or item, over the feedback linked to it:
- `demand_count`: how many pieces of feedback (usable as RICE reach),
- `demand_weight`: the sum of their importance (1-5 each): five “nice to have”s weigh as much as one “must have”,
- `demand_deal_value`: the sum of the deal values sales attached (0 without any).

Sorting by demand means weight first, then deal value, then count. Each figure is a correlated subquery,
so annotating a list adds no join that would multiply its rows, and a page of 10 or 1,000 ideas costs
the same one query.
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from products.models import Feedback

DEMAND_ORDERING = ["-demand_weight", "-demand_deal_value", "-demand_count"]


def _figure(link: str, expression, output_field):
    rows = (
        Feedback.objects.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(figure=expression)
        .values("figure")
    )
    return Coalesce(Subquery(rows, output_field=output_field), Value(0), output_field=output_field)


def annotate_demand(queryset: QuerySet, *, link: str) -> QuerySet:
    """`queryset` with the three demand figures. `link` is the Feedback field that points at its rows:
    "ideas" for ideas, "roadmap_items" for roadmap items."""
    money = DecimalField(max_digits=20, decimal_places=2)
    return queryset.annotate(
        demand_count=_figure(link, Count("pk"), IntegerField()),
        demand_weight=_figure(link, Sum("importance"), IntegerField()),
        demand_deal_value=_figure(link, Coalesce(Sum("deal_value"), Value(Decimal("0")), output_field=money), money),
    )


def demand_of(feedback) -> dict:
    """The same figures for feedback already in memory (a page that holds the rows anyway)."""
    rows = list(feedback)
    return {
        "count": len(rows),
        "weight": sum(row.importance for row in rows),
        "deal_value": sum((row.deal_value or Decimal("0") for row in rows), Decimal("0")),
    }
