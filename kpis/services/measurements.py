"""Measurements: parsing, ingest (all or nothing, idempotent by external id), corrections."""

import logging
import re
from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from kpis.models import KPI, Measurement, PendingRollup
from kpis.periods import days_to_ranges
from kpis.rawvalues import as_datetime
from pmflow.celery import enqueue_on_commit
from pmflow.errors import InvalidInput, NotFound
from pmflow.fields import bounded_decimal
from products import events

log = logging.getLogger(__name__)

MAX_BATCH = 10_000


class InvalidImport(InvalidInput):
    """Some measurements are not valid; none were written."""

    code = "invalid_import"

    def __init__(self, errors: list[dict]):
        super().__init__("Some measurements are not valid; none were written.")
        self.errors = errors

    def as_dict(self) -> dict:
        return {"errors": self.errors}


# --- measurements --------------------------------------------------------------------------------


DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")
FORMAT_HINT = "Use an ISO date (2026-03-31) or a datetime with an offset (2026-03-31T09:00:00+02:00)."
NO_OFFSET = "A datetime needs a UTC offset (e.g. +00:00 or Z); without one it is ambiguous."


def parse_observed_at(raw, zone) -> datetime:
    """An ISO date means that day in the portfolio's time zone; a datetime must carry its offset."""
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        return datetime.combine(raw, time.min, tzinfo=zone)
    elif isinstance(raw, str) and raw.strip():
        text = raw.strip()
        try:
            if len(text) == 10:  # YYYY-MM-DD
                if DATE_SHAPE.fullmatch(text):
                    try:
                        return datetime.combine(date.fromisoformat(text), time.min, tzinfo=zone)
                    except ValueError:
                        raise ValueError(f"{text} is not a date in the calendar.") from None
                raise ValueError(FORMAT_HINT)
            moment = datetime.fromisoformat(text)  # Python 3.11+ reads offsets and a trailing Z
        except ValueError:
            raise ValueError(FORMAT_HINT) from None
    else:
        raise ValueError("This field is required.")
    if moment.tzinfo is None:
        raise ValueError(NO_OFFSET)
    return moment


def _plausible(moment: datetime) -> datetime:
    if not 1900 <= moment.year <= 2200:
        raise ValueError("The date must be between the years 1900 and 2200.")
    return moment


def parse_instant(raw, zone) -> datetime:
    """`observed_at` as every writer takes it: parse_observed_at, within the years 1900 to 2200."""
    return _plausible(parse_observed_at(raw, zone))


def parse_value(raw) -> Decimal:
    """A measurement value that fits its NUMERIC(20, 6) column, rounded to 6 places; ValueError with a
    message otherwise. The text is bounded before any Decimal arithmetic (pmflow.fields.bounded_decimal):
    `1e9999999` is refused at once, and a value that overflows only after rounding is refused too."""
    return bounded_decimal(raw, max_digits=20, decimal_places=6)


# A plain number that fits NUMERIC(20, 6) as written needs none of parse_value's checks.
PLAIN_NUMBER = re.compile(r"-?\d{1,14}(\.\d{1,6})?")
SMALL_INT = 10**14


def _value(raw) -> Decimal:
    if type(raw) is int and -SMALL_INT < raw < SMALL_INT:
        return Decimal(raw)
    if type(raw) is str and PLAIN_NUMBER.fullmatch(raw):
        return Decimal(raw)
    return parse_value(raw)


NUL_MESSAGE = "Null characters are not allowed."


def _has_nul(raw) -> bool:
    return isinstance(raw, str) and "\x00" in raw


ITEM_FIELDS = ("observed_at", "value", "external_id")


