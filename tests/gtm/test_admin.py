"""The admin writes launch rows through the services: statuses, rules and events as everywhere else."""

import pytest

from gtm.models import LaunchPlan, LaunchTask
from products.models import DomainEvent
from tests.factories import LaunchPlanFactory, ProductFactory, ReleaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_admin_plan_add_goes_through_the_service(staff):
    product = ProductFactory()
    response = staff.post(
        "/admin/gtm/launchplan/add/",
        {"product": product.id, "name": "Admin launch", "tier": "2", "launch_date": "2027-02-01"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = LaunchPlan.objects.get(name="Admin launch")
    assert plan.status == "ready"  # no required task yet: readiness 100
    assert DomainEvent.objects.filter(verb="launch_plan.created", object_id=plan.id).exists()


def test_admin_plan_with_a_release_of_another_product_is_a_form_error(staff):
    product = ProductFactory()
    response = staff.post(
        "/admin/gtm/launchplan/add/",
        {
            "product": product.id,
            "name": "Crossed launch",
            "tier": "2",
            "launch_date": "2027-02-01",
            "release": ReleaseFactory().id,
        },
    )
    assert response.status_code == 200
    assert "Choose a release of the same product." in response.content.decode()
    assert not LaunchPlan.objects.filter(name="Crossed launch").exists()


def test_admin_task_add_moves_the_plan_back_to_planning(staff):
    plan = LaunchPlanFactory(status="ready")
    response = staff.post(
        "/admin/gtm/launchtask/add/",
        {"launch_plan": plan.id, "title": "Train support", "function": "support", "status": "todo", "required": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LaunchTask.objects.filter(launch_plan=plan, title="Train support").exists()
    plan.refresh_from_db()
    assert plan.status == "planning"


def test_admin_blocked_task_without_a_reason_is_a_form_error(staff):
    plan = LaunchPlanFactory()
    response = staff.post(
        "/admin/gtm/launchtask/add/",
        {"launch_plan": plan.id, "title": "Legal review", "function": "legal", "status": "blocked"},
    )
    assert response.status_code == 200
    assert "Say what blocks it" in response.content.decode()
    assert not LaunchTask.objects.filter(title="Legal review").exists()
