"""The lifecycle rules API with the new condition types and modes: accepted, described, refused with the
part's field path, filtered by mode, documented in the schema."""

import pytest

from products.models import LifecycleRule, Role
from tests.factories import LifecycleRuleFactory, PortfolioFactory, member

pytestmark = pytest.mark.django_db

GROWTH = {"key": "revenue", "granularity": "month", "comparator": "lt", "value": 5, "periods": 3}


@pytest.fixture
def portfolio():
    return PortfolioFactory()


@pytest.fixture
def admin(api_client, portfolio):
    user = member(portfolio, Role.ADMIN)
    api_client.force_authenticate(user)
    return user


def _post(api_client, portfolio, **fields):
    body = {"portfolio": portfolio.id, "name": "Rule", "from_stage": "growth", "to_stage": "maturity", **fields}
    return api_client.post("/api/v1/lifecycle-rules/", body, format="json")


def test_a_growth_rule_in_suggest_mode_is_created_and_described(api_client, portfolio, admin):
    response = _post(api_client, portfolio, condition_type="kpi_growth", params=GROWTH, mode="suggest")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["mode"] == "suggest"
    assert body["description"] == "monthly revenue growth stays below 5 % for 3 months in a row"


def test_a_composite_rule_is_created_with_normalised_parts(api_client, portfolio, admin):
    params = {
        "conditions": [
            {"condition_type": "launch_plan_launched"},
            {"condition_type": "kpi_threshold", "params": {"key": "wau", "comparator": "gte", "value": "target"}},
        ]
    }
    response = _post(api_client, portfolio, condition_type="any_of", params=params)
    assert response.status_code == 201, response.json()
    assert response.json()["params"]["conditions"] == [
        {"condition_type": "launch_plan_launched", "params": {}},
        {
            "condition_type": "kpi_threshold",
            "params": {"key": "wau", "granularity": "month", "comparator": "gte", "value": "target", "periods": 1},
        },
    ]
    assert response.json()["description"] == (
        "a launch plan of the product launches or wau stays at or above its target for a complete month"
    )


def test_a_bad_part_is_a_400_naming_its_path_and_writes_nothing(api_client, portfolio, admin):
    params = {"conditions": [{"condition_type": "release_shipped"}, {"condition_type": "kpi_growth", "params": {}}]}
    response = _post(api_client, portfolio, condition_type="all_of", params=params)
    assert response.status_code == 400
    assert "params.conditions[1].params.key" in response.json()
    assert not LifecycleRule.objects.exists()


def test_an_unknown_mode_is_a_400_on_mode(api_client, portfolio, admin):
    response = _post(api_client, portfolio, condition_type="release_shipped", params={}, mode="sometimes")
    assert response.status_code == 400 and "mode" in response.json()


def test_changing_a_rule_to_a_composite_by_patch(api_client, portfolio, admin):
    rule = LifecycleRuleFactory(portfolio=portfolio)
    body = {"condition_type": "all_of", "params": {"conditions": [{"condition_type": "release_shipped"}]}}
    response = api_client.patch(f"/api/v1/lifecycle-rules/{rule.id}/", body, format="json")
    assert response.status_code == 200, response.json()
    rule.refresh_from_db()
    assert rule.condition_type == "all_of" and rule.params == {
        "conditions": [{"condition_type": "release_shipped", "params": {}}]
    }


def test_rules_filter_by_mode(api_client, portfolio, admin):
    LifecycleRuleFactory(portfolio=portfolio, name="A", mode="auto")
    LifecycleRuleFactory(portfolio=portfolio, name="S", mode="suggest")
    body = api_client.get(f"/api/v1/lifecycle-rules/?portfolio={portfolio.id}&mode=suggest").json()
    assert [rule["name"] for rule in body["results"]] == ["S"]


def test_the_schema_documents_the_params_shapes_and_the_modes(api_client, admin):
    schema = api_client.get("/api/schema/?format=json").json()
    rule = schema["components"]["schemas"]["LifecycleRule"]["properties"]
    assert rule["params"]["type"] == "object"
    for word in ("kpi_growth", "all_of", "any_of", '"target"', "params.conditions[1].params.key"):
        assert word in rule["params"]["description"]
    assert "suggest" in rule["mode"]["description"]