def clean_measurement_items(
    items: list, zone, *, kpi_ids: list | None = None, zones: list | None = None, also: tuple = ()
) -> tuple[list[dict], list[dict]]:
    """Parse measurement items without writing: (cleaned rows, [{index, field, message}]).

    For a batch across KPIs, `kpi_ids` and `zones` give each item's KPI and time zone (an external id
    repeats only within one KPI), and `also` names the fields that referenced the KPI.
    """
    cleaned, errors, seen = [], [], {}
    allowed = {*ITEM_FIELDS, *also}
    instants: dict = {}  # a feed repeats a few dates: each (text, zone) is parsed once

    def instant(raw, zone):
        if not isinstance(raw, str):
            return parse_instant(raw, zone)
        mark = (raw, zone)
        if mark not in instants:
            try:
                instants[mark] = parse_instant(raw, zone)
            except ValueError as exc:
                instants[mark] = exc
        if isinstance(instants[mark], ValueError):
            raise instants[mark]
        return instants[mark]

    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append({"index": index, "field": None, "message": "Expected an object."})
            continue
        if zones is not None:
            zone = zones[index]
        row = {}
        for field, parse in (
            ("observed_at", lambda v, z=zone: instant(v, z)),
            ("value", _value),
        ):
            try:
                if _has_nul(item.get(field)):
                    raise ValueError(NUL_MESSAGE)
                row[field] = parse(item.get(field))
            except ValueError as exc:
                errors.append({"index": index, "field": field, "message": str(exc)})
        external_id = item.get("external_id")
        if _has_nul(external_id):  # PostgreSQL cannot store a NUL character
            errors.append({"index": index, "field": "external_id", "message": NUL_MESSAGE})
            external_id = None
        elif external_id in ("", None):
            external_id = None
        elif not isinstance(external_id, str | int) or isinstance(external_id, bool) or len(str(external_id)) > 200:
            errors.append(
                {"index": index, "field": "external_id", "message": "Use a string of at most 200 characters."}
            )
        else:
            external_id = str(external_id)
            mark = (kpi_ids[index] if kpi_ids is not None else None, external_id)
            if mark in seen:
                errors.append(
                    {
                        "index": index,
                        "field": "external_id",
                        "message": f"Repeats the external_id of item {seen[mark]} in this request.",
                    }
                )
            seen.setdefault(mark, index)
        unknown = set(item) - allowed
        for field in sorted(unknown):
            errors.append({"index": index, "field": field, "message": "Unknown field."})
        row["external_id"] = external_id
        cleaned.append(row)
    return cleaned, errors


def check_batch_size(items) -> None:
    """InvalidImport unless `items` is a list of 1 to 10,000."""
    if not isinstance(items, list) or not items:
        raise InvalidImport([{"index": None, "field": None, "message": "Send one measurement or a non-empty list."}])
    if len(items) > MAX_BATCH:
        raise InvalidImport(
            [{"index": None, "field": None, "message": f"At most {MAX_BATCH:,} measurements per request."}]
        )


def measurements_ingest(*, kpi_id: int, items: list, actor=None, source: str = "api") -> dict:
    """Write measurements of one KPI, all or nothing; returns {"created", "updated"}.

    A repeated `external_id` updates the stored measurement instead of adding one. Raises
    InvalidImport with per-item errors (nothing written) for bad items or more than 10,000 of them.
    Enqueues the rollup recompute for the touched local days after the transaction commits.
    """
    check_batch_size(items)
    kpi = KPI.objects.select_related("product__portfolio").get(pk=kpi_id)
    cleaned, errors = clean_measurement_items(items, kpi.product.portfolio.zone)
    if errors:
        raise InvalidImport(errors)
    for row in cleaned:
        row["kpi_id"] = kpi.id
    return measurements_write(kpis={kpi.id: kpi}, rows=cleaned, actor=actor, source=source)


def measurements_ingest_batch(
    *, kpis: dict[int, KPI], kpi_ids: list, items: list, actor=None, source="api", reference_errors=()
):
    """Write a batch of measurements across KPIs, all or nothing; returns {"created", "updated"}.

    `kpi_ids[i]` is the KPI of `items[i]` (resolved and permission-checked by the caller, see
    kpis.selectors.kpis_for_batch); `kpis` holds them with their portfolios. Each item is checked with
    its KPI's time zone (an item whose KPI is unknown, listed in `reference_errors`, with UTC, so that
    its other problems are reported at once). One rollup task follows for every KPI touched.
    """
    check_batch_size(items)
    utc = ZoneInfo("UTC")
    zones = [kpis[kpi_id].product.portfolio.zone if kpi_id is not None else utc for kpi_id in kpi_ids]
    cleaned, errors = clean_measurement_items(items, None, kpi_ids=kpi_ids, zones=zones, also=("kpi", "product", "key"))
    if errors or reference_errors:
        raise InvalidImport(sorted([*reference_errors, *errors], key=lambda e: (e["index"], e["field"] or "")))
    for row, kpi_id in zip(cleaned, kpi_ids, strict=True):
        row["kpi_id"] = kpi_id
    return measurements_write(kpis=kpis, rows=cleaned, actor=actor, source=source)


