"""The now/next/later board's reads, and a move expressed as "drop it before that card".

A board of any size costs the same few queries: the items of every shown product in one query (scores,
parent, release and owner joined), the schedule warnings in one, and each column's full size (filters
aside) in one, so a column can say how many of its items a filter hides.
"""

from dataclasses import dataclass, field

from django.db.models import Count

from products.models import Product
from roadmap.models import RoadmapItem
from roadmap.scoring import SCORE_LABELS, SCORES
from roadmap.selectors import roadmap_items, schedule_warnings

HORIZONS = list(RoadmapItem.Horizon.choices)  # [("now", "Now"), ("next", "Next"), ("later", "Later")]
FINISHED = (RoadmapItem.Status.DONE, RoadmapItem.Status.DROPPED)
DEFAULT_SCORE = "rice_score"


@dataclass(frozen=True)
class BoardFilters:
    """What a board shows: every item unless narrowed. `score` names the score shown on each card."""

    kind: str = ""
    status: str = ""
    release_id: int | None = None
    hide_finished: bool = False
    score: str = DEFAULT_SCORE

    @property
    def score_label(self) -> str:
        return SCORE_LABELS[self.score if self.score in SCORES else DEFAULT_SCORE]

    @property
    def narrowed(self) -> bool:
        return bool(self.kind or self.status or self.release_id or self.hide_finished)


@dataclass
class Column:
    horizon: str
    label: str
    cards: list = field(default_factory=list)
    total: int = 0  # the column's items, shown or not

    @property
    def hidden(self) -> int:
        return self.total - len(self.cards)


@dataclass
class Lane:
    """One product's three columns."""

    product: Product
    columns: list[Column]

    @property
    def total(self) -> int:
        return sum(c.total for c in self.columns)

    @property
    def shown(self) -> int:
        return sum(len(c.cards) for c in self.columns)


def _items(product_ids: list[int], filters: BoardFilters) -> list[RoadmapItem]:
    # The board needs no id lists of links: drop roadmap_items()' prefetches (three queries).
    queryset = roadmap_items(RoadmapItem.objects.filter(product_id__in=product_ids)).prefetch_related(None)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.release_id:
        queryset = queryset.filter(release_id=filters.release_id)
    if filters.hide_finished:
        queryset = queryset.exclude(status__in=FINISHED)
    return list(queryset)


def _totals(product_ids: list[int]) -> dict[tuple[int, str], int]:
    rows = (
        RoadmapItem.objects.filter(product_id__in=product_ids)
        .order_by()
        .values("product_id", "horizon")
        .annotate(n=Count("id"))
        .values_list("product_id", "horizon", "n")
    )
    return {(product_id, horizon): n for product_id, horizon, n in rows}


def _attach_moves(columns: list[Column]) -> None:
    """Each card's one-step moves as (horizon, before) pairs, `before` "" for the end of the column.

    Up: before the card above it. Down: before the card two below (the end when it becomes the last
    shown). Left or right: to the same place in the adjacent column. These are what the card's buttons
    send without JavaScript and what Alt+arrow keys send with it.
    """
    for index, column in enumerate(columns):
        cards = column.cards
        for place, card in enumerate(cards):
            moves = {}
            if place > 0:
                moves["up"] = (column.horizon, column.label, str(cards[place - 1].id))
            if place < len(cards) - 1:
                below = cards[place + 2].id if place + 2 < len(cards) else ""
                moves["down"] = (column.horizon, column.label, str(below))
            for direction, neighbour in (("left", index - 1), ("right", index + 1)):
                if 0 <= neighbour < len(columns):
                    target = columns[neighbour]
                    before = target.cards[place].id if place < len(target.cards) else ""
                    moves[direction] = (target.horizon, target.label, str(before))
            card.moves = {name: {"horizon": h, "label": label, "before": b} for name, (h, label, b) in moves.items()}


def lanes(products: list[Product], filters: BoardFilters) -> list[Lane]:
    """Every product's columns in rank order, with each card's score, warnings and moves attached."""
    product_ids = [p.id for p in products]
    if not product_ids:
        return []
    items = _items(product_ids, filters)
    warnings = schedule_warnings(items)
    totals = _totals(product_ids)
    score = filters.score if filters.score in SCORES else DEFAULT_SCORE
    by_product = {
        p.id: Lane(
            product=p,
            columns=[Column(horizon=h, label=label, total=totals.get((p.id, h), 0)) for h, label in HORIZONS],
        )
        for p in products
    }
    column_of = {(p_id, c.horizon): c for p_id, lane in by_product.items() for c in lane.columns}
    for item in sorted(items, key=lambda i: (i.rank, i.id)):
        item.score = getattr(item, score)
        item.warnings = warnings.get(item.id, [])
        item.finished = item.status in FINISHED
        column_of[(item.product_id, item.horizon)].cards.append(item)
    result = [by_product[p.id] for p in products]
    for lane in result:
        _attach_moves(lane.columns)
    return result


def product_board(product: Product, filters: BoardFilters) -> Lane:
    return lanes([product], filters)[0]
