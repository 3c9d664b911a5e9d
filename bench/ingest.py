"""Ingest benchmarks on PostgreSQL for issue 8, "KPIs at scale" (run by hand; not part of the test suite).

Every figure is ours against a baseline measured in the same run, the median of --repeat runs (ours and
the baseline interleaved, so drift on a shared machine hits both alike). A missed goal prints MISSED and
the script exits 1.

  feed     A daily feed: 1,000 values over 200 KPIs (5 each, spread over the latest day) in one
           POST /api/v1/measurements/ through the in-process test client, end to end: the request, its
           commit and the rollup task run in-process on commit (eager Celery). Baseline:
           kpis.services.rollups_rebuild of the same portfolio (1,000,000 measurements of 200 KPIs over a
           year, Europe/Berlin, loaded like bench/rollups.py). Goal: feed <= 3 % of the rebuild. The added
           rows are deleted by their external_id prefix and their day recomputed after each run.
  bulk     One POST /api/v1/measurements/ of 10,000 items of one KPI of that portfolio (its last 10 days),
           rollups included, vs psycopg2 copy_expert of the same 10,000 rows as CSV into a bare table
           (kpi_id, observed_at, value, external_id). Goal: >= 1/10 of COPY's rows per second.
  import   A CSV file of --rows rows (default 1,000,000: product id, key, observed_at, value, external_id,
           200 KPIs over a year) through kpis.services.import_create, the worker task run in-process on
           commit (check, stage, write, rollups) until the import is done, into an emptied portfolio of its
           own, vs COPY of the same bytes (FORMAT csv, HEADER true) into a bare 5-column table. Goal: >= 1/3
           of COPY's rows per second. Prints where the time goes, timed in-process and from the Import row's
           started_at / written_at / finished_at.
  workers  --files imports of --worker-rows rows (default 4 x 250,000, one portfolio each) handed to real
           Celery workers (`celery -A pmflow worker -Q rollups -c 1 --pool prefork` on BENCH_REDIS_URL),
           one worker vs two, timed from enqueueing to the last import done; prints rows/s and the
           speed-up (reported, no goal: 2 CPUs are shared with PostgreSQL).

    .venv/bin/python bench/ingest.py                                   # all four: about 15 minutes
    .venv/bin/python bench/ingest.py feed bulk                         # some of them
    .venv/bin/python bench/ingest.py import --rows 100000 --repeat 3   # quick
    .venv/bin/python bench/ingest.py import --explain                  # + EXPLAIN ANALYZE of slow statements
    .venv/bin/python bench/ingest.py workers --files 4 --worker-rows 50000 --repeat 1

Database: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/pmflow_bench_scale), created if
missing and migrated; it should hold only benchmark data (portfolios named "scale …", kept between runs;
--fresh reloads them). Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379/14), flushed before and
after the workers figure. Results: bench/results/ingest.json, or ingest-<figures>.json for some of them
(git-ignored).
"""

import argparse
import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import Figure, Layout, median, one, sql, vacuum  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/14"
FIGURES = ("feed", "bulk", "import", "workers")
FEED_ITEMS = 1000
BULK_ITEMS = 10_000
BULK_DAYS = 10
FEED_TAG = "scale-feed-"  # external_id prefixes of the rows the feed and bulk runs add (and delete)
BULK_TAG = "scale-bulk-"
BARE_MEASUREMENT = "scale_bare_measurement"
BARE_IMPORT = "scale_bare_import"
MAIN = "scale feed {measurements} x {kpis}"
IMPORT_TARGET = "scale import target"
WORKER_TARGET = "scale worker {n}"
WORKER_DEADLINE = 900  # seconds for one worker run, from enqueueing to the last import done
DERIVED = ("kpis_measurement", "kpis_rollup", "kpis_keyrollup")


def zone() -> ZoneInfo:
    return ZoneInfo(common.ZONE)


