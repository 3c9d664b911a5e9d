"""gtm.services.launches and gtm.selectors: readiness, a plan's status following its required tasks,
launching (refused with the open required tasks, overridden with a reason), cancelling, templates with
relative due dates, moving the launch date, blocked tasks and overdue tasks."""

import datetime

import pytest

from gtm import selectors
from gtm.models import LaunchPlan, LaunchTask, LaunchTemplate
from gtm.services import launches as services
from pmflow.errors import InvalidInput, NotAllowed
from products.models import DomainEvent
from tests.factories import (
    LaunchPlanFactory,
    LaunchTaskFactory,
    PortfolioFactory,
    ProductFactory,
    member,
)

pytestmark = pytest.mark.django_db

LAUNCH_DAY = datetime.date(2026, 6, 15)


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(timezone="Europe/Berlin"))


def plan_of(product, **fields):
    fields = {"name": "Nova launch", "launch_date": LAUNCH_DAY, **fields}
    return services.launch_plan_create(product=product, **fields)


def add(plan, title="Task", **fields):
    return services.launch_task_create(
        launch_plan=plan, title=title, function=fields.pop("function", "sales"), **fields
    )


def tick(task, status="done", **fields):
    return services.launch_task_update(task_id=task.id, status=status, **fields)


def read(plan):
    """The plan as the lists read it: status from the row, readiness from the query."""
    return selectors.launch_plans().get(pk=plan.pk)


def written():
    return (
        list(LaunchPlan.objects.order_by("id").values()),
        list(LaunchTask.objects.order_by("id").values()),
        DomainEvent.objects.count(),
    )


# --- readiness ---------------------------------------------------------------------------------------


def test_a_plan_without_tasks_is_100_and_ready(product):
    plan = read(plan_of(product))
    assert (plan.readiness, plan.status) == (100, "ready")


def test_one_of_three_required_done_is_33(product):
    plan = plan_of(product)
    first = add(plan, "a")
    add(plan, "b")
    add(plan, "c")
    tick(first)
    assert read(plan).readiness == 33


def test_optional_tasks_do_not_count(product):
    plan = plan_of(product)
    tick(add(plan, "required"))
    add(plan, "optional, open", required=False)
    plan = read(plan)
    assert (plan.readiness, plan.status) == (100, "ready")


def test_readiness_rounds_down_so_199_of_200_is_99_and_not_ready(product):
    plan = plan_of(product)
    LaunchTask.objects.bulk_create(
        LaunchTask(launch_plan=plan, title=f"t{n}", function="sales", status="done" if n else "todo", position=n)
        for n in range(200)
    )
    services.launch_plan_sync_status(LaunchPlan.objects.select_related("product").get(pk=plan.pk))
    plan = read(plan)
    assert (plan.required_done, plan.required_total, plan.readiness, plan.status) == (199, 200, 99, "planning")


# --- status follows the ticks --------------------------------------------------------------------------


def test_the_plan_is_ready_exactly_when_the_last_required_task_is_done(product):
    plan = plan_of(product)
    first, second = add(plan, "a"), add(plan, "b")
    tick(first)
    assert read(plan).status == "planning"
    tick(second)
    assert (read(plan).readiness, read(plan).status) == (100, "ready")


def test_reopening_a_required_task_puts_the_plan_back_to_planning(product):
    plan = plan_of(product)
    task = add(plan)
    tick(task)
    assert read(plan).status == "ready"
    tick(task, "doing")
    assert read(plan).status == "planning"
    assert DomainEvent.objects.filter(verb="launch_plan.status_changed", object_id=plan.id).count() == 3


def test_adding_a_required_task_to_a_ready_plan_puts_it_back_to_planning(product):
    plan = plan_of(product)
    assert read(plan).status == "ready"
    add(plan)
    assert read(plan).status == "planning"


def test_adding_an_optional_task_keeps_the_plan_ready(product):
    plan = plan_of(product)
    add(plan, required=False)
    assert read(plan).status == "ready"


def test_deleting_the_last_open_required_task_makes_the_plan_ready(product):
    plan = plan_of(product)
    task = add(plan)
    services.launch_task_delete(task_id=task.id)
    assert read(plan).status == "ready"


# --- launch ------------------------------------------------------------------------------------------


