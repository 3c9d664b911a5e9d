"""Roadmap items: create, change, move on the board, delete.

Every write that changes a column's order takes the product's row lock first (lock order: portfolio →
product → its items), so two moves into one column wait for each other and the ranks of a column stay
0…n−1 without gaps or repeats.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from pmflow.errors import Conflict, InvalidInput, NotFound
from products import events
from products.models import Feedback, Idea, Membership, Product
from roadmap.models import RoadmapItem

KIND_ORDER = RoadmapItem.KIND_ORDER
IMPACTS = {Decimal(value) for value, _ in RoadmapItem.IMPACTS}

# The fields a person sets; `rank` moves only with `roadmap_item_move`, `product` never changes.
ITEM_FIELDS = (
    "parent",
    "kind",
    "title",
    "description",
    "status",
    "horizon",
    "release",
    "owner",
    "start_date",
    "end_date",
    "reach",
    "impact",
    "confidence",
    "effort",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "value",
    "moscow",
    "regulatory",
    "regulation",
    "key_result",
    "expected_kpi_key",
    "expected_change_pct",
)
LINK_FIELDS = ("ideas", "feedback", "insights")
SMALL_SCORES = ("business_value", "time_criticality", "risk_reduction", "value")
SMALL_SCORE_MAX = 1000  # a relative scale
REACH_MAX = 2_000_000_000
IMPACT_MESSAGE = "Use 0.25 (minimal), 0.5 (low), 1 (medium), 2 (high) or 3 (massive)."
# A plan's dates fall in these years (as a measurement's); 0001-01-01 or 9999-12-31 is a typo, and a
# timeline spanning them overflowed Python's dates.
DATE_YEARS = (1900, 2200)
DATE_MESSAGE = f"A date between the years {DATE_YEARS[0]} and {DATE_YEARS[1]}."
# The change an item expects in a KPI after launch, in percent: −1000 % … +10,000 %, two decimals.
EXPECTED_CHANGE_RANGE = (Decimal("-1000"), Decimal("10000"))

# The KPIs of a product an item may expect to move, {key: name}: kpis registers the source (roadmap does
# not import kpis; see DESIGN.md, "Dependencies point one way").
_kpi_keys_source = None


def register_kpi_keys(source) -> None:
    """`source(product_id) -> {key: name}`: the product's own KPIs (kpis.review_handlers registers it)."""
    global _kpi_keys_source
    _kpi_keys_source = source


def kpi_keys_of(product_id: int) -> dict[str, str]:
    """{key: name} of the KPIs an item of the product may expect to move ({} before kpis registers)."""
    return dict(_kpi_keys_source(product_id)) if _kpi_keys_source is not None else {}


def _choice(fields: dict, name: str, choices, errors: dict, *, nullable: bool = False) -> None:
    if name in fields and not (nullable and fields[name] in (None, "")) and fields[name] not in choices:
        errors[name] = f"Use one of {', '.join(choices)}."
    if nullable and fields.get(name) == "":
        fields[name] = None


def _number(fields: dict, name: str, errors: dict, *, low, high, above: bool = False) -> None:
    value = fields.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        errors[name] = "A number."
        return
    if (value <= low if above else value < low) or value > high:
        errors[name] = f"From {low} to {high:,}." if not above else f"More than {low}, at most {high:,}."


def plausible_dates(fields: dict, names, errors: dict) -> None:
    """A message on every date of `names` in `fields` outside DATE_YEARS (items' and releases' rule)."""
    for name in names:
        year = getattr(fields.get(name), "year", None)
        if year is not None and not DATE_YEARS[0] <= year <= DATE_YEARS[1]:
            errors[name] = DATE_MESSAGE


