"""Cycle detection benchmark for issue 9, "Technical roadmap" (run by hand; not part of the test suite).

The graph: 1,000 items, each depending on the one before it (a long chain, 999 edges) and on 2 more picked
at random among the WINDOW items before that (seeded): a DAG of about 3,000 `blocks` edges whose longest
path is the chain and in which the last item reaches the first only at the end of a breadth-first search.

1. roadmap.graph.cycle_through(edges, item, depends_on) for a new edge that closes a cycle (the first item
   would depend on the last: the whole graph is searched before the first item is met) and for one that
   closes none (the last item would depend on one just below it: everything below is searched). Baseline,
   in the same run: a plain iterative DFS visiting every item reachable from the same start, over an
   adjacency built the same way from the same edge list. Goal: <= 2x the plain traversal. Also the chain
   alone, closed into a cycle of all its items (the longest answer: 1,001 ids), against the same baseline.
2. roadmap.services.dependency_create for the cycle-closing edge on a database (1,000 RoadmapItems of one
   portfolio with the same edges): it raises InvalidInput naming the cycle. Baseline: one plain SELECT of
   the portfolio's `blocks` edges plus the plain traversal. Goal: <= 3x.

Each figure is the median of --repeat runs (at least 7), ours and the baseline interleaved; each run times
--calls calls (pure) or --service-calls calls (database) and reports the time of one. A missed goal prints
MISSED and the script exits 1. The cycle the service names is checked against the pure function's.

    .venv/bin/python bench/cycles.py                      # SQLite, in a scratch file deleted afterwards
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pmflow_cycles .venv/bin/python bench/cycles.py

Database: DATABASE_URL if set (a PostgreSQL database is created if missing and migrated; the portfolio
"bench cycles" is made for the run and deleted after it), else a scratch SQLite file in a temporary
directory. Results: bench/results/cycles.json (git-ignored).
"""

import argparse
import gc
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import Figure, median  # noqa: E402

from roadmap.graph import cycle_through  # noqa: E402  (pure: imports nothing from Django)

WINDOW = 30  # each item's random dependencies are among the WINDOW items before it
PORTFOLIO = "bench cycles"
GOAL_PURE = 2.0
GOAL_SERVICE = 3.0


# --- the graph -------------------------------------------------------------------------------------------


def build_edges(items: int, seed: int) -> list[tuple[int, int]]:
    """(item, depends_on) pairs over items 0 … items-1: item n depends on n-1 (the chain) and on 2 distinct
    items picked at random among n-1-WINDOW … n-2; always an earlier item, so acyclic."""
    rng = random.Random(seed)
    edges = []
    for item in range(1, items):
        edges.append((item, item - 1))
        earlier = range(max(0, item - 1 - WINDOW), item - 1)
        edges += [(item, depends_on) for depends_on in rng.sample(earlier, min(2, len(earlier)))]
    return edges


