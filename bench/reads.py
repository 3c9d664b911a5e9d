"""Read benchmark on PostgreSQL for issue 8, "KPIs at scale" (run by hand; not part of the test suite).

1. GET /api/v1/rollups/?key=…&portfolio=…&granularity=week: one KPI key combined across the 200 products
   of a portfolio, a year by week, through the in-process test client with a signed-in session (DEBUG off).
   Baseline, in the same run and the same client: a bare Django view mounted next to pmflow.urls that
   returns the same rows precomputed in kpis_keyrollup with .values() as a JsonResponse. Median latency of
   --requests requests each (interleaved, after --warmup of each). Goal: ours <= 2x the bare view.
   The rows of both are compared (period, value, count); a difference is MISSED.
2. The same request over 20 products and over 200: the number of SQL queries (CaptureQueriesContext)
   must be the same.

    .venv/bin/python bench/reads.py                  # 200 and 20 products, 1,000 measurements each
    .venv/bin/python bench/reads.py --requests 200   # steadier medians
    .venv/bin/python bench/reads.py --cprofile       # + where Python spends a request's time

Database: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/pmflow_bench_scale; see
bench/common.py), created if missing and migrated; portfolios "scale reads 200" and "scale reads 20",
kept between runs (--fresh reloads them). Results: bench/results/reads.json (git-ignored).
"""

import argparse
import sys
import time
import types
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import Figure, Layout, median  # noqa: E402

KEY = "metric-0"
GRANULARITY = "week"
SIZES = (200, 20)  # products; one KPI each, all with KEY and one aggregation
PER_PRODUCT = 1000  # measurements of each KPI over the year
URLCONF = "scale_reads_urls"
BARE = "/bench/bare-rollups/"
BARE_SIGNED_IN = "/bench/bare-rollups-signed-in/"


def bare_rollups(request):
    """The baseline: the precomputed key rows, as they are stored, with no checks and no serializer."""
    from django.http import JsonResponse

    from kpis.models import KeyRollup

    rows = KeyRollup.objects.filter(
        portfolio_id=request.GET["portfolio"], product_line=None, key=request.GET["key"], granularity=GRANULARITY
    ).values("period_start", "value", "count")
    return JsonResponse(list(rows), safe=False)


def bare_rollups_signed_in(request):
    """The baseline plus the one thing any real endpoint adds: reading the session's user (2 queries)."""
    from django.http import HttpResponseForbidden

    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    return bare_rollups(request)


def install_urlconf() -> str:
    """A module with pmflow.urls plus the bare view, for override_settings(ROOT_URLCONF=…)."""
    from django.urls import include, path

    module = types.ModuleType(URLCONF)
    module.urlpatterns = [
        path(BARE.strip("/") + "/", bare_rollups),
        path(BARE_SIGNED_IN.strip("/") + "/", bare_rollups_signed_in),
        path("", include("pmflow.urls")),
    ]
    sys.modules[URLCONF] = module
    return URLCONF


def ours_url(portfolio_id: int) -> str:
    return f"/api/v1/rollups/?key={KEY}&portfolio={portfolio_id}&granularity={GRANULARITY}"


def bare_url(portfolio_id: int, base: str = BARE) -> str:
    return f"{base}?key={KEY}&portfolio={portfolio_id}"


def get(client, url: str) -> tuple[float, object]:
    started = time.perf_counter()
    response = client.get(url)
    return time.perf_counter() - started, response


def rows_of(response) -> list[tuple]:
    return [(row["period_start"], Decimal(str(row["value"])), int(row["count"])) for row in response.json()]


def compare(client, portfolio_id: int) -> tuple[str, int]:
    """Both answer 200 with the same periods, values and counts; (problem or "", rows)."""
    _, ours = get(client, ours_url(portfolio_id))
    _, bare = get(client, bare_url(portfolio_id))
    if ours.status_code != 200 or bare.status_code != 200:
        return f"HTTP {ours.status_code} / {bare.status_code}: {ours.content[:200]!r}", 0
    mine, theirs = rows_of(ours), rows_of(bare)
    if mine != theirs:
        differ = [(a, b) for a, b in zip(mine, theirs, strict=False) if a != b][:3]
        return f"rows differ: {len(mine)} vs {len(theirs)} rows, first differences {differ}", len(mine)
    return "", len(mine)


def queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:200]
    return len(captured.captured_queries)


