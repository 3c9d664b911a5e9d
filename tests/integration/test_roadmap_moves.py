"""Concurrent writes to the roadmap on PostgreSQL: moves into one column keep its ranks dense, two edges
that together would close a cycle cannot both be written, and writes through the API that touch one
column never deadlock with a move (the product's lock is always taken first)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from pmflow.errors import InvalidInput
from roadmap import services
from roadmap.models import RoadmapDependency, RoadmapItem
from tests.factories import ProductFactory, member

pytestmark = pytest.mark.integration


def run_together(*calls) -> list:
    """Run each call in its own thread (its own database connection), released together by a barrier;
    returns what each returned or raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever a thread hit
            outcomes[index] = exc
        finally:
            connection.close()  # this thread's own connection, so the test database can be dropped

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting: a lock never released"
    return outcomes


def column(product, horizon) -> list[tuple[int, int]]:
    return list(
        RoadmapItem.objects.filter(product=product, horizon=horizon).order_by("rank", "id").values_list("id", "rank")
    )


def assert_dense(product):
    for horizon in RoadmapItem.Horizon.values:
        ranks = [rank for _, rank in column(product, horizon)]
        assert ranks == list(range(len(ranks))), (horizon, ranks)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_two_moves_into_one_column_keep_its_ranks_dense(attempt):
    product = ProductFactory()
    now = [services.roadmap_item_create(product=product, title=f"now {i}", horizon="now") for i in range(4)]
    later = [services.roadmap_item_create(product=product, title=f"later {i}", horizon="later") for i in range(4)]
    outcomes = run_together(
        lambda: services.roadmap_item_move(item_id=later[0].id, horizon="now", position=1),
        lambda: services.roadmap_item_move(item_id=later[2].id, horizon="now", position=1),
    )
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert_dense(product)
    ids = [pk for pk, _ in column(product, "now")]
    assert len(ids) == 6 and {later[0].id, later[2].id} <= set(ids)
    # Whichever went second is at position 1; the first was pushed to 2.
    assert ids[1] in (later[0].id, later[2].id) and ids[2] in (later[0].id, later[2].id)
    assert [pk for pk, _ in column(product, "later")] == [later[1].id, later[3].id]
    assert ids[0] == now[0].id


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_many_moves_within_and_across_columns_keep_every_column_dense(attempt):
    product = ProductFactory()
    items = [
        services.roadmap_item_create(product=product, title=f"{h} {i}", horizon=h)
        for h in ("now", "next", "later")
        for i in range(3)
    ]
    targets = ["now", "next", "later", "now", "now", "next"]
    outcomes = run_together(
        *[
            (lambda item=item, horizon=horizon, position=position: services.roadmap_item_move(
                item_id=item.id, horizon=horizon, position=position
            ))
            for item, horizon, position in zip(items[::-1], targets, [0, 1, 9, 2, 0, 1], strict=False)
        ]
    )  # fmt: skip
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert_dense(product)
    assert RoadmapItem.objects.filter(product=product).count() == 9


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_creates_in_one_column_get_different_ranks(attempt):
    product = ProductFactory()
    services.roadmap_item_create(product=product, title="first", horizon="now")
    outcomes = run_together(
        lambda: services.roadmap_item_create(product=product, title="a", horizon="now"),
        lambda: services.roadmap_item_create(product=product, title="b", horizon="now"),
    )
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert_dense(product)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_two_opposite_dependencies_at_once_exactly_one_is_written(attempt):
    product = ProductFactory()
    a = services.roadmap_item_create(product=product, title="a")
    b = services.roadmap_item_create(product=product, title="b")
    outcomes = run_together(
        lambda: services.dependency_create(item=a, depends_on=b),
        lambda: services.dependency_create(item=b, depends_on=a),
    )
    refused = [o for o in outcomes if isinstance(o, InvalidInput)]
    written = [o for o in outcomes if isinstance(o, RoadmapDependency)]
    assert len(written) == 1 and len(refused) == 1, outcomes
    assert refused[0].details["cycle"][0] == refused[0].details["cycle"][-1]
    assert RoadmapDependency.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_a_cycle_of_three_written_at_once_is_refused_once(attempt):
    product = ProductFactory()
    a, b, c = (services.roadmap_item_create(product=product, title=t) for t in "abc")
    outcomes = run_together(
        lambda: services.dependency_create(item=a, depends_on=b),
        lambda: services.dependency_create(item=b, depends_on=c),
        lambda: services.dependency_create(item=c, depends_on=a),
    )
    assert sum(isinstance(o, RoadmapDependency) for o in outcomes) == 2, outcomes
    assert sum(isinstance(o, InvalidInput) for o in outcomes) == 1, outcomes


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_api_writes_and_moves_of_one_column_at_once_never_deadlock(attempt):
    """A PATCH or DELETE locks the item for its If-Match check; a move locks the product, then rewrites
    the ranks of the column's items. Unless the PATCH also takes the product first, each waits for
    the other's lock: PostgreSQL kills one (a 500)."""
    product = ProductFactory()
    user = member(product.portfolio, "product_manager")
    items = [services.roadmap_item_create(product=product, title=f"i{i}", horizon="now") for i in range(6)]
    outcomes = run_together(
        lambda: _api(user).patch(f"/api/v1/roadmap-items/{items[1].id}/", {"horizon": "next"}, format="json"),
        lambda: _api(user).post(
            f"/api/v1/roadmap-items/{items[5].id}/move/", {"horizon": "now", "position": 0}, format="json"
        ),
        lambda: _api(user).delete(f"/api/v1/roadmap-items/{items[3].id}/"),
        lambda: _api(user).post(
            f"/api/v1/roadmap-items/{items[0].id}/move/", {"horizon": "now", "position": 9}, format="json"
        ),
    )
    statuses = [getattr(o, "status_code", o) for o in outcomes]
    assert statuses == [200, 200, 204, 200]
    assert_dense(product)
