"""KPI reads: access helpers, lists, rollup series for one KPI and combined across products."""

import re
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Max, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone

from kpis.health import SIX_PLACES, health_of, rollup_row, target_for, unjudged
from kpis.models import KPI, Aggregation, Import, Measurement, Rollup
from kpis.periods import period_start
from kpis.rawvalues import as_date, as_decimal
from pmflow.access import READ, WRITE, object_for_user, queryset_for_user, require
from pmflow.errors import InvalidInput
from pmflow.fields import MAX_ID

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,64}")


def kpi_list_for_user(user) -> QuerySet[KPI]:
    return queryset_for_user(user, KPI.objects.select_related("product"))


def kpi_for_user(user, kpi_id, *, write: bool = False, action: str | None = None) -> KPI:
    queryset = KPI.objects.select_related("product__portfolio", "product__product_line")
    return object_for_user(user, queryset, kpi_id, action=action or (WRITE if write else READ))


NO_KPI = "No such KPI."


def _id_or_none(raw) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 1 <= raw <= MAX_ID else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 19:
        return _id_or_none(int(raw))
    return None


def kpis_for_batch(user, items: list) -> tuple[list, dict[int, KPI], list[dict]]:
    """Resolve each item's KPI, given as `kpi` (id) or as `product` (id) and `key`, among the KPIs the
    user may see: (KPI id or None per item, {id: KPI with product and portfolio}, [{index, field,
    message}]). Two queries for any number of items. Another portfolio's KPI is "No such KPI." as an
    unknown one is; whether the user may write them is the caller's check (`require_measure`).
    """
    visible = kpi_list_for_user(user).select_related("product__portfolio")
    refs: list = [None] * len(items)
    errors: list[dict] = []
    by_id: dict[int, list[int]] = defaultdict(list)
    by_key: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue  # "Expected an object." comes from the item check
        if "kpi" in item:
            if "product" in item or "key" in item:
                extra = "product" if "product" in item else "key"
                errors.append({"index": index, "field": extra, "message": "Give kpi, or product and key, not both."})
            elif (kpi_id := _id_or_none(item["kpi"])) is None:
                errors.append({"index": index, "field": "kpi", "message": "A KPI id (a positive integer)."})
            else:
                by_id[kpi_id].append(index)
            continue
        product_id, key = _id_or_none(item.get("product")), item.get("key")
        if product_id is None:
            message = "Give kpi, or product and key." if "product" not in item else "A product id (a positive integer)."
            errors.append({"index": index, "field": "product" if "product" in item else "kpi", "message": message})
        elif "key" not in item:  # a product without its key: the rule across the two fields
            errors.append({"index": index, "field": "key", "message": "Give kpi, or product and key."})
        elif not isinstance(key, str) or not SLUG.fullmatch(key):
            errors.append({"index": index, "field": "key", "message": "A KPI key (letters, digits, - and _)."})
        else:
            by_key[(product_id, key)].append(index)
    found: dict[int, KPI] = {}
    if by_id:
        found.update({kpi.id: kpi for kpi in visible.filter(pk__in=list(by_id))})
        for kpi_id, indexes in by_id.items():
            for index in indexes:
                if kpi_id in found:
                    refs[index] = kpi_id
                else:
                    errors.append({"index": index, "field": "kpi", "message": NO_KPI})
    if by_key:
        products = {product_id for product_id, _ in by_key}
        keys = {key for _, key in by_key}
        matches = {(kpi.product_id, kpi.key): kpi for kpi in visible.filter(product_id__in=products, key__in=keys)}
        for (product_id, key), indexes in by_key.items():
            kpi = matches.get((product_id, key))
            for index in indexes:
                if kpi is None:
                    errors.append(
                        {"index": index, "field": "key", "message": f"Product {product_id} has no KPI “{key}”."}
                    )
                else:
                    found[kpi.id] = kpi
                    refs[index] = kpi.id
    return refs, found, sorted(errors, key=lambda e: e["index"])


def require_measure(user, kpis) -> None:
    """NotAllowed (403) unless the user may add measurements to every one of `kpis`."""
    for portfolio_id in sorted({kpi.product.portfolio_id for kpi in kpis}):
        require(user, KPI, portfolio_id, "measure")


def import_list_for_user(user) -> QuerySet[Import]:
    return queryset_for_user(user, Import.objects.select_related("created_by"))


def import_for_user(user, import_id) -> Import:
    return object_for_user(user, Import.objects.select_related("created_by", "kpi__product"), import_id)


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


def portfolio_keys(user, portfolio) -> list[dict]:
    """The KPI keys of the portfolio with a name, unit and how many products measure them: one query."""
    rows = (
        kpi_list_for_user(user)
        .filter(product__portfolio=portfolio)
        .values("key")
        .annotate(name=Min("name"), unit=Max("unit"), products=Count("product", distinct=True))
        .order_by("key")
    )
    return list(rows)


def key_breakdown(kpis, granularity: str, period: date | None) -> list[KPI]:
    """The KPIs in scope, each with its rollup of `period` (None when it has none) and its first
    measured day (which tells a partly covered period): one query, whatever the number of products."""
    in_period = Rollup.objects.filter(kpi=OuterRef("pk"), granularity=granularity, period_start=period)
    first_day = Rollup.objects.filter(kpi=OuterRef("pk"), granularity="day").order_by("period_start")
    return list(
        kpis.select_related("product__product_line", "product__portfolio")
        .annotate(
            period_value=Subquery(in_period.values("value")[:1]),
            period_count=Subquery(in_period.values("count")[:1]),
            first_day=Subquery(first_day.values("period_start")[:1]),
        )
        .order_by("product__name", "id")
    )


