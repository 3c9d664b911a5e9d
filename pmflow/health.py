"""GET /healthz: is the database reachable, the broker reachable, a worker answering?

Answers 200 when the web process can serve (database and broker up), 503 otherwise. A missing worker
is reported but does not fail the check: the web still serves while rollups wait in the queue.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"ok": False, "error": str(exc)[:200]}


def _broker_and_worker() -> tuple[dict, dict]:
    from pmflow.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
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


@never_cache
def healthz(request):
    database = _database()
    broker, worker = _broker_and_worker()
    healthy = database["ok"] and broker["ok"]
    body = {"status": "ok" if healthy else "down", "database": database, "broker": broker, "worker": worker}
    return JsonResponse(body, status=200 if healthy else 503)
