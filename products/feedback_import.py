"""Customer feedback as CSV: reading and checking an imported file row by row before anything is written, and
the export of a list (the import's columns, then `id`, `ideas` and `roadmap_items`, which an import ignores:
an exported file imports again where products of those names are).

Columns (a header line names them, in any order): `product` (id or name), `source`, `customer`, `segment`
(a segment's name, optional), `text`, `importance` (1–5), `deal_value` (optional), `received_on`
(YYYY-MM-DD). The shape is the KPI import's (kpis/imports.py; DESIGN-NOTES.md, "CSV imports"): UTF-8 with
or without a BOM, comma, semicolon or tab between fields (judged from the header line), quoted fields,
errors as {line, column, message} with the header as line 1 and a quoted field's first line, the first
MAX_ERRORS of them kept. Unlike measurements, feedback is imported at once (synchronously): at most
MAX_ROWS rows and MAX_BYTES bytes, refused before the rest is read.
"""

import csv
import datetime
import io

from pmflow.errors import InvalidInput
from pmflow.fields import bounded_decimal
from pmflow.forms import csv_cell
from products.models import Feedback, Portfolio
from products.services import feedback as services

COLUMNS = ("product", "source", "customer", "segment", "text", "importance", "deal_value", "received_on")
REQUIRED = ("product", "text", "received_on")
IGNORED = ("id", "ideas", "roadmap_items")  # the export's extra columns: a file exported here imports as is
ALIASES = {"date": "received_on", "received": "received_on", "deal": "deal_value", "feedback": "text"}
MAX_ROWS = 5_000
MAX_BYTES = 2 * 1024 * 1024
MAX_ERRORS = 1_000
SOURCE_LABELS = {label.casefold(): value for value, label in Feedback.Source.choices}


class ImportRefused(InvalidInput):
    """The file cannot be imported; nothing was written. `errors` lists [{line, column, message}]."""

    code = "invalid_import"

    def __init__(self, errors: list[dict], *, truncated: bool = False):
        super().__init__(
            "Nothing was imported: fix these rows and try again.", errors=errors, errors_truncated=truncated
        )
        self.errors = errors
        self.truncated = truncated


def whole_file_error(message: str) -> ImportRefused:
    return ImportRefused([{"line": None, "column": None, "message": message}])


def size_message(size: int | None = None) -> str:
    limit = f"{MAX_BYTES / 1024 / 1024:g} MB"
    if size is None:
        return f"Files up to {limit} are accepted; split it into smaller files."
    return f"Files up to {limit} are accepted; this one is {size / 1024 / 1024:.1f} MB. Split it into smaller files."


def read_upload(upload) -> bytes:
    """At most MAX_BYTES + 1 bytes of an upload: a file the upload says is larger is refused from its size,
    unread, and one that only turns out larger is refused after one byte too many."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise whole_file_error(size_message(size))
    return upload.read(MAX_BYTES + 1)


def decode(raw: bytes) -> str:
    """The file's text, or ImportRefused: too large, not UTF-8, with NUL bytes (not a CSV), or empty."""
    if len(raw) > MAX_BYTES:
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
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


