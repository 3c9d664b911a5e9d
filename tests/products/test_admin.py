"""Every model has an admin, and its list and add/change pages render for a superuser."""

import pytest
from django.contrib import admin

from kpis.models import KPI, Measurement, Rollup
from products.models import LifecycleRule, Membership, Portfolio, Product, ProductLine, StageTransition

pytestmark = pytest.mark.django_db
MODELS = [Portfolio, Membership, ProductLine, Product, StageTransition, LifecycleRule, KPI, Measurement, Rollup]


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
