"""Launch pages: the board of a portfolio's launches, a launch plan with its checklist, the plan and task
forms, the portfolio's open tasks and the checklist templates.

Every write goes through gtm.services.launches; a refusal (blocked without a reason, launching with open
required tasks, an override by a marketer, a closed plan) comes back on the page with its status, never
as a 500. A task's inline status change answers an htmx request with the live parts of the plan page
(checklist, readiness, launch card) and a plain POST with a redirect back to the task.
"""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, Value, When
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from gtm.budget import budget_chart
from gtm.exports import task_csv_lines
from gtm.launch_forms import (
    CancelForm,
    LaunchBoardFilter,
    LaunchForm,
    LaunchPlanCreateForm,
    LaunchPlanEditForm,
    LaunchTaskFilter,
    LaunchTaskForm,
    LaunchTemplateForm,
    TaskStatusForm,
    TemplateTaskFormSet,
)
from gtm.models import Function, LaunchPlan, LaunchTask, LaunchTemplate, LaunchTemplateTask, Messaging
from gtm.selectors import is_overdue, launch_plan_for_user, launch_plans, launch_task_for_user, today_in
from gtm.services import launches as services
from pmflow import access
from pmflow.errors import DomainError
from pmflow.forms import add_domain_error, save_with
from products import pages
from products.pages import page, portfolio_context
from products.selectors import object_history, portfolio_for_user, product_for_user
from roadmap.page_tools import product_list_url
from roadmap.release_forms import ProductPick

RECENT_DAYS = 90  # the board's "launched recently" and "cancelled" columns look this far back
TASKS_PER_PAGE = 100
OPEN = (LaunchPlan.Status.PLANNING, LaunchPlan.Status.READY)
NOT_DONE = (LaunchTask.Status.TODO, LaunchTask.Status.DOING, LaunchTask.Status.BLOCKED)
FUNCTION_LABELS = dict(Function.choices)
STATUS_LABELS = dict(LaunchTask.Status.choices)


def relative_day(day: datetime.date | None, today: datetime.date) -> str:
    """ "today", "tomorrow", "in 12 days", "yesterday", "3 days ago"."""
    if day is None:
        return ""
    n = (day - today).days
    if n == 0:
        return "today"
    if n == 1:
        return "tomorrow"
    if n == -1:
        return "yesterday"
    return f"in {n} days" if n > 0 else f"{-n} days ago"


def with_task_counts(queryset, today: datetime.date):
    """Plans with `overdue_count` (not done, due before `today`) and `blocked_count`, in the same query as
    their readiness (the joins are shared)."""
    return queryset.annotate(
        overdue_count=Count("tasks", filter=Q(tasks__due_date__lt=today, tasks__status__in=NOT_DONE)),
        blocked_count=Count("tasks", filter=Q(tasks__status=LaunchTask.Status.BLOCKED)),
    )


def recent_q() -> Q:
    """Open plans, and those launched or cancelled in the last RECENT_DAYS."""
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    return Q(status__in=OPEN) | Q(launched_at__gte=since) | Q(cancelled_at__gte=since)


def mark(plan: LaunchPlan, today: datetime.date) -> None:
    plan.when = relative_day(plan.launch_date, today)
    plan.date_passed = plan.is_open and plan.launch_date < today


def _board_url(portfolio_id: int, product_id: int | None = None) -> str:
    return product_list_url("launch-board", portfolio_id, product_id)


def _plan_url(plan, anchor: str = "") -> str:
    return reverse("launch-plan-page", args=[plan.id]) + (f"#{anchor}" if anchor else "")


# --- the board --------------------------------------------------------------------------------------

COLUMNS = [
    ("planning", "Planning", "Required tasks still open."),
    ("ready", "Ready", "Every required task done: ready to launch."),
    ("launched", "Launched recently", f"Launched in the last {RECENT_DAYS} days."),
    ("cancelled", "Cancelled", f"Cancelled in the last {RECENT_DAYS} days."),
]


