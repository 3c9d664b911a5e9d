"""all_of / any_of rule conditions (products.lifecycle): cleaned recursively through the registry with
field paths, evaluated part by part, described in words, their evidence rendered by each part's template."""

from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from gtm.models import LaunchPlan
from pmflow.errors import InvalidInput
from products import lifecycle, services
from products.models import Stage
from roadmap.models import Release
from tests.factories import LaunchPlanFactory, LifecycleRuleFactory, ProductFactory, ReleaseFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)
LAUNCHED = {"condition_type": "launch_plan_launched", "params": {}}
SHIPPED = {"condition_type": "release_shipped", "params": {}}
WAU = {
    "condition_type": "kpi_threshold",
    "params": {"key": "weekly_active_users", "granularity": "week", "comparator": "gte", "value": 10, "periods": 1},
}


def _launch(product):
    LaunchPlanFactory(product=product, status=LaunchPlan.Status.LAUNCHED, launched_at=timezone.now())


def _ship(product):
    ReleaseFactory(product=product, status=Release.Status.SHIPPED, shipped_at=timezone.now())


def _rule(product, condition_type, *parts):
    params = lifecycle.condition_types[condition_type].clean({"conditions": list(parts)})
    return LifecycleRuleFactory(
        portfolio=product.portfolio,
        from_stage=Stage.DEVELOPMENT,
        to_stage=Stage.LAUNCH,
        condition_type=condition_type,
        params=params,
    )


def _evaluate(rule, product):
    return lifecycle.condition_types[rule.condition_type].evaluate(rule, product, TODAY)


@pytest.fixture
def product():
    return ProductFactory(stage=Stage.DEVELOPMENT, stage_changed_at=timezone.now() - timedelta(days=1))


# --- evaluate -----------------------------------------------------------------------------------------


def test_all_of_holds_when_every_part_holds_with_each_parts_evidence(product):
    _launch(product)
    _ship(product)
    evidence = _evaluate(_rule(product, "all_of", LAUNCHED, SHIPPED), product)
    assert [part["condition_type"] for part in evidence["parts"]] == ["launch_plan_launched", "release_shipped"]
    assert evidence["parts"][0]["condition"] == "a launch plan of the product launches"
    assert "launch_plan" in evidence["parts"][0] and "release" in evidence["parts"][1]


def test_all_of_does_not_hold_when_one_part_does_not(product):
    _launch(product)
    assert _evaluate(_rule(product, "all_of", LAUNCHED, SHIPPED), product) is None


def test_any_of_holds_with_the_evidence_of_every_part_that_holds(product):
    _ship(product)
    evidence = _evaluate(_rule(product, "any_of", LAUNCHED, SHIPPED, WAU), product)
    assert [part["condition_type"] for part in evidence["parts"]] == ["release_shipped"]
    _launch(product)
    evidence = _evaluate(_rule(product, "any_of", LAUNCHED, SHIPPED), product)
    assert [part["condition_type"] for part in evidence["parts"]] == ["launch_plan_launched", "release_shipped"]


def test_any_of_does_not_hold_when_no_part_does(product):
    assert _evaluate(_rule(product, "any_of", LAUNCHED, SHIPPED), product) is None


def test_nested_composites_evaluate_recursively(product):
    _ship(product)
    rule = _rule(
        product, "all_of", SHIPPED, {"condition_type": "any_of", "params": {"conditions": [LAUNCHED, SHIPPED]}}
    )
    evidence = _evaluate(rule, product)
    nested = evidence["parts"][1]
    assert nested["condition_type"] == "any_of"
    assert [part["condition_type"] for part in nested["parts"]] == ["release_shipped"]


def test_an_auto_composite_rule_moves_the_product_and_records_the_parts(product):
    _launch(product)
    _ship(product)
    _rule(product, "all_of", LAUNCHED, SHIPPED)
    move = services.lifecycle_rules_evaluate(product_id=product.id, today=TODAY)
    product.refresh_from_db()
    assert product.stage == Stage.LAUNCH
    assert move.evidence["condition_type"] == "all_of"
    assert move.evidence["condition"] == "a launch plan of the product launches and a release of the product ships"
    assert len(move.evidence["parts"]) == 2


# --- clean ------------------------------------------------------------------------------------------


