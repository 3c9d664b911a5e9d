"""The key rows across products and lines (KeyRollup) follow every change that moves data between them."""

import pytest

from kpis import services
from kpis.models import KeyRollup
from kpis.services import measurements_ingest
from products.services import product_update
from tests.factories import KPIFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


def _month(world, key="revenue", line=None):
    rows = KeyRollup.objects.filter(portfolio=world.portfolio, key=key, granularity="month", product_line=line)
    return {row.period_start.isoformat(): row.value for row in rows}


@pytest.fixture
def two(world, django_capture_on_commit_callbacks):
    other = KPIFactory(product=ProductFactory(portfolio=world.portfolio, product_line=world.line), key="revenue")
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=other.id, items=[{"observed_at": "2026-03-05", "value": 45}])
    world.other = other
    return world


def test_two_products_of_a_key_add_up_in_the_portfolio_and_the_line(two):
    assert _month(two) == {"2026-03-01": 100}
    assert _month(two, line=two.line) == {"2026-03-01": 100}


def test_a_kpi_that_changes_its_key_moves_its_periods_to_the_new_key(two, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_save(kpi=two.other, key="bookings")
    assert _month(two) == {"2026-03-01": 55}
    assert _month(two, key="bookings") == {"2026-03-01": 45}


def test_a_deleted_kpi_leaves_the_key_rows(two, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_delete(kpi_id=two.other.id)
    assert _month(two) == {"2026-03-01": 55}


def test_a_product_moved_to_another_line_moves_its_share(two, django_capture_on_commit_callbacks):
    east = ProductLineFactory(portfolio=two.portfolio, name="East")
    with django_capture_on_commit_callbacks(execute=True):
        product_update(product_id=two.other.product_id, product_line=east)
    assert _month(two, line=two.line) == {"2026-03-01": 55}
    assert _month(two, line=east) == {"2026-03-01": 45}
    assert _month(two) == {"2026-03-01": 100}


def test_a_full_rebuild_gives_the_same_key_rows(two):
    def snapshot():
        rows = KeyRollup.objects.values_list(
            "product_line_id", "key", "granularity", "period_start", "value", "count", "total", "kpis"
        )
        return sorted(rows, key=lambda row: (row[0] or 0, *row[1:4]))

    before = snapshot()
    services.rollups_rebuild(portfolio_id=two.portfolio.id)
    assert snapshot() == before and before
