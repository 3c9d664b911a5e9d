"""Domain events: what every service that changes business data records, in its own transaction.

`record()` writes one `DomainEvent` row inside the caller's transaction and, after that transaction
commits, hands the committed rows to the handlers registered for their verb (`register_handler`).
A handler that fails leaves its event undispatched; `relay_pending()` (run by beat) retries what a
crash or an outage left behind, so handlers must be idempotent. Apps to the right of `products`
register their handlers from their `AppConfig.ready()`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from products.models import DomainEvent

log = logging.getLogger(__name__)

Handler = Callable[[DomainEvent], None]
_handlers: list[tuple[str, Handler]] = []
# Handlers that take every matching event of one dispatch at once (a list): a batch of 200 KPIs whose
# health changed costs them a fixed number of queries, not one per event.
_batch_handlers: list[tuple[str, Callable[[list[DomainEvent]], None]]] = []


def object_type_of(model_or_obj) -> str:
    """`LifecycleRule` → "lifecycle_rule", `KPI` → "kpi": the names the audit API uses."""
    name = model_or_obj.__name__ if isinstance(model_or_obj, type) else type(model_or_obj).__name__
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _plain(value):
    """A JSON-friendly copy of a field value, readable in the history."""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if value.is_finite() and abs(value.adjusted()) > 40:  # no column holds it; never a million zeros
            return str(value)
        return format(value.normalize(), "f")  # "12.5", never "12.500000" or "1.5E+3"
    return value


def snapshot(obj: Model, fields) -> dict:
    """The named fields of `obj` as plain values (foreign keys as ids)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = _plain(getattr(obj, field.attname))
    return values


def changes_between(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value differs."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def record(
    *,
    portfolio_id: int,
    actor,
    verb: str,
    obj: Model | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    object_repr: str | None = None,
    changes: dict | None = None,
    data: dict | None = None,
    at=None,
) -> DomainEvent:
    """Write one event in the current transaction; dispatch it to handlers after commit.

    `at` defaults to now; a service recording something dated (a backdated move) passes its time.
    """
    event = DomainEvent.objects.create(
        portfolio_id=portfolio_id,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        object_type=object_type or object_type_of(obj),
        object_id=object_id if object_id is not None else obj.pk,
        object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[:200],
        changes={name: [_plain(old), _plain(new)] for name, (old, new) in (changes or {}).items()},
        data=data or {},
    )
    event_id = event.id
    transaction.on_commit(lambda: dispatch(event_id))
    return event


def record_many(entries: list[dict], *, actor=None, at=None) -> list[int]:
    """Write several events (each a dict of `record`'s keyword arguments but `actor` and `at`) in one
    INSERT in the current transaction, and dispatch them together after commit: a batch that touched
    200 KPIs records 200 events for the cost of one statement."""
    at = at or timezone.now()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    rows = [
        DomainEvent(
            portfolio_id=entry["portfolio_id"],
            at=at,
            actor=actor,
            verb=entry["verb"],
            object_type=object_type_of(entry["obj"]),
            object_id=entry["obj"].pk,
            object_repr=str(entry["obj"])[:200],
            changes={name: [_plain(old), _plain(new)] for name, (old, new) in (entry.get("changes") or {}).items()},
            data=entry.get("data") or {},
        )
        for entry in entries
    ]
    # An event no handler listens to is dispatched as it is written: no read and update after commit.
    for event in rows:
        if not has_handler(event.verb):
            event.dispatched_at = at
    created = DomainEvent.objects.bulk_create(rows)
    ids = [event.id for event in created]
    pending = [event.id for event in created if event.dispatched_at is None]
    if pending:
        transaction.on_commit(lambda: dispatch_many(pending))
    return ids


def has_handler(verb: str) -> bool:
    return any(verb.startswith(prefix) for prefix, _ in [*_handlers, *_batch_handlers])


def save_changes(obj: Model, values: dict, *, portfolio_id: int, actor, verb: str, data=None) -> dict:
    """Set `values` on `obj`; when any differ, save just those fields and record one event.

    `data` may be a callable of the changed object (a description that must reflect the new values).
    Returns the changes, {} when nothing changed (and nothing was written).
    """
    before = snapshot(obj, values)
    for name, value in values.items():
        setattr(obj, name, value)
    changes = changes_between(before, snapshot(obj, values))
    if changes:
        obj.save(update_fields=list(changes))
        details = data(obj) if callable(data) else data
        record(portfolio_id=portfolio_id, actor=actor, verb=verb, obj=obj, changes=changes, data=details)
    return changes


