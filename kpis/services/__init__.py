"""Every write to KPIs and measurements, and the rollup and health work that follows them.

A package by subject: `definitions` (KPIs and their health), `measurements` (ingest, corrections),
`derived` (rollup recomputes and rebuilds). Callers import from here.
"""

from kpis.services.definitions import (
    KPI_FIELDS,
    kpi_delete,
    kpi_health_refresh,
    kpi_health_refresh_all,
    kpi_health_refresh_many,
    kpi_save,
)
from kpis.services.derived import (
    key_rollups_rebuild,
    rollups_backlog,
    rollups_rebuild,
    rollups_recompute,
    rollups_recompute_many,
    rollups_sweep,
    rollups_verify,
)
from kpis.services.imports import import_create, import_process, imports_for_portfolio, imports_sweep
from kpis.services.measurements import (
    MAX_BATCH,
    UPSERT_BATCH,
    InvalidImport,
    check_batch_size,
    clean_measurement_items,
    measurement_correct,
    measurement_delete,
    measurements_ingest,
    measurements_ingest_batch,
    measurements_write,
    parse_observed_at,
    parse_value,
    rollups_enqueue,
)

__all__ = [
    "key_rollups_rebuild",
    "import_create",
    "import_process",
    "imports_for_portfolio",
    "imports_sweep",
    "KPI_FIELDS",
    "MAX_BATCH",
    "UPSERT_BATCH",
    "InvalidImport",
    "check_batch_size",
    "clean_measurement_items",
    "kpi_delete",
    "kpi_health_refresh",
    "kpi_health_refresh_all",
    "kpi_health_refresh_many",
    "kpi_save",
    "measurement_correct",
    "measurement_delete",
    "measurements_ingest",
    "measurements_ingest_batch",
    "measurements_write",
    "parse_observed_at",
    "parse_value",
    "rollups_enqueue",
    "rollups_backlog",
    "rollups_rebuild",
    "rollups_recompute",
    "rollups_recompute_many",
    "rollups_sweep",
    "rollups_verify",
]
