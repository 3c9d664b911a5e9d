"""Measurements from a spreadsheet: reading and checking a CSV file row by row.

Two layouts: a portfolio file names each row's KPI (`product` id or name, `key`, `observed_at`,
`value`, optional `external_id`, with a header line), a KPI's file has `observed_at`, `value`,
optional `external_id` (header optional). Every row is checked before anything is written (by
`kpis.services.imports`); each bad row is reported by line and column.

Accepted (DESIGN-NOTES.md, "CSV imports"): UTF-8 with or without BOM; comma, semicolon or tab between
fields (from the header line); quoted fields. Decimal commas ("12,5", "1.234,5") are accepted only when
fields are separated by semicolons or tabs, where a spreadsheet set to a comma-decimal locale puts
them; with comma separators they would be ambiguous and are refused with a message saying so.
"""

import csv
import io
import re
from datetime import UTC

from django.conf import settings

from kpis.services.measurements import PLAIN_NUMBER, parse_instant, parse_value
from pmflow.errors import InvalidInput

KPI_COLUMNS = ("observed_at", "value", "external_id")
PORTFOLIO_COLUMNS = ("product", "key", "observed_at", "value", "external_id")
ALIASES = {"date": "observed_at", "day": "observed_at"}
MAX_ERRORS = 1000  # kept and shown; the count goes on
MAX_CACHED = 50_000  # parsed observed_at texts kept at once

DECIMAL_COMMA = re.compile(r"[+-]?\d{1,3}(\.\d{3})*,\d+|[+-]?\d+,\d+")


class ImportRefused(InvalidInput):
    """The file cannot be imported; nothing was written. `errors` lists [{line, column, message}]."""

    code = "invalid_import"

    def __init__(self, errors: list[dict]):
        super().__init__("Nothing was imported: fix these rows and try again.")
        self.errors = errors


def whole_file_error(message: str) -> ImportRefused:
    return ImportRefused([{"line": None, "column": None, "message": message}])


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def size_message(limit: int | None = None) -> str:
    limit = limit or max_bytes()
    return f"The file is larger than {limit / 1024 / 1024:g} MB; split it into smaller files."


def decode(raw: bytes) -> str:
    """The file's text, or ImportRefused: too large, not UTF-8, or with NUL bytes (not a CSV)."""
    if len(raw) > max_bytes():
        raise whole_file_error(size_message())
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise whole_file_error("Save the file as UTF-8 CSV (your spreadsheet's “CSV UTF-8”).") from None
    if "\x00" in text:
        raise whole_file_error("The file contains NUL bytes: not a CSV.")
    if not text.strip():
        raise whole_file_error("The file is empty: there are no rows to import.")
    return text


def separator_of(text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def count_rows(raw: bytes) -> int:
    """About how many data rows the file has (lines, less the header): the progress bar's total until
    the check has counted them exactly."""
    return max(0, raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1) - 1)


