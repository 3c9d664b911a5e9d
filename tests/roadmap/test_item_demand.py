"""The demand behind roadmap items (products.demand): read-only `demand_count`, `demand_weight` and
`demand_deal_value` on the API with `?ordering=demand`, a Demand column on the items table sorted by it, the
item form's hint with the count as RICE reach, and lists that cost the same at 1x and 10x."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products.models import Role
from roadmap.services import roadmap_item_update
from tests.factories import FeedbackFactory, PortfolioFactory, ProductFactory, RoadmapItemFactory, member

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/roadmap-items/"


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(name="Acme"), name="Nebula")


def _asked(item, *pieces):
    """Link feedback of (importance, deal value) to the item, through the roadmap's service."""
    rows = [FeedbackFactory(product=item.product, importance=i, deal_value=d) for i, d in pieces]
    roadmap_item_update(item_id=item.id, feedback=rows)
    return rows


@pytest.fixture
def house(product):
    """Loud: many small voices; rich: one big deal; heavy: few but important; quiet: none."""
    items = {
        name: RoadmapItemFactory(product=product, title=name.capitalize())
        for name in ("loud", "rich", "heavy", "quiet")
    }
    _asked(items["loud"], (1, None), (1, None), (1, None), (2, None))
    _asked(items["rich"], (5, Decimal("90000")))
    _asked(items["heavy"], (5, None), (5, Decimal("10")))
    return items


def _api(product, role=Role.VIEWER) -> APIClient:
    client = APIClient()
    client.force_authenticate(member(product.portfolio, role))
    return client


def test_an_item_carries_its_demand_read_only(product, house):
    client = _api(product, Role.PRODUCT_MANAGER)
    body = client.get(f"{ITEMS}{house['heavy'].id}/").json()
    assert (body["demand_count"], body["demand_weight"], body["demand_deal_value"]) == (2, 10, 10.0)
    patched = client.patch(f"{ITEMS}{house['heavy'].id}/", {"demand_count": 99, "demand_weight": 1}).json()
    assert (patched["demand_count"], patched["demand_weight"]) == (2, 10)


def test_an_item_without_feedback_has_zero_demand(product, house):
    body = _api(product).get(f"{ITEMS}{house['quiet'].id}/").json()
    assert (body["demand_count"], body["demand_weight"], body["demand_deal_value"]) == (0, 0, 0.0)


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def test_ordering_by_demand_puts_the_most_wanted_first_weight_then_deal_value(product, house):
    client = _api(product)
    assert _titles(client.get(f"{ITEMS}?ordering=demand")) == ["Heavy", "Rich", "Loud", "Quiet"]
    assert _titles(client.get(f"{ITEMS}?ordering=-demand")) == ["Quiet", "Loud", "Rich", "Heavy"]


def test_ordering_by_each_figure(product, house):
    client = _api(product)
    assert _titles(client.get(f"{ITEMS}?ordering=-demand_count,title")) == ["Loud", "Heavy", "Rich", "Quiet"]
    assert _titles(client.get(f"{ITEMS}?ordering=-demand_deal_value"))[0] == "Rich"


def test_a_tie_in_weight_is_broken_by_deal_value_then_count(product):
    few = RoadmapItemFactory(product=product, title="Few")
    many = RoadmapItemFactory(product=product, title="Many")
    _asked(few, (4, None))
    _asked(many, (2, None), (2, None))
    assert _titles(_api(product).get(f"{ITEMS}?ordering=demand")) == ["Many", "Few"]


def test_the_items_table_shows_and_sorts_by_demand(client, product, house):
    client.force_login(member(product.portfolio, Role.VIEWER))
    page = client.get(f"/portfolios/{product.portfolio_id}/roadmap/items/?sort=-demand").content.decode()
    order = [page.index(f">{title}</a>") for title in ("Heavy", "Rich", "Loud", "Quiet")]
    assert order == sorted(order)
    assert 'data-label="Demand"' in page and "90k deals" in page and "90,000 in deals" in page
    assert '<option value="-demand" selected>Demand, most first</option>' in page


def test_the_items_table_sorts_least_demand_first_too(client, product, house):
    client.force_login(member(product.portfolio, Role.VIEWER))
    page = client.get(f"/portfolios/{product.portfolio_id}/roadmap/items/?sort=demand").content.decode()
    order = [page.index(f">{title}</a>") for title in ("Quiet", "Loud", "Rich", "Heavy")]
    assert order == sorted(order)


def test_the_item_form_says_how_many_ask_and_offers_the_count_as_reach(client, product, house):
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    page = client.get(f"/roadmap-items/{house['loud'].id}/edit/").content.decode()
    assert "4 pieces of feedback ask for this" in page
    assert 'data-fill-reach="id_reach" data-reach="4"' in page and "js/demand-reach.js" in page


def test_one_piece_of_feedback_asks_in_the_singular(client, product, house):
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    page = client.get(f"/roadmap-items/{house['rich'].id}/edit/").content.decode()
    assert "1 piece of feedback asks for this" in page


def test_the_item_form_without_feedback_has_no_hint(client, product, house):
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    page = client.get(f"/roadmap-items/{house['quiet'].id}/edit/").content.decode()
    assert "ask for this" not in page and "demand-reach.js" not in page


# --- the cost of the lists --------------------------------------------------------------------------------


def _fill(product, n: int) -> None:
    for _ in range(n):
        item = RoadmapItemFactory(product=product)
        _asked(item, (3, Decimal("100")), (5, None))


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        ITEMS,
        f"{ITEMS}?ordering=demand",
        f"{ITEMS}?format=csv&ordering=-demand_weight",
        "/portfolios/{portfolio}/roadmap/items/",
        "/portfolios/{portfolio}/roadmap/items/?sort=-demand",
    ],
)
def test_lists_cost_the_same_at_1x_and_10x(client, url):
    counts = []
    for n in (2, 20):
        product = ProductFactory()
        user = member(product.portfolio, Role.VIEWER)
        _fill(product, n)
        if url.startswith("/api/"):
            api = APIClient()
            api.force_authenticate(user)
            counts.append(_queries(api, url))
        else:
            client.force_login(user)
            counts.append(_queries(client, url.format(portfolio=product.portfolio_id)))
    assert counts[0] == counts[1], counts
