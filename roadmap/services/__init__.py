"""Every write to roadmap items, releases, dependencies and scoring weights (callers import from here).

Each service runs in one transaction, takes locks in the documented order (portfolio → product → the
product's items and releases) and records a domain event for every change.
"""

from roadmap.services.dependencies import (
    dependency_create,
    dependency_delete,
    scoring_weights_of,
    scoring_weights_save,
)
from roadmap.services.items import (
    ITEM_FIELDS,
    BoardChanged,
    item_clean,
    owner_by_username,
    roadmap_item_create,
    roadmap_item_delete,
    roadmap_item_move,
    roadmap_item_move_before,
    roadmap_item_update,
)
from roadmap.services.releases import (
    RELEASE_FIELDS,
    ReleaseAlreadyShipped,
    ReleaseHasOpenItems,
    release_create,
    release_delete,
    release_ship,
    release_update,
)

__all__ = [
    "ITEM_FIELDS",
    "BoardChanged",
    "RELEASE_FIELDS",
    "ReleaseAlreadyShipped",
    "ReleaseHasOpenItems",
    "dependency_create",
    "dependency_delete",
    "item_clean",
    "owner_by_username",
    "release_create",
    "release_delete",
    "release_ship",
    "release_update",
    "roadmap_item_create",
    "roadmap_item_delete",
    "roadmap_item_move",
    "roadmap_item_move_before",
    "roadmap_item_update",
    "scoring_weights_of",
    "scoring_weights_save",
]
