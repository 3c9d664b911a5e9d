"""Goals and key results as CSV (the API's `?format=csv` and the goals pages' download): streamed, the
values of each chunk of rows worked out together (kpis.key_results), so the cost does not grow with rows."""

import csv
import io

from kpis import key_results as values
from pmflow.forms import csv_cell

CSV_CHUNK = 500


GOAL_COLUMNS = ["id", "product", "product_name", "title", "period_start", "period_end", "progress", "health"]


def goal_csv_lines(goals):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(GOAL_COLUMNS)
    for chunk in _chunks(goals):
        standings, _ = values.goal_values(chunk)
        for goal in chunk:
            standing = standings[goal.pk]
            row = [goal.pk, goal.product_id, goal.product.name, goal.title, goal.period_start, goal.period_end]
            writer.writerow([csv_cell(v) for v in [*row, standing.progress, standing.health]])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _chunks(queryset):
    chunk = []
    for row in queryset:
        chunk.append(row)
        if len(chunk) == CSV_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


KEY_RESULT_COLUMNS = [
    "id",
    "goal",
    "goal_title",
    "product",
    "title",
    "kpi",
    "kpi_name",
    "start_value",
    "target_value",
    "manual_value",
    "current_value",
    "current_period_start",
    "progress",
    "health",
]


def key_result_csv_lines(key_results):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(KEY_RESULT_COLUMNS)
    for chunk in _chunks(key_results):
        standings = values.key_result_values(chunk)
        for kr in chunk:
            standing, kpi = standings[kr.pk], values.kpi_of(kr)
            row = [
                kr.pk,
                kr.goal_id,
                kr.goal.title,
                kr.goal.product_id,
                kr.title,
                kpi.pk if kpi else None,
                kpi.name if kpi else None,
                kr.start_value,
                kr.target_value,
                kr.manual_value,
                standing.current,
                standing.period_start,
                standing.progress,
                standing.health,
            ]
            writer.writerow([csv_cell(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
