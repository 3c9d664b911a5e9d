"""Documents with the roadmap items they specify or report on.

The link is held by roadmap (RoadmapItem.documents: the higher app holds a link between two apps,
DESIGN.md §2), so the document writes that may set it live here: they check that the items are of the
document's portfolio (another portfolio's is a 400 on `roadmap_items`, with any other field's message)
and hand them to products.services.documents, which writes everything in one transaction with one event.
Pages, API, admin and demo call these two for a document's links; the rest of the document's steps
(status, comments, delete, diff) are products.services.documents'.
"""

from pmflow.errors import InvalidInput, NotFound
from products.models import Document, Product
from products.services import documents
from roadmap.models import RoadmapItem


def _item_errors(rows, portfolio_id: int) -> tuple[list, dict]:
    """The items deduplicated (by id) and {"roadmap_items": message} when they are not a list of this
    portfolio's items."""
    if not isinstance(rows, list | tuple | set) or not all(isinstance(row, RoadmapItem) for row in rows):
        return [], {"roadmap_items": "A list of roadmap items."}
    rows = sorted({row.pk: row for row in rows}.values(), key=lambda row: row.pk)
    ids = [row.pk for row in rows]
    if ids and RoadmapItem.objects.filter(pk__in=ids).exclude(product__portfolio_id=portfolio_id).exists():
        return rows, {"roadmap_items": "Choose roadmap items of this portfolio."}
    return rows, {}


def _links(roadmap_items, fields: dict, portfolio_id: int) -> dict | None:
    """{"roadmap_items": rows} to hand on (None when not given); InvalidInput with every field's message
    when the items (or anything else) are wrong."""
    if roadmap_items is None:
        return None
    rows, errors = _item_errors(roadmap_items, portfolio_id)
    if errors:
        raise InvalidInput(fields={**documents.field_errors(dict(fields), portfolio_id), **errors})
    return {"roadmap_items": rows}


def document_create(*, product: Product, actor=None, roadmap_items=None, **fields) -> Document:
    """products.services.documents.document_create, with the `roadmap_items` (of the same portfolio) the
    document relates to. Raises InvalidInput as that one, and on `roadmap_items`."""
    extra = _links(roadmap_items, fields, product.portfolio_id)
    return documents.document_create(product=product, actor=actor, extra_links=extra, **fields)


def document_update(*, document_id: int, actor=None, roadmap_items=None, **fields) -> Document:
    """products.services.documents.document_update, with the `roadmap_items` (of the same portfolio) when
    given (None keeps them). Raises NotFound, DocumentArchived (409), InvalidInput as that one and on
    `roadmap_items`."""
    portfolio_id = Document.objects.filter(pk=document_id).values_list("product__portfolio_id", flat=True).first()
    if portfolio_id is None:
        raise NotFound()
    extra = _links(roadmap_items, fields, portfolio_id)
    return documents.document_update(document_id=document_id, actor=actor, extra_links=extra, **fields)


def roadmap_items_of(portfolio_id: int):
    """The portfolio's roadmap items a document may link, by product and title (the forms' choices)."""
    return (
        RoadmapItem.objects.filter(product__portfolio_id=portfolio_id)
        .select_related("product")
        .order_by("product__name", "title", "id")
    )
