"""The launch pages: the board, a plan with its checklist (inline status changes, launch, override,
cancel), the plan and task forms, the portfolio's open tasks and the checklist templates."""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gtm.models import Campaign, LaunchPlan, LaunchTask, LaunchTemplate
from gtm.selectors import today_in
from gtm.services.launches import launch_plan_launch, launch_plan_sync_status
from products.models import DomainEvent, Membership, Role
from tests.factories import (
    AssetFactory,
    CampaignFactory,
    LaunchPlanFactory,
    LaunchTaskFactory,
    LaunchTemplateFactory,
    LaunchTemplateTaskFactory,
    MessagingFactory,
    PortfolioFactory,
    PressItemFactory,
    ProductFactory,
    ReleaseFactory,
    member,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC)
WRITERS = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER]


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme", timezone="Europe/Berlin")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def as_role(client, portfolio, role):
    user = member(portfolio, role)
    client.force_login(user)
    return user


@pytest.fixture
def marketer(client, portfolio):
    return as_role(client, portfolio, Role.MARKETER)


@pytest.fixture
def pm(client, portfolio):
    return as_role(client, portfolio, Role.PRODUCT_MANAGER)


def days(portfolio, n: int) -> datetime.date:
    return today_in(portfolio) + datetime.timedelta(days=n)


def text(response) -> str:
    return response.content.decode()


def plan_with(product, *, done=0, todo=0, optional=0, blocked=0, late=0, **fields):
    """A plan with `done` and `todo` required tasks, `optional` open optional ones, `blocked` blocked ones
    and `late` open ones due three days ago; its status follows them."""
    plan = LaunchPlanFactory(product=product, **fields)
    portfolio = product.portfolio
    for i in range(done):
        LaunchTaskFactory(launch_plan=plan, status="done", title=f"Done {plan.name} {i}")
    for i in range(todo):
        LaunchTaskFactory(launch_plan=plan, title=f"Todo {plan.name} {i}")
    for i in range(optional):
        LaunchTaskFactory(launch_plan=plan, required=False, title=f"Optional {plan.name} {i}")
    for i in range(blocked):
        LaunchTaskFactory(
            launch_plan=plan, status="blocked", blocked_reason="Waiting for legal", title=f"Blocked {plan.name} {i}"
        )
    for i in range(late):
        LaunchTaskFactory(launch_plan=plan, due_date=days(portfolio, -3), title=f"Late {plan.name} {i}")
    launch_plan_sync_status(plan)
    plan.refresh_from_db()
    return plan


def htmx_status(client, task, **body):
    return client.post(f"/launch-tasks/{task.id}/status/", body, HTTP_HX_REQUEST="true")


def column(page: str, title: str) -> str:
    match = re.search(rf"<h2><span>{title}</span>.*?(?=<div class=\"launch-column|<details|</section>)", page, re.S)
    assert match, f"no column {title}"
    return match.group(0)


# --- the board --------------------------------------------------------------------------------------


def test_board_puts_plans_in_columns_by_status(client, portfolio, product, marketer):
    plan_with(product, todo=1, name="Alpha launch")
    plan_with(product, done=1, name="Beta launch")
    launched = plan_with(product, done=1, name="Gamma launch")
    launch_plan_launch(plan_id=launched.id)
    cancelled = plan_with(product, todo=1, name="Delta launch")
    LaunchPlan.objects.filter(pk=cancelled.pk).update(
        status="cancelled", cancelled_at=datetime.datetime.now(datetime.UTC)
    )
    page = text(client.get(f"/portfolios/{portfolio.id}/launches/"))
    assert "Alpha launch" in column(page, "Planning") and "Beta launch" not in column(page, "Planning")
    assert "Beta launch" in column(page, "Ready")
    assert "Gamma launch" in column(page, "Launched recently")
    cancelled_part = page[page.index('<details class="launch-column column-cancelled"') :]
    assert "Delta launch" in cancelled_part and "<summary>" in cancelled_part  # folded away


def test_board_card_shows_readiness_of_the_required_tasks(client, portfolio, product, marketer):
    plan_with(product, done=3, todo=1, optional=2)
    page = text(client.get(f"/portfolios/{portfolio.id}/launches/"))
    assert '<progress max="100" value="75"' in page
    assert "<strong>75 %</strong> · 3 of 4 required" in page


def test_board_card_counts_overdue_and_blocked_tasks(client, portfolio, product, marketer):
    plan_with(product, todo=1, blocked=2, late=3)
    page = text(client.get(f"/portfolios/{portfolio.id}/launches/"))
    assert '<span class="alert-overdue">3 overdue</span>' in page
    assert '<span class="alert-blocked">2 blocked</span>' in page


def test_a_done_task_past_its_due_date_is_not_overdue_on_the_board(client, portfolio, product, marketer):
    plan = plan_with(product, todo=1)
    LaunchTaskFactory(launch_plan=plan, status="done", due_date=days(portfolio, -5))
    assert "overdue" not in text(client.get(f"/portfolios/{portfolio.id}/launches/")).split("launch-board")[1]


def test_board_says_how_far_the_launch_date_is(client, portfolio, product, marketer):
    plan_with(product, todo=1, name="Soon", launch_date=days(portfolio, 12))
    plan_with(product, todo=1, name="Late", launch_date=days(portfolio, -4))
    page = text(client.get(f"/portfolios/{portfolio.id}/launches/"))
    assert "· in 12 days" in page
    assert '<span class="when late">· 4 days ago</span>' in page


