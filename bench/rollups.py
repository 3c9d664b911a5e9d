"""Rollup benchmark on PostgreSQL: our rebuild vs a naive INSERT … SELECT date_trunc … GROUP BY per
granularity, measured in the same run; then an incremental update after 1,000 new measurements as a
share of the rebuild.

    .venv/bin/python bench/rollups.py                 # 1,000,000 measurements, 200 KPIs, one year
    .venv/bin/python bench/rollups.py --measurements 100000 --kpis 50   # a quick run

Uses (and creates) the database in BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/pmflow_bench).
Data is kept between runs; --fresh regenerates it. Celery tasks run in-process (no broker).
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pmflow_bench")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.pop("REDIS_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

GRANULARITIES = ("day", "week", "month", "quarter", "year")
AGGREGATIONS = ("sum", "sum", "sum", "avg", "avg", "last", "min", "max")  # cycled over the KPIs
ZONE = "Europe/Berlin"


def ensure_database() -> None:
    import psycopg2

    url = urlparse(DATABASE_URL)
    admin = psycopg2.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [url.path.lstrip("/")])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{url.path.lstrip("/")}"')
    admin.close()


def load(measurements: int, kpis: int, fresh: bool) -> int:
    """Create the portfolio, products, KPIs and measurements; returns the portfolio id."""
    from django.db import connection, transaction

    from kpis.models import KPI
    from products.models import Portfolio, Product

    name = f"bench {measurements} x {kpis}"
    existing = Portfolio.objects.filter(name=name).first()
    if existing and not fresh:
        print(f"reusing {name}")
        return existing.id
    Portfolio.objects.filter(name__startswith="bench ").delete()
    with transaction.atomic():
        portfolio = Portfolio.objects.create(name=name, timezone=ZONE)
        now = portfolio.created_at
        products = Product.objects.bulk_create(
            Product(portfolio=portfolio, name=f"Product {i}", stage="growth", stage_changed_at=now)
            for i in range(max(1, kpis // 4))
        )
        created = KPI.objects.bulk_create(
            KPI(
                product=products[i % len(products)],
                key=f"metric_{i // len(products)}",
                name=f"Metric {i}",
                aggregation=AGGREGATIONS[i % len(AGGREGATIONS)],
                target=100,
            )
            for i in range(kpis)
        )
    ids = [k.id for k in created]
    print(f"loading {measurements:,} measurements over {kpis} KPIs and 365 days …", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO kpis_measurement (kpi_id, observed_at, value, external_id, recorded_at)
            SELECT (%s::bigint[])[1 + (n %% %s)],
                   now() - interval '366 days' + (n::float8 / %s) * interval '365 days',
                   round((random() * 1000)::numeric, 2), NULL, now()
            FROM generate_series(0, %s - 1) AS n
            """,
            [ids, kpis, measurements, measurements],
        )
        cursor.execute("VACUUM ANALYZE kpis_measurement")
    print(f"loaded in {time.perf_counter() - started:.1f} s")
    return portfolio.id


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def naive(portfolio_id: int) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS naive_rollup "
            "(kpi_id bigint, granularity text, period_start date, total numeric, n bigint)"
        )
        cursor.execute("TRUNCATE naive_rollup")
        for granularity in GRANULARITIES:
            cursor.execute(
                f"""
                INSERT INTO naive_rollup
                SELECT m.kpi_id, %s, date_trunc('{granularity}', m.observed_at AT TIME ZONE %s)::date,
                       SUM(m.value), COUNT(*)
                FROM kpis_measurement m
                WHERE m.kpi_id IN (SELECT k.id FROM kpis_kpi k JOIN products_product p ON p.id = k.product_id
                                   WHERE p.portfolio_id = %s)
                GROUP BY 1, 2, 3
                """,
                [granularity, ZONE, portfolio_id],
            )