def latest_day(ids: list[int]):
    latest = one("SELECT MAX(observed_at) FROM kpis_measurement WHERE kpi_id = ANY(%s)", [ids])
    return latest.astimezone(zone()).date()


def post(client, body: str, expected: int) -> tuple[float, str]:
    """POST the JSON body to /api/v1/measurements/; (seconds, problem or "")."""
    started = time.perf_counter()
    response = client.post("/api/v1/measurements/", data=body, content_type="application/json")
    seconds = time.perf_counter() - started
    if response.status_code != 201:
        return seconds, f"HTTP {response.status_code}: {response.content[:300]!r}"
    created = response.json().get("created")
    return seconds, "" if created == expected else f"created {created}, expected {expected}"


def state(portfolio_id: int, ids: list[int], first, last) -> tuple:
    """What the rollups say about the days first…last: day-row counts of the KPIs, of the key rows across
    the portfolio, the year rows' counts, and the pending rollups left."""
    return (
        one(
            "SELECT COALESCE(SUM(count), 0) FROM kpis_rollup WHERE kpi_id = ANY(%s) AND granularity = 'day' "
            "AND period_start BETWEEN %s AND %s",
            [ids, first, last],
        ),
        one(
            "SELECT COALESCE(SUM(count), 0) FROM kpis_keyrollup WHERE portfolio_id = %s AND product_line_id IS NULL "
            "AND granularity = 'day' AND period_start BETWEEN %s AND %s",
            [portfolio_id, first, last],
        ),
        one("SELECT COALESCE(SUM(count), 0) FROM kpis_rollup WHERE kpi_id = ANY(%s) AND granularity = 'year'", [ids]),
        one("SELECT COUNT(*) FROM kpis_pendingrollup WHERE kpi_id = ANY(%s)", [ids]),
    )


def took_rows(before: tuple, after: tuple, added: int) -> str:
    expected = (before[0] + added, before[1] + added, before[2] + added, 0)
    return "" if tuple(after) == expected else f"rollups not updated: {before} -> {after}, expected {expected}"


def remove(tag: str, ids: list[int], first, last) -> None:
    """Delete the rows a run added (by external_id prefix) and recompute their days (not timed)."""
    from kpis.services import rollups_recompute_many

    rows = sql(
        "DELETE FROM kpis_measurement WHERE external_id LIKE %s AND kpi_id = ANY(%s) RETURNING kpi_id",
        [tag + "%", ids],
        fetch=True,
    )
    touched = sorted({kpi_id for (kpi_id,) in rows})
    if touched:
        rollups_recompute_many(kpi_ids=touched, day_ranges=[(first, last)])


# --- 1. the daily feed vs the rebuild ----------------------------------------------------------------------


def feed_body(ids: list[int], day) -> str:
    begin, span = datetime.combine(day, clock(6), tzinfo=zone()), timedelta(hours=16)
    items = [
        {
            "kpi": ids[n % len(ids)],
            "observed_at": (begin + span * (n + 0.5) / FEED_ITEMS).isoformat(),
            "value": (n * 37) % 1000 + 0.5,
            "external_id": f"{FEED_TAG}{n}",
        }
        for n in range(FEED_ITEMS)
    ]
    return json.dumps(items)


