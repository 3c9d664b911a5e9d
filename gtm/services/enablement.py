"""Sales enablement assets, marketing events and the press & communication plan.

- An asset is a link (http or https only) or an uploaded file, or both; never neither. A file larger
  than `settings.ASSET_MAX_BYTES` is refused from the upload's size, before it is read or stored. Stored
  names are sanitised and kept in a folder of their own (`assets/<product>/<token>/<name>`), so a new
  version named like the old one keeps its name for the download. A file that is replaced, removed or
  whose asset is deleted is removed from storage after the transaction commits (never before: a rolled
  back write keeps it). The `version` is the user's: replacing a file changes nothing else.
- An event belongs to a portfolio and names products of that portfolio only; it ends on or after its
  first day; cost and leads are zero or more.
- A press item's launch plan is of the same product, its owner a member of the portfolio, and a
  scheduled or published item has a publish date.

Every write runs in one transaction, locks the row it changes and records one domain event
(`asset.*`, `event.*`, `press_item.*`). Bad input is InvalidInput with a message per field (400);
nothing is written.
"""

import contextlib
import logging
import os
import re
import secrets
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import URLValidator
from django.db import transaction

from gtm.models import Asset, LaunchPlan, MarketingEvent, PressItem
from gtm.services import rules
from pmflow.access import READ, WRITE, object_for_user
from pmflow.errors import InvalidInput, NotFound
from products import events
from products.models import Portfolio, Product

log = logging.getLogger(__name__)

ASSET_FIELDS = ("launch_plan", "title", "description", "kind", "url", "version", "audience")
EVENT_FIELDS = ("name", "description", "kind", "start_date", "end_date", "location", "cost", "leads")
PRESS_FIELDS = ("launch_plan", "title", "description", "kind", "channel", "publish_date", "owner", "status")

URL_MAX = 2000
VERSION_MAX = 50
FILENAME_STEM_MAX = 100
LEADS_MAX = 2_147_483_647  # the column's integer
ASSET_KINDS = [k.value for k in Asset.Kind]
AUDIENCES = [a.value for a in Asset.Audience]
EVENT_KINDS = [k.value for k in MarketingEvent.Kind]
PRESS_KINDS = [k.value for k in PressItem.Kind]
PRESS_STATUSES = [s.value for s in PressItem.Status]

LINK_OR_FILE = "Give a link (http:// or https://) or upload a file."
URL_MESSAGE = "A web address starting with http:// or https://, e.g. https://intranet.example.com/deck."
_url_check = URLValidator(schemes=["http", "https"])

UNCHANGED = object()  # asset_update(file=UNCHANGED): keep the stored file; None removes it


# --- sizes and names ----------------------------------------------------------------------------------


def asset_max_bytes() -> int:
    return int(getattr(settings, "ASSET_MAX_BYTES", 25 * 1024 * 1024))


def size_text(size: int) -> str:
    """A size as people read it: 812 bytes, 96 KB, 2.4 MB (1 KB = 1024 bytes)."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    if size < 1024 * 1024:
        return f"{round(size / 1024):g} KB"
    return f"{round(size / 1024 / 1024, 1):g} MB"


def size_limit_text() -> str:
    return size_text(asset_max_bytes())


def clean_filename(name) -> str:
    """A file name safe to store and to offer as a download: the last part of any path, without control
    characters, spaces as underscores, only letters, digits, "-", "_" and "."; no leading dot; a stem of at
    most 100 characters, the extension kept. Never empty ("file")."""
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"\s+", "_", base.strip())
    base = re.sub(r"[^\w.\-]", "", base)
    base = re.sub(r"\.{2,}", ".", base).lstrip("._-")
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    stem = stem.rstrip("._-")[:FILENAME_STEM_MAX] or "file"
    extension = extension[:16]
    return f"{stem}.{extension}" if extension else stem


def file_name(asset: Asset) -> str:
    """The stored file's name without its folders ("" without a file)."""
    return os.path.basename(asset.file.name) if asset.file else ""


def _upload_problem(upload) -> str | None:
    """What is wrong with an upload, judged on its size (known from the upload) before it is read."""
    if not isinstance(upload, File):
        return "Upload a file."
    size = getattr(upload, "size", None)
    if size is None:
        return "Upload a file."
    limit = asset_max_bytes()
    if size > limit:
        return f"Files up to {size_text(limit)} are accepted; this one is {size_text(size)}. Share a link instead."
    if size == 0:
        return "The file is empty."
    return None


