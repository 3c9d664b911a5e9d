"""Rollups computed in the database: day rows from measurements, coarser rows from day rows.

Each recompute deletes the rows of the periods it covers and inserts them again with one
`INSERT … SELECT … GROUP BY` per granularity inside one transaction, so running it twice, or again
after a crash half way, leaves the same rows. A rebuild computes all its rows into a temporary table
first and then writes only those that differ from the stored ones (the same rows in the end). The SQL
is shared by PostgreSQL and SQLite except for the two expressions that differ (a timestamp's local date,
a date's period start). Week and month rows come from day rows, quarters from months, years from
quarters.
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


# A rebuild's rows before they are written: a temporary table shaped like kpis_rollup.
STAGE = "kpis_rollup_stage"

# A staged row `s` equals a stored row `r` in every column; last_value (NULL unless the aggregation is
# "last") compared NULL-safely in SQL that PostgreSQL and SQLite both speak.
IDENTICAL = " AND ".join(
    [f"s.{column} = r.{column}" for column in COLUMNS.replace(" ", "").split(",") if column != "last_value"]
    + ["(s.last_value = r.last_value OR (s.last_value IS NULL AND r.last_value IS NULL))"]
)


def _local_date_sql(zone_name: str) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return "m.observed_at::date", []  # in the session time zone, which _execute_in_zone sets
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


def tune_session() -> None:
    """Rollup statements are big hash aggregates: JIT compiling them costs more than it saves, and a
    4 MB work_mem makes them spill to disk. Both settings last only for the current transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")


def _execute_in_zone(cursor, zone_name: str, sql: str, params: list) -> None:
    """Run `sql` with PostgreSQL's session time zone set to `zone_name`, then set it back.

    `timestamptz::date` in the session zone is the local date at about two thirds of the cost of
    `(… AT TIME ZONE %s)::date`, which looks the zone name up again for every row; and it reads names
    that are also abbreviations ('CET', 'EET', 'MET', 'WET') as the zoneinfo zones Python and SQLite use,
    with summer time, where AT TIME ZONE takes them as fixed offsets. The zone is set back at once
    because Django reads timestamps as if the connection were in its own zone; if the statement fails,
    rolling back the transaction (or savepoint) sets it back.
    """
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    cursor.execute("SELECT set_config('TimeZone', %s, true)", [zone_name])
    cursor.execute(sql, params)
    cursor.execute("SELECT set_config('TimeZone', %s, true)", [connection.timezone_name])


def _utc_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants from local midnight of `first` to local midnight after `last`."""
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    return start, end


def _insert_days(scope_sql: str, scope_params: list, zone_name: str, bounds=None, table: str = "kpis_rollup") -> None:
    """Day rows from the measurements, into `table` (kpis_rollup or STAGE)."""
    local_date, date_params = _local_date_sql(zone_name)
    where, where_params = f"m.kpi_id {scope_sql}", list(scope_params)
    if bounds is not None:
        where += " AND m.observed_at >= %s AND m.observed_at < %s"
        where_params += [connection.ops.adapt_datetimefield_value(moment) for moment in bounds]
    sql = f"""
        INSERT INTO {table} ({COLUMNS})
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
        _execute_in_zone(cursor, zone_name, sql, date_params + where_params)


def _insert_coarser(
    granularity: str, scope_sql: str, scope_params: list, period=None, table: str = "kpis_rollup"
) -> None:
    """The rows of `granularity` from the finer rows in `table`, into `table` (kpis_rollup or STAGE)."""
    start, source = _period_start_sql(granularity), SOURCE[granularity]
    where, params = f"r.granularity = '{source}' AND r.kpi_id {scope_sql}", list(scope_params)
    if period is not None:
        where += " AND r.period_start BETWEEN %s AND %s"
        params += list(period)
    sql = f"""
        INSERT INTO {table} ({COLUMNS})
        SELECT g.kpi_id, %s, g.p, {VALUE_BY_AGGREGATION}, g.cnt, g.total, g.mn, g.mx, g.lv, g.last_at
        FROM (
            SELECT a.*, k.aggregation AS agg, CASE WHEN k.aggregation = 'last' THEN (
                    SELECT r2.last_value FROM {table} r2
                    WHERE r2.kpi_id = a.kpi_id AND r2.granularity = '{source}' AND r2.period_start = a.last_day
                ) END AS lv
            FROM (
                SELECT r.kpi_id, {start} AS p, SUM(r.count) AS cnt, SUM(r.total) AS total,
                       MIN(r.minimum) AS mn, MAX(r.maximum) AS mx, MAX(r.last_observed_at) AS last_at,
                       MAX(r.period_start) AS last_day
                FROM {table} r
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


def _stage(scope_sql: str, scope_params: list, zone_name: str) -> None:
    """Every rollup row of the scope, computed into STAGE: a temporary table with kpis_rollup's column
    types, so values are rounded as storing them rounds them. Coarser rows come from the staged ones; the
    unique index, built once the day rows are in, serves their "last" lookups as kpis_rollup's does."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} AS SELECT {COLUMNS} FROM kpis_rollup WHERE 1 = 0")
        _insert_days(scope_sql, scope_params, zone_name, table=STAGE)
        cursor.execute(f"CREATE UNIQUE INDEX {STAGE}_period ON {STAGE} (kpi_id, granularity, period_start)")
    for granularity in COARSER:
        _insert_coarser(granularity, scope_sql, scope_params, table=STAGE)