def feed(portfolio_id: int, client, repeat: int, explain: bool) -> Figure:
    from django.db import connection

    from kpis.services import rollups_rebuild

    ids = common.kpi_ids(portfolio_id)
    day = latest_day(ids)
    remove(FEED_TAG, ids, day, day)  # leftovers of an interrupted run
    body = feed_body(ids, day)
    rollups_rebuild(portfolio_id=portfolio_id)  # warm-up
    before = state(portfolio_id, ids, day, day)
    problems = []

    def one_feed(wrapper=None) -> float:
        with connection.execute_wrapper(wrapper) if wrapper else contextlib.nullcontext():
            seconds, problem = post(client, body, FEED_ITEMS)
        problem = problem or took_rows(before, state(portfolio_id, ids, day, day), FEED_ITEMS)
        remove(FEED_TAG, ids, day, day)
        if state(portfolio_id, ids, day, day) != before:
            problem += " rollups not restored after removing the feed"
        if problem:
            problems.append(problem.strip())
        return seconds

    one_feed()  # warm-up
    profile = common.StatementTimes()  # one more run, untimed: where the time goes
    vacuum("kpis_rollup", "kpis_keyrollup")
    profiled = one_feed(profile)
    if explain:
        print("\n===== EXPLAIN ANALYZE: the daily feed's slower statements =====")
        one_feed(common.Explain(min_seconds=0.02))

    ours, baseline = [], []
    for run in range(repeat):
        vacuum("kpis_rollup", "kpis_keyrollup")  # each starts from the same, unbloated tables
        started = time.perf_counter()
        rollups_rebuild(portfolio_id=portfolio_id)
        baseline.append(time.perf_counter() - started)
        vacuum("kpis_rollup", "kpis_keyrollup")
        ours.append(one_feed())
        print(f"feed run {run + 1}: feed {ours[-1]:.3f} s, rebuild {baseline[-1]:.2f} s", flush=True)
    return Figure(
        name="feed: 1,000 values / 200 KPIs via API vs rebuild",
        ours=median(ours),
        baseline=median(baseline),
        unit="s",
        goal=0.03,
        note=f"one POST of {FEED_ITEMS:,} items, rollups on commit; one extra run: {profiled:.3f} s, of which "
        f"{sum(profile.seconds.values()):.3f} s in {sum(profile.calls.values())} SQL statements",
        broken="; ".join(sorted(set(problems)))[:500],
        extra={
            "ours_runs_s": ours,
            "baseline_runs_s": baseline,
            "profiled_run_s": profiled,
            "profiled_sql_s": sum(profile.seconds.values()),
            "profiled_statements": sum(profile.calls.values()),
            "profile_top_statements": profile.top(10),
        },
    )


# --- 2. the JSON bulk API vs COPY --------------------------------------------------------------------------


def bulk_rows(kpi_id: int, first) -> list[tuple]:
    begin, span = datetime.combine(first, clock.min, tzinfo=zone()), timedelta(days=BULK_DAYS)
    return [
        (kpi_id, (begin + span * (n + 0.5) / BULK_ITEMS).isoformat(), (n * 37) % 100_000 / 100, f"{BULK_TAG}{n}")
        for n in range(BULK_ITEMS)
    ]


def copy_in(table: str, text, header: bool = False) -> float:
    """COPY the CSV (str or bytes) into the emptied bare table, with its commit; seconds."""
    from django.db import connection, transaction

    sql(f"TRUNCATE {table}")
    buffer = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER {str(header).lower()})", buffer)
    return time.perf_counter() - started


