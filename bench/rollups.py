"""Rollup benchmark on PostgreSQL (run by hand; not part of the test suite).

1. Loads one portfolio (Europe/Berlin) with N KPIs (mixed aggregations) and M measurements over 365 days,
   with one INSERT … SELECT FROM generate_series; kept between runs (--fresh reloads it).
2. Times kpis.services.rollups_rebuild (day, week, month, quarter, year rows, key rows across the
   portfolio, health), median of --repeat, interleaved with two hand-written baselines in the same run,
   each one INSERT … SELECT date_trunc(…) … GROUP BY per granularity straight from the measurements:
   - naive: writes only sum and count into a TEMP table (no WAL, no index, no key, no foreign key), at the
     server's default settings. Goal (issue 8): rebuild (rows in place) / naive <= 0.8, else MISSED
     and exit status 1.
   - like-for-like: every column kpis_rollup has (value per aggregation, count, total, minimum, maximum,
     last_value, last_observed_at) into a logged table made LIKE kpis_rollup INCLUDING ALL (identity key,
     unique index on (kpi_id, granularity, period_start)) with the same deferred foreign key to kpis_kpi,
     emptied by TRUNCATE; the local date taken with AT TIME ZONE, as the naive one. Ratio printed, no goal.
   The rebuild is timed with its rows in place (as the periodic rebuild finds them) and again after the
   portfolio's rollups were deleted (not timed): a rebuild that writes only rows that changed is much
   cheaper in the first case, so both are shown.
3. Checks the rebuilt rollups: every column of every row against the like-for-like table (which is worked
   out from the measurements without kpis.rollups), and counts and totals against the naive table.
4. Writes 1,000 measurements as one batch through kpis.services.measurements_ingest_batch (what
   POST /api/v1/measurements/ calls) in transaction.atomic(), the one rollup task running in-process on
   commit (eager Celery), and times parse + write until the rollups are
   recomputed, as a share of the rebuild. Goal: <= 2 %. Two shapes: a daily feed (1,000 / N new values for
   every KPI on the latest day) and a backfill (1,000 values of one KPI over the last 30 days). The added
   measurements are deleted and their rollups recomputed afterwards, so re-runs see the same data.
   Missing it is reported as MISSED too (exit status 1).

    .venv/bin/python bench/rollups.py                                  # 1,000,000 measurements, 200 KPIs
    .venv/bin/python bench/rollups.py --measurements 100000 --kpis 50  # quick
    .venv/bin/python bench/rollups.py --explain                        # also EXPLAIN ANALYZE every statement

Database: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/pmflow_bench), created if missing
and migrated. No broker is configured, so Celery tasks run in-process. Results: bench/results/rollups.json.
The 2-CPU machine is shared: medians of --repeat (default 5) interleaved runs, and still read them warily.
"""

import argparse
import json
import logging
import os
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/pmflow_bench"
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.pop("REDIS_URL", None)  # no broker: CELERY_TASK_ALWAYS_EAGER, tasks run in-process
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "pmflow.settings"
os.environ.setdefault("DEBUG", "0")  # as in production: no query log kept per statement
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("LOG_LEVEL", "WARNING")

ZONE = "Europe/Berlin"
SETTINGS = ("jit", "work_mem", "max_parallel_workers_per_gather")  # printed with the results
DAYS = 365
GRANULARITIES = ("day", "week", "month", "quarter", "year")
AGGREGATIONS = ("sum", "sum", "avg", "sum", "avg", "last", "sum", "min", "avg", "max")  # cycled over KPIs
NAME = "bench rollups"  # other portfolios named "bench…" are deleted as leftovers of earlier benchmarks
ADDED = 1000  # measurements posted for the incremental update
TIMES = ("total", "ingest", "recompute")  # per incremental run
LOCK = 7_402_113  # advisory lock id: one run per database at a time
GOAL_RATIO = 0.8  # rebuild / naive (issue 8)
GOAL_SHARE = 0.02  # incremental update / rebuild
FULL = "bench_full_rollup"  # the like-for-like baseline's table
TAG = "bench-inc-"  # external_id prefix of the measurements the incremental part adds (and deletes)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ensure_database, kpi_ids, one, sql  # noqa: E402