@page
def launch_board(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = LaunchBoardFilter(request.GET or None, portfolio=portfolio)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    product, tier, owner, older = (wanted.get(k) for k in ("product", "tier", "owner", "older"))
    today = today_in(portfolio)
    queryset = LaunchPlan.objects.filter(product__portfolio=portfolio)
    if product:
        queryset = queryset.filter(product=product)
    if tier:
        queryset = queryset.filter(tier=tier)
    if owner:
        queryset = queryset.filter(owner=owner)
    if not older:
        queryset = queryset.filter(recent_q())
    plans = list(with_task_counts(launch_plans(queryset), today))
    for plan in plans:
        mark(plan, today)
    far_past = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    columns = []
    for status, label, note in COLUMNS:
        rows = [p for p in plans if p.status == status]
        if status == "launched":
            rows.sort(key=lambda p: (p.launched_at or far_past, p.id), reverse=True)
        elif status == "cancelled":
            rows.sort(key=lambda p: (p.cancelled_at or far_past, p.id), reverse=True)
        if older and status in ("launched", "cancelled"):
            label, note = label.replace(" recently", ""), "Newest first."
        columns.append({"status": status, "label": label, "note": note, "plans": rows})
    can_write = access.can(request.user, LaunchPlan, portfolio.id)
    crumbs = [("Launches", _board_url(portfolio.id) if product else None)]
    if product:
        crumbs.append((product.name, None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        tab="launches",
        view="board",
        model=LaunchPlan,
        product=product,
        filters=filters,
        filtered=bool(product or tier or owner or older),
        columns=columns,
        plan_total=len(plans),
        can_write=can_write,
        pick=ProductPick(portfolio=portfolio) if can_write and not product else None,
        recent_days=RECENT_DAYS,
    )
    return render(request, "gtm/launch_board.html", context)


# --- one plan ---------------------------------------------------------------------------------------


def _checklist(request, plan: LaunchPlan, *, failed: tuple | None = None) -> dict:
    """The live parts of the plan page: its tasks grouped by function, the open required ones and what the
    user may do. `failed`: (task id, bound TaskStatusForm) of a refused status change, shown on its row."""
    portfolio = plan.product.portfolio
    today = today_in(portfolio)
    tasks = list(plan.tasks.select_related("owner").order_by(F("due_date").asc(nulls_last=True), "position", "id"))
    for task in tasks:
        task.overdue = is_overdue(task, today)
        task.days_late = (today - task.due_date).days if task.overdue else 0
        task.when = relative_day(task.due_date, today)
        task.shown_status, task.shown_reason, task.status_errors = task.status, task.blocked_reason, []
        if failed and failed[0] == task.id:
            form = failed[1]
            task.shown_status = form.data.get("status", task.status)
            task.shown_reason = form.data.get("blocked_reason", "")
            task.status_errors = [e for errors in form.errors.values() for e in errors]
    groups = []
    for function, label in Function.choices:
        rows = [t for t in tasks if t.function == function]
        if rows:
            done = sum(1 for t in rows if t.status == LaunchTask.Status.DONE)
            groups.append({"function": function, "label": label, "tasks": rows, "done": done, "total": len(rows)})
    return {
        "plan": plan,
        "product": plan.product,
        "today": today,
        "groups": groups,
        "task_total": len(tasks),
        "open_required": [t for t in tasks if t.required and t.status != LaunchTask.Status.DONE],
        "statuses": LaunchTask.Status.choices,
        "can_tick": access.can(request.user, LaunchTask, portfolio.id),
        "can_launch": plan.is_open and access.can(request.user, LaunchPlan, portfolio.id, "launch"),
        "can_override": access.can(request.user, LaunchPlan, portfolio.id, "override"),
        "can_cancel": plan.is_open and access.can(request.user, LaunchPlan, portfolio.id, "cancel"),
        "launch_form": LaunchForm(),
    }


def _refused_rows(rows) -> list[dict]:
    return [
        {**row, "function_label": FUNCTION_LABELS.get(row["function"], row["function"]),
         "status_label": STATUS_LABELS.get(row["status"], row["status"])}
        for row in rows
    ]  # fmt: skip


def _plan_page(request, plan: LaunchPlan, *, failed=None, launch_form=None, refused=None, status: int = 200):
    portfolio = plan.product.portfolio
    today = today_in(portfolio)
    mark(plan, today)
    # The plan's own messaging first, else the product's (not tied to a launch); the newest version.
    messaging = (
        Messaging.objects.filter(Q(launch_plan=plan) | Q(product_id=plan.product_id, launch_plan__isnull=True))
        .annotate(own=Case(When(launch_plan=plan, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("own", "-version", "-id")
        .first()
    )
    campaigns = list(plan.campaigns.select_related("segment").order_by("start_date", "name", "id"))
    live = _checklist(request, plan, failed=failed)
    if launch_form is not None:
        live["launch_form"] = launch_form
    budget = sum((c.budget for c in campaigns), 0)
    spend = sum((c.spend for c in campaigns), 0)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Launches", _board_url(portfolio.id)),
            (plan.product.name, _board_url(portfolio.id, plan.product_id)),
            (plan.name, None),
        ],
        section="launches",
        tab="launches",
        model=LaunchPlan,
        can_write=access.can(request.user, LaunchPlan, portfolio.id),
        refused=_refused_rows(refused) if refused is not None else None,
        messaging=messaging,
        own_messaging=bool(messaging and messaging.launch_plan_id == plan.id),
        campaigns=campaigns,
        budget_total=budget,
        spend_total=spend,
        budget_chart=budget_chart(
            plan.campaigns.all(),
            group="campaign",
            title=f"Budget vs spend of {plan.name}'s campaigns",
            empty_text="No campaigns tied to this launch yet.",
        )
        if campaigns
        else None,
        assets=list(plan.assets.order_by("kind", "title", "id")),
        press_items=list(plan.press_items.select_related("owner")),
        panels=pages.panels_for(plan, request, slot="launch_plan.panels"),
        # The plan's changes and its tasks' (a task has no page of its own).
        history=object_history(
            "launch_plan",
            plan.id,
            limit=30,
            zone=portfolio.zone,
            children=("launch_task", plan.tasks.values("id")),  # a subquery: no query of its own
        ),
        **live,
    )
    return render(request, "gtm/launch_plan.html", context, status=status)


@page
def launch_plan_page(request, plan_id: int):
    return _plan_page(request, launch_plan_for_user(request.user, plan_id))


def _fresh(request, plan_id: int) -> LaunchPlan:
    """The plan with its readiness as it is now (after a write in this request)."""
    return launch_plan_for_user(request.user, plan_id)


@page
@require_POST
def launch_task_status(request, task_id: int):
    """A task's inline status change from the checklist: htmx gets the live parts of the page back (the
    checklist, the readiness bar, the launch card), a plain POST a redirect to the task."""
    task = launch_task_for_user(request.user, task_id, write=True)  # before the body is read
    plan = task.launch_plan
    was_ready = plan.status == LaunchPlan.Status.READY
    form = TaskStatusForm(request.POST)

    def write(data):
        fields = {"status": data["status"]}
        if data["status"] == LaunchTask.Status.BLOCKED:
            fields["blocked_reason"] = data["blocked_reason"]
        return services.launch_task_update(task_id=task.id, actor=request.user, **fields)

    saved = save_with(request, form, write)
    plan = _fresh(request, plan.id)
    if saved is None:
        if request.htmx:
            context = _checklist(request, plan, failed=(task.id, form))
            return render(request, "gtm/_launch_live.html", context, status=400)
        return _plan_page(request, plan, failed=(task.id, form), status=400)
    done = f"“{saved.title}” is now {saved.get_status_display().lower()}."
    if plan.status == LaunchPlan.Status.READY and not was_ready:
        done += f" Every required task is done: {plan.name} is ready to launch."
    elif was_ready and plan.status == LaunchPlan.Status.PLANNING:
        done += f" {plan.name} is no longer ready: a required task is open."
    if request.htmx:
        context = {**_checklist(request, plan), "announce": done}
        return render(request, "gtm/_launch_live.html", context)
    messages.success(request, done)
    return redirect(_plan_url(plan, f"task-{task.id}"))


@page
def launch_plan_launch(request, plan_id: int):
    plan = launch_plan_for_user(request.user, plan_id, action="launch")
    if request.method != "POST":
        return redirect(_plan_url(plan, "launch"))
    override = request.POST.get("override", "").lower() in ("true", "on", "1")
    if override:  # the role first: a marketer's override is a 403 whatever its reason
        access.require(request.user, LaunchPlan, plan.product.portfolio_id, "override")
    form = LaunchForm(request.POST)
    form.is_valid()  # the service judges the reason (the API's rule too)
    reason = form.cleaned_data.get("reason", "")
    try:
        launched = services.launch_plan_launch(plan_id=plan.id, actor=request.user, override=override, reason=reason)
    except services.PlanClosed as exc:
        messages.info(request, f"Nothing to do: {exc.message}")
        return redirect(_plan_url(plan))
    except services.PlanHasOpenTasks as exc:
        retry = LaunchForm(initial={"reason": reason})
        plan = _fresh(request, plan.id)
        return _plan_page(request, plan, launch_form=retry, refused=exc.details.get("open_tasks", []), status=409)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _plan_page(request, _fresh(request, plan.id), launch_form=form, status=400)
    note = " with open required tasks; your reason is kept with it" if launched.launch_reason else ""
    messages.success(request, f"{launched.name} launched{note}. Lifecycle rules on launches are checked now.")
    return redirect(_plan_url(plan))


@page
def launch_plan_cancel(request, plan_id: int):
    plan = launch_plan_for_user(request.user, plan_id, action="cancel")
    if not plan.is_open:
        messages.info(request, f"Nothing to do: {plan.name} is already {plan.get_status_display().lower()}.")
        return redirect(_plan_url(plan))
    form = CancelForm(request.POST or None)
    if save_with(
        request,
        form,
        lambda data: services.launch_plan_cancel(plan_id=plan.id, actor=request.user, reason=data["reason"]),
    ):
        messages.success(request, f"{plan.name} is cancelled. Its tasks stay on the plan as they are.")
        return redirect(_plan_url(plan))
    portfolio = plan.product.portfolio
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Launches", _board_url(portfolio.id)),
            (plan.product.name, _board_url(portfolio.id, plan.product_id)),
            (plan.name, _plan_url(plan)),
            ("Cancel", None),
        ],
        section="launches",
        model=LaunchPlan,
        plan=plan,
        form=form,
        open_count=plan.tasks.filter(status__in=NOT_DONE).count(),
        campaign_count=plan.campaigns.count(),
    )
    return render(request, "gtm/launch_cancel.html", context, status=400 if form.errors else 200)


# --- plan forms -------------------------------------------------------------------------------------


def _plan_form_page(request, product, form, *, plan=None):
    portfolio = product.portfolio
    crumbs = [("Launches", _board_url(portfolio.id)), (product.name, _board_url(portfolio.id, product.id))]
    crumbs += [(plan.name, _plan_url(plan)), ("Edit", None)] if plan else [("New launch plan", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        model=LaunchPlan,
        form=form,
        title=f"Edit {plan.name}" if plan else f"New launch plan for {product.name}",
        intro=""
        if plan
        else "Give it a date and a tier; start from a checklist template to get its tasks with their due dates.",
        submit_label="Save changes" if plan else "Create launch plan",
        cancel_url=_plan_url(plan) if plan else _board_url(portfolio.id, product.id),
        delete_url=reverse("launch-plan-delete", args=[plan.id]) if plan else None,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


@page
def launch_plan_create(request):
    product = product_for_user(request.user, request.GET.get("product"))
    access.require(request.user, LaunchPlan, product.portfolio_id)  # before the form is read
    form = LaunchPlanCreateForm(request.POST or None, product=product, initial={"owner": request.user.pk})

    def write(data):
        data = dict(data)
        template = data.pop("template")
        if data.get("tier") is None:
            data.pop("tier")  # the template's tier, or the service's default
        return services.launch_plan_create(product=product, actor=request.user, template=template, **data)

    if plan := save_with(request, form, write):
        count = plan.tasks.count()
        copied = f" with the {count} tasks of its template" if count else ""
        messages.success(request, f"{plan.name} planned{copied}. Next: give the tasks owners.")
        return redirect(_plan_url(plan))
    return _plan_form_page(request, product, form)


@page
def launch_plan_edit(request, plan_id: int):
    plan = launch_plan_for_user(request.user, plan_id, write=True)
    form = LaunchPlanEditForm(
        request.POST or None,
        product=plan.product,
        plan=plan,
        initial={**LaunchPlanEditForm.initial_for(plan), "move_tasks": True},
    )
    old_date = plan.launch_date

    def write(data):
        data = dict(data)
        move = data.pop("move_tasks")
        return services.launch_plan_update(plan_id=plan.id, actor=request.user, move_tasks=move, **data)

    if saved := save_with(request, form, write):
        note = ""
        if saved.launch_date != old_date and form.cleaned_data["move_tasks"]:
            days = (saved.launch_date - old_date).days
            note = f" The open tasks' due dates moved {abs(days)} day{'s' if abs(days) != 1 else ''} "
            note += "later." if days > 0 else "earlier."
        messages.success(request, f"{saved.name} saved.{note}")
        return redirect(_plan_url(saved))
    return _plan_form_page(request, plan.product, form, plan=plan)


@page
def launch_plan_delete(request, plan_id: int):
    plan = launch_plan_for_user(request.user, plan_id, write=True)
    portfolio = plan.product.portfolio
    back = _board_url(portfolio.id, plan.product_id)
    if request.method == "POST":
        name = services.launch_plan_delete(plan_id=plan.id, actor=request.user)
        messages.success(request, f"{name} deleted with its tasks. Its campaigns, assets and press stay.")
        return redirect(back)
    count = plan.task_total
    kept = [
        (plan.campaigns.count(), "campaign"),
        (plan.assets.count(), "sales enablement asset"),
        (plan.press_items.count(), "press item"),
        (plan.messaging.count(), "messaging version"),
    ]
    kept_text = ", ".join(f"{n} {what}{'s' if n != 1 else ''}" for n, what in kept if n)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Launches", _board_url(portfolio.id)),
            (plan.product.name, back),
            (plan.name, _plan_url(plan)),
            ("Delete", None),
        ],
        section="launches",
        model=LaunchPlan,
        title=f"Delete the launch plan {plan.name}?",
        consequence_intro="This cannot be undone.",
        consequences=[
            f"Its {count} task{'s go' if count != 1 else ' goes'} with it." if count else "It has no tasks.",
            f"Its {kept_text} stay with {plan.product.name}, without a launch plan."
            if kept_text
            else f"Campaigns, assets and press items of {plan.product.name} are not touched.",
        ],
        alternative="To stop it but keep its record, cancel the launch instead."
        if plan.is_open
        else "The change history keeps the record of its launch.",
        confirm_label="Delete launch plan",
        cancel_url=_plan_url(plan),
    )
    return render(request, "confirm_page.html", context)


# --- tasks ------------------------------------------------------------------------------------------


def _task_form_page(request, plan, form, *, task=None):
    portfolio = plan.product.portfolio
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Launches", _board_url(portfolio.id)),
            (plan.product.name, _board_url(portfolio.id, plan.product_id)),
            (plan.name, _plan_url(plan)),
            (f"Edit “{task.title}”" if task else "New task", None),
        ],
        section="launches",
        model=LaunchTask,
        form=form,
        title=f"Edit task “{task.title}”" if task else f"New task for {plan.name}",
        intro="" if task else "Required tasks count towards readiness; the launch waits for them.",
        submit_label="Save task" if task else "Add task",
        cancel_url=_plan_url(plan, f"task-{task.id}" if task else "checklist"),
        delete_url=reverse("launch-task-delete", args=[task.id]) if task else None,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


