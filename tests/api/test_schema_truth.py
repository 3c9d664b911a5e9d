"""The server checks what the schema says, and the schema says what the server checks (the cases
schemathesis found, tests/api/test_schemathesis.py, pinned one behaviour each)."""

import pytest

from products.models import Product
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(world, api_client):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    return api_client


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/?format=json").json()


def test_a_number_for_a_text_field_is_refused_not_stored_as_text(admin_client, world):
    response = admin_client.post(
        "/api/v1/products/", {"portfolio": world.portfolio.id, "name": 36925923720803416}, format="json"
    )
    assert response.status_code == 400 and "name" in response.json()
    assert not Product.objects.filter(name="36925923720803416").exists()


@pytest.mark.parametrize("value", ["null", "0", "-1", "2.5", ""])
def test_a_page_size_that_is_not_a_whole_number_of_at_least_one_is_a_400(admin_client, value):
    response = admin_client.get(f"/api/v1/products/?page_size={value}")
    assert response.status_code == 400 and "page_size" in response.json()


def test_a_page_size_above_the_maximum_gives_the_maximum(admin_client):
    response = admin_client.get("/api/v1/products/?page_size=3070913465707444830208")
    assert response.status_code == 200


def test_an_empty_page_number_is_a_404(admin_client):
    assert admin_client.get("/api/v1/products/?page=").status_code == 404


def test_a_filter_given_without_a_value_is_a_400(admin_client):
    response = admin_client.get("/api/v1/kpis/?health=")
    assert response.status_code == 400 and "health" in response.json()


def test_the_kpi_health_filter_takes_every_documented_health(admin_client, schema):
    documented = schema["components"]["schemas"]["HealthEnum"]["enum"]
    assert "partial" in documented
    for health in documented:
        assert admin_client.get(f"/api/v1/kpis/?health={health}").status_code == 200


def test_a_measurement_with_an_unknown_field_is_refused_as_the_schema_says(admin_client, world, schema):
    item = schema["components"]["schemas"]["MeasurementRequest"]
    assert item["additionalProperties"] is False
    response = admin_client.post(
        f"/api/v1/kpis/{world.kpi.id}/measurements/",
        {"observed_at": "2026-03-20", "value": 1, "colour": "red"},
        format="json",
    )
    assert response.status_code == 400


def test_rule_params_are_documented_as_an_object(schema):
    assert schema["components"]["schemas"]["LifecycleRuleRequest"]["properties"]["params"]["type"] == "object"


def test_a_required_text_field_is_documented_without_nul_and_not_blank(schema):
    name = schema["components"]["schemas"]["ProductRequest"]["properties"]["name"]
    assert name["pattern"] == "^[^\\x00]*[^\\x00\\s][^\\x00]*$"


def test_a_blank_name_of_only_a_control_space_is_a_400(admin_client, world):
    response = admin_client.post("/api/v1/products/", {"portfolio": world.portfolio.id, "name": "\x1d"}, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_an_empty_rollup_format_is_a_404_like_an_unknown_one(admin_client, world):
    assert admin_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?format=").status_code == 404


def test_an_empty_rollup_from_is_a_400_not_from_the_start(admin_client, world):
    response = admin_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?from=")
    assert response.status_code == 400 and "from" in response.json()


def test_text_filters_are_documented_as_non_empty_without_nul(schema):
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/lifecycle-rules/"]["get"]["parameters"]}
    assert parameters["condition_type"] == {"type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"}
    assert parameters["search"]["pattern"] == "^[^\\x00]*$"