def remove_added(portfolio_id: int) -> list[int]:
    """Delete measurements a (possibly interrupted) incremental run added; returns the KPIs they were on."""
    rows = sql(
        "DELETE FROM kpis_measurement WHERE external_id LIKE %s AND kpi_id = ANY(%s) RETURNING kpi_id",
        [TAG + "%", kpi_ids(portfolio_id)],
        fetch=True,
    )
    return sorted({kpi_id for (kpi_id,) in rows})


def load(measurements: int, kpis: int, fresh: bool) -> int:
    """The portfolio with `kpis` KPIs and `measurements` measurements over DAYS days; returns its id."""
    from django.db import transaction
    from django.utils import timezone

    from kpis.models import KPI
    from products.models import Portfolio, Product

    name = f"{NAME} {measurements} x {kpis}"
    for portfolio in Portfolio.objects.filter(name__startswith="bench"):
        if portfolio.name == name and not fresh:
            remove_added(portfolio.id)
            ids = kpi_ids(portfolio.id)
            stored = one("SELECT COUNT(*) FROM kpis_measurement WHERE kpi_id = ANY(%s)", [ids])
            if len(ids) == kpis and stored == measurements:
                print(f"reusing {name} (--fresh reloads it)")
                return portfolio.id
        print(f"deleting {portfolio.name}")
        ids = kpi_ids(portfolio.id)
        sql(f"DROP TABLE IF EXISTS {FULL}")  # the like-for-like table's foreign key points at the KPIs
        with transaction.atomic():  # bulk first: the ORM cascade would go row by row
            sql("DELETE FROM kpis_rollup WHERE kpi_id = ANY(%s)", [ids])
            sql("DELETE FROM kpis_measurement WHERE kpi_id = ANY(%s)", [ids])
            portfolio.delete()

    zone = ZoneInfo(ZONE)
    last_day = timezone.now().astimezone(zone).date() - timedelta(days=1)
    start = datetime.combine(last_day - timedelta(days=DAYS - 1), clock.min, tzinfo=zone)
    span = (datetime.combine(last_day + timedelta(days=1), clock.min, tzinfo=zone) - start).total_seconds()
    print(
        f"loading {measurements:,} measurements of {kpis} KPIs from {start:%Y-%m-%d} to {last_day} …",
        flush=True,
    )
    started = time.perf_counter()
    monthly_sum = Decimal(round(500 * measurements / kpis / DAYS * 30))  # about on target
    with transaction.atomic():
        portfolio = Portfolio.objects.create(name=name, timezone=ZONE)
        products = Product.objects.bulk_create(
            Product(
                portfolio=portfolio,
                name=f"Product {i}",
                stage="growth",
                stage_changed_at=portfolio.created_at,
            )
            for i in range(max(1, kpis // 4))
        )
        created = KPI.objects.bulk_create(
            KPI(
                product=products[i % len(products)],
                key=f"metric-{i // len(products)}",
                name=f"Metric {i}",
                aggregation=AGGREGATIONS[i % len(AGGREGATIONS)],
                target=monthly_sum if AGGREGATIONS[i % len(AGGREGATIONS)] == "sum" else Decimal(500),
            )
            for i in range(kpis)
        )
        sql("SELECT setseed(0.25)")  # the same values on every load
        # Measurement n belongs to KPI n % kpis, at start + n/measurements of the span: about evenly spaced.
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
                "kpis": kpis,
                "start": start,
                "span": span,
                "count": measurements,
            },
        )
    for table in ("kpis_measurement", "kpis_kpi", "products_product"):
        sql(f"VACUUM ANALYZE {table}")
    print(f"loaded in {time.perf_counter() - started:.1f} s")
    return portfolio.id


