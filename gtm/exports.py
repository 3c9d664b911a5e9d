"""Launch checklists as a spreadsheet: one set of columns for the pages' download and the API's CSV."""

import csv
import io

from gtm.selectors import is_overdue, today_in
from pmflow.forms import csv_cell

TASK_COLUMNS = [
    "id",
    "product",
    "launch_plan_id",
    "launch_plan",
    "launch_date",
    "title",
    "function",
    "owner",
    "due_date",
    "status",
    "blocked_reason",
    "required",
    "overdue",
]


def task_row(task, today) -> list:
    """One task as a CSV row (a task from `gtm.selectors.launch_tasks`: plan, product and owner loaded);
    `today` is its portfolio's."""
    plan = task.launch_plan
    return [
        task.id,
        plan.product.name,
        plan.id,
        plan.name,
        plan.launch_date,
        task.title,
        task.function,
        task.owner.get_username() if task.owner_id else "",
        task.due_date,
        task.status,
        task.blocked_reason,
        "yes" if task.required else "no",
        "yes" if is_overdue(task, today) else "no",
    ]


def task_csv_lines(tasks):
    """Launch tasks as CSV lines (BOM first, so a spreadsheet reads UTF-8), a chunk at a time for
    streaming. `overdue` is judged on each task's portfolio's today."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(TASK_COLUMNS)
    todays: dict[int, object] = {}
    for task in tasks:
        portfolio = task.launch_plan.product.portfolio
        if portfolio.id not in todays:
            todays[portfolio.id] = today_in(portfolio)
        writer.writerow([csv_cell(value) for value in task_row(task, todays[portfolio.id])])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
