"""The admin writes status book entries through products.services.status_book: its checks as form errors, one
event per write."""

import pytest

from products.models import DomainEvent, Role, StatusBookEntry
from tests.factories import ProductFactory, StatusBookEntryFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _form(product, author, **extra):
    return {
        "product": product.id,
        "author": author.id,
        "date": "2026-03-02",
        "category": "daily",
        "minutes": "60",
        "text": "Sales questions",
        **extra,
    }


def test_admin_add_goes_through_the_service(staff):
    product = ProductFactory()
    author = member(product.portfolio, Role.PRODUCT_MANAGER)
    response = staff.post("/admin/products/statusbookentry/add/", _form(product, author))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = StatusBookEntry.objects.get()
    assert entry.author == author
    assert DomainEvent.objects.filter(verb="status_book_entry.created", object_id=entry.id).count() == 1


def test_admin_author_who_does_not_write_in_the_portfolio_is_a_form_error(staff):
    product = ProductFactory()
    response = staff.post("/admin/products/statusbookentry/add/", _form(product, member(product.portfolio, "viewer")))
    assert response.status_code == 200
    assert "An admin or product manager of this portfolio." in response.content.decode()
    assert not StatusBookEntry.objects.exists()


def test_admin_change_and_delete_record_events(staff):
    entry = StatusBookEntryFactory(minutes=30)
    response = staff.post(
        f"/admin/products/statusbookentry/{entry.id}/change/", _form(entry.product, entry.author, minutes="90")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert DomainEvent.objects.get(verb="status_book_entry.updated").changes["minutes"] == [30, 90]
    response = staff.post(f"/admin/products/statusbookentry/{entry.id}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not StatusBookEntry.objects.exists()
    assert DomainEvent.objects.filter(verb="status_book_entry.deleted").exists()


def test_admin_list_and_add_form_open(staff):
    StatusBookEntryFactory()
    assert staff.get("/admin/products/statusbookentry/").status_code == 200
    assert staff.get("/admin/products/statusbookentry/add/").status_code == 200