# --- the baselines ---------------------------------------------------------------------------------------

# As issue 8 measures it: sum and count only, into a TEMP table (no WAL, no index), server defaults.
NAIVE = """
    INSERT INTO bench_naive_rollup (kpi_id, granularity, period_start, total, n)
    SELECT kpi_id, %s, date_trunc(%s, observed_at AT TIME ZONE %s)::date, SUM(value), COUNT(*)
    FROM kpis_measurement
    GROUP BY 1, 2, 3
"""


def naive() -> None:
    """One INSERT … SELECT … GROUP BY per granularity into an emptied scratch table, in one transaction."""
    from django.db import transaction

    with transaction.atomic():
        sql(
            "CREATE TEMP TABLE IF NOT EXISTS bench_naive_rollup "
            "(kpi_id bigint, granularity text, period_start date, total numeric, n bigint)"
        )
        sql("TRUNCATE bench_naive_rollup")
        for granularity in GRANULARITIES:
            sql(NAIVE, [granularity, granularity, ZONE])


# Every column of kpis_rollup, as it defines them: value by aggregation (averages rounded as kpis.rollups
# rounds them); last_value only for "last" KPIs: the period's latest measurement, ties broken by id, looked
# up once per row as kpis.rollups does (an ordered array_agg(…)[1] instead took 1.6× the CPU time here).
FULL_NAIVE = f"""
    INSERT INTO {FULL} (kpi_id, granularity, period_start, value, count, total, minimum, maximum, last_value,
                        last_observed_at)
    SELECT b.kpi_id, %(g)s, b.p,
           CASE b.agg WHEN 'sum' THEN b.total WHEN 'avg' THEN ROUND(b.total * 1.0 / b.n, 6)
                      WHEN 'min' THEN b.mn WHEN 'max' THEN b.mx ELSE b.lv END,
           b.n, b.total, b.mn, b.mx, b.lv, b.last_at
    FROM (
        SELECT a.*, k.aggregation AS agg, CASE WHEN k.aggregation = 'last' THEN (
                   SELECT m2.value FROM kpis_measurement m2
                   WHERE m2.kpi_id = a.kpi_id AND m2.observed_at = a.last_at
                   ORDER BY m2.id DESC LIMIT 1
               ) END AS lv
        FROM (
            SELECT m.kpi_id, date_trunc(%(g)s, m.observed_at AT TIME ZONE %(zone)s)::date AS p, COUNT(*) AS n,
                   SUM(m.value) AS total, MIN(m.value) AS mn, MAX(m.value) AS mx, MAX(m.observed_at) AS last_at
            FROM kpis_measurement m
            GROUP BY 1, 2
        ) a
        JOIN kpis_kpi k ON k.id = a.kpi_id
        OFFSET 0
    ) b
"""


def make_full_table() -> None:
    """The like-for-like table, made afresh from kpis_rollup's current definition (not timed)."""
    sql(f"DROP TABLE IF EXISTS {FULL}")
    sql(f"CREATE TABLE {FULL} (LIKE kpis_rollup INCLUDING ALL)")
    sql(f"ALTER TABLE {FULL} ADD FOREIGN KEY (kpi_id) REFERENCES kpis_kpi (id) DEFERRABLE INITIALLY DEFERRED")


def full_naive() -> None:
    """One INSERT … SELECT … GROUP BY per granularity into the emptied like-for-like table, in one
    transaction (its commit, with the deferred foreign-key checks, is timed as the rebuild's is)."""
    from django.db import transaction

    with transaction.atomic():
        sql(f"TRUNCATE {FULL}")
        for granularity in GRANULARITIES:
            sql(FULL_NAIVE, {"g": granularity, "zone": ZONE})


