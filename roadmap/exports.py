"""The roadmap as a spreadsheet: one set of columns for the page's download and the API's CSV."""

import csv
import io

from pmflow.forms import csv_cell

COLUMNS = [
    "id",
    "product",
    "kind",
    "parent_id",
    "parent",
    "title",
    "status",
    "horizon",
    "rank",
    "release",
    "owner",
    "start_date",
    "end_date",
    "reach",
    "impact",
    "confidence",
    "effort",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "value",
    "moscow",
    "rice_score",
    "wsjf_score",
    "value_effort",
    "weighted_score",
    "feedback_count",
    "depends_on",
    "regulatory",
    "regulation",
    "expected_kpi_key",
    "expected_change_pct",
    "description",
]


def score(value) -> float | None:
    """A score as clients and people read it: 4 decimals, none of a float's noise (0.30000000000000004)."""
    return None if value is None else round(float(value), 4)


def item_row(item) -> list:
    """One item as a CSV row (an item from `roadmap.selectors.roadmap_items`: scores and links loaded)."""
    return [
        item.id,
        item.product.name,
        item.kind,
        item.parent_id,
        item.parent.title if item.parent_id else "",
        item.title,
        item.status,
        item.horizon,
        item.rank,
        item.release.version if item.release_id else "",
        item.owner.get_username() if item.owner_id else "",
        item.start_date,
        item.end_date,
        item.reach,
        item.impact,
        item.confidence,
        item.effort,
        item.business_value,
        item.time_criticality,
        item.risk_reduction,
        item.job_size,
        item.value,
        item.moscow,
        score(item.rice_score),
        score(item.wsjf_score),
        score(item.value_effort),
        score(item.weighted_score),
        item.feedback_count,
        " ".join(str(d.depends_on_id) for d in item.dependencies.all()),
        "yes" if item.regulatory else "",
        item.regulation,
        item.expected_kpi_key,
        item.expected_change_pct,
        item.description,
    ]


def csv_lines(items):
    """The roadmap as CSV lines (BOM first, so a spreadsheet reads UTF-8), one at a time for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    for item in items:
        writer.writerow([csv_cell(value) for value in item_row(item)])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