@page
def launch_task_create(request, plan_id: int):
    plan = launch_plan_for_user(request.user, plan_id)
    access.require(request.user, LaunchTask, plan.product.portfolio_id)  # before the form is read
    function = request.GET.get("function")
    initial = {"function": function if function in FUNCTION_LABELS else Function.MARKETING}
    form = LaunchTaskForm(request.POST or None, plan=plan, initial=initial)
    if task := save_with(
        request, form, lambda data: services.launch_task_create(launch_plan=plan, actor=request.user, **data)
    ):
        messages.success(request, f"“{task.title}” added to the {task.get_function_display().lower()} tasks.")
        return redirect(_plan_url(plan, f"task-{task.id}"))
    return _task_form_page(request, plan, form)


@page
def launch_task_edit(request, task_id: int):
    task = launch_task_for_user(request.user, task_id, write=True)
    form = LaunchTaskForm(request.POST or None, plan=task.launch_plan, initial=LaunchTaskForm.initial_for(task))
    if saved := save_with(
        request, form, lambda data: services.launch_task_update(task_id=task.id, actor=request.user, **data)
    ):
        messages.success(request, f"“{saved.title}” saved.")
        return redirect(_plan_url(task.launch_plan, f"task-{task.id}"))
    return _task_form_page(request, task.launch_plan, form, task=task)