class Checker:
    """Turns the cells of each row into the fields `feedback_import` takes, and collects the errors.

    `products` maps a product's id (as text) and its case-folded name to the product (None: two share
    the name); `segments` maps a case-folded segment name to the segment."""

    def __init__(self, portfolio: Portfolio):
        self.portfolio = portfolio
        self.latest = services.latest_day(portfolio)
        self.products: dict = {}
        for product in portfolio.products.all():
            self.products[str(product.id)] = product
            key = product.name.casefold()
            self.products[key] = None if key in self.products else product
        self.segments = {segment.name.casefold(): segment for segment in portfolio.segments.all()}
        self.errors: list[dict] = []
        self.error_count = 0

    def error(self, line: int | None, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "column": column, "message": message})

    def row(self, line: int, cells: dict) -> dict | None:
        before = self.error_count
        fields: dict = {"line": line}
        fields["product"] = self._product(line, cells.get("product", ""))
        fields["source"] = self._source(line, cells.get("source", ""))
        fields["segment"] = self._segment(line, cells.get("segment", ""))
        fields["customer"] = cells.get("customer", "")
        fields["text"] = cells.get("text", "")
        fields["importance"] = self._importance(line, cells.get("importance", ""))
        fields["deal_value"] = self._deal_value(line, cells.get("deal_value", ""))
        fields["received_on"] = self._day(line, cells.get("received_on", ""))
        # The service's own rules (text, lengths, NUL, ranges) on what parsed.
        checked = {name: fields[name] for name in ("customer", "text") if name in fields}
        problems: dict = {}
        services.feedback_check(checked, self.portfolio, problems)
        for name, message in problems.items():
            self.error(line, name, message)
        fields.update(checked)
        return fields if self.error_count == before else None

    def _product(self, line: int, text: str):
        if not text:
            self.error(line, "product", "This field is required: a product's id or name.")
            return None
        product = self.products.get(text, self.products.get(text.casefold(), False))
        if product is None:
            self.error(line, "product", f"Two products are named “{text[:100]}”: use the product's id.")
        elif product is False:
            self.error(line, "product", f"No product “{text[:100]}” in this portfolio.")
            return None
        return product

    def _source(self, line: int, text: str) -> str:
        if not text:
            return Feedback.Source.OTHER
        value = SOURCE_LABELS.get(text.casefold(), text.casefold())
        if value not in services.SOURCES:
            self.error(line, "source", f"Use one of {', '.join(services.SOURCES)}.")
        return value

    def _segment(self, line: int, text: str):
        if not text:
            return None
        segment = self.segments.get(text.casefold())
        if segment is None:
            self.error(line, "segment", f"No segment “{text[:100]}” in this portfolio (or leave it empty).")
        return segment

    def _importance(self, line: int, text: str) -> int:
        if not text:
            return 3
        if not (text.isascii() and text.isdigit() and len(text) == 1 and 1 <= int(text) <= 5):
            self.error(line, "importance", "A whole number from 1 (nice to have) to 5 (must have).")
            return 3
        return int(text)

    def _deal_value(self, line: int, text: str):
        if not text:
            return None
        try:
            value = bounded_decimal(text.replace(" ", ""), max_digits=14, decimal_places=2, round_places=False)
        except ValueError as exc:
            self.error(line, "deal_value", f"{exc} E.g. 36000 or 1250.50, without a currency.")
            return None
        if value < 0:
            self.error(line, "deal_value", "Zero or more.")
        return value

    def _day(self, line: int, text: str):
        if not text:
            self.error(line, "received_on", "This field is required: the day it was received, as YYYY-MM-DD.")
            return None
        try:
            day = datetime.date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            self.error(line, "received_on", f"“{text[:40]}” is not a day: use YYYY-MM-DD, e.g. 2026-03-02.")
        elif day.year < services.FIRST_YEAR:
            self.error(line, "received_on", services.DATE_MESSAGE)
        elif day > self.latest:
            self.error(line, "received_on", "Not in the future: the day it was received, today at the latest.")
        return day


def _header(line: int, cells: list[str]) -> list[str]:
    names = [ALIASES.get(cell.casefold(), cell.casefold()) for cell in cells]
    problems = [
        {"line": line, "column": name or None, "message": f"Unknown column; use {', '.join(COLUMNS)}."}
        for name in names
        if name not in COLUMNS and name not in IGNORED
    ]
    problems += [
        {"line": line, "column": name, "message": "This column is missing from the header line."}
        for name in REQUIRED
        if name not in names
    ]
    repeated = sorted({name for name in names if names.count(name) > 1 and name})
    problems += [{"line": line, "column": name, "message": "This column appears twice."} for name in repeated]
    if problems:
        known = sum(1 for name in names if name in COLUMNS or name in IGNORED)
        if known < len(names) - known:  # mostly unknown: a first row of data, not a header with a typo
            problems = [
                {
                    "line": line,
                    "column": None,
                    "message": f"The first line must name the columns: {', '.join(COLUMNS)} "
                    "(customer, segment, source, importance and deal_value optional).",
                }
            ]
        raise ImportRefused(problems)
    return names


