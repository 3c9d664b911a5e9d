"""A launch plan launched through the API moves its product with a real Celery worker on Redis and
PostgreSQL: the launch_plan.launched event's handler hands the product's rules to the worker after
commit, the launch_plan_launched rule fires there, and the move is seen through the API only."""

import datetime

import pytest

from gtm.services import launches as services
from products.models import Role, Stage
from tests.factories import LifecycleRuleFactory, MembershipFactory, ProductFactory, UserFactory
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def developing(transactional_db):
    product = ProductFactory(stage=Stage.DEVELOPMENT)
    LifecycleRuleFactory(
        portfolio=product.portfolio,
        name="Launched, so in launch",
        from_stage=Stage.DEVELOPMENT,
        to_stage=Stage.LAUNCH,
        condition_type="launch_plan_launched",
        params={},
        mode="auto",
    )
    user = UserFactory()
    MembershipFactory(user=user, portfolio=product.portfolio, role=Role.PRODUCT_MANAGER)
    return product, user


def test_worker_moves_the_product_when_its_plan_launches(celery_worker_process, developing, api_client):
    product, user = developing
    plan = services.launch_plan_create(product=product, name="Nova launch", launch_date=datetime.date(2027, 2, 1))
    services.launch_task_create(launch_plan=plan, title="Brief sales", function="sales")
    api_client.force_authenticate(user)

    refused = api_client.post(f"/api/v1/launch-plans/{plan.id}/launch/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "open_tasks"
    response = api_client.post(
        f"/api/v1/launch-plans/{plan.id}/launch/", {"override": True, "reason": "Embargo lifts"}, format="json"
    )
    assert response.status_code == 200, response.content

    def moved():
        body = api_client.get(f"/api/v1/products/{product.id}/").json()
        return body if body["stage"] == Stage.LAUNCH else None

    wait_until(moved)
    latest = api_client.get(f"/api/v1/products/{product.id}/transitions/").json()["results"][0]
    assert (latest["from_stage"], latest["to_stage"], latest["actor"]) == ("development", "launch", None)
    assert latest["reason"] == "Launched, so in launch"
    assert latest["evidence"]["launch_plan"]["id"] == plan.id
    assert latest["evidence"]["launch_plan"]["override"] is True


def test_the_launched_plan_not_the_cancelled_one_is_the_evidence(celery_worker_process, developing, api_client):
    """A cancelled plan is no launch: the move the worker makes names the plan that launched."""
    product, user = developing
    plan = services.launch_plan_create(product=product, name="Nova launch", launch_date=datetime.date(2027, 2, 1))
    api_client.force_authenticate(user)
    response = api_client.post(f"/api/v1/launch-plans/{plan.id}/cancel/", {"reason": "Slipped"}, format="json")
    assert response.status_code == 200
    other = services.launch_plan_create(product=product, name="Quiet", launch_date=datetime.date(2027, 3, 1))
    assert api_client.post(f"/api/v1/launch-plans/{other.id}/launch/", {}, format="json").status_code == 200
    wait_until(lambda: api_client.get(f"/api/v1/products/{product.id}/").json()["stage"] == Stage.LAUNCH)
    latest = api_client.get(f"/api/v1/products/{product.id}/transitions/").json()["results"][0]
    assert latest["evidence"]["launch_plan"]["id"] == other.id
