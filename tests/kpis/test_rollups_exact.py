"""Every stored rollup column against an independent computation, in a time zone with summer time.

The expected rows are worked out here from the measurements with nothing but zoneinfo, datetime and
Decimal: no kpis.periods, no kpis.rollups. A helper shared by the code and its test would hide a
mistake in that helper; this file cannot. The portfolio is in Europe/Berlin and the measurements
crowd around the 2026 clock changes (Sunday 29 March, Sunday 25 October), local midnight and the
turn of a month, quarter and year, so a local date taken in UTC, at a fixed +01:00 or with the
offset of the wrong side of a clock change lands a measurement in another period and shows.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from kpis.models import Measurement, Rollup
from kpis.services import measurement_correct, measurement_delete, measurements_ingest, rollups_rebuild
from tests.factories import KPIFactory, PortfolioFactory, ProductFactory

# Not transactional, like tests/kpis/test_rollups.py: every write runs inside
# django_capture_on_commit_callbacks(execute=True), which runs the rollup task (eager) on "commit".
pytestmark = pytest.mark.django_db

ZONE_NAME = "Europe/Berlin"
ZONE = ZoneInfo(ZONE_NAME)
AGGREGATIONS = ("sum", "avg", "last", "min", "max")
GRANULARITIES = ("day", "week", "month", "quarter", "year")
SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Obs:
    """One measurement as the test knows it: its external id, UTC instant and value."""

    key: str
    observed_at: datetime
    value: Decimal


class Row(NamedTuple):
    value: Decimal
    count: int
    total: Decimal
    minimum: Decimal
    maximum: Decimal
    last_value: Decimal | None
    last_observed_at: datetime


# --- the independent computation ------------------------------------------------------------------


def _local_day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


def _start_of(day: date, granularity: str) -> date:
    """The first day of the period holding `day`; weeks are ISO weeks, Monday first."""
    if granularity == "day":
        return day
    if granularity == "week":
        iso_year, iso_week, _ = day.isocalendar()
        return date.fromisocalendar(iso_year, iso_week, 1)
    if granularity == "month":
        return date(day.year, day.month, 1)
    if granularity == "quarter":
        return date(day.year, {1: 1, 2: 1, 3: 1, 4: 4, 5: 4, 6: 4, 7: 7, 8: 7, 9: 7}.get(day.month, 10), 1)
    return date(day.year, 1, 1)


def _average(total: Decimal, count: int) -> Decimal:
    with localcontext() as context:
        context.prec = 60  # exact enough that only the final quantize rounds
        return (total / count).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def _expected(observations: list[Obs], ids: dict[str, int], aggregation: str, granularity: str) -> dict:
    """{period_start: Row} for one KPI: group by local period, then aggregate the slow, obvious way."""
    groups = defaultdict(list)
    for obs in observations:
        groups[_start_of(_local_day(obs.observed_at), granularity)].append(obs)
    rows = {}
    for start, members in groups.items():
        values = [obs.value for obs in members]
        total = sum(values, Decimal(0))
        latest = max(members, key=lambda obs: (obs.observed_at, ids[obs.key]))  # a tie: the highest id wins
        value = {
            "sum": total,
            "avg": _average(total, len(values)),
            "last": latest.value,
            "min": min(values),
            "max": max(values),
        }[aggregation]
        rows[start] = Row(
            value=value,
            count=len(values),
            total=total,
            minimum=min(values),
            maximum=max(values),
            last_value=latest.value if aggregation == "last" else None,
            last_observed_at=latest.observed_at,
        )
    return rows


# --- the data set -------------------------------------------------------------------------------------


def _utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# Instants where a wrong conversion picks another local day (and often another week, month, quarter or
# year). Berlin is UTC+1 in winter (CET) and UTC+2 in summer (CEST); both 2026 changes happen at 01:00 UTC.
EDGES = [
    _utc(2025, 12, 31, 22, 59, 59),  # 23:59:59 on 31 Dec 2025
    _utc(2025, 12, 31, 23, 0),  # 00:00 on 1 Jan 2026: a new year, quarter, month
    _utc(2025, 12, 31, 23, 30),
    _utc(2026, 3, 28, 22, 59),  # 23:59 CET, Saturday 28 March
    _utc(2026, 3, 28, 23, 0),  # 00:00 CET, Sunday 29 March: spring forward day
    _utc(2026, 3, 29, 0, 30),  # 01:30 CET
    _utc(2026, 3, 29, 0, 59, 59),  # 01:59:59 CET, the last second before 02:00 becomes 03:00
    _utc(2026, 3, 29, 1, 0),  # 03:00 CEST
    _utc(2026, 3, 29, 1, 30),  # 03:30 CEST
    _utc(2026, 3, 29, 21, 59),  # 23:59 CEST, still Sunday (22:59 at a fixed +01:00)
    _utc(2026, 3, 29, 22, 0),  # 00:00 CEST, Monday 30 March: a new ISO week (23:00 Sunday at +01:00)
    _utc(2026, 3, 29, 22, 30),
    _utc(2026, 3, 29, 23, 59),  # 01:59 CEST Monday, still Sunday in UTC
    _utc(2026, 3, 31, 21, 59, 59),  # 23:59:59 CEST, 31 March
    _utc(2026, 3, 31, 22, 0),  # 00:00 CEST, 1 April: the second quarter
    _utc(2026, 3, 31, 23, 59),
    _utc(2026, 6, 30, 22, 30),  # 00:30 CEST, 1 July: the third quarter
    _utc(2026, 9, 30, 21, 45),  # 23:45 CEST, 30 September
    _utc(2026, 9, 30, 22, 15),  # 00:15 CEST, 1 October: the fourth quarter
    _utc(2026, 10, 24, 21, 59),  # 23:59 CEST, Saturday 24 October
    _utc(2026, 10, 24, 22, 0),  # 00:00 CEST, Sunday 25 October: fall back day
    _utc(2026, 10, 24, 23, 30),  # 01:30 CEST (23:30 Saturday at +01:00)
    _utc(2026, 10, 25, 0, 30),  # 02:30 CEST, the first 02:30
    _utc(2026, 10, 25, 1, 30),  # 02:30 CET, the second 02:30
    _utc(2026, 10, 25, 1, 59, 59),  # 02:59:59 CET
    _utc(2026, 10, 25, 2, 0),  # 03:00 CET
    _utc(2026, 10, 25, 22, 59),  # 23:59 CET, still Sunday (00:59 Monday at +02:00)
    _utc(2026, 10, 25, 23, 0),  # 00:00 CET, Monday 26 October: a new ISO week
    _utc(2026, 10, 25, 23, 45),
    _utc(2026, 12, 31, 22, 59, 59),  # 23:59:59 CET, 31 December 2026
    _utc(2026, 12, 31, 23, 0),  # 00:00 CET, 1 January 2027
    _utc(2026, 12, 31, 23, 59, 59),
    _utc(2027, 1, 10, 12, 0),  # after every random instant: the latest of its week, month, quarter, year
]
# Instants measured twice (the second copy in a later batch, so with a higher id): for "last" the later
# row wins. Each is the latest instant of its local day, the last one of its year too.
TIES = [_utc(2026, 3, 29, 21, 59), _utc(2026, 10, 25, 22, 59), _utc(2026, 12, 31, 23, 59, 59), _utc(2027, 1, 10, 12)]
FIRST, LAST = _utc(2025, 12, 20), _utc(2027, 1, 10)


def _value(rng: random.Random) -> Decimal:
    """A value with up to 2 decimal places, negative now and then (so min and max mean something)."""
    return Decimal(rng.randint(-50_000, 100_000)).scaleb(-2)


def _random_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))


def _moments(rng: random.Random, scale: int) -> list[datetime]:
    """The edges plus 10 × `scale` random instants: spread over 13 months, crowded around both clock
    changes and around midnight UTC (01:00 or 02:00 in Berlin, so local and UTC dates differ before it)."""
    moments = list(EDGES)
    moments += [_random_moment(rng, FIRST, LAST) for _ in range(6 * scale)]
    for change in (_utc(2026, 3, 29, 1), _utc(2026, 10, 25, 1)):
        moments += [
            _random_moment(rng, change - timedelta(hours=30), change + timedelta(hours=30)) for _ in range(scale)
        ]
    for _ in range(2 * scale):
        midnight = datetime.combine(_random_moment(rng, FIRST, LAST).date(), datetime.min.time(), tzinfo=UTC)
        moments.append(_random_moment(rng, midnight - timedelta(hours=3), midnight + timedelta(hours=3)))
    return moments


def _observations(seed: int, scale: int = 30) -> list[Obs]:
    """About 340 measurements at the default scale; the keys of the edges are m0, m1, … in EDGES order."""
    rng = random.Random(seed)
    observations = [Obs(f"m{n}", moment, _value(rng)) for n, moment in enumerate(_moments(rng, scale))]
    observations += [Obs(f"tie{n}", moment, _value(rng)) for n, moment in enumerate(TIES)]
    return observations


def _batches(observations: list[Obs], seed: int) -> list[list[Obs]]:
    """Three batches in a scrambled order, as a feed delivers them; the tie copies come last."""
    originals = [obs for obs in observations if not obs.key.startswith("tie")]
    copies = [obs for obs in observations if obs.key.startswith("tie")]
    random.Random(seed).shuffle(originals)
    third = len(originals) // 3
    return [originals[:third], originals[third : 2 * third], originals[2 * third :] + copies]


def _item(obs: Obs, n: int) -> dict:
    """Half the items carry the Berlin offset, half UTC: the same instant either way."""
    moment = obs.observed_at.astimezone(ZONE) if n % 2 else obs.observed_at
    return {"observed_at": moment.isoformat(), "value": str(obs.value), "external_id": obs.key}


# --- writing and reading ------------------------------------------------------------------------------


def _kpis(*aggregations):
    portfolio = PortfolioFactory(timezone=ZONE_NAME)
    return portfolio, [
        KPIFactory(product=ProductFactory(portfolio=portfolio), aggregation=aggregation) for aggregation in aggregations
    ]


def _ingest(kpi, batch: list[Obs], capture) -> None:
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=[_item(obs, n) for n, obs in enumerate(batch)])


def _ids(kpi) -> dict[str, int]:
    return dict(Measurement.objects.filter(kpi=kpi).values_list("external_id", "id"))


def _stored(kpi, granularity: str) -> dict:
    fields = ("period_start", *Row._fields)
    rows = Rollup.objects.filter(kpi=kpi, granularity=granularity).values_list(*fields)
    return {row[0]: Row(*row[1:]) for row in rows}


def _snapshot(kpis) -> list[tuple]:
    """Every column of every row but the id, in a fixed order."""
    fields = [field.attname for field in Rollup._meta.concrete_fields if field.attname != "id"]
    return list(
        Rollup.objects.filter(kpi__in=kpis).order_by("kpi_id", "granularity", "period_start").values_list(*fields)
    )


# --- tests --------------------------------------------------------------------------------------------


def test_data_set_reaches_the_edges_a_wrong_conversion_would_miss():
    """Guards the tests below: without these instants a UTC or fixed-offset date would still pass."""
    moments = [obs.observed_at for obs in _observations(seed=329)]
    fixed = ZoneInfo("Etc/GMT-1")  # always +01:00, no summer time
    assert any(_local_day(m) != m.date() for m in moments)
    assert any(_local_day(m) != m.astimezone(fixed).date() for m in moments)
    for change_day in (date(2026, 3, 29), date(2026, 10, 25)):
        assert sum(1 for m in moments if _local_day(m) == change_day and m.astimezone(ZONE).hour < 3) >= 3
    for granularity in ("week", "month", "quarter", "year"):
        assert any(_start_of(_local_day(m), granularity) != _start_of(m.date(), granularity) for m in moments)
    assert 300 <= len(moments) <= 400


@pytest.mark.parametrize("granularity", GRANULARITIES)
@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_incremental_rollups_equal_the_independent_computation(
    aggregation, granularity, django_capture_on_commit_callbacks
):
    _, (kpi,) = _kpis(aggregation)
    observations = _observations(seed=329)
    for batch in _batches(observations, seed=1025):
        _ingest(kpi, batch, django_capture_on_commit_callbacks)
    assert _stored(kpi, granularity) == _expected(observations, _ids(kpi), aggregation, granularity)


@pytest.mark.parametrize("granularity", GRANULARITIES)
@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_rebuilt_rollups_equal_the_independent_computation(
    aggregation, granularity, django_capture_on_commit_callbacks
):
    portfolio, (kpi,) = _kpis(aggregation)
    observations = _observations(seed=1225)
    for batch in _batches(observations, seed=101):
        _ingest(kpi, batch, django_capture_on_commit_callbacks)
    Rollup.objects.filter(kpi=kpi).delete()  # so every row below comes from the rebuild
    rollups_rebuild(portfolio_id=portfolio.id)
    assert _stored(kpi, granularity) == _expected(observations, _ids(kpi), aggregation, granularity)


def test_a_kpi_has_rollup_rows_only_for_the_periods_of_its_measurements(django_capture_on_commit_callbacks):
    _, (kpi,) = _kpis("sum")
    observations = _observations(seed=329)
    for batch in _batches(observations, seed=1025):
        _ingest(kpi, batch, django_capture_on_commit_callbacks)
    stored = set(Rollup.objects.filter(kpi=kpi).values_list("granularity", "period_start"))
    expected = {
        (granularity, _start_of(_local_day(obs.observed_at), granularity))
        for granularity in GRANULARITIES
        for obs in observations
    }
    assert stored == expected


def test_average_exactly_halfway_at_the_seventh_decimal_rounds_up(django_capture_on_commit_callbacks):
    # 33.01 / 32 = 1.0315625 (and -1.0315625): exactly halfway, so half-up gives 1.031563 and -1.031563.
    # 32 measurements between 00:00 and 02:00 Berlin time on 29 March, which is still 28 March in UTC.
    _, kpis = _kpis("avg", "avg")
    for kpi, sign in zip(kpis, (1, -1), strict=True):
        values = [Decimal("2.01")] + [Decimal("1.00")] * 31
        batch = [
            Obs(f"h{n}", _utc(2026, 3, 28, 23, 0) + timedelta(minutes=3 * n), sign * value)
            for n, value in enumerate(values)
        ]
        _ingest(kpi, batch, django_capture_on_commit_callbacks)
        for granularity in ("day", "week"):
            ((start, row),) = _stored(kpi, granularity).items()
            assert (start, row.value, row.count) == (
                _start_of(date(2026, 3, 29), granularity),
                sign * Decimal("1.031563"),
                32,
            ), granularity


def _apply_changes(kpi, seed: int, capture, scale: int = 30) -> list[Obs]:
    """Ingest in batches, then move some measurements by external id, correct one to another day and
    value, and delete one; returns the measurements as they now stand."""
    observations = _observations(seed, scale)
    state = {obs.key: obs for obs in observations}
    for batch in _batches(observations, seed=seed):
        _ingest(kpi, batch, capture)
    # A re-sent external id moves its measurement: from fall-back night to spring-forward night, and
    # from New Year's first hour in Berlin back into the old year.
    moved = [
        replace(state["m22"], observed_at=_utc(2026, 3, 29, 0, 45), value=Decimal("12.34")),
        replace(state["m1"], observed_at=_utc(2025, 12, 31, 22, 30)),
    ]
    _ingest(kpi, moved, capture)
    state.update({obs.key: obs for obs in moved})
    # A correction moves 23:45 UTC on Sunday 25 October (Monday in Berlin) to 21:59:30 UTC on 29 March
    # (23:59:30 on Sunday in Berlin), with a new value.
    corrected = replace(state["m28"], observed_at=_utc(2026, 3, 29, 21, 59, 30), value=Decimal("-7.5"))
    measurement = Measurement.objects.get(kpi=kpi, external_id="m28")
    with capture(execute=True):
        measurement_correct(measurement_id=measurement.id, observed_at=corrected.observed_at, value="-7.5")
    state["m28"] = corrected
    # A deletion: the second 02:30 of 25 October (CET) goes.
    with capture(execute=True):
        measurement_delete(measurement_id=Measurement.objects.get(kpi=kpi, external_id="m23").id)
    del state["m23"]
    return list(state.values())


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_rollups_follow_corrections_and_deletions_exactly(aggregation, django_capture_on_commit_callbacks):
    _, (kpi,) = _kpis(aggregation)
    now = _apply_changes(kpi, AGGREGATIONS.index(aggregation), django_capture_on_commit_callbacks)
    for granularity in GRANULARITIES:
        expected = _expected(now, _ids(kpi), aggregation, granularity)
        assert _stored(kpi, granularity) == expected, granularity


def test_rebuild_equals_incremental_updates_byte_for_byte(django_capture_on_commit_callbacks):
    """One portfolio-wide rebuild over a KPI of every aggregation, about 120 measurements each."""
    portfolio, kpis = _kpis(*AGGREGATIONS)
    for seed, kpi in enumerate(kpis, start=100):
        _apply_changes(kpi, seed, django_capture_on_commit_callbacks, scale=8)
    incremental = _snapshot(kpis)
    rollups_rebuild(portfolio_id=portfolio.id)
    rebuilt = _snapshot(kpis)
    assert rebuilt == incremental
    assert [repr(row) for row in rebuilt] == [repr(row) for row in incremental]  # same digits, same types
    assert {row[1] for row in incremental} == set(GRANULARITIES)
    assert len(incremental) > 5 * 100
