"""kpis.demo_analysis.seed_analysis: the demo's analysis shows a candidate to retire beside those to extend,
through the services only (a goal ended; no rollup or measurement touched), and a second run writes nothing."""

import datetime
from decimal import Decimal

import pytest

from kpis.analysis import portfolio_analysis
from kpis.demo_analysis import seed_analysis
from kpis.models import Measurement, Rollup
from products.models import DomainEvent, Goal
from tests.factories import GoalFactory, PortfolioFactory, ProductFactory, SegmentFactory, UserFactory
from tests.kpis.analysis_data import TODAY, feedback, revenue

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    portfolio = PortfolioFactory(name="Acme Software", timezone="Europe/Berlin")
    ledger = ProductFactory(portfolio=portfolio, stage="decline", name="Ledger Classic")
    revenue(ledger, [500, 400, 300, 200], django_capture_on_commit_callbacks)
    goal = GoalFactory(product=ledger, title="Retire Ledger Classic", period_start=datetime.date(2026, 1, 1))
    steady = ProductFactory(portfolio=portfolio, stage="decline", name="Steady")
    revenue(steady, [100, 200, 300], django_capture_on_commit_callbacks)
    steady_goal = GoalFactory(product=steady, period_start=datetime.date(2026, 1, 1))
    feedback(ProductFactory(portfolio=portfolio, stage="growth", name="Insight Hub"), recent=5, previous=1)
    SegmentFactory(portfolio=portfolio, name="Renewable energy installers", growth_pct=Decimal("18.5"), priority=4)
    return portfolio, goal, steady_goal


def test_the_demo_shows_a_candidate_to_retire_and_to_extend(demo):
    portfolio, goal, _ = demo
    counts = seed_analysis(portfolio=portfolio, actor=UserFactory(), today=TODAY)
    assert counts == {"thresholds": 1, "goals_ended": 1}
    result = portfolio_analysis(portfolio=portfolio, today=TODAY)
    assert [f.name for f in result.retire_flags] == ["Ledger Classic"]
    assert {f.name for f in result.extend_flags} == {"Renewable energy installers", "Insight Hub"}


def test_the_goal_ends_with_the_last_complete_quarter_through_the_service(demo):
    portfolio, goal, steady_goal = demo
    seed_analysis(portfolio=portfolio, actor=None, today=TODAY)
    goal.refresh_from_db()
    assert goal.period_end == datetime.date(2026, 3, 31)
    assert DomainEvent.objects.filter(verb="goal.updated", object_id=goal.id).count() == 1
    steady_goal.refresh_from_db()
    assert steady_goal.period_end == datetime.date(2026, 12, 31)  # its revenue rises: no reason to end it


def test_no_rollup_or_measurement_is_written(demo):
    portfolio, _, _ = demo
    rollups, measurements = list(Rollup.objects.values_list("id", "value")), Measurement.objects.count()
    seed_analysis(portfolio=portfolio, actor=None, today=TODAY)
    assert list(Rollup.objects.values_list("id", "value")) == rollups and Measurement.objects.count() == measurements


def test_a_second_run_writes_nothing(demo):
    portfolio, _, _ = demo
    seed_analysis(portfolio=portfolio, actor=None, today=TODAY)
    events = DomainEvent.objects.count()
    assert seed_analysis(portfolio=portfolio, actor=None, today=TODAY) == {"thresholds": 0, "goals_ended": 0}
    assert DomainEvent.objects.count() == events


def test_a_goal_that_began_today_is_left_alone(demo):
    portfolio, goal, _ = demo
    Goal.objects.filter(pk=goal.pk).update(period_start=TODAY)
    assert seed_analysis(portfolio=portfolio, actor=None, today=TODAY)["goals_ended"] == 0