def bulk(portfolio_id: int, client, repeat: int) -> Figure:
    from django.db import connection

    ids = common.kpi_ids(portfolio_id)
    kpi_id = ids[0]  # a sum KPI
    last = latest_day(ids)
    first = last - timedelta(days=BULK_DAYS - 1)
    remove(BULK_TAG, [kpi_id], first, last)
    rows = bulk_rows(kpi_id, first)
    body = json.dumps(
        [{"kpi": kpi, "observed_at": at, "value": value, "external_id": ext} for kpi, at, value, ext in rows]
    )
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()
    sql(
        f"CREATE TABLE IF NOT EXISTS {BARE_MEASUREMENT} "
        "(kpi_id bigint, observed_at timestamptz, value numeric, external_id text)"
    )
    before = state(portfolio_id, [kpi_id], first, last)
    problems = []

    def one_post(wrapper=None) -> float:
        with connection.execute_wrapper(wrapper) if wrapper else contextlib.nullcontext():
            seconds, problem = post(client, body, BULK_ITEMS)
        problem = problem or took_rows(before, state(portfolio_id, [kpi_id], first, last), BULK_ITEMS)
        remove(BULK_TAG, [kpi_id], first, last)
        if state(portfolio_id, [kpi_id], first, last) != before:
            problem += " rollups not restored after removing the batch"
        if problem:
            problems.append(problem)
        return seconds

    one_post()  # warm-up
    copy_in(BARE_MEASUREMENT, text)
    profile = common.StatementTimes()  # one more run, untimed: where the time goes
    profiled = one_post(profile)
    ours, baseline = [], []
    for run in range(repeat):
        vacuum("kpis_rollup", "kpis_keyrollup")
        ours.append(one_post())
        baseline.append(copy_in(BARE_MEASUREMENT, text))
        print(f"bulk run {run + 1}: POST {ours[-1]:.3f} s, COPY {baseline[-1]:.3f} s", flush=True)
    sql(f"TRUNCATE {BARE_MEASUREMENT}")
    return Figure(
        name="bulk: POST 10,000 items vs COPY",
        ours=BULK_ITEMS / median(ours),
        baseline=BULK_ITEMS / median(baseline),
        unit="rows/s",
        goal=0.1,
        higher_is_better=True,
        note=f"one KPI, {BULK_DAYS} days, with external ids; rollups included; COPY into a bare table; "
        f"one extra run: {profiled:.3f} s, of which {sum(profile.seconds.values()):.3f} s in "
        f"{sum(profile.calls.values())} SQL statements",
        broken="; ".join(sorted(set(problems)))[:500],
        extra={
            "ours_runs_s": ours,
            "baseline_runs_s": baseline,
            "profiled_run_s": profiled,
            "profiled_sql_s": sum(profile.seconds.values()),
            "profile_top_statements": profile.top(10),
        },
    )


# --- 3. the CSV import vs COPY -----------------------------------------------------------------------------


def import_file(portfolio_id: int, rows: int, tag: str) -> bytes:
    """A portfolio CSV: every KPI in turn, evenly over the year up to yesterday, with external ids."""
    from kpis.models import KPI

    prefixes = [
        f"{product_id},{key},"
        for product_id, key in KPI.objects.filter(product__portfolio_id=portfolio_id)
        .order_by("id")
        .values_list("product_id", "key")
    ]
    last_day = datetime.now(zone()).date() - timedelta(days=1)
    start = datetime.combine(last_day - timedelta(days=common.DAYS - 1), clock.min, tzinfo=zone()).timestamp()
    step = common.DAYS * 86400 / rows
    out = ["product,key,observed_at,value,external_id"]
    kpis = len(prefixes)
    for n in range(rows):
        at = datetime.fromtimestamp(int(start + n * step), UTC).isoformat()
        out.append(f"{prefixes[n % kpis]}{at},{(n * 37) % 100_000 / 100},{tag}{n}")
    return ("\n".join(out) + "\n").encode()


def row_phases(upload) -> dict:
    """From the Import row: stored and dispatched, checked + staged + written, rolled up and finished."""
    return {
        "created→started (store file; queue wait)": (upload.started_at - upload.created_at).total_seconds(),
        "check, stage, write (started→written)": (upload.written_at - upload.started_at).total_seconds(),
        "rollups, finish (written→finished)": (upload.finished_at - upload.written_at).total_seconds(),
    }


def import_run(portfolio, content: bytes, rows: int, phases: common.Phases) -> tuple[float, dict, str]:
    from kpis.services import import_create

    phases.reset()
    started = time.perf_counter()
    upload = import_create(portfolio=portfolio, content=content, filename="scale.csv")
    seconds = time.perf_counter() - started
    upload.refresh_from_db()
    if upload.status != "done" or upload.created != rows:
        return seconds, {}, f"import {upload.id}: {upload.status}, created {upload.created}: {upload.errors[:3]}"
    timed = dict(phases.seconds)
    task = timed.pop("task", 0.0)
    inner = {
        "store file (import_create)": seconds - task,
        "check rows": timed["check + stage"] - timed["stage"],
        "stage: rows to CSV": timed["stage csv"],
        "stage: COPY to temp table": timed["stage"] - timed["stage csv"],
        "write: statements": timed["write"] - timed.get("write COMMIT", 0.0),
        "write: COMMIT (deferred FK checks)": timed.get("write COMMIT", 0.0),
        "rollups (recompute_many, with its COMMIT)": timed["rollups"],
    }
    inner["other"] = seconds - sum(inner.values())
    return seconds, {"in-process": inner, "import row": row_phases(upload)}, ""


