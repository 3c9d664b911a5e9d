"""Measurements from a spreadsheet: a CSV upload or rows pasted into the page, for one KPI.

The text is read completely and every row checked (by `services.measurements_ingest`, the same rules
as the API) before anything is written; each bad row is reported by line and column. Accepted:
UTF-8 with or without BOM, comma, semicolon or tab between fields, quoted fields. Decimal commas
("12,5") are accepted only when fields are separated by semicolons or tabs, where a spreadsheet set
to a comma-decimal locale puts them; with comma separators they would be ambiguous.
"""

import csv
import io
import re

from kpis import services
from kpis.models import KPI
from pmflow.errors import InvalidInput

COLUMNS = ("observed_at", "value", "external_id")
MAX_BYTES = 5 * 1024 * 1024
DECIMAL_COMMA = re.compile(r"[+-]?\d{1,3}(\.\d{3})*,\d+|[+-]?\d+,\d+")


class ImportRefused(InvalidInput):
    """The file cannot be imported; nothing was written. `errors` lists [{line, column, message}]."""

    code = "invalid_import"

    def __init__(self, errors: list[dict]):
        super().__init__("Nothing was imported: fix these rows and try again.")
        self.errors = errors


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ImportRefused([{"line": None, "column": None, "message": "The file is larger than 5 MB."}])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            [{"line": None, "column": None, "message": "Save the file as UTF-8 CSV (your spreadsheet's “CSV UTF-8”)."}]
        ) from None
    if "\x00" in text:
        raise ImportRefused([{"line": None, "column": None, "message": "The file contains NUL bytes: not a CSV."}])
    return text


def _dialect(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def parse(text: str) -> tuple[list[dict], list[int], list[dict]]:
    """Rows as ingest items, the line number of each, and the rows whose layout is wrong.

    Raises ImportRefused only when the file as a whole cannot be read (empty, unknown columns, too long).
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ImportRefused([{"line": None, "column": None, "message": "There are no rows to import."}])
    separator = _dialect(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    items, lines, errors = [], [], []
    header = None
    for row in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if header is None and items == [] and cells[0].lower().lstrip("\ufeff") in ("observed_at", "date", "day"):
            header = [cell.lower() for cell in cells]
            unknown = [c for c in header if c not in (*COLUMNS, "date", "day")]
            if unknown:
                raise ImportRefused(
                    [{"line": line, "column": unknown[0], "message": f"Unknown column; use {', '.join(COLUMNS)}."}]
                )
            continue
        names = header or list(COLUMNS)
        if len(cells) > len(names):
            errors.append(
                {"line": line, "column": None, "message": f"{len(cells)} fields; expected at most {len(names)}."}
            )
            continue
        item = {}
        for name, cell in zip(names, cells, strict=False):
            name = "observed_at" if name in ("date", "day") else name
            if name == "value" and separator != "," and DECIMAL_COMMA.fullmatch(cell):
                cell = cell.replace(".", "").replace(",", ".")
            if cell:
                item[name] = cell
        items.append(item)
        lines.append(line)
        if len(items) > services.MAX_BATCH:
            raise ImportRefused(
                [{"line": line, "column": None, "message": f"At most {services.MAX_BATCH:,} rows per import."}]
            )
    if not items and not errors:
        raise ImportRefused([{"line": None, "column": None, "message": "There are no rows to import."}])
    return items, lines, errors


def import_measurements(*, kpi_id: int, text: str, actor, source: str) -> dict:
    """Check every row (layout and values), then write all of them or none. Returns {"created", "updated"}.

    Raises ImportRefused listing every bad row by line and column, first to last.
    """
    items, lines, errors = parse(text)
    zone = KPI.objects.select_related("product__portfolio").get(pk=kpi_id).product.portfolio.zone
    _, problems = services.clean_measurement_items(items, zone)
    errors += [
        {"line": lines[p["index"]], "column": p.get("field"), "message": p["message"]}
        for p in problems
        if p.get("index") is not None
    ]
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: (e["line"] or 0, e["column"] or "")))
    return services.measurements_ingest(kpi_id=kpi_id, items=items, actor=actor, source=source)