def test_clean_normalises_every_part_through_its_type():
    params = lifecycle.clean_composite(
        {
            "conditions": [
                {"condition_type": "kpi_threshold", "params": {"key": " wau ", "comparator": "gt", "value": "7"}}
            ]
        }
    )
    assert params["conditions"][0]["params"] == {
        "key": "wau",
        "granularity": "month",
        "comparator": "gt",
        "value": 7,
        "periods": 1,
    }


def test_a_part_without_params_has_none():
    assert lifecycle.clean_composite({"conditions": [{"condition_type": "release_shipped"}]}) == {
        "conditions": [SHIPPED]
    }


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "params.conditions"),
        ({"conditions": []}, "params.conditions"),
        ({"conditions": [SHIPPED] * 11}, "params.conditions"),
        ({"conditions": "release_shipped"}, "params.conditions"),
        ({"conditions": [SHIPPED], "mode": "all"}, "params"),
        (
            {"conditions": [SHIPPED, {"condition_type": "moon_phase", "params": {}}]},
            "params.conditions[1].condition_type",
        ),
        ({"conditions": [SHIPPED, {"condition_type": 7}]}, "params.conditions[1].condition_type"),
        ({"conditions": [SHIPPED, "release_shipped"]}, "params.conditions[1]"),
        ({"conditions": [{"condition_type": "release_shipped", "params": {}, "x": 1}]}, "params.conditions[0]"),
        ({"conditions": [{"condition_type": "release_shipped", "params": []}]}, "params.conditions[0].params"),
        ({"conditions": [{"condition_type": "release_shipped", "params": {"x": 1}}]}, "params.conditions[0].params"),
        (
            {"conditions": [SHIPPED, {"condition_type": "kpi_threshold", "params": {"comparator": "gt", "value": 1}}]},
            "params.conditions[1].params.key",
        ),
        (
            {
                "conditions": [
                    {
                        "condition_type": "any_of",
                        "params": {
                            "conditions": [
                                WAU,
                                {
                                    "condition_type": "kpi_growth",
                                    "params": {"key": "r", "comparator": "lt", "value": "x"},
                                },
                            ]
                        },
                    }
                ]
            },
            "params.conditions[0].params.conditions[1].params.value",
        ),
    ],
)
def test_bad_parts_are_reported_with_their_field_path(params, field):
    with pytest.raises(InvalidInput) as caught:
        lifecycle.clean_composite(params)
    assert field in caught.value.fields, caught.value.fields


def _nested(depth: int) -> dict:
    params = {"conditions": [SHIPPED]}
    for _ in range(depth - 1):
        params = {"conditions": [{"condition_type": "all_of", "params": params}]}
    return params


def test_three_levels_of_nesting_are_allowed():
    assert lifecycle.clean_composite(_nested(3)) == _nested(3)


def test_a_fourth_level_of_nesting_is_refused_where_it_starts():
    with pytest.raises(InvalidInput) as caught:
        lifecycle.clean_composite(_nested(4))
    assert list(caught.value.fields) == [
        "params.conditions[0].params.conditions[0].params.conditions[0].condition_type"
    ]


# --- describe and evidence ---------------------------------------------------------------------------


def test_describe_joins_parts_with_and_or_or_and_brackets_nested_ones():
    params = lifecycle.clean_composite(
        {"conditions": [WAU, {"condition_type": "any_of", "params": {"conditions": [LAUNCHED, SHIPPED]}}]}
    )
    assert lifecycle.describe_all_of(params) == (
        "weekly active users stay at or above 10 for a complete week and "
        "(a launch plan of the product launches or a release of the product ships)"
    )
    assert lifecycle.describe_any_of({"conditions": [LAUNCHED, SHIPPED]}) == (
        "a launch plan of the product launches or a release of the product ships"
    )


def test_evidence_template_includes_each_parts_own_template(product):
    _launch(product)
    _ship(product)
    evidence = {
        "condition_type": "all_of",
        "condition": "both",
        **_evaluate(_rule(product, "all_of", LAUNCHED, SHIPPED), product),
    }
    html = render_to_string("products/_composite_evidence.html", {"evidence": evidence})
    assert "All 2 conditions held" in html
    assert 'class="launch-evidence"' in html and 'class="release-evidence"' in html


def test_evidence_template_of_a_part_whose_type_is_gone_shows_its_words():
    evidence = {
        "condition_type": "any_of",
        "parts": [{"condition_type": "retired_type", "condition": "the moon is full"}],
    }
    html = render_to_string("products/_composite_evidence.html", {"evidence": evidence})
    assert "1 of the conditions held" in html and "the moon is full" in html