class Checker:
    """Checks rows one by one and turns the good ones into staging rows (kpi_id, UTC instant, value,
    external id); collects the errors ({line, column, message}, the first MAX_ERRORS of them).

    `kpis` maps (product_id, key) to a KPI id for a portfolio file; `kpi_id` is the KPI of a KPI's file.
    `products` maps a product's id (as text) and its name (case-folded) to its id; a name two products
    share maps to None (ambiguous).
    """

    def __init__(self, *, zone, separator: str, kpi_id=None, kpis=None, products=None):
        self.zone, self.separator = zone, separator
        self.kpi_id, self.kpis, self.products = kpi_id, kpis or {}, products or {}
        self.errors: list[dict] = []
        self.error_count = 0
        self.rows = 0
        self.bad_rows = 0
        self._instants: dict[str, object] = {}

    def error(self, line: int, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "column": column, "message": message})

    # -- one cell -------------------------------------------------------------------------------------

    def instant(self, text: str):
        """The UTC instant of an `observed_at` cell (ISO date: local midnight), cached: a feed repeats
        the same few hundred dates for every KPI. Raises ValueError with the message."""
        cached = self._instants.get(text)
        if cached is None:
            if len(self._instants) >= MAX_CACHED:  # datetimes to the second rarely repeat: bound the memory
                self._instants.clear()
            cached = self._instants[text] = self._parse_instant(text)
        if isinstance(cached, ValueError):
            raise cached
        return cached

    def _parse_instant(self, text: str):
        """The instant in UTC, or the ValueError to raise (cached like a value): the rule every writer
        of measurements uses (kpis.services.measurements.parse_instant)."""
        try:
            return parse_instant(text, self.zone).astimezone(UTC)
        except ValueError as exc:
            return exc

    def value(self, text: str) -> str:
        """The value as text a NUMERIC(20, 6) column takes. Raises ValueError with the message."""
        if PLAIN_NUMBER.fullmatch(text):
            return text
        if DECIMAL_COMMA.fullmatch(text):
            if self.separator == ",":
                raise ValueError(
                    "A decimal comma with commas between fields is ambiguous: use a decimal point, "
                    "or separate the fields with semicolons."
                )
            text = text.replace(".", "").replace(",", ".")
        return format(parse_value(text), "f")

    # -- one row --------------------------------------------------------------------------------------

    def row(self, line: int, cells: dict) -> tuple | None:
        """A staging row (line, kpi_id, instant, value, external_id) from a row's cells {column: text}, or None
        after recording its errors."""
        self.rows += 1
        errors_before = self.error_count
        kpi_id = self.kpi_id
        if kpi_id is None:
            kpi_id = self._kpi(line, cells.get("product", ""), cells.get("key", ""))
        try:
            instant = self.instant(cells.get("observed_at", ""))
        except ValueError as exc:
            message = "This field is required." if not cells.get("observed_at") else str(exc)
            self.error(line, "observed_at", message)
            instant = None
        raw_value = cells.get("value", "")
        try:
            if not raw_value:
                raise ValueError("This field is required.")
            value = self.value(raw_value)
        except ValueError as exc:
            self.error(line, "value", str(exc))
            value = None
        external_id = cells.get("external_id") or None
        if external_id is not None and len(external_id) > 200:
            self.error(line, "external_id", "Use at most 200 characters.")
        if self.error_count != errors_before:
            self.bad_rows += 1
            return None
        # An external id repeated for one KPI is found among the staged rows (kpis.services.imports), not
        # in a dict of every id: a million-row file would keep hundreds of MB of them.
        return (line, kpi_id, instant, value, external_id)

    def _kpi(self, line: int, product: str, key: str) -> int | None:
        if not product:
            self.error(line, "product", "This field is required: a product's id or name.")
            return None
        product_id = self.products.get(product, self.products.get(product.casefold(), False))
        if product_id is None:
            self.error(line, "product", f"Two products are named “{product}”: use the product's id.")
            return None
        if product_id is False:
            self.error(line, "product", f"No product “{product}” in this portfolio.")
            return None
        if not key:
            self.error(line, "key", "This field is required.")
            return None
        kpi_id = self.kpis.get((product_id, key))
        if kpi_id is None:
            self.error(line, "key", f"The product has no KPI with the key “{key}”.")
        return kpi_id


def rows(text: str, *, columns: tuple, header_required: bool, separator: str, checker: Checker):
    """Yield (line, cells) for every non-blank data row of the text; the header line (required for a
    portfolio file) names the columns. Raises ImportRefused for a file whose layout is wrong as a whole."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=separator)
    names = None
    line = 1
    for row in reader:
        start, line = line, reader.line_num + 1  # a quoted field may span lines: report the first
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        if names is None:
            first = ALIASES.get(cells[0].lower(), cells[0].lower())
            if first in columns or header_required:
                names = [ALIASES.get(cell.lower(), cell.lower()) for cell in cells]
                _check_header(start, names, columns, header_required)
                continue
            names = list(columns)
        if len(cells) > len(names):
            checker.rows += 1
            checker.bad_rows += 1
            checker.error(start, None, f"{len(cells)} fields; expected at most {len(names)}.")
            continue
        yield start, dict(zip(names, cells, strict=False))


def _check_header(line: int, names: list[str], columns: tuple, header_required: bool) -> None:
    required = [c for c in columns if c != "external_id"]
    unknown = [name for name in names if name not in columns]
    problems = [
        {"line": line, "column": name or None, "message": f"Unknown column; use {', '.join(columns)}."}
        for name in unknown
    ]
    problems += [
        {"line": line, "column": name, "message": "This column is missing from the header line."}
        for name in required
        if name not in names
    ]
    repeated = sorted({name for name in names if names.count(name) > 1 and name})
    problems += [{"line": line, "column": name, "message": "This column appears twice."} for name in repeated]
    if problems:
        if header_required and unknown and not any(name in columns for name in names):
            problems = [
                {
                    "line": line,
                    "column": None,
                    "message": f"The first line must name the columns: {', '.join(columns)} (external_id optional).",
                }
            ]
        raise ImportRefused(problems)


def staging_csv(rows_: list[tuple]) -> io.StringIO:
    """Rows as COPY … FORMAT csv text: an unquoted empty field is NULL."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows((line, kpi_id, instant.isoformat(), value, ext) for line, kpi_id, instant, value, ext in rows_)
    buffer.seek(0)
    return buffer
