"""A person's move and the stage gates: the defaults behave like the fixed gates they replaced, a
portfolio's own gate replaces its stage's default, refusals list what is unmet, overrides record it, and
rule moves and accepted suggestions are not gated (products.services.stages.product_transition)."""

import pytest

from products import gates, services
from products.models import Stage, StageTransition
from tests.factories import (
    KPIFactory,
    LifecycleRuleFactory,
    ProductFactory,
    RoadmapItemFactory,
    StageGateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SKIPS_RESEARCH = {"type": "one_stage_forward", "message": "Skips Research: move one stage at a time."}
UNDESCRIBED = {"type": "has_description", "message": "The product has no description of the problem it solves."}
DESCRIBED_ONLY = {"type": "has_description", "params": {}}
UNMEASURED = {"type": "kpi_with_target", "message": "No KPI with a target says what success looks like after launch."}


def move(product, to_stage, **kwargs):
    return services.product_transition(
        product_id=product.id, to_stage=to_stage, reason="Ready", actor=kwargs.pop("actor", UserFactory()), **kwargs
    )


def refused(product, to_stage, **kwargs) -> list[dict]:
    with pytest.raises(services.GateNotMet) as caught:
        move(product, to_stage, **kwargs)
    return caught.value.details["unmet"]


# --- the defaults behave like the old fixed gates ---------------------------------------------------


def _old_fixed_gates(product, to_stage: str) -> list[str]:
    """The fixed gates pmflow had before gates were per portfolio (products/lifecycle.py, issue 12)."""
    here, there = Stage.order(product.stage), Stage.order(to_stage)
    unmet = []
    if there < here:
        unmet.append(f"Moves back from {Stage(product.stage).label} to {Stage(to_stage).label}.")
    elif there > here + 1:
        skipped = ", ".join(Stage(s).label for s in Stage.values[here + 1 : there])
        unmet.append(f"Skips {skipped}: move one stage at a time.")
    if there >= Stage.order(Stage.PLANNING) and not product.description.strip():
        unmet.append(UNDESCRIBED["message"])
    measured = product.kpis.filter(target__isnull=False).exists()
    if there >= Stage.order(Stage.LAUNCH) and to_stage != Stage.RETIRED and not measured:
        unmet.append(UNMEASURED["message"])
    return unmet


@pytest.mark.parametrize("described", [True, False])
@pytest.mark.parametrize("measured", [True, False])
def test_default_gates_refuse_every_forward_move_the_fixed_gates_refused(described, measured):
    """Every forward move (one stage, skips, retiring) from every stage: the same criteria unmet."""
    for here in Stage.values:
        product = ProductFactory(stage=here, description="Solves it." if described else "")
        if measured:
            KPIFactory(product=product, target=10)
        for there in Stage.values[Stage.order(here) + 1 :]:
            got = [item["message"] for item in gates.gate_unmet(product, there)]
            assert got == _old_fixed_gates(product, there), (here, there)


def test_default_gates_refuse_a_move_back_for_its_direction_only():
    """Exit criteria are about moving on: a move back asks only for the override (one stage forward)."""
    product = ProductFactory(stage=Stage.GROWTH, description="")
    assert gates.gate_unmet(product, Stage.LAUNCH) == [
        {"type": "one_stage_forward", "message": "Moves back from Growth to Launch."}
    ]


def test_transition_to_planning_needs_a_description():
    product = ProductFactory(stage=Stage.RESEARCH, description="")
    assert refused(product, Stage.PLANNING) == [UNDESCRIBED]
    product.refresh_from_db()
    assert product.stage == Stage.RESEARCH and not StageTransition.objects.exists()


def test_transition_to_launch_needs_a_kpi_with_a_target_but_retiring_does_not():
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    assert refused(product, Stage.LAUNCH) == [UNMEASURED]
    declining = ProductFactory(stage=Stage.DECLINE)
    assert move(declining, Stage.RETIRED).override is False


def test_retiring_early_passes_the_decline_gate_only():
    product = ProductFactory(stage=Stage.DEVELOPMENT, description="")
    assert refused(product, Stage.RETIRED) == [
        {"type": "one_stage_forward", "message": "Skips Launch, Growth, Maturity, Decline: move one stage at a time."},
        UNDESCRIBED,
    ]


# --- a portfolio's own gates ----------------------------------------------------------------------


def test_a_portfolio_gate_replaces_the_default_of_its_stage():
    product = ProductFactory(stage=Stage.DEVELOPMENT)  # no KPI: the default would refuse
    StageGateFactory(
        portfolio=product.portfolio,
        stage=Stage.DEVELOPMENT,
        criteria=[{"type": "has_roadmap_items", "params": {"min": 2}}],
    )
    RoadmapItemFactory(product=product)
    assert refused(product, Stage.LAUNCH) == [
        {"type": "has_roadmap_items", "message": "The roadmap needs at least 2 items (not dropped); it has only 1."}
    ]
    RoadmapItemFactory(product=product)
    assert move(product, Stage.LAUNCH).override is False


def test_another_portfolios_gate_does_not_apply():
    product = ProductFactory(stage=Stage.RESEARCH, description="")
    StageGateFactory(stage=Stage.RESEARCH, criteria=[])  # another portfolio opened its research gate
    assert refused(product, Stage.PLANNING) == [UNDESCRIBED]


def test_an_open_gate_lets_any_move_out_of_its_stage():
    product = ProductFactory(stage=Stage.RESEARCH, description="")
    StageGateFactory(portfolio=product.portfolio, stage=Stage.RESEARCH, criteria=[])
    assert move(product, Stage.PLANNING).unmet_criteria == []


def test_an_open_gate_without_one_stage_forward_allows_a_move_back():
    product = ProductFactory(stage=Stage.PLANNING)
    StageGateFactory(portfolio=product.portfolio, stage=Stage.PLANNING, criteria=[DESCRIBED_ONLY])
    assert move(product, Stage.RESEARCH).override is False


def test_a_skip_passes_the_gates_of_the_stages_it_skips():
    product = ProductFactory(stage=Stage.IDEATION)
    StageGateFactory(portfolio=product.portfolio, stage=Stage.IDEATION, criteria=[])
    StageGateFactory(portfolio=product.portfolio, stage=Stage.RESEARCH, criteria=[{"type": "has_goal", "params": {}}])
    assert refused(product, Stage.PLANNING) == [
        {"type": "has_goal", "message": "The product has no goal that says what it should achieve."}
    ]


def test_a_criterion_no_app_registers_any_more_is_skipped():
    product = ProductFactory(stage=Stage.RESEARCH)
    StageGateFactory(portfolio=product.portfolio, stage=Stage.RESEARCH, criteria=[{"type": "gone", "params": {}}])
    assert move(product, Stage.PLANNING).unmet_criteria == []


# --- refusal, override, ungated moves ---------------------------------------------------------------


def test_a_refusal_lists_every_unmet_criterion_in_gate_order():
    product = ProductFactory(stage=Stage.IDEATION, description="")
    assert refused(product, Stage.PLANNING) == [SKIPS_RESEARCH, UNDESCRIBED]


def test_override_moves_and_records_the_unmet_list_in_the_ledger_and_the_evidence():
    product = ProductFactory(stage=Stage.IDEATION, description="")
    done = move(product, Stage.PLANNING, override=True)
    assert (done.override, done.unmet_criteria, done.evidence) == (
        True,
        [SKIPS_RESEARCH, UNDESCRIBED],
        {"unmet": [SKIPS_RESEARCH, UNDESCRIBED]},
    )


def test_override_keeps_the_evidence_given_beside_the_unmet_list():
    product = ProductFactory(stage=Stage.RESEARCH, description="")
    done = move(product, Stage.PLANNING, override=True, evidence={"board": "2026-03-02"})
    assert done.evidence == {"board": "2026-03-02", "unmet": [UNDESCRIBED]}


def test_override_with_the_gate_met_is_a_plain_move():
    product = ProductFactory(stage=Stage.RESEARCH)
    done = move(product, Stage.PLANNING, override=True)
    assert (done.override, done.unmet_criteria, done.evidence) == (False, [], {})


def test_rule_moves_are_not_gated():
    product = ProductFactory(stage=Stage.IDEATION, description="")
    rule = LifecycleRuleFactory(portfolio=product.portfolio)
    done = services.product_transition(product_id=product.id, to_stage=Stage.GROWTH, reason="Rule", rule=rule)
    assert (done.override, done.unmet_criteria) == (False, [])


def test_an_accepted_suggestion_is_not_gated():
    product = ProductFactory(stage=Stage.RESEARCH, description="")
    done = move(product, Stage.PLANNING, gated=False)
    assert (done.override, done.unmet_criteria, done.actor is not None) == (False, [], True)


def test_a_move_judges_fresh_facts_not_those_a_preview_remembered():
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    assert gates.gate_unmet(product, Stage.LAUNCH) == [UNMEASURED]  # remembered on this instance
    KPIFactory(product=product, target=100)
    assert move(product, Stage.LAUNCH).override is False
