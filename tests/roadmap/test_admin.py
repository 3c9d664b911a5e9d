"""The admin writes roadmap rows through the services: ranks, rules and events as everywhere else."""

import pytest

from products.models import DomainEvent
from roadmap.models import Release, RoadmapDependency, RoadmapItem
from tests.factories import ProductFactory, RoadmapItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_admin_item_add_goes_through_the_service(staff):
    product = ProductFactory()
    RoadmapItemFactory(product=product, horizon="now", rank=0)
    response = staff.post(
        "/admin/roadmap/roadmapitem/add/",
        {"product": product.id, "kind": "feature", "title": "Admin feature", "status": "proposed", "horizon": "now"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item = RoadmapItem.objects.get(title="Admin feature")
    assert item.rank == 1  # appended to its column by the service
    assert DomainEvent.objects.filter(verb="roadmap_item.created", object_id=item.id).exists()


def test_admin_item_with_a_parent_of_another_product_is_a_form_error(staff):
    product = ProductFactory()
    foreign_parent = RoadmapItemFactory(kind="initiative")
    response = staff.post(
        "/admin/roadmap/roadmapitem/add/",
        {
            "product": product.id,
            "kind": "feature",
            "title": "Orphan",
            "status": "proposed",
            "horizon": "later",
            "parent": foreign_parent.id,
        },
    )
    assert response.status_code == 200
    assert "another product" in response.content.decode()
    assert not RoadmapItem.objects.filter(title="Orphan").exists()


def test_admin_dependency_that_closes_a_cycle_is_a_form_error(staff):
    product = ProductFactory()
    first, second = RoadmapItemFactory(product=product), RoadmapItemFactory(product=product, rank=1)
    RoadmapDependency.objects.create(item=first, depends_on=second, kind="blocks")
    response = staff.post(
        "/admin/roadmap/roadmapdependency/add/", {"item": second.id, "depends_on": first.id, "kind": "blocks"}
    )
    assert response.status_code == 200
    assert "would close a cycle" in response.content.decode()
    assert RoadmapDependency.objects.count() == 1


def test_admin_release_add_goes_through_the_service_and_a_taken_version_is_a_form_error(staff):
    product = ProductFactory()
    data = {"product": product.id, "version": "4.0", "name": "", "description": "", "status": "planned"}
    assert staff.post("/admin/roadmap/release/add/", data).status_code == 302
    release = Release.objects.get(product=product, version="4.0")
    assert DomainEvent.objects.filter(verb="release.created", object_id=release.id).exists()
    response = staff.post("/admin/roadmap/release/add/", data)
    assert response.status_code == 200 and "Version already exists" in response.content.decode()  # the model's check
    assert Release.objects.filter(product=product).count() == 1


def test_admin_release_date_outside_the_years_is_a_form_error(staff):
    product = ProductFactory()
    data = {"product": product.id, "version": "4.0", "target_date": "0001-01-01", "status": "planned"}
    response = staff.post("/admin/roadmap/release/add/", data)
    assert response.status_code == 200 and "between the years 1900 and 2200" in response.content.decode()
    assert not Release.objects.exists() and not DomainEvent.objects.exists()


def test_admin_item_delete_goes_through_the_service(staff):
    item = RoadmapItemFactory(horizon="now", rank=0)
    other = RoadmapItemFactory(product=item.product, horizon="now", rank=1)
    assert staff.post(f"/admin/roadmap/roadmapitem/{item.id}/delete/", {"post": "yes"}).status_code == 302
    other.refresh_from_db()
    assert other.rank == 0  # the gap closed by the service
    assert DomainEvent.objects.filter(verb="roadmap_item.deleted", object_id=item.id).exists()