def test_a_launch_with_open_required_tasks_is_refused_with_them_listed_and_nothing_changed(product):
    plan = plan_of(product)
    open_task = add(plan, "Brief sales", function="sales")
    tick(add(plan, "Done already"))
    add(plan, "Optional", required=False)
    before = written()
    with pytest.raises(services.PlanHasOpenTasks) as refused:
        services.launch_plan_launch(plan_id=plan.id, actor=member(product.portfolio, "product_manager"))
    assert refused.value.status == 409 and refused.value.code == "open_tasks"
    assert refused.value.details["open_tasks"] == [
        {"id": open_task.id, "title": "Brief sales", "function": "sales", "status": "todo"}
    ]
    assert written() == before


def test_a_ready_plan_launches(product):
    plan = plan_of(product)
    tick(add(plan))
    manager = member(product.portfolio, "marketer")
    launched = services.launch_plan_launch(plan_id=plan.id, actor=manager)
    assert (launched.status, launched.launched_by, launched.launch_reason) == ("launched", manager, "")
    assert launched.launched_at is not None


def test_an_override_by_a_manager_launches_and_keeps_the_reason(product):
    plan = plan_of(product)
    add(plan)
    manager = member(product.portfolio, "product_manager")
    services.launch_plan_launch(plan_id=plan.id, actor=manager, override=True, reason="Press embargo lifts today")
    plan.refresh_from_db()
    assert (plan.status, plan.launch_reason) == ("launched", "Press embargo lifts today")


def test_the_launched_event_carries_the_override_reason(product):
    plan = plan_of(product)
    task = add(plan)
    services.launch_plan_launch(
        plan_id=plan.id, actor=member(product.portfolio, "admin"), override=True, reason="Board decision"
    )
    event = DomainEvent.objects.get(verb="launch_plan.launched")
    assert event.data["override"] is True and event.data["reason"] == "Board decision"
    assert event.data["product"] == product.id and event.data["open_tasks"][0]["id"] == task.id
    assert event.changes["status"] == ["planning", "launched"]


def test_an_override_by_a_marketer_is_not_allowed(product):
    plan = plan_of(product)
    add(plan)
    before = written()
    with pytest.raises(NotAllowed):
        services.launch_plan_launch(
            plan_id=plan.id, actor=member(product.portfolio, "marketer"), override=True, reason="Marketing wants it"
        )
    assert written() == before


def test_a_marketers_override_without_a_reason_is_a_403_not_a_400(product):
    plan = plan_of(product)
    with pytest.raises(NotAllowed):
        services.launch_plan_launch(plan_id=plan.id, actor=member(product.portfolio, "marketer"), override=True)


def test_an_override_without_a_reason_is_refused_on_reason(product):
    plan = plan_of(product)
    add(plan)
    with pytest.raises(InvalidInput) as refused:
        services.launch_plan_launch(
            plan_id=plan.id, actor=member(product.portfolio, "admin"), override=True, reason="   "
        )
    assert "reason" in refused.value.fields
    assert read(plan).status == "planning"


def test_launching_twice_is_a_conflict(product):
    plan = plan_of(product)
    services.launch_plan_launch(plan_id=plan.id)
    before = written()
    with pytest.raises(services.PlanClosed) as refused:
        services.launch_plan_launch(plan_id=plan.id)
    assert refused.value.status == 409
    assert written() == before


def test_a_cancelled_plan_cannot_launch(product):
    plan = plan_of(product)
    services.launch_plan_cancel(plan_id=plan.id, reason="Release slipped a quarter")
    with pytest.raises(services.PlanClosed):
        services.launch_plan_launch(plan_id=plan.id)


def test_a_launched_plan_keeps_its_status_when_a_task_reopens(product):
    plan = plan_of(product)
    task = add(plan)
    tick(task)
    services.launch_plan_launch(plan_id=plan.id)
    tick(task, "todo")
    assert read(plan).status == "launched"


# --- cancel ------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason(product):
    plan = plan_of(product)
    with pytest.raises(InvalidInput) as refused:
        services.launch_plan_cancel(plan_id=plan.id, reason="")
    assert "reason" in refused.value.fields
    assert read(plan).status == "ready"


def test_cancel_keeps_the_reason(product):
    plan = services.launch_plan_cancel(plan_id=plan_of(product).id, reason="Release slipped a quarter")
    assert (plan.status, plan.cancel_reason) == ("cancelled", "Release slipped a quarter")
    assert plan.cancelled_at is not None


def test_cancelling_twice_is_a_conflict(product):
    plan = plan_of(product)
    services.launch_plan_cancel(plan_id=plan.id, reason="Slipped")
    with pytest.raises(services.PlanClosed):
        services.launch_plan_cancel(plan_id=plan.id, reason="Again")


