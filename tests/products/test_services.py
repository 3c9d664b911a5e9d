import pytest

from pmflow.errors import Conflict, InvalidInput, NotFound
from products import services
from products.models import Membership, Role, Stage, StageTransition
from tests.factories import KPIFactory, PortfolioFactory, ProductFactory, ProductLineFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_transition_moves_the_product_and_writes_the_ledger():
    product = ProductFactory(stage=Stage.RESEARCH)
    actor = UserFactory()
    move = services.product_transition(product_id=product.id, to_stage=Stage.PLANNING, reason="Done", actor=actor)
    product.refresh_from_db()
    assert (product.stage, product.stage_changed_at) == (Stage.PLANNING, move.at)
    assert (move.from_stage, move.to_stage, move.actor, move.reason) == (
        "research",
        "planning",
        actor,
        "Done",
    )


def test_transition_with_stale_expected_stage_is_refused_and_writes_nothing():
    product = ProductFactory(stage=Stage.PLANNING)
    with pytest.raises(services.StaleStage):
        services.product_transition(
            product_id=product.id,
            to_stage=Stage.PLANNING,
            reason="x",
            actor=UserFactory(),
            expected_stage="research",
        )
    assert not StageTransition.objects.exists()


def test_transition_skipping_stages_is_a_gate_not_met():
    product = ProductFactory(stage=Stage.IDEATION)
    with pytest.raises(services.GateNotMet) as caught:
        services.product_transition(product_id=product.id, to_stage=Stage.PLANNING, reason="x", actor=UserFactory())
    assert caught.value.details["unmet"] == [
        {"type": "one_stage_forward", "message": "Skips Research: move one stage at a time."}
    ]
    product.refresh_from_db()
    assert product.stage == Stage.IDEATION


def test_transition_to_launch_needs_a_kpi_with_a_target():
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    with pytest.raises(services.GateNotMet) as caught:
        services.product_transition(product_id=product.id, to_stage=Stage.LAUNCH, reason="x", actor=UserFactory())
    assert caught.value.details["unmet"] == [
        {"type": "kpi_with_target", "message": "No KPI with a target says what success looks like after launch."}
    ]


def test_transition_to_launch_passes_the_gate_with_a_targeted_kpi():
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    KPIFactory(product=product, target=100)
    move = services.product_transition(product_id=product.id, to_stage=Stage.LAUNCH, reason="x", actor=UserFactory())
    assert move.override is False


def test_override_moves_despite_the_gate_and_records_what_was_unmet():
    product = ProductFactory(stage=Stage.IDEATION, description="")
    move = services.product_transition(
        product_id=product.id, to_stage=Stage.PLANNING, reason="Exec call", actor=UserFactory(), override=True
    )
    assert move.override is True
    assert len(move.unmet_criteria) == 2


def test_system_moves_are_not_gated():
    product = ProductFactory(stage=Stage.IDEATION, description="")
    move = services.product_transition(product_id=product.id, to_stage=Stage.GROWTH, reason="Rule", actor=None)
    assert (move.override, move.unmet_criteria) == (False, [])


@pytest.mark.parametrize(
    "to_stage, reason, field",
    [("nowhere", "x", "to_stage"), ("research", "  ", "reason"), ("ideation", "x", "to_stage")],
)
def test_transition_bad_input_is_invalid_and_changes_nothing(to_stage, reason, field):
    product = ProductFactory(stage=Stage.IDEATION)
    with pytest.raises(InvalidInput) as caught:
        services.product_transition(product_id=product.id, to_stage=to_stage, reason=reason, actor=UserFactory())
    assert field in caught.value.fields
    assert not StageTransition.objects.exists()


def test_transition_of_missing_product_is_not_found():
    with pytest.raises(NotFound):
        services.product_transition(product_id=999999, to_stage=Stage.RESEARCH, reason="x", actor=None)


def test_product_create_writes_the_first_ledger_row():
    portfolio = PortfolioFactory()
    product = services.product_create(portfolio=portfolio, name="New", actor=UserFactory())
    assert list(product.transitions.values_list("from_stage", "to_stage")) == [("", "ideation")]


def test_product_create_refuses_a_line_of_another_portfolio():
    with pytest.raises(InvalidInput):
        services.product_create(portfolio=PortfolioFactory(), name="X", product_line=ProductLineFactory())


def test_portfolio_creator_becomes_admin():
    user = UserFactory()
    portfolio = services.portfolio_create(name="P", creator=user)
    assert Membership.objects.get(portfolio=portfolio, user=user).role == Role.ADMIN


def test_membership_set_refuses_to_remove_the_last_admin():
    user = UserFactory()
    portfolio = services.portfolio_create(name="P", creator=user)
    with pytest.raises(Conflict):
        services.membership_set(portfolio=portfolio, username=user.username, role=Role.VIEWER)
    assert Membership.objects.get(portfolio=portfolio, user=user).role == Role.ADMIN


def test_membership_set_unknown_user_is_a_field_error():
    with pytest.raises(InvalidInput) as caught:
        services.membership_set(portfolio=PortfolioFactory(), username="nobody", role=Role.VIEWER)
    assert "username" in caught.value.fields


def test_saving_a_stale_product_copy_keeps_the_stage_moved_meanwhile():
    product = ProductFactory(stage=Stage.RESEARCH)
    stale = type(product).objects.get(pk=product.pk)
    services.product_transition(product_id=product.id, to_stage=Stage.PLANNING, reason="Done", actor=None)
    stale.description = "Edited in another tab"
    stale.save()
    product.refresh_from_db()
    assert (product.stage, product.description) == (Stage.PLANNING, "Edited in another tab")
