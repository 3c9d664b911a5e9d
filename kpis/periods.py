"""Calendar periods: ISO weeks starting on Monday, calendar months, quarters and years."""

from datetime import date, timedelta
from decimal import Decimal

# Average lengths in days, used to scale a sum KPI's target to another granularity.
AVERAGE_DAYS = {
    "day": Decimal(1),
    "week": Decimal(7),
    "month": Decimal("30.436875"),
    "quarter": Decimal("91.310625"),
    "year": Decimal("365.2425"),
}
COARSER = ("week", "month", "quarter", "year")


def period_start(day: date, granularity: str) -> date:
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if granularity == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown granularity {granularity}")


def next_period_start(start: date, granularity: str) -> date:
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    month_index = start.year * 12 + start.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def period_end(day: date, granularity: str) -> date:
    """The last day of the period holding `day`."""
    return next_period_start(period_start(day, granularity), granularity) - timedelta(days=1)


def merge_ranges(ranges: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Sort and merge overlapping or adjacent [first, last] date ranges."""
    merged: list[tuple[date, date]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def days_to_ranges(days: set[date]) -> list[tuple[date, date]]:
    return merge_ranges([(d, d) for d in days])


def widen(ranges: list[tuple[date, date]], granularity: str) -> list[tuple[date, date]]:
    """The whole periods of `granularity` that the day ranges touch, merged."""
    return merge_ranges([(period_start(a, granularity), period_end(b, granularity)) for a, b in ranges])