@page
def launch_task_delete(request, task_id: int):
    task = launch_task_for_user(request.user, task_id, write=True)
    plan = task.launch_plan
    if request.method == "POST":
        title = services.launch_task_delete(task_id=task.id, actor=request.user)
        messages.success(request, f"“{title}” deleted from {plan.name}.")
        return redirect(_plan_url(plan, "checklist"))
    portfolio = plan.product.portfolio
    readiness = (
        "Readiness is counted again without it." if task.required else "It is optional: readiness does not change."
    )
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Launches", _board_url(portfolio.id)),
            (plan.product.name, _board_url(portfolio.id, plan.product_id)),
            (plan.name, _plan_url(plan)),
            ("Delete task", None),
        ],
        section="launches",
        model=LaunchTask,
        title=f"Delete the task “{task.title}”?",
        consequence_intro="This cannot be undone.",
        consequences=[readiness],
        alternative="If it no longer holds the launch back, edit it and untick “Required for launch” instead.",
        confirm_label="Delete task",
        cancel_url=_plan_url(plan, f"task-{task.id}"),
    )
    return render(request, "confirm_page.html", context)


# --- the portfolio's open tasks ---------------------------------------------------------------------


@page
def launch_task_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = LaunchTaskFilter(request.GET or None, portfolio=portfolio)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    today = today_in(portfolio)
    queryset = (
        LaunchTask.objects.filter(launch_plan__product__portfolio=portfolio, status__in=NOT_DONE)
        .exclude(launch_plan__status=LaunchPlan.Status.CANCELLED)
        .select_related("launch_plan__product__portfolio", "owner")
    )
    for name in ("plan", "function", "owner", "status"):
        if wanted.get(name):
            queryset = queryset.filter(**{"launch_plan" if name == "plan" else name: wanted[name]})
    if wanted.get("overdue"):
        queryset = queryset.filter(due_date__lt=today)
    if wanted.get("blocked"):
        queryset = queryset.filter(status=LaunchTask.Status.BLOCKED)
    ordered = queryset.order_by(F("due_date").asc(nulls_last=True), "launch_plan__launch_date", "position", "id")
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(task_csv_lines(ordered.iterator(chunk_size=500)), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="launch-tasks-{portfolio.id}-{today:%Y-%m-%d}.csv"'
        return response
    listing = Paginator(ordered, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    for task in listing:
        task.overdue = is_overdue(task, today)
        task.days_late = (today - task.due_date).days if task.overdue else 0
        task.when = relative_day(task.due_date, today)
    query = request.GET.copy()
    query.pop("page", None)
    csv_query = query.copy()
    csv_query["format"] = "csv"
    filtered = any(wanted.get(k) for k in ("plan", "function", "owner", "status", "overdue", "blocked"))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Launches", _board_url(portfolio.id)), ("Open tasks", None)],
        section="launches",
        tab="launches",
        view="tasks",
        model=LaunchTask,
        filters=filters,
        filtered=filtered,
        listing=listing,
        query=query.urlencode(),
        csv_query=csv_query.urlencode(),
        can_tick=access.can(request.user, LaunchTask, portfolio.id),
        statuses=LaunchTask.Status.choices,
    )
    return render(request, "gtm/launch_tasks.html", context)


# --- checklist templates ----------------------------------------------------------------------------


def offset_text(days: int) -> str:
    if days == 0:
        return "on launch day"
    word = "day" if abs(days) == 1 else "days"
    return f"{abs(days)} {word} {'before' if days < 0 else 'after'}"


@page
def launch_template_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    templates = list(
        LaunchTemplate.objects.filter(portfolio=portfolio)
        .annotate(plan_count=Count("plans"))
        .prefetch_related(Prefetch("tasks", queryset=LaunchTemplateTask.objects.order_by("position", "id")))
        .order_by("tier", "name", "id")
    )
    for template in templates:
        template.rows = list(template.tasks.all())
        for row in template.rows:
            row.offset_label = offset_text(row.offset_days)
        template.required_count = sum(1 for row in template.rows if row.required)
    tiers = [
        {"tier": value, "label": label.split(" — ", 1)[-1], "templates": [t for t in templates if t.tier == value]}
        for value, label in LaunchTemplate._meta.get_field("tier").choices
    ]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Launches", _board_url(portfolio.id)), ("Checklist templates", None)],
        section="launches",
        tab="templates",
        model=LaunchTemplate,
        tiers=tiers,
        template_total=len(templates),
        can_write=access.can(request.user, LaunchTemplate, portfolio.id),
    )
    return render(request, "gtm/launch_templates.html", context)