def _write_staged(scope_sql: str, scope_params: list) -> None:
    """Make the scope's stored rows equal the staged ones, writing only the rows that differ: a rebuild
    that finds its rows right (the periodic one, usually) writes nothing, so it pays no index upkeep, WAL
    or foreign-key check for rows that stay. A stored row without an identical staged one is deleted, then
    a staged row without an identical stored one is inserted; rows that stay keep their ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM kpis_rollup AS r WHERE r.kpi_id {scope_sql} "
            f"AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE {IDENTICAL})",
            scope_params,
        )
        cursor.execute(
            f"INSERT INTO kpis_rollup ({COLUMNS}) SELECT {COLUMNS} FROM {STAGE} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM kpis_rollup r WHERE r.kpi_id {scope_sql} AND {IDENTICAL})",
            scope_params,
        )
        cursor.execute(f"DROP TABLE {STAGE}")


def _rebuild(scope_sql: str, scope_params: list, zone_name: str) -> None:
    """Every rollup row of the scope from its measurements, in the caller's transaction."""
    _stage(scope_sql, scope_params, zone_name)
    _write_staged(scope_sql, scope_params)


def _ids_scope(ids) -> tuple[str, list]:
    ids = sorted(set(ids))
    return ("IN (" + ", ".join(["%s"] * len(ids)) + ")", ids)


def recompute_kpi(*, kpi_id: int, zone_name: str, day_ranges: list[tuple[date, date]]) -> None:
    """Recompute the rollups of one KPI for the local-day ranges its measurements touched."""
    recompute_kpis(kpi_ids=[kpi_id], zone_name=zone_name, day_ranges=day_ranges)


def recompute_kpis(*, kpi_ids, zone_name: str, day_ranges: list[tuple[date, date]]) -> None:
    """Recompute the rollups of several KPIs of one time zone for the union of their local-day ranges.

    One DELETE and one INSERT … SELECT per granularity and merged range for all of them: a daily feed
    that adds a value to each of 200 KPIs costs about what its rows cost, not 200 times a statement's
    fixed cost. Periods of a KPI that the union covers but its own data did not touch come out unchanged.
    """
    zone, scope = ZoneInfo(zone_name), _ids_scope(kpi_ids)
    ranges = merge_ranges(day_ranges)
    with transaction.atomic():
        tune_session()
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
        tune_session()
        _rebuild(*scope, zone_name)
        recompute_keys(portfolio_id=portfolio_id)


def rebuild_kpi(*, kpi_id: int, zone_name: str) -> None:
    """Rebuild every rollup of one KPI from its measurements (the periodic verification's yardstick)."""
    scope = ("= %s", [kpi_id])
    with transaction.atomic():
        tune_session()
        _rebuild(*scope, zone_name)


# --- one key across the products of a portfolio and of each product line ----------------------------

KEY_COLUMNS = (
    "portfolio_id, product_line_id, key, aggregation, granularity, period_start, value, count, total, "
    "minimum, maximum, kpis"
)

# How products combine (DESIGN.md §1): sums and gauges ("last") add up, averages weigh by count.
KEY_VALUE = """
    CASE k.aggregation
        WHEN 'avg' THEN ROUND(SUM(r.total) * 1.0 / SUM(r.count), 6)
        WHEN 'min' THEN MIN(r.value)
        WHEN 'max' THEN MAX(r.value)
        ELSE SUM(r.value)
    END
"""


def _lock_keys(portfolio_id: int, keys) -> None:
    """Serialise the writers of one portfolio's key rows (two KPIs of one key recomputed by two workers
    at once would both delete and insert the same rows). Taken after the KPI locks, in key order."""
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time
    names = sorted(f"pmflow.keyrollup:{portfolio_id}:{key}" for key in keys)
    with connection.cursor() as cursor:  # one statement, the locks taken in name order
        cursor.execute(
            "SELECT COUNT(pg_advisory_xact_lock(hashtext(n))) FROM (SELECT n FROM unnest(%s::text[]) n ORDER BY n) s",
            [names],
        )


