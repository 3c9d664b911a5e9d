"""A launch plan's page shows its tasks' changes in its history (a task has no page of its own)."""

import pytest

from gtm.services import launches as services
from tests.factories import LaunchPlanFactory, LaunchTaskFactory, ProductFactory, member

pytestmark = pytest.mark.django_db


def test_the_plan_page_history_names_a_changed_task(client):
    plan = LaunchPlanFactory(product=ProductFactory(), name="Autumn launch")
    task = LaunchTaskFactory(launch_plan=plan, title="Brief the analysts")
    user = member(plan.product.portfolio, "marketer")
    services.launch_task_update(task_id=task.id, actor=user, status="doing")
    client.force_login(user)
    page = client.get(f"/launches/{plan.id}/").content.decode()
    history = page[page.index("<h2>Changes</h2>") :]
    assert "Brief the analysts: updated" in history and "Status: To do → Doing" in history


def test_another_plans_task_stays_out_of_the_history(client):
    plan = LaunchPlanFactory(product=ProductFactory())
    other = LaunchPlanFactory(product=plan.product)
    task = LaunchTaskFactory(launch_plan=other, title="Someone else's task")
    user = member(plan.product.portfolio, "marketer")
    services.launch_task_update(task_id=task.id, actor=user, status="doing")
    client.force_login(user)
    page = client.get(f"/launches/{plan.id}/").content.decode()
    assert "Someone else's task" not in page[page.index("<h2>Changes</h2>") :]