def test_board_hides_launches_older_than_ninety_days_unless_asked(client, portfolio, product, marketer):
    old = plan_with(product, done=1, name="Ancient launch")
    launch_plan_launch(plan_id=old.id)
    LaunchPlan.objects.filter(pk=old.pk).update(
        launched_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=200)
    )
    assert "Ancient launch" not in text(client.get(f"/portfolios/{portfolio.id}/launches/"))
    assert "Ancient launch" in text(client.get(f"/portfolios/{portfolio.id}/launches/?older=on"))


def test_board_filters_by_product_tier_and_owner(client, portfolio, product, marketer):
    other = ProductFactory(portfolio=portfolio, name="Orbit")
    owner = member(portfolio, Role.MARKETER)
    plan_with(product, todo=1, name="Mine tier one", tier=1, owner=owner)
    plan_with(product, todo=1, name="Nebula tier three", tier=3)
    plan_with(other, todo=1, name="Orbit tier one", tier=1)
    page = text(client.get(f"/portfolios/{portfolio.id}/launches/?product={product.id}&tier=1"))
    assert "Mine tier one" in page and "Nebula tier three" not in page and "Orbit tier one" not in page
    page = text(client.get(f"/portfolios/{portfolio.id}/launches/?owner={owner.id}"))
    assert "Mine tier one" in page and "Orbit tier one" not in page


@pytest.mark.parametrize("role", WRITERS)
def test_writers_get_a_new_launch_plan_choice_of_product(client, portfolio, product, role):
    as_role(client, portfolio, role)
    page = text(client.get(f"/portfolios/{portfolio.id}/launches/"))
    assert 'action="/launches/new/"' in page and f'<option value="{product.id}"' in page


def test_viewers_get_no_new_launch_plan(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/portfolios/{portfolio.id}/launches/"))
    assert "/launches/new/" not in page and "Admins, product managers and marketers plan launches" in page


def test_empty_board_says_what_to_do(client, portfolio, product, marketer):
    page = text(client.get(f"/portfolios/{portfolio.id}/launches/"))
    assert "No launches planned yet" in page and "New launch plan" in page


def _queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries)


def test_board_queries_do_not_grow_with_the_number_of_plans(client, marketer):
    small, big = PortfolioFactory(), PortfolioFactory()
    for portfolio, n in ((small, 2), (big, 20)):
        Membership.objects.create(portfolio=portfolio, user=marketer, role=Role.MARKETER)
        for _ in range(n):
            plan_with(ProductFactory(portfolio=portfolio), done=1, todo=1, blocked=1, late=1, owner=marketer)
    counts = [_queries(client, f"/portfolios/{p.id}/launches/") for p in (small, big)]
    assert counts[0] == counts[1] <= 14, counts


# --- the plan page ----------------------------------------------------------------------------------


def test_plan_page_groups_the_checklist_by_function_in_order(client, portfolio, product, marketer):
    plan = LaunchPlanFactory(product=product)
    for function in ("engineering", "sales", "product", "marketing", "legal", "support"):
        LaunchTaskFactory(launch_plan=plan, function=function, title=f"Task of {function}")
    page = text(client.get(f"/launches/{plan.id}/"))
    headings = re.findall(r'<div class="function-group" id="function-(\w+)">', page)
    assert headings == ["product", "marketing", "sales", "support", "legal", "engineering"]
    assert page.index('id="function-sales"') < page.index("Task of sales") < page.index('id="function-support"')


def test_plan_page_readiness_says_n_of_m_required_tasks_done(client, portfolio, product, marketer):
    plan = plan_with(product, done=2, todo=3, optional=1)
    page = text(client.get(f"/launches/{plan.id}/"))
    assert '<strong class="readiness-percent">40 %</strong>' in page
    assert "2 of 5 required tasks done" in page
    assert 'max="100" value="40"' in page


def test_an_overdue_task_says_how_many_days_late(client, portfolio, product, marketer):
    plan = plan_with(product, late=1)
    page = text(client.get(f"/launches/{plan.id}/"))
    assert 'class="task-due late"' in page and "<strong>3 days late</strong>" in page
    assert 'class="task task-todo overdue"' in page


def test_a_blocked_task_shows_its_reason(client, portfolio, product, marketer):
    plan = plan_with(product, blocked=1)
    page = text(client.get(f"/launches/{plan.id}/"))
    assert "<strong>Blocked:</strong> Waiting for legal" in page


def test_an_optional_task_is_marked(client, portfolio, product, marketer):
    plan = plan_with(product, optional=1)
    page = text(client.get(f"/launches/{plan.id}/"))
    assert f'Optional {plan.name} 0 <span class="tag optional-tag">optional</span>' in page


def test_plan_page_header_links_the_release_and_shows_tier_and_owner(client, portfolio, product, marketer):
    release = ReleaseFactory(product=product, version="2.0")
    plan = plan_with(product, todo=1, release=release, tier=1, owner=marketer)
    page = text(client.get(f"/launches/{plan.id}/"))
    assert f'href="/releases/{release.id}/"' in page
    assert "tier-badge tier-1" in page and f"owner {marketer.username}" in page
    assert 'id="plan-status" class="status launch-planning"' in page


