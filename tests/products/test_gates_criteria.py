"""Stage gate criterion types, each at its boundary, and what a gate's criteria may be (products.gates)."""

import pytest

from pmflow.errors import InvalidInput
from products import gates
from products.models import Stage
from tests.factories import (
    GoalFactory,
    KPIFactory,
    LaunchPlanFactory,
    LaunchTaskFactory,
    MarketInsightFactory,
    ProductFactory,
    ReleaseFactory,
    RoadmapItemFactory,
)

pytestmark = pytest.mark.django_db


def check(product, key, params=None, to_stage=None):
    """The criterion's verdict on a fresh product instance (no remembered facts)."""
    product = type(product).objects.get(pk=product.pk)
    to_stage = to_stage or Stage.values[Stage.order(product.stage) + 1]
    return gates.criterion_types[key].check(product, params or {}, to_stage)


def test_every_contract_type_is_registered_by_its_app():
    contract = {
        "has_description",
        "has_market_insight",
        "has_goal",
        "has_roadmap_items",
        "release_shipped",
        "launch_plan_ready",
        "kpi_with_target",
    }
    assert contract | {"one_stage_forward"} == set(gates.criterion_types)


# --- each criterion at its boundary -------------------------------------------------------------------


@pytest.mark.parametrize("description, met", [("", False), ("  \n ", False), ("x", True)])
def test_has_description_needs_words_not_whitespace(description, met):
    product = ProductFactory(stage=Stage.RESEARCH, description=description)
    assert (check(product, "has_description") is None) is met


def test_has_market_insight_needs_an_insight_that_names_the_product():
    product = ProductFactory(stage=Stage.RESEARCH)
    other = MarketInsightFactory(portfolio=product.portfolio)
    other.products.add(ProductFactory(portfolio=product.portfolio))
    assert "No market insight names the product" in check(product, "has_market_insight")
    MarketInsightFactory(portfolio=product.portfolio).products.add(product)
    assert check(product, "has_market_insight") is None


def test_has_goal_needs_a_goal_of_the_product():
    product = ProductFactory(stage=Stage.RESEARCH)
    GoalFactory(product=ProductFactory(portfolio=product.portfolio))
    assert check(product, "has_goal") == "The product has no goal that says what it should achieve."
    GoalFactory(product=product)
    assert check(product, "has_goal") is None


def test_has_roadmap_items_counts_up_to_its_minimum_and_not_dropped_ones():
    product = ProductFactory(stage=Stage.PLANNING)
    RoadmapItemFactory(product=product)
    RoadmapItemFactory(product=product)
    RoadmapItemFactory(product=product, status="dropped")
    assert check(product, "has_roadmap_items", {"min": 3}) == (
        "The roadmap needs at least 3 items (not dropped); it has only 2."
    )
    assert check(product, "has_roadmap_items", {"min": 2}) is None


def test_has_roadmap_items_without_any_says_none():
    product = ProductFactory(stage=Stage.PLANNING)
    assert check(product, "has_roadmap_items", {"min": 1}) == (
        "The roadmap needs at least 1 item (not dropped); it has none."
    )


def test_release_shipped_needs_a_shipped_release_not_a_planned_one():
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    ReleaseFactory(product=product)
    assert check(product, "release_shipped") == "No release of the product has shipped."
    from django.utils import timezone

    ReleaseFactory(product=product, status="shipped", shipped_at=timezone.now())
    assert check(product, "release_shipped") is None


def test_launch_plan_ready_needs_every_required_task_done():
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    plan = LaunchPlanFactory(product=product)
    LaunchTaskFactory(launch_plan=plan, status="done")
    open_task = LaunchTaskFactory(launch_plan=plan, status="todo")
    LaunchTaskFactory(launch_plan=plan, status="todo", required=False)
    assert "No launch plan is ready" in check(product, "launch_plan_ready")
    open_task.status = "done"
    open_task.save()
    assert check(product, "launch_plan_ready") is None


def test_a_cancelled_plan_is_not_a_ready_one():
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    LaunchPlanFactory(product=product, status="cancelled")  # no tasks: readiness 100, but cancelled
    assert "No launch plan is ready" in check(product, "launch_plan_ready")


def test_kpi_with_target_needs_a_target_on_a_kpi_of_the_product():
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    KPIFactory(product=product, target=None)
    KPIFactory(product=ProductFactory(portfolio=product.portfolio), target=5)
    assert check(product, "kpi_with_target") == "No KPI with a target says what success looks like after launch."
    KPIFactory(product=product, key="signups", target=0)
    assert check(product, "kpi_with_target") is None


