"""Stage gate criteria roadmap owns: enough roadmap items, and a shipped release."""

from products.gates import CriterionParam, CriterionType, fact, register_criterion_type
from roadmap.models import Release, RoadmapItem


def _item_count(product) -> int:
    # Dropped items are decisions not to build: they do not count as a roadmap.
    return RoadmapItem.objects.filter(product=product).exclude(status=RoadmapItem.Status.DROPPED).count()


def _has_roadmap_items(product, params: dict, to_stage: str) -> str | None:
    wanted = params.get("min", 1)
    count = fact(product, "roadmap_item_count", lambda: _item_count(product))
    if count < wanted:
        have = "none" if count == 0 else f"only {count}"
        return f"The roadmap needs at least {wanted} item{'s' if wanted != 1 else ''} (not dropped); it has {have}."
    return None


def _release_shipped(product, params: dict, to_stage: str) -> str | None:
    shipped = fact(
        product,
        "release_shipped",
        lambda: Release.objects.filter(product=product, status=Release.Status.SHIPPED).exists(),
    )
    return None if shipped else "No release of the product has shipped."


def _items_words(params: dict) -> str:
    wanted = params.get("min", 1)
    return f"At least {wanted} roadmap item{'s' if wanted != 1 else ''} (not dropped)"


register_criterion_type(
    CriterionType(
        key="has_roadmap_items",
        label="Roadmap items",
        check=_has_roadmap_items,
        describe=_items_words,
        params=(
            CriterionParam(
                name="min",
                label="At least",
                default=1,
                minimum=1,
                maximum=1000,
                help_text="How many items, from 1 to 1,000.",
            ),
        ),
        order=40,
        help_text="Initiatives, features or requirements of the product that are not dropped.",
    )
)
register_criterion_type(
    CriterionType(
        key="release_shipped",
        label="A shipped release",
        check=_release_shipped,
        describe=lambda params: "A release of the product has shipped",
        order=50,
    )
)
