"""GET /healthz: can pmflow serve, and is its background work keeping up?

- `down` (503): the database is unreachable; nothing can be served.
- `degraded` (200): the web serves, but a part named in `degraded` is failing: the broker is
  unreachable, no worker answers, or recorded background work (pending rollups, undispatched domain
  events) waits far longer than the sweeps allow. Writes still succeed: their work is recorded in the
  database and handed to the workers when they are back.
- `ok` (200): everything answers.
"""

from datetime import timedelta

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

# Work older than this is "stuck": the sweeps (every minute) should have handed it over long before.
STUCK_AFTER = timedelta(minutes=10)


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"ok": False, "error": str(exc)[:200]}


def _broker_and_worker() -> tuple[dict, dict]:
    from pmflow.celery import app

    if app.conf.task_always_eager:
        in_process = {"ok": True, "mode": "in-process (no broker configured)"}
        return in_process, in_process
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        broker = {"ok": True}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": str(exc)[:200]}, {"ok": False, "error": "broker unreachable"}
    try:
        replies = app.control.ping(timeout=1.0) or []
    except Exception as exc:  # noqa: BLE001
        return broker, {"ok": False, "error": str(exc)[:200]}
    workers = sorted(name for reply in replies for name in reply)
    return broker, {"ok": bool(workers), "workers": workers}


def _backlog() -> dict:
    from kpis.services import rollups_backlog
    from products.models import DomainEvent

    rollups = rollups_backlog()
    undispatched = DomainEvent.objects.filter(dispatched_at__isnull=True)
    oldest = undispatched.order_by("at").values_list("at", flat=True).first()
    events = {
        "undispatched": undispatched.count(),
        "oldest_seconds": round((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }
    stuck = STUCK_AFTER.total_seconds()
    return {
        "ok": rollups["oldest_seconds"] < stuck and events["oldest_seconds"] < stuck,
        "pending_rollups": rollups,
        "domain_events": events,
    }


@never_cache
def healthz(request):
    database = _database()
    if not database["ok"]:
        return JsonResponse({"status": "down", "degraded": ["database"], "database": database}, status=503)
    broker, worker = _broker_and_worker()
    parts = {"database": database, "broker": broker, "worker": worker, "backlog": _backlog()}
    failing = [name for name, part in parts.items() if not part["ok"]]
    body = {"status": "degraded" if failing else "ok", "degraded": failing, **parts}
    return JsonResponse(body, status=200)
