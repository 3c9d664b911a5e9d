"""Dependencies between roadmap items, and the portfolio's scoring weights."""

from decimal import Decimal

from django.db import transaction

from pmflow.errors import InvalidInput, NotFound
from products import events
from products.models import Portfolio
from roadmap.graph import cycle_through
from roadmap.models import WEIGHT_INPUTS, RoadmapDependency, RoadmapItem, ScoringWeights


def dependency_create(
    *, item: RoadmapItem, depends_on: RoadmapItem, kind: str = "blocks", actor=None
) -> RoadmapDependency:
    """Record that `item` depends on `depends_on` (same portfolio; products may differ).

    Raises InvalidInput on `depends_on` for itself, another portfolio's item or a pair that exists,
    on `kind` for an unknown kind, and `{"cycle": [ids, first = last]}` when a `blocks` edge would
    close a cycle. The portfolio's row lock serialises dependency writes, so two edges that would
    together close a cycle cannot both pass the check.
    """
    if kind not in RoadmapDependency.Kind.values:
        raise InvalidInput(fields={"kind": f"Use one of {', '.join(RoadmapDependency.Kind.values)}."})
    portfolio_id = item.product.portfolio_id
    if depends_on.pk == item.pk:
        raise InvalidInput(fields={"depends_on": "An item cannot depend on itself."})
    if depends_on.product.portfolio_id != portfolio_id:
        raise InvalidInput(fields={"depends_on": "The item belongs to another portfolio."})
    with transaction.atomic():
        Portfolio.objects.select_for_update().filter(pk=portfolio_id).first()
        if RoadmapDependency.objects.filter(item=item, depends_on=depends_on).exists():
            raise InvalidInput(fields={"depends_on": f"“{item}” already depends on “{depends_on}”."})
        if kind == RoadmapDependency.Kind.BLOCKS:
            edges = RoadmapDependency.objects.filter(
                kind=RoadmapDependency.Kind.BLOCKS, item__product__portfolio_id=portfolio_id
            ).values_list("item_id", "depends_on_id")
            cycle = cycle_through(list(edges), item.pk, depends_on.pk)
            if cycle:
                titles = dict(RoadmapItem.objects.filter(pk__in=cycle).values_list("id", "title"))
                path = " → ".join(f"“{titles.get(pk, pk)}”" for pk in cycle)
                raise InvalidInput(fields={"depends_on": f"This would close a cycle: {path}."}, cycle=cycle)
        dependency = RoadmapDependency.objects.create(item=item, depends_on=depends_on, kind=kind)
        events.record(
            portfolio_id=portfolio_id,
            actor=actor,
            verb="roadmap_dependency.created",
            obj=dependency,
            changes={"kind": [None, kind]},
            data={"item": item.pk, "depends_on": depends_on.pk},
        )
    return dependency


def dependency_delete(*, dependency_id: int, actor=None) -> None:
    with transaction.atomic():
        dependency = (
            RoadmapDependency.objects.select_for_update(of=("self",))
            .select_related("item__product", "depends_on")
            .filter(pk=dependency_id)
            .first()
        )
        if dependency is None:
            raise NotFound()
        events.record(
            portfolio_id=dependency.item.product.portfolio_id,
            actor=actor,
            verb="roadmap_dependency.deleted",
            obj=dependency,
            data={"item": dependency.item_id, "depends_on": dependency.depends_on_id, "kind": dependency.kind},
        )
        dependency.delete()


WEIGHT_MIN, WEIGHT_MAX = -100, 100
WEIGHT_MESSAGE = "A weight from −100 to 100."


def scoring_weights_save(*, portfolio: Portfolio, actor=None, **weights) -> ScoringWeights:
    """Set the portfolio's weights (the others keep theirs). Raises InvalidInput for a weight outside
    −100…100."""
    unknown = set(weights) - set(WEIGHT_INPUTS)
    if unknown:
        raise TypeError(f"not weights: {sorted(unknown)}")
    errors = {
        name: WEIGHT_MESSAGE
        for name, value in weights.items()
        if value is None or not WEIGHT_MIN <= value <= WEIGHT_MAX
    }
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        Portfolio.objects.select_for_update().filter(pk=portfolio.pk).first()
        row, created = ScoringWeights.objects.get_or_create(portfolio=portfolio)
        if created:
            row.refresh_from_db()  # the stored decimals, not the fields' int defaults: one form in the history
        weights = {name: Decimal(str(value)) for name, value in weights.items()}
        events.save_changes(row, weights, portfolio_id=portfolio.pk, actor=actor, verb="scoring_weights.updated")
    return row


def scoring_weights_of(portfolio: Portfolio) -> ScoringWeights:
    """The portfolio's weights, or an unsaved row of the defaults."""
    return ScoringWeights.objects.filter(portfolio=portfolio).first() or ScoringWeights(portfolio=portfolio)
