"""Search across a portfolio's strategy: market insights, ideas, feedback, competitors and personas.

A query is split into words (at most `MAX_TERMS`); a row matches when every word is found, in any case, in
one of its searched fields. Each kind costs one query whatever the data size: the total number of matches
is a window count over the same rows the page reads, so the 20 shown and the count come together. Rows
whose title holds the first word come first, then each kind's own order (newest, or by name).

The page and the API share `strategy_search`; `highlight` and `snippet` turn stored text into escaped
HTML with the words marked, or a plain excerpt for the API.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, Value, When, Window
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from products.models import Competitor, Feedback, Idea, MarketInsight, Persona, Portfolio

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
PER_KIND = 20
SNIPPET_CHARS = 180


def broken(text: str) -> str | None:
    """Why `text` is no text at all (a NUL character, a lone surrogate), or None."""
    if "\x00" in text:
        return "The search contains a NUL character: type the words again without it."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "The search contains a broken character (a lone surrogate): type the words again."
    return None


def query_problem(text: str) -> str | None:
    """Why `text` cannot be searched for, in words a person can act on, or None."""
    problem = broken(text)
    if problem:
        return problem
    if len(text) > MAX_QUERY_CHARS:
        return f"Search for at most {MAX_QUERY_CHARS} characters (this is {len(text)})."
    return None


def terms_of(text: str) -> list[str]:
    """The distinct words of a query, in the order typed (case-insensitively distinct)."""
    seen, words = set(), []
    for word in text.split():
        if word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    return words[:MAX_TERMS]


def _pattern(terms: list[str]) -> re.Pattern | None:
    if not terms:
        return None
    ordered = sorted(terms, key=len, reverse=True)  # "price" inside "prices": the longer word wins
    return re.compile("|".join(re.escape(t) for t in ordered), re.IGNORECASE)


def highlight(text: str, terms: list[str]) -> SafeString:
    """`text` escaped, with each occurrence of a word wrapped in <mark>."""
    pattern = _pattern(terms)
    if pattern is None or not text:
        return escape(text or "")
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece was escaped above


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """A plain excerpt of `text` of about `width` characters around the first word found (its start
    when none is), with "…" where it was cut."""
    flat = " ".join((text or "").split())
    if len(flat) <= width:
        return flat
    pattern = _pattern(terms)
    match = pattern.search(flat) if pattern else None
    start = 0
    if match and match.end() > width - 20:
        start = max(0, match.start() - width // 3)
        space = flat.rfind(" ", 0, start)
        start = space + 1 if space != -1 and start - space < 20 else start
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    return ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")


@dataclass
class Hit:
    """One row found: what the page and the API show of it."""

    kind: str
    id: int
    title: str
    snippet: str = ""
    meta: list[str] = field(default_factory=list)
    product_id: int | None = None
    product_name: str = ""

    def as_json(self) -> dict:
        found = {"id": self.id, "title": self.title, "snippet": self.snippet}
        if self.product_id is not None:
            found["product"] = self.product_id
        return found


@dataclass
class Found:
    """One kind's results: the first `PER_KIND` hits and how many rows match in all."""

    kind: str
    label: str
    total: int
    hits: list[Hit]

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.hits))


def _matching(fields: tuple[str, ...], terms: list[str]) -> Q:
    condition = Q()
    for term in terms:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": term})
        condition &= any_field
    return condition


def _first_with(texts: list[tuple[str, str]], terms: list[str]) -> tuple[str, str]:
    """The first (label, text) that holds a word, else the first non-empty one."""
    pattern = _pattern(terms)
    for label, text in texts:
        if text and pattern and pattern.search(text):
            return label, text
    for label, text in texts:
        if text:
            return label, text
    return "", ""


def _insight(row: MarketInsight, terms) -> Hit:
    label, text = _first_with([("", row.summary), ("Source: ", row.source)], terms)
    return Hit(
        "insights",
        row.id,
        row.title,
        label + snippet(text, terms),
        meta=[row.get_kind_display(), f"{row.get_impact_display()} impact", row.observed_on.isoformat()],
    )


