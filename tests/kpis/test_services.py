from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kpis.services import parse_observed_at, parse_value

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-03-31", datetime(2026, 3, 31, tzinfo=BERLIN)),
        ("2026-03-31T09:00:00Z", datetime(2026, 3, 31, 9, tzinfo=UTC)),
        ("2026-03-31T09:00:00+02:00", datetime(2026, 3, 31, 7, tzinfo=UTC)),
        ("2026-03-31 09:00:00.250-05:00", datetime(2026, 3, 31, 14, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_observed_at_accepts_iso_dates_and_datetimes_with_offsets(raw, expected):
    assert parse_observed_at(raw, BERLIN) == expected


@pytest.mark.parametrize("raw", ["2026-03-31T09:00:00", "2026-03-31 09:00"])
def test_observed_at_without_offset_is_refused(raw):
    with pytest.raises(ValueError, match="UTC offset"):
        parse_observed_at(raw, BERLIN)


@pytest.mark.parametrize("raw", ["31/03/2026", "yesterday", "2026-13-01", "2026-02-30T10:00:00Z"])
def test_observed_at_malformed_is_refused_with_a_hint(raw):
    with pytest.raises(ValueError, match="ISO date"):
        parse_observed_at(raw, BERLIN)


def test_an_iso_date_is_local_midnight_even_across_dst():
    assert parse_observed_at("2026-03-29", BERLIN).utcoffset() == timedelta(hours=1)  # DST starts at 02:00


@pytest.mark.parametrize("raw", [True, None, "", "abc", float("nan"), float("inf"), 1e15])
def test_value_must_be_a_finite_number_in_range(raw):
    with pytest.raises(ValueError):
        parse_value(raw)


def test_value_keeps_six_decimal_places():
    assert str(parse_value("12.3456789")) == "12.345679"