def _a(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def item_clean(*, product: Product, fields: dict, item: RoadmapItem | None = None) -> dict:
    """Check an item's fields against each other and against the rows they name; the one place for
    the item's rules (pages, API and demo data call it through the services). Raises InvalidInput
    with every field's message at once."""
    errors: dict = {}
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
        if not fields["title"]:
            errors["title"] = "Give the item a title."
        elif len(fields["title"]) > 200:
            errors["title"] = "At most 200 characters."
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip()
        if len(fields["description"]) > 20_000:
            errors["description"] = "At most 20,000 characters."
    _choice(fields, "kind", RoadmapItem.Kind.values, errors)
    _choice(fields, "status", RoadmapItem.Status.values, errors)
    _choice(fields, "horizon", RoadmapItem.Horizon.values, errors)
    _choice(fields, "moscow", RoadmapItem.MoSCoW.values, errors, nullable=True)
    _number(fields, "reach", errors, low=0, high=REACH_MAX)
    _number(fields, "confidence", errors, low=0, high=100)
    _number(fields, "effort", errors, low=0, high=Decimal("999999.99"), above=True)
    _number(fields, "job_size", errors, low=0, high=Decimal("999999.99"), above=True)
    for name in SMALL_SCORES:
        _number(fields, name, errors, low=0, high=SMALL_SCORE_MAX)
    if fields.get("impact") is not None and Decimal(str(fields["impact"])) not in IMPACTS:
        errors["impact"] = IMPACT_MESSAGE
    plausible_dates(fields, ("start_date", "end_date"), errors)

    def current(name):
        return fields[name] if name in fields else getattr(item, name, None)

    kind = current("kind") or RoadmapItem.Kind.FEATURE
    parent = current("parent")
    if "parent" in fields or "kind" in fields:
        if parent is not None:
            if parent.product_id != product.id:
                errors["parent"] = "The parent is an item of another product."
            elif item is not None and parent.pk == item.pk:
                errors["parent"] = "An item cannot be its own parent."
            elif kind in KIND_ORDER and KIND_ORDER[parent.kind] >= KIND_ORDER[kind]:
                if "parent" in fields:
                    errors["parent"] = (
                        "An initiative has no parent (it is the highest kind)."
                        if kind == RoadmapItem.Kind.INITIATIVE
                        else f"{_a(kind).capitalize()}'s parent is of a higher kind (initiative > feature > "
                        f"requirement), not {_a(parent.kind)}."
                    )
                else:  # a kind change under a parent: refused on the field that was sent
                    errors["kind"] = (
                        f"Its parent “{parent}” is {_a(parent.kind)}: the item's kind must be lower "
                        "(initiative > feature > requirement)."
                    )
        if item is not None and "kind" in fields and kind in KIND_ORDER:
            lower = [c for c in item.children.all() if KIND_ORDER[c.kind] <= KIND_ORDER[kind]]
            if lower:
                errors["kind"] = (
                    f"It has {len(lower)} child item(s) of kind {lower[0].kind}: a parent is of a higher kind."
                )
    release = fields.get("release")
    if release is not None and release.product_id != product.id:
        errors["release"] = "The release belongs to another product."
    key_result = fields.get("key_result")
    if key_result is not None and key_result.goal.product.portfolio_id != product.portfolio_id:
        errors["key_result"] = "The key result belongs to another portfolio."
    owner = fields.get("owner")
    if owner is not None and not Membership.objects.filter(portfolio_id=product.portfolio_id, user=owner).exists():
        errors["owner"] = f"{owner.get_username()} is not a member of this portfolio."
    for name, model in (("ideas", Idea), ("feedback", Feedback)):
        linked = fields.get(name)
        if linked and any(obj.product.portfolio_id != product.portfolio_id for obj in linked):
            errors[name] = f"Some {model._meta.verbose_name_plural} belong to another portfolio."
    insights = fields.get("insights")  # the market insight behind the item: of the portfolio, not a product
    if insights and any(insight.portfolio_id != product.portfolio_id for insight in insights):
        errors["insights"] = "Some market insights belong to another portfolio."
    start, end = current("start_date"), current("end_date")
    if start and end and end < start and "end_date" not in errors:
        errors["end_date"] = "The end date is before the start date."
    regulatory = current("regulatory")
    if regulatory and kind != RoadmapItem.Kind.REQUIREMENT and ("regulatory" in fields or "kind" in fields):
        errors["regulatory"] = "Only requirements are marked regulatory."
    if "regulation" in fields:
        fields["regulation"] = (fields["regulation"] or "").strip()
        if len(fields["regulation"]) > 200:
            errors["regulation"] = "At most 200 characters."
    if regulatory and not (current("regulation") or "").strip() and ("regulatory" in fields or "regulation" in fields):
        errors["regulation"] = "Name the regulation the requirement comes from (e.g. GDPR Art. 17)."
    _expected_change(product, fields, item, errors)
    if errors:
        raise InvalidInput(fields=errors)
    return fields


def _expected_change(product: Product, fields: dict, item: RoadmapItem | None, errors: dict) -> None:
    """The KPI an item expects to move and by how much: both or neither; the key one of the product's KPIs
    (checked when it is set or changed, so an item whose KPI went later still saves its other fields)."""
    if "expected_kpi_key" in fields:
        key = fields["expected_kpi_key"]
        if key is None:
            key = ""
        if not isinstance(key, str):
            errors["expected_kpi_key"] = "The key of one of the product's KPIs."
        else:
            key = key.strip()
            fields["expected_kpi_key"] = key
            if key and key != getattr(item, "expected_kpi_key", None):
                known = kpi_keys_of(product.id)
                if key not in known:
                    errors["expected_kpi_key"] = (
                        f"“{key[:64]}” is not a KPI of {product.name}: use one of {', '.join(sorted(known))}."
                        if known
                        else f"{product.name} has no KPI yet: add one before expecting a change in it."
                    )
    if fields.get("expected_change_pct") is not None:
        value = fields["expected_change_pct"]
        low, high = EXPECTED_CHANGE_RANGE
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
            errors["expected_change_pct"] = "A number of percent, e.g. 12.5 or -5."
        elif not low <= value <= high:
            errors["expected_change_pct"] = f"From {low:,} to {high:,} (percent)."
        else:
            fields["expected_change_pct"] = Decimal(value).quantize(Decimal("0.01"))
    if "expected_kpi_key" in errors or "expected_change_pct" in errors:
        return
    if "expected_kpi_key" in fields or "expected_change_pct" in fields:
        key = fields.get("expected_kpi_key", getattr(item, "expected_kpi_key", ""))
        change = (
            fields["expected_change_pct"]
            if "expected_change_pct" in fields
            else getattr(item, "expected_change_pct", None)
        )
        if key and change is None:
            errors["expected_change_pct"] = "Say by how much the KPI should change, in percent (negative: a fall)."
        elif change is not None and not key:
            errors["expected_kpi_key"] = "Name the KPI the change is expected in, or leave both empty."


def owner_by_username(*, portfolio_id: int, username: str | None):
    """The member called `username` (None for none); InvalidInput on `owner` for anyone else."""
    if username in (None, ""):
        return None
    user = get_user_model().objects.filter(username=username, memberships__portfolio_id=portfolio_id).first()
    if user is None:
        raise InvalidInput(fields={"owner": f"No member of this portfolio is called “{username}”."})
    return user


def _locked_product(product_id: int) -> Product:
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound()
    return product


def _column(product_id: int, horizon: str) -> list[int]:
    return list(
        RoadmapItem.objects.filter(product_id=product_id, horizon=horizon)
        .order_by("rank", "id")
        .values_list("id", flat=True)
    )


def _renumber(ids: list[int], horizon: str) -> None:
    """Write ranks 0…n−1 in the order of `ids`, touching only the rows whose rank or horizon differs."""
    current = {pk: (h, r) for pk, h, r in RoadmapItem.objects.filter(pk__in=ids).values_list("id", "horizon", "rank")}
    changed = [
        RoadmapItem(pk=pk, rank=rank, horizon=horizon)
        for rank, pk in enumerate(ids)
        if current.get(pk) != (horizon, rank)  # an item moved to another column at the same rank changes too
    ]
    if changed:
        RoadmapItem.objects.bulk_update(changed, ["rank", "horizon"])


def _set_links(item: RoadmapItem, links: dict) -> dict:
    changes = {}
    for name, objects in links.items():
        manager = getattr(item, name)
        before = sorted(manager.values_list("pk", flat=True))
        after = sorted({obj.pk for obj in objects})
        if before != after:
            manager.set(after)
            changes[name] = [before, after]
    return changes


def roadmap_item_create(*, product: Product, actor=None, **fields) -> RoadmapItem:
    """Create an item at the end of its horizon's column. Raises InvalidInput for broken rules."""
    unknown = set(fields) - set(ITEM_FIELDS) - set(LINK_FIELDS)
    if unknown:
        raise TypeError(f"not roadmap item fields: {sorted(unknown)}")
    fields = item_clean(product=product, fields=dict(fields))
    links = {name: fields.pop(name) for name in LINK_FIELDS if name in fields}
    fields.setdefault("horizon", RoadmapItem.Horizon.LATER)
    with transaction.atomic():
        _locked_product(product.id)
        rank = RoadmapItem.objects.filter(product=product, horizon=fields["horizon"]).count()
        item = RoadmapItem.objects.create(product=product, rank=rank, **fields)
        _set_links(item, links)
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="roadmap_item.created",
            obj=item,
            changes={
                name: [None, getattr(item, RoadmapItem._meta.get_field(name).attname)]
                for name in ("kind", "status", "horizon")
            },
            data={"product": product.id},
        )
    return item


