"""KPI reads: access helpers, lists, rollup series for one KPI and combined across products."""

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Min, QuerySet
from django.utils import timezone

from kpis.health import SIX_PLACES, health_of, rollup_row, target_for, unjudged
from kpis.models import KPI, Aggregation, Measurement, Rollup
from kpis.periods import period_start
from pmflow.access import READ, WRITE, object_for_user, queryset_for_user
from pmflow.errors import InvalidInput


def kpi_list_for_user(user) -> QuerySet[KPI]:
    return queryset_for_user(user, KPI.objects.select_related("product"))


def kpi_for_user(user, kpi_id, *, write: bool = False, action: str | None = None) -> KPI:
    queryset = KPI.objects.select_related("product__portfolio", "product__product_line")
    return object_for_user(user, queryset, kpi_id, action=action or (WRITE if write else READ))


def measurement_for_user(user, measurement_id, *, write: bool = False) -> Measurement:
    queryset = Measurement.objects.select_related("kpi__product__portfolio")
    return object_for_user(user, queryset, measurement_id, action=WRITE if write else READ)


def measurement_list(kpi: KPI) -> QuerySet[Measurement]:
    return kpi.measurements.all()


def current_period_start(zone, granularity: str, today: date | None = None) -> date:
    """The start of the period holding today (or `today`) in the portfolio's time zone `zone`."""
    return period_start(today or timezone.now().astimezone(zone).date(), granularity)


def first_measured_days(kpis) -> dict[int, date]:
    """Each KPI's first local day with a measurement (its first day rollup), in one query."""
    if not kpis:
        return {}
    rows = Rollup.objects.filter(kpi__in=kpis, granularity="day").values("kpi_id").annotate(first=Min("period_start"))
    return {row["kpi_id"]: row["first"] for row in rows.order_by()}


def rollup_series(
    kpi: KPI,
    granularity: str,
    first: date | None = None,
    last: date | None = None,
    limit: int | None = None,
    *,
    today: date | None = None,
) -> list[dict]:
    """The KPI's rollups at `granularity` as API rows, oldest first; `limit` keeps the latest ones.

    The period holding today (in the portfolio's time zone) has health `in_progress`, and a first
    period the measurements cover only part of has `partial` (kpis.health.unjudged).
    """
    rows = Rollup.objects.filter(kpi=kpi, granularity=granularity)
    if first:
        rows = rows.filter(period_start__gte=first)
    if last:
        rows = rows.filter(period_start__lte=last)
    rows = rows.order_by("-period_start") if limit else rows.order_by("period_start")
    picked = list(
        rows.values_list("period_start", "value", "count")[:limit]
        if limit
        else rows.values_list("period_start", "value", "count")
    )
    if limit:
        picked.reverse()
    if not picked:
        return []
    current = current_period_start(kpi.product.portfolio.zone, granularity, today)
    # A day is covered from its start, so only coarser periods can be partial.
    first_day = first_measured_days([kpi]).get(kpi.id) if granularity != "day" else None
    return [
        rollup_row(kpi, granularity, start, value, count, current=current, first_day=first_day)
        for start, value, count in picked
    ]


def _combine(aggregation: str, rows: list[dict]) -> tuple[Decimal, int]:
    count = sum(row["count"] for row in rows)
    if aggregation in (Aggregation.SUM, Aggregation.LAST):
        # For gauges (last), the portfolio's figure is the sum of each product's last value.
        value = sum((row["value"] for row in rows), Decimal(0))
    elif aggregation == Aggregation.AVG:
        value = (sum((row["total"] for row in rows), Decimal(0)) / count).quantize(SIX_PLACES, ROUND_HALF_UP)
    elif aggregation == Aggregation.MIN:
        value = min(row["value"] for row in rows)
    else:
        value = max(row["value"] for row in rows)
    return value, count


def rollups_combined(
    user,
    *,
    key: str,
    granularity: str,
    portfolio_id=None,
    product_line_id=None,
    first=None,
    last=None,
    today: date | None = None,
) -> list[dict]:
    """A KPI key combined across the products of a portfolio or product line (DESIGN.md §1).

    The period holding today has health `in_progress`; the first period is `partial` when the
    earliest measurement of any of the products came after it began.
    Raises InvalidInput when the scope is missing or the KPIs disagree on how they aggregate.
    """
    kpis = kpi_list_for_user(user).filter(key=key).select_related("product__portfolio")
    if product_line_id is not None:
        kpis = kpis.filter(product__product_line_id=product_line_id)
    elif portfolio_id is not None:
        kpis = kpis.filter(product__portfolio_id=portfolio_id)
    else:
        raise InvalidInput(fields={"portfolio": "Give a portfolio or a product_line to combine across."})
    kpis = list(kpis)
    if not kpis:
        return []
    aggregations = {kpi.aggregation for kpi in kpis}
    if len(aggregations) > 1:
        raise InvalidInput(
            fields={"key": f"KPIs with key “{key}” aggregate differently ({', '.join(sorted(aggregations))})."}
        )
    aggregation = aggregations.pop()
    reference = kpis[0]
    rows = Rollup.objects.filter(kpi__in=kpis, granularity=granularity)
    if first:
        rows = rows.filter(period_start__gte=first)
    if last:
        rows = rows.filter(period_start__lte=last)
    by_period: dict[date, list[dict]] = defaultdict(list)
    for row in rows.values("kpi_id", "period_start", "value", "count", "total"):
        by_period[row["period_start"]].append(row)
    targets = [
        target_for(
            target=k.target,
            target_granularity=k.target_granularity,
            aggregation=k.aggregation,
            granularity=granularity,
        )
        for k in kpis
    ]
    known = [t for t in targets if t is not None]
    if len(known) != len(targets) or not known:
        target = None
    elif aggregation in (Aggregation.SUM, Aggregation.LAST):
        target = sum(known, Decimal(0))
    elif aggregation == Aggregation.AVG:
        target = (sum(known, Decimal(0)) / len(known)).quantize(SIX_PLACES, ROUND_HALF_UP)
    else:
        target = min(known) if aggregation == Aggregation.MIN else max(known)
    series = []
    if not by_period:
        return series
    # One scope is one portfolio (a product line belongs to one), so one time zone.
    current = current_period_start(reference.product.portfolio.zone, granularity, today)
    first_day = min(first_measured_days(kpis).values(), default=None) if granularity != "day" else None
    for start in sorted(by_period):
        value, count = _combine(aggregation, by_period[start])
        health = unjudged(start, current=current, first_day=first_day) or health_of(
            value=value, target=target, direction=reference.direction, tolerance_pct=reference.tolerance_pct
        )
        series.append({"period_start": start, "value": value, "count": count, "target": target, "health": health})
    return series


__all__ = ["rollup_row"]
