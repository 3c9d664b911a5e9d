"""CSV imports: recorded when uploaded, checked completely, then written all at once by a worker.

The life of an import (kpis.models.Import): `queued` → `validating` (every row read and checked; the
good ones staged in a temporary table, by COPY on PostgreSQL) → `importing` (one transaction moves
the staged rows into measurements with a set-based upsert, records the pending rollups and sets
`written_at`; then the rollups of every KPI touched are recomputed) → `done`. A file with any bad row
ends `failed` with its errors and writes nothing.

A worker killed half way loses nothing and writes nothing twice: before `written_at` a new run starts
the check again from the file; after it, the measurements are in and only the rollups (recorded as
pending rows in the same transaction) and the status are left. Two workers never run one import at
once (a session advisory lock on PostgreSQL, which dies with the connection of a killed worker).
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from kpis import imports, rollups
from kpis.models import KPI, Import, ImportFile, PendingRollup
from kpis.periods import merge_ranges
from kpis.rawvalues import as_date
from kpis.services.derived import rollups_recompute_many
from pmflow.celery import enqueue, enqueue_on_commit
from products import events
from products.models import Portfolio, Product

log = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)
CHUNK = 50_000  # rows staged per COPY, and how often the progress is saved
MAX_ATTEMPTS = 3  # runs an import gets (a worker killed, a time limit) before it is failed
STAGING = "pmflow_import_staging"


def import_create(
    *,
    portfolio: Portfolio,
    content: bytes,
    filename: str = "",
    kpi: KPI | None = None,
    actor=None,
    source: str = "api",
    run_now: bool = False,
) -> Import:
    """Record an import of `content` (the caller checked the user's role) and hand it to the worker after
    commit, or process it at once when `run_now` (a small paste on a page). Raises ImportRefused for a
    file that is too large, empty or not UTF-8 text (a whole-file problem needs no worker to find)."""
    imports.decode(content)  # too large, empty, not UTF-8 or with NUL bytes: refused now, not in a minute
    with transaction.atomic():
        upload = Import.objects.create(
            portfolio=portfolio,
            kpi=kpi,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            filename=filename[:255],
            size=len(content),
            source=source,
            total=imports.count_rows(content),
        )
        ImportFile.objects.create(upload=upload, content=content)
        if not run_now:
            from kpis.tasks import import_process as task

            enqueue_on_commit(task, upload.id)
    if run_now:
        import_process(import_id=upload.id)
        upload.refresh_from_db()
    return upload


def import_process(*, import_id: int) -> str:
    """Check, stage, write and roll up one import; returns its status. Safe to run again at any point."""
    with _running(import_id) as claimed:
        if not claimed:
            return "running elsewhere"
        upload = Import.objects.select_related("portfolio", "kpi").filter(pk=import_id).first()
        if upload is None or upload.status in (Import.Status.DONE, Import.Status.FAILED):
            return upload.status if upload else "gone"
        if upload.written_at is None:
            if upload.attempts >= MAX_ATTEMPTS:
                return _fail(
                    upload,
                    [
                        {
                            "line": None,
                            "column": None,
                            "message": "The import did not finish after "
                            f"{MAX_ATTEMPTS} attempts; try again with a smaller file.",
                        }
                    ],
                    0,
                )
            Import.objects.filter(pk=import_id).update(
                status=Import.Status.VALIDATING, started_at=timezone.now(), attempts=upload.attempts + 1, processed=0
            )
            try:
                checker = _check_and_stage(upload)
            except imports.ImportRefused as exc:
                return _fail(upload, exc.errors, len(exc.errors))
            if checker.error_count:
                return _fail(upload, checker.errors, checker.error_count, total=checker.rows)
            if not _write(upload, checker.rows):
                return Import.Status.FAILED
        _finish(import_id)
        return Import.Status.DONE


@contextmanager
def _running(import_id: int):
    if connection.vendor != "postgresql":
        yield True  # SQLite: one writer at a time anyway
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext('pmflow.import'), %s)", [import_id])
        claimed = cursor.fetchone()[0]
    try:
        yield claimed
    finally:
        if claimed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext('pmflow.import'), %s)", [import_id])
        _drop_staging()


def _lookups(upload: Import) -> dict:
    if upload.kpi_id is not None:
        return {"kpi_id": upload.kpi_id}
    products: dict[str, int | None] = {}
    for product_id, name in Product.objects.filter(portfolio_id=upload.portfolio_id).values_list("id", "name"):
        products[str(product_id)] = product_id
        folded = name.casefold()
        products[folded] = None if folded in products and products[folded] != product_id else product_id
    kpis = {
        (product_id, key): kpi_id
        for kpi_id, product_id, key in KPI.objects.filter(product__portfolio_id=upload.portfolio_id).values_list(
            "id", "product_id", "key"
        )
    }
    return {"products": products, "kpis": kpis}


def _check_and_stage(upload: Import) -> imports.Checker:
    """Read every row; stage the good ones while no bad one was seen; save progress every CHUNK rows."""
    raw = bytes(ImportFile.objects.filter(upload_id=upload.id).values_list("content", flat=True).first() or b"")
    text = imports.decode(raw)
    separator = imports.separator_of(text)
    checker = imports.Checker(zone=upload.portfolio.zone, separator=separator, **_lookups(upload))
    columns = imports.KPI_COLUMNS if upload.kpi_id else imports.PORTFOLIO_COLUMNS
    _create_staging()
    batch: list[tuple] = []
    for line, cells in imports.rows(
        text, columns=columns, header_required=upload.kpi_id is None, separator=separator, checker=checker
    ):
        staged = checker.row(line, cells)
        if staged is not None and not checker.error_count:
            batch.append(staged)
        if checker.rows % CHUNK == 0:
            _stage(batch)
            batch = []
            Import.objects.filter(pk=upload.id).update(processed=checker.rows, total=max(upload.total, checker.rows))
    if not checker.rows and not checker.error_count:
        raise imports.whole_file_error("There are no rows to import.")
    if not checker.error_count:
        _stage(batch)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # a temporary table has no statistics until analysed:
                cursor.execute(f"ANALYZE {STAGING}")  # without them the joins below go row by row
        _repeated_external_ids(checker)
    Import.objects.filter(pk=upload.id).update(processed=checker.rows, total=checker.rows)
    return checker


def _repeated_external_ids(checker: imports.Checker) -> None:
    """Record, as errors of the checker, the staged rows whose external id an earlier line of the file
    gave the same KPI (an external id names one measurement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT line, first_line FROM (
                SELECT line, MIN(line) OVER (PARTITION BY kpi_id, external_id) AS first_line
                FROM {STAGING} WHERE external_id IS NOT NULL
            ) repeated
            WHERE line <> first_line
            ORDER BY line
            """
        )
        for line, first_line in cursor.fetchall():
            checker.bad_rows += 1
            checker.error(line, "external_id", f"Repeats the external_id of line {first_line} for the same KPI.")


def _create_staging() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (line integer NOT NULL, kpi_id bigint NOT NULL, "
            f"observed_at {_timestamp()} NOT NULL, "
            "value numeric(20, 6) NOT NULL, external_id varchar(200))"
        )


def _timestamp() -> str:
    return "timestamptz" if connection.vendor == "postgresql" else "datetime"


def _drop_staging() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
    except Exception:  # noqa: BLE001 - a broken connection takes its temporary table with it
        log.debug("staging table not dropped", exc_info=True)


def _stage(batch: list[tuple]) -> None:
    if not batch:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.cursor.copy_expert(
                f"COPY {STAGING} (line, kpi_id, observed_at, value, external_id) FROM STDIN WITH (FORMAT csv)",
                imports.staging_csv(batch),
            )
        else:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.executemany(
                f"INSERT INTO {STAGING} (line, kpi_id, observed_at, value, external_id) VALUES (%s, %s, %s, %s, %s)",
                [(line, kpi_id, adapt(instant), value, ext) for line, kpi_id, instant, value, ext in batch],
            )


def _local_day(column: str, zone_name: str) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return f"({column} AT TIME ZONE %s)::date", [zone_name]
    if zone_name == "UTC":
        return f"date({column})", []
    return f"pmflow_local_date({column}, %s)", [zone_name]


def _write(upload: Import, rows: int) -> bool:
    """Move the staged rows into measurements in one transaction, with the pending rollups of the local
    days they touch (and of the days the measurements they update were on), one event per KPI and the
    import's counts. Returns False when the import was already written or is gone."""
    zone_name = upload.portfolio.timezone
    with transaction.atomic():
        locked = Import.objects.select_for_update().filter(pk=upload.id, written_at__isnull=True).first()
        if locked is None:
            return False
        Import.objects.filter(pk=upload.id).update(status=Import.Status.IMPORTING)
        rollups.tune_session()  # big set-based statements: no JIT, room to hash in memory
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT kpi_id FROM {STAGING} ORDER BY kpi_id")
            kpi_ids = [row[0] for row in cursor.fetchall()]
        # The KPIs' locks, in id order, as every writer of measurements takes them.
        list(KPI.objects.select_for_update().filter(pk__in=kpi_ids).order_by("id").values_list("id", flat=True))
        staged_day, staged_params = _local_day("s.observed_at", zone_name)
        stored_day, stored_params = _local_day("m.observed_at", zone_name)
        with connection.cursor() as cursor:
            # Per KPI: rows, how many update a stored measurement (same external id), and the local days
            # touched, old ones included.
            cursor.execute(
                f"""
                SELECT s.kpi_id, COUNT(*), COUNT(m.id), MIN({staged_day}), MAX({staged_day}),
                       MIN({stored_day}), MAX({stored_day})
                FROM {STAGING} s
                LEFT JOIN kpis_measurement m ON m.kpi_id = s.kpi_id AND m.external_id = s.external_id
                GROUP BY s.kpi_id
                """,
                [*staged_params, *staged_params, *stored_params, *stored_params],
            )
            per_kpi = cursor.fetchall()
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(
                f"""
                INSERT INTO kpis_measurement (kpi_id, observed_at, value, external_id, recorded_at)
                SELECT kpi_id, observed_at, value, external_id, %s FROM {STAGING} WHERE true
                ON CONFLICT (kpi_id, external_id) DO UPDATE SET observed_at = excluded.observed_at,
                    value = excluded.value, recorded_at = excluded.recorded_at
                """,
                [now],
            )
        pending, entries, created, updated = [], [], 0, 0
        kpis = {kpi.id: kpi for kpi in KPI.objects.filter(pk__in=kpi_ids).select_related("product")}
        for kpi_id, count, updates, first, last, old_first, old_last in per_kpi:
            # A day either side: the local days come from AT TIME ZONE here, which reads a few zone names
            # (CET, EET, MET, WET) as fixed offsets; recomputing an extra day changes nothing.
            days = [(as_date(first) - ONE_DAY, as_date(last) + ONE_DAY)]
            if old_first:
                days.append((as_date(old_first) - ONE_DAY, as_date(old_last) + ONE_DAY))
            pending += [PendingRollup(kpi_id=kpi_id, first_day=a, last_day=b) for a, b in merge_ranges(days)]
            created, updated = created + count - updates, updated + updates
            entries.append(
                {
                    "portfolio_id": upload.portfolio_id,
                    "verb": "kpi.measurements_added",
                    "obj": kpis[kpi_id],
                    "data": {
                        "created": count - updates,
                        "updated": updates,
                        "source": f"import {upload.id}",
                        "first": as_date(first).isoformat(),
                        "last": as_date(last).isoformat(),
                    },
                }
            )
        PendingRollup.objects.bulk_create(pending)
        events.record_many(entries, actor=upload.created_by)
        Import.objects.filter(pk=upload.id).update(
            written_at=timezone.now(), created=created, updated=updated, processed=rows, total=rows
        )
    return True


def _finish(import_id: int) -> None:
    """The rollups of the KPIs the import wrote (their pending rows), then `done` and the file freed."""
    upload = Import.objects.get(pk=import_id)
    kpi_ids = list(
        PendingRollup.objects.filter(Q(kpi__product__portfolio_id=upload.portfolio_id))
        .values_list("kpi_id", flat=True)
        .distinct()
    )
    if kpi_ids:
        rollups_recompute_many(kpi_ids=kpi_ids)
    with transaction.atomic():
        if (
            not Import.objects.filter(pk=import_id)
            .exclude(status=Import.Status.DONE)
            .update(status=Import.Status.DONE, finished_at=timezone.now())
        ):
            return
        ImportFile.objects.filter(upload_id=import_id).delete()
        events.record(
            portfolio_id=upload.portfolio_id,
            actor=None,
            verb="import.finished",
            obj=upload,
            data={"status": "done", "created": upload.created, "updated": upload.updated, "rows": upload.total},
        )


def _fail(upload: Import, errors: list[dict], count: int, total: int | None = None) -> str:
    with transaction.atomic():
        Import.objects.filter(pk=upload.id).update(
            status=Import.Status.FAILED,
            errors=errors[: imports.MAX_ERRORS],
            errors_truncated=count > imports.MAX_ERRORS,
            finished_at=timezone.now(),
            **({"total": total, "processed": total} if total is not None else {}),
        )
        ImportFile.objects.filter(upload_id=upload.id).delete()
        events.record(
            portfolio_id=upload.portfolio_id,
            actor=None,
            verb="import.finished",
            obj=upload,
            data={"status": "failed", "errors": count},
        )
    return Import.Status.FAILED


def imports_sweep(*, waited: timedelta = timedelta(minutes=5)) -> int:
    """Hand to the worker again the imports that stopped moving: queued while the broker was down, or
    left half way by a worker that died. A run that finds the import running elsewhere does nothing."""
    from kpis.tasks import import_process as task

    cutoff = timezone.now() - waited
    stale = Import.objects.filter(
        Q(status=Import.Status.QUEUED, created_at__lt=cutoff)
        | Q(status__in=[Import.Status.VALIDATING, Import.Status.IMPORTING], started_at__lt=cutoff)
    )
    handed = 0
    for import_id in stale.order_by("id").values_list("id", flat=True)[:100]:
        handed += enqueue(task, import_id)
    return handed


def imports_for_portfolio(portfolio_id: int):
    return Import.objects.filter(portfolio_id=portfolio_id).select_related("kpi__product", "created_by")