def _idea(row: Idea, terms) -> Hit:
    return Hit(
        "ideas",
        row.id,
        row.title,
        snippet(row.description, terms),
        meta=[row.get_status_display()],
        product_id=row.product_id,
        product_name=row.product.name,
    )


def _feedback(row: Feedback, terms) -> Hit:
    first_line = " ".join(row.text.split())
    title = row.customer or (first_line[:77] + "…" if len(first_line) > 80 else first_line)
    return Hit(
        "feedback",
        row.id,
        title,
        snippet(row.text, terms),
        meta=[row.get_source_display(), row.received_on.isoformat()],
        product_id=row.product_id,
        product_name=row.product.name,
    )


def _competitor(row: Competitor, terms) -> Hit:
    label, text = _first_with([("Strengths: ", row.strengths), ("Weaknesses: ", row.weaknesses)], terms)
    return Hit(
        "competitors", row.id, row.name, label + snippet(text, terms, 120), meta=[f"{row.get_threat_display()} threat"]
    )


def _persona(row: Persona, terms) -> Hit:
    label, text = _first_with([("Goals: ", row.goals), ("Pains: ", row.pains)], terms)
    return Hit(
        "personas",
        row.id,
        row.name,
        label + snippet(text, terms),
        meta=[row.segment.name] if row.segment_id else [],
    )


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    model: type
    scope: str  # the path to the portfolio
    fields: tuple[str, ...]
    title: str
    order: tuple[str, ...]
    related: tuple[str, ...]
    hit: object
    page: str  # the URL name of one row's page
    list: str  # the URL name of the kind's list (takes ?search=)


KINDS = (
    Kind(
        "insights",
        "Market insights",
        MarketInsight,
        "portfolio",
        ("title", "summary", "source"),
        "title",
        ("-observed_on", "-id"),
        (),
        _insight,
        "insight-page",
        "insight-list",
    ),
    Kind(
        "ideas",
        "Ideas",
        Idea,
        "product__portfolio",
        ("title", "description"),
        "title",
        ("-created_at", "-id"),
        ("product",),
        _idea,
        "idea-page",
        "idea-list",
    ),
    Kind(
        "feedback",
        "Feedback",
        Feedback,
        "product__portfolio",
        ("text", "customer"),
        "customer",
        ("-received_on", "-id"),
        ("product",),
        _feedback,
        "feedback-page",
        "feedback-list",
    ),
    Kind(
        "competitors",
        "Competitors",
        Competitor,
        "portfolio",
        ("name",),
        "name",
        ("name", "id"),
        (),
        _competitor,
        "competitor-page",
        "competitor-list",
    ),
    Kind(
        "personas",
        "Personas",
        Persona,
        "portfolio",
        ("name", "goals", "pains"),
        "name",
        ("name", "id"),
        ("segment",),
        _persona,
        "persona-page",
        "persona-list",
    ),
)


def strategy_search(portfolio: Portfolio, text: str, *, per_kind: int = PER_KIND) -> dict[str, Found]:
    """{kind: Found} for every kind, in the order of `KINDS` (empty lists for a query without words).

    One query per kind: the rows shown and, as a window count over all matches, their total. The caller
    checks `query_problem` first."""
    terms = terms_of(text)
    results = {}
    for kind in KINDS:
        rows = []
        if terms:
            title_first = Case(
                When(**{f"{kind.title}__icontains": terms[0]}, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
            rows = list(
                kind.model.objects.filter(**{kind.scope: portfolio})
                .filter(_matching(kind.fields, terms))
                .select_related(*kind.related)
                .annotate(search_total=Window(Count("pk")), search_rank=title_first)
                .order_by("search_rank", *kind.order)[:per_kind]
            )
        total = rows[0].search_total if rows else 0
        results[kind.key] = Found(kind.key, kind.label, total, [kind.hit(row, terms) for row in rows])
    return results
