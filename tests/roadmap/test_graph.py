"""roadmap.graph.cycle_through: which cycle a new `item → depends_on` edge would close (pure, no database)."""

import random
import time

from roadmap.graph import cycle_through


def random_dag(items: int, per_item: int, seed: int) -> list[tuple[int, int]]:
    """Each item depends on up to `per_item` distinct earlier items: acyclic, about items × per_item edges."""
    rng = random.Random(seed)
    edges = []
    for item in range(1, items):
        for depends_on in rng.sample(range(item), min(per_item, item)):
            edges.append((item, depends_on))
    return edges


def is_cycle_of(cycle: list[int], edges: list[tuple[int, int]], item: int, depends_on: int) -> bool:
    """The answer's shape: starts with the new edge, ends where it started, every step an existing edge,
    no item twice."""
    existing = set(edges)
    steps = list(zip(cycle, cycle[1:], strict=False))
    return (
        cycle[:2] == [item, depends_on]
        and cycle[-1] == item
        and all(step in existing for step in steps[1:])
        and len(set(cycle[:-1])) == len(cycle) - 1
    )


def test_no_cycle_is_none():
    edges = [(1, 2), (2, 3), (4, 3)]

    assert cycle_through(edges, 1, 4) is None


def test_no_edges_is_none():
    assert cycle_through([], 1, 2) is None


def test_items_outside_the_graph_are_none():
    assert cycle_through([(1, 2), (2, 3)], 8, 9) is None


def test_direct_back_edge_is_a_two_step_cycle():
    assert cycle_through([(2, 1)], 1, 2) == [1, 2, 1]


def test_long_cycle_is_returned_in_order_first_equal_last():
    edges = [(2, 3), (3, 4), (4, 5), (5, 1)]

    assert cycle_through(edges, 1, 2) == [1, 2, 3, 4, 5, 1]


def test_the_shortest_of_several_cycles_is_named():
    long_way = [(2, 3), (3, 4), (4, 5), (5, 1)]
    short_way = [(2, 6), (6, 1)]

    assert cycle_through(long_way + short_way, 1, 2) == [1, 2, 6, 1]
    assert cycle_through(short_way + long_way, 1, 2) == [1, 2, 6, 1]


def test_self_edge_is_a_cycle_of_itself():
    assert cycle_through([(1, 2)], 7, 7) == [7, 7]


def test_diamond_has_no_false_positive():
    # top depends on left and right, both depend on bottom: two paths, no cycle
    edges = [("top", "left"), ("top", "right"), ("left", "bottom"), ("right", "bottom")]

    assert cycle_through(edges, "top", "bottom") is None  # a shortcut along the existing direction
    assert cycle_through(edges, "left", "right") is None  # across the diamond
    assert cycle_through(edges, "right", "left") is None


def test_diamond_closed_backwards_names_one_side():
    edges = [("top", "left"), ("top", "right"), ("left", "bottom"), ("right", "bottom")]

    assert cycle_through(edges, "bottom", "top") in (
        ["bottom", "top", "left", "bottom"],
        ["bottom", "top", "right", "bottom"],
    )


def test_stacked_diamonds_have_no_false_positive():
    # 200 diamonds in a row: 2^200 paths from the first top to the last bottom, still no cycle
    edges = []
    for level in range(200):
        top, bottom = 3 * level, 3 * level + 3
        edges += [(top, top + 1), (top, top + 2), (top + 1, bottom), (top + 2, bottom)]

    assert cycle_through(edges, 0, 600) is None
    assert len(cycle_through(edges, 600, 0)) == 2 + 2 * 200


def test_a_1000_item_chain_closed_into_a_cycle_returns_all_1001_ids():
    edges = [(n, n + 1) for n in range(999)]  # 0 → 1 → … → 999

    cycle = cycle_through(edges, 999, 0)

    assert cycle == [999, *range(1000)]
    assert len(cycle) == 1001


def test_edges_may_be_a_one_pass_iterator():
    edges = [(2, 3), (3, 1)]

    assert cycle_through(iter(edges), 1, 2) == [1, 2, 3, 1]
    assert cycle_through((edge for edge in edges), 1, 3) == [1, 3, 1]


def test_parallel_edges_do_not_matter():
    assert cycle_through([(2, 1), (2, 1), (2, 1)], 1, 2) == [1, 2, 1]


def test_random_dags_never_report_a_cycle_for_a_forward_edge():
    for seed in range(20):
        edges = random_dag(200, 3, seed)
        rng = random.Random(seed)
        for _ in range(20):
            low, high = sorted(rng.sample(range(200), 2))
            assert cycle_through(edges, high, low) is None  # later → earlier: the DAG's own direction


def test_random_dags_report_a_real_cycle_for_a_backward_edge():
    for seed in range(20):
        edges = random_dag(200, 3, seed)
        reaches_zero = {item for item, depends_on in edges if depends_on == 0}
        for high in sorted(reaches_zero)[:5]:
            cycle = cycle_through(edges, 0, high)  # 0 would depend on an item that depends on 0
            assert cycle == [0, high, 0]
        for high in range(150, 200, 10):  # with 3 earlier items each, these all reach 0 (these seeds)
            cycle = cycle_through(edges, 0, high)
            assert is_cycle_of(cycle, edges, 0, high), cycle


def test_1000_items_and_3000_edges_finish_quickly():
    edges = random_dag(1000, 2, seed=9)
    edges += [(n + 1, n) for n in range(999)]  # a chain through all of them: 999 reaches 0
    assert 2900 < len(edges) < 3100

    started = time.perf_counter()
    cycle = cycle_through(edges, 0, 999)  # the whole graph is searched before 0 is reached
    none = cycle_through(edges, 999, 998)
    took = time.perf_counter() - started

    assert is_cycle_of(cycle, edges, 0, 999)
    assert none is None
    assert took < 0.5, f"{took:.3f} s"  # about 2 ms on a laptop: generous, so CI noise cannot flake
