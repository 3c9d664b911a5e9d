"""Measurements: parsing, ingest (all or nothing, idempotent by external id), corrections."""

import logging
import re
from datetime import date, datetime, time
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from kpis.models import KPI, Measurement, PendingRollup
from kpis.periods import days_to_ranges
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


def parse_value(raw) -> Decimal:
    """A measurement value that fits its NUMERIC(20, 6) column, rounded to 6 places; ValueError with a
    message otherwise. The text is bounded before any Decimal arithmetic (pmflow.fields.bounded_decimal):
    `1e9999999` is refused at once, and a value that overflows only after rounding is refused too."""
    return bounded_decimal(raw, max_digits=20, decimal_places=6)


NUL_MESSAGE = "Null characters are not allowed."


def _has_nul(raw) -> bool:
    return isinstance(raw, str) and "\x00" in raw


def clean_measurement_items(items: list, zone) -> tuple[list[dict], list[dict]]:
    """Parse measurement items without writing: (cleaned rows, [{index, field, message}])."""
    cleaned, errors, seen = [], [], {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append({"index": index, "field": None, "message": "Expected an object."})
            continue
        row = {}
        for field, parse in (("observed_at", lambda v: _plausible(parse_observed_at(v, zone))), ("value", parse_value)):
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
            if external_id in seen:
                errors.append(
                    {
                        "index": index,
                        "field": "external_id",
                        "message": f"Repeats the external_id of item {seen[external_id]} in this request.",
                    }
                )
            seen.setdefault(external_id, index)
        unknown = set(item) - {"observed_at", "value", "external_id"}
        for field in sorted(unknown):
            errors.append({"index": index, "field": field, "message": "Unknown field."})
        row["external_id"] = external_id
        cleaned.append(row)
    return cleaned, errors


def measurements_ingest(*, kpi_id: int, items: list, actor=None, source: str = "api") -> dict:
    """Write measurements of one KPI, all or nothing; returns {"created", "updated"}.

    A repeated `external_id` updates the stored measurement instead of adding one. Raises
    InvalidImport with per-item errors (nothing written) for bad items or more than 10,000 of them.
    Enqueues the rollup recompute for the touched local days after the transaction commits.
    """
    if not isinstance(items, list) or not items:
        raise InvalidImport([{"index": None, "field": None, "message": "Send one measurement or a non-empty list."}])
    if len(items) > MAX_BATCH:
        raise InvalidImport(
            [{"index": None, "field": None, "message": f"At most {MAX_BATCH:,} measurements per request."}]
        )
    kpi = KPI.objects.select_related("product__portfolio").get(pk=kpi_id)
    zone = kpi.product.portfolio.zone
    cleaned, errors = clean_measurement_items(items, zone)
    if errors:
        raise InvalidImport(errors)
    touched: set[date] = set()
    with transaction.atomic():
        # One writer per KPI at a time: two imports with the same external_id cannot both insert it.
        KPI.objects.select_for_update().filter(pk=kpi_id).first()
        external_ids = [row["external_id"] for row in cleaned if row["external_id"] is not None]
        existing = {}
        for start in range(0, len(external_ids), 1000):
            chunk = external_ids[start : start + 1000]
            stored = Measurement.objects.filter(kpi_id=kpi_id, external_id__in=chunk)
            existing.update(stored.values_list("external_id", "observed_at"))
        updated = 0
        for row in cleaned:
            touched.add(row["observed_at"].astimezone(zone).date())
            stored_at = existing.get(row["external_id"]) if row["external_id"] is not None else None
            if stored_at is not None:
                updated += 1
                touched.add(stored_at.astimezone(zone).date())
        _measurements_upsert(kpi_id, cleaned)
        result = {"created": len(cleaned) - updated, "updated": updated}
        events.record(
            portfolio_id=kpi.product.portfolio_id,
            actor=actor,
            verb="kpi.measurements_added",
            obj=kpi,
            data={**result, "source": source, "first": min(touched).isoformat(), "last": max(touched).isoformat()},
        )
        rollups_enqueue(kpi_id=kpi_id, days=touched)
    return result


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
        new_at = _plausible(parse_observed_at(observed_at, zone)) if observed_at is not None else None
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


def _measurements_upsert(kpi_id: int, rows: list[dict]) -> None:
    """Insert the rows; one with a stored external_id updates that measurement instead.

    One multi-row `INSERT … ON CONFLICT … DO UPDATE` per 1,000 rows, the same SQL on PostgreSQL and
    SQLite. Rows without an external_id never conflict (NULLs are distinct). About 3× faster than
    building and compiling 1,000 model instances through the ORM.
    """
    ops, now = connection.ops, timezone.now()
    columns = "(kpi_id, observed_at, value, external_id, recorded_at)"
    for start in range(0, len(rows), UPSERT_BATCH):
        batch = rows[start : start + UPSERT_BATCH]
        params = []
        for row in batch:
            params += [
                kpi_id,
                ops.adapt_datetimefield_value(row["observed_at"]),
                ops.adapt_decimalfield_value(row["value"], 20, 6),
                row["external_id"],
                ops.adapt_datetimefield_value(now),
            ]
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO kpis_measurement {columns} VALUES {values} "
                "ON CONFLICT (kpi_id, external_id) DO UPDATE SET observed_at = excluded.observed_at, "
                "value = excluded.value, recorded_at = excluded.recorded_at",
                params,
            )


def rollups_enqueue(*, kpi_id: int, days: set[date]) -> None:
    """Record, in the current transaction, that these local days of the KPI need their rollups
    recomputed, and hand the KPI to the worker after commit.

    The record is the guarantee: if the broker is down or the worker dies, the sweep finds it again.
    """
    from kpis.tasks import recompute_rollups

    PendingRollup.objects.bulk_create(
        [PendingRollup(kpi_id=kpi_id, first_day=first, last_day=last) for first, last in days_to_ranges(days)]
    )
    enqueue_on_commit(recompute_rollups, kpi_id)