def roadmap_item_update(*, item_id: int, actor=None, **fields) -> RoadmapItem:
    """Change an item; a new horizon puts it at the end of that column and closes the gap it left.

    Raises NotFound when it is gone and InvalidInput for broken rules (nothing written).
    """
    unknown = set(fields) - set(ITEM_FIELDS) - set(LINK_FIELDS)
    if unknown:
        raise TypeError(f"not roadmap item fields: {sorted(unknown)}")
    with transaction.atomic():
        found = RoadmapItem.objects.filter(pk=item_id).values_list("product_id", flat=True).first()
        if found is None:
            raise NotFound()
        product = _locked_product(found)
        item = RoadmapItem.objects.select_for_update().get(pk=item_id)
        fields = item_clean(product=product, fields=dict(fields), item=item)
        links = {name: fields.pop(name) for name in LINK_FIELDS if name in fields}
        old_horizon = item.horizon
        new_horizon = fields.get("horizon", old_horizon)
        if new_horizon != old_horizon:
            fields["rank"] = RoadmapItem.objects.filter(product=product, horizon=new_horizon).count()
        before = events.snapshot(item, fields)
        for name, value in fields.items():
            setattr(item, name, value)
        changes = events.changes_between(before, events.snapshot(item, fields))
        if changes:
            item.save(update_fields=[*changes, "updated_at"])
        changes.update(_set_links(item, links))
        if new_horizon != old_horizon:
            _renumber(_column(product.id, old_horizon), old_horizon)
        if changes:
            events.record(
                portfolio_id=product.portfolio_id, actor=actor, verb="roadmap_item.updated", obj=item, changes=changes
            )
    return item


