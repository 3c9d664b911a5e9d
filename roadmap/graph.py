"""The dependency graph: would a new `blocks` edge close a cycle, and which one."""

from collections import deque
from collections.abc import Iterable


def cycle_through(edges: Iterable[tuple[int, int]], item: int, depends_on: int) -> list[int] | None:
    """The cycle a new edge `item → depends_on` would close, or None.

    `edges` are the existing (item, depends_on) pairs. The new edge closes a cycle when `depends_on`
    already reaches `item`; the answer is that path with the new edge in front, first = last:
    [item, depends_on, …, item]. Breadth first, so the cycle named is a shortest one, and each node is
    visited once: linear in the edges.
    """
    if item == depends_on:
        return [item, item]
    following: dict[int, list[int]] = {}
    for source, target in edges:
        following.setdefault(source, []).append(target)
    came_from: dict[int, int] = {depends_on: depends_on}
    queue = deque([depends_on])
    while queue:
        node = queue.popleft()
        for target in following.get(node, ()):
            if target in came_from:
                continue
            came_from[target] = node
            if target == item:
                path = [item]
                while path[-1] != depends_on:
                    path.append(came_from[path[-1]])
                path.reverse()  # depends_on … item
                return [item, *path]
            queue.append(target)
    return None
