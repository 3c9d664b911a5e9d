import logging
import os
import time

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmflow.settings")

app = Celery("pmflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger("pmflow.tasks")


# Options for every task: acknowledged late (a killed worker's task runs again) and retried with
# backoff and jitter for transient database errors only, at most 5 times.
def transient_retry():
    from django.db import InterfaceError, OperationalError

    return {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": (OperationalError, InterfaceError),
        "retry_backoff": True,
        "retry_jitter": True,
        "max_retries": 5,
    }


# After a failed publish, requests stop trying the broker for a while: each would otherwise pay the
# connection attempts, and the work they would hand over is recorded in the database anyway.
BROKER_PAUSE_SECONDS = float(os.environ.get("BROKER_PAUSE_SECONDS", "10"))
_broker_paused_until = 0.0


def enqueue(task, *args, **kwargs) -> bool:
    """Hand a task to the broker (or run it in-process when none is configured); never raise.

    Call it only for work that is also recorded in the database (a pending rollup row, an undispatched
    domain event) or re-derived by a periodic job: when the broker is down, or the in-process task
    fails, this logs and returns False, and the sweep that reads the record does the work later. A
    request that committed its data therefore never answers 500 because of the broker.
    """
    global _broker_paused_until
    eager = app.conf.task_always_eager
    if not eager and time.monotonic() < _broker_paused_until:
        log.info("broker paused after a failure: %s left for the sweep", task.name)
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs)
        return True
    except Exception as exc:  # noqa: BLE001 - whatever the broker or the in-process task raised
        if not eager:
            _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        log.warning("could not run %s now (%s: %s); the periodic sweep will", task.name, type(exc).__name__, exc)
        return False


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """`enqueue` once the current transaction commits (at once outside one)."""
    from django.db import transaction

    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
