"""The access policy registry (pmflow/access.py): one answer for pages and API alike."""

import pytest
from django.apps import apps

from kpis.models import KPI
from pmflow import access
from pmflow.errors import NotAllowed, NotFound
from products.models import Product, Role
from tests.factories import KPIFactory, ProductFactory, member

pytestmark = pytest.mark.django_db

APP_LABELS = ("products", "kpis", "roadmap", "gtm")


def test_every_model_of_the_apps_has_a_policy():
    models = [m for label in APP_LABELS for m in apps.get_app_config(label).get_models()]
    assert [m.__name__ for m in models if m not in access.policies] == []


def test_missing_and_foreign_objects_are_the_same_not_found():
    product = ProductFactory()
    stranger = member(product.portfolio, None)
    with pytest.raises(NotFound) as foreign:
        access.object_for_user(stranger, Product, product.id)
    with pytest.raises(NotFound) as missing:
        access.object_for_user(stranger, Product, product.id + 1000)
    assert foreign.value.as_dict() == missing.value.as_dict()


@pytest.mark.parametrize("pk", ["abc", None, "1e3", 2**70, -(2**70)])
def test_malformed_ids_are_not_found(pk):
    product = ProductFactory()
    with pytest.raises(NotFound):
        access.object_for_user(member(product.portfolio, Role.ADMIN), Product, pk)


@pytest.mark.parametrize(
    "role, allowed", [(Role.ADMIN, True), (Role.PRODUCT_MANAGER, True), (Role.MARKETER, False), (Role.VIEWER, False)]
)
def test_write_follows_the_registered_roles(role, allowed):
    kpi = KPIFactory()
    user = member(kpi.product.portfolio, role)
    assert access.object_for_user(user, KPI, kpi.id).id == kpi.id  # every member reads
    if allowed:
        assert access.object_for_user(user, KPI, kpi.id, action="write").id == kpi.id
    else:
        with pytest.raises(NotAllowed):
            access.object_for_user(user, KPI, kpi.id, action="write")


def test_lookup_follows_the_registered_path_to_the_portfolio():
    kpi = KPIFactory()
    found = access.object_for_user(member(kpi.product.portfolio, Role.VIEWER), KPI, kpi.id)
    assert found.access_portfolio_id == kpi.product.portfolio_id


def test_queryset_for_user_shows_only_the_users_portfolios():
    mine, theirs = ProductFactory(), ProductFactory()
    user = member(mine.portfolio, Role.VIEWER)
    assert list(access.queryset_for_user(user, Product)) == [mine]
    assert theirs not in access.queryset_for_user(user, Product)


def test_an_unknown_action_is_a_programming_error():
    product = ProductFactory()
    with pytest.raises(KeyError):
        access.can(member(product.portfolio, Role.ADMIN), Product, product.portfolio_id, "launch")


def test_a_model_without_a_policy_is_refused_loudly():
    from django.contrib.auth.models import Group

    with pytest.raises(LookupError):
        access.queryset_for_user(member(ProductFactory().portfolio, Role.ADMIN), Group)