def roadmap_item_move(*, item_id: int, horizon: str, position: int, actor=None) -> RoadmapItem:
    """Put an item at `position` (0-based, after the move) of `horizon`'s column of its product.

    A position past the end puts it last. Both columns are renumbered 0…n−1 under the product's lock,
    so concurrent moves queue and never leave a gap or a repeat. Raises InvalidInput for an unknown
    horizon or a negative position, NotFound when the item is gone.
    """
    if horizon not in RoadmapItem.Horizon.values:
        raise InvalidInput(fields={"horizon": f"Use one of {', '.join(RoadmapItem.Horizon.values)}."})
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise InvalidInput(fields={"position": "A whole number from 0: the item's place in the column after the move."})
    with transaction.atomic():
        found = RoadmapItem.objects.filter(pk=item_id).values_list("product_id", flat=True).first()
        if found is None:
            raise NotFound()
        product = _locked_product(found)
        item = RoadmapItem.objects.get(pk=item_id)
        old_horizon, old_rank = item.horizon, item.rank
        target = [pk for pk in _column(product.id, horizon) if pk != item.id]
        target.insert(min(position, len(target)), item.id)
        _renumber(target, horizon)
        if old_horizon != horizon:
            _renumber(_column(product.id, old_horizon), old_horizon)
        item.refresh_from_db(fields=["horizon", "rank"])
        if (old_horizon, old_rank) != (item.horizon, item.rank):
            events.record(
                portfolio_id=product.portfolio_id,
                actor=actor,
                verb="roadmap_item.moved",
                obj=item,
                changes={"horizon": [old_horizon, item.horizon], "rank": [old_rank, item.rank]}
                if old_horizon != horizon
                else {"rank": [old_rank, item.rank]},
            )
    return item


def roadmap_item_delete(*, item_id: int, actor=None) -> str:
    """Delete an item (its children stay, without a parent; its dependencies go). Returns its title."""
    with transaction.atomic():
        found = RoadmapItem.objects.filter(pk=item_id).values_list("product_id", flat=True).first()
        if found is None:
            raise NotFound()
        product = _locked_product(found)
        item = RoadmapItem.objects.get(pk=item_id)
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="roadmap_item.deleted",
            obj=item,
            data={"kind": item.kind, "horizon": item.horizon, "children_kept": item.children.count()},
        )
        title, horizon = item.title, item.horizon
        item.delete()
        _renumber(_column(product.id, horizon), horizon)
    return title


class BoardChanged(Conflict):
    """The card it was dropped before is no longer in that column: the board changed meanwhile."""

    code = "board_changed"


def roadmap_item_move_before(*, item_id: int, horizon: str, before_id: int | None, actor=None) -> RoadmapItem:
    """Move an item into `horizon`'s column of its product, before the item `before_id` (None: last).

    The position counts every item of the column, also those a board's filter hides. The product's
    row lock is taken before the column is read (the lock `roadmap_item_move` takes too, so the order
    portfolio → product → items holds): a move that lands meanwhile cannot shift the position between
    reading the column and moving. Raises BoardChanged when `before_id` is not in that column (nothing
    moved), NotFound when the item is gone, InvalidInput for an unknown horizon.
    """
    with transaction.atomic():
        product_id = RoadmapItem.objects.filter(pk=item_id).values_list("product_id", flat=True).first()
        if product_id is None:
            raise NotFound()
        _locked_product(product_id)
        column = list(
            RoadmapItem.objects.filter(product_id=product_id, horizon=horizon)
            .order_by("rank", "id")
            .values_list("id", flat=True)
        )
        others = [pk for pk in column if pk != item_id]
        if before_id is None:
            position = len(others)
        elif before_id == item_id:
            position = column.index(item_id) if item_id in column else len(others)
        elif before_id in others:
            position = others.index(before_id)
        else:
            raise BoardChanged(
                "Nothing was moved: the card it was dropped before has moved or gone meanwhile. "
                "The board now shows the latest order."
            )
        return roadmap_item_move(item_id=item_id, horizon=horizon, position=position, actor=actor)
