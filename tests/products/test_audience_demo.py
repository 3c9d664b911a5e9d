"""products.demo_audience.seed_audience: believable segments and personas for the demo, written by the
services, completing what the go-to-market demo made, and nothing written the second time."""

import datetime

import pytest

from products import demo_audience
from products.models import DomainEvent, Persona, Segment
from products.services.audience import USUAL_STAGES
from tests.factories import PersonaFactory, PortfolioFactory, ProductFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)
NAMES = ["Insight Hub", "Pulse Alerts", "Ledger Classic", "TeamBoard", "DocFlow", "FieldKit", "Scout"]


@pytest.fixture
def portfolio():
    portfolio = PortfolioFactory(name="Acme Software")
    for name in NAMES:
        ProductFactory(portfolio=portfolio, name=name)
    return portfolio


def test_segments_get_size_growth_priority_and_their_products(portfolio):
    counts = demo_audience.seed_audience(portfolio=portfolio, actor=UserFactory(), today=TODAY)
    assert counts["segments"] == len(demo_audience.SEGMENTS) and counts["personas"] == len(demo_audience.PERSONAS)
    for segment in Segment.objects.filter(portfolio=portfolio).prefetch_related("products"):
        assert segment.size and segment.growth_pct and 1 <= segment.priority <= 5 and segment.description
        served = {product.name for product in segment.products.all()}
        assert served == set(demo_audience.SEGMENTS[segment.name][4])


def test_one_segment_is_a_growth_opportunity_no_product_serves(portfolio):
    demo_audience.seed_audience(portfolio=portfolio, actor=None, today=TODAY)
    unserved = [s.name for s in Segment.objects.filter(portfolio=portfolio) if not s.products.exists()]
    assert unserved == [demo_audience.OPPORTUNITY]


def test_every_persona_has_goals_pains_and_the_five_stage_journey(portfolio):
    demo_audience.seed_audience(portfolio=portfolio, actor=None, today=TODAY)
    for persona in Persona.objects.filter(portfolio=portfolio):
        assert persona.goals and persona.pains and persona.segment_id
        assert [row["stage"] for row in persona.journey] == list(USUAL_STAGES)
        assert all(row["touchpoints"] and row["pains"] and row["opportunities"] for row in persona.journey)


def test_every_row_is_written_by_the_services_with_its_event(portfolio):
    demo_audience.seed_audience(portfolio=portfolio, actor=None, today=TODAY)
    assert DomainEvent.objects.filter(verb="segment.created").count() == len(demo_audience.SEGMENTS)
    assert DomainEvent.objects.filter(verb="persona.created").count() == len(demo_audience.PERSONAS)


def test_a_second_run_writes_nothing(portfolio):
    demo_audience.seed_audience(portfolio=portfolio, actor=None, today=TODAY)
    events = DomainEvent.objects.count()
    assert demo_audience.seed_audience(portfolio=portfolio, actor=None, today=TODAY) is None
    assert DomainEvent.objects.count() == events


def test_what_the_go_to_market_demo_made_is_completed_not_duplicated(portfolio):
    logistics = SegmentFactory(portfolio=portfolio, name="Mid-market logistics operators", priority=5)
    old_journey = [{"stage": "Trial", "touchpoints": "", "pains": "", "opportunities": ""}]
    olivia = PersonaFactory(portfolio=portfolio, name="Olivia, operations manager", goals="Mine", journey=old_journey)
    counts = demo_audience.seed_audience(portfolio=portfolio, actor=None, today=TODAY)
    assert counts["segments"] == len(demo_audience.SEGMENTS) - 1 and counts["segments_completed"] == 1
    assert Segment.objects.filter(portfolio=portfolio).count() == len(demo_audience.SEGMENTS)
    logistics.refresh_from_db()
    assert logistics.size == 4200 and logistics.products.count() == 2
    olivia.refresh_from_db()
    assert olivia.goals == "Mine" and [row["stage"] for row in olivia.journey] == list(USUAL_STAGES)
    assert olivia.segment == logistics


def test_a_missing_product_is_left_out(portfolio):
    portfolio.products.filter(name="Scout").delete()
    demo_audience.seed_audience(portfolio=portfolio, actor=None, today=TODAY)
    field = Segment.objects.get(portfolio=portfolio, name="Field service and facility management")
    assert [p.name for p in field.products.all()] == ["FieldKit"]
