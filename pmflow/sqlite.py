"""SQL functions SQLite lacks, registered on each SQLite connection.

PostgreSQL converts to a time zone with `AT TIME ZONE`; SQLite has no time zone database, so the
embedded default gets the same answer from Python's zoneinfo.
"""

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(value: str | None, zone: str) -> str | None:
    """The calendar date (ISO) of a stored UTC timestamp in the time zone `zone`."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone("UTC"))
    return moment.astimezone(_zone(zone)).date().isoformat()


def register_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("pmflow_local_date", 2, local_date, deterministic=True)
