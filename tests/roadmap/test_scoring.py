"""Prioritisation scores (roadmap.scoring): RICE, WSJF, value ÷ effort and the weighted score, computed in
the query, against values worked out by hand; null while an input is missing; ordering with nulls last."""

from decimal import Decimal

import pytest

from roadmap.models import RoadmapItem, ScoringWeights
from roadmap.scoring import SCORES
from roadmap.selectors import roadmap_items
from tests.factories import PortfolioFactory, ProductFactory, RoadmapItemFactory, member

pytestmark = pytest.mark.django_db

ALL_INPUTS = {
    "reach": 1000,
    "impact": Decimal("2"),
    "confidence": 80,
    "effort": Decimal("4"),
    "business_value": 8,
    "time_criticality": 5,
    "risk_reduction": 3,
    "job_size": Decimal("4"),
    "value": 9,
}
ZERO_WEIGHTS = dict.fromkeys(
    ["value", "business_value", "time_criticality", "risk_reduction", "reach", "impact", "confidence", "effort"]
    + ["job_size"],
    0,
)


def scored(item: RoadmapItem) -> RoadmapItem:
    return roadmap_items().get(pk=item.pk)


def item_with(product=None, **inputs) -> RoadmapItem:
    return RoadmapItemFactory(product=product or ProductFactory(), **inputs)


# --- each score by hand ------------------------------------------------------------------------------


def test_rice_is_reach_times_impact_times_confidence_percent_over_effort():
    item = scored(item_with(**ALL_INPUTS))
    # 1000 × 2 × 80 / 100 ÷ 4 = 1600 ÷ 4 = 400
    assert item.rice_score == pytest.approx(400.0)


def test_rice_keeps_the_fraction_of_confidence_and_effort():
    # PostgreSQL divides integers as integers: 7 × 0.25 × 33 / 100 ÷ 1.5 must not become 0.
    item = scored(item_with(reach=7, impact=Decimal("0.25"), confidence=33, effort=Decimal("1.5")))
    # 7 × 0.25 = 1.75; × 33 = 57.75; / 100 = 0.5775; ÷ 1.5 = 0.385
    assert item.rice_score == pytest.approx(0.385)


def test_wsjf_is_cost_of_delay_over_job_size():
    item = scored(item_with(**ALL_INPUTS))
    # (8 + 5 + 3) ÷ 4 = 16 ÷ 4 = 4
    assert item.wsjf_score == pytest.approx(4.0)


def test_wsjf_of_a_fractional_job_size():
    item = scored(item_with(business_value=1, time_criticality=1, risk_reduction=1, job_size=Decimal("2.5")))
    # 3 ÷ 2.5 = 1.2
    assert item.wsjf_score == pytest.approx(1.2)


def test_value_effort_is_value_over_effort():
    item = scored(item_with(**ALL_INPUTS))
    # 9 ÷ 4 = 2.25
    assert item.value_effort == pytest.approx(2.25)


def test_weighted_score_with_the_default_weights():
    item = scored(item_with(**ALL_INPUTS))
    # Defaults: value 3, business value 2, time criticality 1, risk reduction 1, effort −2, the rest 0.
    # Σ weight × input = 3×9 + 2×8 + 1×5 + 1×3 − 2×4 = 27 + 16 + 5 + 3 − 8 = 43
    # Σ |weight| = 3 + 2 + 1 + 1 + 2 = 9
    assert item.weighted_score == pytest.approx(43 / 9)


def test_the_defaults_are_what_the_weighted_score_documents():
    assert {k: float(v) for k, v in ScoringWeights.defaults().items()} == {
        "value": 3,
        "business_value": 2,
        "time_criticality": 1,
        "risk_reduction": 1,
        "reach": 0,
        "impact": 0,
        "confidence": 0,
        "effort": -2,
        "job_size": 0,
    }


def test_weighted_score_uses_the_portfolio_own_weights_not_the_defaults():
    product = ProductFactory()
    ScoringWeights.objects.create(portfolio=product.portfolio, **{**ZERO_WEIGHTS, "value": 1, "reach": 2, "effort": -1})
    mine = scored(item_with(product, **ALL_INPUTS))
    # (1×9 + 2×1000 − 1×4) ÷ (1 + 2 + 1) = 2005 ÷ 4 = 501.25
    assert mine.weighted_score == pytest.approx(501.25)
    # The same inputs in another portfolio (no row: the defaults) still score 43 ÷ 9.
    theirs = scored(item_with(**ALL_INPUTS))
    assert theirs.weighted_score == pytest.approx(43 / 9)


def test_weights_saved_by_the_service_change_the_next_read():
    from roadmap.services import scoring_weights_save

    product = ProductFactory()
    item = item_with(product, **ALL_INPUTS)
    scoring_weights_save(portfolio=product.portfolio, **{**ZERO_WEIGHTS, "business_value": 4})
    # Only business value counts: 4 × 8 ÷ 4 = 8
    assert scored(item).weighted_score == pytest.approx(8.0)


def test_a_negative_weight_counts_against_an_item():
    product = ProductFactory()
    ScoringWeights.objects.create(portfolio=product.portfolio, **{**ZERO_WEIGHTS, "value": 2, "job_size": -3})
    small = scored(item_with(product, value=6, job_size=Decimal("1")))
    large = scored(item_with(product, value=6, job_size=Decimal("5")))
    # small: (2×6 − 3×1) ÷ (2 + 3) = 9 ÷ 5 = 1.8; large: (12 − 15) ÷ 5 = −0.6
    assert small.weighted_score == pytest.approx(1.8)
    assert large.weighted_score == pytest.approx(-0.6)


