"""Stale edits: every object read carries an ETag; a PUT/PATCH/DELETE with a stale If-Match is 412 and
overwrites nothing (API-CONTRACT "Everywhere"). pmflow/api.py PortfolioScopedViewSet."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

import products.services
from kpis.models import KPI
from products.models import LifecycleRule, Portfolio, Product, ProductLine, Role
from tests.factories import member

pytestmark = pytest.mark.django_db

RESOURCES = {
    "portfolios": (Portfolio, lambda w: w.portfolio),
    "product-lines": (ProductLine, lambda w: w.line),
    "products": (Product, lambda w: w.product),
    "lifecycle-rules": (LifecycleRule, lambda w: w.rule),
    "kpis": (KPI, lambda w: w.kpi),
}
DELETABLE = ["product-lines", "products", "lifecycle-rules", "kpis"]


def _url(world, resource):
    return f"/api/v1/{resource}/{RESOURCES[resource][1](world).id}/"


def _name(world, resource):
    model, obj = RESOURCES[resource]
    return model.objects.get(pk=obj(world).pk).name


@pytest.fixture
def admin(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    return api_client


@pytest.mark.parametrize("resource", RESOURCES)
def test_object_read_carries_a_strong_etag(admin, world, resource):
    response = admin.get(_url(world, resource))
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10  # strong: no W/ prefix


def test_etag_is_the_same_while_the_object_is_unchanged(admin, world):
    assert admin.get(_url(world, "products")).headers["ETag"] == admin.get(_url(world, "products")).headers["ETag"]


def test_etag_changes_when_the_object_changes(admin, world):
    before = admin.get(_url(world, "products")).headers["ETag"]
    Product.objects.filter(pk=world.product.pk).update(description="changed behind the reader's back")
    assert admin.get(_url(world, "products")).headers["ETag"] != before


@pytest.mark.parametrize("resource", RESOURCES)
def test_patch_with_the_current_etag_is_applied(admin, world, resource):
    etag = admin.get(_url(world, resource)).headers["ETag"]
    response = admin.patch(_url(world, resource), {"name": "Renamed"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.data
    assert _name(world, resource) == "Renamed"


@pytest.mark.parametrize("resource", RESOURCES)
def test_write_response_carries_the_etag_the_next_read_gives(admin, world, resource):
    etag = admin.get(_url(world, resource)).headers["ETag"]
    written = admin.patch(_url(world, resource), {"name": "Renamed"}, HTTP_IF_MATCH=etag).headers["ETag"]
    assert written != etag
    assert written == admin.get(_url(world, resource)).headers["ETag"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_patch_with_a_stale_etag_is_412_and_writes_nothing(admin, world, resource):
    stale = admin.get(_url(world, resource)).headers["ETag"]
    assert admin.patch(_url(world, resource), {"name": "First writer"}, HTTP_IF_MATCH=stale).status_code == 200
    response = admin.patch(_url(world, resource), {"name": "Second writer"}, HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert "changed since you read it" in response.json()["detail"]
    assert _name(world, resource) == "First writer"


def test_put_with_a_stale_etag_is_412_and_writes_nothing(admin, world):
    url = _url(world, "product-lines")
    stale = admin.get(url).headers["ETag"]
    ProductLine.objects.filter(pk=world.line.pk).update(description="someone else's edit")
    body = {"portfolio": world.portfolio.id, "name": "Overwrite", "description": "mine"}
    assert admin.put(url, body, HTTP_IF_MATCH=stale).status_code == 412
    line = ProductLine.objects.get(pk=world.line.pk)
    assert (line.name, line.description) == (world.line.name, "someone else's edit")


@pytest.mark.parametrize("resource", DELETABLE)
def test_delete_with_a_stale_etag_is_412_and_deletes_nothing(admin, world, resource):
    model, obj = RESOURCES[resource]
    stale = admin.get(_url(world, resource)).headers["ETag"]
    model.objects.filter(pk=obj(world).pk).update(name="Renamed meanwhile")
    assert admin.delete(_url(world, resource), HTTP_IF_MATCH=stale).status_code == 412
    assert model.objects.filter(pk=obj(world).pk).exists()


def test_delete_with_the_current_etag_deletes(admin, world):
    etag = admin.get(_url(world, "lifecycle-rules")).headers["ETag"]
    assert admin.delete(_url(world, "lifecycle-rules"), HTTP_IF_MATCH=etag).status_code == 204
    assert not LifecycleRule.objects.filter(pk=world.rule.pk).exists()


@pytest.mark.parametrize("header", [{}, {"HTTP_IF_MATCH": "*"}], ids=["no If-Match", "If-Match: *"])
def test_unconditional_writes_are_still_accepted(admin, world, header):
    Product.objects.filter(pk=world.product.pk).update(description="changed")
    assert admin.patch(_url(world, "products"), {"name": "Renamed"}, **header).status_code == 200
    assert Product.objects.get(pk=world.product.pk).name == "Renamed"


def test_one_current_etag_in_a_list_is_enough(admin, world):
    etag = admin.get(_url(world, "products")).headers["ETag"]
    response = admin.patch(_url(world, "products"), {"name": "Renamed"}, HTTP_IF_MATCH=f'"old", {etag}')
    assert response.status_code == 200


def test_a_weak_etag_does_not_satisfy_if_match(admin, world):
    etag = admin.get(_url(world, "products")).headers["ETag"]
    assert admin.patch(_url(world, "products"), {"name": "Renamed"}, HTTP_IF_MATCH=f"W/{etag}").status_code == 412


def test_if_none_match_with_the_current_etag_is_304_without_a_body(admin, world):
    etag = admin.get(_url(world, "kpis")).headers["ETag"]
    response = admin.get(_url(world, "kpis"), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.headers["ETag"] == etag and response.content == b""


def test_if_none_match_with_an_old_etag_gets_the_object(admin, world):
    response = admin.get(_url(world, "kpis"), HTTP_IF_NONE_MATCH='"old"')
    assert response.status_code == 200 and response.json()["id"] == world.kpi.id


def test_a_stale_if_match_on_a_foreign_object_is_still_404(api_client, world):
    api_client.force_authenticate(member(world.portfolio, None))
    assert api_client.patch(_url(world, "products"), {"name": "x"}, HTTP_IF_MATCH='"stale"').status_code == 404


def test_a_stale_if_match_from_a_viewer_is_still_403(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    assert api_client.patch(_url(world, "products"), {"name": "x"}, HTTP_IF_MATCH='"stale"').status_code == 403


def test_bad_input_with_the_current_etag_is_still_400(admin, world):
    etag = admin.get(_url(world, "products")).headers["ETag"]
    response = admin.patch(_url(world, "products"), {"name": ""}, HTTP_IF_MATCH=etag)
    assert response.status_code == 400 and "name" in response.json()


# --- the schema says so ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    return response.json()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_schema_documents_if_match_and_412_on_object_writes(schema, method):
    operation = schema["paths"]["/api/v1/products/{id}/"][method]
    assert any(p["in"] == "header" and p["name"] == "If-Match" for p in operation["parameters"])
    assert operation["responses"]["412"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_schema_documents_the_etag_header_on_object_reads(schema):
    operation = schema["paths"]["/api/v1/kpis/{id}/"]["get"]
    assert operation["responses"]["200"]["headers"]["ETag"]["required"] is True
    assert "304" in operation["responses"]
    assert any(p["in"] == "header" and p["name"] == "If-None-Match" for p in operation["parameters"])


def test_schema_leaves_lists_and_actions_unconditional(schema):
    for path, method in [("/api/v1/products/", "get"), ("/api/v1/products/{id}/transition/", "post")]:
        operation = schema["paths"][path][method]
        assert "412" not in operation["responses"]
        assert not any(p["name"] == "If-Match" for p in operation.get("parameters", []))


# --- two writers with the same ETag: one wins (PostgreSQL row locks) ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_etag_one_wins(world, monkeypatch):
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("needs PostgreSQL: SQLite has no row locks (run with DATABASE_URL=postgres://…)")
    user = member(world.portfolio, Role.ADMIN)
    url = _url(world, "products")
    reader = APIClient()
    reader.force_authenticate(user)
    etag = reader.get(url).headers["ETag"]

    real_update = products.services.product_update

    def slow_update(**kwargs):
        time.sleep(0.3)  # both writers are inside their request when the first one writes
        return real_update(**kwargs)

    monkeypatch.setattr(products.services, "product_update", slow_update)
    start = threading.Barrier(2)
    statuses = []

    def write(name):
        client = APIClient()
        client.force_authenticate(user)
        try:
            start.wait(timeout=5)
            statuses.append(client.patch(url, {"name": name}, HTTP_IF_MATCH=etag).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(f"Writer {n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(statuses) == [200, 412]
