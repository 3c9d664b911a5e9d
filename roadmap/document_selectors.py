"""Read queries of documents for the pages and the API: their product, last writer, open review comments
and links in a fixed number of queries whatever the list's length; and the documents as a spreadsheet.

The roadmap items a document relates to are roadmap's (RoadmapItem.documents), so these live here."""

import csv
import io

from django.db.models import Count, Prefetch, Q, QuerySet

from pmflow.access import READ, WRITE, object_for_user, queryset_for_user
from pmflow.forms import csv_cell
from products.models import Document, Feedback, Idea
from roadmap.models import RoadmapItem


def documents(queryset: QuerySet | None = None) -> QuerySet:
    """Documents with their product and last writer joined, the number of open review comments
    (`open_comments`) annotated and their ideas, feedback and roadmap items prefetched (ideas and items
    with their titles)."""
    queryset = Document.objects.all() if queryset is None else queryset
    return (
        queryset.select_related("product", "updated_by")
        .annotate(open_comments=Count("comments", filter=Q(comments__resolved=False), distinct=True))
        .prefetch_related(
            Prefetch("ideas", queryset=Idea.objects.only("id", "title", "status").order_by("title", "id")),
            Prefetch("feedback", queryset=Feedback.objects.only("id").order_by("id")),
            Prefetch("roadmap_items", queryset=RoadmapItem.objects.only("id", "title", "kind").order_by("title", "id")),
        )
    )


def document_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, documents())


def document_for_user(user, document_id, *, write: bool = False, action: str | None = None) -> Document:
    """The document if the user is a member of its portfolio (and may write it with `write`); the same
    NotFound for missing and foreign, NotAllowed for a role that may not write."""
    queryset = documents().select_related("product__portfolio")
    return object_for_user(user, queryset, document_id, action=action or (WRITE if write else READ))


# --- the spreadsheet ----------------------------------------------------------------------------------

COLUMNS = [
    "id",
    "product",
    "kind",
    "title",
    "status",
    "version",
    "updated_by",
    "updated_at",
    "open_comments",
    "ideas",
    "feedback",
    "roadmap_items",
    "created_at",
]


def document_row(document: Document) -> list:
    """One document (from `documents()`) as a CSV row; its links as ids separated by spaces (the body is
    left out: a spreadsheet cell holds 32,767 characters)."""
    return [
        document.id,
        document.product.name,
        document.kind,
        document.title,
        document.status,
        document.version,
        document.updated_by.get_username() if document.updated_by_id else None,
        document.updated_at.isoformat(),
        document.open_comments,
        " ".join(str(row.pk) for row in document.ideas.all()),
        " ".join(str(row.pk) for row in document.feedback.all()),
        " ".join(str(row.pk) for row in document.roadmap_items.all()),
        document.created_at.isoformat(),
    ]


def csv_lines(rows):
    """Documents as CSV lines (BOM first, so a spreadsheet reads UTF-8), a chunk at a time for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    for document in rows:
        writer.writerow([csv_cell(value) for value in document_row(document)])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