def import_figure(rows: int, repeat: int, fresh: bool, explain: bool) -> Figure:
    from django.db import connection

    import kpis.services
    import kpis.services.imports as service
    from products.models import Portfolio

    portfolio = Portfolio.objects.get(pk=common.load(IMPORT_TARGET, Layout(), 0, fresh))
    content = import_file(portfolio.id, rows, "scale-import-")
    print(f"import file: {rows:,} rows, {len(content) / 1e6:.1f} MB", flush=True)
    sql(
        f"CREATE TABLE IF NOT EXISTS {BARE_IMPORT} "
        "(product text, key text, observed_at timestamptz, value numeric, external_id text)"
    )
    phases = common.Phases()
    phases.wrap(kpis.services, "import_process", "task")  # what kpis.tasks.import_process calls
    phases.wrap(service, "_check_and_stage", "check + stage")
    phases.wrap(service, "_stage", "stage")
    phases.wrap(service.imports, "staging_csv", "stage csv")  # rows to CSV text for the COPY
    phases.wrap(service, "_write", "write")
    phases.wrap(service, "rollups_recompute_many", "rollups")
    phases.wrap_commits()
    ours, baseline, breakdowns, problems = [], [], [], []

    def clean() -> None:
        common.empty(portfolio.id)
        vacuum(*DERIVED)

    try:
        if explain:
            clean()
            print("\n===== EXPLAIN ANALYZE: the import's slower statements (an extra, untimed run) =====")
            with connection.execute_wrapper(common.Explain(min_seconds=0.3)):
                import_run(portfolio, content, rows, phases)
        for run in range(repeat):
            clean()
            seconds, breakdown, problem = import_run(portfolio, content, rows, phases)
            if problem:
                problems.append(problem)
            ours.append(seconds)
            breakdowns.append(breakdown)
            baseline.append(copy_in(BARE_IMPORT, content, header=True))
            print(f"import run {run + 1}: import {ours[-1]:.1f} s, COPY {baseline[-1]:.2f} s", flush=True)
    finally:
        phases.unwrap()
        sql(f"TRUNCATE {BARE_IMPORT}")
        clean()
    where = {}
    for part in ("in-process", "import row"):
        runs = [b[part] for b in breakdowns if b]
        where[part] = {name: median(r[name] for r in runs) for name in runs[0]} if runs else {}
    note = "; ".join(
        f"{part}: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in split.items())
        for part, split in where.items()
    )
    return Figure(
        name=f"import: CSV of {rows:,} rows to rollups done vs COPY",
        ours=rows / median(ours),
        baseline=rows / median(baseline),
        unit="rows/s",
        goal=1 / 3,
        higher_is_better=True,
        note=f"median seconds by phase — {note}; peak RSS {common.peak_rss_mb():.0f} MB",
        broken="; ".join(problems)[:500],
        extra={
            "rows": rows,
            "file_mb": len(content) / 1e6,
            "ours_runs_s": ours,
            "baseline_runs_s": baseline,
            "phases_s": where,
            "peak_rss_mb": common.peak_rss_mb(),
        },
    )


# --- 4. one worker vs two ----------------------------------------------------------------------------------


