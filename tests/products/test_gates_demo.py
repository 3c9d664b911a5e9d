"""The demo's stage gates (products.demo_gates.seed_gates)."""

from datetime import date

import pytest

from products import gates, services
from products.demo_gates import OVERRIDE_REASON, seed_gates
from products.models import Role, Stage, StageGate, StageTransition
from tests.factories import GoalFactory, MembershipFactory, PortfolioFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)


@pytest.fixture
def admin():
    return UserFactory(username="demo")


@pytest.fixture
def portfolio(admin):
    portfolio = services.portfolio_create(name="Acme Software", creator=admin)
    MembershipFactory(portfolio=portfolio, user=UserFactory(username="priya"), role=Role.PRODUCT_MANAGER)
    return portfolio


def test_the_demo_has_two_stricter_gates_and_the_defaults_elsewhere(portfolio, admin):
    assert seed_gates(portfolio=portfolio, actor=admin, today=TODAY) == {"gates": 2, "overrides": 0}
    stored = dict(StageGate.objects.filter(portfolio=portfolio).values_list("stage", "criteria"))
    assert [c["type"] for c in stored["development"]] == [
        "one_stage_forward",
        "has_description",
        "has_roadmap_items",
        "launch_plan_ready",
        "kpi_with_target",
    ]
    assert stored["development"][2]["params"] == {"min": 3}
    assert [c["type"] for c in stored["research"]] == ["one_stage_forward", "has_description", "has_goal"]
    assert all(stored[s] == gates.default_criteria(s) for s in Stage.values if s not in ("research", "development"))


def test_huddle_is_moved_by_its_product_manager_with_an_override_and_the_unmet_goal(portfolio, admin):
    huddle = ProductFactory(portfolio=portfolio, name="Huddle", stage="research")
    assert seed_gates(portfolio=portfolio, actor=admin, today=TODAY) == {"gates": 2, "overrides": 1}
    move = StageTransition.objects.get(product=huddle)
    assert (move.from_stage, move.to_stage, move.actor.username, move.reason) == (
        "research",
        "planning",
        "priya",
        OVERRIDE_REASON,
    )
    unmet = [{"type": "has_goal", "message": "The product has no goal that says what it should achieve."}]
    assert (move.override, move.unmet_criteria, move.evidence) == (True, unmet, {"unmet": unmet})


def test_a_huddle_that_meets_the_gate_is_not_moved(portfolio, admin):
    huddle = ProductFactory(portfolio=portfolio, name="Huddle", stage="research")
    GoalFactory(product=huddle)
    assert seed_gates(portfolio=portfolio, actor=admin, today=TODAY)["overrides"] == 0
    huddle.refresh_from_db()
    assert huddle.stage == "research"


def test_a_second_run_writes_nothing(portfolio, admin):
    ProductFactory(portfolio=portfolio, name="Huddle", stage="research")
    seed_gates(portfolio=portfolio, actor=admin, today=TODAY)
    rows = list(StageGate.objects.values_list("id", "criteria", "updated_at"))
    assert seed_gates(portfolio=portfolio, actor=admin, today=TODAY) == {}
    assert list(StageGate.objects.values_list("id", "criteria", "updated_at")) == rows
    assert StageTransition.objects.count() == 1


def test_an_older_portfolio_without_gate_rows_gets_the_defaults_written_out(admin):
    portfolio = PortfolioFactory()
    assert seed_gates(portfolio=portfolio, actor=admin, today=TODAY) == {"gates": 9, "overrides": 0}
    assert StageGate.objects.filter(portfolio=portfolio).count() == len(Stage.values)
