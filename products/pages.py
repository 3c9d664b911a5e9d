"""What other apps add to the products' pages, registered from their AppConfig.ready().

`products` must not import the apps to its right, yet the dashboard shows each product's headline KPI
and the product page shows its KPI charts: kpis plugs those in here.
"""

from collections.abc import Callable
from dataclasses import dataclass

from products.models import Product

CardProvider = Callable[[list[Product]], dict[int, dict]]


@dataclass(frozen=True)
class Panel:
    """A section of the product page: `template` rendered with `context(product, request)`."""

    key: str
    template: str
    context: Callable


card_providers: list[CardProvider] = []
product_panels: list[Panel] = []


def register_card_provider(provider: CardProvider) -> None:
    """`provider(products)` returns {product_id: extra fields for that product's dashboard card}."""
    if provider not in card_providers:
        card_providers.append(provider)


def register_product_panel(panel: Panel) -> None:
    if panel.key not in {p.key for p in product_panels}:
        product_panels.append(panel)


def cards_for(products: list[Product]) -> dict[int, dict]:
    cards: dict[int, dict] = {p.id: {} for p in products}
    for provider in card_providers:
        for product_id, extra in provider(products).items():
            cards.setdefault(product_id, {}).update(extra)
    return cards


def panels_for(product: Product, request) -> list[dict]:
    return [{"template": p.template, **p.context(product, request)} for p in product_panels]