class Workers:
    """`count` Celery worker processes (one child each) on the rollups queue, started in sessions of their
    own so that stopping them reaches their children and nothing else."""

    def __init__(self, count: int, logs: Path):
        self.count, self.logs, self.processes = count, logs, []

    def __enter__(self):
        env = common.django_env(common.DATABASE_URL, REDIS_URL)
        for i in range(self.count):
            log = open(self.logs / f"worker-{self.count}-{i}.log", "w")  # noqa: SIM115 - closed on exit
            command = [
                str(common.ROOT / ".venv" / "bin" / "celery"),
                "-A",
                "pmflow",
                "worker",
                "-Q",
                "rollups",
                "-c",
                "1",
                "--pool",
                "prefork",
                "-n",
                f"scale{i}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ]
            process = subprocess.Popen(
                command, cwd=common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            self.processes.append((process, log))
        return self

    def wait_ready(self, sender, timeout: float = 90) -> None:
        names = {f"scale{i}@" for i in range(self.count)}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process, log in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"worker exited with {process.returncode}; see {log.name}")
            answered = sender.control.ping(timeout=1.0)
            ready = {name for reply in answered for name in reply for prefix in names if name.startswith(prefix)}
            if len(ready) >= self.count:
                return
        raise RuntimeError(f"workers not ready after {timeout} s; see {self.logs}")

    def __exit__(self, *exc):
        for process, _ in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # warm shutdown: idle by now
        deadline = time.monotonic() + 30
        for process, log in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group of the session started above
                process.wait(timeout=10)
            log.close()
        return False


def worker_run(count: int, portfolios: list, contents: list[bytes], sender, logs: Path) -> tuple[float, list, str]:
    """Import every file with `count` workers: seconds from enqueueing to the last import's finished_at,
    the per-import phases, and a problem or ""."""
    import kpis.services.imports as service
    from kpis.models import Import
    from kpis.services import import_create

    for portfolio in portfolios:
        common.empty(portfolio.id)
    vacuum(*DERIVED)
    with Workers(count, logs) as workers:
        workers.wait_ready(sender)
        with mock.patch.object(service, "enqueue_on_commit", lambda *args, **kwargs: None):  # sent below
            uploads = [
                import_create(portfolio=portfolio, content=content, filename=f"scale-worker-{portfolio.id}.csv")
                for portfolio, content in zip(portfolios, contents, strict=True)
            ]
        ids = [upload.id for upload in uploads]
        started = time.time()
        for import_id in ids:
            sender.send_task("kpis.tasks.import_process", args=[import_id], queue="rollups")
        deadline = time.monotonic() + WORKER_DEADLINE
        while time.monotonic() < deadline:
            if not Import.objects.filter(pk__in=ids).exclude(status__in=["done", "failed"]).exists():
                break
            time.sleep(0.2)
        rows = list(Import.objects.filter(pk__in=ids).order_by("id"))
    unfinished = [f"{row.id}: {row.status}" for row in rows if row.status != "done"]
    if unfinished:
        return time.time() - started, [], f"{count} worker(s): not done within {WORKER_DEADLINE} s: {unfinished}"
    seconds = max(row.finished_at for row in rows).timestamp() - started
    return seconds, [row_phases(row) for row in rows], ""


def workers_figure(files: int, rows: int, repeat: int, fresh: bool) -> Figure:
    import redis
    from celery import Celery

    from products.models import Portfolio

    portfolios = [
        Portfolio.objects.get(pk=common.load(WORKER_TARGET.format(n=n), Layout(), 0, fresh)) for n in range(files)
    ]
    contents = [import_file(p.id, rows, f"scale-worker-{n}-") for n, p in enumerate(portfolios)]
    store = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    store.flushdb()  # this benchmark's own Redis database
    sender = Celery("scale-sender", broker=REDIS_URL, set_as_current=False)
    sender.conf.broker_connection_timeout = 2
    times: dict[int, list[float]] = {1: [], 2: []}
    phases: dict[int, list] = {1: [], 2: []}
    problems = []
    try:
        with tempfile.TemporaryDirectory(prefix="scale-workers-") as tmp:
            for run in range(repeat):
                for count in (1, 2):
                    seconds, split, problem = worker_run(count, portfolios, contents, sender, Path(tmp))
                    if problem:
                        problems.append(problem)
                        tail = [Path(tmp, name).read_text()[-2000:] for name in sorted(os.listdir(tmp))]
                        print(f"{problem}\nworker logs:\n" + "\n".join(tail), flush=True)
                        break
                    times[count].append(seconds)
                    phases[count] += split
                    print(f"workers run {run + 1}: {count} worker(s) {seconds:.1f} s", flush=True)
                if problems:
                    break
    finally:
        store.flushdb()
        sender.close()
        for portfolio in portfolios:
            common.empty(portfolio.id)
        vacuum(*DERIVED)
    total = files * rows
    one_s = median(times[1]) if times[1] else float("nan")
    two_s = median(times[2]) if times[2] else float("nan")
    per_import = {
        count: {name: median(p[name] for p in split) for name in split[0]} for count, split in phases.items() if split
    }
    return Figure(
        name=f"workers: {files} imports x {rows:,} rows, 2 workers vs 1",
        ours=total / two_s,
        baseline=total / one_s,
        unit="rows/s",
        goal=None,
        higher_is_better=True,
        note=f"ratio = speed-up; 1 worker {one_s:.1f} s, 2 workers {two_s:.1f} s (enqueue → last finished_at); "
        "median per import: "
        + "; ".join(
            f"{count} worker(s) " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in split.items())
            for count, split in per_import.items()
        ),
        broken="; ".join(problems)[:500],
        extra={"seconds": times, "per_import_phases_s": per_import},
    )


