"""Releases: plan them, change them, ship them (the 409 rule of the contract), delete them."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from pmflow.errors import Conflict, InvalidInput, NotFound
from products import events
from products.models import Product
from roadmap.models import Release, RoadmapItem
from roadmap.services.items import plausible_dates

RELEASE_FIELDS = ("version", "name", "description", "target_date")
FINISHED = (RoadmapItem.Status.DONE, RoadmapItem.Status.DROPPED)


class ReleaseHasOpenItems(Conflict):
    """Items in this release are neither done nor dropped."""

    code = "open_items"


class ReleaseAlreadyShipped(Conflict):
    """The release has already shipped."""

    code = "already_shipped"


def _clean(fields: dict) -> dict:
    errors = {}
    if "version" in fields:
        fields["version"] = (fields["version"] or "").strip()
        if not fields["version"]:
            errors["version"] = "Give the release a version, e.g. 2.4."
        elif len(fields["version"]) > 50:
            errors["version"] = "At most 50 characters."
    for name, limit in (("name", 200), ("description", 20_000)):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
            if len(fields[name]) > limit:
                errors[name] = f"At most {limit:,} characters."
    plausible_dates(fields, ("target_date",), errors)
    if errors:
        raise InvalidInput(fields=errors)
    return fields


TAKEN = "This product already has a release with this version."


def _locked(release_id: int) -> Release:
    """The release under its row lock, its product's taken first (lock order: product → its releases
    and items; deleting a release rewrites its items, and an item's write holds the product)."""
    product_id = Release.objects.filter(pk=release_id).values_list("product_id", flat=True).first()
    if product_id is None:
        raise NotFound()
    list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk"))
    release = Release.objects.select_for_update().filter(pk=release_id).select_related("product").first()
    if release is None:
        raise NotFound()
    return release


def release_create(*, product: Product, actor=None, **fields) -> Release:
    """Plan a release of `product`. Raises InvalidInput for a taken or empty version."""
    unknown = set(fields) - set(RELEASE_FIELDS)
    if unknown:
        raise TypeError(f"not release fields: {sorted(unknown)}")
    fields = _clean(dict(fields))
    try:
        with transaction.atomic():
            release = Release.objects.create(product=product, **fields)
            events.record(
                portfolio_id=product.portfolio_id,
                actor=actor,
                verb="release.created",
                obj=release,
                changes={"version": [None, release.version], "target_date": [None, release.target_date]},
            )
    except IntegrityError as exc:
        raise InvalidInput(fields={"version": TAKEN}) from exc
    return release


def release_update(*, release_id: int, actor=None, **fields) -> Release:
    """Change a release's version, name, description or target date (a shipped one too: notes get
    written after the fact). Raises InvalidInput for a taken version, NotFound when it is gone."""
    unknown = set(fields) - set(RELEASE_FIELDS)
    if unknown:
        raise TypeError(f"not release fields: {sorted(unknown)}")
    fields = _clean(dict(fields))
    try:
        with transaction.atomic():
            release = _locked(release_id)
            events.save_changes(
                release, fields, portfolio_id=release.product.portfolio_id, actor=actor, verb="release.updated"
            )
    except IntegrityError as exc:
        raise InvalidInput(fields={"version": TAKEN}) from exc
    return release


def release_ship(*, release_id: int, actor=None, override: bool = False, reason: str = "") -> Release:
    """Mark a release shipped, now; emits `release.shipped` (lifecycle rules listen).

    Raises ReleaseAlreadyShipped (409), ReleaseHasOpenItems (409, `open_items`) while an item is
    neither done nor dropped and no override is given, InvalidInput when an override has no reason.
    Locks the product, then the release (the documented order): two ships, one wins.
    """
    reason = (reason or "").strip()
    if override and not reason:
        raise InvalidInput(fields={"reason": "Say why it ships with open items; the reason is kept with the release."})
    if len(reason) > 5000:
        raise InvalidInput(fields={"reason": "At most 5,000 characters."})
    with transaction.atomic():
        product_id = Release.objects.filter(pk=release_id).values_list("product_id", flat=True).first()
        if product_id is None:
            raise NotFound()
        product = Product.objects.select_for_update().get(pk=product_id)
        release = Release.objects.select_for_update().get(pk=release_id)
        if release.status == Release.Status.SHIPPED:
            raise ReleaseAlreadyShipped(f"{release.version} shipped on {release.shipped_at:%Y-%m-%d}.")
        open_items = list(
            release.items.exclude(status__in=FINISHED).order_by("horizon", "rank", "id").values("id", "title", "status")
        )
        if open_items and not override:
            raise ReleaseHasOpenItems(
                f"{len(open_items)} item(s) in {release.version} are neither done nor dropped: finish or drop them, "
                "move them to another release, or ship with an override and a reason.",
                open_items=open_items,
            )
        release.status, release.shipped_at, release.shipped_by = Release.Status.SHIPPED, timezone.now(), actor
        release.ship_reason = reason
        if not getattr(actor, "is_authenticated", False):
            release.shipped_by = None
        release.save(update_fields=["status", "shipped_at", "shipped_by", "ship_reason"])
        events.record(
            portfolio_id=product.portfolio_id,
            actor=actor,
            verb="release.shipped",
            obj=release,
            changes={
                "status": [Release.Status.PLANNED, Release.Status.SHIPPED],
                "shipped_at": [None, release.shipped_at],
            },
            data={
                "product": product.id,
                "version": release.version,
                "override": bool(open_items),
                "reason": reason,
                "open_items": open_items,
            },
        )
    return release


def release_delete(*, release_id: int, actor=None) -> str:
    """Delete a release; its items stay on the roadmap without one. Returns its version."""
    with transaction.atomic():
        release = _locked(release_id)
        events.record(
            portfolio_id=release.product.portfolio_id,
            actor=actor,
            verb="release.deleted",
            obj=release,
            data={"version": release.version, "items_kept": release.items.count()},
        )
        version = release.version
        release.delete()
    return version
