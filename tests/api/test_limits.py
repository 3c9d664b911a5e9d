"""Request limits and error shapes every REST client relies on."""

import json

import pytest
from rest_framework.test import APIClient

from products.models import Role
from tests.factories import KPIFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm_client(world):
    client = APIClient()
    client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    return client


def test_a_full_batch_with_the_longest_external_ids_fits_the_body_limit(pm_client, world):
    kpi = KPIFactory(product=world.product)
    items = [
        {
            "observed_at": f"2026-03-{n % 28 + 1:02d}T09:00:00+02:00",
            "value": 12345678.123456,
            "external_id": f"{n:0200d}",
        }
        for n in range(10_000)
    ]
    body = json.dumps(items)
    assert len(body) > 2.5 * 1024 * 1024  # larger than Django's default limit
    response = pm_client.post(f"/api/v1/kpis/{kpi.id}/measurements/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    assert response.json() == {"created": 10_000, "updated": 0}


def test_a_body_over_the_limit_is_a_json_413(pm_client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps([{"observed_at": "2026-03-01", "value": 1}] * 100)
    response = pm_client.post(f"/api/v1/kpis/{world.kpi.id}/measurements/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


@pytest.mark.parametrize("url", ["/api/v1/kpis/0.5/", "/api/v1/no-such-thing/", "/api/v2/"])
def test_an_unknown_api_url_is_a_json_404(pm_client, url):
    response = pm_client.get(url)
    assert response.status_code == 404 and response.json()["detail"]


def test_an_unrouted_page_is_the_branded_html_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_bad_search_is_an_error_object_not_a_bare_list(pm_client):
    response = pm_client.get("/api/v1/products/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert isinstance(response.json(), dict)
