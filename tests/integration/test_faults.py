"""Faults as an operator meets them, against real processes: gunicorn (2 workers), a Celery worker and
beat, PostgreSQL and a Redis this test starts on a port of its own.

- Redis stopped while the app serves: writes still answer 201 and /healthz says "degraded"; when Redis
  is back, the recorded rollup work resumes and the rollups equal a rebuild.
- The worker's main process SIGKILLed while it recomputes a 10,000-row batch: after a restart the
  sweep finds the work again; the rollups equal a rebuild, and nothing is counted twice.
- PostgreSQL unreachable (the app reaches it through a proxy the test cuts): a clear 503 with
  Retry-After, /healthz "down", and nothing of the refused write is stored.

Every wait is bounded; every process is stopped at the end, whatever happened.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from knox.models import AuthToken

from kpis.models import KPI, Measurement, PendingRollup, Rollup
from kpis.services import rollups_rebuild
from products.models import Role
from tests.conftest import need
from tests.factories import KPIFactory, ProductFactory, member
from tests.integration.conftest import _database_url, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
FAST_SWEEP = {"ROLLUP_SWEEP_SECONDS": "1", "ROLLUP_SWEEP_AFTER_SECONDS": "2", "BROKER_PAUSE_SECONDS": "1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Child processes of one test, each with its log; all stopped (and their logs shown) at the end."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
        with open(self.tmp_path / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.running[name] = process
        return process

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        process = self.running.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self, name: str) -> str:
        path = self.tmp_path / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)
        for path in sorted(self.tmp_path.glob("*.log")):
            print(f"--- {path.name} (tail) ---\n{path.read_text(errors='replace')[-1500:]}")


@pytest.fixture
def processes(transactional_db, services_up, tmp_path):
    need(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "fault tests need PostgreSQL")
    need(bool(subprocess.run(["which", "redis-server"], capture_output=True).stdout), "redis-server is not installed")
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()


class Redis:
    def __init__(self, processes: Processes):
        self.processes, self.port = processes, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.processes.start("redis", command + ["--dir", str(self.processes.tmp_path)])
        wait_until(self.answers, timeout=15)

    def stop(self) -> None:
        self.processes.stop("redis", signal.SIGKILL)  # gone at once, with whatever it queued

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def _app_env(redis_url: str, database_url: str | None = None, **extra) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url or _database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "fault-tests-only-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CI": "",
        **FAST_SWEEP,
        **extra,
    }
    env.pop("CELERY_BROKER_URL", None)
    return env


class App:
    """gunicorn with two workers; `call()` speaks JSON with a token."""

    def __init__(self, processes: Processes, env: dict):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable, "-m", "gunicorn", "pmflow.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", "2", "--timeout", "60", "--graceful-timeout", "5",
        ]  # fmt: skip
        processes.start("gunicorn", command, env)
        self.token = ""
        wait_until(self.listening, timeout=30)

    def listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def call(self, method: str, path: str, body=None, timeout: float = 30) -> tuple[int, dict, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                parsed = json.loads(raw or b"{}")
            except ValueError:
                parsed = {"raw": raw[:200].decode(errors="replace")}
            return error.code, parsed, dict(error.headers)


def _worker(processes: Processes, env: dict, name: str = "worker") -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "pmflow", "worker", "--pool=solo", "--queues=rollups,default",
        "--without-gossip", "--without-mingle", f"--hostname={name}-{os.getpid()}@%h", "--loglevel=INFO",
    ]  # fmt: skip
    return processes.start(name, command, env)


def _beat(processes: Processes, env: dict) -> subprocess.Popen:
    schedule = processes.tmp_path / "beat-schedule"
    command = [sys.executable, "-m", "celery", "-A", "pmflow", "beat", "-s", str(schedule), "--loglevel=INFO"]
    return processes.start("beat", command, env)


def _rollup_rows(kpi_ids) -> list[tuple]:
    fields = ("kpi_id", "granularity", "period_start", "value", "count", "total", "minimum", "maximum")
    return list(Rollup.objects.filter(kpi_id__in=kpi_ids).order_by(*fields[:3]).values_list(*fields))


def _assert_rollups_equal_a_rebuild(portfolio_id: int, kpi_ids) -> None:
    incremental = _rollup_rows(kpi_ids)
    rollups_rebuild(portfolio_id=portfolio_id)
    assert incremental and incremental == _rollup_rows(kpi_ids)


def _no_pending_rollups() -> bool:
    return not PendingRollup.objects.exists()


def _items(days: int, start: date, prefix: str, per_day: int = 1) -> list[dict]:
    return [
        {
            "observed_at": f"{start + timedelta(days=d)}T{9 + n % 10:02d}:00:00+00:00",
            "value": (d * 7 + n) % 50 + 1,
            "external_id": f"{prefix}-{d}-{n}",
        }
        for d in range(days)
        for n in range(per_day)
    ]


def _connect():
    """A second connection to the test database, outside the test's."""
    import psycopg2

    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return psycopg2.connect(host=host, port=port, user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"])


def _a_recompute_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.fixture
def team():
    product = ProductFactory()
    kpis = [KPIFactory(product=product, key=f"k{i}", aggregation="sum") for i in range(3)]
    user = member(product.portfolio, Role.PRODUCT_MANAGER)
    return product.portfolio, kpis, AuthToken.objects.create(user)[1]


def test_writes_answer_201_while_redis_is_down_and_the_work_resumes_when_it_is_back(processes, team):
    portfolio, kpis, token = team
    redis = Redis(processes)
    redis.start()
    env = _app_env(redis.url)
    app = App(processes, env)
    app.token = token
    _worker(processes, env)
    _beat(processes, env)

    status, body, _ = app.call("POST", f"/api/v1/kpis/{kpis[0].id}/measurements/", _items(31, date(2026, 3, 1), "a"))
    assert (status, body) == (201, {"created": 31, "updated": 0})
    wait_until(_no_pending_rollups, timeout=60)

    redis.stop()
    started = time.monotonic()
    for kpi in kpis:
        status, body, _ = app.call("POST", f"/api/v1/kpis/{kpi.id}/measurements/", _items(30, date(2026, 4, 1), "b"))
        assert (status, body) == (201, {"created": 30, "updated": 0})
    assert time.monotonic() - started < 20, "writes must not hang on the broker"
    status, health, _ = app.call("GET", "/healthz")
    assert (status, health["status"], "broker" in health["degraded"]) == (200, "degraded", True)
    assert PendingRollup.objects.filter(kpi__in=kpis).exists()

    redis.start()  # an empty Redis: whatever was queued before is gone
    wait_until(_no_pending_rollups, timeout=90)
    assert Measurement.objects.filter(kpi__in=kpis).count() == 31 + 3 * 30
    _assert_rollups_equal_a_rebuild(portfolio.id, [k.id for k in kpis])


def test_a_worker_killed_during_a_recompute_loses_nothing_and_counts_nothing_twice(processes, team):
    portfolio, kpis, token = team
    redis = Redis(processes)
    redis.start()
    env = _app_env(redis.url)
    app = App(processes, env)
    app.token = token
    batches = {kpi.id: _items(730, date(2025, 1, 1), f"kill{kpi.id}", per_day=13)[:9490] for kpi in kpis}
    for kpi_id, items in batches.items():  # no worker yet: the work waits, recorded
        status, body, _ = app.call("POST", f"/api/v1/kpis/{kpi_id}/measurements/", items, timeout=120)
        assert (status, body) == (201, {"created": len(items), "updated": 0})
    assert PendingRollup.objects.filter(kpi__in=kpis).count() == len(kpis)

    # Hold the KPIs' row locks, so the worker's first recompute is caught inside its transaction.
    locker = _connect()
    with locker.cursor() as cursor:
        cursor.execute("SELECT id FROM kpis_kpi WHERE id = ANY(%s) FOR UPDATE", [[k.id for k in kpis]])
    worker = _worker(processes, env)
    try:
        wait_until(_a_recompute_waits_for_a_lock, timeout=60)
        os.kill(worker.pid, signal.SIGKILL)  # the main process, half way through its first recompute
        worker.wait(timeout=10)
        processes.running.pop("worker")
    finally:
        locker.rollback()
        locker.close()
    assert PendingRollup.objects.filter(kpi__in=kpis).count() == len(kpis), "the killed work must still be recorded"

    _worker(processes, env, name="worker2")
    _beat(processes, env)
    wait_until(_no_pending_rollups, timeout=120)
    _assert_rollups_equal_a_rebuild(portfolio.id, [k.id for k in kpis])

    kpi_id, items = next(iter(batches.items()))  # the client retries a batch it is unsure about
    status, body, _ = app.call("POST", f"/api/v1/kpis/{kpi_id}/measurements/", items, timeout=120)
    assert (status, body) == (201, {"created": 0, "updated": len(items)})
    assert Measurement.objects.filter(kpi__in=kpis).count() == sum(len(items) for items in batches.values())


class TCPProxy:
    """127.0.0.1:<port> → PostgreSQL, which the test can cut (connections closed, new ones refused)."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, _free_port()
        self.sockets: list[socket.socket] = []
        self.listener = None
        self.lock = threading.Lock()

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close() alone does not
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.sockets = []


def test_postgresql_unreachable_is_a_clear_503_and_writes_nothing(processes, team):
    portfolio, kpis, token = team
    db = connection.settings_dict
    proxy = TCPProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    redis = Redis(processes)
    redis.start()
    proxied = _database_url().replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/")
    app = App(processes, _app_env(redis.url, database_url=proxied))
    app.token = token
    url = f"/api/v1/kpis/{kpis[0].id}/measurements/"
    assert app.call("POST", url, _items(5, date(2026, 3, 1), "before"))[0] == 201

    proxy.cut()
    status, body, headers = app.call("POST", url, _items(5, date(2026, 3, 10), "during"))
    assert (status, body.get("code"), headers.get("Retry-After")) == (503, "service_unavailable", "30"), body
    status, health, _ = app.call("GET", "/healthz")
    assert (status, health["status"], health["degraded"]) == (503, "down", ["database"])

    proxy.start()
    wait_until(lambda: app.call("GET", "/healthz")[0] == 200, timeout=30)
    stored = set(Measurement.objects.filter(kpi=kpis[0]).values_list("external_id", flat=True))
    assert stored == {f"before-{d}-0" for d in range(5)}
    assert app.call("POST", url, _items(5, date(2026, 3, 10), "during"))[0] == 201
    assert KPI.objects.filter(product__portfolio=portfolio).count() == 3