# --- templates ---------------------------------------------------------------------------------------


def template_of(portfolio, **fields):
    tasks = [
        {"title": "Brief the press", "function": "marketing", "offset_days": -14},
        {"title": "Launch day post", "function": "marketing", "offset_days": 0},
        {"title": "Win/loss review", "function": "sales", "offset_days": 7, "required": False},
    ]
    return services.launch_template_create(portfolio=portfolio, name="Tier one", tier=1, tasks=tasks, **fields)


def test_a_plan_from_a_template_gets_its_tasks_due_relative_to_launch_day(product):
    plan = plan_of(product, template=template_of(product.portfolio))
    tasks = list(plan.tasks.order_by("position").values_list("title", "due_date", "required", "position"))
    assert tasks == [
        ("Brief the press", datetime.date(2026, 6, 1), True, 0),
        ("Launch day post", datetime.date(2026, 6, 15), True, 1),
        ("Win/loss review", datetime.date(2026, 6, 22), False, 2),
    ]
    assert read(plan).status == "planning"


def test_a_plan_from_a_template_takes_its_tier_unless_given(product):
    template = template_of(product.portfolio)
    assert plan_of(product, template=template).tier == 1
    assert plan_of(product, template=template, tier=3, name="Minor").tier == 3


def test_a_template_of_another_portfolio_is_refused_on_template(product):
    foreign = template_of(PortfolioFactory())
    with pytest.raises(InvalidInput) as refused:
        plan_of(product, template=foreign)
    assert "template" in refused.value.fields
    assert not LaunchPlan.objects.exists()


def test_a_template_task_due_outside_the_planning_years_has_no_due_date(product):
    template = template_of(product.portfolio)
    plan = plan_of(product, template=template, launch_date=datetime.date(2200, 12, 25))
    assert plan.tasks.get(title="Win/loss review").due_date is None


def test_changing_a_template_leaves_plans_made_from_it_alone(product):
    template = template_of(product.portfolio)
    plan = plan_of(product, template=template)
    services.launch_template_update(template_id=template.id, tasks=[{"title": "Only", "function": "legal"}])
    assert list(template.tasks.values_list("title", flat=True)) == ["Only"]
    assert plan.tasks.count() == 3


@pytest.mark.parametrize(
    "tasks, message",
    [
        ("Brief the press", "A list of tasks."),
        ({"title": "x"}, "A list of tasks."),
        ([{"title": "x", "function": "marketing", "offset_days": 400}], "offset_days: from -365 to 365 days"),
        ([{"title": "x", "function": "marketing", "offset_days": 1.5}], "offset_days: a whole number of days"),
        ([{"title": "x", "function": "marketing", "offset_days": True}], "offset_days: a whole number of days"),
        ([{"title": "x" * 201, "function": "marketing"}], "title: At most 200 characters."),
        ([{"title": "a\x00b", "function": "marketing"}], "title: Text without NUL characters."),
        ([{"title": "\ud800", "function": "marketing"}], "title: text without lone surrogates"),
        ([{"title": "x", "function": "finance"}], "function: Use one of"),
        ([{"title": "x", "function": "sales", "required": "yes"}], "required: true or false"),
        ([{"title": "x", "function": "sales", "owner": "ann"}], "unknown field(s) owner"),
        (["x"], "an object with title"),
    ],
)
def test_bad_template_tasks_are_refused_naming_the_row_and_nothing_is_written(product, tasks, message):
    with pytest.raises(InvalidInput) as refused:
        services.launch_template_create(portfolio=product.portfolio, name="Bad", tasks=tasks)
    problems = refused.value.fields["tasks"]
    assert message in (problems if isinstance(problems, str) else " ".join(problems))
    assert not LaunchTemplate.objects.exists()


def test_a_template_name_is_unique_in_its_portfolio(product):
    template_of(product.portfolio)
    with pytest.raises(InvalidInput) as refused:
        template_of(product.portfolio)
    assert "name" in refused.value.fields


# --- moving the launch date --------------------------------------------------------------------------


def test_moving_the_launch_date_moves_open_tasks_but_not_done_ones(product):
    plan = plan_of(product)
    open_task = add(plan, "open", due_date=datetime.date(2026, 6, 1))
    done_task = add(plan, "done", due_date=datetime.date(2026, 6, 2))
    undated = add(plan, "undated")
    tick(done_task)
    services.launch_plan_update(plan_id=plan.id, launch_date=datetime.date(2026, 7, 1))
    assert LaunchTask.objects.get(pk=open_task.pk).due_date == datetime.date(2026, 6, 17)
    assert LaunchTask.objects.get(pk=done_task.pk).due_date == datetime.date(2026, 6, 2)
    assert LaunchTask.objects.get(pk=undated.pk).due_date is None
    assert DomainEvent.objects.get(verb="launch_plan.tasks_moved").data == {"days": 16, "tasks": 1}


