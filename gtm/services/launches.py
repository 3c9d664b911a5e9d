"""Launch templates, launch plans and their tasks.

A plan's `status` follows its required tasks while it is open: `ready` exactly while every required
task is done (a plan with none is ready), `planning` otherwise. Launching below 100 % is refused with
the open required tasks (409 `open_tasks`) unless an admin or product manager overrides with a reason.

Lock order: product → its launch plan → the plan's tasks. A task's write holds the plan, so a launch
and a tick never interleave.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from gtm.models import Function, LaunchPlan, LaunchTask, LaunchTemplate, LaunchTemplateTask, Tier
from gtm.services import rules
from pmflow import access
from pmflow.errors import Conflict, InvalidInput, NotFound
from products import events
from products.models import Portfolio, Product

TEMPLATE_FIELDS = ("name", "tier", "description")
PLAN_FIELDS = ("name", "description", "tier", "launch_date", "release", "owner")
TASK_FIELDS = ("title", "description", "function", "owner", "due_date", "status", "blocked_reason", "required")
OFFSET_RANGE = (-365, 365)
TEMPLATE_TASKS_MAX = 200
REASON_MAX = 5000
TIERS = [t.value for t in Tier]
FUNCTIONS = [f.value for f in Function]
TASK_STATUSES = [s.value for s in LaunchTask.Status]


class PlanHasOpenTasks(Conflict):
    """Required tasks of this launch plan are not done."""

    code = "open_tasks"


class PlanClosed(Conflict):
    """The launch plan has already launched or been cancelled."""

    code = "plan_closed"


# --- templates ----------------------------------------------------------------------------------------


def template_tasks_clean(tasks) -> list[dict]:
    """A template's task rows, checked: a list of at most 200 `{"title", "function", "offset_days",
    "required"}`. Raises InvalidInput on `tasks` naming the row (1-based) and the field."""
    if not isinstance(tasks, list | tuple):
        raise InvalidInput(fields={"tasks": "A list of tasks."})
    if len(tasks) > TEMPLATE_TASKS_MAX:
        raise InvalidInput(fields={"tasks": f"At most {TEMPLATE_TASKS_MAX} tasks."})
    cleaned, problems = [], []
    for number, row in enumerate(tasks, start=1):
        if not isinstance(row, dict):
            problems.append(f"Task {number}: an object with title, function, offset_days and required.")
            continue
        unknown = set(row) - {"title", "function", "offset_days", "required"}
        if unknown:
            problems.append(f"Task {number}: unknown field(s) {', '.join(sorted(map(str, unknown)))}.")
            continue
        fields = {"title": row.get("title", ""), "function": row.get("function")}
        errors: dict = {}
        rules.text(fields, "title", errors, required="a title")
        if "title" not in errors and not _encodable(fields["title"]):
            errors["title"] = "text without lone surrogates"
        rules.choice(fields, "function", FUNCTIONS, errors)
        offset = row.get("offset_days", 0)
        if isinstance(offset, bool) or not isinstance(offset, int):
            errors["offset_days"] = "a whole number of days"
        elif not OFFSET_RANGE[0] <= offset <= OFFSET_RANGE[1]:
            errors["offset_days"] = f"from {OFFSET_RANGE[0]} to {OFFSET_RANGE[1]} days"
        required = row.get("required", True)
        if not isinstance(required, bool):
            errors["required"] = "true or false"
        if errors:
            problems.append(f"Task {number}: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
            continue
        cleaned.append({**fields, "offset_days": offset, "required": required})
    if problems:
        raise InvalidInput(fields={"tasks": problems})
    return cleaned


def _encodable(text: str) -> bool:
    """No lone surrogate ("\\ud800" in JSON): PostgreSQL cannot store one (a 500 on save)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _template_clean(fields: dict) -> dict:
    errors: dict = {}
    rules.text(fields, "name", errors, required="Give the template a name, e.g. “Tier 1 launch”.")
    rules.text(fields, "description", errors, limit=rules.TEXT_MAX)
    rules.choice(fields, "tier", TIERS, errors)
    if errors:
        raise InvalidInput(fields=errors)
    return fields


TEMPLATE_TAKEN = "This portfolio already has a template with this name."


def _write_template_tasks(template: LaunchTemplate, tasks: list[dict]) -> None:
    template.tasks.all().delete()
    LaunchTemplateTask.objects.bulk_create(
        LaunchTemplateTask(template=template, position=i, **row) for i, row in enumerate(tasks)
    )


def launch_template_create(*, portfolio: Portfolio, actor=None, tasks=(), **fields) -> LaunchTemplate:
    """A checklist template of `portfolio` for one tier; `tasks` as `template_tasks_clean` takes them."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"not template fields: {sorted(unknown)}")
    fields = _template_clean(dict(fields))
    tasks = template_tasks_clean(tasks)
    try:
        with transaction.atomic():
            template = LaunchTemplate.objects.create(portfolio=portfolio, **fields)
            _write_template_tasks(template, tasks)
            events.record(
                portfolio_id=portfolio.id,
                actor=actor,
                verb="launch_template.created",
                obj=template,
                changes={"name": [None, template.name], "tier": [None, template.tier]},
                data={"tasks": len(tasks)},
            )
    except IntegrityError as exc:
        raise InvalidInput(fields={"name": TEMPLATE_TAKEN}) from exc
    return template


def launch_template_update(*, template_id: int, actor=None, tasks=None, **fields) -> LaunchTemplate:
    """Change a template; `tasks` (when given) replaces its task list. Plans made from it keep theirs."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"not template fields: {sorted(unknown)}")
    fields = _template_clean(dict(fields))
    if tasks is not None:
        tasks = template_tasks_clean(tasks)
    try:
        with transaction.atomic():
            template = LaunchTemplate.objects.select_for_update().filter(pk=template_id).first()
            if template is None:
                raise NotFound()
            changes = events.save_changes(
                template, fields, portfolio_id=template.portfolio_id, actor=actor, verb="launch_template.updated"
            )
            if tasks is not None:
                before = list(template.tasks.values("title", "function", "offset_days", "required"))
                if before != tasks:
                    _write_template_tasks(template, tasks)
                    if not changes:
                        LaunchTemplate.objects.filter(pk=template.pk).update(updated_at=timezone.now())
                    events.record(
                        portfolio_id=template.portfolio_id,
                        actor=actor,
                        verb="launch_template.updated",
                        obj=template,
                        changes={"tasks": [len(before), len(tasks)]},
                    )
    except IntegrityError as exc:
        raise InvalidInput(fields={"name": TEMPLATE_TAKEN}) from exc
    return template


def launch_template_delete(*, template_id: int, actor=None) -> str:
    """Delete a template; plans made from it keep their tasks. Returns its name."""
    with transaction.atomic():
        template = LaunchTemplate.objects.select_for_update().filter(pk=template_id).first()
        if template is None:
            raise NotFound()
        events.record(
            portfolio_id=template.portfolio_id, actor=actor, verb="launch_template.deleted", obj=template, data={}
        )
        name = template.name
        template.delete()
    return name


# --- plans --------------------------------------------------------------------------------------------


def _plan_clean(fields: dict, product: Product) -> dict:
    errors: dict = {}
    rules.text(fields, "name", errors, required="Give the launch a name, e.g. “Tracker 2.0 launch”.")
    rules.text(fields, "description", errors, limit=rules.TEXT_MAX)
    rules.choice(fields, "tier", TIERS, errors)
    if "launch_date" in fields and fields["launch_date"] is None:
        errors["launch_date"] = "Give the launch a date (it can move later)."
    rules.dates(fields, ("launch_date",), errors)
    rules.same_product(fields, "release", product.id, errors, what="a release")
    rules.member(fields, "owner", product.portfolio_id, errors)
    if errors:
        raise InvalidInput(fields=errors)
    return fields


def _locked_plan(plan_id: int, *, product_too: bool = True) -> LaunchPlan:
    """The plan under its row lock, its product's taken first when `product_too` (the lock order)."""
    product_id = LaunchPlan.objects.filter(pk=plan_id).values_list("product_id", flat=True).first()
    if product_id is None:
        raise NotFound()
    if product_too:
        list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk"))
    # `of=("self",)`: the join would lock the product's row too, after the plan's (a task's write takes no
    # product lock): against a plan write that holds the product and waits for the plan, a deadlock.
    plan = LaunchPlan.objects.select_for_update(of=("self",)).filter(pk=plan_id).select_related("product").first()
    if plan is None:
        raise NotFound()
    return plan


def open_required_tasks(plan: LaunchPlan) -> list[dict]:
    """The required tasks not done, as the 409 lists them: id, title, function, status."""
    return list(
        plan.tasks.filter(required=True)
        .exclude(status=LaunchTask.Status.DONE)
        .order_by("due_date", "position", "id")
        .values("id", "title", "function", "status")
    )


def launch_plan_sync_status(plan: LaunchPlan, *, actor=None) -> str:
    """Set an open plan's status from its required tasks (ready exactly while all are done); call under
    the plan's lock after its tasks change. A launched or cancelled plan keeps its status."""
    if not plan.is_open:
        return plan.status
    has_open = plan.tasks.filter(required=True).exclude(status=LaunchTask.Status.DONE).exists()
    wanted = LaunchPlan.Status.PLANNING if has_open else LaunchPlan.Status.READY
    if plan.status != wanted:
        before = plan.status
        plan.status = wanted
        plan.save(update_fields=["status", "updated_at"])
        events.record(
            portfolio_id=plan.product.portfolio_id,
            actor=actor,
            verb="launch_plan.status_changed",
            obj=plan,
            changes={"status": [before, wanted]},
        )
    return plan.status


def launch_plan_create(*, product: Product, actor=None, template: LaunchTemplate | None = None, **fields) -> LaunchPlan:
    """Plan a launch of `product`. With `template` (of the product's portfolio), its tasks are copied,
    each due `offset_days` after the launch date, and the tier defaults to the template's."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"not launch plan fields: {sorted(unknown)}")
    fields = dict(fields)
    if template is not None and template.portfolio_id != product.portfolio_id:
        raise InvalidInput(fields={"template": "Choose a template of this portfolio."})
    if template is not None and fields.get("tier") is None:
        fields["tier"] = template.tier
    fields.setdefault("tier", Tier.TWO)
    fields.setdefault("launch_date", None)
    fields = _plan_clean(fields, product)
    with transaction.atomic():
        list(Product.objects.select_for_update().filter(pk=product.pk).values_list("pk"))
        plan = LaunchPlan.objects.create(product=product, template=template, **fields)
        tasks = []
        if template is not None:
            for position, row in enumerate(template.tasks.order_by("position", "id")):
                due = _planning_date(_shifted(plan.launch_date, row.offset_days))
                tasks.append(
                    LaunchTask(
                        launch_plan=plan,
                        title=row.title,
                        function=row.function,
                        required=row.required,
                        due_date=due,
                        position=position,
                    )
                )
            LaunchTask.objects.bulk_create(tasks)
        plan.status = LaunchPlan.Status.PLANNING if any(t.required for t in tasks) else LaunchPlan.Status.READY
        plan.save(update_fields=["status"])
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="launch_plan.created",
            obj=plan,
            changes={"name": [None, plan.name], "launch_date": [None, plan.launch_date], "tier": [None, plan.tier]},
            data={"product": product.id, "template": template.id if template else None, "tasks": len(tasks)},
        )
    return plan


def _shifted(day: datetime.date, days: int) -> datetime.date | None:
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        return None


def _planning_date(day: datetime.date | None) -> datetime.date | None:
    """`day` when within the planning years (DATE_YEARS), else None (no due date rather than year 2201)."""
    if day is not None and rules.DATE_YEARS[0] <= day.year <= rules.DATE_YEARS[1]:
        return day
    return None


def launch_plan_update(*, plan_id: int, actor=None, move_tasks: bool = True, **fields) -> LaunchPlan:
    """Change a plan. When the launch date moves and `move_tasks`, the due dates of its tasks that are
    not done move with it by as many days (a checklist is planned relative to launch day)."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"not launch plan fields: {sorted(unknown)}")
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        fields = _plan_clean(dict(fields), plan.product)
        old_date = plan.launch_date
        changes = events.save_changes(
            plan, fields, portfolio_id=plan.product.portfolio_id, actor=actor, verb="launch_plan.updated"
        )
        if move_tasks and "launch_date" in changes and old_date and plan.launch_date:
            delta = plan.launch_date - old_date
            moved = 0
            for task in plan.tasks.exclude(status=LaunchTask.Status.DONE).exclude(due_date=None):
                due = _planning_date(_shifted(task.due_date, delta.days))
                if due is not None:
                    task.due_date = due
                    task.save(update_fields=["due_date", "updated_at"])
                    moved += 1
            if moved:
                events.record(
                    portfolio_id=plan.product.portfolio_id,
                    actor=actor,
                    verb="launch_plan.tasks_moved",
                    obj=plan,
                    data={"days": delta.days, "tasks": moved},
                )
    return plan


def launch_plan_delete(*, plan_id: int, actor=None) -> str:
    """Delete a plan and its tasks; its campaigns, assets, press items and messaging stay with the product."""
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        events.record(
            portfolio_id=plan.product.portfolio_id,
            actor=actor,
            verb="launch_plan.deleted",
            obj=plan,
            data={"product": plan.product_id, "tasks": plan.tasks.count()},
        )
        name = plan.name
        plan.delete()
    return name


def _reason(reason) -> str:
    reason = (reason or "").strip() if isinstance(reason, str) or reason is None else None
    if reason is None:
        raise InvalidInput(fields={"reason": "Text."})
    if "\x00" in reason:
        raise InvalidInput(fields={"reason": "Text without NUL characters."})
    if not _encodable(reason):
        raise InvalidInput(fields={"reason": "Text without lone surrogates."})
    if len(reason) > REASON_MAX:
        raise InvalidInput(fields={"reason": f"At most {REASON_MAX:,} characters."})
    return reason


def launch_plan_launch(*, plan_id: int, actor=None, override: bool = False, reason: str = "") -> LaunchPlan:
    """Launch a plan now; emits `launch_plan.launched` (lifecycle rules listen).

    Raises PlanClosed (409) when launched or cancelled, PlanHasOpenTasks (409, `open_tasks`) while a
    required task is not done and there is no override, NotAllowed (403) for an override by a role that
    may not give one, InvalidInput when an override has no reason.
    """
    if override and actor is not None:
        # The role first: a marketer's override is a 403 whatever its reason says.
        portfolio_id = LaunchPlan.objects.filter(pk=plan_id).values_list("product__portfolio_id", flat=True).first()
        if portfolio_id is None:
            raise NotFound()
        access.require(actor, LaunchPlan, portfolio_id, "override")
    reason = _reason(reason)
    if override and not reason:
        raise InvalidInput(fields={"reason": "Say why it launches with open tasks; the reason is kept with the plan."})
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        portfolio_id = plan.product.portfolio_id
        if not plan.is_open:
            raise PlanClosed(f"“{plan.name}” is already {plan.get_status_display().lower()}.")
        open_tasks = open_required_tasks(plan)
        if open_tasks and not override:
            raise PlanHasOpenTasks(
                f"{len(open_tasks)} required task(s) of “{plan.name}” are not done: finish them, or launch with "
                "an override and a reason (admins and product managers).",
                open_tasks=open_tasks,
            )
        before = plan.status
        plan.status, plan.launched_at = LaunchPlan.Status.LAUNCHED, timezone.now()
        plan.launched_by = actor if getattr(actor, "is_authenticated", False) else None
        plan.launch_reason = reason if open_tasks else ""
        plan.save(update_fields=["status", "launched_at", "launched_by", "launch_reason", "updated_at"])
        events.record(
            portfolio_id=portfolio_id,
            actor=actor,
            verb="launch_plan.launched",
            obj=plan,
            changes={"status": [before, plan.status], "launched_at": [None, plan.launched_at]},
            data={
                "product": plan.product_id,
                "launch_plan": plan.id,
                "name": plan.name,
                "launch_date": plan.launch_date.isoformat(),
                "release": plan.release_id,
                "override": bool(open_tasks),
                "reason": plan.launch_reason,
                "open_tasks": open_tasks,
            },
        )
    return plan


def launch_plan_cancel(*, plan_id: int, actor=None, reason: str = "") -> LaunchPlan:
    """Cancel an open plan with a reason (kept on the plan). Raises PlanClosed (409) when it is not open."""
    reason = _reason(reason)
    if not reason:
        raise InvalidInput(fields={"reason": "Say why the launch is cancelled; the reason is kept with the plan."})
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        if not plan.is_open:
            raise PlanClosed(f"“{plan.name}” is already {plan.get_status_display().lower()}.")
        before = plan.status
        plan.status, plan.cancelled_at, plan.cancel_reason = LaunchPlan.Status.CANCELLED, timezone.now(), reason
        plan.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        events.record(
            portfolio_id=plan.product.portfolio_id,
            actor=actor,
            verb="launch_plan.cancelled",
            obj=plan,
            changes={"status": [before, plan.status]},
            data={"product": plan.product_id, "reason": reason},
        )
    return plan


# --- tasks --------------------------------------------------------------------------------------------


def _task_clean(fields: dict, plan: LaunchPlan, task: LaunchTask | None = None) -> dict:
    errors: dict = {}
    rules.text(fields, "title", errors, required="Give the task a title.")
    rules.text(fields, "description", errors, limit=rules.TEXT_MAX)
    rules.text(fields, "blocked_reason", errors, limit=REASON_MAX)
    rules.choice(fields, "function", FUNCTIONS, errors)
    rules.choice(fields, "status", TASK_STATUSES, errors)
    rules.dates(fields, ("due_date",), errors)
    rules.member(fields, "owner", plan.product.portfolio_id, errors)
    if "required" in fields and not isinstance(fields["required"], bool):
        errors["required"] = "true or false"
    status = fields.get("status", task.status if task else LaunchTask.Status.TODO)
    if status == LaunchTask.Status.BLOCKED and "blocked_reason" not in errors:
        reason = fields.get("blocked_reason", task.blocked_reason if task else "")
        if not reason:
            errors["blocked_reason"] = "Say what blocks it, so someone can unblock it."
    elif status != LaunchTask.Status.BLOCKED and ("status" in fields or "blocked_reason" in fields):
        fields["blocked_reason"] = ""  # only a blocked task has a reason; leaving blocked clears it
    if errors:
        raise InvalidInput(fields=errors)
    return fields


def _done_at(task: LaunchTask, fields: dict) -> None:
    if "status" in fields:
        if fields["status"] == LaunchTask.Status.DONE and task.status != LaunchTask.Status.DONE:
            fields["done_at"] = timezone.now()
        elif fields["status"] != LaunchTask.Status.DONE:
            fields["done_at"] = None


def launch_task_create(*, launch_plan: LaunchPlan, actor=None, **fields) -> LaunchTask:
    """Add a task to a plan (last in its list); the plan's status follows."""
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"not launch task fields: {sorted(unknown)}")
    fields.setdefault("title", "")
    fields.setdefault("function", None)
    with transaction.atomic():
        plan = _locked_plan(launch_plan.id, product_too=False)
        fields = _task_clean(dict(fields), plan)
        task = LaunchTask(launch_plan=plan, **fields)
        if task.status == LaunchTask.Status.DONE:
            task.done_at = timezone.now()
        task.position = (plan.tasks.aggregate(last=Max("position"))["last"] or 0) + 1
        task.save()
        events.record(
            portfolio_id=plan.product.portfolio_id,
            actor=actor,
            verb="launch_task.created",
            obj=task,
            changes={"title": [None, task.title], "status": [None, task.status]},
            data={"launch_plan": plan.id},
        )
        launch_plan_sync_status(plan, actor=actor)
    return task


def _locked_task(task_id: int) -> tuple[LaunchTask, LaunchPlan]:
    plan_id = LaunchTask.objects.filter(pk=task_id).values_list("launch_plan_id", flat=True).first()
    if plan_id is None:
        raise NotFound()
    plan = _locked_plan(plan_id, product_too=False)
    task = LaunchTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise NotFound()
    task.launch_plan = plan
    return task, plan


def launch_task_update(*, task_id: int, actor=None, **fields) -> LaunchTask:
    """Change a task (a status tick too); `blocked` needs a reason, leaving it clears the reason. The
    plan's status follows."""
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"not launch task fields: {sorted(unknown)}")
    with transaction.atomic():
        task, plan = _locked_task(task_id)
        fields = _task_clean(dict(fields), plan, task)
        _done_at(task, fields)
        events.save_changes(
            task,
            fields,
            portfolio_id=plan.product.portfolio_id,
            actor=actor,
            verb="launch_task.updated",
            data={"launch_plan": plan.id},
        )
        launch_plan_sync_status(plan, actor=actor)
    return task


def launch_task_delete(*, task_id: int, actor=None) -> str:
    with transaction.atomic():
        task, plan = _locked_task(task_id)
        events.record(
            portfolio_id=plan.product.portfolio_id,
            actor=actor,
            verb="launch_task.deleted",
            obj=task,
            data={"launch_plan": plan.id},
        )
        title = task.title
        task.delete()
        launch_plan_sync_status(plan, actor=actor)
    return title
