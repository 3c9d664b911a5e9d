"""The admin writes documents through products.services.documents (products/admin.py): a new body is the
next version, the archived rule and bad input as form errors, one event per write; versions and review
comments shown read-only."""

import pytest

from products.models import Document, DocumentVersion, DomainEvent
from products.services import documents as services
from tests.factories import DocumentCommentFactory, IdeaFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

INLINES = {
    f"{prefix}-{name}": value
    for prefix in ("versions", "comments")
    for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"), ("MAX_NUM_FORMS", "1000"))
}


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _form(**fields):
    return {"kind": "prd", "title": "Offline PRD", "body": "# Problem", "status": "draft", **INLINES, **fields}


def test_admin_add_goes_through_the_service(staff):
    product = ProductFactory()
    idea = IdeaFactory(product=product)
    response = staff.post("/admin/products/document/add/", _form(product=product.id, ideas=[idea.id]))
    assert response.status_code == 302, response.content.decode()[:2000]
    document = Document.objects.get()
    assert list(document.ideas.all()) == [idea]
    assert DocumentVersion.objects.filter(document=document, version=1).exists()
    assert DomainEvent.objects.filter(verb="document.created", object_id=document.id).count() == 1


def test_admin_change_of_the_body_is_the_next_version(staff):
    document = services.document_create(product=ProductFactory(), kind="prd", title="Offline PRD", body="# Problem")
    initial = {
        "versions-INITIAL_FORMS": "1",
        "versions-TOTAL_FORMS": "1",
        "versions-0-id": "",
        "versions-0-document": str(document.id),
    }
    version = DocumentVersion.objects.get(document=document)
    initial["versions-0-id"] = str(version.id)
    response = staff.post(
        f"/admin/products/document/{document.id}/change/", {**_form(body="# Problem\n\nMore."), **initial}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Document.objects.get(pk=document.pk).version == 2


def test_admin_change_of_an_archived_document_is_a_form_error(staff):
    document = services.document_create(
        product=ProductFactory(), kind="prd", title="Offline PRD", body="# Problem", status="archived"
    )
    version = DocumentVersion.objects.get(document=document)
    data = {**_form(title="Changed", status="archived"), "versions-INITIAL_FORMS": "1", "versions-TOTAL_FORMS": "1",
            "versions-0-id": str(version.id), "versions-0-document": str(document.id)}  # fmt: skip
    response = staff.post(f"/admin/products/document/{document.id}/change/", data)
    assert response.status_code == 200
    assert "set it back to draft" in response.content.decode()
    assert Document.objects.get(pk=document.pk).title == "Offline PRD"


def test_admin_bad_input_is_a_form_error_and_writes_nothing(staff):
    response = staff.post("/admin/products/document/add/", _form(product=ProductFactory().id, body="a\x00b"))
    assert response.status_code == 200
    assert not Document.objects.exists()


def test_admin_shows_versions_and_comments(staff):
    document = services.document_create(product=ProductFactory(), kind="prd", title="Offline PRD", body="# Problem")
    DocumentCommentFactory(document=document, body="Name the KPIs")
    html = staff.get(f"/admin/products/document/{document.id}/change/").content.decode()
    assert "Name the KPIs" in html


def test_admin_delete_goes_through_the_service(staff):
    document = services.document_create(product=ProductFactory(), kind="prd", title="Offline PRD")
    response = staff.post(f"/admin/products/document/{document.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Document.objects.exists()
    assert DomainEvent.objects.filter(verb="document.deleted").count() == 1
