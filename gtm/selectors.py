"""Read queries of go-to-market worth naming, each with its joins and counts."""

import datetime

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from gtm.models import LaunchPlan, LaunchTask, LaunchTemplate
from pmflow.access import READ, WRITE, object_for_user, queryset_for_user
from roadmap.page_tools import today_in  # noqa: F401  (one portfolio's today for every app's pages)


def _action(write: bool, action: str | None) -> str:
    return action or (WRITE if write else READ)


def with_readiness(queryset: QuerySet) -> QuerySet:
    """Plans with `required_total`, `required_done`, `task_total`, `task_done` and `readiness`: required
    tasks done ÷ required, in whole percent rounded down (so 100 means every one is done), 100 with none."""
    required = Q(tasks__required=True)
    return queryset.annotate(
        required_total=Count("tasks", filter=required),
        required_done=Count("tasks", filter=required & Q(tasks__status=LaunchTask.Status.DONE)),
        task_total=Count("tasks"),
        task_done=Count("tasks", filter=Q(tasks__status=LaunchTask.Status.DONE)),
    ).annotate(
        readiness=Case(
            When(required_total=0, then=Value(100)),
            default=Cast(F("required_done") * 100, IntegerField()) / F("required_total"),
            output_field=IntegerField(),
        )
    )


def launch_plans(queryset: QuerySet | None = None) -> QuerySet:
    """Plans with readiness, product, release and owner joined."""
    queryset = LaunchPlan.objects.all() if queryset is None else queryset
    return with_readiness(queryset.select_related("product", "product__portfolio", "release", "owner")).order_by(
        "launch_date", "id"
    )


def launch_plan_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, launch_plans())


def launch_plan_for_user(user, plan_id, *, write: bool = False, action: str | None = None) -> LaunchPlan:
    return object_for_user(user, launch_plans(), plan_id, action=_action(write, action))


def overdue_q(portfolios, *, prefix: str = "") -> Q:
    """Tasks past their due date and not done, each judged on its portfolio's today (`prefix`: the path
    from the queried model to the task, e.g. "tasks__")."""
    condition = Q(pk__in=[])
    for portfolio in portfolios:
        condition |= Q(
            **{
                f"{prefix}launch_plan__product__portfolio": portfolio.id,
                f"{prefix}due_date__lt": today_in(portfolio),
            }
        )
    return condition & ~Q(**{f"{prefix}status": LaunchTask.Status.DONE})


def is_overdue(task: LaunchTask, today: datetime.date) -> bool:
    return bool(task.due_date and task.due_date < today and task.status != LaunchTask.Status.DONE)


def launch_tasks(queryset: QuerySet | None = None) -> QuerySet:
    queryset = LaunchTask.objects.all() if queryset is None else queryset
    return queryset.select_related("launch_plan", "launch_plan__product__portfolio", "owner").order_by(
        "launch_plan_id", "position", "id"
    )


def launch_task_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, launch_tasks())


def launch_task_for_user(user, task_id, *, write: bool = False, action: str | None = None) -> LaunchTask:
    return object_for_user(user, launch_tasks(), task_id, action=_action(write, action))


def launch_templates(queryset: QuerySet | None = None) -> QuerySet:
    """Templates with their tasks prefetched (one query for the tasks of a whole page)."""
    queryset = LaunchTemplate.objects.all() if queryset is None else queryset
    return queryset.prefetch_related("tasks").order_by("portfolio_id", "tier", "name", "id")


def launch_template_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, launch_templates())


def launch_template_for_user(user, template_id, *, write: bool = False) -> LaunchTemplate:
    return object_for_user(user, launch_templates(), template_id, action=_action(write, None))
