"""Shared by bench/ingest.py and bench/reads.py: database setup, loading, timing and the summary table.

bench/rollups.py uses its database and SQL helpers (ensure_database, sql, one, kpi_ids). The portfolios
made here are named "scale …"; rollups.py deletes the ones named "bench …" and refuses a
database holding other measurements, so the two use different databases: BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/pmflow_bench_scale (not rollups.py's pmflow_bench).

`setup()` must run before anything imports Django models: it points Django at that database, with no
broker (Celery tasks run in-process on commit, as in rollups.py), `DEBUG` off as in production (no query
log kept per statement) and the test client's host allowed.
"""

import json
import logging
import os
import platform
import resource
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/pmflow_bench_scale"
RESULTS = ROOT / "bench" / "results"
ZONE = "Europe/Berlin"
DAYS = 365
AGGREGATIONS = ("sum", "sum", "avg", "sum", "avg", "last", "sum", "min", "avg", "max")  # as bench/rollups.py
SETTINGS = ("jit", "work_mem", "max_parallel_workers_per_gather", "shared_buffers", "synchronous_commit")
LOCK = 7_402_117  # advisory lock: one ingest.py or reads.py run per database at a time
SECRET_KEY = "bench-only-not-secret"
USERNAME = "scale-admin"


def django_env(database_url: str = DATABASE_URL, broker_url: str | None = None) -> dict:
    """The environment of a pmflow process on the bench database: this one (no broker) or a worker."""
    env = dict(os.environ)
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    if broker_url:
        env["REDIS_URL"] = broker_url
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="pmflow.settings",
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="testserver,127.0.0.1",  # the test client's host, with DEBUG off
        SECURE_SSL_REDIRECT="false",  # the test client speaks plain HTTP
    )
    return env


def ensure_database(database_url: str = DATABASE_URL) -> None:
    """Create the benchmark database if it is missing (bench/rollups.py passes its own)."""
    import psycopg2
    from psycopg2 import sql as pgsql

    url = urlparse(database_url)
    name = unquote(url.path.lstrip("/"))
    admin = psycopg2.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=unquote(url.username or "postgres"),
        password=unquote(url.password) if url.password else None,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"creating database {name}")
            cursor.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    admin.close()


def setup() -> None:
    """Create and migrate the database, start Django in this process, and take the run lock."""
    ensure_database()
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("REDIS_URL", None)  # no broker: CELERY_TASK_ALWAYS_EAGER, tasks run in-process
    os.environ.update(django_env())
    import django

    django.setup()
    # Eager Celery still builds a (never connected) broker connection for its serializer; mute its warning.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    from django.core.management import call_command

    if not one("SELECT pg_try_advisory_lock(%s)", [LOCK]):  # held until this process disconnects
        sys.exit("another bench/ingest.py or bench/reads.py is running on this database; wait for it")
    call_command("migrate", verbosity=0)


# --- SQL -------------------------------------------------------------------------------------------------


def sql(statement: str, params=None, fetch: bool = False):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if fetch else None


def one(statement: str, params=None):
    return sql(statement, params, fetch=True)[0][0]


def vacuum(*tables: str) -> None:
    for table in tables:
        sql(f"VACUUM ANALYZE {table}")


def server_settings() -> str:
    from django.db import connection

    shown = ", ".join(f"{name} {one(f'SHOW {name}')}" for name in SETTINGS)
    return f"PostgreSQL {connection.pg_version // 10000} ({shown})"


# --- portfolios ------------------------------------------------------------------------------------------


def kpi_ids(portfolio_id: int) -> list[int]:
    from kpis.models import KPI

    kpis = KPI.objects.filter(product__portfolio_id=portfolio_id).order_by("id")
    return list(kpis.values_list("id", flat=True))


def empty(portfolio_id: int) -> None:
    """Delete a portfolio's measurements and everything derived from them, and its imports; bulk, as the
    ORM cascade would go row by row."""
    from django.db import transaction

    ids = kpi_ids(portfolio_id)
    with transaction.atomic():
        sql("DELETE FROM kpis_pendingrollup WHERE kpi_id = ANY(%s)", [ids])
        sql("DELETE FROM kpis_rollup WHERE kpi_id = ANY(%s)", [ids])
        sql("DELETE FROM kpis_keyrollup WHERE portfolio_id = %s", [portfolio_id])
        sql("DELETE FROM kpis_measurement WHERE kpi_id = ANY(%s)", [ids])
        sql(
            "DELETE FROM kpis_importfile WHERE upload_id IN (SELECT id FROM kpis_import WHERE portfolio_id = %s)",
            [portfolio_id],
        )
        sql("DELETE FROM kpis_import WHERE portfolio_id = %s", [portfolio_id])


def drop(portfolio) -> None:
    from django.db import transaction

    with transaction.atomic():
        empty(portfolio.id)
        portfolio.delete()