def measurements_write(*, kpis: dict[int, KPI], rows: list[dict], actor=None, source: str = "api") -> dict:
    """Insert or update (by external id) checked rows [{kpi_id, observed_at, value, external_id}] in one
    transaction; record one event per KPI and the pending rollups of the local days touched, and hand
    all the KPIs to one rollup task after commit. Returns {"created", "updated"}."""
    from kpis.tasks import recompute_rollups_many

    touched: dict[int, set[date]] = defaultdict(set)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    with transaction.atomic():
        # One writer per KPI at a time (in id order, so two batches never deadlock): two imports with
        # the same external_id cannot both insert it.
        ids = sorted({row["kpi_id"] for row in rows})
        list(KPI.objects.select_for_update().filter(pk__in=ids).order_by("id").values_list("id", flat=True))
        existing = _stored_external_ids([(row["kpi_id"], row["external_id"]) for row in rows if row["external_id"]])
        for row in rows:
            kpi_id, zone = row["kpi_id"], kpis[row["kpi_id"]].product.portfolio.zone
            touched[kpi_id].add(row["observed_at"].astimezone(zone).date())
            stored_at = existing.get((kpi_id, row["external_id"])) if row["external_id"] is not None else None
            counts[kpi_id][stored_at is not None] += 1
            if stored_at is not None:
                touched[kpi_id].add(stored_at.astimezone(zone).date())
        _measurements_upsert(rows)
        events.record_many(
            [
                {
                    "portfolio_id": kpis[kpi_id].product.portfolio_id,
                    "verb": "kpi.measurements_added",
                    "obj": kpis[kpi_id],
                    "data": {
                        "created": created,
                        "updated": updated,
                        "source": source,
                        "first": min(touched[kpi_id]).isoformat(),
                        "last": max(touched[kpi_id]).isoformat(),
                    },
                }
                for kpi_id, (created, updated) in sorted(counts.items())
            ],
            actor=actor,
        )
        _record_pending(touched)
        enqueue_on_commit(recompute_rollups_many, ids)
    updated = sum(u for _, u in counts.values())
    return {"created": len(rows) - updated, "updated": updated}


def _stored_external_ids(pairs: list[tuple[int, str]]) -> dict[tuple[int, str], datetime]:
    """{(kpi_id, external_id): observed_at} of the stored measurements among `pairs`, looked up by the
    (kpi, external_id) index, 1,000 pairs a query."""
    wanted = sorted(set(pairs))
    stored = {}
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            cursor.execute(
                "SELECT kpi_id, external_id, observed_at FROM kpis_measurement WHERE (kpi_id, external_id) IN "
                f"(VALUES {', '.join(['(%s, %s)'] * len(chunk))})",
                [value for pair in chunk for value in pair],
            )
            for kpi_id, external_id, at in cursor.fetchall():
                stored[(kpi_id, external_id)] = as_datetime(at)
    return stored


def measurement_correct(*, measurement_id: int, actor=None, observed_at=None, value=None) -> Measurement:
    """Correct one measurement's time or value; the rollups of the old and the new day follow.

    Raises InvalidInput (field messages) for a bad date or number, NotFound when it is gone.
    """
    measurement = Measurement.objects.select_related("kpi__product__portfolio").filter(pk=measurement_id).first()
    if measurement is None:
        raise NotFound()
    kpi = measurement.kpi
    zone = kpi.product.portfolio.zone
    changes = {}
    try:
        new_at = parse_instant(observed_at, zone) if observed_at is not None else None
    except ValueError as exc:
        raise InvalidInput(fields={"observed_at": str(exc)}) from None
    try:
        new_value = parse_value(value) if value is not None else None
    except ValueError as exc:
        raise InvalidInput(fields={"value": str(exc)}) from None
    with transaction.atomic():
        KPI.objects.select_for_update().filter(pk=kpi.pk).first()
        measurement = Measurement.objects.select_for_update().get(pk=measurement_id)
        touched = {measurement.observed_at.astimezone(zone).date()}
        if new_at is not None and new_at != measurement.observed_at:
            changes["observed_at"] = [measurement.observed_at, new_at]
            measurement.observed_at = new_at
            touched.add(new_at.astimezone(zone).date())
        if new_value is not None and new_value != measurement.value:
            changes["value"] = [measurement.value, new_value]
            measurement.value = new_value
        if changes:
            measurement.save(update_fields=[*changes, "recorded_at"])
            events.record(
                portfolio_id=kpi.product.portfolio_id,
                actor=actor,
                verb="kpi.measurement_corrected",
                obj=kpi,
                changes=changes,
                data={"measurement": measurement.id},
            )
            rollups_enqueue(kpi_id=kpi.id, days=touched)
    return measurement


