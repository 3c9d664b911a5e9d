"""The admin writes insights, competitors and moves through products.services.market: rules and events as
on the pages and in the API."""

import pytest

from products.models import Competitor, CompetitorMove, DomainEvent, MarketInsight
from tests.factories import (
    CompetitorFactory,
    CompetitorMoveFactory,
    MarketInsightFactory,
    PortfolioFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_insight_add_goes_through_the_service(staff):
    portfolio = PortfolioFactory()
    product = ProductFactory(portfolio=portfolio)
    body = {
        "portfolio": portfolio.id,
        "kind": "trend",
        "title": "Admin insight",
        "observed_on": "2026-03-02",
        "impact": "low",
        "products": [product.id],
    }
    response = staff.post("/admin/products/marketinsight/add/", body)
    assert response.status_code == 302, response.content.decode()[:2000]
    insight = MarketInsight.objects.get(title="Admin insight")
    assert list(insight.products.all()) == [product]
    assert DomainEvent.objects.filter(verb="market_insight.created", object_id=insight.id).exists()


def test_admin_insight_with_a_product_of_another_portfolio_is_a_form_error(staff):
    insight = MarketInsightFactory()
    body = {
        "kind": "trend",
        "title": "T",
        "observed_on": "2026-03-02",
        "impact": "low",
        "products": [ProductFactory().id],
    }
    response = staff.post(f"/admin/products/marketinsight/{insight.id}/change/", body)
    assert response.status_code == 200 and "Choose products of this portfolio." in response.content.decode()
    assert insight.products.count() == 0


def test_admin_competitor_with_a_taken_name_is_a_form_error(staff):
    taken = CompetitorFactory(name="Rival")
    response = staff.post(
        "/admin/products/competitor/add/", {"portfolio": taken.portfolio_id, "name": "Rival", "threat": "high"}
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert Competitor.objects.count() == 1


def test_admin_move_response_goes_through_the_service(staff):
    move = CompetitorMoveFactory()
    body = {
        "competitor": move.competitor_id,
        "kind": move.kind,
        "happened_on": "2026-03-01",
        "description": move.description,
        "response": "Matched in large deals",
        "response_status": "done",
    }
    response = staff.post(f"/admin/products/competitormove/{move.id}/change/", body)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert DomainEvent.objects.get(verb="competitor_move.updated").changes["response_status"] == ["none", "done"]


def test_admin_delete_of_a_competitor_records_it(staff):
    competitor = CompetitorFactory()
    response = staff.post(f"/admin/products/competitor/{competitor.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Competitor.objects.exists() and not CompetitorMove.objects.exists()
    assert DomainEvent.objects.filter(verb="competitor.deleted").exists()
