"""End to end through a real Celery worker on Redis and PostgreSQL, observed through the API only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from products.models import Role, Stage
from tests.factories import KPIFactory, LifecycleRuleFactory, MembershipFactory, ProductFactory, UserFactory
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def launched_product(transactional_db):
    product = ProductFactory(stage=Stage.LAUNCH)
    kpi = KPIFactory(product=product, key="revenue", aggregation="sum", target=100, target_granularity="day")
    user = UserFactory()
    MembershipFactory(user=user, portfolio=product.portfolio, role=Role.PRODUCT_MANAGER)
    return product, kpi, user


def _days_ago(n: int) -> str:
    return (timezone.now() - timedelta(days=n)).date().isoformat()


def test_worker_computes_rollups_for_posted_measurements(celery_worker_process, launched_product, api_client):
    _, kpi, user = launched_product
    api_client.force_authenticate(user)
    items = [{"observed_at": _days_ago(n), "value": 10 * n} for n in (3, 2, 1)]
    response = api_client.post(f"/api/v1/kpis/{kpi.id}/measurements/", items, format="json")
    assert response.status_code == 201, response.content

    def day_rollups():
        rows = api_client.get(f"/api/v1/kpis/{kpi.id}/rollups/?granularity=day").json()
        return rows if len(rows) == 3 else None

    rows = wait_until(day_rollups)
    assert [(row["period_start"], row["value"]) for row in rows] == [
        (_days_ago(3), 30.0),
        (_days_ago(2), 20.0),
        (_days_ago(1), 10.0),
    ]


def test_worker_moves_a_product_when_a_kpi_threshold_rule_holds(celery_worker_process, launched_product, api_client):
    product, kpi, user = launched_product
    LifecycleRuleFactory(
        portfolio=product.portfolio,
        name="Revenue holds above 100 a day",
        params={"key": "revenue", "granularity": "day", "comparator": "gte", "value": 100, "periods": 3},
    )
    api_client.force_authenticate(user)
    items = [{"observed_at": _days_ago(n), "value": 150} for n in (3, 2, 1)]
    assert api_client.post(f"/api/v1/kpis/{kpi.id}/measurements/", items, format="json").status_code == 201

    def moved():
        body = api_client.get(f"/api/v1/products/{product.id}/").json()
        return body if body["stage"] == Stage.GROWTH else None

    wait_until(moved)
    latest = api_client.get(f"/api/v1/products/{product.id}/transitions/").json()["results"][0]
    assert (latest["from_stage"], latest["to_stage"], latest["actor"]) == ("launch", "growth", None)
    assert latest["reason"] == "Revenue holds above 100 a day"
    assert [row["value"] for row in latest["evidence"]["rollups"]] == [150.0, 150.0, 150.0]


def test_healthz_sees_the_worker(celery_worker_process, client):
    body = client.get("/healthz").json()
    assert body["broker"]["ok"] and body["worker"]["ok"]