def recompute_keys(*, portfolio_id: int, keys=None, day_ranges=None) -> None:
    """Recompute the rows of `keys` (all keys when None) across the portfolio and each of its product
    lines, for the periods that the local-day ranges touch (every period when None), from the KPIs'
    own rollups. Runs in the caller's transaction, after the KPIs' rollups are written."""
    where, params = "p.portfolio_id = %s", [portfolio_id]
    delete, delete_params = "portfolio_id = %s", [portfolio_id]
    if keys is not None:
        keys = sorted(set(keys))
        if not keys:
            return
        marks = ", ".join(["%s"] * len(keys))
        where += f" AND k.key IN ({marks})"
        delete += f" AND key IN ({marks})"
        params += keys
        delete_params += keys
        _lock_keys(portfolio_id, keys)
    ranges = merge_ranges(day_ranges) if day_ranges is not None else None
    periods = {
        granularity: [None] if ranges is None else (ranges if granularity == "day" else widen(ranges, granularity))
        for granularity in ("day", *COARSER)
    }
    with connection.cursor() as cursor:
        # A DELETE per granularity and period, each a range of the (portfolio, key, granularity, period)
        # index (an OR of them made PostgreSQL read every row of the keys).
        for granularity, bounds in periods.items():
            for period in bounds:
                span, span_params = " AND granularity = %s", [granularity]
                if period is not None:
                    span, span_params = span + " AND period_start BETWEEN %s AND %s", [granularity, *period]
                cursor.execute(f"DELETE FROM kpis_keyrollup WHERE {delete}{span}", [*delete_params, *span_params])
        for granularity, bounds in periods.items():
            for period in bounds:
                row_bounds, bound_params = "", []
                if period is not None:
                    row_bounds, bound_params = " AND r.period_start BETWEEN %s AND %s", list(period)
                _insert_key_rows(cursor, where, [*params, granularity, *bound_params], row_bounds)


def _insert_key_rows(cursor, where: str, params: list, row_bounds: str) -> None:
    """The portfolio's row and each line's row of every key and period in scope: one statement with
    GROUPING SETS on PostgreSQL, two on SQLite (which has none)."""
    select = f"""
        SELECT p.portfolio_id, {{line}}, k.key, k.aggregation, r.granularity, r.period_start,
               {KEY_VALUE}, SUM(r.count), SUM(r.total), MIN(r.minimum), MAX(r.maximum), COUNT(*)
        FROM kpis_rollup r
        JOIN kpis_kpi k ON k.id = r.kpi_id
        JOIN products_product p ON p.id = k.product_id
        WHERE {where}{{only_lines}} AND r.granularity = %s{row_bounds}
    """
    if connection.vendor == "postgresql" and row_bounds:
        # A few periods of a key's KPIs: one index range per KPI (PostgreSQL otherwise reads every rollup).
        select = f"""
            SELECT p.portfolio_id, {{line}}, k.key, k.aggregation, r.granularity, r.period_start,
                   {KEY_VALUE}, SUM(r.count), SUM(r.total), MIN(r.minimum), MAX(r.maximum), COUNT(*)
            FROM kpis_kpi k
            JOIN products_product p ON p.id = k.product_id
            CROSS JOIN LATERAL (
                SELECT * FROM kpis_rollup r WHERE r.kpi_id = k.id AND r.granularity = %s{row_bounds}
                OFFSET 0  -- a fence: flattened into a join, it became a scan of every rollup
            ) r
            WHERE {where}{{only_lines}}
        """
        params = [params[-3], *params[-2:], *params[:-3]]  # the granularity and bounds come first now
    columns = "p.portfolio_id, k.key, k.aggregation, r.granularity, r.period_start"
    if connection.vendor == "postgresql":
        cursor.execute(
            f"INSERT INTO kpis_keyrollup ({KEY_COLUMNS}) "
            + select.format(line="p.product_line_id", only_lines="")
            + f" GROUP BY GROUPING SETS (({columns}), ({columns}, p.product_line_id))"
            + " HAVING p.product_line_id IS NOT NULL OR GROUPING(p.product_line_id) = 1",
            params,
        )
        return
    for line, only_lines, group in (
        ("NULL", "", columns),
        ("p.product_line_id", " AND p.product_line_id IS NOT NULL", f"{columns}, p.product_line_id"),
    ):
        cursor.execute(
            f"INSERT INTO kpis_keyrollup ({KEY_COLUMNS}) "
            + select.format(line=line, only_lines=only_lines)
            + f" GROUP BY {group}",
            params,
        )