@dataclass(frozen=True)
class Layout:
    """A portfolio's shape: `kpis` KPIs over `products` products, KPI i on product i % products with key
    metric-(i // products); aggregation per KPI (as bench/rollups.py) or per key (a key combinable across
    products, as GET /api/v1/rollups/ requires)."""

    kpis: int = 200
    products: int = 50
    aggregation_per_key: bool = False

    def aggregation(self, i: int) -> str:
        return AGGREGATIONS[(i // self.products if self.aggregation_per_key else i) % len(AGGREGATIONS)]


def load(name: str, layout: Layout, measurements: int, fresh: bool = False) -> int:
    """The portfolio `name` with the layout's KPIs and `measurements` measurements over DAYS days up to
    yesterday (Europe/Berlin), one INSERT … SELECT FROM generate_series (as bench/rollups.py load()); kept
    while its shape matches. Returns its id."""
    from django.db import transaction
    from django.utils import timezone

    from kpis.models import KPI
    from products.models import Portfolio, Product

    existing = Portfolio.objects.filter(name=name).first()
    if existing is not None:
        ids = kpi_ids(existing.id)
        products = Product.objects.filter(portfolio=existing).count()
        stored = one("SELECT COUNT(*) FROM kpis_measurement WHERE kpi_id = ANY(%s)", [ids]) if ids else 0
        if not fresh and len(ids) == layout.kpis and products == layout.products and stored == measurements:
            return existing.id
        print(f"deleting {name}")
        drop(existing)

    zone = ZoneInfo(ZONE)
    last_day = timezone.now().astimezone(zone).date() - timedelta(days=1)
    start = datetime.combine(last_day - timedelta(days=DAYS - 1), clock.min, tzinfo=zone)
    span = (datetime.combine(last_day + timedelta(days=1), clock.min, tzinfo=zone) - start).total_seconds()
    if measurements:
        print(f"loading {name}: {measurements:,} measurements of {layout.kpis} KPIs …", flush=True)
    started = time.perf_counter()
    monthly_sum = Decimal(round(500 * max(measurements, layout.kpis) / layout.kpis / DAYS * 30))
    with transaction.atomic():
        portfolio = Portfolio.objects.create(name=name, timezone=ZONE)
        products = Product.objects.bulk_create(
            Product(portfolio=portfolio, name=f"Product {i}", stage="growth", stage_changed_at=portfolio.created_at)
            for i in range(layout.products)
        )
        created = KPI.objects.bulk_create(
            KPI(
                product=products[i % layout.products],
                key=f"metric-{i // layout.products}",
                name=f"Metric {i}",
                aggregation=layout.aggregation(i),
                target=monthly_sum if layout.aggregation(i) == "sum" else Decimal(500),
            )
            for i in range(layout.kpis)
        )
        if measurements:
            sql("SELECT setseed(0.25)")  # the same values on every load
            sql(
                """
                INSERT INTO kpis_measurement (kpi_id, observed_at, value, external_id, recorded_at)
                SELECT (%(ids)s::bigint[])[1 + n %% %(kpis)s],
                       %(start)s::timestamptz + (n * %(span)s / %(count)s) * interval '1 second',
                       round((random() * 1000)::numeric, 2), NULL, now()
                FROM generate_series(0, %(count)s - 1) AS n
                """,
                {
                    "ids": [k.id for k in created],
                    "kpis": layout.kpis,
                    "start": start,
                    "span": span,
                    "count": measurements,
                },
            )
    if measurements:
        vacuum("kpis_measurement", "kpis_kpi", "products_product")
        print(f"loaded in {time.perf_counter() - started:.1f} s", flush=True)
    return portfolio.id


def member(portfolio_ids: list[int]):
    """The benchmark's user, an admin of these portfolios (for the test client's force_login)."""
    from django.contrib.auth import get_user_model

    from products.models import Membership

    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    for portfolio_id in portfolio_ids:
        Membership.objects.get_or_create(portfolio_id=portfolio_id, user=user, defaults={"role": "admin"})
    return user


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


# --- timing ----------------------------------------------------------------------------------------------


def median(values) -> float:
    return statistics.median(values)


class Phases:
    """Seconds spent in named functions of a module, accumulated while `wrap` is on (the functions are
    looked up by name at call time, so wrapping the module attribute catches every call)."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self._undo: list = []
        self._inside: list[str] = []  # the labels of the wrapped calls under way, innermost last

    def wrap(self, module, attribute: str, label: str | None = None) -> None:
        original = getattr(module, attribute)
        label = label or attribute

        def timed(*args, **kwargs):
            started = time.perf_counter()
            self._inside.append(label)
            try:
                return original(*args, **kwargs)
            finally:
                self._inside.pop()
                self.seconds[label] += time.perf_counter() - started

        setattr(module, attribute, timed)
        self._undo.append((module, attribute, original))

    def wrap_commits(self) -> None:
        """Also time every COMMIT (where PostgreSQL runs the deferred foreign-key checks), as
        "<label> COMMIT" of the innermost wrapped call under way; atomic() commits through
        connection.commit, so an attribute on the connection object catches them."""
        from django.db import connection

        original = connection.commit

        def commit():
            started = time.perf_counter()
            try:
                return original()
            finally:
                label = f"{self._inside[-1]} COMMIT" if self._inside else "COMMIT"
                self.seconds[label] += time.perf_counter() - started

        connection.commit = commit
        self._undo.append((connection, "commit", None))

    def unwrap(self) -> None:
        while self._undo:
            module, attribute, original = self._undo.pop()
            if original is None:
                delattr(module, attribute)  # back to the class's method
            else:
                setattr(module, attribute, original)

    def reset(self) -> None:
        self.seconds.clear()


class StatementTimes:
    """connection.execute_wrapper: seconds and calls per statement shape (its first words), for a
    "where the time goes" list."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    @staticmethod
    def label(statement: str) -> str:
        words = " ".join(statement.split())
        for mark in (" WHERE ", " VALUES ", " ON CONFLICT "):
            words = words.split(mark)[0] if mark in words[:200] else words
        return words[:110]

    def __call__(self, execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            label = self.label(statement)
            self.seconds[label] += time.perf_counter() - started
            self.calls[label] += 1

    def top(self, n: int = 8) -> list[dict]:
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])[:n]
        return [{"statement": s, "seconds": round(t, 4), "calls": self.calls[s]} for s, t in ranked]


class Explain:
    """connection.execute_wrapper for an extra, untimed run: statements on the measurement, rollup and
    staging tables run as EXPLAIN (ANALYZE, BUFFERS) (which executes them); a SELECT then runs again for
    its rows. Prints the plans of those that took at least `min_seconds`."""

    TABLES = ("kpis_measurement", "kpis_rollup", "kpis_keyrollup", "pmflow_import_staging")

    def __init__(self, min_seconds: float = 0.1):
        self.min_seconds = min_seconds

    def __call__(self, execute, statement, params, many, context):
        head = statement.lstrip()[:6].upper()
        if many or head not in ("INSERT", "DELETE", "SELECT") or not any(t in statement for t in self.TABLES):
            return execute(statement, params, many, context)
        started = time.perf_counter()
        execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params, many, context)
        took = time.perf_counter() - started
        plan = "\n".join(row[0] for row in context["cursor"].fetchall())
        if took >= self.min_seconds:
            print(f"\n-- {1000 * took:.0f} ms: {' '.join(statement.split())[:200]} …\n{plan}", flush=True)
        if head == "SELECT":
            return execute(statement, params, many, context)
        return None


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the summary ---------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One line of the summary: ours and the baseline in `unit`, their ratio against a goal.

    `higher_is_better`: the ratio is ours / baseline of a rate (rows/s) and must reach `goal`; otherwise
    it is ours / baseline of a time and must stay at or below `goal`. `goal` None: reported only."""

    name: str
    ours: float
    baseline: float
    unit: str
    goal: float | None
    higher_is_better: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)
    broken: str = ""  # a failed check (wrong data, an error response): MISSED whatever the ratio

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    @property
    def status(self) -> str:
        if self.broken:
            return "MISSED"
        if self.goal is None:
            return "info"
        met = self.ratio >= self.goal if self.higher_is_better else self.ratio <= self.goal
        return "OK" if met else "MISSED"

    def goal_text(self) -> str:
        if self.goal is None:
            return "—"
        return f"{'≥' if self.higher_is_better else '≤'} {self.goal:.4g}"


def _number(value: float, unit: str) -> str:
    if unit == "rows/s":
        return f"{value:,.0f} {unit}"
    if unit == "queries":
        return f"{value:.0f} {unit}"
    return f"{value:.4g} {unit}"


def summarize(figures: list[Figure], title: str, context: dict, path: Path) -> int:
    """Print the table, write the JSON; returns the exit status (1 when any figure MISSED)."""
    rows = [
        (f.name, _number(f.ours, f.unit), _number(f.baseline, f.unit), f"{f.ratio:.4g}", f.goal_text(), f.status)
        for f in figures
    ]
    header = ("figure", "ours", "baseline", "ratio", "goal", "status")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n===== {title} =====")
    for key, value in context.items():
        print(f"{key}: {value}")
    line = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    for f in figures:
        if f.note or f.broken:
            print(f"- {f.name}: {f.broken + ' ' if f.broken else ''}{f.note}")
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "title": title,
        "at": datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        **context,
        "figures": [{**asdict(f), "ratio": f.ratio, "status": f.status} for f in figures],
    }
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written to {path.relative_to(ROOT)}")
    return 1 if any(f.status == "MISSED" for f in figures) else 0
