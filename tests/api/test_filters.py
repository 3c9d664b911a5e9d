"""Filters are no existence oracle: another portfolio's id answers exactly like an id that does not exist."""

import pytest

from tests.factories import (
    KPIFactory,
    LifecycleRuleFactory,
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
    member,
)

pytestmark = pytest.mark.django_db

UNKNOWN = 2**62


@pytest.fixture
def foreign(world):
    """Another portfolio with one of everything; the requester (an admin of `world`) is not a member."""
    portfolio = PortfolioFactory()
    line = ProductLineFactory(portfolio=portfolio)
    product = ProductFactory(portfolio=portfolio, product_line=line)
    KPIFactory(product=product, key="revenue")
    LifecycleRuleFactory(portfolio=portfolio)
    return {"portfolio": portfolio.id, "product_line": line.id, "product": product.id}


FK_FILTERS = [
    ("/api/v1/product-lines/", "portfolio"),
    ("/api/v1/products/", "portfolio"),
    ("/api/v1/products/", "product_line"),
    ("/api/v1/lifecycle-rules/", "portfolio"),
    ("/api/v1/kpis/", "portfolio"),
    ("/api/v1/kpis/", "product_line"),
    ("/api/v1/kpis/", "product"),
    ("/api/v1/rollups/?key=revenue&", "portfolio"),
    ("/api/v1/rollups/?key=revenue&", "product_line"),
]


@pytest.mark.parametrize("url, name", FK_FILTERS)
def test_a_foreign_id_in_a_filter_answers_like_an_unknown_one(api_client, world, foreign, url, name):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    sep = "" if url.endswith("&") else "?"
    as_foreign = api_client.get(f"{url}{sep}{name}={foreign[name]}")
    as_unknown = api_client.get(f"{url}{sep}{name}={UNKNOWN}")
    assert as_foreign.status_code == as_unknown.status_code
    assert as_foreign.json() == as_unknown.json()


@pytest.mark.parametrize("url, name", [f for f in FK_FILTERS if "rollups" not in f[0]])
def test_an_own_id_in_a_filter_still_filters(api_client, world, url, name):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    own = {"portfolio": world.portfolio.id, "product_line": world.line.id, "product": world.product.id}[name]
    response = api_client.get(f"{url}?{name}={own}")
    assert response.status_code == 200 and response.json()["count"] >= 1


@pytest.mark.parametrize(
    "url, query",
    [
        ("/api/v1/products/", "stage=bogus"),
        ("/api/v1/lifecycle-rules/", "is_active=maybe"),
        ("/api/v1/lifecycle-rules/", "from_stage=bogus"),
        ("/api/v1/kpis/", "headline=perhaps"),
        ("/api/v1/kpis/", "health=bogus"),
    ],
)
def test_an_invalid_filter_value_is_a_400_not_ignored(api_client, world, url, query):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    response = api_client.get(f"{url}?{query}")
    assert response.status_code == 400 and query.split("=")[0] in response.json()


@pytest.mark.parametrize(
    "url, message",
    [
        ("/api/v1/kpis/{kpi}/rollups/?format=csv&granularity=bogus", "granularity"),
        ("/api/v1/rollups/?format=csv&key=revenue", "portfolio or a product_line"),
        ("/api/v1/kpis/999999/rollups/?format=csv", "Not found"),
    ],
)
def test_a_csv_error_keeps_its_message(api_client, world, url, message):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    response = api_client.get(url.format(kpi=world.kpi.id))
    assert response.status_code in (400, 404)
    assert response.content.decode().startswith("field,message") and message in response.content.decode()