def register_handler(verb_prefix: str, handler: Handler) -> None:
    """Call `handler(event)` after commit for every event whose verb starts with `verb_prefix`."""
    if (verb_prefix, handler) not in _handlers:
        _handlers.append((verb_prefix, handler))


def register_batch_handler(verb_prefix: str, handler: Callable[[list[DomainEvent]], None]) -> None:
    """Call `handler(events)` after commit with all the events of one dispatch whose verb starts with
    `verb_prefix` (a list, in id order). If it raises, every one of them stays undispatched for the relay,
    so it must be idempotent like any handler."""
    if (verb_prefix, handler) not in _batch_handlers:
        _batch_handlers.append((verb_prefix, handler))


def dispatch(event_id: int) -> bool:
    """Run the handlers of one committed event; mark it dispatched when all of them succeeded."""
    return dispatch_many([event_id]) == 1


def dispatch_many(event_ids: list[int]) -> int:
    """`dispatch` for several committed events: one read, the handlers, one update. Returns how many
    went through; a failed one stays undispatched for the relay."""
    done = []
    pending = list(DomainEvent.objects.filter(pk__in=event_ids, dispatched_at__isnull=True).order_by("id"))
    failed_ids: set[int] = set()
    for prefix, handler in _batch_handlers:
        matching = [event for event in pending if event.verb.startswith(prefix)]
        if not matching:
            continue
        try:
            handler(matching)
        except Exception:
            log.exception("events %s…: batch handler %s failed; the sweep retries them", matching[0].id, handler)
            failed_ids.update(event.id for event in matching)
    for event in pending:
        if event.id in failed_ids:
            continue  # the relay runs all of its handlers again
        failed = False
        for prefix, handler in _handlers:
            if event.verb.startswith(prefix):
                try:
                    handler(event)
                except Exception:
                    log.exception(
                        "event %s (%s): handler %s failed; the sweep retries it", event.id, event.verb, handler
                    )
                    failed = True
                    break
        if not failed:
            done.append(event.id)
    if done:
        DomainEvent.objects.filter(pk__in=done).update(dispatched_at=timezone.now())
    return len(done)


def relay_pending(*, older_than: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Dispatch events a crash or an outage left undispatched. Returns how many went through."""
    cutoff = timezone.now() - older_than
    ids = DomainEvent.objects.filter(dispatched_at__isnull=True, at__lt=cutoff).order_by("at", "id")
    return sum(dispatch(event_id) for event_id in list(ids.values_list("id", flat=True)[:limit]))


_models_by_type: dict[str, type[Model]] = {}


def _model_of(object_type: str):
    if not _models_by_type:
        from django.apps import apps

        _models_by_type.update({object_type_of(model): model for model in apps.get_models()})
    return _models_by_type.get(object_type)


def _readable_value(value, zone) -> str:
    """A recorded value as a person reads it; an instant ("2026-11-30T09:43:54.879871+00:00") as the
    minute in `zone` (the portfolio's), or in UTC saying so."""
    text = str(value)
    if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return text
        if instant.tzinfo is not None:
            return f"{instant.astimezone(zone):%Y-%m-%d %H:%M}" if zone else f"{instant:%Y-%m-%d %H:%M} UTC"
    return text


def readable_changes(event: DomainEvent, zone=None) -> list[tuple[str, str, str]]:
    """[(field label, old, new)] as a person reads them: "Stage: Maturity → Decline", not codes; times
    in `zone` (a tzinfo: the portfolio's)."""
    model = _model_of(event.object_type)
    rows = []
    for name, pair in event.changes.items():
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        label = name.replace("_", " ")
        choices = {}
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except Exception:  # a field the model no longer has: show the name as recorded
                field = None
            if field is not None:
                # A reverse relation (an idea's `feedback`) has no verbose name: its related model's plural.
                label = str(getattr(field, "verbose_name", None) or field.related_model._meta.verbose_name_plural)
                if getattr(field, "choices", None):
                    choices = {str(k): str(v) for k, v in field.flatchoices}
                elif field.is_relation and field.many_to_one:
                    # Names, not ids ("Product line: Analytics → Mobile"); a deleted one keeps its id.
                    ids = [v for v in (old, new) if v not in (None, "")]
                    related = field.related_model._default_manager.filter(pk__in=ids)
                    choices = {str(obj.pk): str(obj) for obj in related}
        shown = ["—" if v in (None, "") else choices.get(str(v)) or _readable_value(v, zone) for v in (old, new)]
        rows.append((label[:1].upper() + label[1:], *shown))
    return rows