def _url_problem(url: str) -> str | None:
    if not url:
        return None
    if len(url) > URL_MAX:
        return f"At most {URL_MAX:,} characters."
    if any(ch.isspace() for ch in url):
        return URL_MESSAGE
    try:
        _url_check(url)
    except ValidationError:
        return URL_MESSAGE
    return None


def _store(product_id: int, upload) -> str:
    """Write the upload to storage under a folder of its own; returns the stored name."""
    holder = Asset(product_id=product_id)
    holder.file.save(f"{secrets.token_hex(6)}/{clean_filename(getattr(upload, 'name', ''))}", upload, save=False)
    return holder.file.name


def _remove_stored(name: str) -> None:
    """Delete a stored file and its (then empty) folder; a file already gone is fine."""
    storage = Asset._meta.get_field("file").storage
    try:
        storage.delete(name)
    except OSError:
        log.exception("could not delete the asset file %s", name)
        return
    with contextlib.suppress(OSError, NotImplementedError):  # another file may share it; a remote storage has none
        os.rmdir(os.path.dirname(storage.path(name)))


def remove_file_after_commit(name: str) -> None:
    """Remove a stored asset file once the current transaction commits (nothing when it rolls back); for
    the services here, and for a handler of assets deleted with their product (a cascade)."""
    if name:
        transaction.on_commit(lambda: _remove_stored(name))


# --- assets -------------------------------------------------------------------------------------------


def _asset_check(fields: dict, product_id: int, errors: dict) -> None:
    rules.text(fields, "title", errors, required="Give the asset a title, e.g. “Battle card vs. Acme”.")
    rules.text(fields, "description", errors, limit=rules.TEXT_MAX)
    rules.text(fields, "version", errors, limit=VERSION_MAX, required="Give a version, e.g. 1 or 2026-03.")
    rules.text(fields, "url", errors, limit=URL_MAX)
    if "url" in fields and "url" not in errors and (problem := _url_problem(fields["url"])):
        errors["url"] = problem
    rules.choice(fields, "kind", ASSET_KINDS, errors)
    rules.choice(fields, "audience", AUDIENCES, errors)
    rules.same_product(fields, "launch_plan", product_id, errors, what="a launch plan")


def _check_fields(fields: dict, allowed, what: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"not {what} fields: {sorted(unknown)}")


def asset_create(*, product: Product, actor=None, file=None, **fields) -> Asset:
    """Add a sales enablement asset to `product`: a link (`url`), an uploaded `file`, or both.

    Raises InvalidInput: neither a link nor a file, a link that is not http(s), a file larger than
    ASSET_MAX_BYTES or empty, a launch plan of another product, a missing title or version.
    """
    _check_fields(fields, ASSET_FIELDS, "asset")
    fields = dict(fields)
    fields.setdefault("url", "")
    errors: dict = {}
    _asset_check(fields, product.id, errors)
    if file is not None and (problem := _upload_problem(file)):
        errors["file"] = problem
    if not errors and not fields["url"] and file is None:
        errors["url"] = LINK_OR_FILE
    if errors:
        raise InvalidInput(fields=errors)
    stored = _store(product.id, file) if file is not None else ""
    try:
        with transaction.atomic():
            asset = Asset(product=product, **fields)
            asset.file.name = stored
            asset.file_size = file.size if file is not None else None
            asset.save()
            events.record(
                portfolio_id=product.portfolio_id,
                actor=actor,
                verb="asset.created",
                obj=asset,
                changes={
                    "title": [None, asset.title],
                    "kind": [None, asset.kind],
                    "audience": [None, asset.audience],
                    "version": [None, asset.version],
                    **({"url": [None, asset.url]} if asset.url else {}),
                    **({"file": [None, file_name(asset)]} if stored else {}),
                },
                data={"product": product.id, "file_size": asset.file_size},
            )
    except BaseException:
        if stored:
            _remove_stored(stored)
        raise
    return asset