def check_against_naive(portfolio_id: int) -> str:
    from django.db import connection

    naive(portfolio_id)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COUNT(*) FROM naive_rollup n
            JOIN kpis_kpi k ON k.id = n.kpi_id AND k.aggregation = 'sum'
            LEFT JOIN kpis_rollup r ON r.kpi_id = n.kpi_id AND r.granularity = n.granularity
                 AND r.period_start = n.period_start
            WHERE r.id IS NULL OR r.total <> n.total OR r.count <> n.n
            """
        )
        mismatches = cursor.fetchone()[0]
    return "OK" if mismatches == 0 else f"{mismatches} MISMATCHED ROWS"


def incremental(portfolio_id: int, shape: str) -> tuple[float, float]:
    """Post 1,000 measurements through the service; returns (end-to-end s, rollup recompute s).

    End to end is one ingest per KPI with its rollup task run in-process on commit, as the API does.
    The recompute alone is the same ingest with the task held back, then the task timed by itself.
    """
    from django.db import transaction
    from django.utils import timezone

    from kpis import services
    from kpis.models import KPI, Measurement

    kpi_ids = list(KPI.objects.filter(product__portfolio_id=portfolio_id).order_by("id").values_list("id", flat=True))
    now = timezone.now()
    if shape == "daily feed":
        batches = {k: [(now - timedelta(minutes=i), i) for i in range(1000 // len(kpi_ids))] for k in kpi_ids}
    else:
        batches = {kpi_ids[0]: [(now - timedelta(hours=i * 30 * 24 / 1000), i) for i in range(1000)]}

    def items(batch):
        return [
            {"observed_at": at.isoformat(), "value": v, "external_id": f"bench-{n}"} for n, (at, v) in enumerate(batch)
        ]

    def reset():
        Measurement.objects.filter(kpi_id__in=list(batches), external_id__startswith="bench-").delete()

    started = time.perf_counter()
    for kpi_id, batch in batches.items():
        with transaction.atomic():  # the rollup task runs in-process when this commits
            services.measurements_ingest(kpi_id=kpi_id, items=items(batch))
    end_to_end = time.perf_counter() - started
    reset()

    held: list[tuple[int, set]] = []
    real_enqueue = services.rollups_enqueue
    services.rollups_enqueue = lambda *, kpi_id, days: held.append((kpi_id, days))
    try:
        for kpi_id, batch in batches.items():
            with transaction.atomic():
                services.measurements_ingest(kpi_id=kpi_id, items=items(batch))
    finally:
        services.rollups_enqueue = real_enqueue
    started = time.perf_counter()
    for kpi_id, days in held:
        services.rollups_recompute(kpi_id=kpi_id, day_ranges=services.days_to_ranges(days))
    recompute = time.perf_counter() - started
    reset()
    return end_to_end, recompute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measurements", type=int, default=1_000_000)
    parser.add_argument("--kpis", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from kpis.services import rollups_rebuild

    call_command("migrate", verbosity=0)
    portfolio_id = load(args.measurements, args.kpis, args.fresh)
    rollups_rebuild(portfolio_id=portfolio_id)  # warm the cache and build the rows once

    ours = timed(lambda: rollups_rebuild(portfolio_id=portfolio_id), args.repeat)
    baseline = timed(lambda: naive(portfolio_id), args.repeat)
    correctness = check_against_naive(portfolio_id)

    def median_pair(shape):
        runs = [incremental(portfolio_id, shape) for _ in range(args.repeat)]
        return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)

    one_total, one_recompute = median_pair("one KPI, 30 days")
    feed_total, feed_recompute = median_pair("daily feed")
    rollups_rebuild(portfolio_id=portfolio_id)

    ratio = ours / baseline
    print()
    print(
        f"measurements {args.measurements:,} over {args.kpis} KPIs and a year, "
        f"time zone {ZONE}, median of {args.repeat}"
    )
    print(f"rebuild (ours, 5 granularities + health): {ours:.2f} s")
    print(f"naive INSERT … SELECT date_trunc … GROUP BY, per granularity: {baseline:.2f} s")
    print(f"ratio ours / naive: {ratio:.2f}x (goal <= 1.5x); sum rollups equal the naive ones: {correctness}")
    print(
        f"incremental update after 1,000 new measurements (one POST, one KPI, last 30 days): rollup recompute "
        f"{one_recompute:.3f} s = {100 * one_recompute / ours:.2f} % of the rebuild (goal <= 2 %); "
        f"with ingest {one_total:.3f} s = {100 * one_total / ours:.2f} %"
    )
    print(
        f"daily feed, 1,000 measurements as {args.kpis} POSTs of {1000 // args.kpis}: rollup recompute "
        f"{feed_recompute:.3f} s = {100 * feed_recompute / ours:.2f} %; with ingest {feed_total:.3f} s "
        f"= {100 * feed_total / ours:.2f} % (per-KPI overhead dominates)"
    )
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "rollups.json").write_text(
        json.dumps(
            {
                "measurements": args.measurements,
                "kpis": args.kpis,
                "rebuild_s": ours,
                "naive_s": baseline,
                "ratio": ratio,
                "incremental_recompute_s": one_recompute,
                "incremental_recompute_share": one_recompute / ours,
                "incremental_with_ingest_s": one_total,
                "feed_recompute_s": feed_recompute,
                "feed_with_ingest_s": feed_total,
                "correct": correctness,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
