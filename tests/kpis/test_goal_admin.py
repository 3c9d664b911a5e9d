"""The admin writes goals and key results through products.services.goals: rules and events as everywhere."""

import pytest

from kpis.models import KPI
from products.models import DomainEvent, Goal, KeyResult
from tests.factories import GoalFactory, KeyResultFactory, KPIFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_goal_add_goes_through_the_service(staff):
    product = ProductFactory()
    body = {"product": product.id, "title": "Admin goal", "period_start": "2026-01-01", "period_end": "2026-12-31"}
    assert staff.post("/admin/products/goal/add/", {**body, "description": ""}).status_code == 302
    goal = Goal.objects.get(title="Admin goal")
    assert DomainEvent.objects.filter(verb="goal.created", object_id=goal.id).exists()


def test_admin_goal_ending_before_it_starts_is_a_form_error(staff):
    body = {
        "product": ProductFactory().id,
        "title": "Backwards",
        "period_start": "2026-06-01",
        "period_end": "2026-01-01",
    }
    response = staff.post("/admin/products/goal/add/", {**body, "description": ""})
    assert response.status_code == 200 and "errornote" in response.content.decode()  # the form again, with errors
    assert not Goal.objects.exists()


def test_admin_key_result_change_records_one_event(staff):
    key_result = KeyResultFactory(title="NPS", start_value=20, target_value=40)
    body = {"title": "NPS", "start_value": "20", "target_value": "45", "manual_value": "30"}
    assert staff.post(f"/admin/products/keyresult/{key_result.id}/change/", body).status_code == 302
    [event] = DomainEvent.objects.filter(verb="key_result.updated")
    assert event.changes == {"target_value": ["40", "45"], "manual_value": [None, "30"]}


def test_admin_key_result_delete_frees_its_kpi(staff):
    key_result = KeyResultFactory(goal=GoalFactory())
    kpi = KPIFactory(product=key_result.goal.product, key_result=key_result)
    assert staff.post(f"/admin/products/keyresult/{key_result.id}/delete/", {"post": "yes"}).status_code == 302
    assert not KeyResult.objects.exists() and KPI.objects.get(pk=kpi.pk).key_result is None
    assert DomainEvent.objects.filter(verb="key_result.deleted").count() == 1
