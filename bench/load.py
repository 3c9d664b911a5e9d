"""Load test on 127.0.0.1 (run by hand; not part of the test suite): throughput and latency of KPI reads,
measurement posts and page views, with zero errors and zero lost measurements at the load reported.

1. Recreates the database LOAD_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/pmflow_load),
   migrates it and seeds one portfolio: 10 products, 50 KPIs, 30 days of measurements, a product
   manager with an API token and a signed-in session.
2. Starts gunicorn (--web-workers), a Celery worker (--worker-concurrency) and beat on
   LOAD_REDIS_URL (default redis://127.0.0.1:6379/12, flushed first), as in production (DEBUG off).
3. Baseline: one user of each kind for --duration seconds, in the same run.
4. Load: --users users (3 API readers : 2 feeds : 1 page viewer) for --duration seconds, --runs times
   (locust headless, bench/locustfile.py). Medians over the runs of throughput and p50/p95/p99.
5. Waits (bounded) for the rollup work to drain, then checks that every measurement the feeds were told
   was created is stored, once, and that the rollups equal a rebuild from the measurements.

Prints p95 under load as a ratio of the one-user baseline; exits non-zero (MISSED) on any failed request,
any lost or doubled measurement, rollups that differ from a rebuild, or work that does not drain.

    .venv/bin/python bench/load.py                          # 30 users, 5 runs of 20 s
    .venv/bin/python bench/load.py --users 10 --runs 5 --duration 10   # quick
"""

import argparse
import csv
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/pmflow_load"
REDIS_URL = os.environ.get("LOAD_REDIS_URL") or "redis://127.0.0.1:6379/12"
RESULTS = ROOT / "bench" / "results" / "load.json"
BATCH = 10  # measurements per POST (bench/locustfile.py)
# Shared by the servers and the seeding process, which signs the product manager's session with it.
SECRET_KEY = "load-test-only-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(static_root: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        # Rollup work the sweep finds again quickly, so the final check does not wait minutes.
        "ROLLUP_SWEEP_SECONDS": "5",
        "ROLLUP_SWEEP_AFTER_SECONDS": "20",
    }
    env.pop("CELERY_BROKER_URL", None)
    return env


def _recreate_database() -> None:
    import psycopg2

    url = urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    admin = psycopg2.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _seed() -> dict:
    """One portfolio in this process (tasks in-process: no broker here), returned as locust's environment."""
    os.environ.update({"DATABASE_URL": DATABASE_URL, "DJANGO_SETTINGS_MODULE": "pmflow.settings", "DEBUG": "0"})
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from datetime import UTC, datetime, timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from knox.models import AuthToken

    from kpis.services import kpi_save, measurements_ingest
    from products.services import portfolio_create, product_create

    user = get_user_model().objects.create_user("load-pm", password="load-pm-password-1")
    portfolio = portfolio_create(name="Load test", timezone_name="Europe/Berlin", creator=user)
    now = datetime.now(UTC)
    products, kpis = [], []
    for p in range(10):
        product = product_create(portfolio=portfolio, name=f"Product {p}", description="Load.", actor=user)
        products.append(product.id)
        for k in range(5):
            aggregation = ("sum", "avg", "max", "sum", "last")[k]
            kpi = kpi_save(product=product, actor=user, key=f"kpi-{k}", name=f"KPI {k}", aggregation=aggregation)
            kpis.append(kpi.id)
            items = [
                {"observed_at": (now - timedelta(hours=6 * i)).isoformat(), "value": (i * 7) % 90 + 1}
                for i in range(120)
            ]
            measurements_ingest(kpi_id=kpi.id, items=items, actor=user)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {
        "LOAD_TOKEN": AuthToken.objects.create(user)[1],
        "LOAD_SESSION": session.session_key,
        "LOAD_PORTFOLIO": str(portfolio.id),
        "LOAD_PRODUCTS": json.dumps(products),
        "LOAD_KPIS": json.dumps(kpis),
    }


class Servers:
    def __init__(self, env: dict, args, logs: Path):
        self.env, self.logs, self.running = env, logs, []
        self.port = _free_port()
        self.host = f"http://127.0.0.1:{self.port}"
        self._start("gunicorn", "-m", "gunicorn", "pmflow.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                    "--workers", str(args.web_workers), "--timeout", "60")  # fmt: skip
        self._start("worker", "-m", "celery", "-A", "pmflow", "worker", "--queues=rollups,default",
                    f"--concurrency={args.worker_concurrency}", "--without-gossip", "--without-mingle",
                    "--loglevel=WARNING")  # fmt: skip
        self._start("beat", "-m", "celery", "-A", "pmflow", "beat", "-s", str(logs / "beat-schedule"),
                    "--loglevel=WARNING")  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start: see " + str(logs / "gunicorn.log"))

    def _start(self, name: str, *command: str) -> None:
        with open(self.logs / f"{name}.log", "ab") as log:
            command = [sys.executable, *command]
            self.running.append(subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def stop(self) -> None:
        for process in self.running:
            process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _locust(host: str, users: int, spawn_rate: float, duration: int, env: dict, prefix: Path) -> dict:
    """One headless locust run; returns {name: row} from its stats CSV ("Aggregated" included)."""
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
        "--host", host, "-u", str(users), "-r", str(spawn_rate), "-t", f"{duration}s", "--stop-timeout", "10",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, timeout=duration + 90)
    with open(f"{prefix}_stats.csv", newline="") as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def _figures(row: dict) -> dict:
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p95": float(row["95%"]),
        "p99": float(row["99%"]),
    }