def test_a_launch_date_in_year_1_is_refused_on_launch_date(product):
    plan = plan_of(product)
    with pytest.raises(InvalidInput) as refused:
        services.launch_plan_update(plan_id=plan.id, launch_date=datetime.date(1, 1, 1))
    assert "launch_date" in refused.value.fields
    assert LaunchPlan.objects.get(pk=plan.pk).launch_date == LAUNCH_DAY


def test_a_release_of_another_product_is_refused_on_release(product):
    from roadmap.services import release_create

    release = release_create(product=ProductFactory(portfolio=product.portfolio), version="1.0")
    with pytest.raises(InvalidInput) as refused:
        plan_of(product, release=release)
    assert "release" in refused.value.fields


def test_an_owner_who_is_not_a_member_is_refused_on_owner(product):
    with pytest.raises(InvalidInput) as refused:
        plan_of(product, owner=member(PortfolioFactory(), "admin"))
    assert "owner" in refused.value.fields


# --- blocked tasks -----------------------------------------------------------------------------------


def test_blocked_needs_a_reason(product):
    task = add(plan_of(product))
    with pytest.raises(InvalidInput) as refused:
        tick(task, "blocked")
    assert "blocked_reason" in refused.value.fields
    assert LaunchTask.objects.get(pk=task.pk).status == "todo"


def test_leaving_blocked_clears_the_reason(product):
    task = add(plan_of(product))
    tick(task, "blocked", blocked_reason="Legal review pending")
    assert LaunchTask.objects.get(pk=task.pk).blocked_reason == "Legal review pending"
    tick(task, "doing")
    assert LaunchTask.objects.get(pk=task.pk).blocked_reason == ""


def test_a_reason_for_a_task_that_is_not_blocked_is_not_kept(product):
    task = add(plan_of(product))
    services.launch_task_update(task_id=task.id, blocked_reason="Not blocked at all")
    assert LaunchTask.objects.get(pk=task.pk).blocked_reason == ""


def test_done_at_is_set_on_done_and_cleared_on_reopen(product):
    task = add(plan_of(product))
    tick(task)
    assert LaunchTask.objects.get(pk=task.pk).done_at is not None
    tick(task, "todo")
    assert LaunchTask.objects.get(pk=task.pk).done_at is None


# --- overdue -----------------------------------------------------------------------------------------


def test_overdue_is_judged_on_each_portfolios_today():
    """Kiritimati (UTC+14) is always a day or two ahead of Pago Pago (UTC-11): a task due on Pago Pago's
    today is overdue in Kiritimati's portfolio and not in Pago Pago's."""
    ahead = ProductFactory(portfolio=PortfolioFactory(timezone="Pacific/Kiritimati"))
    behind = ProductFactory(portfolio=PortfolioFactory(timezone="Pacific/Pago_Pago"))
    day = selectors.today_in(behind.portfolio)
    late = LaunchTaskFactory(launch_plan=LaunchPlanFactory(product=ahead), due_date=day)
    LaunchTaskFactory(launch_plan=LaunchPlanFactory(product=behind), due_date=day)
    overdue = LaunchTask.objects.filter(selectors.overdue_q([ahead.portfolio, behind.portfolio]))
    assert list(overdue.values_list("pk", flat=True)) == [late.pk]


def test_a_done_task_past_its_due_date_is_not_overdue(product):
    plan = LaunchPlanFactory(product=product)
    past = selectors.today_in(product.portfolio) - datetime.timedelta(days=1)
    done = LaunchTaskFactory(launch_plan=plan, due_date=past, status="done")
    late = LaunchTaskFactory(launch_plan=plan, due_date=past)
    assert list(LaunchTask.objects.filter(selectors.overdue_q([product.portfolio])).values_list("pk", flat=True)) == [
        late.pk
    ]
    assert not selectors.is_overdue(done, selectors.today_in(product.portfolio))


def test_a_template_can_be_deleted_and_plans_keep_their_tasks(product):
    template = template_of(product.portfolio)
    plan = plan_of(product, template=template)
    assert services.launch_template_delete(template_id=template.id) == "Tier one"
    assert plan.tasks.count() == 3 and not LaunchTemplate.objects.exists()