def test_a_portfolio_whose_weights_are_all_zero_scores_null_not_a_division_by_zero():
    product = ProductFactory()
    ScoringWeights.objects.create(portfolio=product.portfolio, **ZERO_WEIGHTS)
    assert scored(item_with(product, **ALL_INPUTS)).weighted_score is None


# --- nulls ---------------------------------------------------------------------------------------------

NEEDS = {
    "rice_score": ["reach", "impact", "confidence", "effort"],
    "wsjf_score": ["business_value", "time_criticality", "risk_reduction", "job_size"],
    "value_effort": ["value", "effort"],
    # The inputs the default weights use (a weight other than 0).
    "weighted_score": ["value", "business_value", "time_criticality", "risk_reduction", "effort"],
}


@pytest.mark.parametrize(
    "score, missing", [(score, name) for score, names in NEEDS.items() for name in names], ids=lambda v: str(v)
)
def test_every_missing_input_makes_the_score_null(score, missing):
    item = scored(item_with(**{**ALL_INPUTS, missing: None}))
    assert getattr(item, score) is None
    complete = scored(item_with(**ALL_INPUTS))
    assert getattr(complete, score) is not None


def test_an_item_without_inputs_has_no_scores():
    item = scored(item_with())
    assert [getattr(item, score) for score in SCORES] == [None, None, None, None]


@pytest.mark.parametrize("unused", ["reach", "impact", "confidence", "job_size"])
def test_a_missing_input_with_a_default_weight_of_zero_is_ignored(unused):
    item = scored(item_with(**{**ALL_INPUTS, unused: None}))
    assert item.weighted_score == pytest.approx(43 / 9)


def test_a_missing_input_the_portfolio_weighs_zero_is_ignored():
    product = ProductFactory()
    # business value weighs 2 by default; this portfolio sets it to 0, so a missing one does not matter.
    ScoringWeights.objects.create(
        portfolio=product.portfolio, value=3, business_value=0, time_criticality=1, risk_reduction=1, effort=-2
    )
    item = scored(item_with(product, **{**ALL_INPUTS, "business_value": None}))
    # (3×9 + 1×5 + 1×3 − 2×4) ÷ (3 + 1 + 1 + 2) = 27 ÷ 7
    assert item.weighted_score == pytest.approx(27 / 7)


def test_a_missing_input_the_portfolio_weighs_is_null_even_when_the_default_is_zero():
    product = ProductFactory()
    ScoringWeights.objects.create(portfolio=product.portfolio, **{**ZERO_WEIGHTS, "reach": 1})
    assert scored(item_with(product, **{**ALL_INPUTS, "reach": None})).weighted_score is None
    # 1 × 1000 ÷ 1
    assert scored(item_with(product, **ALL_INPUTS)).weighted_score == pytest.approx(1000.0)


# --- ordering through the API ----------------------------------------------------------------------------


@pytest.fixture
def ranked(api_client):
    """Three scored items (low, high, middle) and one without any score, in one product."""
    portfolio = PortfolioFactory()
    product = ProductFactory(portfolio=portfolio)
    api_client.force_authenticate(member(portfolio, "viewer"))
    unscored = item_with(product, title="unscored")
    items = {
        "low": item_with(product, title="low", **{**ALL_INPUTS, "reach": 10, "value": 1, "business_value": 1}),
        "high": item_with(product, title="high", **{**ALL_INPUTS, "reach": 5000, "value": 20, "business_value": 30}),
        "middle": item_with(product, title="middle", **ALL_INPUTS),
    }
    # the low one also needs the lowest job size ratio and effort ratio
    RoadmapItem.objects.filter(pk=items["low"].pk).update(effort=Decimal("40"), job_size=Decimal("40"))
    RoadmapItem.objects.filter(pk=items["high"].pk).update(effort=Decimal("1"), job_size=Decimal("1"))
    return api_client, product, unscored


@pytest.mark.parametrize("score", SCORES)
def test_ordering_by_a_score_descending_puts_items_without_one_last(ranked, score):
    client, product, _ = ranked
    response = client.get(f"/api/v1/roadmap-items/?product={product.id}&ordering=-{score}")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["title"] for row in rows] == ["high", "middle", "low", "unscored"]
    values = [row[score] for row in rows[:3]]
    assert values == sorted(values, reverse=True) and rows[3][score] is None


@pytest.mark.parametrize("score", SCORES)
def test_ordering_by_a_score_ascending_still_puts_items_without_one_last(ranked, score):
    client, product, _ = ranked
    response = client.get(f"/api/v1/roadmap-items/?product={product.id}&ordering={score}")
    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == ["low", "middle", "high", "unscored"]


def test_scores_in_the_api_are_the_computed_values(ranked):
    client, product, _ = ranked
    rows = {r["title"]: r for r in client.get(f"/api/v1/roadmap-items/?product={product.id}").json()["results"]}
    middle = rows["middle"]
    assert (middle["rice_score"], middle["wsjf_score"], middle["value_effort"]) == (400.0, 4.0, 2.25)
    assert middle["weighted_score"] == round(43 / 9, 4)
    assert rows["unscored"]["rice_score"] is None