def empty_rollups(portfolio_id: int) -> None:
    """Delete the portfolio's rollups and key rows (untimed), so the next rebuild writes every row."""
    from django.db import transaction

    with transaction.atomic():
        sql("DELETE FROM kpis_rollup WHERE kpi_id = ANY(%s)", [kpi_ids(portfolio_id)])
        sql("DELETE FROM kpis_keyrollup WHERE portfolio_id = %s", [portfolio_id])
    sql("VACUUM ANALYZE kpis_rollup")


# --- correctness -----------------------------------------------------------------------------------------

EXPECTED = """
    SELECT m.kpi_id, date_trunc(%(g)s, m.observed_at AT TIME ZONE %(zone)s)::date AS p, COUNT(*) AS cnt,
           SUM(m.value) AS total, MIN(m.value) AS mn, MAX(m.value) AS mx,
           (array_agg(m.value ORDER BY m.observed_at DESC, m.id DESC))[1] AS lv
    FROM kpis_measurement m
    WHERE m.kpi_id = ANY(%(ids)s)
    GROUP BY 1, 2
"""
COMPARE = f"""
    SELECT COALESCE(e.kpi_id, r.kpi_id), COALESCE(e.p, r.period_start), e.cnt, r.count, e.total, r.total,
           r.value, k.aggregation
    FROM ({EXPECTED}) e
    JOIN kpis_kpi k ON k.id = e.kpi_id
    FULL JOIN (SELECT * FROM kpis_rollup WHERE granularity = %(g)s AND kpi_id = ANY(%(ids)s)) r
         ON r.kpi_id = e.kpi_id AND r.period_start = e.p
    WHERE r.id IS NULL OR e.kpi_id IS NULL OR r.count <> e.cnt OR r.total <> e.total
       OR r.value <> CASE k.aggregation WHEN 'sum' THEN e.total WHEN 'avg' THEN ROUND(e.total / e.cnt, 6)
                                        WHEN 'min' THEN e.mn WHEN 'max' THEN e.mx ELSE e.lv END
    LIMIT 3
"""


def mismatches(ids: list[int], granularities=GRANULARITIES) -> list[str]:
    """Rollup rows of these KPIs that differ from what their measurements give (value, count, total)."""
    found = []
    for granularity in granularities:
        for row in sql(COMPARE, {"g": granularity, "zone": ZONE, "ids": ids}, fetch=True):
            found.append(f"{granularity} {row}")
    return found


def check(portfolio_id: int) -> str:
    """After a rebuild and a naive run: every rollup row's count and total against the naive rows (all KPIs,
    all granularities), value = total for sum KPIs; every column of a few KPIs of each aggregation against
    the measurements."""
    ids = kpi_ids(portfolio_id)
    rows = sql(
        """
        SELECT COALESCE(n.kpi_id, r.kpi_id), COALESCE(n.granularity, r.granularity),
               COALESCE(n.period_start, r.period_start), n.n, r.count, n.total, r.total, r.value
        FROM (SELECT * FROM bench_naive_rollup WHERE kpi_id = ANY(%(ids)s)) n
        FULL JOIN (SELECT * FROM kpis_rollup WHERE kpi_id = ANY(%(ids)s)) r
             ON r.kpi_id = n.kpi_id AND r.granularity = n.granularity AND r.period_start = n.period_start
        LEFT JOIN kpis_kpi k ON k.id = r.kpi_id
        WHERE r.id IS NULL OR n.kpi_id IS NULL OR r.count <> n.n OR r.total <> n.total
           OR (k.aggregation = 'sum' AND r.value <> r.total)
        LIMIT 5
        """,
        {"ids": ids},
        fetch=True,
    )
    compared = one("SELECT COUNT(*) FROM bench_naive_rollup WHERE kpi_id = ANY(%s)", [ids])
    sample = [
        kpi_id
        for aggregation in sorted(set(AGGREGATIONS))
        for kpi_id in sql(
            "SELECT id FROM kpis_kpi WHERE id = ANY(%s) AND aggregation = %s ORDER BY id LIMIT 2",
            [ids, aggregation],
            fetch=True,
        )
    ]
    columns = "kpi_id, granularity, period_start, value, count, total, minimum, maximum, last_value, last_observed_at"
    differ = sql(
        f"""
        (SELECT 'only in kpis_rollup', {columns} FROM kpis_rollup WHERE kpi_id = ANY(%(ids)s)
         EXCEPT ALL SELECT 'only in kpis_rollup', {columns} FROM {FULL})
        UNION ALL
        (SELECT 'only in like-for-like', {columns} FROM {FULL}
         EXCEPT ALL SELECT 'only in like-for-like', {columns} FROM kpis_rollup WHERE kpi_id = ANY(%(ids)s))
        LIMIT 5
        """,
        {"ids": ids},
        fetch=True,
    )
    full_rows = one(f"SELECT COUNT(*) FROM {FULL}")
    wrong = [f"vs naive: {row}" for row in rows] + [f"vs like-for-like: {row}" for row in differ]
    wrong += mismatches([k for (k,) in sample])
    if wrong:
        return "MISMATCH: " + "; ".join(str(problem) for problem in wrong[:5])
    return (
        f"OK (all columns of all {full_rows:,} rows equal the like-for-like table; counts and totals of "
        f"{compared:,} rows vs naive; all columns of {len(sample)} KPIs vs measurements)"
    )


