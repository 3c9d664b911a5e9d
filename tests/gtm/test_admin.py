"""The admin writes launch rows through the services: statuses, rules and events as everywhere else."""

import pytest

from gtm.models import Campaign, LaunchPlan, LaunchTask, PressItem
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


def test_admin_campaign_add_goes_through_the_service(staff):
    product = ProductFactory()
    response = staff.post(
        "/admin/gtm/campaign/add/",
        {
            "product": product.id,
            "name": "Admin campaign",
            "channel": "email",
            "start_date": "2027-02-01",
            "end_date": "2027-02-28",
            "budget": "1000",
            "spend": "0",
            "status": "planned",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(name="Admin campaign")
    assert DomainEvent.objects.filter(verb="campaign.created", object_id=campaign.id).exists()


def test_admin_campaign_ending_before_it_starts_is_a_form_error(staff):
    product = ProductFactory()
    response = staff.post(
        "/admin/gtm/campaign/add/",
        {
            "product": product.id,
            "name": "Backwards",
            "channel": "email",
            "start_date": "2027-02-28",
            "end_date": "2027-02-01",
            "budget": "1000",
            "spend": "0",
            "status": "planned",
        },
    )
    assert response.status_code == 200
    assert not Campaign.objects.filter(name="Backwards").exists()


def test_admin_press_item_add_goes_through_the_service(staff):
    product = ProductFactory()
    response = staff.post(
        "/admin/gtm/pressitem/add/",
        {"product": product.id, "title": "Admin release", "kind": "press_release", "status": "draft"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item = PressItem.objects.get(title="Admin release")
    assert DomainEvent.objects.filter(verb="press_item.created", object_id=item.id).exists()


@pytest.mark.parametrize(
    "model",
    ["launchtemplate", "launchplan", "launchtask", "messaging", "campaign", "asset", "marketingevent", "pressitem"],
)
def test_admin_lists_and_add_forms_open(staff, model):
    LaunchPlanFactory()
    assert staff.get(f"/admin/gtm/{model}/").status_code == 200
    assert staff.get(f"/admin/gtm/{model}/add/").status_code == 200
