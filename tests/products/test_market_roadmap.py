"""Insights behind roadmap items: the API's `insights` id list (of the item's portfolio), the item form's
field, the item page's list (linking each insight's page), and the insight page that lists the item."""

import pytest
from rest_framework.test import APIClient

from products.models import Role
from roadmap.models import RoadmapItem
from tests.factories import MarketInsightFactory, PortfolioFactory, ProductFactory, RoadmapItemFactory, member

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/roadmap-items/"


@pytest.fixture
def product():
    return ProductFactory(name="Nebula")


@pytest.fixture
def manager(product):
    client = APIClient()
    client.force_authenticate(member(product.portfolio, Role.PRODUCT_MANAGER))
    return client


def test_an_item_is_created_with_the_insights_behind_it(manager, product):
    insight = MarketInsightFactory(portfolio=product.portfolio)
    response = manager.post(ITEMS, {"product": product.id, "kind": "feature", "title": "SSO", "insights": [insight.id]})
    assert response.status_code == 201, response.content
    assert response.json()["insights"] == [insight.id]
    assert list(RoadmapItem.objects.get().insights.all()) == [insight]


def test_an_insight_of_another_portfolio_of_mine_is_a_400_on_insights(product):
    user = member(product.portfolio, Role.ADMIN)
    other = PortfolioFactory()
    other.memberships.create(user=user, role=Role.ADMIN)
    client = APIClient()
    client.force_authenticate(user)
    item = RoadmapItemFactory(product=product)
    response = client.patch(f"{ITEMS}{item.id}/", {"insights": [MarketInsightFactory(portfolio=other).id]})
    assert response.status_code == 400
    assert response.json()["insights"] == ["Some market insights belong to another portfolio."]
    assert item.insights.count() == 0


def test_an_insight_i_cannot_see_is_a_400_that_names_nothing(manager, product):
    secret = MarketInsightFactory(title="Secret insight")
    item = RoadmapItemFactory(product=product)
    response = manager.patch(f"{ITEMS}{item.id}/", {"insights": [secret.id]})
    assert response.status_code == 400 and "insights" in response.json()
    assert "Secret insight" not in response.content.decode()


def test_the_item_form_links_insights_of_the_portfolio(client, product):
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    insight = MarketInsightFactory(portfolio=product.portfolio, title="Buyers expect SSO")
    MarketInsightFactory(title="Foreign insight")
    item = RoadmapItemFactory(product=product, kind="feature", title="SSO")
    page = client.get(f"/roadmap-items/{item.id}/edit/").content.decode()
    assert "Buyers expect SSO" in page and "Foreign insight" not in page
    body = {"kind": "feature", "title": "SSO", "status": "proposed", "horizon": "later", "insights": [insight.id]}
    response = client.post(f"/roadmap-items/{item.id}/edit/", body)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(item.insights.all()) == [insight]


def test_the_item_page_lists_its_insights_with_links(client, product):
    client.force_login(member(product.portfolio, Role.VIEWER))
    item = RoadmapItemFactory(product=product)
    insight = MarketInsightFactory(portfolio=product.portfolio, title="EU Data Act", kind="regulation")
    item.insights.add(insight)
    page = client.get(f"/roadmap-items/{item.id}/").content.decode()
    assert f'<a href="/insights/{insight.id}/">EU Data Act</a>' in page and "Regulation" in page
