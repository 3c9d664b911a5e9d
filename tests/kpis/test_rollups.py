"""Rollups against values computed independently here, in Python, from the raw measurements."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kpis.models import Rollup
from kpis.services import measurements_ingest, rollups_rebuild
from tests.factories import KPIFactory, PortfolioFactory, ProductFactory

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def _kpi(aggregation="sum", zone="UTC"):
    product = ProductFactory(portfolio=PortfolioFactory(timezone=zone))
    return KPIFactory(product=product, aggregation=aggregation)


def _ingest(kpi, items, capture):
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)


def _rows(kpi, granularity):
    return {
        r.period_start: (r.value, r.count)
        for r in Rollup.objects.filter(kpi=kpi, granularity=granularity).order_by("period_start")
    }


def _expected(observations, zone, granularity, aggregation):
    """Group (utc datetime, value) pairs by local period, the slow obvious way."""
    groups = defaultdict(list)
    for moment, value in observations:
        day = moment.astimezone(ZoneInfo(zone)).date()
        if granularity == "week":
            day = day - timedelta(days=day.weekday())
        elif granularity == "month":
            day = day.replace(day=1)
        elif granularity == "quarter":
            day = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        elif granularity == "year":
            day = date(day.year, 1, 1)
        groups[day].append((moment, Decimal(str(value))))
    result = {}
    for start, items in groups.items():
        values = [v for _, v in items]
        if aggregation == "sum":
            value = sum(values)
        elif aggregation == "avg":
            value = (sum(values) / len(values)).quantize(Decimal("0.000001"))
        elif aggregation == "min":
            value = min(values)
        elif aggregation == "max":
            value = max(values)
        else:
            value = max(items, key=lambda pair: pair[0])[1]
        result[start] = (value, len(values))
    return result


def _as_items(observations):
    return [{"observed_at": moment.isoformat(), "value": value} for moment, value in observations]


def _spread(start: datetime, days: int, step_hours: int = 17):
    """Observations every `step_hours` from `start` for `days`, with varied values."""
    moments, moment, n = [], start, 0
    while moment < start + timedelta(days=days):
        moments.append((moment, round(10 + (n * 7.3) % 23, 2)))
        moment += timedelta(hours=step_hours)
        n += 1
    return moments


@pytest.mark.parametrize("granularity", ["day", "week", "month", "quarter", "year"])
def test_sum_rollups_match_independent_computation(granularity, django_capture_on_commit_callbacks):
    kpi = _kpi("sum")
    observations = _spread(datetime(2025, 11, 20, 3, tzinfo=UTC), 120)
    _ingest(kpi, _as_items(observations), django_capture_on_commit_callbacks)
    assert _rows(kpi, granularity) == _expected(observations, "UTC", granularity, "sum")


@pytest.mark.parametrize("aggregation", ["avg", "min", "max", "last"])
def test_each_aggregation_matches_independent_computation(aggregation, django_capture_on_commit_callbacks):
    kpi = _kpi(aggregation)
    observations = _spread(datetime(2025, 11, 5, 1, tzinfo=UTC), 160, step_hours=11)  # crosses a year
    _ingest(kpi, _as_items(observations), django_capture_on_commit_callbacks)
    for granularity in ("day", "week", "month", "quarter", "year"):
        assert _rows(kpi, granularity) == _expected(observations, "UTC", granularity, aggregation), granularity


def test_week_crossing_a_month_holds_both_months_days(django_capture_on_commit_callbacks):
    kpi = _kpi("sum")
    # Monday 2026-06-29 starts a week that ends on Sunday 2026-07-05.
    observations = [
        (datetime(2026, 6, 29, 9, tzinfo=UTC), 5),
        (datetime(2026, 6, 30, 9, tzinfo=UTC), 7),
        (datetime(2026, 7, 1, 9, tzinfo=UTC), 11),
        (datetime(2026, 7, 5, 22, tzinfo=UTC), 13),
    ]
    _ingest(kpi, _as_items(observations), django_capture_on_commit_callbacks)
    assert _rows(kpi, "week") == {date(2026, 6, 29): (Decimal(36), 4)}
    assert _rows(kpi, "month") == {date(2026, 6, 1): (Decimal(12), 2), date(2026, 7, 1): (Decimal(24), 2)}
    assert _rows(kpi, "quarter") == {date(2026, 4, 1): (Decimal(12), 2), date(2026, 7, 1): (Decimal(24), 2)}


def test_local_day_differs_from_utc_day_west_of_utc(django_capture_on_commit_callbacks):
    kpi = _kpi("sum", zone="America/Los_Angeles")
    # 03:00 UTC on 1 March is still 28 February in Los Angeles.
    _ingest(kpi, [{"observed_at": "2026-03-01T03:00:00+00:00", "value": 4}], django_capture_on_commit_callbacks)
    assert _rows(kpi, "day") == {date(2026, 2, 28): (Decimal(4), 1)}
    assert _rows(kpi, "month") == {date(2026, 2, 1): (Decimal(4), 1)}


def test_local_day_differs_from_utc_day_east_of_utc_and_changes_quarter(django_capture_on_commit_callbacks):
    kpi = _kpi("sum", zone="Asia/Tokyo")
    # 20:00 UTC on 31 March is 05:00 on 1 April in Tokyo: the second quarter.
    _ingest(kpi, [{"observed_at": "2026-03-31T20:00:00Z", "value": 9}], django_capture_on_commit_callbacks)
    assert _rows(kpi, "day") == {date(2026, 4, 1): (Decimal(9), 1)}
    assert _rows(kpi, "quarter") == {date(2026, 4, 1): (Decimal(9), 1)}


def test_time_zone_rollups_match_independent_computation(django_capture_on_commit_callbacks):
    zone = "Pacific/Auckland"
    kpi = _kpi("sum", zone=zone)
    observations = _spread(datetime(2026, 3, 20, 0, tzinfo=UTC), 30, step_hours=7)  # crosses NZ DST end
    _ingest(kpi, _as_items(observations), django_capture_on_commit_callbacks)
    for granularity in ("day", "week", "month"):
        assert _rows(kpi, granularity) == _expected(observations, zone, granularity, "sum"), granularity


def test_iso_date_means_that_day_in_the_portfolio_time_zone(django_capture_on_commit_callbacks):
    kpi = _kpi("sum", zone="America/New_York")
    _ingest(kpi, [{"observed_at": "2026-05-10", "value": 3}], django_capture_on_commit_callbacks)
    assert _rows(kpi, "day") == {date(2026, 5, 10): (Decimal(3), 1)}
    stored = kpi.measurements.get()
    assert stored.observed_at == datetime(2026, 5, 10, 4, tzinfo=UTC)  # local midnight, EDT


def test_new_measurements_recompute_only_the_periods_they_touch(django_capture_on_commit_callbacks):
    kpi = _kpi("sum")
    _ingest(kpi, [{"observed_at": "2026-01-10", "value": 1}], django_capture_on_commit_callbacks)
    january = Rollup.objects.get(kpi=kpi, granularity="day", period_start=date(2026, 1, 10))
    _ingest(kpi, [{"observed_at": "2026-03-03", "value": 2}], django_capture_on_commit_callbacks)
    assert Rollup.objects.get(kpi=kpi, granularity="day", period_start=date(2026, 1, 10)).pk == january.pk
    assert _rows(kpi, "year") == {date(2026, 1, 1): (Decimal(3), 2)}


def test_updating_a_measurement_moves_it_out_of_its_old_day(django_capture_on_commit_callbacks):
    kpi = _kpi("sum")
    _ingest(kpi, [{"observed_at": "2026-02-01", "value": 5, "external_id": "a"}], django_capture_on_commit_callbacks)
    _ingest(kpi, [{"observed_at": "2026-02-03", "value": 6, "external_id": "a"}], django_capture_on_commit_callbacks)
    assert _rows(kpi, "day") == {date(2026, 2, 3): (Decimal(6), 1)}
    assert _rows(kpi, "month") == {date(2026, 2, 1): (Decimal(6), 1)}


def _snapshot(kpis):
    return list(
        Rollup.objects.filter(kpi__in=kpis)
        .order_by("kpi_id", "granularity", "period_start")
        .values_list(
            "kpi_id",
            "granularity",
            "period_start",
            "value",
            "count",
            "total",
            "minimum",
            "maximum",
            "last_value",
            "last_observed_at",
        )
    )


def test_rebuild_gives_the_same_rows_as_incremental_updates(django_capture_on_commit_callbacks):
    portfolio = PortfolioFactory(timezone="Europe/Berlin")
    kpis = [
        KPIFactory(product=ProductFactory(portfolio=portfolio), aggregation=aggregation)
        for aggregation in ("sum", "avg", "last", "min", "max")
    ]
    observations = _spread(datetime(2025, 12, 1, 0, tzinfo=UTC), 75, step_hours=9)
    for kpi in kpis:
        # Three batches in a scrambled order, as a real feed might deliver them.
        for batch in (observations[1::3], observations[0::3], observations[2::3]):
            _ingest(kpi, _as_items(batch), django_capture_on_commit_callbacks)
    incremental = _snapshot(kpis)
    rollups_rebuild(portfolio_id=portfolio.id)
    assert _snapshot(kpis) == incremental
    assert len(incremental) > 5 * 75


def test_rebuild_management_command_recreates_deleted_rollups(django_capture_on_commit_callbacks):
    from django.core.management import call_command

    kpi = _kpi("sum")
    _ingest(kpi, [{"observed_at": "2026-04-02", "value": 8}], django_capture_on_commit_callbacks)
    before = _snapshot([kpi])
    Rollup.objects.filter(kpi=kpi).delete()
    call_command("rebuild_rollups", verbosity=0)
    assert _snapshot([kpi]) == before
