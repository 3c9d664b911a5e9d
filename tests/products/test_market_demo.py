"""The demo market (products.demo_market.seed_market): every kind of insight across the products, four
competitors in the demo's segments, a year of moves with three left unanswered, written by the services;
seeding again adds nothing."""

import datetime

import pytest

from products.demo_market import seed_market
from products.models import Competitor, CompetitorMove, DomainEvent, MarketInsight
from tests.factories import PortfolioFactory, ProductFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
NAMES = ["Insight Hub", "Pulse Alerts", "Ledger Classic", "TeamBoard", "DocFlow", "Huddle", "FieldKit", "Scout"]


@pytest.fixture
def demo():
    portfolio = PortfolioFactory(name="Acme Software")
    for name in NAMES:
        ProductFactory(portfolio=portfolio, name=name)
    for name in ("Mid-market logistics operators", "Regulated industries"):
        SegmentFactory(portfolio=portfolio, name=name)
    return portfolio


def test_the_demo_market_covers_every_kind_competitors_and_a_year_of_moves(demo):
    counts = seed_market(portfolio=demo, actor=UserFactory(), today=TODAY)
    assert counts == {"insights": 10, "competitors": 4, "moves": 10, "unanswered": 3}
    insights = MarketInsight.objects.filter(portfolio=demo)
    assert set(insights.values_list("kind", flat=True)) == set(MarketInsight.Kind.values)
    assert all(insight.products.exists() for insight in insights)
    assert Competitor.objects.get(name="Datawise").segments.count() == 1  # the segments the portfolio has
    moves = CompetitorMove.objects.filter(competitor__portfolio=demo)
    assert set(moves.values_list("response_status", flat=True)) == {"none", "planned", "done"}
    oldest = min(moves.values_list("happened_on", flat=True))
    assert TODAY - datetime.timedelta(days=365) <= oldest < TODAY


def test_the_demo_market_is_written_by_the_services(demo):
    seed_market(portfolio=demo, actor=UserFactory(), today=TODAY)
    verbs = set(DomainEvent.objects.filter(portfolio=demo).values_list("verb", flat=True))
    assert verbs == {"market_insight.created", "competitor.created", "competitor_move.created"}


def test_seeding_again_adds_nothing(demo):
    actor = UserFactory()
    seed_market(portfolio=demo, actor=actor, today=TODAY)
    events = DomainEvent.objects.count()
    assert seed_market(portfolio=demo, actor=actor, today=TODAY) is None
    assert DomainEvent.objects.count() == events and MarketInsight.objects.count() == 10


def test_missing_products_are_left_out_of_what_names_them():
    portfolio = PortfolioFactory()
    ProductFactory(portfolio=portfolio, name="TeamBoard")
    assert seed_market(portfolio=portfolio, actor=None, today=TODAY)["moves"] == 10
    assert CompetitorMove.objects.filter(products__name="TeamBoard").count() == 3
