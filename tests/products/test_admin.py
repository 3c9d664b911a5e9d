"""Every model has an admin, and its list and add/change pages render for a superuser."""

import pytest
from django.contrib import admin

from kpis.models import KPI, Measurement, Rollup
from products.models import DomainEvent, LifecycleRule, Membership, Portfolio, Product, ProductLine, StageTransition
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
MODELS = [
    Portfolio,
    Membership,
    ProductLine,
    Product,
    StageTransition,
    LifecycleRule,
    KPI,
    Measurement,
    Rollup,
    DomainEvent,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_is_in_the_admin(model):
    assert admin.site.is_registered(model)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_changelist_renders(admin_client, world, model):
    meta = model._meta
    assert admin_client.get(f"/admin/{meta.app_label}/{meta.model_name}/").status_code == 200


def test_stage_ledger_is_read_only_in_the_admin(admin_client, world):
    assert admin_client.get("/admin/products/stagetransition/add/").status_code == 403


def test_admin_product_add_writes_the_first_ledger_row(admin_client, world):
    response = admin_client.post(
        "/admin/products/product/add/",
        {"portfolio": world.portfolio.id, "name": "From admin", "description": "x"},
    )
    assert response.status_code == 302, response.content[:2000]
    product = Product.objects.get(name="From admin")
    assert list(product.transitions.values_list("to_stage", flat=True)) == ["ideation"]


def test_admin_shows_a_domain_error_as_a_form_error(admin_client, world):
    response = admin_client.post(
        "/admin/products/product/add/",
        {"portfolio": world.portfolio.id, "name": world.product.name, "description": "x"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode() or "exists in the portfolio" in response.content.decode()
    assert Product.objects.filter(name=world.product.name).count() == 1


def test_admin_rule_with_bad_params_is_a_form_error(admin_client, world):
    response = admin_client.post(
        "/admin/products/lifecyclerule/add/",
        {
            "portfolio": world.portfolio.id,
            "name": "Bad",
            "from_stage": "launch",
            "to_stage": "growth",
            "condition_type": "kpi_threshold",
            "params": '{"key": "revenue", "comparator": "gte", "value": "1e9999999"}',
            "mode": "auto",
            "is_active": "on",
        },
    )
    assert response.status_code == 200 and not LifecycleRule.objects.filter(name="Bad").exists()


def test_admin_edits_go_through_the_services_and_leave_events(admin_client, world):
    product = world.product
    response = admin_client.post(
        f"/admin/products/product/{product.id}/change/",
        {"name": "Renamed in admin", "description": product.description, "product_line": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    event = DomainEvent.objects.get(verb="product.updated", object_id=product.id)
    assert event.changes["name"] == [product.name, "Renamed in admin"]


def test_admin_cannot_delete_the_last_admin(admin_client, world):
    only_admin = Membership.objects.create(portfolio=world.portfolio, user=UserFactory(), role="admin")
    admin_client.post(f"/admin/products/membership/{only_admin.id}/delete/", {"post": "yes"})
    assert Membership.objects.filter(pk=only_admin.id).exists()
