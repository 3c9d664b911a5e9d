"""Two people move the same product at the same moment: PostgreSQL row locks let exactly one win."""

import threading

import pytest
from django.db import connection

from products import services
from products.models import Stage, StageTransition
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.integration


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_simultaneous_transitions_exactly_one_wins(attempt):
    product = ProductFactory(stage=Stage.RESEARCH)
    actors = [UserFactory(), UserFactory()]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def move(actor):
        try:
            barrier.wait(timeout=10)
            services.product_transition(
                product_id=product.id,
                to_stage=Stage.PLANNING,
                reason=f"race by {actor.username}",
                actor=actor,
                expected_stage=Stage.RESEARCH,
            )
            outcomes.append("won")
        except services.StaleStage:
            outcomes.append("stale")
        finally:
            connection.close()  # this thread's own connection, so the test database can be dropped

    threads = [threading.Thread(target=move, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["stale", "won"]
    assert StageTransition.objects.filter(product=product).count() == 1
