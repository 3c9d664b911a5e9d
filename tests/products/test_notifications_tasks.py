"""Launch tasks due and overdue (gtm.notification_tasks): each portfolio's day, the owner, once."""

import datetime

import pytest

from gtm.notification_tasks import launch_task_reminders_send
from gtm.tasks import launch_task_reminders
from products.models import Notification, Role
from tests.factories import LaunchPlanFactory, LaunchTaskFactory, PortfolioFactory, ProductFactory, UserFactory, member

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
# Noon UTC on 4 March 2026: already 5 March (01:00) in Auckland, still 4 March (04:00) in Los Angeles.
NOON = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)
MAR = {day: datetime.date(2026, 3, day) for day in range(1, 10)}


@pytest.fixture
def setup():
    def make(zone="UTC", *, owner=True, plan_owner=False, **task):
        portfolio = PortfolioFactory(timezone=zone)
        person = member(portfolio, Role.MARKETER)
        plan = LaunchPlanFactory(
            product=ProductFactory(portfolio=portfolio, name="Widget"),
            name="Spring launch",
            owner=person if plan_owner else None,
        )
        made = LaunchTaskFactory(launch_plan=plan, title="Brief the press", owner=person if owner else None, **task)
        return person, made

    return make


def _rows(user=None):
    rows = Notification.objects.order_by("id")
    return list(rows.filter(user=user) if user else rows)


@pytest.mark.parametrize(
    "due, kind, title",
    [
        (MAR[5], Kind.TASK_DUE, "Due tomorrow: “Brief the press”"),
        (MAR[4], Kind.TASK_DUE, "Due today: “Brief the press”"),
        (MAR[3], Kind.TASK_OVERDUE, "Overdue: “Brief the press” was due Tue 3 Mar"),
    ],
)
def test_the_owner_hears_of_a_task_due_or_overdue(setup, due, kind, title):
    person, task = setup(due_date=due)
    assert launch_task_reminders_send(now=NOON) == 1
    (row,) = _rows(person)
    assert (row.kind, row.title) == (kind, title)
    assert row.url == f"/launches/{task.launch_plan_id}/#task-{task.id}"
    assert "Spring launch (Widget)" in row.body


def test_a_task_due_in_two_days_waits(setup):
    setup(due_date=MAR[6])
    assert launch_task_reminders_send(now=NOON) == 0


def test_a_done_task_is_not_reminded(setup):
    setup(due_date=MAR[3], status="done")
    assert launch_task_reminders_send(now=NOON) == 0


def test_a_cancelled_plans_tasks_are_not_reminded(setup):
    _, task = setup(due_date=MAR[3])
    task.launch_plan.status = "cancelled"
    task.launch_plan.save(update_fields=["status"])
    assert launch_task_reminders_send(now=NOON) == 0


def test_the_day_is_the_portfolios(setup):
    auckland, _ = setup("Pacific/Auckland", due_date=MAR[5])
    los_angeles, _ = setup("America/Los_Angeles", due_date=MAR[5])
    launch_task_reminders_send(now=NOON)
    assert _rows(auckland)[0].title.startswith("Due today")
    assert _rows(los_angeles)[0].title.startswith("Due tomorrow")


def test_overdue_starts_at_local_midnight(setup):
    person, _ = setup("Pacific/Auckland", due_date=MAR[4])  # Auckland is UTC+13 in March
    launch_task_reminders_send(now=datetime.datetime(2026, 3, 4, 10, 59, tzinfo=datetime.UTC))  # 23:59 on the 4th
    assert [row.kind for row in _rows(person)] == [Kind.TASK_DUE]
    launch_task_reminders_send(now=datetime.datetime(2026, 3, 4, 11, 0, tzinfo=datetime.UTC))  # midnight
    assert [row.kind for row in _rows(person)] == [Kind.TASK_DUE, Kind.TASK_OVERDUE]


def test_running_again_the_same_day_writes_nothing(setup):
    setup(due_date=MAR[5])
    assert launch_task_reminders_send(now=NOON) == 1
    assert launch_task_reminders_send(now=NOON + datetime.timedelta(hours=3)) == 0
    assert len(_rows()) == 1


def test_due_tomorrow_then_due_today_is_two_reminders(setup):
    setup(due_date=MAR[5])
    launch_task_reminders_send(now=NOON)
    launch_task_reminders_send(now=NOON + datetime.timedelta(days=1))
    assert [row.title.split(":")[0] for row in _rows()] == ["Due tomorrow", "Due today"]


def test_overdue_is_told_once_not_every_day(setup):
    setup(due_date=MAR[3])
    for day in range(3):
        launch_task_reminders_send(now=NOON + datetime.timedelta(days=day))
    assert [row.kind for row in _rows()] == [Kind.TASK_OVERDUE]
    assert "1 day late" in _rows()[0].body


def test_a_new_due_date_missed_again_is_told_again(setup):
    _, task = setup(due_date=MAR[2])
    launch_task_reminders_send(now=NOON)
    task.due_date = MAR[3]
    task.save(update_fields=["due_date"])
    launch_task_reminders_send(now=NOON + datetime.timedelta(days=1))
    assert [row.kind for row in _rows()] == [Kind.TASK_OVERDUE, Kind.TASK_OVERDUE]


def test_without_a_task_owner_the_plan_owner_hears(setup):
    person, _ = setup(owner=False, plan_owner=True, due_date=MAR[4])
    launch_task_reminders_send(now=NOON)
    assert [row.user_id for row in _rows()] == [person.id]


def test_a_task_nobody_owns_tells_nobody(setup):
    setup(owner=False, due_date=MAR[4])
    assert launch_task_reminders_send(now=NOON) == 0


def test_an_owner_who_left_the_portfolio_is_not_told(setup):
    _, task = setup(due_date=MAR[4])
    task.owner = UserFactory()
    task.save(update_fields=["owner"])
    assert launch_task_reminders_send(now=NOON) == 0


def test_the_beat_task_runs_the_reminders(setup):
    setup(due_date=datetime.date.today() - datetime.timedelta(days=2))
    assert launch_task_reminders.delay().get() == 1
