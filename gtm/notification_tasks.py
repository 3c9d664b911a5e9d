"""Launch tasks due and overdue, as notifications (issue 13); run hourly by beat (gtm.tasks).

Each portfolio's day is its own time zone's: a task is *due* on the day before its due date and on the
day itself, *overdue* from the day after, while it is not done and its plan is not cancelled. The task's
owner hears of it, else the plan's owner (only a member of the portfolio; a task with neither tells
nobody: the launch board shows it). Notices are named so running the job again writes nothing new:

- due: one per task and local day (`task_due:<task>:<day>`), so two reminders at most: the day before
  and the day itself;
- overdue: one per task and due date (`task_overdue:<task>:<due date>`): told once, not every day; a
  new due date that is missed again is told again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from gtm.models import LaunchPlan, LaunchTask
from products.models import Notification
from products.services.notifications import notify

# An overdue task is looked for this long after its due date (the job runs hourly: a longer outage than
# this is a lost reminder, not a lost task: the launch board shows it overdue).
OVERDUE_LOOKBACK = timedelta(days=30)


def _recipient(task: LaunchTask) -> int | None:
    return task.owner_id or task.launch_plan.owner_id


def _tasks_around(day_min: date, day_max: date):
    return (
        LaunchTask.objects.exclude(status=LaunchTask.Status.DONE)
        .exclude(launch_plan__status=LaunchPlan.Status.CANCELLED)
        .filter(due_date__gte=day_min - OVERDUE_LOOKBACK, due_date__lte=day_max + timedelta(days=1))
        .filter(Q(owner__isnull=False) | Q(launch_plan__owner__isnull=False))
        .select_related("launch_plan__product__portfolio")
        .order_by("due_date", "id")
    )


def launch_task_reminders_send(*, now: datetime | None = None) -> int:
    """Write the due and overdue notices of every portfolio's launch tasks for its local today. Safe to
    run any number of times a day. Returns how many notifications were written."""
    now = now or timezone.now()
    # Today differs by a day at most across time zones: one query for all portfolios, sorted out below.
    utc_today = now.astimezone(UTC).date()
    written = 0
    for task in _tasks_around(utc_today - timedelta(days=1), utc_today + timedelta(days=1)).iterator(chunk_size=500):
        plan = task.launch_plan
        portfolio = plan.product.portfolio
        today = now.astimezone(portfolio.zone).date()
        recipient = _recipient(task)
        url = reverse("launch-plan-page", args=[plan.id]) + f"#task-{task.id}"
        where = f"{plan.name} ({plan.product.name})"
        if task.due_date < today:
            days = (today - task.due_date).days
            written += notify(
                portfolio_id=portfolio.id,
                kind=Notification.Kind.TASK_OVERDUE,
                title=f"Overdue: “{task.title}” was due {task.due_date:%a %-d %b}",
                body=f"{where}: {days} day{'s' if days != 1 else ''} late, still {task.get_status_display().lower()}.",
                url=url,
                users=[recipient],
                dedupe_key=f"task_overdue:{task.id}:{task.due_date.isoformat()}",
            )
        elif task.due_date <= today + timedelta(days=1):
            when = "today" if task.due_date == today else "tomorrow"
            written += notify(
                portfolio_id=portfolio.id,
                kind=Notification.Kind.TASK_DUE,
                title=f"Due {when}: “{task.title}”",
                body=f"{where}: due {task.due_date:%a %-d %b}, {task.get_status_display().lower()}.",
                url=url,
                users=[recipient],
                dedupe_key=f"task_due:{task.id}:{today.isoformat()}",
            )
    return written