def asset_update(*, asset_id: int, actor=None, file=UNCHANGED, **fields) -> Asset:
    """Change an asset. `file` an upload replaces its file, None removes it, UNCHANGED keeps it; the old
    file leaves storage after commit. The version is the caller's to change (a new file bumps nothing).

    Raises NotFound, and InvalidInput as `asset_create` (also when the change would leave neither a link
    nor a file).
    """
    _check_fields(fields, ASSET_FIELDS, "asset")
    fields = dict(fields)
    current = Asset.objects.filter(pk=asset_id).first()
    if current is None:
        raise NotFound()
    errors: dict = {}
    _asset_check(fields, current.product_id, errors)
    uploading = file is not UNCHANGED and file is not None
    if uploading and (problem := _upload_problem(file)):
        errors["file"] = problem
    if errors:
        raise InvalidInput(fields=errors)
    stored = _store(current.product_id, file) if uploading else ""
    try:
        with transaction.atomic():
            asset = Asset.objects.select_for_update(of=("self",)).filter(pk=asset_id).select_related("product").first()
            if asset is None:
                raise NotFound()
            url = fields.get("url", asset.url)
            keeps_file = bool(asset.file) if file is UNCHANGED else file is not None
            if not url and not keeps_file:
                raise InvalidInput(fields={"url" if "url" in fields or file is UNCHANGED else "file": LINK_OR_FILE})
            before = events.snapshot(asset, fields)
            for name, value in fields.items():
                setattr(asset, name, value)
            changes = events.changes_between(before, events.snapshot(asset, fields))
            old_name = asset.file.name or ""
            if file is not UNCHANGED and (stored or old_name):
                old_label, old_size = file_name(asset), asset.file_size
                asset.file.name = stored
                asset.file_size = file.size if uploading else None
                changes["file"] = [old_label or None, file_name(asset) or None]
                changes["file_size"] = [old_size, asset.file_size]
            if changes:
                asset.save(update_fields=[*changes, "updated_at"])
                events.record(
                    portfolio_id=asset.product.portfolio_id,
                    actor=actor,
                    verb="asset.updated",
                    obj=asset,
                    changes=changes,
                )
                if "file" in changes:
                    remove_file_after_commit(old_name)
    except BaseException:
        if stored:
            _remove_stored(stored)
        raise
    return asset


def asset_delete(*, asset_id: int, actor=None) -> str:
    """Delete an asset; its stored file leaves storage once the deletion commits. Returns its title."""
    with transaction.atomic():
        asset = Asset.objects.select_for_update(of=("self",)).filter(pk=asset_id).select_related("product").first()
        if asset is None:
            raise NotFound()
        events.record(
            portfolio_id=asset.product.portfolio_id,
            actor=actor,
            verb="asset.deleted",
            obj=asset,
            data={"title": asset.title, "product": asset.product_id, "file": file_name(asset) or None},
        )
        title, stored = asset.title, asset.file.name or ""
        asset.delete()
        remove_file_after_commit(stored)
    return title


# --- marketing events ---------------------------------------------------------------------------------


def _leads(fields: dict, errors: dict) -> None:
    if "leads" not in fields or fields["leads"] is None:
        return
    value = fields["leads"]
    if isinstance(value, bool) or not isinstance(value, int):
        errors["leads"] = "A whole number of leads, 0 or more."
    elif value < 0:
        errors["leads"] = "Zero or more."
    elif value > LEADS_MAX:
        errors["leads"] = f"At most {LEADS_MAX:,}."


def _event_check(fields: dict, portfolio_id: int, errors: dict, *, start=None, end=None) -> None:
    rules.text(fields, "name", errors, required="Give the event a name, e.g. “Gravity expo 2026”.")
    rules.text(fields, "description", errors, limit=rules.TEXT_MAX)
    rules.text(fields, "location", errors)
    rules.choice(fields, "kind", EVENT_KINDS, errors)
    if "start_date" in fields and fields["start_date"] is None:
        errors["start_date"] = "Give the event's first day."
    rules.dates(fields, ("start_date", "end_date"), errors)
    if "start_date" not in errors and "end_date" not in errors:
        rules.ordered(
            fields.get("start_date", start),
            fields.get("end_date", end),
            errors,
        )
    rules.money(fields, "cost", errors)
    _leads(fields, errors)
    if "products" in fields:
        rows = fields["products"]
        if not isinstance(rows, list | tuple | set) or not all(isinstance(row, Product) for row in rows):
            errors["products"] = "A list of products."
        else:
            fields["products"] = sorted(set(rows), key=lambda product: product.pk)
            rules.same_portfolio(fields, "products", portfolio_id, errors, what="products")