# --- incremental -----------------------------------------------------------------------------------------


def batches(portfolio_id: int, shape: str) -> dict[int, list[dict]]:
    """{kpi_id: items} adding ADDED measurements in total, on the latest day of data or its last 30 days."""
    zone = ZoneInfo(ZONE)
    ids = kpi_ids(portfolio_id)
    latest = one("SELECT MAX(observed_at) FROM kpis_measurement WHERE kpi_id = ANY(%s)", [ids])
    day = latest.astimezone(zone).date()
    out: dict[int, list[dict]] = defaultdict(list)
    if shape == "feed":  # every KPI, ADDED / len(ids) values each, spread over the latest day
        begin, span, targets = datetime.combine(day, clock(6), tzinfo=zone), timedelta(hours=16), ids
    else:  # one sum KPI, ADDED values over the last 30 days of data
        first_sum = one("SELECT MIN(id) FROM kpis_kpi WHERE id = ANY(%s) AND aggregation = 'sum'", [ids])
        begin = datetime.combine(day - timedelta(days=29), clock.min, tzinfo=zone)
        span, targets = timedelta(days=30), [first_sum]
    for n in range(ADDED):
        kpi_id = targets[n % len(targets)]
        at = begin + span * (n + 0.5) / ADDED
        out[kpi_id].append(
            {
                "observed_at": at.isoformat(),
                "value": f"{(n * 37) % 1000}.5",
                "external_id": f"{TAG}{shape}-{n}",
            }
        )
    return dict(out)


def counts(ids: list[int]) -> dict[tuple[int, str], int]:
    rows = sql(
        "SELECT kpi_id, granularity, SUM(count) FROM kpis_rollup WHERE kpi_id = ANY(%s) GROUP BY 1, 2",
        [ids],
        fetch=True,
    )
    return {(kpi_id, granularity): total for kpi_id, granularity, total in rows}


