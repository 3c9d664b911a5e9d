import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmflow.settings")

app = Celery("pmflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