def _product_ids(event: MarketingEvent) -> list[int]:
    return sorted(event.products.values_list("pk", flat=True))


def marketing_event_create(*, portfolio: Portfolio, actor=None, products=(), **fields) -> MarketingEvent:
    """Plan a trade show, exhibition, conference, webinar or meetup of `portfolio`, for `products` of it.
    Without an `end_date` it is a one-day event.

    Raises InvalidInput: no name or first day, a date outside 1900–2200, an end before the start, a
    negative cost or leads, a product of another portfolio.
    """
    _check_fields(fields, EVENT_FIELDS, "event")
    fields = {**dict(fields), "products": list(products)}
    fields.setdefault("start_date", None)
    if fields.get("end_date") is None:
        fields["end_date"] = fields["start_date"]
    fields.setdefault("cost", Decimal(0))
    errors: dict = {}
    _event_check(fields, portfolio.id, errors)
    if errors:
        raise InvalidInput(fields=errors)
    chosen = fields.pop("products")
    with transaction.atomic():
        event = MarketingEvent.objects.create(portfolio=portfolio, **fields)
        event.products.set(chosen)
        events.record(
            portfolio_id=portfolio.id,
            actor=actor,
            verb="event.created",
            obj=event,
            changes={
                "name": [None, event.name],
                "kind": [None, event.kind],
                "start_date": [None, event.start_date],
                "end_date": [None, event.end_date],
                "cost": [None, event.cost],
                **({"leads": [None, event.leads]} if event.leads is not None else {}),
                "products": [None, [p.pk for p in chosen]],
            },
        )
    return event


def _locked_event(event_id: int) -> MarketingEvent:
    event = MarketingEvent.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise NotFound()
    return event


def marketing_event_update(*, event_id: int, actor=None, products=None, **fields) -> MarketingEvent:
    """Change an event; `products` (when given) replaces its products. Raises NotFound, and InvalidInput
    as `marketing_event_create` (the end is judged against the start it will have)."""
    _check_fields(fields, EVENT_FIELDS, "event")
    fields = dict(fields)
    if products is not None:
        fields["products"] = list(products)
    with transaction.atomic():
        event = _locked_event(event_id)
        if "end_date" in fields and fields["end_date"] is None:
            fields["end_date"] = fields.get("start_date", event.start_date)
        errors: dict = {}
        _event_check(fields, event.portfolio_id, errors, start=event.start_date, end=event.end_date)
        if errors:
            raise InvalidInput(fields=errors)
        chosen = fields.pop("products", None)
        before = events.snapshot(event, fields)
        for name, value in fields.items():
            setattr(event, name, value)
        changes = events.changes_between(before, events.snapshot(event, fields))
        if changes:
            event.save(update_fields=[*changes, "updated_at"])
        if chosen is not None:
            old_ids, new_ids = _product_ids(event), [p.pk for p in chosen]
            if old_ids != new_ids:
                event.products.set(chosen)
                changes["products"] = [old_ids, new_ids]
                if len(changes) == 1:
                    event.save(update_fields=["updated_at"])
        if changes:
            events.record(
                portfolio_id=event.portfolio_id, actor=actor, verb="event.updated", obj=event, changes=changes
            )
    return event


def marketing_event_delete(*, event_id: int, actor=None) -> str:
    """Delete an event. Returns its name."""
    with transaction.atomic():
        event = _locked_event(event_id)
        events.record(
            portfolio_id=event.portfolio_id,
            actor=actor,
            verb="event.deleted",
            obj=event,
            data={"name": event.name, "start_date": event.start_date.isoformat(), "products": _product_ids(event)},
        )
        name = event.name
        event.delete()
    return name


def cost_per_lead(event: MarketingEvent) -> Decimal | None:
    """Cost ÷ leads, to the cent; None without leads."""
    if not event.leads:
        return None
    return (Decimal(event.cost) / event.leads).quantize(Decimal("0.01"))


# --- press items --------------------------------------------------------------------------------------

DATED_STATUSES = (PressItem.Status.SCHEDULED, PressItem.Status.PUBLISHED)