@pytest.mark.parametrize("role", [*WRITERS, Role.VIEWER])
def test_plan_page_renders_for_every_role_with_controls_for_writers_only(client, portfolio, product, role):
    plan = plan_with(product, todo=1)
    as_role(client, portfolio, role)
    response = client.get(f"/launches/{plan.id}/")
    assert response.status_code == 200
    page = text(response)
    writes = role in WRITERS
    assert ("/status/" in page) is writes
    assert (f"/launches/{plan.id}/edit/" in page) is writes
    assert (f"/launches/{plan.id}/cancel/" in page) is writes


def test_plan_page_shows_messaging_campaigns_assets_and_press(client, portfolio, product, marketer):
    plan = plan_with(product, todo=1)
    MessagingFactory(product=product, launch_plan=plan, positioning="Old words")
    newest = MessagingFactory(product=product, launch_plan=plan, positioning="The tracker for launches")
    newest.version = 2
    newest.save()
    CampaignFactory(product=product, launch_plan=plan, name="Spring push", budget=1000, spend=1200)
    AssetFactory(product=product, launch_plan=plan, title="Battle card v2")
    PressItemFactory(product=product, launch_plan=plan, title="Press release draft")
    page = text(client.get(f"/launches/{plan.id}/"))
    assert "The tracker for launches" in page and "Old words" not in page and "version 2" in page
    assert "Spring push" in page and '<td data-label="Spend" class="num over">1,200</td>' in page
    assert 'class="budget-chart"' in page
    assert "Battle card v2" in page and "Press release draft" in page
    for name in ("messaging", "campaigns", "assets", "press"):
        assert f'href="/portfolios/{portfolio.id}/{name}/?product={product.id}"' in page


def test_plan_page_falls_back_to_the_products_messaging(client, portfolio, product, marketer):
    plan = plan_with(product, todo=1)
    MessagingFactory(product=product, positioning="Product-wide words")
    page = text(client.get(f"/launches/{plan.id}/"))
    assert "Product-wide words" in page and "the product's messaging, not tied to this launch" in page


def test_plan_page_shows_its_history(client, portfolio, product, marketer):
    response = client.post(
        f"/launches/new/?product={product.id}", {"name": "Logged launch", "launch_date": "2027-03-01"}
    )
    plan = LaunchPlan.objects.get(name="Logged launch")
    assert response.status_code == 302
    page = text(client.get(f"/launches/{plan.id}/"))
    assert "Created" in page and "2027-03-01" in page


