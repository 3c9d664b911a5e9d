"""Product lines and products: create, change, archive, delete. Stages change in `stages` only."""

from django.db import IntegrityError, router, transaction
from django.db.models.deletion import Collector
from django.utils import timezone

from pmflow.errors import InvalidInput, NotFound
from products import events
from products.models import Portfolio, Product, ProductLine, Stage, StageTransition

PRODUCT_FIELDS = ("name", "description", "product_line", "vision")
VISION_MAX = 10_000


def _clean_text(fields: dict, name: str, limit: int, *, required: bool) -> None:
    if name not in fields:
        return
    value = (fields[name] or "").strip()
    if required and not value:
        raise InvalidInput(fields={name: "This field is required."})
    if len(value) > limit:
        raise InvalidInput(fields={name: f"At most {limit:,} characters."})
    fields[name] = value


def _same_portfolio(portfolio_id: int, product_line: ProductLine | None) -> None:
    # An object stays in its portfolio: a rule of the domain, whoever calls.
    if product_line is not None and product_line.portfolio_id != portfolio_id:
        raise InvalidInput(fields={"product_line": "The product line belongs to another portfolio."})


# --- product lines ---------------------------------------------------------------------------------------


def product_line_save(
    *, portfolio: Portfolio | None = None, product_line: ProductLine | None = None, actor=None, **fields
) -> ProductLine:
    """Create a line in `portfolio`, or change `product_line`. Raises InvalidInput for a taken name."""
    fields = {k: v for k, v in fields.items() if k in ("name", "description")}
    _clean_text(fields, "name", 200, required=True)
    _clean_text(fields, "description", 10_000, required=False)
    try:
        with transaction.atomic():
            if product_line is None:
                line = ProductLine.objects.create(portfolio=portfolio, **fields)
                events.record(portfolio_id=line.portfolio_id, actor=actor, verb="product_line.created", obj=line)
                return line
            line = ProductLine.objects.select_for_update().get(pk=product_line.pk)
            events.save_changes(line, fields, portfolio_id=line.portfolio_id, actor=actor, verb="product_line.updated")
            return line
    except IntegrityError as exc:
        raise InvalidInput(fields={"name": "A product line with this name exists in the portfolio."}) from exc


def product_line_delete(*, product_line_id: int, actor=None) -> int:
    """Delete a line; its products stay, without a line. Returns how many products it had."""
    with transaction.atomic():
        line = ProductLine.objects.select_for_update().filter(pk=product_line_id).first()
        if line is None:
            raise NotFound()
        count = line.products.count()
        events.record(
            portfolio_id=line.portfolio_id,
            actor=actor,
            verb="product_line.deleted",
            obj=line,
            data={"products_kept": count},
        )
        line.delete()
    return count


# --- products ------------------------------------------------------------------------------------------


def product_create(
    *,
    portfolio: Portfolio,
    name: str,
    description: str = "",
    product_line: ProductLine | None = None,
    stage: str = Stage.IDEATION,
    vision: str = "",
    actor=None,
    at=None,
) -> Product:
    """Create a product and the ledger row that puts it in its first stage."""
    _same_portfolio(portfolio.id, product_line)
    fields = {"name": name, "description": description, "vision": vision}
    _clean_text(fields, "name", 200, required=True)
    _clean_text(fields, "description", 10_000, required=False)
    _clean_text(fields, "vision", VISION_MAX, required=False)
    if stage not in Stage.values:
        raise InvalidInput(fields={"stage": f"Unknown stage “{stage}”."})
    now = at or timezone.now()
    try:
        with transaction.atomic():
            product = Product.objects.create(
                portfolio=portfolio, product_line=product_line, stage=stage, stage_changed_at=now, **fields
            )
            StageTransition.objects.create(
                product=product, from_stage="", to_stage=stage, at=now, actor=actor, reason="Product created"
            )
            events.record(
                portfolio_id=portfolio.id,
                actor=actor,
                verb="product.created",
                obj=product,
                changes={"stage": [None, stage]},
                at=now,
            )
    except IntegrityError as exc:
        raise InvalidInput(fields={"name": "A product with this name exists in the portfolio."}) from exc
    return product


def product_update(*, product_id: int, actor=None, **fields) -> Product:
    """Change a product's name, description, line or vision (never its stage: see `product_transition`).

    Raises InvalidInput for a taken name or a line of another portfolio, NotFound when it is gone.
    """
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"not product fields: {sorted(unknown)}")
    _clean_text(fields, "name", 200, required=True)
    _clean_text(fields, "description", 10_000, required=False)
    _clean_text(fields, "vision", VISION_MAX, required=False)
    try:
        with transaction.atomic():
            product = Product.objects.select_for_update().filter(pk=product_id).first()
            if product is None:
                raise NotFound()
            if "product_line" in fields:
                _same_portfolio(product.portfolio_id, fields["product_line"])
            events.save_changes(product, fields, portfolio_id=product.portfolio_id, actor=actor, verb="product.updated")
    except IntegrityError as exc:
        raise InvalidInput(fields={"name": "A product with this name exists in the portfolio."}) from exc
    return product


def product_archive(*, product_id: int, actor=None, archived: bool = True) -> Product:
    """Archive a product (off the board, data kept) or bring it back."""
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound()
        if bool(product.archived_at) != archived:
            old = product.archived_at
            product.archived_at = timezone.now() if archived else None
            product.save(update_fields=["archived_at"])
            events.record(
                portfolio_id=product.portfolio_id,
                actor=actor,
                verb="product.archived" if archived else "product.restored",
                obj=product,
                changes={"archived_at": [old, product.archived_at]},
            )
    return product


def product_delete_impact(product: Product) -> list[tuple[str, int]]:
    """What a delete takes with it, [("KPIs", 3), …], found by following every app's foreign keys.

    Bulk children (measurements, rollups) are counted with a query, not loaded.
    """
    collector = Collector(using=router.db_for_write(Product))
    collector.collect([product])
    counts: dict = {}
    for model, objects in collector.data.items():
        counts[model] = counts.get(model, 0) + len(objects)
    for queryset in collector.fast_deletes:
        counts[queryset.model] = counts.get(queryset.model, 0) + queryset.count()
    return sorted(
        (str(model._meta.verbose_name_plural), n) for model, n in counts.items() if model is not Product and n
    )


def product_delete(*, product_id: int, actor=None) -> str:
    """Delete a product with its KPIs, measurements, ledger and everything else of it. Returns its name."""
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound()
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="product.deleted",
            obj=product,
            data={"stage": product.stage, "took": dict(product_delete_impact(product))},
        )
        name = product.name
        product.delete()
    return name
