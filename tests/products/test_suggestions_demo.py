"""The demo's stage suggestions (products.demo_suggestions.seed_suggestions): one dismissed with a reason
and one pending, both from suggest rules evaluated on measurements, written by the services; seeding again
adds nothing."""

from datetime import date, timedelta

import pytest

from kpis.services import measurements_ingest
from products.demo_suggestions import DISMISS_REASON, seed_suggestions
from products.models import DomainEvent, Stage, StageSuggestion
from tests.factories import KPIFactory, PortfolioFactory, ProductFactory, StageSuggestionFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


def _daily(kpi, capture, value, days):
    items = [{"observed_at": (TODAY - timedelta(days=d)).isoformat(), "value": value} for d in range(1, days + 1)]
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    """TeamBoard (maturity) under its users target, Ledger Classic (decline) under its revenue target."""
    portfolio = PortfolioFactory(name="Acme Software")
    teamboard = ProductFactory(portfolio=portfolio, name="TeamBoard", stage=Stage.MATURITY)
    users = KPIFactory(
        product=teamboard, key="weekly_active_users", aggregation="last", target=10000, target_granularity="week"
    )
    _daily(users, django_capture_on_commit_callbacks, 9100, 42)
    ledger = ProductFactory(portfolio=portfolio, name="Ledger Classic", stage=Stage.DECLINE)
    revenue = KPIFactory(product=ledger, key="revenue", aggregation="sum", target=57500, target_granularity="month")
    _daily(revenue, django_capture_on_commit_callbacks, 1500, 107)  # from 28 February
    return portfolio


def test_the_demo_has_a_dismissed_and_a_pending_suggestion_with_evidence(demo):
    counts = seed_suggestions(portfolio=demo, actor=UserFactory(), today=TODAY)
    assert counts == {"rules": 2, "suggestions": 2, "dismissed": 1}
    dismissed = StageSuggestion.objects.get(status="dismissed")
    assert dismissed.product.name == "TeamBoard" and dismissed.decision_reason == DISMISS_REASON
    assert len(dismissed.evidence["rollups"]) == 4
    pending = StageSuggestion.objects.get(status="pending")
    assert (pending.product.name, pending.to_stage) == ("Ledger Classic", Stage.RETIRED)
    assert [row["value"] for row in pending.evidence["rollups"]] == [46500.0, 45000.0, 46500.0]


def test_a_pending_suggestion_of_the_portfolios_rules_is_the_demos_pending_one(demo):
    ledger = demo.products.get(name="Ledger Classic")
    StageSuggestionFactory(product=ledger, to_stage=Stage.RETIRED)  # as demo_rules' composite rule makes
    counts = seed_suggestions(portfolio=demo, actor=UserFactory(), today=TODAY)
    assert counts == {"rules": 1, "suggestions": 1, "dismissed": 1}
    assert StageSuggestion.objects.filter(status="pending").count() == 1


def test_the_demo_suggestions_are_written_by_the_services(demo):
    seed_suggestions(portfolio=demo, actor=UserFactory(), today=TODAY)
    verbs = set(DomainEvent.objects.filter(portfolio=demo).values_list("verb", flat=True))
    assert {"lifecycle_rule.created", "stage_suggestion.created", "stage_suggestion.dismissed"} <= verbs


def test_seeding_again_adds_nothing(demo):
    actor = UserFactory()
    seed_suggestions(portfolio=demo, actor=actor, today=TODAY)
    assert seed_suggestions(portfolio=demo, actor=actor, today=TODAY) == {"rules": 0, "suggestions": 0, "dismissed": 0}
    assert StageSuggestion.objects.count() == 2