def test_plan_page_queries_do_not_grow_with_the_number_of_tasks(client, portfolio, marketer):
    _queries(client, f"/launches/{plan_with(ProductFactory(portfolio=portfolio)).id}/")  # caches warmed
    counts = []
    for n in (3, 30):
        product = ProductFactory(portfolio=portfolio)
        plan = plan_with(product, done=n, todo=n, blocked=n, late=n, owner=marketer)
        for task in plan.tasks.all():
            task.owner = marketer
            task.save()
        for _ in range(n // 3):
            CampaignFactory(product=product, launch_plan=plan)
            AssetFactory(product=product, launch_plan=plan)
            PressItemFactory(product=product, launch_plan=plan, owner=marketer)
        counts.append(_queries(client, f"/launches/{plan.id}/"))
    assert counts[0] == counts[1], counts


def test_another_portfolios_plan_and_task_are_404_and_unchanged(client, portfolio, pm):
    plan = plan_with(ProductFactory(name="Hidden"), todo=1)
    task = plan.tasks.get()
    events = DomainEvent.objects.count()
    for url in (
        f"/launches/{plan.id}/",
        f"/launches/{plan.id}/edit/",
        f"/launches/{plan.id}/delete/",
        f"/launches/{plan.id}/cancel/",
        f"/launches/{plan.id}/tasks/new/",
        f"/launch-tasks/{task.id}/edit/",
        f"/portfolios/{plan.product.portfolio_id}/launches/",
        f"/portfolios/{plan.product.portfolio_id}/launch-tasks/",
        f"/launches/new/?product={plan.product_id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/launch-tasks/{task.id}/status/", {"status": "done"}).status_code == 404
    assert client.post(f"/launches/{plan.id}/launch/", {"override": "true", "reason": "x"}).status_code == 404
    assert client.post(f"/launches/{plan.id}/delete/").status_code == 404
    task.refresh_from_db()
    plan.refresh_from_db()
    assert (task.status, plan.status) == ("todo", "planning")
    assert DomainEvent.objects.count() == events


# --- inline status changes --------------------------------------------------------------------------


def test_a_plain_post_ticks_the_task_and_redirects_back_to_it(client, portfolio, product, marketer):
    plan = plan_with(product, todo=2)
    task = plan.tasks.first()
    response = client.post(f"/launch-tasks/{task.id}/status/", {"status": "done"})
    assert response.status_code == 302 and response["Location"] == f"/launches/{plan.id}/#task-{task.id}"
    task.refresh_from_db()
    assert task.status == "done" and task.done_at is not None
    page = text(client.get(response["Location"]))
    assert "is now done" in page and "1 of 2 required tasks done" in page


def test_an_htmx_tick_answers_the_checklist_and_the_new_readiness(client, portfolio, product, marketer):
    plan = plan_with(product, done=1, todo=1)
    task = plan.tasks.get(status="todo")
    response = htmx_status(client, task, status="done")
    assert response.status_code == 200
    html = text(response)
    assert "<html" not in html and "<body" not in html
    assert html.lstrip().startswith("{#") is False and '<section class="card checklist-card" id="checklist"' in html
    assert 'id="readiness"' in html and 'hx-swap-oob="true"' in html
    assert "2 of 2 required tasks done" in html and 'value="100"' in html
    assert '<span id="plan-status" class="status launch-ready" hx-swap-oob="true">Ready</span>' in html
    assert "Launch now" in html  # the launch card is live too
    assert "ready to launch" in html  # said to screen readers
    plan.refresh_from_db()
    assert plan.status == "ready"


def test_reopening_a_task_makes_a_ready_plan_planning_again(client, portfolio, product, marketer):
    plan = plan_with(product, done=1)
    response = htmx_status(client, plan.tasks.get(), status="todo")
    assert response.status_code == 200 and "launch-planning" in text(response)
    plan.refresh_from_db()
    assert plan.status == "planning"


def test_blocked_without_a_reason_is_a_400_page_with_the_message_and_nothing_changes(
    client, portfolio, product, marketer
):
    plan = plan_with(product, todo=1)
    task = plan.tasks.get()
    events = DomainEvent.objects.count()
    response = client.post(f"/launch-tasks/{task.id}/status/", {"status": "blocked", "blocked_reason": "  "})
    assert response.status_code == 400
    page = text(response)
    assert "<html" in page and "Say what blocks it, so someone can unblock it." in page
    assert f'id="status-error-{task.id}"' in page
    assert '<option value="blocked" selected>' in page  # the choice is kept on the row
    task.refresh_from_db()
    assert task.status == "todo" and DomainEvent.objects.count() == events


def test_blocked_without_a_reason_over_htmx_is_a_400_checklist_with_the_message(client, portfolio, product, marketer):
    plan = plan_with(product, todo=1)
    task = plan.tasks.get()
    response = htmx_status(client, task, status="blocked")
    assert response.status_code == 400
    html = text(response)
    assert "<html" not in html and "Say what blocks it" in html
    task.refresh_from_db()
    assert task.status == "todo"


def test_blocked_with_a_reason_is_saved_and_shown(client, portfolio, product, marketer):
    plan = plan_with(product, todo=1)
    task = plan.tasks.get()
    response = htmx_status(client, task, status="blocked", blocked_reason="Waiting for the SKU")
    assert response.status_code == 200 and "<strong>Blocked:</strong> Waiting for the SKU" in text(response)
    task.refresh_from_db()
    assert (task.status, task.blocked_reason) == ("blocked", "Waiting for the SKU")


def test_leaving_blocked_clears_the_reason(client, portfolio, product, marketer):
    plan = plan_with(product, blocked=1)
    task = plan.tasks.get()
    client.post(f"/launch-tasks/{task.id}/status/", {"status": "doing", "blocked_reason": "still here"})
    task.refresh_from_db()
    assert (task.status, task.blocked_reason) == ("doing", "")


def test_an_unknown_status_is_a_400(client, portfolio, product, marketer):
    plan = plan_with(product, todo=1)
    task = plan.tasks.get()
    assert client.post(f"/launch-tasks/{task.id}/status/", {"status": "finished"}).status_code == 400
    task.refresh_from_db()
    assert task.status == "todo"


def test_a_viewer_cannot_tick_a_task(client, portfolio, product):
    plan = plan_with(product, todo=1)
    task = plan.tasks.get()
    events = DomainEvent.objects.count()
    as_role(client, portfolio, Role.VIEWER)
    assert client.post(f"/launch-tasks/{task.id}/status/", {"status": "done"}).status_code == 403
    assert htmx_status(client, task, status="done").status_code == 403
    task.refresh_from_db()
    assert task.status == "todo" and DomainEvent.objects.count() == events


def test_an_htmx_tick_costs_the_same_queries_whatever_the_number_of_tasks(client, portfolio, marketer):
    counts = []
    for n in (3, 30):
        plan = plan_with(ProductFactory(portfolio=portfolio), done=n, todo=n, late=n)
        task = plan.tasks.filter(status="todo").first()
        with CaptureQueriesContext(connection) as queries:
            assert htmx_status(client, task, status="doing").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- launch, override, cancel -----------------------------------------------------------------------


def test_launching_below_100_is_a_409_page_listing_the_open_required_tasks(client, portfolio, product, marketer):
    plan = plan_with(product, done=1, todo=2, optional=1)
    response = client.post(f"/launches/{plan.id}/launch/", {})
    assert response.status_code == 409
    page = text(response)
    assert "Not launched:" in page and "2 required tasks are not done" in page
    refused = page[page.index("refused-launch") : page.index("</ul>", page.index("refused-launch"))]
    assert f"Todo {plan.name} 0" in refused and f"Todo {plan.name} 1" in refused
    assert f"Optional {plan.name} 0" not in refused and f"Done {plan.name} 0" not in refused
    plan.refresh_from_db()
    assert plan.status == "planning"


def test_a_marketer_sees_why_they_cannot_override(client, portfolio, product, marketer):
    plan = plan_with(product, todo=1)
    page = text(client.post(f"/launches/{plan.id}/launch/", {}))
    assert "Launch anyway" not in page and 'name="override"' not in page
    assert "only admins and product managers can override readiness" in page


def test_a_marketer_launches_a_ready_plan(client, portfolio, product, marketer, django_capture_on_commit_callbacks):
    plan = plan_with(product, done=2)
    assert "Launch now" in text(client.get(f"/launches/{plan.id}/"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/launches/{plan.id}/launch/", {})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "launched" and plan.launched_by == marketer and plan.launch_reason == ""
    page = text(client.get(f"/launches/{plan.id}/"))
    assert "launched. Lifecycle rules" in page and '<h2 id="launch-title">Launched</h2>' in page


def test_a_marketer_cannot_override_readiness(client, portfolio, product, marketer):
    plan = plan_with(product, todo=1)
    response = client.post(f"/launches/{plan.id}/launch/", {"override": "true", "reason": "Date is set"})
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "planning" and not DomainEvent.objects.filter(verb="launch_plan.launched").exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRODUCT_MANAGER])
def test_a_manager_sees_launch_anyway_and_overrides_with_a_reason(client, portfolio, product, role):
    plan = plan_with(product, todo=1)
    as_role(client, portfolio, role)
    page = text(client.get(f"/launches/{plan.id}/"))
    assert "Launch anyway" in page and 'name="override" value="true"' in page
    response = client.post(f"/launches/{plan.id}/launch/", {"override": "true", "reason": "Legal is a formality"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "launched" and plan.launch_reason == "Legal is a formality"
    page = text(client.get(f"/launches/{plan.id}/"))
    assert "Launched with open required tasks." in page and "Legal is a formality" in page


def test_an_override_without_a_reason_is_a_400_on_the_reason(client, portfolio, product, pm):
    plan = plan_with(product, todo=1)
    response = client.post(f"/launches/{plan.id}/launch/", {"override": "true", "reason": " "})
    assert response.status_code == 400
    assert "Say why it launches with open tasks" in text(response)
    plan.refresh_from_db()
    assert plan.status == "planning"


def test_launching_a_launched_plan_says_nothing_to_do(client, portfolio, product, pm):
    plan = plan_with(product, done=1)
    launch_plan_launch(plan_id=plan.id)
    response = client.post(f"/launches/{plan.id}/launch/", {}, follow=True)
    assert "Nothing to do" in text(response)


def test_cancel_asks_for_a_reason_and_keeps_it(client, portfolio, product, marketer):
    plan = plan_with(product, todo=2)
    CampaignFactory(product=product, launch_plan=plan)
    confirm = text(client.get(f"/launches/{plan.id}/cancel/"))
    assert "Its 2 open tasks stay on the plan" in confirm and "Its 1 campaign is not changed" in confirm
    response = client.post(f"/launches/{plan.id}/cancel/", {"reason": ""})
    assert response.status_code == 400 and "Say why the launch is cancelled" in text(response)
    plan.refresh_from_db()
    assert plan.status == "planning"
    response = client.post(f"/launches/{plan.id}/cancel/", {"reason": "Merged into 3.0"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.cancel_reason) == ("cancelled", "Merged into 3.0")
    assert "Merged into 3.0" in text(client.get(f"/launches/{plan.id}/"))


def test_a_viewer_cannot_launch_or_cancel(client, portfolio, product):
    plan = plan_with(product, done=1)
    as_role(client, portfolio, Role.VIEWER)
    assert client.post(f"/launches/{plan.id}/launch/", {}).status_code == 403
    assert client.post(f"/launches/{plan.id}/cancel/", {"reason": "x"}).status_code == 403
    plan.refresh_from_db()
    assert plan.status == "ready"


# --- plan forms -------------------------------------------------------------------------------------


def test_a_plan_from_a_template_gets_its_tasks_due_relative_to_launch_day(client, portfolio, product, marketer):
    template = LaunchTemplateFactory(portfolio=portfolio, name="Big launch", tier=1)
    LaunchTemplateTaskFactory(template=template, title="Brief the press", function="marketing", offset_days=-7)
    LaunchTemplateTaskFactory(template=template, title="Retro", function="product", offset_days=14, required=False)
    response = client.post(
        f"/launches/new/?product={product.id}",
        {"name": "Nebula 2.0", "template": template.id, "launch_date": "2027-03-10", "tier": ""},
    )
    plan = LaunchPlan.objects.get(name="Nebula 2.0")
    assert response.status_code == 302 and response["Location"] == f"/launches/{plan.id}/"
    assert plan.tier == 1 and plan.template == template and plan.status == "planning"
    tasks = {t.title: (t.due_date, t.required) for t in plan.tasks.all()}
    assert tasks == {
        "Brief the press": (datetime.date(2027, 3, 3), True),
        "Retro": (datetime.date(2027, 3, 24), False),
    }


def test_the_new_plan_form_offers_planned_releases_members_and_templates(client, portfolio, product, marketer):
    planned = ReleaseFactory(product=product, version="2.0")
    shipped = ReleaseFactory(
        product=product, version="1.0", status="shipped", shipped_at=datetime.datetime.now(datetime.UTC)
    )
    ReleaseFactory(version="9.0")  # another product's
    template = LaunchTemplateFactory(portfolio=portfolio, name="Small launch", tier=3)
    LaunchTemplateFactory(name="Foreign template")
    page = text(client.get(f"/launches/new/?product={product.id}"))
    releases = re.search(r'<select name="release".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', releases) == [str(planned.id)]
    assert shipped.version not in releases and "9.0" not in releases and "Foreign template" not in page
    assert f'<option value="{template.id}">Small launch (Tier 3)</option>' in page
    assert "due its offset in days from the launch date" in page
    assert f'<option value="{marketer.id}" selected>' in page  # the owner defaults to the writer


def test_a_plan_needs_a_name_and_a_date(client, portfolio, product, marketer):
    response = client.post(f"/launches/new/?product={product.id}", {"name": "", "launch_date": ""})
    assert response.status_code == 400
    assert {"name", "launch_date"} <= set(response.context["form"].errors)
    assert not LaunchPlan.objects.exists()


def test_editing_the_launch_date_moves_the_open_tasks_by_default(client, portfolio, product, marketer):
    plan = LaunchPlanFactory(product=product, launch_date=datetime.date(2027, 3, 10))
    open_task = LaunchTaskFactory(launch_plan=plan, due_date=datetime.date(2027, 3, 1))
    done_task = LaunchTaskFactory(launch_plan=plan, due_date=datetime.date(2027, 3, 1), status="done")
    page = text(client.get(f"/launches/{plan.id}/edit/"))
    assert 'name="move_tasks"' in page and 'id="id_move_tasks" checked' in page
    response = client.post(
        f"/launches/{plan.id}/edit/",
        {"name": plan.name, "tier": "2", "launch_date": "2027-03-17", "move_tasks": "on"},
        follow=True,
    )
    assert "moved 7 days later" in text(response)
    open_task.refresh_from_db()
    done_task.refresh_from_db()
    assert open_task.due_date == datetime.date(2027, 3, 8) and done_task.due_date == datetime.date(2027, 3, 1)


def test_editing_the_launch_date_without_moving_keeps_due_dates(client, portfolio, product, marketer):
    plan = LaunchPlanFactory(product=product, launch_date=datetime.date(2027, 3, 10))
    task = LaunchTaskFactory(launch_plan=plan, due_date=datetime.date(2027, 3, 1))
    client.post(f"/launches/{plan.id}/edit/", {"name": plan.name, "tier": "2", "launch_date": "2027-03-17"})
    plan.refresh_from_db()
    task.refresh_from_db()
    assert plan.launch_date == datetime.date(2027, 3, 17) and task.due_date == datetime.date(2027, 3, 1)


def test_delete_says_what_goes_and_what_stays(client, portfolio, product, marketer):
    plan = plan_with(product, todo=3)
    campaign = CampaignFactory(product=product, launch_plan=plan)
    confirm = text(client.get(f"/launches/{plan.id}/delete/"))
    assert "Its 3 tasks go with it." in confirm and "Its 1 campaign stay with Nebula" in confirm
    response = client.post(f"/launches/{plan.id}/delete/")
    assert response.status_code == 302
    assert not LaunchPlan.objects.exists() and not LaunchTask.objects.exists()
    assert Campaign.objects.get(pk=campaign.pk).launch_plan is None


@pytest.mark.parametrize("role", [Role.VIEWER])
def test_readers_cannot_create_edit_or_delete_plans(client, portfolio, product, role):
    plan = plan_with(product, todo=1)
    events = DomainEvent.objects.count()
    as_role(client, portfolio, role)
    assert client.get(f"/launches/new/?product={product.id}").status_code == 403
    assert (
        client.post(f"/launches/new/?product={product.id}", {"name": "X", "launch_date": "2027-01-01"}).status_code
        == 403
    )
    assert client.post(f"/launches/{plan.id}/edit/", {"name": "Y"}).status_code == 403
    assert client.post(f"/launches/{plan.id}/delete/").status_code == 403
    assert LaunchPlan.objects.count() == 1 and DomainEvent.objects.count() == events


# --- task forms -------------------------------------------------------------------------------------


def test_add_a_task_with_its_function_preselected(client, portfolio, product, marketer):
    plan = plan_with(product, done=1)
    page = text(client.get(f"/launches/{plan.id}/tasks/new/?function=legal"))
    assert '<option value="legal" selected>' in page
    response = client.post(
        f"/launches/{plan.id}/tasks/new/",
        {"title": "Terms reviewed", "function": "legal", "required": "on", "status": "todo", "due_date": "2027-01-05"},
    )
    task = plan.tasks.get(title="Terms reviewed")
    assert response["Location"] == f"/launches/{plan.id}/#task-{task.id}"
    plan.refresh_from_db()
    assert plan.status == "planning"  # a new required task makes it not ready


def test_edit_a_task_and_blocked_needs_a_reason(client, portfolio, product, marketer):
    plan = plan_with(product, todo=1)
    task = plan.tasks.get()
    body = {"title": "Renamed", "function": "sales", "required": "on", "status": "blocked", "blocked_reason": ""}
    response = client.post(f"/launch-tasks/{task.id}/edit/", body)
    assert response.status_code == 400 and "blocked_reason" in response.context["form"].errors
    response = client.post(f"/launch-tasks/{task.id}/edit/", {**body, "blocked_reason": "Waiting"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.function, task.status, task.blocked_reason) == ("Renamed", "sales", "blocked", "Waiting")


def test_delete_a_task_recounts_readiness(client, portfolio, product, marketer):
    plan = plan_with(product, done=1, todo=1)
    task = plan.tasks.get(status="todo")
    assert "Readiness is counted again without it." in text(client.get(f"/launch-tasks/{task.id}/delete/"))
    assert client.post(f"/launch-tasks/{task.id}/delete/").status_code == 302
    plan.refresh_from_db()
    assert plan.status == "ready" and plan.tasks.count() == 1


def test_a_viewer_cannot_add_edit_or_delete_tasks(client, portfolio, product):
    plan = plan_with(product, todo=1)
    task = plan.tasks.get()
    events = DomainEvent.objects.count()
    as_role(client, portfolio, Role.VIEWER)
    assert client.get(f"/launches/{plan.id}/tasks/new/").status_code == 403
    assert client.post(f"/launches/{plan.id}/tasks/new/", {"title": "X", "function": "legal"}).status_code == 403
    assert client.post(f"/launch-tasks/{task.id}/edit/", {"title": "Y", "function": "legal"}).status_code == 403
    assert client.post(f"/launch-tasks/{task.id}/delete/").status_code == 403
    assert plan.tasks.count() == 1 and DomainEvent.objects.count() == events


# --- the portfolio's open tasks ---------------------------------------------------------------------


def test_open_tasks_are_listed_soonest_due_first_without_done_or_cancelled(client, portfolio, product, marketer):
    plan = LaunchPlanFactory(product=product, name="Main launch")
    LaunchTaskFactory(launch_plan=plan, title="Third", due_date=days(portfolio, 9))
    LaunchTaskFactory(launch_plan=plan, title="First", due_date=days(portfolio, -2))
    LaunchTaskFactory(launch_plan=plan, title="Second", due_date=days(portfolio, 1))
    LaunchTaskFactory(launch_plan=plan, title="Undated")
    LaunchTaskFactory(launch_plan=plan, title="Finished", status="done")
    gone = LaunchPlanFactory(product=product, status="cancelled")
    LaunchTaskFactory(launch_plan=gone, title="Of a cancelled launch")
    page = text(client.get(f"/portfolios/{portfolio.id}/launch-tasks/"))
    titles = re.findall(r'#task-\d+">([^<]+)</a>', page)
    assert titles == ["First", "Second", "Third", "Undated"]
    assert "<strong>2 days late</strong>" in page


def test_open_tasks_filter_overdue_blocked_function_and_owner(client, portfolio, product, marketer):
    plan = LaunchPlanFactory(product=product)
    LaunchTaskFactory(launch_plan=plan, title="Late one", due_date=days(portfolio, -1), function="sales")
    LaunchTaskFactory(launch_plan=plan, title="Stuck one", status="blocked", blocked_reason="x", owner=marketer)
    LaunchTaskFactory(launch_plan=plan, title="Calm one", due_date=days(portfolio, 5))
    url = f"/portfolios/{portfolio.id}/launch-tasks/"

    def shown(query):
        return set(re.findall(r'#task-\d+">([^<]+)</a>', text(client.get(url + query))))

    assert shown("?overdue=on") == {"Late one"}
    assert shown("?blocked=on") == {"Stuck one"}
    assert shown("?function=sales") == {"Late one"}
    assert shown(f"?owner={marketer.id}") == {"Stuck one"}
    assert shown(f"?plan={plan.id}&status=todo") == {"Late one", "Calm one"}


def test_open_tasks_download_as_csv(client, portfolio, product, marketer):
    plan = LaunchPlanFactory(product=product, name="Main launch")
    LaunchTaskFactory(launch_plan=plan, title="=cmd()", due_date=days(portfolio, -1), owner=marketer)
    LaunchTaskFactory(launch_plan=plan, title="Done one", status="done")
    response = client.get(f"/portfolios/{portfolio.id}/launch-tasks/?format=csv&overdue=on")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert len(rows) == 1
    assert rows[0]["title"] == "'=cmd()" and rows[0]["launch_plan"] == "Main launch"
    assert rows[0]["owner"] == marketer.username and rows[0]["overdue"] == "yes"


def test_open_tasks_queries_do_not_grow_with_the_number_of_tasks(client, marketer):
    counts = []
    for n in (3, 30):
        portfolio = PortfolioFactory()
        Membership.objects.create(portfolio=portfolio, user=marketer, role=Role.MARKETER)
        for _ in range(n // 3):
            plan = plan_with(ProductFactory(portfolio=portfolio), todo=1, blocked=1, late=1)
            plan.tasks.update(owner=marketer)
        counts.append(_queries(client, f"/portfolios/{portfolio.id}/launch-tasks/"))
    assert counts[0] == counts[1], counts


# --- checklist templates ----------------------------------------------------------------------------


def test_templates_are_listed_per_tier_with_their_tasks(client, portfolio, marketer):
    big = LaunchTemplateFactory(portfolio=portfolio, name="Big one", tier=1)
    LaunchTemplateTaskFactory(template=big, title="Press briefed", offset_days=-5)
    LaunchTemplateTaskFactory(template=big, title="Retro", offset_days=7, required=False)
    LaunchTemplateFactory(portfolio=portfolio, name="Small one", tier=3)
    page = text(client.get(f"/portfolios/{portfolio.id}/launch-templates/"))
    assert page.index("Big one") < page.index('id="tier-2-title"') < page.index("Small one")
    assert "5 days before" in page and "7 days after" in page and "2 tasks, 1 required" in page
    assert "No tier 2 template." in page


def test_create_a_template_with_task_rows(client, portfolio, marketer):
    body = {
        "name": "Tier 2 launch",
        "tier": "2",
        "tasks-TOTAL_FORMS": "3",
        "tasks-INITIAL_FORMS": "0",
        "tasks-0-title": "Blog post",
        "tasks-0-function": "marketing",
        "tasks-0-offset_days": "-7",
        "tasks-0-required": "on",
        "tasks-1-title": "Retro",
        "tasks-1-function": "product",
        "tasks-1-offset_days": "10",
        "tasks-2-title": "",
        "tasks-2-function": "marketing",
        "tasks-2-offset_days": "0",
        "tasks-2-required": "on",
    }
    response = client.post(f"/portfolios/{portfolio.id}/launch-templates/new/", body)
    template = LaunchTemplate.objects.get(name="Tier 2 launch")
    assert response.status_code == 302
    rows = list(template.tasks.values_list("title", "function", "offset_days", "required"))
    assert rows == [("Blog post", "marketing", -7, True), ("Retro", "product", 10, False)]


def test_edit_a_template_replaces_and_removes_rows(client, portfolio, marketer):
    template = LaunchTemplateFactory(portfolio=portfolio, name="T", tier=2)
    LaunchTemplateTaskFactory(template=template, title="Keep", offset_days=-3)
    LaunchTemplateTaskFactory(template=template, title="Drop", offset_days=-1)
    page = text(client.get(f"/launch-templates/{template.id}/edit/"))
    assert 'value="Keep"' in page and 'name="tasks-TOTAL_FORMS" value="5"' in page
    body = {
        "name": "T",
        "tier": "1",
        "tasks-TOTAL_FORMS": "2",
        "tasks-INITIAL_FORMS": "2",
        "tasks-0-title": "Keep",
        "tasks-0-function": "marketing",
        "tasks-0-offset_days": "-4",
        "tasks-0-required": "on",
        "tasks-1-title": "Drop",
        "tasks-1-function": "marketing",
        "tasks-1-offset_days": "-1",
        "tasks-1-DELETE": "on",
        "more": "1",
    }
    response = client.post(f"/launch-templates/{template.id}/edit/", body)
    assert response.status_code == 302 and response["Location"] == f"/launch-templates/{template.id}/edit/"
    template.refresh_from_db()
    assert template.tier == 1
    assert list(template.tasks.values_list("title", "offset_days")) == [("Keep", -4)]


def test_a_template_row_out_of_range_is_a_400_and_nothing_changes(client, portfolio, marketer):
    body = {
        "name": "T",
        "tier": "2",
        "tasks-TOTAL_FORMS": "1",
        "tasks-INITIAL_FORMS": "0",
        "tasks-0-title": "Far away",
        "tasks-0-function": "marketing",
        "tasks-0-offset_days": "9999",
    }
    response = client.post(f"/portfolios/{portfolio.id}/launch-templates/new/", body)
    assert response.status_code == 400 and "less than or equal to 365" in text(response)
    assert not LaunchTemplate.objects.exists()


def test_a_taken_template_name_is_a_field_error(client, portfolio, marketer):
    LaunchTemplateFactory(portfolio=portfolio, name="Taken")
    body = {"name": "Taken", "tier": "2", "tasks-TOTAL_FORMS": "0", "tasks-INITIAL_FORMS": "0"}
    response = client.post(f"/portfolios/{portfolio.id}/launch-templates/new/", body)
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["This portfolio already has a template with this name."]


def test_delete_a_template_keeps_the_plans_tasks(client, portfolio, product, marketer):
    template = LaunchTemplateFactory(portfolio=portfolio, name="Old")
    LaunchTemplateTaskFactory(template=template)
    plan = LaunchPlanFactory(product=product, template=template)
    LaunchTaskFactory(launch_plan=plan)
    assert "keeps their tasks" in text(client.get(f"/launch-templates/{template.id}/delete/"))
    assert client.post(f"/launch-templates/{template.id}/delete/").status_code == 302
    assert not LaunchTemplate.objects.exists() and plan.tasks.count() == 1


def test_viewers_read_templates_but_cannot_write_them(client, portfolio):
    template = LaunchTemplateFactory(portfolio=portfolio, name="Read me")
    LaunchTemplateTaskFactory(template=template, title="A row")
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/portfolios/{portfolio.id}/launch-templates/"))
    assert "Read me" in page and "A row" in page and "/edit/" not in page and "New template" not in page
    assert client.get(f"/portfolios/{portfolio.id}/launch-templates/new/").status_code == 403
    assert client.post(f"/launch-templates/{template.id}/edit/", {"name": "X", "tier": "1"}).status_code == 403
    assert client.post(f"/launch-templates/{template.id}/delete/").status_code == 403
    template.refresh_from_db()
    assert template.name == "Read me"


def test_template_list_queries_do_not_grow_with_templates(client, marketer):
    counts = []
    for n in (2, 20):
        portfolio = PortfolioFactory()
        Membership.objects.create(portfolio=portfolio, user=marketer, role=Role.MARKETER)
        for i in range(n):
            template = LaunchTemplateFactory(portfolio=portfolio, tier=1 + i % 3)
            LaunchTemplateTaskFactory.create_batch(3, template=template)
        counts.append(_queries(client, f"/portfolios/{portfolio.id}/launch-templates/"))
    assert counts[0] == counts[1], counts


def test_a_blank_template_row_with_its_defaults_changed_is_skipped_and_a_cleared_title_removes(
    client, portfolio, marketer
):
    template = LaunchTemplateFactory(portfolio=portfolio, name="T")
    LaunchTemplateTaskFactory(template=template, title="Goes", offset_days=-3)
    body = {
        "name": "T",
        "tier": "2",
        "tasks-TOTAL_FORMS": "2",
        "tasks-INITIAL_FORMS": "1",
        "tasks-0-title": "",
        "tasks-0-function": "marketing",
        "tasks-0-offset_days": "-3",
        "tasks-0-required": "on",
        "tasks-1-title": "  ",
        "tasks-1-function": "legal",
        "tasks-1-offset_days": "5",
    }
    assert client.post(f"/launch-templates/{template.id}/edit/", body).status_code == 302
    assert not template.tasks.exists()
