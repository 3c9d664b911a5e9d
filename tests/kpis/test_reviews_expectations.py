"""The change a roadmap item expects in a KPI of its product (roadmap.services.items, the item form, the item
API, the item page): both or neither, a KPI of the item's own product (not a campaign's), −1,000 % to
+10,000 % with two decimals; a refusal is a 400 on the field and changes nothing."""

from decimal import Decimal

import pytest
from django.test import Client

from pmflow.errors import InvalidInput
from products.models import DomainEvent
from roadmap.models import RoadmapItem
from roadmap.services import roadmap_item_update
from tests.factories import CampaignFactory, KPIFactory, PortfolioFactory, ProductFactory, RoadmapItemFactory, member

pytestmark = pytest.mark.django_db
URL = "/api/v1/roadmap-items/"
ITEM_FORM = {"kind": "feature", "title": "Onboarding checklist", "status": "planned", "horizon": "next"}


@pytest.fixture
def product():
    product = ProductFactory(portfolio=PortfolioFactory(), name="Nebula")
    KPIFactory(product=product, key="signups", name="Sign-ups")
    KPIFactory(product=product, key="revenue", name="Revenue")
    return product


@pytest.fixture
def manager(api_client, product):
    api_client.force_authenticate(member(product.portfolio, "product_manager"))
    return api_client


def problems(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    return body.get("fields", body)


def test_an_item_states_the_kpi_it_should_move_and_by_how_much(manager, product):
    response = manager.post(
        URL,
        {"product": product.id, "title": "Guided setup", "expected_kpi_key": "signups", "expected_change_pct": "12.5"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["expected_kpi_key"], body["expected_change_pct"]) == ("signups", 12.5)
    item = RoadmapItem.objects.get(pk=body["id"])
    assert (item.expected_kpi_key, item.expected_change_pct) == ("signups", Decimal("12.50"))


@pytest.mark.parametrize(
    "body, field",
    [
        ({"expected_kpi_key": "churn", "expected_change_pct": 5}, "expected_kpi_key"),  # no such KPI
        ({"expected_kpi_key": "eclipse_leads", "expected_change_pct": 5}, "expected_kpi_key"),  # a campaign's
        ({"expected_kpi_key": "elsewhere", "expected_change_pct": 5}, "expected_kpi_key"),  # another product's
        ({"expected_kpi_key": "signups"}, "expected_change_pct"),  # neither without the other
        ({"expected_change_pct": 5}, "expected_kpi_key"),
        ({"expected_kpi_key": "", "expected_change_pct": 5}, "expected_kpi_key"),
        ({"expected_kpi_key": "signups", "expected_change_pct": "-1000.01"}, "expected_change_pct"),
        ({"expected_kpi_key": "signups", "expected_change_pct": "10000.01"}, "expected_change_pct"),
        ({"expected_kpi_key": "signups", "expected_change_pct": "NaN"}, "expected_change_pct"),
        ({"expected_kpi_key": "signups", "expected_change_pct": "1e9999"}, "expected_change_pct"),
        ({"expected_kpi_key": "sign\x00ups", "expected_change_pct": 5}, "expected_kpi_key"),
        ({"expected_kpi_key": "x" * 65, "expected_change_pct": 5}, "expected_kpi_key"),
    ],
)
def test_a_wrong_expectation_is_a_400_on_its_field_and_changes_nothing(manager, product, body, field):
    KPIFactory(product=product, key="eclipse_leads", campaign=CampaignFactory(product=product))
    KPIFactory(key="elsewhere")
    item = RoadmapItemFactory(product=product, title="Guided setup")
    events = DomainEvent.objects.count()

    response = manager.patch(f"{URL}{item.id}/", body, format="json")

    assert field in problems(response)
    item.refresh_from_db()
    assert (item.expected_kpi_key, item.expected_change_pct) == ("", None)
    assert DomainEvent.objects.count() == events


def test_the_bounds_and_two_decimals_are_kept(manager, product):
    item = RoadmapItemFactory(product=product)
    for sent, kept in (("-1000", Decimal("-1000.00")), ("10000", Decimal("10000.00")), ("3.456", Decimal("3.46"))):
        response = manager.patch(
            f"{URL}{item.id}/", {"expected_kpi_key": "revenue", "expected_change_pct": sent}, format="json"
        )
        assert response.status_code == 200, response.content
        item.refresh_from_db()
        assert item.expected_change_pct == kept


def test_clearing_both_drops_the_expectation(manager, product):
    item = RoadmapItemFactory(product=product, expected_kpi_key="signups", expected_change_pct=5)
    response = manager.patch(f"{URL}{item.id}/", {"expected_kpi_key": "", "expected_change_pct": None}, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.expected_kpi_key, item.expected_change_pct) == ("", None)


def test_an_item_whose_kpi_went_still_saves_its_other_fields(product):
    item = RoadmapItemFactory(product=product, expected_kpi_key="signups", expected_change_pct=5)
    product.kpis.filter(key="signups").delete()

    roadmap_item_update(item_id=item.id, title="Renamed", expected_kpi_key="signups", expected_change_pct=5)

    item.refresh_from_db()
    assert item.title == "Renamed"
    with pytest.raises(InvalidInput) as refused:  # but it cannot be set to a KPI that does not exist
        roadmap_item_update(item_id=RoadmapItemFactory(product=product).id, expected_kpi_key="signups")
    assert "expected_kpi_key" in refused.value.fields


def test_the_change_is_recorded_in_the_items_history(product):
    item = RoadmapItemFactory(product=product)
    roadmap_item_update(item_id=item.id, expected_kpi_key="revenue", expected_change_pct=Decimal("7"))
    event = DomainEvent.objects.get(verb="roadmap_item.updated", object_id=item.id)
    assert event.changes == {"expected_kpi_key": ["", "revenue"], "expected_change_pct": [None, "7"]}


# --- the item form and page ------------------------------------------------------------------------------


def browser(product, role="product_manager") -> Client:
    client = Client()
    client.force_login(member(product.portfolio, role))
    return client


def test_the_form_offers_the_products_kpis_and_saves_the_expectation(product):
    client = browser(product)
    form = client.get(f"/roadmap-items/new/?product={product.id}").content.decode()
    assert '<option value="signups">Sign-ups (signups)</option>' in form

    response = client.post(
        f"/roadmap-items/new/?product={product.id}",
        {**ITEM_FORM, "expected_kpi_key": "signups", "expected_change_pct": "-5"},
    )

    assert response.status_code == 302
    item = RoadmapItem.objects.get(title="Onboarding checklist")
    assert (item.expected_kpi_key, item.expected_change_pct) == ("signups", Decimal("-5.00"))
    page = client.get(f"/roadmap-items/{item.id}/").content.decode()
    assert "−5 %" in page or "-5 %" in page
    assert "<code>signups</code>" in page


def test_the_form_refuses_half_an_expectation_with_the_message(product):
    response = browser(product).post(
        f"/roadmap-items/new/?product={product.id}", {**ITEM_FORM, "expected_kpi_key": "signups"}
    )
    assert response.status_code == 400
    assert "Say by how much the KPI should change" in response.content.decode()
    assert not RoadmapItem.objects.filter(title="Onboarding checklist").exists()