def _template_rows(formset) -> list[dict]:
    """The kept rows, in order: filled in and not marked for deletion (blank extra rows are skipped)."""
    return [
        row.row()
        for row in formset.forms
        if row.cleaned_data and not row.cleaned_data.get("DELETE") and row.cleaned_data.get("title")
    ]


def _template_form(request, portfolio, template=None):
    if template is None:
        tier = request.GET.get("tier", "")
        initial, rows = ({"tier": int(tier)} if tier in ("1", "2", "3") else {}), []
    else:
        initial = {"name": template.name, "tier": template.tier, "description": template.description}
        rows = list(template.tasks.order_by("position", "id").values("title", "function", "offset_days", "required"))
    form = LaunchTemplateForm(request.POST or None, initial=initial)
    formset = TemplateTaskFormSet(request.POST or None, initial=rows, prefix="tasks")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            if template is None:
                saved = services.launch_template_create(
                    portfolio=portfolio, actor=request.user, tasks=_template_rows(formset), **form.cleaned_data
                )
            else:
                saved = services.launch_template_update(
                    template_id=template.id, actor=request.user, tasks=_template_rows(formset), **form.cleaned_data
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Template “{saved.name}” saved: new plans made from it get its tasks.")
            if "more" in request.POST:
                return redirect("launch-template-edit", template_id=saved.id)
            return redirect(reverse("launch-template-list", args=[portfolio.id]) + f"#template-{saved.id}")
    list_url = reverse("launch-template-list", args=[portfolio.id])
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Launches", _board_url(portfolio.id)),
            ("Checklist templates", list_url),
            (template.name if template else "New template", None),
        ],
        section="launches",
        model=LaunchTemplate,
        form=form,
        formset=formset,
        template=template,
        title=f"Edit template “{template.name}”" if template else "New checklist template",
        cancel_url=list_url + (f"#template-{template.id}" if template else ""),
        delete_url=reverse("launch-template-delete", args=[template.id]) if template else None,
    )
    status = 400 if request.method == "POST" and (form.errors or formset.total_error_count()) else 200
    return render(request, "gtm/launch_template_form.html", context, status=status)