@pytest.mark.parametrize(
    "here, there, message",
    [
        ("research", "planning", None),
        ("research", "development", "Skips Planning: move one stage at a time."),
        ("research", "launch", "Skips Planning, Development: move one stage at a time."),
        ("research", "ideation", "Moves back from Research to Ideation."),
    ],
)
def test_one_stage_forward_refuses_a_skip_and_a_move_back(here, there, message):
    product = ProductFactory(stage=here)
    assert check(product, "one_stage_forward", to_stage=there) == message


def test_a_fact_is_asked_once_per_product_instance(django_assert_num_queries):
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    kind = gates.criterion_types["kpi_with_target"]
    with django_assert_num_queries(1):
        kind.check(product, {}, "launch")
        kind.check(product, {}, "growth")


# --- what a gate's criteria may be ----------------------------------------------------------------


def test_criteria_are_normalised_in_the_registry_order_with_defaults_filled_in():
    cleaned = gates.criteria_clean([{"type": "kpi_with_target"}, {"type": "has_roadmap_items"}, {"type": "has_goal"}])
    assert cleaned == [
        {"type": "has_goal", "params": {}},
        {"type": "has_roadmap_items", "params": {"min": 1}},
        {"type": "kpi_with_target", "params": {}},
    ]


def test_an_empty_list_is_an_open_gate():
    assert gates.criteria_clean([]) == []


@pytest.mark.parametrize(
    "criteria, message",
    [
        ("has_goal", "A list of criteria"),
        ([{"type": "has_magic"}], "criteria[0].type: unknown criterion type “has_magic”"),
        ([{"params": {}}], "criteria[0].type: unknown criterion type missing"),
        ([{"type": 5}], "criteria[0].type: unknown criterion type missing"),
        (["has_goal"], "criteria[0]: an object"),
        ([{"type": "has_goal"}, {"type": "has_goal"}], "criteria[1].type: has_goal is criteria[0] already"),
        ([{"type": "has_goal", "params": {"min": 2}}], "criteria[0].params.min: has_goal takes no parameters"),
        ([{"type": "has_goal", "params": []}], "criteria[0].params: an object"),
        ([{"type": "has_goal", "when": "now"}], "criteria[0]: unknown field(s) when"),
        ([{"type": "has_roadmap_items", "params": {"min": 0}}], "criteria[0].params.min: a whole number from 1"),
        ([{"type": "has_roadmap_items", "params": {"min": 1001}}], "criteria[0].params.min: a whole number"),
        ([{"type": "has_roadmap_items", "params": {"min": "3"}}], "criteria[0].params.min: a whole number"),
        ([{"type": "has_roadmap_items", "params": {"min": True}}], "criteria[0].params.min: a whole number"),
        ([{"type": "has_roadmap_items", "params": {"min": 2.5}}], "criteria[0].params.min: a whole number"),
        ([{"type": "has_goal"}] * 51, "At most 50 criteria"),
    ],
)
def test_bad_criteria_are_refused_with_their_path(criteria, message):
    with pytest.raises(InvalidInput) as caught:
        gates.criteria_clean(criteria)
    messages = caught.value.fields["criteria"]
    assert any(message in text for text in (messages if isinstance(messages, list) else [messages])), messages


def test_the_boundaries_of_the_minimum_are_allowed():
    assert gates.criteria_clean([{"type": "has_roadmap_items", "params": {"min": 1000}}])[0]["params"] == {"min": 1000}
    assert gates.criteria_clean([{"type": "has_roadmap_items", "params": {"min": 1}}])[0]["params"] == {"min": 1}


def test_the_default_criteria_are_valid_criteria():
    for stage in Stage.values:
        assert gates.criteria_clean(gates.default_criteria(stage)) == gates.default_criteria(stage)


def test_criteria_described_in_plain_words():
    described = gates.describe_criteria([{"type": "has_roadmap_items", "params": {"min": 3}}])
    assert described == [
        {"type": "has_roadmap_items", "label": "Roadmap items", "description": "At least 3 roadmap items (not dropped)"}
    ]


@pytest.mark.parametrize(
    "here, there, passed",
    [
        ("research", "planning", ["research"]),
        ("research", "launch", ["research", "planning", "development"]),
        ("development", "retired", ["decline"]),
        ("decline", "retired", ["decline"]),
        ("growth", "launch", []),
    ],
)
def test_the_gates_a_move_passes(here, there, passed):
    assert gates.gates_passed(here, there) == passed