def check_file(raw: bytes, *, portfolio: Portfolio) -> list[dict]:
    """The rows of a CSV file as fields for `feedback_import` (each with its `line`), or ImportRefused
    with every error (the first MAX_ERRORS): the file as a whole, the header, or its rows."""
    text = decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator_of(text))
    checker = Checker(portfolio)
    names = None
    rows: list[dict] = []
    count = 0
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1  # a quoted field may span lines: report its first
            if not any(cell.strip() for cell in cells):
                continue
            cells = [cell.strip() for cell in cells]
            if names is None:
                names = _header(start, cells)
                continue
            count += 1
            if count > MAX_ROWS:
                raise ImportRefused(
                    [
                        {
                            "line": start,
                            "column": None,
                            "message": f"At most {MAX_ROWS:,} rows per file: split it into smaller files.",
                        }
                    ]
                )
            if len(cells) > len(names):
                checker.error(start, None, f"{len(cells)} fields; expected at most {len(names)}.")
                continue
            row = checker.row(start, dict(zip(names, cells, strict=False)))
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        checker.error(line, None, f"Not a readable CSV from here on: {exc}.")
    if names is None:
        raise whole_file_error("The file is empty: there are no rows to import.")
    if checker.error_count:
        raise ImportRefused(checker.errors, truncated=checker.error_count > len(checker.errors))
    if not rows:
        raise whole_file_error("The file has a header line but no rows to import.")
    return rows


def feedback_import_file(*, portfolio: Portfolio, raw: bytes, actor=None) -> int:
    """Check a CSV file and import all its rows as feedback of `portfolio`, or none. Returns how many.
    Raises ImportRefused (nothing written)."""
    rows = check_file(raw, portfolio=portfolio)
    try:
        created = services.feedback_import(portfolio=portfolio, rows=rows, actor=actor)
    except InvalidInput as exc:
        raise ImportRefused(
            exc.details.get("errors") or [{"line": None, "column": None, "message": exc.message}]
        ) from exc
    return len(created)


def template_rows(portfolio: Portfolio) -> list[list[str]]:
    """Two example rows for the template file, with the portfolio's own product and segment names."""
    product = portfolio.products.filter(archived_at__isnull=True).order_by("name").first()
    segment = portfolio.segments.order_by("name").first()
    name = product.name if product else "Your product"
    segment_name = segment.name if segment else ""
    today = services.latest_day(portfolio) - datetime.timedelta(days=1)
    return [
        [name, "sales", "Tailspin Freight", segment_name, "Would roll out to 40 depots with ready-made dashboards.",
         "4", "36000", today.isoformat()],
        [name, "support", "Northwind Logistics", "", "New shift managers give up before their first dashboard.",
         "3", "", (today - datetime.timedelta(days=7)).isoformat()],
    ]  # fmt: skip


# --- export: the list as a spreadsheet opens it ------------------------------------------------------


CSV_COLUMNS = [
    "product",
    "source",
    "customer",
    "segment",
    "text",
    "importance",
    "deal_value",
    "received_on",
    "id",
    "ideas",
    "roadmap_items",
]


def csv_row(row: Feedback) -> list:
    """One piece of feedback as a CSV row: the import's columns first (the file imports again elsewhere),
    then its id and the titles of the ideas and roadmap items it feeds."""
    return [
        row.product.name,
        row.source,
        row.customer,
        row.segment.name if row.segment else None,
        row.text,
        row.importance,
        row.deal_value,
        row.received_on.isoformat(),
        row.id,
        "; ".join(idea.title for idea in row.ideas.all()),
        "; ".join(item.title for item in row.roadmap_items.all()),
    ]


def csv_lines(rows):
    """CSV lines (BOM first, so a spreadsheet reads UTF-8), a chunk at a time for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(value) for value in csv_row(row)])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
