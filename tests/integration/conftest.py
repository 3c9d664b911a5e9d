"""A real Celery worker process against the test's PostgreSQL database and Redis."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for_worker(app, process, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}")
        if app.control.ping(timeout=0.5):
            return
    raise TimeoutError("no Celery worker answered within 60 s")


@pytest.fixture
def celery_worker_process(transactional_db, services_up, tmp_path):
    """Start `celery worker` as a separate process on the test database; stop it afterwards."""
    from pmflow.celery import app

    need(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "integration tests need PostgreSQL")
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.CELERY_BROKER_URL, "CI": ""}
    env.pop("CELERY_BROKER_URL", None)
    command = [
        sys.executable, "-m", "celery", "-A", "pmflow", "worker", "--pool=solo", "--queues=rollups,default",
        "--purge", "--without-gossip", "--without-mingle", f"--hostname=pmflow-test-{os.getpid()}@%h",
        "--loglevel=INFO",
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_worker(app, process, time.monotonic() + 60)
        yield process
    except Exception:
        print(log.read_text()[-4000:])
        raise
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print("--- worker log (tail) ---\n" + log.read_text()[-2000:])


def wait_until(check, *, timeout: float = 60.0, interval: float = 0.25):
    """Poll `check()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {check.__name__}")