def combined_target(groups: list[dict], aggregation: str, granularity: str) -> Decimal | None:
    """The target of a key across products, from KPI groups {target, target_granularity, aggregation, n}
    (n KPIs alike): sums and gauges add up, averages average, min and max take the strictest; None
    unless every KPI has one. Each KPI's target is scaled to the period as `target_for` does alone."""
    if any(group["target"] is None for group in groups):
        return None
    scaled = [
        (
            target_for(
                target=group["target"],
                target_granularity=group["target_granularity"],
                aggregation=group["aggregation"],
                granularity=granularity,
            ),
            group["n"],
        )
        for group in groups
    ]
    if aggregation in (Aggregation.SUM, Aggregation.LAST):
        return sum((target * n for target, n in scaled), Decimal(0))
    if aggregation == Aggregation.AVG:
        count = sum(n for _, n in scaled)
        return (sum((target * n for target, n in scaled), Decimal(0)) / count).quantize(SIX_PLACES, ROUND_HALF_UP)
    targets = [target for target, _ in scaled]
    return min(targets) if aggregation == Aggregation.MIN else max(targets)


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

    A read of the rows the rollup worker keeps (kpis.models.KeyRollup) in two queries whatever the
    number of products and periods: the KPIs of the key grouped by what their targets need (the
    user's membership checked in the same query), then the rows with the key's first measured day.
    The period holding today has health `in_progress`; the first period is `partial` when the earliest
    measurement of any of the products came after it began. Raises InvalidInput when the scope is
    missing or the KPIs disagree on how they aggregate.
    """
    if product_line_id is not None:
        where, scope_id = "p.product_line_id = %s", product_line_id
    elif portfolio_id is not None:
        where, scope_id = "p.portfolio_id = %s", portfolio_id
    else:
        raise InvalidInput(fields={"portfolio": "Give a portfolio or a product_line to combine across."})
    if not getattr(user, "is_authenticated", False):
        return []
    # Plain SQL: this read is polled, and building the two ORM queries cost more than running them.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT k.aggregation, k.target, k.target_granularity, k.direction, k.tolerance_pct, p.portfolio_id,
                   f.timezone, COUNT(*), MIN(k.id)
            FROM kpis_kpi k
            JOIN products_product p ON p.id = k.product_id
            JOIN products_portfolio f ON f.id = p.portfolio_id
            JOIN products_membership m ON m.portfolio_id = p.portfolio_id AND m.user_id = %s
            WHERE k.key = %s AND {where}
            GROUP BY k.aggregation, k.target, k.target_granularity, k.direction, k.tolerance_pct, p.portfolio_id,
                     f.timezone
            ORDER BY MIN(k.id)
            """,
            [user.pk, key, scope_id],
        )
        groups = [
            {
                "aggregation": aggregation,
                "target": as_decimal(target),
                "target_granularity": target_granularity,
                "direction": direction,
                "tolerance_pct": as_decimal(tolerance),
                "portfolio_id": portfolio,
                "timezone": zone_name,
                "n": n,
            }
            for aggregation, target, target_granularity, direction, tolerance, portfolio, zone_name, n, _ in (
                cursor.fetchall()
            )
        ]
        if not groups:
            return []
        aggregations = {group["aggregation"] for group in groups}
        if len(aggregations) > 1:
            raise InvalidInput(
                fields={"key": f"KPIs with key “{key}” aggregate differently ({', '.join(sorted(aggregations))})."}
            )
        aggregation, reference = aggregations.pop(), groups[0]  # the oldest KPI's direction and tolerance
        line = "product_line_id = %s" if product_line_id is not None else "product_line_id IS NULL"
        scope = [reference["portfolio_id"], key, aggregation, *([product_line_id] if product_line_id else [])]
        bounds, bound_params = "", []
        if first:
            bounds, bound_params = bounds + " AND period_start >= %s", [*bound_params, first]
        if last:
            bounds, bound_params = bounds + " AND period_start <= %s", [*bound_params, last]
        first_day = "NULL"
        if granularity != "day":
            first_day = (
                "(SELECT MIN(period_start) FROM kpis_keyrollup WHERE portfolio_id = %s AND key = %s "
                f"AND aggregation = %s AND {line} AND granularity = 'day')"
            )
        cursor.execute(
            f"""
            SELECT period_start, value, count, {first_day} FROM kpis_keyrollup
            WHERE portfolio_id = %s AND key = %s AND aggregation = %s AND {line} AND granularity = %s{bounds}
            ORDER BY period_start
            """,
            [*(scope if granularity != "day" else []), *scope, granularity, *bound_params],
        )
        picked = [(as_date(start), as_decimal(value), count, day) for start, value, count, day in cursor.fetchall()]
    if not picked:
        return []
    target = combined_target(groups, aggregation, granularity)
    # One scope is one portfolio (a product line belongs to one), so one time zone.
    current = current_period_start(ZoneInfo(reference["timezone"]), granularity, today)
    first_day = as_date(picked[0][3]) if picked[0][3] is not None else None
    series = []
    for start, value, count, _ in picked:
        health = unjudged(start, current=current, first_day=first_day) or health_of(
            value=value,
            target=target,
            direction=reference["direction"],
            tolerance_pct=reference["tolerance_pct"],
        )
        series.append({"period_start": start, "value": value, "count": count, "target": target, "health": health})
    return series


__all__ = ["rollup_row"]