def _template_for(request, template_id: int) -> LaunchTemplate:
    return access.object_for_user(
        request.user, LaunchTemplate.objects.select_related("portfolio"), template_id, action=access.WRITE
    )


@page
def launch_template_create(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    access.require(request.user, LaunchTemplate, portfolio.id)  # before the form is read
    return _template_form(request, portfolio)


@page
def launch_template_edit(request, template_id: int):
    template = _template_for(request, template_id)
    return _template_form(request, template.portfolio, template)


@page
def launch_template_delete(request, template_id: int):
    template = _template_for(request, template_id)
    portfolio = template.portfolio
    list_url = reverse("launch-template-list", args=[portfolio.id])
    if request.method == "POST":
        name = services.launch_template_delete(template_id=template.id, actor=request.user)
        messages.success(request, f"Template “{name}” deleted. Plans made from it keep their tasks.")
        return redirect(list_url)
    tasks, plans = template.tasks.count(), template.plans.count()
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Launches", _board_url(portfolio.id)),
            ("Checklist templates", list_url),
            (template.name, reverse("launch-template-edit", args=[template.id])),
            ("Delete", None),
        ],
        section="launches",
        model=LaunchTemplate,
        title=f"Delete the template “{template.name}”?",
        consequence_intro="This cannot be undone.",
        consequences=[
            f"Its {tasks} task row{'s go' if tasks != 1 else ' goes'} with it." if tasks else "It has no tasks.",
            f"The {plans} launch plan{'s' if plans != 1 else ''} made from it keep{'s' if plans == 1 else ''} "
            "their tasks."
            if plans
            else "No launch plan was made from it.",
        ],
        confirm_label="Delete template",
        cancel_url=list_url + f"#template-{template.id}",
    )
    return render(request, "confirm_page.html", context)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/launches/", launch_board, name="launch-board"),
    path("portfolios/<int:portfolio_id>/launch-tasks/", launch_task_list, name="launch-task-list"),
    path("launches/new/", launch_plan_create, name="launch-plan-create"),
    path("launches/<int:plan_id>/", launch_plan_page, name="launch-plan-page"),
    path("launches/<int:plan_id>/edit/", launch_plan_edit, name="launch-plan-edit"),
    path("launches/<int:plan_id>/delete/", launch_plan_delete, name="launch-plan-delete"),
    path("launches/<int:plan_id>/launch/", launch_plan_launch, name="launch-plan-launch"),
    path("launches/<int:plan_id>/cancel/", launch_plan_cancel, name="launch-plan-cancel"),
    path("launches/<int:plan_id>/tasks/new/", launch_task_create, name="launch-task-create"),
    path("launch-tasks/<int:task_id>/edit/", launch_task_edit, name="launch-task-edit"),
    path("launch-tasks/<int:task_id>/delete/", launch_task_delete, name="launch-task-delete"),
    path("launch-tasks/<int:task_id>/status/", launch_task_status, name="launch-task-status"),
    path("portfolios/<int:portfolio_id>/launch-templates/", launch_template_list, name="launch-template-list"),
    path("portfolios/<int:portfolio_id>/launch-templates/new/", launch_template_create, name="launch-template-create"),
    path("launch-templates/<int:template_id>/edit/", launch_template_edit, name="launch-template-edit"),
    path("launch-templates/<int:template_id>/delete/", launch_template_delete, name="launch-template-delete"),
]
