"""A marketer finishes a launch in headless Chromium: ticks the last required task on the plan page (htmx,
no reload), sees readiness reach 100 % and launches the plan; a blocked task asks what blocks it."""

import datetime

import pytest
from playwright.sync_api import expect

from gtm.models import LaunchPlan, LaunchTask
from gtm.services.launches import launch_plan_sync_status
from products.models import Role
from tests.e2e.conftest import log_in
from tests.factories import LaunchPlanFactory, LaunchTaskFactory, PortfolioFactory, ProductFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


@pytest.fixture
def plan(live_server, page):
    """A marketer signed in, looking at a plan with two required tasks done, one open and an optional one."""
    portfolio = PortfolioFactory(name="Acme")
    product = ProductFactory(portfolio=portfolio, name="Insight Hub")
    plan = LaunchPlanFactory(
        product=product, name="Insight Hub 3.5", tier=1, launch_date=datetime.date.today() + datetime.timedelta(days=9)
    )
    LaunchTaskFactory(launch_plan=plan, title="Battle card updated", function="sales", status="done")
    LaunchTaskFactory(launch_plan=plan, title="Support team trained", function="support", status="done")
    LaunchTaskFactory(launch_plan=plan, title="Landing page live", function="marketing")
    LaunchTaskFactory(launch_plan=plan, title="Launch email sent", function="marketing", required=False)
    launch_plan_sync_status(plan)
    log_in(page, live_server, member(portfolio, Role.MARKETER))
    page.wait_for_url(f"**/portfolios/{portfolio.id}/")
    page.goto(f"{live_server.url}/launches/{plan.id}/")
    return plan


def test_a_marketer_ticks_the_last_required_task_and_launches_the_plan(page, plan):
    tab = page
    expect(tab.locator("#readiness-numbers")).to_contain_text("2 of 3 required tasks done")
    expect(tab.locator("#plan-status")).to_have_text("Planning")
    expect(tab.locator("#launch")).to_contain_text("Your role cannot launch with open required tasks")
    task = LaunchTask.objects.get(title="Landing page live")

    with tab.expect_response(lambda r: r.url.endswith(f"/launch-tasks/{task.id}/status/")) as answer:
        tab.click(f"#tick-{task.id}")
    assert answer.value.status == 200
    expect(tab.locator(".readiness-percent")).to_have_text("100 %")
    expect(tab.locator("#readiness-numbers")).to_contain_text("3 of 3 required tasks done")
    expect(tab.locator("#plan-status")).to_have_text("Ready")
    expect(tab.locator(f"#task-{task.id}")).to_have_class("task task-done")
    assert tab.evaluate("document.activeElement.id") == f"tick-{task.id}"  # focus stayed on the tick
    assert tab.url.endswith(f"/launches/{plan.id}/")  # no page load

    tab.click("#launch button.launch-now")
    tab.wait_for_url(f"**/launches/{plan.id}/")
    expect(tab.locator("#plan-status")).to_have_text("Launched")
    expect(tab.locator("#launch-title")).to_have_text("Launched")
    expect(tab.locator(".messages")).to_contain_text("launched")
    plan.refresh_from_db()
    assert plan.status == LaunchPlan.Status.LAUNCHED and plan.launch_reason == ""
    assert tab.violations == [] and tab.js_errors == []


def test_choosing_blocked_asks_what_blocks_it_and_saves_the_reason(page, plan):
    tab = page
    task = LaunchTask.objects.get(title="Landing page live")
    reason = tab.locator(f"#reason-{task.id}")
    expect(reason).to_be_hidden()
    tab.select_option(f"#status-{task.id}", "blocked")
    expect(reason).to_be_visible()
    assert tab.evaluate("document.activeElement.id") == f"reason-{task.id}"

    # Saved without a reason: refused on the row (400), nothing changed.
    with tab.expect_response(lambda r: "/status/" in r.url) as answer:
        tab.click(f"#task-{task.id} .save-status")
    assert answer.value.status == 400
    expect(tab.locator(f"#status-error-{task.id}")).to_contain_text("Say what blocks it")
    task.refresh_from_db()
    assert task.status == "todo"

    tab.fill(f"#reason-{task.id}", "Waiting for the new screenshots")
    with tab.expect_response(lambda r: "/status/" in r.url) as answer:
        tab.press(f"#reason-{task.id}", "Enter")
    assert answer.value.status == 200
    expect(tab.locator(f"#task-{task.id} .blocked-reason")).to_contain_text("Waiting for the new screenshots")
    task.refresh_from_db()
    assert (task.status, task.blocked_reason) == ("blocked", "Waiting for the new screenshots")

    # Another status saves as soon as it is chosen (and clears the reason).
    with tab.expect_response(lambda r: "/status/" in r.url):
        tab.select_option(f"#status-{task.id}", "doing")
    expect(tab.locator(f"#task-{task.id}")).to_have_class("task task-doing")
    task.refresh_from_db()
    assert (task.status, task.blocked_reason) == ("doing", "")
    assert tab.violations == [] and tab.js_errors == []
