import pytest

from tests.factories import ProductFactory, member

pytestmark = pytest.mark.django_db


def test_dashboard_renders_for_member(client):
    product = ProductFactory()
    client.force_login(member(product.portfolio, "viewer"))
    response = client.get(f"/portfolios/{product.portfolio_id}/")
    assert response.status_code == 200
    assert product.name in response.content.decode()