def measurement_delete(*, measurement_id: int, actor=None) -> None:
    """Delete one measurement; its day's rollups follow."""
    with transaction.atomic():
        measurement = Measurement.objects.select_related("kpi__product__portfolio").filter(pk=measurement_id).first()
        if measurement is None:
            raise NotFound()
        kpi = measurement.kpi
        KPI.objects.select_for_update().filter(pk=kpi.pk).first()
        day = measurement.observed_at.astimezone(kpi.product.portfolio.zone).date()
        events.record(
            portfolio_id=kpi.product.portfolio_id,
            actor=actor,
            verb="kpi.measurement_deleted",
            obj=kpi,
            changes={"value": [measurement.value, None]},
            data={"measurement": measurement.id, "observed_at": measurement.observed_at.isoformat()},
        )
        measurement.delete()
        rollups_enqueue(kpi_id=kpi.id, days={day})


UPSERT_BATCH = 1000


def _measurements_upsert(rows: list[dict]) -> None:
    """Insert the rows [{kpi_id, observed_at, value, external_id}]; one with a stored external_id
    updates that measurement instead.

    One multi-row `INSERT … ON CONFLICT … DO UPDATE` per 1,000 rows, the same SQL on PostgreSQL and
    SQLite. Rows without an external_id never conflict (NULLs are distinct). About 3× faster than
    building and compiling 1,000 model instances through the ORM.
    """
    ops, now = connection.ops, timezone.now()
    columns = "(kpi_id, observed_at, value, external_id, recorded_at)"
    conflict = (
        "ON CONFLICT (kpi_id, external_id) DO UPDATE SET observed_at = excluded.observed_at, "
        "value = excluded.value, recorded_at = excluded.recorded_at"
    )
    if connection.vendor == "postgresql":  # one statement of four arrays: no 50,000 parameters to parse
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO kpis_measurement {columns} SELECT k, o, v, e, %s "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::numeric[], %s::varchar[]) AS t(k, o, v, e) "
                + conflict,
                [
                    now,
                    [row["kpi_id"] for row in rows],
                    [row["observed_at"] for row in rows],
                    [row["value"] for row in rows],
                    [row["external_id"] for row in rows],
                ],
            )
        return
    stamp = ops.adapt_datetimefield_value(now)
    for start in range(0, len(rows), UPSERT_BATCH):
        batch = rows[start : start + UPSERT_BATCH]
        params = []
        for row in batch:
            params += [
                row["kpi_id"],
                ops.adapt_datetimefield_value(row["observed_at"]),
                ops.adapt_decimalfield_value(row["value"], 20, 6),
                row["external_id"],
                stamp,
            ]
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO kpis_measurement {columns} VALUES {values} " + conflict, params)


def _record_pending(touched: dict[int, set[date]]) -> None:
    PendingRollup.objects.bulk_create(
        [
            PendingRollup(kpi_id=kpi_id, first_day=first, last_day=last)
            for kpi_id, days in touched.items()
            for first, last in days_to_ranges(days)
        ]
    )


def rollups_enqueue(*, kpi_id: int, days: set[date]) -> None:
    """Record, in the current transaction, that these local days of the KPI need their rollups
    recomputed, and hand the KPI to the worker after commit.

    The record is the guarantee: if the broker is down or the worker dies, the sweep finds it again.
    """
    from kpis.tasks import recompute_rollups

    _record_pending({kpi_id: days})
    enqueue_on_commit(recompute_rollups, kpi_id)
