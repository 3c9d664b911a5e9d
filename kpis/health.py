"""Health of a value against a KPI's target (DESIGN.md §1)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from kpis.models import Aggregation, Direction, Health
from kpis.periods import AVERAGE_DAYS

SIX_PLACES = Decimal("0.000001")


def target_for(*, target, target_granularity: str, aggregation: str, granularity: str) -> Decimal | None:
    """The target for one period of `granularity`: sum targets scale with the period's length."""
    if target is None:
        return None
    target = Decimal(target)
    if aggregation != Aggregation.SUM or granularity == target_granularity:
        return target
    scaled = target * AVERAGE_DAYS[granularity] / AVERAGE_DAYS[target_granularity]
    return scaled.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def health_of(*, value, target, direction: str, tolerance_pct) -> str:
    if target is None:
        return Health.NO_TARGET
    if value is None:
        return Health.NO_DATA
    value, target = Decimal(value), Decimal(target)
    slack = abs(target) * Decimal(tolerance_pct) / 100
    if direction == Direction.LOWER:
        if value <= target:
            return Health.ON_TRACK
        return Health.AT_RISK if value <= target + slack else Health.OFF_TRACK
    if value >= target:
        return Health.ON_TRACK
    return Health.AT_RISK if value >= target - slack else Health.OFF_TRACK


def unjudged(period_start: date, *, current: date | None, first_day: date | None) -> str | None:
    """Why a period is not judged against a whole period's target yet, or None when it is.

    `in_progress`: the period holding today (`current` is its start, in the portfolio's time zone),
    or one after it. `partial`: the period began before `first_day`, the first day with a measurement,
    so only part of it is covered (only the first period of a series can be). DESIGN-NOTES.md has why.
    """
    if current is not None and period_start >= current:
        return Health.IN_PROGRESS
    if first_day is not None and period_start < first_day:
        return Health.PARTIAL
    return None


def rollup_row(
    kpi,
    granularity: str,
    period_start: date,
    value,
    count: int,
    *,
    current: date | None = None,
    first_day: date | None = None,
) -> dict:
    """One row of the rollups API: the period, its value, and how it stands against the target.

    Give `current` (the start of the period holding today) and `first_day` (the KPI's first day with
    a measurement) so that a running or partly covered period is not judged (see `unjudged`).
    """
    target = target_for(
        target=kpi.target,
        target_granularity=kpi.target_granularity,
        aggregation=kpi.aggregation,
        granularity=granularity,
    )
    health = unjudged(period_start, current=current, first_day=first_day) or health_of(
        value=value, target=target, direction=kpi.direction, tolerance_pct=kpi.tolerance_pct
    )
    return {"period_start": period_start, "value": value, "count": count, "target": target, "health": health}