def plain_traversal(edges, start) -> int:
    """The baseline: the adjacency built as cycle_through builds it, then an iterative DFS visiting every
    item reachable from `start`. Returns how many it visited."""
    following: dict[int, list[int]] = {}
    for source, target in edges:
        following.setdefault(source, []).append(target)
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        for target in following.get(node, ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return len(seen)


def timed(fn, calls: int) -> float:
    """Seconds per call, over `calls` calls in a row."""
    gc.collect()
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls


def interleaved(pairs: dict[str, tuple], repeat: int, calls: int) -> dict[str, list[float]]:
    """{name: (ours, baseline)} → {name: [ours per run], name + " baseline": [baseline per run]}; in each run
    every function once, in turn, so drift on a shared machine hits all alike."""
    times = {key: [] for name in pairs for key in (name, name + " baseline")}
    for run in range(repeat):
        for name, (ours, baseline) in pairs.items():
            times[name].append(timed(ours, calls))
            times[name + " baseline"].append(timed(baseline, calls))
        print(
            f"run {run + 1}: "
            + ", ".join(f"{name} {1000 * values[-1]:.3f} ms" for name, values in times.items() if values),
            flush=True,
        )
    return times


# --- the database ----------------------------------------------------------------------------------------


def setup_database(database_url: str) -> None:
    """As bench/common.py setup(): the environment of a pmflow process with no broker and DEBUG off, the
    PostgreSQL database created if missing, Django started, migrations applied."""
    if database_url.startswith(("postgres://", "postgresql://")):
        common.ensure_database(database_url)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(common.django_env(database_url))
    import django

    django.setup()
    from django.core.management import call_command

    print(f"migrating {database_url} …", flush=True)
    call_command("migrate", verbosity=0)


def load(edges: list[tuple[int, int]], items: int) -> tuple[int, dict[int, int]]:
    """The portfolio PORTFOLIO (made afresh) with one product, `items` RoadmapItems and the edges as
    `blocks` dependencies, all bulk-created. Returns its id and {graph node: item id}."""
    from django.db import transaction
    from django.utils import timezone

    from products.models import Portfolio, Product
    from roadmap.models import RoadmapDependency, RoadmapItem

    Portfolio.objects.filter(name=PORTFOLIO).delete()
    started = time.perf_counter()
    with transaction.atomic():
        portfolio = Portfolio.objects.create(name=PORTFOLIO)
        product = Product.objects.create(portfolio=portfolio, name="Graph", stage_changed_at=timezone.now())
        created = RoadmapItem.objects.bulk_create(
            RoadmapItem(product=product, title=f"Item {n}", rank=n) for n in range(items)
        )
        pk = {n: item.pk for n, item in enumerate(created)}
        RoadmapDependency.objects.bulk_create(
            (RoadmapDependency(item_id=pk[a], depends_on_id=pk[b], kind="blocks") for a, b in edges),
            batch_size=1000,
        )
    print(f"loaded {items:,} items and {len(edges):,} edges in {time.perf_counter() - started:.1f} s", flush=True)
    return portfolio.id, pk


def edges_sql() -> str:
    """The baseline's plain SELECT: the portfolio's blocks edges, the join the service filters by."""
    from products.models import Product
    from roadmap.models import RoadmapDependency, RoadmapItem

    return (
        f"SELECT d.item_id, d.depends_on_id FROM {RoadmapDependency._meta.db_table} d "
        f"JOIN {RoadmapItem._meta.db_table} i ON i.id = d.item_id "
        f"JOIN {Product._meta.db_table} p ON p.id = i.product_id "
        "WHERE p.portfolio_id = %s AND d.kind = 'blocks'"
    )


def server() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return common.server_settings()
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


# --- main ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per figure (at least 7); the median")
    parser.add_argument("--calls", type=int, default=200, help="calls per run of the pure function")
    parser.add_argument("--service-calls", type=int, default=20, help="calls per run of the service")
    args = parser.parse_args()
    if args.repeat < 7 or args.items < 3 or args.calls < 1 or args.service_calls < 1:
        parser.error("need --repeat >= 7, --items >= 3 and at least one call per run")

    # 1. The pure function.
    edges = build_edges(args.items, args.seed)
    first, last = 0, args.items - 1
    existing = set(edges)
    below = max(n for n in range(last) if (last, n) not in existing)  # a new edge last → below: no cycle
    cycle = cycle_through(edges, first, last)
    if cycle is None or cycle_through(edges, last, below) is not None:
        sys.exit("the graph is not what this benchmark expects")
    reach_cycle, reach_none = plain_traversal(edges, last), plain_traversal(edges, below)
    chain = [(n, n - 1) for n in range(1, args.items)]
    if len(cycle_through(chain, first, last)) != args.items + 1:
        sys.exit("the chain is not closed by its edge")
    print(
        f"{args.items:,} items, {len(edges):,} edges; new edge {first} → {last} closes a cycle of "
        f"{len(cycle) - 1} items; new edge {last} → {below} closes none; reachable from {last}: {reach_cycle:,}, "
        f"from {below}: {reach_none:,}",
        flush=True,
    )
    pure = interleaved(
        {
            "cycle": (lambda: cycle_through(edges, first, last), lambda: plain_traversal(edges, last)),
            "no cycle": (lambda: cycle_through(edges, last, below), lambda: plain_traversal(edges, below)),
            "chain": (lambda: cycle_through(chain, first, last), lambda: plain_traversal(chain, last)),
        },
        args.repeat,
        args.calls,
    )

    # 2. The service on a database.
    scratch = None
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        scratch = tempfile.mkdtemp(prefix="pmflow-cycles-")
        database_url = f"sqlite:///{scratch}/cycles.sqlite3"
    try:
        setup_database(database_url)
        figures, context = service_figures(args, edges, cycle, first, last, pure, reach_cycle, reach_none, below)
        status = common.summarize(figures, "cycles.py", context, common.RESULTS / "cycles.json")
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if status:
        sys.exit("MISSED: " + ", ".join(f.name for f in figures if f.status == "MISSED"))


def service_figures(args, edges, cycle, first, last, pure, reach_cycle, reach_none, below):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pmflow.errors import InvalidInput
    from products.models import Portfolio
    from roadmap.models import RoadmapItem
    from roadmap.services import dependency_create

    portfolio_id, pk = load(edges, args.items)
    # As the views pass them: looked up with their product (roadmap.selectors.roadmap_items).
    item = RoadmapItem.objects.select_related("product").get(pk=pk[first])
    depends_on = RoadmapItem.objects.select_related("product").get(pk=pk[last])
    statement = edges_sql()
    named: list = []

    def ours():
        try:
            dependency_create(item=item, depends_on=depends_on)
        except InvalidInput as error:
            named[:] = error.details.get("cycle") or []
        else:
            sys.exit("dependency_create accepted an edge that closes a cycle")

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(statement, [portfolio_id])
            rows = cursor.fetchall()
        return plain_traversal(rows, depends_on.pk)

    ours()
    baseline()  # warm-up: connection, statement caches
    with CaptureQueriesContext(connection) as queries:
        ours()
    broken = "" if named == [pk[n] for n in cycle] else f"named the cycle {named[:5]}…, not the pure function's"
    service = interleaved({"dependency_create": (ours, baseline)}, args.repeat, args.service_calls)
    Portfolio.objects.filter(pk=portfolio_id).delete()  # a leftover one is replaced on the next run

    per_call = lambda name: median(pure[name]) * 1000  # noqa: E731
    figures = [
        Figure(
            "cycle_through, edge closing a cycle",
            per_call("cycle"),
            per_call("cycle baseline"),
            "ms",
            GOAL_PURE,
            note=f"names {len(cycle) - 1} items; baseline: DFS from the same start visiting all {reach_cycle:,}",
        ),
        Figure(
            "cycle_through, edge closing none",
            per_call("no cycle"),
            per_call("no cycle baseline"),
            "ms",
            GOAL_PURE,
            note=f"searches all {reach_none:,} items below item {below}; baseline: DFS visiting the same",
        ),
        Figure(
            "cycle_through, the chain alone closed",
            per_call("chain"),
            per_call("chain baseline"),
            "ms",
            GOAL_PURE,
            note=f"{args.items - 1:,} edges; names all {args.items:,} items ({args.items + 1:,} ids)",
        ),
        Figure(
            "dependency_create refusing a cycle",
            median(service["dependency_create"]) * 1000,
            median(service["dependency_create baseline"]) * 1000,
            "ms",
            GOAL_SERVICE,
            note=f"{len(queries)} queries (baseline: 1 SELECT of the edges + the DFS)",
            broken=broken,
        ),
    ]
    context = {
        "graph": f"{args.items:,} items, {len(edges):,} blocks edges (chain + 2 random among the {WINDOW} before)",
        "runs": f"median of {args.repeat}; {args.calls} calls per run (pure), {args.service_calls} (service)",
        "database": server(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    return figures, context


if __name__ == "__main__":
    main()