def _check_data(ledger: Path, seeded: int) -> dict:
    """Wait for rollup work to drain; compare stored measurements and rollups with what must be there.

    The ledger holds the external id of every measurement a feed was told was created (201): each must
    be stored exactly once. Requests cut off at the end of a run may have been stored without the feed
    hearing back; those are extra, not lost."""
    from django.db.models import Count

    from kpis.models import Measurement, PendingRollup, Rollup
    from kpis.services import rollups_rebuild

    deadline = time.monotonic() + 180
    while PendingRollup.objects.exists() and time.monotonic() < deadline:
        time.sleep(1)
    pending = PendingRollup.objects.count()
    stored = Measurement.objects.count()
    acknowledged = set(ledger.read_text().split()) if ledger.exists() else set()
    found = set()
    ids = sorted(acknowledged)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        found |= set(Measurement.objects.filter(external_id__in=chunk).values_list("external_id", flat=True))
    doubled = (
        Measurement.objects.exclude(external_id=None)
        .values("external_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    fields = ("kpi_id", "granularity", "period_start", "value", "count", "total", "minimum", "maximum")
    incremental = list(Rollup.objects.order_by(*fields[:3]).values_list(*fields))
    rollups_rebuild()
    rebuilt = list(Rollup.objects.order_by(*fields[:3]).values_list(*fields))
    return {
        "seeded": seeded,
        "acknowledged": len(acknowledged),
        "measurements_stored": stored,
        "lost": len(acknowledged - found),
        "doubled_external_ids": doubled,
        "pending_rollups_left": pending,
        "rollup_rows": len(rebuilt),
        "rollups_equal_rebuild": incremental == rebuilt,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=15)
    parser.add_argument("--duration", type=int, default=20, help="seconds per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("redis-server") is None and not REDIS_URL:
        raise SystemExit("Redis is needed (LOAD_REDIS_URL)")

    work = Path(tempfile.mkdtemp(prefix="pmflow-load-"))
    static_root = str(work / "static")
    env = _server_env(static_root)
    print(f"database {DATABASE_URL}, redis {REDIS_URL}, logs {work}")
    _recreate_database()
    _flush_redis()
    _manage(env, "migrate", "--noinput")
    _manage(env, "createcachetable")
    _manage(env, "collectstatic", "--noinput")
    locust_env = {**os.environ, **_seed(), "LOAD_LEDGER": str(work / "acknowledged-ids.txt")}
    from kpis.models import Measurement

    seeded = Measurement.objects.count()

    servers = Servers(env, args, work)
    try:
        time.sleep(2)  # workers and beat connect
        baseline = _locust(servers.host, 6, 6, args.duration, locust_env, work / "baseline")
        runs = [
            _locust(servers.host, args.users, args.spawn_rate, args.duration, locust_env, work / f"run{i}")
            for i in range(args.runs)
        ]
        data = _check_data(locust_env["LOAD_LEDGER"] and Path(locust_env["LOAD_LEDGER"]), seeded)
    finally:
        servers.stop()

    aggregated = [_figures(r["Aggregated"]) for r in runs]
    median = {k: statistics.median(f[k] for f in aggregated) for k in ("rps", "p50", "p95", "p99")}
    base = _figures(baseline["Aggregated"])
    failures = sum(f["failures"] for f in aggregated) + base["failures"]
    ratio = median["p95"] / base["p95"] if base["p95"] else float("nan")

    print(
        f"\nload: {args.users} users ({args.runs} runs × {args.duration} s), gunicorn {args.web_workers} workers, "
        f"celery concurrency {args.worker_concurrency}, {os.cpu_count()} CPUs"
    )
    print(f"{'endpoint':44} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'fail':>5}")
    names = [n for n in runs[0] if n != "Aggregated"] + ["Aggregated"]
    per_endpoint = {}
    for name in names:
        figures = [_figures(r[name]) for r in runs if name in r]
        row = {k: statistics.median(f[k] for f in figures) for k in ("rps", "p50", "p95", "p99")}
        row["failures"] = sum(f["failures"] for f in figures)
        per_endpoint[name] = row
        print(
            f"{name[:44]:44} {row['rps']:7.1f} {row['p50']:7.0f} {row['p95']:7.0f} {row['p99']:7.0f} "
            f"{row['failures']:5d}"
        )
    print(
        f"baseline (6 users): {base['rps']:.1f} req/s, p95 {base['p95']:.0f} ms; "
        f"p95 under load / baseline = {ratio:.2f}×"
    )
    print(
        f"measurements: {data['acknowledged']} acknowledged with 201, {data['lost']} of them not stored, "
        f"{data['doubled_external_ids']} stored twice ({data['measurements_stored']} stored in all, "
        f"{data['seeded']} seeded); pending rollups left "
        f"{data['pending_rollups_left']}; rollups equal a rebuild: {data['rollups_equal_rebuild']}"
    )
    problems = []
    if failures:
        problems.append(f"{failures} failed requests")
    if data["lost"] or data["doubled_external_ids"]:
        problems.append("lost or doubled measurements")
    if data["pending_rollups_left"] or not data["rollups_equal_rebuild"]:
        problems.append("rollups not caught up or different from a rebuild")
    print("MISSED: " + "; ".join(problems) if problems else "OK: zero errors, zero lost measurements")

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "args": vars(args),
                "median": median,
                "baseline": base,
                "ratio_p95": ratio,
                "endpoints": per_endpoint,
                "data": data,
                "failures": failures,
            },  # fmt: skip
            indent=2,
        )
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
