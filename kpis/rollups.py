"""Rollups computed in the database: day rows from measurements, coarser rows from day rows.

Each recompute deletes the rows of the periods it covers and inserts them again with one
`INSERT … SELECT … GROUP BY` per granularity inside one transaction, so running it twice, or again
after a crash half way, leaves the same rows. The SQL is shared by PostgreSQL and SQLite except for
the two expressions that differ (a timestamp's local date, a date's period start). Week and month
rows come from day rows, quarters from months, years from quarters.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from kpis.periods import COARSER, merge_ranges, widen

# Each coarser period is built from the next finer one, so a year reads 4 quarter rows, not 365 days.
SOURCE = {"week": "day", "month": "day", "quarter": "month", "year": "quarter"}

COLUMNS = "kpi_id, granularity, period_start, value, count, total, minimum, maximum, last_value, last_observed_at"

VALUE_BY_AGGREGATION = """
    CASE g.agg
        WHEN 'sum' THEN g.total
        WHEN 'avg' THEN ROUND(g.total * 1.0 / g.cnt, 6)  -- * 1.0: SQLite divides integers as integers
        WHEN 'min' THEN g.mn
        WHEN 'max' THEN g.mx
        ELSE g.lv
    END
"""


def _local_date_sql(zone_name: str) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return "(m.observed_at AT TIME ZONE %s)::date", [zone_name]
    if zone_name == "UTC":
        return "date(m.observed_at)", []
    return "pmflow_local_date(m.observed_at, %s)", [zone_name]


def _period_start_sql(granularity: str, column: str = "r.period_start") -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('{granularity}', {column}::timestamp)::date"
    return {
        "week": f"date({column}, '-' || ((CAST(strftime('%%w', {column}) AS INTEGER) + 6) %% 7) || ' days')",
        "month": f"strftime('%%Y-%%m-01', {column})",
        "quarter": (
            f"printf('%%s-%%02d-01', strftime('%%Y', {column}), "
            f"((CAST(strftime('%%m', {column}) AS INTEGER) - 1) / 3) * 3 + 1)"
        ),
        "year": f"strftime('%%Y-01-01', {column})",
    }[granularity]


def _fence() -> str:
    """Keep PostgreSQL from inlining the subquery, which would run the "last" lookup twice per row."""
    return "OFFSET 0" if connection.vendor == "postgresql" else ""


def _tune_session() -> None:
    """Rollup statements are big hash aggregates: JIT compiling them costs more than it saves, and a
    4 MB work_mem makes them spill to disk. Both settings last only for the current transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")


def _utc_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants from local midnight of `first` to local midnight after `last`."""
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    return start, end


def _insert_days(scope_sql: str, scope_params: list, zone_name: str, bounds=None) -> None:
    local_date, date_params = _local_date_sql(zone_name)
    where, where_params = f"m.kpi_id {scope_sql}", list(scope_params)
    if bounds is not None:
        where += " AND m.observed_at >= %s AND m.observed_at < %s"
        where_params += [connection.ops.adapt_datetimefield_value(moment) for moment in bounds]
    sql = f"""
        INSERT INTO kpis_rollup ({COLUMNS})
        SELECT g.kpi_id, 'day', g.d, {VALUE_BY_AGGREGATION}, g.cnt, g.total, g.mn, g.mx, g.lv, g.last_at
        FROM (
            SELECT a.*, k.aggregation AS agg, CASE WHEN k.aggregation = 'last' THEN (
                    SELECT m2.value FROM kpis_measurement m2
                    WHERE m2.kpi_id = a.kpi_id AND m2.observed_at = a.last_at
                    ORDER BY m2.id DESC LIMIT 1
                ) END AS lv
            FROM (
                SELECT m.kpi_id, {local_date} AS d, COUNT(*) AS cnt, SUM(m.value) AS total,
                       MIN(m.value) AS mn, MAX(m.value) AS mx, MAX(m.observed_at) AS last_at
                FROM kpis_measurement m
                WHERE {where}
                GROUP BY 1, 2
            ) a
            JOIN kpis_kpi k ON k.id = a.kpi_id
            {_fence()}
        ) g
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, date_params + where_params)


