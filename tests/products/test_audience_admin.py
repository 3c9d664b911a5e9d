"""The admin writes segments and personas through products.services.audience: rules and events as
everywhere else."""

import json

import pytest

from products.models import DomainEvent, Persona, Segment
from tests.factories import PersonaFactory, PortfolioFactory, ProductFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_segment_add_goes_through_the_service(staff):
    product = ProductFactory()
    response = staff.post(
        "/admin/products/segment/add/",
        {"portfolio": product.portfolio_id, "name": "Retailers", "priority": "4", "products": [product.id]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    segment = Segment.objects.get(name="Retailers")
    assert list(segment.products.all()) == [product]
    assert DomainEvent.objects.get(verb="segment.created").changes["products"] == [None, [product.id]]


def test_admin_segment_with_another_portfolios_product_is_a_form_error(staff):
    portfolio = PortfolioFactory()
    response = staff.post(
        "/admin/products/segment/add/",
        {"portfolio": portfolio.id, "name": "Retailers", "priority": "3", "products": [ProductFactory().id]},
    )
    assert response.status_code == 200 and "Choose products of this portfolio." in response.content.decode()
    assert not Segment.objects.exists()


def test_admin_persona_with_a_bad_journey_is_a_form_error(staff):
    persona = PersonaFactory(name="Olivia")
    journey = [{"stage": "Awareness", "owner": "me"}]
    response = staff.post(
        f"/admin/products/persona/{persona.id}/change/", {"name": "Olivia", "journey": json.dumps(journey)}
    )
    assert response.status_code == 200 and "unknown field “owner”" in response.content.decode()
    persona.refresh_from_db()
    assert persona.journey == [] and not DomainEvent.objects.exists()


def test_admin_persona_change_records_the_event(staff):
    segment = SegmentFactory()
    persona = PersonaFactory(portfolio=segment.portfolio, name="Olivia")
    journey = [{"stage": "Awareness", "touchpoints": "Ads", "pains": "", "opportunities": ""}]
    response = staff.post(
        f"/admin/products/persona/{persona.id}/change/",
        {"name": "Olivia", "segment": segment.id, "journey": json.dumps(journey)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    persona.refresh_from_db()
    assert persona.segment == segment and persona.journey == journey
    assert set(DomainEvent.objects.get(verb="persona.updated").changes) == {"segment", "journey"}


def test_admin_deletes_through_the_service(staff):
    persona = PersonaFactory()
    response = staff.post(f"/admin/products/persona/{persona.id}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Persona.objects.exists()
    assert DomainEvent.objects.filter(verb="persona.deleted").exists()
