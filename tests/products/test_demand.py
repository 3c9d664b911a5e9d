from decimal import Decimal

import pytest

from products.demand import DEMAND_ORDERING, annotate_demand, demand_of
from products.models import Idea
from roadmap.models import RoadmapItem
from tests.factories import FeedbackFactory, IdeaFactory, RoadmapItemFactory

pytestmark = pytest.mark.django_db


def _feedback(idea, importance, deal_value=None):
    row = FeedbackFactory(product=idea.product, importance=importance, deal_value=deal_value)
    row.ideas.add(idea)
    return row


def test_demand_counts_feedback_and_sums_importance_and_deal_value():
    idea = IdeaFactory()
    _feedback(idea, 5, Decimal("12000.50"))
    _feedback(idea, 2)
    row = annotate_demand(Idea.objects.all(), link="ideas").get()
    assert (row.demand_count, row.demand_weight, row.demand_deal_value) == (2, 7, Decimal("12000.50"))


def test_an_idea_without_feedback_has_zero_demand():
    IdeaFactory()
    row = annotate_demand(Idea.objects.all(), link="ideas").get()
    assert (row.demand_count, row.demand_weight, row.demand_deal_value) == (0, 0, 0)


def test_demand_does_not_multiply_rows_of_the_list():
    idea = IdeaFactory()
    for importance in (1, 2, 3):
        _feedback(idea, importance)
    assert annotate_demand(Idea.objects.all(), link="ideas").count() == 1


def test_demand_ordering_puts_weight_before_deal_value():
    heavy, rich = IdeaFactory(title="heavy"), IdeaFactory(title="rich")
    _feedback(heavy, 5)
    _feedback(rich, 1, Decimal("90000"))
    titles = [i.title for i in annotate_demand(Idea.objects.all(), link="ideas").order_by(*DEMAND_ORDERING)]
    assert titles == ["heavy", "rich"]


def test_roadmap_items_read_demand_through_their_feedback():
    item = RoadmapItemFactory()
    row = FeedbackFactory(product=item.product, importance=4, deal_value=Decimal("500"))
    item.feedback.add(row)
    annotated = annotate_demand(RoadmapItem.objects.all(), link="roadmap_items").get()
    assert (annotated.demand_count, annotated.demand_weight, annotated.demand_deal_value) == (1, 4, Decimal("500"))


def test_demand_of_rows_in_memory_matches_the_query():
    idea = IdeaFactory()
    rows = [_feedback(idea, 3, Decimal("100")), _feedback(idea, 4)]
    assert demand_of(rows) == {"count": 2, "weight": 7, "deal_value": Decimal("100")}