# --- main --------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("figures", nargs="*", metavar="figure", help=f"any of {', '.join(FIGURES)} (default: all)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure; the median is shown")
    parser.add_argument("--measurements", type=int, default=1_000_000, help="of the feed portfolio")
    parser.add_argument("--kpis", type=int, default=200, help="of the feed portfolio")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the imported file")
    parser.add_argument("--files", type=int, default=4, help="imports for the workers figure")
    parser.add_argument("--worker-rows", type=int, default=250_000, help="rows of each of those files")
    parser.add_argument("--fresh", action="store_true", help="delete and reload the portfolios")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slower statements (feed, import)")
    args = parser.parse_args()
    figures = args.figures or list(FIGURES)
    unknown = [name for name in figures if name not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {unknown}; choose from {', '.join(FIGURES)}")
    if args.repeat < 1 or args.kpis < 1 or args.measurements < args.kpis or args.rows < 1 or args.worker_rows < 1:
        parser.error("need --repeat >= 1, --kpis >= 1, --measurements >= --kpis, --rows >= 1, --worker-rows >= 1")

    common.setup()
    results = []
    started = time.perf_counter()
    if "feed" in figures or "bulk" in figures:
        name = MAIN.format(measurements=args.measurements, kpis=args.kpis)
        layout = Layout(kpis=args.kpis, products=max(1, args.kpis // 4))
        portfolio_id = common.load(name, layout, args.measurements, args.fresh)
        client = common.client_for(common.member([portfolio_id]))
        if "feed" in figures:
            results.append(feed(portfolio_id, client, args.repeat, args.explain))
        if "bulk" in figures:
            results.append(bulk(portfolio_id, client, args.repeat))
    if "import" in figures:
        results.append(import_figure(args.rows, args.repeat, args.fresh, args.explain))
    if "workers" in figures:
        results.append(workers_figure(args.files, args.worker_rows, args.repeat, args.fresh))
    context = {"runs": f"median of {args.repeat}"}
    if "feed" in figures or "bulk" in figures:
        context["feed and bulk portfolio"] = (
            f"{args.measurements:,} measurements, {args.kpis} KPIs, {common.DAYS} days, {common.ZONE}"
        )
    context.update(server=common.server_settings(), took=f"{time.perf_counter() - started:.0f} s")
    path = common.RESULTS / ("ingest.json" if len(figures) == len(FIGURES) else f"ingest-{'-'.join(figures)}.json")
    sys.exit(common.summarize(results, "KPIs at scale: ingest", context, path))


if __name__ == "__main__":
    main()
