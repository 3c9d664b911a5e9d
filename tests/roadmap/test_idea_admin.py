"""The Idea admin writes through products.services.ideas: an event per write, insights of the same
portfolio only, the decision read-only."""

import pytest

from products.models import DomainEvent, Idea
from tests.factories import IdeaFactory, MarketInsightFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_add_goes_through_the_service(staff):
    product = ProductFactory()
    insight = MarketInsightFactory(portfolio=product.portfolio)
    response = staff.post(
        "/admin/products/idea/add/",
        {"product": product.id, "title": "Admin idea", "description": "", "insights": [insight.id]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    idea = Idea.objects.get(title="Admin idea")
    assert list(idea.insights.all()) == [insight] and idea.status == "concept"
    assert DomainEvent.objects.filter(verb="idea.created", object_id=idea.id).count() == 1


def test_admin_insight_of_another_portfolio_is_a_form_error(staff):
    product = ProductFactory()
    response = staff.post(
        "/admin/products/idea/add/",
        {"product": product.id, "title": "Crossed", "description": "", "insights": [MarketInsightFactory().id]},
    )
    assert response.status_code == 200 and "Choose market insights of this portfolio." in response.content.decode()
    assert not Idea.objects.exists()


def test_admin_change_keeps_the_status_and_records_the_change(staff):
    idea = IdeaFactory(status="rejected", decision_reason="No", title="Before")
    response = staff.post(
        f"/admin/products/idea/{idea.id}/change/", {"title": "After", "description": "", "status": "accepted"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    idea.refresh_from_db()
    assert (idea.title, idea.status) == ("After", "rejected")
    assert DomainEvent.objects.filter(verb="idea.updated", object_id=idea.id).count() == 1


def test_admin_delete_goes_through_the_service(staff):
    idea = IdeaFactory()
    response = staff.post(f"/admin/products/idea/{idea.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Idea.objects.exists()
    assert DomainEvent.objects.filter(verb="idea.deleted", object_id=idea.id).count() == 1
