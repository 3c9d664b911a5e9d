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


def rollup_row(kpi, granularity: str, period_start: date, value, count: int) -> dict:
    """One row of the rollups API: the period, its value, and how it stands against the target."""
    target = target_for(
        target=kpi.target,
        target_granularity=kpi.target_granularity,
        aggregation=kpi.aggregation,
        granularity=granularity,
    )
    return {
        "period_start": period_start,
        "value": value,
        "count": count,
        "target": target,
        "health": health_of(value=value, target=target, direction=kpi.direction, tolerance_pct=kpi.tolerance_pct),
    }
