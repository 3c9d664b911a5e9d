import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmflow.settings")

app = Celery("pmflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
