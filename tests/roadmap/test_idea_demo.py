"""The demo's ideas (roadmap.demo_ideas.seed_ideas): every status on the list, two accepted through the
service with their roadmap items linking back, a rejection with its reason, the insights present linked,
and nothing added the second time."""

import datetime

import pytest

from products.models import DomainEvent, Idea
from roadmap.demo_ideas import IDEAS, seed_ideas
from roadmap.models import RoadmapItem
from tests.factories import FeedbackFactory, MarketInsightFactory, PortfolioFactory, ProductFactory, member

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def portfolio():
    portfolio = PortfolioFactory()
    for name in sorted({product for product, *_ in IDEAS}):
        ProductFactory(portfolio=portfolio, name=name)
    FeedbackFactory(product=portfolio.products.get(name="Pulse Alerts"), customer="Contoso Retail")
    return portfolio


def test_the_demo_has_ideas_in_every_status(portfolio):
    actor = member(portfolio, "admin")
    counts = seed_ideas(portfolio=portfolio, actor=actor, today=TODAY)
    assert counts["ideas"] == len(IDEAS)
    statuses = set(Idea.objects.filter(product__portfolio=portfolio).values_list("status", flat=True))
    assert statuses == {"concept", "evaluated", "accepted", "rejected"}


def test_accepted_ideas_have_roadmap_items_linking_back_with_their_feedback(portfolio):
    seed_ideas(portfolio=portfolio, actor=member(portfolio, "admin"), today=TODAY)
    accepted = Idea.objects.filter(product__portfolio=portfolio, status="accepted")
    assert accepted.count() == 2
    for idea in accepted:
        item = RoadmapItem.objects.get(ideas=idea)
        assert item.title == idea.title and idea.decided_at is not None
        assert set(item.feedback.all()) == set(idea.feedback.all())
    muted = accepted.get(title__startswith="Mute alerts")
    assert muted.feedback.get().customer == "Contoso Retail"


def test_the_rejected_idea_has_a_reason(portfolio):
    seed_ideas(portfolio=portfolio, actor=member(portfolio, "admin"), today=TODAY)
    rejected = Idea.objects.get(product__portfolio=portfolio, status="rejected")
    assert rejected.decision_reason and rejected.decided_by is not None


def test_every_write_went_through_a_service(portfolio):
    seed_ideas(portfolio=portfolio, actor=member(portfolio, "admin"), today=TODAY)
    for idea in Idea.objects.filter(product__portfolio=portfolio):
        assert DomainEvent.objects.filter(object_type="idea", object_id=idea.id, verb="idea.created").exists()


def test_ideas_are_linked_to_the_insights_present_naming_their_product(portfolio):
    product = portfolio.products.get(name="DocFlow")
    insight = MarketInsightFactory(portfolio=portfolio)
    insight.products.add(product)
    MarketInsightFactory(portfolio=portfolio)  # names no product: linked to nothing
    counts = seed_ideas(portfolio=portfolio, actor=member(portfolio, "admin"), today=TODAY)
    linked = Idea.objects.filter(insights=insight)
    assert counts["insight_links"] == linked.count() > 0
    assert {idea.product for idea in linked} == {product}


def test_without_insights_no_link_is_made(portfolio):
    counts = seed_ideas(portfolio=portfolio, actor=member(portfolio, "admin"), today=TODAY)
    assert counts["insight_links"] == 0


def test_loading_twice_adds_nothing(portfolio):
    actor = member(portfolio, "admin")
    seed_ideas(portfolio=portfolio, actor=actor, today=TODAY)
    events, items = DomainEvent.objects.count(), RoadmapItem.objects.count()
    counts = seed_ideas(portfolio=portfolio, actor=actor, today=TODAY)
    assert set(counts.values()) == {0}
    assert (DomainEvent.objects.count(), RoadmapItem.objects.count()) == (events, items)


def test_insights_loaded_later_are_linked_on_the_next_run(portfolio):
    actor = member(portfolio, "admin")
    seed_ideas(portfolio=portfolio, actor=actor, today=TODAY)
    insight = MarketInsightFactory(portfolio=portfolio)
    insight.products.add(portfolio.products.get(name="FieldKit"))
    counts = seed_ideas(portfolio=portfolio, actor=actor, today=TODAY)
    assert counts["ideas"] == 0 and counts["insight_links"] == 1


def test_missing_products_are_skipped():
    portfolio = PortfolioFactory()
    ProductFactory(portfolio=portfolio, name="Huddle")
    counts = seed_ideas(portfolio=portfolio, actor=None, today=TODAY)
    assert counts["ideas"] == 1 and counts["evaluated"] == 1
