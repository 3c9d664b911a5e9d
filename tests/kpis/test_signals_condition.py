"""The `signal_open` lifecycle condition (kpis.signal_conditions): params, evaluation, words, form, evidence."""

import pytest
from django.template.loader import render_to_string

from kpis.signal_conditions import (
    SignalOpenParamsForm,
    clean_signal_open,
    describe_signal_open,
    evaluate_signal_open,
    signal_open_params_from_form,
)
from pmflow.errors import InvalidInput
from products import lifecycle
from products.models import StageTransition
from products.services.rules import lifecycle_rule_clean, lifecycle_rules_evaluate
from tests.factories import LifecycleRuleFactory, ProductFactory, SignalFactory
from tests.kpis.signals_data import TODAY

pytestmark = pytest.mark.django_db


def test_it_is_registered_with_a_form_and_an_evidence_template():
    kind = lifecycle.condition_types["signal_open"]
    assert kind.params_form is SignalOpenParamsForm
    assert kind.evidence_template == "kpis/signals/_condition_evidence.html"


@pytest.mark.parametrize(
    "params, cleaned",
    [
        ({}, {}),
        ({"kind": ""}, {}),
        ({"kind": None}, {}),
        ({"kind": "low_usage_despite_spend"}, {"kind": "low_usage_despite_spend"}),
    ],
)
def test_params_are_a_kind_or_none(params, cleaned):
    assert clean_signal_open(params) == cleaned


@pytest.mark.parametrize(
    "params, field",
    [({"kind": "loud"}, "params.kind"), ({"kind": 3}, "params.kind"), ({"colour": "red"}, "params")],
)
def test_bad_params_name_their_field(params, field):
    with pytest.raises(InvalidInput) as caught:
        clean_signal_open(params)
    assert field in caught.value.fields


def test_a_rule_with_it_is_cleaned_through_the_registry():
    assert lifecycle_rule_clean(
        condition_type="signal_open",
        params={"kind": "campaign_low_conversion"},
        from_stage="growth",
        to_stage="maturity",
    ) == {"kind": "campaign_low_conversion"}


def _rule(product, to_stage="decline", mode="auto", **params):
    return LifecycleRuleFactory(
        portfolio=product.portfolio,
        condition_type="signal_open",
        params=params,
        from_stage=product.stage,
        to_stage=to_stage,
        mode=mode,
        is_active=True,
    )


def test_it_holds_while_the_product_has_an_open_signal_of_the_kind():
    product = ProductFactory(stage="growth")
    signal = SignalFactory(product=product, kind="off_track_after_competitor_move", message="Turned after a move")
    evidence = evaluate_signal_open(_rule(product, kind="off_track_after_competitor_move"), product, TODAY)
    assert evidence["signal"]["id"] == signal.id and evidence["signal"]["message"] == "Turned after a move"
    assert evidence["signal"]["kind_label"] == "Off track after a competitor move"


def test_a_signal_of_another_kind_or_product_or_resolved_does_not_hold():
    from django.utils import timezone

    product = ProductFactory(stage="growth")
    SignalFactory(product=product, kind="campaign_low_conversion")
    SignalFactory(product=ProductFactory(portfolio=product.portfolio), kind="low_usage_despite_spend")
    SignalFactory(product=product, kind="low_usage_despite_spend", resolved_at=timezone.now())
    assert evaluate_signal_open(_rule(product, kind="low_usage_despite_spend"), product, TODAY) is None


def test_without_a_kind_any_open_signal_holds():
    product = ProductFactory(stage="growth")
    SignalFactory(product=product, kind="campaign_low_conversion")
    assert evaluate_signal_open(_rule(product), product, TODAY) is not None


def test_it_says_what_it_waits_for():
    assert describe_signal_open({}) == "the product has an open signal of any kind"
    assert describe_signal_open({"kind": "low_usage_despite_spend"}) == (
        "the product has an open “low usage despite promotion” signal"
    )


def test_the_form_gives_the_params():
    form = SignalOpenParamsForm({"kind": "campaign_low_conversion"}, portfolio=None)
    assert form.is_valid()
    assert signal_open_params_from_form(form.cleaned_data) == {"kind": "campaign_low_conversion"}
    assert signal_open_params_from_form({"kind": ""}) == {}


def test_an_auto_rule_moves_the_product_with_the_signal_as_evidence(django_capture_on_commit_callbacks):
    product = ProductFactory(stage="maturity")
    signal = SignalFactory(product=product, kind="off_track_after_competitor_move")
    _rule(product, kind="off_track_after_competitor_move").__class__.objects.filter(portfolio=product.portfolio).update(
        to_stage="decline", mode="auto", is_active=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        move = lifecycle_rules_evaluate(product_id=product.id, today=TODAY)
    assert isinstance(move, StageTransition) and move.to_stage == "decline"
    assert move.evidence["signal"]["id"] == signal.id and move.evidence["condition_type"] == "signal_open"


def test_the_evidence_template_shows_the_signal_and_its_rows():
    product = ProductFactory()
    signal = SignalFactory(product=product, message="Conversions stay low")
    evidence = {
        "condition": "the product has an open signal of any kind",
        "signal": {"id": signal.id, "kind_label": "Traffic without conversions", "message": "Conversions stay low"},
        "signal_evidence": {
            "series": [
                {
                    "kpi": {"id": 1, "name": "Conversion", "unit": "%"},
                    "granularity": "week",
                    "rows": [{"period_start": "2026-03-09", "value": 3.0, "target": 5.0, "health": "off_track"}],
                }
            ]
        },
    }
    html = render_to_string("kpis/signals/_condition_evidence.html", {"evidence": evidence})
    assert "Conversions stay low" in html and f"/signals/{signal.id}/" in html
    assert "Off track" in html and "2026-03-09" in html


def test_a_signal_opening_has_the_products_rules_evaluated_at_once(django_capture_on_commit_callbacks):
    from kpis.services.signals import signals_refresh
    from tests.kpis.signals_data import campaign_case

    product = ProductFactory(stage="growth")
    campaign_case(product=product)
    _rule(product, to_stage="maturity", kind="campaign_low_conversion")
    with django_capture_on_commit_callbacks(execute=True):
        signals_refresh(portfolio_id=product.portfolio_id, today=TODAY)
    move = StageTransition.objects.get(product=product, rule__isnull=False)
    assert move.to_stage == "maturity" and move.evidence["signal"]["kind"] == "campaign_low_conversion"
