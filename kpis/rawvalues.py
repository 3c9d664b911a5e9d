"""Values read with a plain cursor, as the ORM would give them.

psycopg2 returns Decimal, date and aware datetime; SQLite returns floats or ints, ISO text and naive UTC
text. The set-based paths (rollups, health, imports, the key reads) read raw rows and pass them here.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

SIX_PLACES = Decimal("0.000001")


def as_decimal(value) -> Decimal | None:
    """A NUMERIC(…, 6) column's value to 6 places."""
    return None if value is None else Decimal(str(value)).quantize(SIX_PLACES)


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def as_datetime(value) -> datetime:
    """A timestamp, aware (SQLite's text has no offset: it is UTC)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
