"""Local days follow the portfolio's zone as Python's zoneinfo reads it, summer time included."""

import pytest

from kpis.models import Rollup
from kpis.services import measurements_ingest, rollups_rebuild
from tests.factories import KPIFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("zone", ["CET", "Europe/Berlin", "America/New_York"])
def test_a_summer_evening_counts_on_its_local_day_and_a_rebuild_agrees(zone, django_capture_on_commit_callbacks):
    # 22:30 UTC on 1 July is 00:30 on 2 July in CET/Berlin (summer time, +02:00), 18:30 on 1 July in New York.
    kpi = KPIFactory(product=ProductFactory(portfolio__timezone=zone), aggregation="sum")
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=[{"observed_at": "2026-07-01T22:30:00+00:00", "value": 5}])
    day = "2026-07-01" if zone == "America/New_York" else "2026-07-02"
    rows = list(Rollup.objects.filter(kpi=kpi, granularity="day").values_list("period_start", "value"))
    assert [(d.isoformat(), v) for d, v in rows] == [(day, 5)]
    rollups_rebuild(portfolio_id=kpi.product.portfolio_id)
    again = list(Rollup.objects.filter(kpi=kpi, granularity="day").values_list("period_start", "value"))
    assert again == rows
