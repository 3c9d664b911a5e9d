"""The launch API (API-CONTRACT.md, "Go-to-market"): launch-templates, launch-plans (launch, cancel) and
launch-tasks: contract fields, templates with relative due dates, the launch's 409 and override, roles,
filters, the tasks' CSV, absurd input (a 400 on the field, nothing written), another portfolio's
objects, conditional writes, query counts that do not grow with the list, and two launches at once."""

import csv
import datetime
import io
import json
import threading

import pytest
from django.db import connection

from gtm.models import LaunchPlan, LaunchTask, LaunchTemplate
from gtm.selectors import today_in
from gtm.services import launches as services
from products.models import DomainEvent
from roadmap.services import release_create
from tests.factories import LaunchPlanFactory, LaunchTaskFactory, PortfolioFactory, ProductFactory, member

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/launch-templates/"
PLANS = "/api/v1/launch-plans/"
TASKS = "/api/v1/launch-tasks/"

PLAN_FIELDS = {
    "id", "product", "release", "name", "description", "tier", "launch_date", "owner", "status", "readiness",
    "launched_at", "launched_by", "launch_reason", "cancelled_at", "cancel_reason", "task_count", "done_count",
    "required_count", "required_done_count",
}  # fmt: skip
TASK_FIELDS = {
    "id", "launch_plan", "title", "description", "function", "owner", "due_date", "status", "blocked_reason",
    "required", "overdue", "position",
}  # fmt: skip
TEMPLATE_TASKS = [
    {"title": "Brief the press", "function": "marketing", "offset_days": -14, "required": True},
    {"title": "Launch day post", "function": "marketing", "offset_days": 0, "required": True},
    {"title": "Win/loss review", "function": "sales", "offset_days": 7, "required": False},
]


class Setup:
    """A portfolio with a product, a product manager signed in, and helpers for plans and tasks."""

    def __init__(self, client):
        self.portfolio = PortfolioFactory(timezone="Europe/Berlin")
        self.product = ProductFactory(portfolio=self.portfolio, name="Nebula")
        self.manager = member(self.portfolio, "product_manager")
        self.client = client
        client.force_authenticate(self.manager)

    def plan(self, **fields):
        fields = {"name": "Nova launch", "launch_date": datetime.date(2026, 6, 15), **fields}
        return services.launch_plan_create(product=fields.pop("product", self.product), **fields)

    def task(self, plan, **fields):
        fields = {"title": "Task", "function": "sales", **fields}
        return services.launch_task_create(launch_plan=plan, **fields)

    def template(self, **fields):
        fields = {"name": "Tier one", "tier": 1, "tasks": TEMPLATE_TASKS, **fields}
        return services.launch_template_create(portfolio=fields.pop("portfolio", self.portfolio), **fields)

    def as_role(self, role):
        self.client.force_authenticate(member(self.portfolio, role))
        return self.client


@pytest.fixture
def setup(api_client):
    return Setup(api_client)


def post(client, url, body):
    return client.post(url, body, format="json")


def patch(client, url, body, **headers):
    return client.patch(url, body, format="json", headers=headers)


def written():
    """What a refused request must leave as it was."""
    return (
        list(LaunchTemplate.objects.order_by("id").values()),
        list(LaunchTemplate.tasks.rel.related_model.objects.order_by("id").values()),
        list(LaunchPlan.objects.order_by("id").values()),
        list(LaunchTask.objects.order_by("id").values()),
        DomainEvent.objects.count(),
    )


# --- templates -----------------------------------------------------------------------------------------