def cprofile(client, url: str, requests: int = 50) -> None:
    """Print where Python spends the time of `requests` requests (cProfile, the top functions by own time)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(url)
    profiler.disable()
    print(f"\n===== cProfile: {requests} x GET {url} =====")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--requests", type=int, default=60, help="timed requests of each (>= 50)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="delete and reload the portfolios")
    parser.add_argument("--cprofile", action="store_true", help="also print a cProfile of 50 requests of ours")
    args = parser.parse_args()
    if args.requests < 1:
        parser.error("--requests must be at least 1")

    common.setup()
    from django.db import connection
    from django.test import override_settings

    from kpis.services import rollups_rebuild

    portfolios = {}
    for size in SIZES:
        layout = Layout(kpis=size, products=size, aggregation_per_key=True)  # KPI i: product i, KEY, "sum"
        portfolios[size] = common.load(f"scale reads {size}", layout, size * PER_PRODUCT, args.fresh)
        rollups_rebuild(portfolio_id=portfolios[size])  # the KPIs' and the key's rows, as the worker keeps them
    common.vacuum("kpis_rollup", "kpis_keyrollup")
    client = common.client_for(common.member(list(portfolios.values())))
    large, small = portfolios[max(SIZES)], portfolios[min(SIZES)]

    figures = []
    with override_settings(ROOT_URLCONF=install_urlconf()):
        problem, rows = compare(client, large)
        for _ in range(args.warmup):
            get(client, ours_url(large))
            get(client, bare_url(large))
            get(client, bare_url(large, BARE_SIGNED_IN))
        ours, bare, signed_in = [], [], []
        for _ in range(args.requests):  # interleaved
            seconds, response = get(client, ours_url(large))
            ours.append(seconds)
            if response.status_code != 200:
                problem = problem or f"HTTP {response.status_code}"
            bare.append(get(client, bare_url(large))[0])
            signed_in.append(get(client, bare_url(large, BARE_SIGNED_IN))[0])
        profile = common.StatementTimes()  # one more request: its time in SQL
        with connection.execute_wrapper(profile):
            profiled, _ = get(client, ours_url(large))
        counts = {size: queries(client, ours_url(portfolios[size])) for size in SIZES}
        bare_counts = {size: queries(client, bare_url(portfolios[size])) for size in SIZES}
        small_problem, _ = compare(client, small)
        if args.cprofile:
            cprofile(client, ours_url(large))

    ms = [1000 * s for s in ours]
    bare_ms = [1000 * s for s in bare]
    figures.append(
        Figure(
            name=f"GET rollups, {max(SIZES)} products, a year by week vs bare view",
            ours=median(ms),
            baseline=median(bare_ms),
            unit="ms",
            goal=2.0,
            note=f"{rows} rows each; median of {args.requests} requests after {args.warmup} warm-up; "
            f"p90 {sorted(ms)[int(0.9 * len(ms))]:.1f} ms vs {sorted(bare_ms)[int(0.9 * len(bare_ms))]:.1f} ms; "
            f"one extra request of ours: {1000 * profiled:.1f} ms, of which "
            f"{1000 * sum(profile.seconds.values()):.1f} ms in {sum(profile.calls.values())} SQL statements",
            broken=problem,
            extra={"ours_ms": ms, "bare_ms": bare_ms, "profile_top_statements": profile.top(8)},
        )
    )
    figures.append(
        Figure(
            name="  same, vs the bare view reading the session's user",
            ours=median(ms),
            baseline=median(1000 * s for s in signed_in),
            unit="ms",
            goal=None,
            note="reported only: the bare view of the goal never loads the session (1 query instead of 3)",
            extra={"bare_signed_in_ms": [1000 * s for s in signed_in]},
        )
    )
    figures.append(
        Figure(
            name=f"GET rollups: queries at {max(SIZES)} vs {min(SIZES)} products",
            ours=counts[max(SIZES)],
            baseline=counts[min(SIZES)],
            unit="queries",
            goal=1.0,
            note=f"ours {counts}, session and user included; bare view {bare_counts}",
            broken=small_problem or ("" if counts[max(SIZES)] == counts[min(SIZES)] else "query count grows"),
            extra={"ours": counts, "bare": bare_counts},
        )
    )
    context = {
        "data": f"key {KEY} on {SIZES} products, {PER_PRODUCT:,} measurements per product over "
        f"{common.DAYS} days, {common.ZONE}",
        "server": common.server_settings(),
    }
    sys.exit(common.summarize(figures, "KPIs at scale: reads", context, common.RESULTS / "reads.json"))


if __name__ == "__main__":
    main()
