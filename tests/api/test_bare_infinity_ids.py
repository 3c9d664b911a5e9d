"""A bare `1e9999999` (infinity once parsed), `true` or `1.5` in an id field is a 400 on the field, never a 500
or row 1: every scoped reference field of every app (products.api.serializers.ScopedPrimaryKeyField)."""

import pytest
from rest_framework.test import APIClient

from kpis.models import KPI
from products.models import DomainEvent, LifecycleRule, Product, ProductLine, Role
from tests.factories import ProductFactory, member

pytestmark = pytest.mark.django_db

RULE = '"name": "r", "from_stage": "launch", "to_stage": "growth", "condition_type": "kpi_threshold", "params": {}'
CASES = [
    ("/api/v1/products/", '{"portfolio": ID, "name": "New"}', "portfolio", Product),
    ("/api/v1/product-lines/", '{"portfolio": ID, "name": "New"}', "portfolio", ProductLine),
    ("/api/v1/kpis/", '{"product": ID, "key": "k", "name": "K"}', "product", KPI),
    ("/api/v1/lifecycle-rules/", '{"portfolio": ID, ' + RULE + "}", "portfolio", LifecycleRule),
]


@pytest.mark.parametrize("raw", ["1e9999999", "-1e9999999", "true", "1.5"])
@pytest.mark.parametrize("url, body, field, model", CASES)
def test_an_id_that_is_no_whole_number_is_a_400_on_its_field(url, body, field, model, raw):
    product = ProductFactory()
    client = APIClient()
    client.force_login(member(product.portfolio, Role.ADMIN))
    rows, events = model.objects.count(), DomainEvent.objects.count()
    response = client.generic("POST", url, body.replace("ID", raw), content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert (model.objects.count(), DomainEvent.objects.count()) == (rows, events)


def test_an_empty_string_is_no_id_in_a_json_body(api_client, world):
    from gtm.models import PressItem
    from tests.factories import PressItemFactory, member

    press = PressItemFactory(product=world.product)
    api_client.force_authenticate(member(world.portfolio, "admin"))
    response = api_client.patch(f"/api/v1/press-items/{press.id}/", {"launch_plan": ""}, format="json")
    assert response.status_code == 400 and "launch_plan" in response.json()
    assert PressItem.objects.get(pk=press.pk).updated_at == press.updated_at
