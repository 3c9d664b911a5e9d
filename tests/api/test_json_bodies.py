"""Request bodies are JSON only, and JSON that names no character is a 400, not a 500 (found by schemathesis)."""

import pytest

from kpis.models import Measurement
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(api_client, world):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    return api_client


def post_raw(client, url, body: str, content_type="application/json"):
    return client.generic("POST", url, body.encode(), content_type=content_type)


def test_a_lone_surrogate_is_a_400_and_nothing_is_written(admin_client, world):
    before = Measurement.objects.count()
    url = f"/api/v1/kpis/{world.kpi.id}/measurements/"
    # The ingest's error message quotes the unknown field name: writing it out was a UnicodeEncodeError (500).
    response = post_raw(admin_client, url, '[{"observed_at": "2026-03-01", "value": 1, "x\\ud863": 1}]')
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "lone surrogate" in response.json()["detail"]
    assert Measurement.objects.count() == before


def test_a_surrogate_pair_is_one_character_and_fine(admin_client, world):
    body = '{"portfolio": ' + str(world.portfolio.id) + ', "name": "\\ud83d\\ude80 Rocket"}'
    response = post_raw(admin_client, "/api/v1/product-lines/", body)
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "\N{ROCKET} Rocket"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_form_bodies_are_refused_as_the_schema_says(admin_client, world, content_type):
    response = post_raw(
        admin_client, "/api/v1/product-lines/", f"portfolio={world.portfolio.id}&name=Form", content_type
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    "url",
    ["/api/v1/auth/token/", "/api/v1/product-lines/", "/api/v1/lifecycle-rules/", "/api/v1/kpis/{kpi}/measurements/"],
)
def test_a_body_nested_10000_deep_is_a_400_on_every_json_endpoint(admin_client, world, url):
    response = post_raw(admin_client, url.format(kpi=world.kpi.id), "[" * 10_000 + "]" * 10_000)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_body_nested_just_past_the_limit_is_refused_too(admin_client):
    response = post_raw(admin_client, "/api/v1/product-lines/", '{"name": ' + "[" * 33 + "]" * 33 + "}")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]
