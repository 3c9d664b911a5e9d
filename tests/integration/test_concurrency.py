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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_simultaneous_recomputes_of_one_kpi_both_finish_with_the_right_rows(attempt):
    """Without the KPI's lock both insert the same rollup rows and one dies on the unique constraint."""
    from datetime import date
    from decimal import Decimal

    from kpis.models import Measurement, Rollup
    from kpis.services import rollups_recompute
    from tests.factories import KPIFactory

    kpi = KPIFactory()
    Measurement.objects.bulk_create(
        Measurement(kpi=kpi, observed_at=f"2026-03-{day:02d}T12:00:00+00:00", value=day) for day in range(1, 29)
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def recompute():
        try:
            barrier.wait(timeout=10)
            rollups_recompute(kpi_id=kpi.id, day_ranges=[(date(2026, 3, 1), date(2026, 3, 28))])
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever a thread hit
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=recompute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    month = Rollup.objects.get(kpi=kpi, granularity="month", period_start=date(2026, 3, 1))
    assert (month.value, month.count) == (Decimal(sum(range(1, 29))), 28)
    assert Rollup.objects.filter(kpi=kpi, granularity="day").count() == 28