def incremental(portfolio_id: int, shape: str) -> dict:
    """One run: write the measurements as one batch (kpis.services.measurements_ingest_batch, what
    POST /api/v1/measurements/ calls: the KPIs looked up, every item checked, one transaction, one rollup
    task for all KPIs running in-process on commit), check the rollups took them, then delete them and
    recompute (not timed)."""
    from django.db import transaction

    from kpis.models import KPI
    from kpis.periods import days_to_ranges
    from kpis.services import measurements_ingest_batch, rollups_recompute

    work = batches(portfolio_id, shape)
    ids = sorted(work)
    before = counts(ids)
    items = [item for kpi_id in ids for item in work[kpi_id]]
    refs = [kpi_id for kpi_id in ids for _ in work[kpi_id]]
    started = time.perf_counter()
    with transaction.atomic():  # on leaving: COMMIT, then the rollup task runs in-process
        kpis = {kpi.id: kpi for kpi in KPI.objects.select_related("product__portfolio").filter(pk__in=ids)}
        measurements_ingest_batch(kpis=kpis, kpi_ids=refs, items=items)
        ingest = time.perf_counter() - started
    total = time.perf_counter() - started
    after = counts(ids)
    added = {kpi_id: len(items) for kpi_id, items in work.items()}
    stale = [key for key in before if after.get(key, 0) - before[key] != added[key[0]]]
    stale += mismatches(ids[:3])
    removed = remove_added(portfolio_id)
    zone = ZoneInfo(ZONE)
    for kpi_id in removed:
        days = {datetime.fromisoformat(item["observed_at"]).astimezone(zone).date() for item in work[kpi_id]}
        rollups_recompute(kpi_id=kpi_id, day_ranges=days_to_ranges(days))
    if counts(ids) != before:
        stale.append("rollups not restored after deleting the added measurements")
    return {
        "total": total,
        "ingest": ingest,
        "recompute": total - ingest,
        "calls": 1,
        "stale": stale,
    }


# --- profiling -------------------------------------------------------------------------------------------


