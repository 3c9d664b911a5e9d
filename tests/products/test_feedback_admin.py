"""The admin writes feedback through products.services.feedback: its checks as form errors, one event per write."""

import pytest

from products.models import DomainEvent, Feedback
from tests.factories import FeedbackFactory, IdeaFactory, ProductFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _form(product, **extra):
    return {
        "product": product.id,
        "source": "sales",
        "customer": "Acme",
        "text": "Needs SSO",
        "importance": "4",
        "received_on": "2026-03-02",
        **extra,
    }


def test_admin_feedback_add_goes_through_the_service(staff):
    product = ProductFactory()
    idea = IdeaFactory(product=product)
    response = staff.post("/admin/products/feedback/add/", _form(product, deal_value="100", ideas=[idea.id]))
    assert response.status_code == 302, response.content.decode()[:2000]
    row = Feedback.objects.get()
    assert list(row.ideas.all()) == [idea]
    assert DomainEvent.objects.filter(verb="feedback.created", object_id=row.id).count() == 1


def test_admin_segment_of_another_portfolio_is_a_form_error(staff):
    product = ProductFactory()
    response = staff.post("/admin/products/feedback/add/", _form(product, segment=SegmentFactory().id))
    assert response.status_code == 200
    assert "Choose a segment of this portfolio." in response.content.decode()
    assert not Feedback.objects.exists()


def test_admin_change_and_delete_record_events(staff):
    row = FeedbackFactory(importance=2)
    response = staff.post(f"/admin/products/feedback/{row.id}/change/", _form(row.product, importance="5"))
    assert response.status_code == 302
    assert DomainEvent.objects.get(verb="feedback.updated").changes["importance"] == [2, 5]
    response = staff.post(f"/admin/products/feedback/{row.id}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Feedback.objects.exists()
    assert DomainEvent.objects.filter(verb="feedback.deleted").exists()


def test_admin_list_and_add_form_open(staff):
    FeedbackFactory()
    assert staff.get("/admin/products/feedback/").status_code == 200
    assert staff.get("/admin/products/feedback/add/").status_code == 200