def test_create_a_template_with_its_task_list(setup):
    body = {"portfolio": setup.portfolio.id, "name": "Tier one", "tier": 1, "tasks": TEMPLATE_TASKS}
    response = post(setup.client, TEMPLATES, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert {k: data[k] for k in body} == body
    assert DomainEvent.objects.get(verb="launch_template.created").data == {"tasks": 3}


def test_template_task_defaults_are_day_zero_and_required(setup):
    body = {"portfolio": setup.portfolio.id, "name": "Short", "tasks": [{"title": "Post", "function": "marketing"}]}
    data = post(setup.client, TEMPLATES, body).json()
    assert data["tasks"] == [{"title": "Post", "function": "marketing", "offset_days": 0, "required": True}]
    assert data["tier"] == 2


def test_a_template_task_list_is_replaced_whole(setup):
    template = setup.template()
    tasks = [{"title": "Only this", "function": "legal", "offset_days": -3, "required": False}]
    response = patch(setup.client, f"{TEMPLATES}{template.id}/", {"tasks": tasks})
    assert response.status_code == 200 and response.json()["tasks"] == tasks


def test_a_marketer_writes_templates(setup):
    client = setup.as_role("marketer")
    response = post(client, TEMPLATES, {"portfolio": setup.portfolio.id, "name": "Marketing's", "tasks": []})
    assert response.status_code == 201


def test_a_taken_template_name_is_a_400_on_name(setup):
    setup.template()
    before = written()
    response = post(setup.client, TEMPLATES, {"portfolio": setup.portfolio.id, "name": "Tier one"})
    assert response.status_code == 400 and "name" in response.json()
    assert written() == before


def test_templates_filter_by_tier_and_search_by_name(setup):
    setup.template()
    setup.template(name="Minor update", tier=3, tasks=[])
    assert [t["name"] for t in setup.client.get(f"{TEMPLATES}?tier=3").json()["results"]] == ["Minor update"]
    assert [t["name"] for t in setup.client.get(f"{TEMPLATES}?search=tier").json()["results"]] == ["Tier one"]


# --- plans ---------------------------------------------------------------------------------------------


def test_create_a_plan_with_the_contract_fields(setup):
    release = release_create(product=setup.product, version="2.0")
    body = {
        "product": setup.product.id,
        "release": release.id,
        "name": "Nebula 2.0 launch",
        "description": "The big one.",
        "tier": 1,
        "launch_date": "2026-06-15",
        "owner": setup.manager.username,
    }
    response = post(setup.client, PLANS, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) >= PLAN_FIELDS
    assert {k: data[k] for k in body} == body
    assert (data["status"], data["readiness"], data["task_count"], data["launched_at"]) == ("ready", 100, 0, None)


def test_a_plan_from_a_template_gets_tasks_due_relative_to_its_launch_date_and_the_templates_tier(setup):
    template = setup.template()
    body = {"product": setup.product.id, "name": "Nova", "launch_date": "2026-06-15", "template": template.id}
    response = post(setup.client, PLANS, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["tier"], data["status"], data["readiness"], data["task_count"]) == (1, "planning", 0, 3)
    assert "template" not in data
    tasks = setup.client.get(f"{TASKS}?launch_plan={data['id']}").json()["results"]
    assert [(t["title"], t["due_date"], t["required"]) for t in tasks] == [
        ("Brief the press", "2026-06-01", True),
        ("Launch day post", "2026-06-15", True),
        ("Win/loss review", "2026-06-22", False),
    ]


def test_a_tier_given_wins_over_the_templates(setup):
    body = {"product": setup.product.id, "name": "N", "launch_date": "2026-06-15", "template": setup.template().id}
    assert post(setup.client, PLANS, {**body, "tier": 3}).json()["tier"] == 3


def test_a_template_of_another_portfolio_is_a_400_on_template(setup):
    foreign = setup.template(portfolio=PortfolioFactory())
    before = written()
    body = {"product": setup.product.id, "name": "N", "launch_date": "2026-06-15", "template": foreign.id}
    response = post(setup.client, PLANS, body)
    assert response.status_code == 400 and "template" in response.json()
    assert "Tier one" not in response.content.decode()
    assert written() == before


def test_a_template_of_another_of_my_portfolios_is_a_400_on_template(setup):
    elsewhere = PortfolioFactory()
    member_there = setup.manager.memberships.create(portfolio=elsewhere, role="admin")
    assert member_there
    template = setup.template(portfolio=elsewhere)
    body = {"product": setup.product.id, "name": "N", "launch_date": "2026-06-15", "template": template.id}
    response = post(setup.client, PLANS, body)
    assert response.status_code == 400 and "template" in response.json()


def test_a_template_cannot_be_applied_to_an_existing_plan(setup):
    plan = setup.plan()
    response = patch(setup.client, f"{PLANS}{plan.id}/", {"template": setup.template().id})
    assert response.status_code == 400 and "template" in response.json()


def test_a_release_of_another_product_is_a_400_on_release(setup):
    release = release_create(product=ProductFactory(portfolio=setup.portfolio), version="1.0")
    body = {"product": setup.product.id, "name": "N", "launch_date": "2026-06-15", "release": release.id}
    response = post(setup.client, PLANS, body)
    assert response.status_code == 400 and "release" in response.json()


def test_a_product_of_another_portfolio_is_a_400_on_product(setup):
    body = {"product": ProductFactory().id, "name": "N", "launch_date": "2026-06-15"}
    response = post(setup.client, PLANS, body)
    assert response.status_code == 400 and "product" in response.json()


def test_an_unknown_owner_is_a_400_on_owner(setup):
    body = {"product": setup.product.id, "name": "N", "launch_date": "2026-06-15", "owner": "nobody-here"}
    response = post(setup.client, PLANS, body)
    assert response.status_code == 400 and "owner" in response.json()
    assert not LaunchPlan.objects.exists()


def test_a_plan_cannot_move_to_another_product(setup):
    plan = setup.plan()
    other = ProductFactory(portfolio=setup.portfolio)
    response = patch(setup.client, f"{PLANS}{plan.id}/", {"product": other.id})
    assert response.status_code == 400 and "product" in response.json()


def test_status_and_readiness_are_read_only(setup):
    plan = setup.plan()
    setup.task(plan)
    response = patch(setup.client, f"{PLANS}{plan.id}/", {"status": "launched", "readiness": 100, "name": "Renamed"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["readiness"], response.json()["name"]) == (
        "planning",
        0,
        "Renamed",
    )


def test_moving_the_launch_date_moves_open_tasks_not_done_ones(setup):
    plan = setup.plan()
    open_task = setup.task(plan, title="open", due_date=datetime.date(2026, 6, 1))
    done_task = setup.task(plan, title="done", due_date=datetime.date(2026, 6, 2), status="done")
    response = patch(setup.client, f"{PLANS}{plan.id}/", {"launch_date": "2026-06-22"})
    assert response.status_code == 200
    assert setup.client.get(f"{TASKS}{open_task.id}/").json()["due_date"] == "2026-06-08"
    assert setup.client.get(f"{TASKS}{done_task.id}/").json()["due_date"] == "2026-06-02"


def test_plans_filter_by_status_tier_owner_and_product(setup):
    ready = setup.plan(name="Ready", tier=1, owner=setup.manager)
    planning = setup.plan(name="Planning", tier=3)
    setup.task(planning)
    setup.plan(name="Sibling's", product=ProductFactory(portfolio=setup.portfolio))

    def names(query):
        response = setup.client.get(f"{PLANS}?{query}")
        assert response.status_code == 200, response.content
        return [p["name"] for p in response.json()["results"]]

    assert names("status=planning") == ["Planning"]
    assert names("tier=1") == ["Ready"]
    assert names(f"owner={setup.manager.username}") == ["Ready"]
    assert sorted(names(f"product={setup.product.id}")) == ["Planning", "Ready"]
    assert len(names(f"portfolio={setup.portfolio.id}")) == 3
    assert names("search=sibling") == ["Sibling's"]
    assert ready.id


def test_plans_order_by_readiness(setup):
    half = setup.plan(name="Half")
    setup.task(half, status="done")
    setup.task(half)
    setup.plan(name="Full")
    empty = setup.plan(name="None done")
    setup.task(empty)
    results = setup.client.get(f"{PLANS}?ordering=readiness").json()["results"]
    assert [(p["name"], p["readiness"]) for p in results] == [("None done", 0), ("Half", 50), ("Full", 100)]


@pytest.mark.parametrize("query", ["status=shipped", "tier=4", "tier=", "portfolio=x", "product=1e9999"])
def test_a_bad_plan_filter_is_a_400(setup, query):
    assert setup.client.get(f"{PLANS}?{query}").status_code == 400


# --- launch --------------------------------------------------------------------------------------------


def launch(client, plan, body=None):
    return post(client, f"{PLANS}{plan.id}/launch/", body or {})


def test_a_launch_with_open_required_tasks_is_a_409_listing_them_and_changes_nothing(setup):
    plan = setup.plan()
    brief = setup.task(plan, title="Brief sales", function="sales")
    setup.task(plan, title="Done", status="done")
    setup.task(plan, title="Optional", required=False)
    before = written()
    response = launch(setup.client, plan)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "open_tasks" and body["detail"]
    assert body["open_tasks"] == [{"id": brief.id, "title": "Brief sales", "function": "sales", "status": "todo"}]
    assert written() == before


def test_a_ready_plan_launches(setup):
    plan = setup.plan()
    setup.task(plan, status="done")
    response = launch(setup.as_role("marketer"), plan)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "launched" and data["launched_at"] and data["launched_by"]
    assert response.headers["ETag"] == setup.client.get(f"{PLANS}{plan.id}/").headers["ETag"]


def test_an_override_by_a_product_manager_launches_and_keeps_the_reason(setup):
    plan = setup.plan()
    setup.task(plan)
    response = launch(setup.client, plan, {"override": True, "reason": "Embargo lifts today"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["launch_reason"]) == ("launched", "Embargo lifts today")
    event = DomainEvent.objects.get(verb="launch_plan.launched")
    assert (event.data["override"], event.data["reason"]) == (True, "Embargo lifts today")


def test_an_override_by_a_marketer_is_a_403_and_changes_nothing(setup):
    plan = setup.plan()
    setup.task(plan)
    client = setup.as_role("marketer")
    before = written()
    response = launch(client, plan, {"override": True, "reason": "Marketing wants it"})
    assert response.status_code == 403
    assert written() == before


def test_a_marketers_override_is_refused_before_the_body_is_read(setup):
    plan = setup.plan()
    response = launch(setup.as_role("marketer"), plan, {"override": "true", "reason": 5})
    assert response.status_code == 403


def test_an_override_without_a_reason_is_a_400_on_reason(setup):
    plan = setup.plan()
    setup.task(plan)
    before = written()
    response = launch(setup.client, plan, {"override": True})
    assert response.status_code == 400 and "reason" in response.json()
    assert written() == before


def test_launching_twice_is_a_409_without_a_task_list(setup):
    plan = setup.plan()
    assert launch(setup.client, plan).status_code == 200
    response = launch(setup.client, plan, {"override": True, "reason": "Again"})
    assert response.status_code == 409
    assert response.json()["code"] == "plan_closed" and "open_tasks" not in response.json()


def test_a_viewer_cannot_launch(setup):
    plan = setup.plan()
    before = written()
    assert launch(setup.as_role("viewer"), plan).status_code == 403
    assert written() == before


def test_another_portfolios_plan_is_a_404_to_launch(setup):
    plan = setup.plan(product=ProductFactory())
    assert launch(setup.client, plan).status_code == 404
    assert LaunchPlan.objects.get(pk=plan.pk).status == "ready"


# --- cancel --------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason(setup):
    plan = setup.plan()
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = post(setup.client, f"{PLANS}{plan.id}/cancel/", body)
        assert response.status_code == 400 and "reason" in response.json()
    assert LaunchPlan.objects.get(pk=plan.pk).status == "ready"


def test_cancel_keeps_the_reason(setup):
    plan = setup.plan()
    response = post(setup.client, f"{PLANS}{plan.id}/cancel/", {"reason": "Release slipped"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "Release slipped")
    assert response.json()["cancelled_at"]


def test_a_launched_plan_cannot_be_cancelled(setup):
    plan = setup.plan()
    launch(setup.client, plan)
    response = post(setup.client, f"{PLANS}{plan.id}/cancel/", {"reason": "Too late"})
    assert response.status_code == 409 and response.json()["code"] == "plan_closed"


def test_a_cancelled_plan_cannot_launch(setup):
    plan = setup.plan()
    post(setup.client, f"{PLANS}{plan.id}/cancel/", {"reason": "Slipped"})
    assert launch(setup.client, plan).status_code == 409


# --- tasks ---------------------------------------------------------------------------------------------


def test_create_a_task_with_the_contract_fields(setup):
    plan = setup.plan()
    body = {
        "launch_plan": plan.id,
        "title": "Battle card",
        "description": "Against the incumbent.",
        "function": "sales",
        "owner": setup.manager.username,
        "due_date": (today_in(setup.portfolio) + datetime.timedelta(days=30)).isoformat(),
    }
    response = post(setup.client, TASKS, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) >= TASK_FIELDS
    assert {k: data[k] for k in body} == body
    assert (data["status"], data["required"], data["blocked_reason"], data["overdue"]) == ("todo", True, "", False)
    assert setup.client.get(f"{PLANS}{plan.id}/").json()["status"] == "planning"


def test_ticking_the_last_required_task_makes_the_plan_ready(setup):
    plan = setup.plan()
    task = setup.task(plan)
    assert patch(setup.client, f"{TASKS}{task.id}/", {"status": "done"}).status_code == 200
    data = setup.client.get(f"{PLANS}{plan.id}/").json()
    assert (data["status"], data["readiness"], data["required_done_count"]) == ("ready", 100, 1)


def test_blocked_needs_a_reason_on_blocked_reason(setup):
    task = setup.task(setup.plan())
    before = written()
    response = patch(setup.client, f"{TASKS}{task.id}/", {"status": "blocked"})
    assert response.status_code == 400 and "blocked_reason" in response.json()
    assert written() == before


def test_leaving_blocked_clears_the_reason(setup):
    task = setup.task(setup.plan())
    response = patch(setup.client, f"{TASKS}{task.id}/", {"status": "blocked", "blocked_reason": "Legal"})
    assert response.json()["blocked_reason"] == "Legal"
    response = patch(setup.client, f"{TASKS}{task.id}/", {"status": "doing"})
    assert (response.json()["status"], response.json()["blocked_reason"]) == ("doing", "")


def test_a_task_cannot_move_to_another_plan(setup):
    task = setup.task(setup.plan())
    other = setup.plan(name="Other")
    response = patch(setup.client, f"{TASKS}{task.id}/", {"launch_plan": other.id})
    assert response.status_code == 400 and "launch_plan" in response.json()


def test_a_plan_of_another_portfolio_is_a_400_on_launch_plan(setup):
    foreign = LaunchPlanFactory()
    response = post(setup.client, TASKS, {"launch_plan": foreign.id, "title": "T", "function": "sales"})
    assert response.status_code == 400 and "launch_plan" in response.json()
    assert not LaunchTask.objects.exists()


def test_a_viewer_cannot_write_tasks(setup):
    task = setup.task(setup.plan())
    before = written()
    assert patch(setup.as_role("viewer"), f"{TASKS}{task.id}/", {"status": "done"}).status_code == 403
    assert written() == before


def overdue_setup(setup):
    today = today_in(setup.portfolio)
    plan = setup.plan()
    late = setup.task(plan, title="Late", due_date=today - datetime.timedelta(days=1))
    setup.task(plan, title="Done late", due_date=today - datetime.timedelta(days=3), status="done")
    setup.task(plan, title="Due today", due_date=today)
    setup.task(plan, title="Undated")
    return late


def test_the_overdue_filter_lists_tasks_past_due_and_not_done(setup):
    late = overdue_setup(setup)
    results = setup.client.get(f"{TASKS}?overdue=true").json()["results"]
    assert [(t["id"], t["overdue"]) for t in results] == [(late.id, True)]


def test_overdue_false_lists_the_others(setup):
    overdue_setup(setup)
    results = setup.client.get(f"{TASKS}?overdue=false").json()["results"]
    assert sorted(t["title"] for t in results) == ["Done late", "Due today", "Undated"]
    assert not any(t["overdue"] for t in results)


def test_tasks_filter_by_plan_status_function_owner_product_and_portfolio(setup):
    plan, other = setup.plan(), setup.plan(name="Other", product=ProductFactory(portfolio=setup.portfolio))
    mine = setup.task(plan, title="Mine", function="legal", owner=setup.manager, status="doing")
    setup.task(other, title="Theirs")

    def titles(query):
        response = setup.client.get(f"{TASKS}?{query}")
        assert response.status_code == 200, response.content
        return [t["title"] for t in response.json()["results"]]

    assert titles(f"launch_plan={plan.id}") == ["Mine"]
    assert titles("status=doing") == titles("function=legal") == titles(f"owner={setup.manager.username}") == ["Mine"]
    assert titles(f"product={setup.product.id}") == ["Mine"]
    assert sorted(titles(f"portfolio={setup.portfolio.id}")) == ["Mine", "Theirs"]
    assert mine.id


@pytest.mark.parametrize("query", ["overdue=maybe", "overdue=", "status=finished", "function=finance"])
def test_a_bad_task_filter_is_a_400(setup, query):
    assert setup.client.get(f"{TASKS}?{query}").status_code == 400


def test_the_csv_lists_every_matching_task_with_a_marketers_columns(setup):
    late = overdue_setup(setup)
    setup.task(setup.plan(name="Other"), title="=HYPERLINK()", owner=setup.manager)
    response = setup.client.get(f"{TASKS}?format=csv&page_size=1")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="launch-tasks.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "id", "product", "launch_plan_id", "launch_plan", "launch_date", "title", "function", "owner", "due_date",
        "status", "blocked_reason", "required", "overdue",
    ]  # fmt: skip
    assert len(rows) == 5
    row = next(r for r in rows if r["id"] == str(late.id))
    assert (row["product"], row["launch_plan"], row["title"], row["overdue"], row["required"]) == (
        "Nebula",
        "Nova launch",
        "Late",
        "yes",
        "yes",
    )
    injected = next(r for r in rows if r["owner"])
    assert injected["title"] == "'=HYPERLINK()" and injected["owner"] == setup.manager.username


def test_the_csv_follows_the_filters(setup):
    late = overdue_setup(setup)
    text = b"".join(setup.client.get(f"{TASKS}?format=csv&overdue=true").streaming_content).decode("utf-8-sig")
    assert [r["id"] for r in csv.DictReader(io.StringIO(text))] == [str(late.id)]


def test_the_csv_refuses_a_bad_page_size_as_the_json_list_does(setup):
    assert setup.client.get(f"{TASKS}?format=csv&page_size=-3").status_code == 400


def test_csv_of_one_task_is_a_404(setup):
    task = setup.task(setup.plan())
    assert setup.client.get(f"{TASKS}{task.id}/?format=csv").status_code == 404


# --- absurd input --------------------------------------------------------------------------------------

NUMBERS = {"1e9999": "1e9999", "-1e9999": "-1e9999", "2**70": str(2**70)}
AS_TEXT = {"nul": '"a\\u0000b"', "lone surrogate": '"\\ud800"'}
SHAPES = {"list": "[1]", "object": "{}"}
NOT_IDS = {"true": "true", "1.5": "1.5", "0": "0", **NUMBERS, **AS_TEXT, **SHAPES}
NOT_DATES = {"0001-01-01": '"0001-01-01"', "9999-12-31": '"9999-12-31"', "2026-02-30": '"2026-02-30"', **AS_TEXT}
NOT_TEXT = {"201 chars": json.dumps("x" * 201), "number": "1", **AS_TEXT, **SHAPES}
NOT_REASONS = {**{k: v for k, v in NOT_TEXT.items() if k != "201 chars"}, "5001 chars": json.dumps("x" * 5001)}
NOT_CHOICES = {"unknown": '"finance"', "number": "7", **AS_TEXT, **SHAPES}
NOT_TASK_LISTS = {
    "text": '"Brief the press"',
    "object": '{"title": "x"}',
    "offset 400": '[{"title": "x", "function": "sales", "offset_days": 400}]',
    "offset 1e9999": '[{"title": "x", "function": "sales", "offset_days": 1e9999}]',
    "201-char title": json.dumps([{"title": "x" * 201, "function": "sales"}]),
    "nul title": '[{"title": "a\\u0000b", "function": "sales"}]',
    "surrogate title": '[{"title": "\\ud800", "function": "sales"}]',
    "unknown function": '[{"title": "x", "function": "finance"}]',
    "201 tasks": json.dumps([{"title": "x", "function": "sales"}] * 201),
}


class World:
    def __init__(self, setup):
        self.setup = setup
        self.template = setup.template()
        self.plan = setup.plan()
        self.task = setup.task(self.plan)

    def operations(self):
        """(method, url, a valid body, {field: {name: raw JSON}})."""
        s = self.setup
        plan_fields = {
            "product": NOT_IDS,
            "release": NOT_IDS,
            "launch_date": {**NOT_DATES, "null": "null"},
            "name": NOT_TEXT,
            "tier": {"4": "4", "0": "0", "true": "true", **AS_TEXT, **SHAPES},
            "owner": NOT_TEXT,
        }
        task_fields = {
            "launch_plan": NOT_IDS,
            "title": NOT_TEXT,
            "function": NOT_CHOICES,
            "status": NOT_CHOICES,
            "due_date": NOT_DATES,
            "required": {"text": '"maybe"', **SHAPES},
            "blocked_reason": NOT_REASONS,
        }
        template_fields = {"portfolio": NOT_IDS, "name": NOT_TEXT, "tier": {"4": "4"}, "tasks": NOT_TASK_LISTS}
        plan_body = {"product": s.product.id, "name": "N", "launch_date": "2026-06-15"}
        return [
            ("POST", TEMPLATES, {"portfolio": s.portfolio.id, "name": "New"}, template_fields),
            ("PATCH", f"{TEMPLATES}{self.template.id}/", {"name": "New"}, template_fields),
            ("POST", PLANS, plan_body, {**plan_fields, "template": NOT_IDS}),
            ("PATCH", f"{PLANS}{self.plan.id}/", {"name": "N"}, plan_fields),
            (
                "POST",
                f"{PLANS}{self.plan.id}/launch/",
                {"override": True, "reason": "Now"},
                {"override": {"text": '"maybe"', **SHAPES}, "reason": NOT_REASONS},
            ),
            ("POST", f"{PLANS}{self.plan.id}/cancel/", {"reason": "Slipped"}, {"reason": NOT_REASONS}),
            ("POST", TASKS, {"launch_plan": self.plan.id, "title": "T", "function": "sales"}, task_fields),
            ("PATCH", f"{TASKS}{self.task.id}/", {"title": "T"}, task_fields),
        ]


def raw_body(base: dict, field: str, raw: str) -> bytes:
    return json.dumps({**base, field: "__VALUE__"}).replace('"__VALUE__"', raw).encode("utf-8")


def test_absurd_values_in_every_launch_write_are_a_400_on_the_field_and_write_nothing(setup):
    world = World(setup)
    setup.client.force_authenticate(member(setup.portfolio, "admin"))
    setup.client.raise_request_exception = False  # a 500 is a finding, listed with the others
    problems = []
    for method, url, base, fields in world.operations():
        for field, values in fields.items():
            for name, raw in values.items():
                before = written()
                response = setup.client.generic(method, url, raw_body(base, field, raw), "application/json")
                where = f"{method} {url} {field} = {name}: {response.status_code}"
                if response.status_code != 400:
                    problems.append(f"{where} {response.content[:160]!r}")
                    continue
                payload = response.json()
                if field not in payload and "JSON parse error" not in str(payload.get("detail", "")):
                    problems.append(f"{where} without a message for the field: {payload}")
                if written() != before:
                    problems.append(f"{where} but something was written")
    assert problems == []


def test_a_bad_template_task_names_its_row(setup):
    tasks = [{"title": "fine", "function": "sales"}, {"title": "x", "function": "sales", "offset_days": 400}]
    response = post(setup.client, TEMPLATES, {"portfolio": setup.portfolio.id, "name": "T", "tasks": tasks})
    assert response.status_code == 400
    assert response.json()["tasks"] == ["Task 2: offset_days: from -365 to 365 days"]


# --- another portfolio, conditional writes -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["template", "plan", "task"])
def test_another_portfolios_objects_are_404_to_read_and_write(setup, kind):
    foreign_plan = LaunchPlanFactory(name="Secret launch")
    objects = {
        "template": (TEMPLATES, setup.template(portfolio=foreign_plan.product.portfolio, name="Secret").id),
        "plan": (PLANS, foreign_plan.id),
        "task": (TASKS, LaunchTaskFactory(launch_plan=foreign_plan, title="Secret task").id),
    }
    url, pk = objects[kind]
    before = written()
    assert setup.client.get(f"{url}{pk}/").status_code == 404
    assert patch(setup.client, f"{url}{pk}/", {"name": "Mine", "title": "Mine"}).status_code == 404
    assert setup.client.delete(f"{url}{pk}/").status_code == 404
    assert "Secret" not in setup.client.get(url).content.decode()
    assert written() == before


@pytest.mark.parametrize("kind", ["template", "plan", "task"])
def test_a_stale_if_match_is_a_412_and_writes_nothing(setup, kind):
    plan = setup.plan()
    url = {
        "template": f"{TEMPLATES}{setup.template().id}/",
        "plan": f"{PLANS}{plan.id}/",
        "task": f"{TASKS}{setup.task(plan).id}/",
    }[kind]
    change = {"template": {"name": "A"}, "plan": {"name": "A"}, "task": {"title": "A"}}[kind]
    later = {"template": {"name": "B"}, "plan": {"name": "B"}, "task": {"title": "B"}}[kind]
    etag = setup.client.get(url).headers["ETag"]
    response = patch(setup.client, url, change, **{"If-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] == setup.client.get(url).headers["ETag"]
    before = written()
    assert patch(setup.client, url, later, **{"If-Match": etag}).status_code == 412
    assert setup.client.delete(url, headers={"If-Match": etag}).status_code == 412
    assert written() == before


def test_ticking_a_task_changes_its_plans_etag(setup):
    plan = setup.plan()
    task = setup.task(plan)
    etag = setup.client.get(f"{PLANS}{plan.id}/").headers["ETag"]
    patch(setup.client, f"{TASKS}{task.id}/", {"status": "done"})
    assert patch(setup.client, f"{PLANS}{plan.id}/", {"name": "X"}, **{"If-Match": etag}).status_code == 412


def test_deleting_a_plan_deletes_its_tasks(setup):
    plan = setup.plan()
    setup.task(plan)
    assert setup.client.delete(f"{PLANS}{plan.id}/").status_code == 204
    assert not LaunchTask.objects.exists()
    assert DomainEvent.objects.get(verb="launch_plan.deleted").data == {"product": setup.product.id, "tasks": 1}


def test_deleting_a_required_open_task_makes_the_plan_ready(setup):
    plan = setup.plan()
    task = setup.task(plan)
    assert setup.client.delete(f"{TASKS}{task.id}/").status_code == 204
    assert setup.client.get(f"{PLANS}{plan.id}/").json()["status"] == "ready"


# --- query counts --------------------------------------------------------------------------------------


def fill(setup, plans: int):
    start = LaunchPlan.objects.count()
    for n in range(start, start + plans):
        release = release_create(product=setup.product, version=f"{n}.0")
        plan = setup.plan(name=f"Plan {n}", owner=setup.manager, release=release)
        setup.task(plan, title=f"Task {n}", owner=setup.manager, due_date=datetime.date(2026, 5, 1))
        setup.task(plan, title=f"Done {n}", status="done")


def queries(setup, url, django_assert_max_num_queries) -> int:
    from django.test.utils import CaptureQueriesContext

    fresh = type(setup.manager).objects.get(pk=setup.manager.pk)  # no roles cached from an earlier request
    setup.client.force_authenticate(fresh)
    with CaptureQueriesContext(connection) as captured:
        response = setup.client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "url", [PLANS, f"{PLANS}?ordering=-readiness", TASKS, f"{TASKS}?overdue=true", f"{TASKS}?format=csv", TEMPLATES]
)
def test_list_query_counts_do_not_grow_with_the_list(setup, url, django_assert_max_num_queries):
    fill(setup, 3)
    for n in range(3):
        setup.template(name=f"Template {n}")
    few = queries(setup, url, django_assert_max_num_queries)
    fill(setup, 27)
    for n in range(3, 30):
        setup.template(name=f"Template {n}")
    assert queries(setup, url, django_assert_max_num_queries) == few
    with django_assert_max_num_queries(6):
        setup.client.get(url)


# --- two launches at once (PostgreSQL) -----------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_launches_at_once_one_launches_and_the_other_is_a_409(attempt):
    from rest_framework.test import APIClient

    product = ProductFactory()
    manager = member(product.portfolio, "product_manager")
    plan = services.launch_plan_create(product=product, name="Race", launch_date=datetime.date(2026, 6, 15))
    barrier, statuses = threading.Barrier(2), []

    def launch_now():
        try:
            client = APIClient()
            client.force_authenticate(manager)
            barrier.wait(timeout=10)
            statuses.append(client.post(f"{PLANS}{plan.id}/launch/", {}, format="json").status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            statuses.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=launch_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses, key=str) == [200, 409]
    assert DomainEvent.objects.filter(verb="launch_plan.launched", object_id=plan.id).count() == 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_task_writes_and_a_launch_date_move_at_once_never_deadlock(attempt):
    """A task's PATCH locks the task for its If-Match check, a launch date move holds the plan and
    rewrites its tasks' due dates: unless the task's write takes the plan first, each waits for the
    other's lock and PostgreSQL kills one (a 500)."""
    from rest_framework.test import APIClient

    product = ProductFactory()
    manager = member(product.portfolio, "marketer")
    plan = services.launch_plan_create(product=product, name="Race", launch_date=datetime.date(2027, 6, 15))
    tasks = [
        services.launch_task_create(
            launch_plan=plan, title=f"t{n}", function="sales", due_date=datetime.date(2027, 6, n + 1)
        )
        for n in range(4)
    ]
    calls = [
        lambda: ("patch", f"{PLANS}{plan.id}/", {"launch_date": "2027-07-15"}),
        lambda: ("patch", f"{TASKS}{tasks[0].id}/", {"status": "done"}),
        lambda: ("patch", f"{TASKS}{tasks[2].id}/", {"title": "renamed"}),
        lambda: ("delete", f"{TASKS}{tasks[3].id}/", None),
    ]
    barrier, statuses = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        try:
            client = APIClient()
            client.force_authenticate(manager)
            method, url, body = call()
            barrier.wait(timeout=10)
            response = getattr(client, method)(url, body, format="json") if body else client.delete(url)
            statuses[index] = response.status_code
        except BaseException as exc:  # noqa: BLE001 - reported below
            statuses[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200, 200, 204]
    assert LaunchPlan.objects.get(pk=plan.pk).status == "planning"