class StatementTimes:
    """connection.execute_wrapper: time spent per kind of statement of a rebuild (and in `timed` calls)."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    @staticmethod
    def label(statement: str, params) -> str:
        """The statement's kind and table, e.g. INSERT INTO kpis_rollup (week rows); the rest as one."""
        words = statement.split()
        if len(words) < 3 or words[0].upper() not in ("INSERT", "DELETE"):
            return "other queries (locks, settings, health)"
        label = f"{words[0].upper()} {words[1].upper()} {words[2]}"
        if words[0].upper() != "INSERT":
            return label
        if isinstance(params, dict):  # the like-for-like naive
            granularity = params.get("g")
        else:  # a coarser rollup statement or the naive one: the granularity comes first
            granularity = params[0] if params and params[0] in GRANULARITIES else None
        if granularity is None and "FROM kpis_measurement m" in statement:
            granularity = "day"
        return label + (f" ({granularity} rows)" if granularity else "")

    def __call__(self, execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            self.seconds[self.label(statement, params)] += time.perf_counter() - started

    def timed(self, label: str, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started

        return wrapper


class Explain:
    """connection.execute_wrapper: run each statement as EXPLAIN (ANALYZE, BUFFERS) and print its plan."""

    def __call__(self, execute, statement, params, many, context):
        if not statement.lstrip().upper().startswith(("INSERT", "DELETE")):
            return execute(statement, params, many, context)
        started = time.perf_counter()
        execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params, many, context)
        plan = "\n".join(row[0] for row in context["cursor"].fetchall())
        took = 1000 * (time.perf_counter() - started)
        print(f"\n-- {took:.1f} ms: {' '.join(statement.split())[:150]} …\n{plan}")


def explain(portfolio_id: int) -> None:
    from django.db import connection, transaction

    from kpis import rollups

    print("\n===== EXPLAIN ANALYZE: rebuild_portfolio (rolled back) =====")
    with transaction.atomic(), connection.execute_wrapper(Explain()):
        rollups.rebuild_portfolio(portfolio_id=portfolio_id, zone_name=ZONE)
        transaction.set_rollback(True)
    print("\n===== EXPLAIN ANALYZE: naive =====")
    with connection.execute_wrapper(Explain()):
        naive()
    print("\n===== EXPLAIN ANALYZE: like-for-like naive =====")
    with connection.execute_wrapper(Explain()):
        full_naive()
    kpi_id, items = next(iter(batches(portfolio_id, "feed").items()))
    day = datetime.fromisoformat(items[0]["observed_at"]).date()
    print(f"\n===== EXPLAIN ANALYZE: recompute_kpi of one KPI for {day} (rolled back) =====")
    with transaction.atomic(), connection.execute_wrapper(Explain()):
        rollups.recompute_kpi(kpi_id=kpi_id, zone_name=ZONE, day_ranges=[(day, day)])
        transaction.set_rollback(True)


# --- main ------------------------------------------------------------------------------------------------


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--measurements", type=int, default=1_000_000)
    parser.add_argument("--kpis", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure; the median is shown")
    parser.add_argument("--fresh", action="store_true", help="delete and reload the data")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each statement")
    args = parser.parse_args()
    if args.kpis < 1 or args.measurements < args.kpis:
        parser.error("need at least one KPI and one measurement per KPI")

    ensure_database(DATABASE_URL)
    import django

    django.setup()
    # Eager Celery still builds a (never connected) broker connection for its serializer; mute its warning.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    from django.core.management import call_command
    from django.db import connection

    from kpis.services import rollups_rebuild

    if not one("SELECT pg_try_advisory_lock(%s)", [LOCK]):  # held until this process disconnects
        sys.exit("another bench/rollups.py is running on this database; wait for it to finish")
    call_command("migrate", verbosity=0)
    portfolio_id = load(args.measurements, args.kpis, args.fresh)
    others = one("SELECT COUNT(*) FROM kpis_measurement WHERE kpi_id <> ALL(%s)", [kpi_ids(portfolio_id)])
    if others:
        sys.exit(
            f"{others:,} measurements of other portfolios: the naive baseline reads the whole table, "
            "so use a database of its own (BENCH_DATABASE_URL)"
        )
    rebuild = lambda: rollups_rebuild(portfolio_id=portfolio_id)  # noqa: E731
    make_full_table()
    rebuild()  # warm-up: caches, rollup rows in place
    naive()
    full_naive()

    # One run with a breakdown of where the rebuild spends its time (not among the timed runs).
    sql("VACUUM ANALYZE kpis_rollup")
    profile = StatementTimes()
    commit = connection.commit
    connection.commit = profile.timed("COMMIT (deferred FK checks)", commit)  # atomic() commits through it
    started = time.perf_counter()
    try:
        with connection.execute_wrapper(profile):
            rebuild()
    finally:
        del connection.commit
    profiled = time.perf_counter() - started
    other = "other queries (locks, settings, health)"
    profile.seconds[other] = profile.seconds.pop(other, 0.0)  # listed last
    profile.seconds["Python, other"] = profiled - sum(profile.seconds.values())

    timings = {name: [] for name in ("rebuild", "naive", "like-for-like", "rebuild into emptied rollups")}
    for run in range(args.repeat):  # interleaved, so drift on a shared machine hits all alike
        sql("VACUUM ANALYZE kpis_rollup")  # each rebuild starts from the same, unbloated table
        timings["rebuild"].append(timed(rebuild))
        timings["naive"].append(timed(naive))
        timings["like-for-like"].append(timed(full_naive))
        empty_rollups(portfolio_id)
        timings["rebuild into emptied rollups"].append(timed(rebuild))
        print(
            f"run {run + 1}: " + ", ".join(f"{name} {times[-1]:.2f} s" for name, times in timings.items()), flush=True
        )
    medians = {name: statistics.median(times) for name, times in timings.items()}
    ours_s, naive_s, full_s, cold_s = medians.values()
    correct = check(portfolio_id)
    sql("VACUUM ANALYZE kpis_rollup")

    shapes = {
        "feed": f"daily feed ({ADDED // args.kpis or 1} new values for each of {args.kpis} KPIs, latest day)",
        "backfill": f"backfill ({ADDED:,} values of one KPI over the last 30 days)",
    }
    incremental_results = {}
    for shape, title in shapes.items():
        runs = [incremental(portfolio_id, shape) for _ in range(args.repeat)]
        summary = {key: statistics.median(run[key] for run in runs) for key in TIMES}
        stale = [problem for run in runs for problem in run["stale"]]
        summary.update(calls=runs[0]["calls"], share=summary["total"] / ours_s, stale=stale)
        incremental_results[shape] = summary
        print(f"{title}: " + ", ".join(f"{run['total']:.3f} s" for run in runs), flush=True)

    if args.explain:
        explain(portfolio_id)

    print()
    server = ", ".join(f"{name} {one(f'SHOW {name}')}" for name in SETTINGS)
    print(
        f"{args.measurements:,} measurements, {args.kpis} KPIs, {DAYS} days, {ZONE}; "
        f"median of {args.repeat} runs; PostgreSQL {connection.pg_version // 10000} ({server})"
    )
    ratio = ours_s / naive_s
    verdicts = {"rebuild": ratio <= GOAL_RATIO}
    print(
        f"rebuild (rows in place) {ours_s:.2f} s; naive (sum and count, TEMP table) {naive_s:.2f} s; "
        f"like-for-like (all columns, logged, keys, index, FK) {full_s:.2f} s\n"
        f"    rebuild / naive {ratio:.2f}× (goal ≤ {GOAL_RATIO}×: {'OK' if verdicts['rebuild'] else 'MISSED'}); "
        f"rebuild / like-for-like {ours_s / full_s:.2f}×\n"
        f"rebuild into emptied rollups {cold_s:.2f} s: / naive {cold_s / naive_s:.2f}×, "
        f"/ like-for-like {cold_s / full_s:.2f}× (no goal)"
    )
    breakdown = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in profile.seconds.items())
    print(f"rebuild breakdown (one extra run, {profiled:.2f} s): {breakdown}")
    print(f"correctness after the rebuild: {correct}")
    for shape, title in shapes.items():
        result = incremental_results[shape]
        verdicts[shape] = result["share"] <= GOAL_SHARE and not result["stale"]
        print(
            f"incremental after {ADDED:,} measurements, {title}: {result['total']:.3f} s = "
            f"{100 * result['share']:.2f} % of rebuild (goal ≤ {100 * GOAL_SHARE:g} %: "
            f"{'OK' if verdicts[shape] else 'MISSED'})\n"
            f"    {result['calls']} ingest call(s) {result['ingest']:.3f} s + commit and rollup task "
            f"{result['recompute']:.3f} s; rollups updated: "
            + ("OK" if not result["stale"] else f"STALE {result['stale'][:3]}")
        )

    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    report = {
        "measurements": args.measurements,
        "kpis": args.kpis,
        "repeat": args.repeat,
        "rebuild_s": ours_s,
        "rebuild_runs_s": timings["rebuild"],
        "naive_s": naive_s,
        "naive_runs_s": timings["naive"],
        "like_for_like_s": full_s,
        "like_for_like_runs_s": timings["like-for-like"],
        "rebuild_emptied_s": cold_s,
        "rebuild_emptied_runs_s": timings["rebuild into emptied rollups"],
        "ratio": ratio,
        "goal_ratio": GOAL_RATIO,
        "ratio_like_for_like": ours_s / full_s,
        "ratio_emptied": cold_s / naive_s,
        "ratio_emptied_like_for_like": cold_s / full_s,
        "rebuild_breakdown_s": profile.seconds,
        "correct": correct,
        "incremental": incremental_results,
        "missed": sorted(goal for goal, met in verdicts.items() if not met),
    }
    (results / "rollups.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written to {(results / 'rollups.json').relative_to(ROOT)}")
    missed = [goal for goal, met in verdicts.items() if not met]
    if not correct.startswith("OK"):
        missed.append("correctness")
    if missed:
        sys.exit(f"MISSED: {', '.join(missed)}")


if __name__ == "__main__":
    main()
