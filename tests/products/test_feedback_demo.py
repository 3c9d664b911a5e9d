"""The demo's customer feedback (products.demo_feedback.seed_feedback): about thirty pieces from every source
about every demo product, spread over segments and six months, sales ones with deal values, linked to the
demo's ideas and roadmap items so their demand differs; written by the services; a second run adds nothing."""

import datetime
from collections import Counter

from django.test import TestCase

from products.demand import annotate_demand
from products.demo_feedback import FEEDBACK, seed_feedback
from products.models import DomainEvent, Feedback, Membership, Product
from roadmap.demo import ITEMS, seed_roadmap
from roadmap.models import RoadmapItem
from tests.factories import PortfolioFactory, ProductFactory, SegmentFactory, UserFactory

TODAY = datetime.date(2026, 3, 16)


class SeedFeedbackTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.portfolio = PortfolioFactory(name="Demo")
        cls.actor = UserFactory()
        Membership.objects.create(portfolio=cls.portfolio, user=cls.actor, role="admin")
        for name in ITEMS:
            ProductFactory(portfolio=cls.portfolio, name=name)
        cls.segments = [SegmentFactory(portfolio=cls.portfolio, name=n) for n in ("Enterprise", "Mid-market", "SMB")]
        seed_roadmap(portfolio=cls.portfolio, actor=cls.actor, today=TODAY)
        cls.before = Feedback.objects.count()
        cls.counts = seed_feedback(portfolio=cls.portfolio, actor=cls.actor, today=TODAY)
        cls.rows = list(Feedback.objects.filter(text__in=[row[3] for row in FEEDBACK]).select_related("product"))

    def test_about_thirty_pieces_are_written_by_the_service_with_an_event_each(self):
        assert self.counts["feedback"] == len(self.rows) == len(FEEDBACK) >= 30
        created = DomainEvent.objects.filter(verb="feedback.created", object_id__in=[r.id for r in self.rows])
        assert created.count() == len(self.rows)

    def test_every_source_product_and_segment_appears(self):
        assert {r.source for r in self.rows} == set(Feedback.Source.values)
        assert {r.product.name for r in self.rows} == set(
            Product.objects.filter(portfolio=self.portfolio).values_list("name", flat=True)
        )
        assert {r.segment_id for r in self.rows} >= {s.id for s in self.segments}

    def test_it_spreads_over_the_last_six_months(self):
        days = [(TODAY - r.received_on).days for r in self.rows]
        assert min(days) >= 0 and max(days) <= 183 and max(days) > 150
        assert len({day // 30 for day in days}) == 6

    def test_sales_feedback_carries_deal_values(self):
        sales = [r for r in self.rows if r.source == "sales"]
        assert len(sales) >= 6 and all(r.deal_value and r.deal_value > 0 for r in sales)

    def test_the_demand_of_roadmap_items_differs_visibly(self):
        items = annotate_demand(RoadmapItem.objects.filter(product__portfolio=self.portfolio), link="roadmap_items")
        asked = [i for i in items if i.demand_count]
        assert len(asked) >= 20 and self.counts["item_links"] >= 30
        assert len({(i.demand_count, i.demand_weight, i.demand_deal_value) for i in asked}) >= 8
        top = max(asked, key=lambda i: (i.demand_weight, i.demand_deal_value, i.demand_count))
        assert top.title in ("PagerDuty and Opsgenie escalation", "Accessibility: WCAG 2.2 AA")

    def test_ideas_are_linked(self):
        assert self.counts["idea_links"] >= 5
        assert Counter(r.ideas.count() for r in self.rows)[1] >= 5

    def test_a_second_run_writes_nothing(self):
        events = DomainEvent.objects.count()
        again = seed_feedback(portfolio=self.portfolio, actor=self.actor, today=TODAY)
        assert again == {"feedback": 0, "idea_links": 0, "item_links": 0}
        assert DomainEvent.objects.count() == events and Feedback.objects.count() == self.before + len(FEEDBACK)