def _insert_coarser(granularity: str, scope_sql: str, scope_params: list, period=None) -> None:
    start, source = _period_start_sql(granularity), SOURCE[granularity]
    where, params = f"r.granularity = '{source}' AND r.kpi_id {scope_sql}", list(scope_params)
    if period is not None:
        where += " AND r.period_start BETWEEN %s AND %s"
        params += list(period)
    sql = f"""
        INSERT INTO kpis_rollup ({COLUMNS})
        SELECT g.kpi_id, %s, g.p, {VALUE_BY_AGGREGATION}, g.cnt, g.total, g.mn, g.mx, g.lv, g.last_at
        FROM (
            SELECT a.*, k.aggregation AS agg, CASE WHEN k.aggregation = 'last' THEN (
                    SELECT r2.last_value FROM kpis_rollup r2
                    WHERE r2.kpi_id = a.kpi_id AND r2.granularity = '{source}' AND r2.period_start = a.last_day
                ) END AS lv
            FROM (
                SELECT r.kpi_id, {start} AS p, SUM(r.count) AS cnt, SUM(r.total) AS total,
                       MIN(r.minimum) AS mn, MAX(r.maximum) AS mx, MAX(r.last_observed_at) AS last_at,
                       MAX(r.period_start) AS last_day
                FROM kpis_rollup r
                WHERE {where}
                GROUP BY 1, 2
            ) a
            JOIN kpis_kpi k ON k.id = a.kpi_id
            {_fence()}
        ) g
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [granularity, *params])


def _delete(scope_sql: str, scope_params: list, granularity: str | None = None, period=None) -> None:
    sql, params = f"DELETE FROM kpis_rollup WHERE kpi_id {scope_sql}", list(scope_params)
    if granularity is not None:
        sql += " AND granularity = %s"
        params.append(granularity)
    if period is not None:
        sql += " AND period_start BETWEEN %s AND %s"
        params += list(period)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def recompute_kpi(*, kpi_id: int, zone_name: str, day_ranges: list[tuple[date, date]]) -> None:
    """Recompute the rollups of one KPI for the local-day ranges its measurements touched."""
    zone, scope = ZoneInfo(zone_name), ("= %s", [kpi_id])
    ranges = merge_ranges(day_ranges)
    with transaction.atomic():
        _tune_session()
        for first, last in ranges:
            _delete(*scope, "day", (first, last))
            _insert_days(*scope, zone_name, _utc_bounds(first, last, zone))
        for granularity in COARSER:
            for period in widen(ranges, granularity):
                _delete(*scope, granularity, period)
                _insert_coarser(granularity, *scope, period)


def rebuild_portfolio(*, portfolio_id: int, zone_name: str) -> None:
    """Rebuild every rollup of every KPI of a portfolio from its measurements."""
    scope = (
        "IN (SELECT k.id FROM kpis_kpi k JOIN products_product p ON p.id = k.product_id WHERE p.portfolio_id = %s)",
        [portfolio_id],
    )
    with transaction.atomic():
        _tune_session()
        _delete(*scope)
        _insert_days(*scope, zone_name)
        for granularity in COARSER:
            _insert_coarser(granularity, *scope)


def rebuild_kpi(*, kpi_id: int, zone_name: str) -> None:
    """Rebuild every rollup of one KPI from its measurements (the periodic verification's yardstick)."""
    scope = ("= %s", [kpi_id])
    with transaction.atomic():
        _tune_session()
        _delete(*scope)
        _insert_days(*scope, zone_name)
        for granularity in COARSER:
            _insert_coarser(granularity, *scope)