def _press_check(fields: dict, product: Product, errors: dict, *, status=None, publish_date=None) -> None:
    rules.text(fields, "title", errors, required="Give it a title, e.g. “Tracker 2.0 announcement”.")
    rules.text(fields, "description", errors, limit=rules.TEXT_MAX)
    rules.text(fields, "channel", errors)
    rules.choice(fields, "kind", PRESS_KINDS, errors)
    rules.choice(fields, "status", PRESS_STATUSES, errors)
    rules.dates(fields, ("publish_date",), errors)
    rules.same_product(fields, "launch_plan", product.id, errors, what="a launch plan")
    rules.member(fields, "owner", product.portfolio_id, errors)
    status = fields.get("status", status)
    day = fields.get("publish_date", publish_date)
    if "status" not in errors and "publish_date" not in errors and status in DATED_STATUSES and day is None:
        label = PressItem.Status(status).label.lower()
        errors["publish_date"] = f"A {label} item has a publish date."


def press_item_create(*, product: Product, actor=None, **fields) -> PressItem:
    """Put a press release, briefing, post, newsletter or interview of `product` in the plan.

    Raises InvalidInput: no title, a launch plan of another product, an owner who is not a member, a date
    outside 1900–2200, a scheduled or published item without a publish date.
    """
    _check_fields(fields, PRESS_FIELDS, "press item")
    fields = dict(fields)
    fields.setdefault("title", "")
    errors: dict = {}
    _press_check(fields, product, errors, status=PressItem.Status.DRAFT)
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        item = PressItem.objects.create(product=product, **fields)
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="press_item.created",
            obj=item,
            changes={
                "title": [None, item.title],
                "kind": [None, item.kind],
                "status": [None, item.status],
                "publish_date": [None, item.publish_date],
            },
            data={"product": product.id},
        )
    return item


def _locked_press_item(item_id: int) -> PressItem:
    item = PressItem.objects.select_for_update(of=("self",)).filter(pk=item_id).select_related("product").first()
    if item is None:
        raise NotFound()
    return item


def press_item_update(*, item_id: int, actor=None, **fields) -> PressItem:
    """Change a press item. Raises NotFound, and InvalidInput as `press_item_create`."""
    _check_fields(fields, PRESS_FIELDS, "press item")
    fields = dict(fields)
    with transaction.atomic():
        item = _locked_press_item(item_id)
        errors: dict = {}
        _press_check(fields, item.product, errors, status=item.status, publish_date=item.publish_date)
        if errors:
            raise InvalidInput(fields=errors)
        before = events.snapshot(item, fields)
        for name, value in fields.items():
            setattr(item, name, value)
        changes = events.changes_between(before, events.snapshot(item, fields))
        if changes:
            item.save(update_fields=[*changes, "updated_at"])
            events.record(
                portfolio_id=item.product.portfolio_id,
                actor=actor,
                verb="press_item.updated",
                obj=item,
                changes=changes,
            )
    return item


def press_item_delete(*, item_id: int, actor=None) -> str:
    """Take a press item out of the plan. Returns its title."""
    with transaction.atomic():
        item = _locked_press_item(item_id)
        events.record(
            portfolio_id=item.product.portfolio_id,
            actor=actor,
            verb="press_item.deleted",
            obj=item,
            data={"title": item.title, "product": item.product_id},
        )
        title = item.title
        item.delete()
    return title


# --- lookups the pages and the API share --------------------------------------------------------------


def _action(write: bool, action: str | None) -> str:
    return action or (WRITE if write else READ)


def assets():
    return Asset.objects.select_related("product", "launch_plan")


def marketing_events():
    return MarketingEvent.objects.prefetch_related("products")


def press_items():
    return PressItem.objects.select_related("product", "launch_plan", "owner")


def asset_for_user(user, asset_id, *, write: bool = False, action: str | None = None) -> Asset:
    return object_for_user(user, assets().select_related("product__portfolio"), asset_id, action=_action(write, action))


def marketing_event_for_user(user, event_id, *, write: bool = False, action: str | None = None) -> MarketingEvent:
    queryset = marketing_events().select_related("portfolio")
    return object_for_user(user, queryset, event_id, action=_action(write, action))


def press_item_for_user(user, item_id, *, write: bool = False, action: str | None = None) -> PressItem:
    queryset = press_items().select_related("product__portfolio")
    return object_for_user(user, queryset, item_id, action=_action(write, action))


def launch_plans_of(product_id: int):
    """A product's launch plans, the latest launch first (for the forms' choices)."""
    return LaunchPlan.objects.filter(product_id=product_id).order_by("-launch_date", "-id")
