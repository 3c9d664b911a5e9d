"""The segments and personas API: the contract's fields, the journey's exact shape (400 on `journey`),
names unique per portfolio, references within the portfolio, roles, filters, CSV, conditional writes,
the schema, and the cost of a list."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from products.models import DomainEvent, Persona, Role, Segment
from tests.factories import MembershipFactory, PersonaFactory, PortfolioFactory, ProductFactory, SegmentFactory, member

pytestmark = pytest.mark.django_db

SEGMENTS, PERSONAS = "/api/v1/segments/", "/api/v1/personas/"


def stage(name="Awareness", **texts):
    return {"stage": name, "touchpoints": "", "pains": "", "opportunities": "", **texts}


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def client_for(portfolio, role) -> APIClient:
    client = APIClient()
    client.force_authenticate(member(portfolio, role))
    return client


@pytest.fixture
def marketer(portfolio):
    return client_for(portfolio, Role.MARKETER)


# --- segments -------------------------------------------------------------------------------------------


def test_a_marketer_creates_a_segment_with_the_contract_fields(marketer, portfolio, product):
    body = {
        "portfolio": portfolio.id,
        "name": "Retailers",
        "description": "Omnichannel",
        "size": 6800,
        "growth_pct": 9.25,
        "priority": 4,
        "products": [product.id],
    }
    response = marketer.post(SEGMENTS, body, format="json")
    assert response.status_code == 201, response.data
    data = response.json()
    assert {k: data[k] for k in body} == body
    assert data["persona_count"] == 0 and data["id"]


def test_a_segment_without_size_growth_and_priority_gets_unknowns_and_priority_3(marketer, portfolio):
    data = marketer.post(SEGMENTS, {"portfolio": portfolio.id, "name": "S"}, format="json").json()
    assert data["size"] is None and data["growth_pct"] is None and data["priority"] == 3 and data["products"] == []


def test_a_taken_name_is_a_400_on_name(marketer, portfolio):
    SegmentFactory(portfolio=portfolio, name="Retailers")
    response = marketer.post(SEGMENTS, {"portfolio": portfolio.id, "name": "Retailers"}, format="json")
    assert response.status_code == 400 and response.json()["name"] == [
        "A segment with this name exists in the portfolio."
    ]


def test_another_portfolios_product_is_a_400_on_products(marketer, portfolio):
    foreign = ProductFactory()
    response = marketer.post(
        SEGMENTS, {"portfolio": portfolio.id, "name": "S", "products": [foreign.id]}, format="json"
    )
    assert response.status_code == 400 and "products" in response.json()
    assert not Segment.objects.exists()


def test_a_product_of_another_portfolio_of_the_same_user_is_a_400_on_products(portfolio):
    other = PortfolioFactory()
    user = member(portfolio, Role.ADMIN)
    MembershipFactory(user=user, portfolio=other, role=Role.ADMIN)
    client = APIClient()
    client.force_authenticate(user)
    theirs = ProductFactory(portfolio=other)
    response = client.post(SEGMENTS, {"portfolio": portfolio.id, "name": "S", "products": [theirs.id]}, format="json")
    assert response.status_code == 400 and response.json()["products"] == ["Choose products of this portfolio."]


@pytest.mark.parametrize(
    "field, value",
    [("priority", 0), ("priority", 6), ("size", -1), ("size", 2**64), ("growth_pct", 10000), ("growth_pct", "NaN")],
)
def test_a_value_out_of_range_is_a_400_on_its_field(marketer, portfolio, field, value):
    response = marketer.post(SEGMENTS, {"portfolio": portfolio.id, "name": "S", field: value}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not DomainEvent.objects.exists()


def test_a_viewer_may_read_but_not_write_segments(portfolio):
    viewer = client_for(portfolio, Role.VIEWER)
    segment = SegmentFactory(portfolio=portfolio)
    assert viewer.get(f"{SEGMENTS}{segment.id}/").status_code == 200
    assert viewer.patch(f"{SEGMENTS}{segment.id}/", {"priority": 5}, format="json").status_code == 403
    assert viewer.post(SEGMENTS, {"portfolio": portfolio.id, "name": "S"}, format="json").status_code == 403


def test_another_portfolios_segment_is_a_404(marketer):
    segment = SegmentFactory()
    assert marketer.get(f"{SEGMENTS}{segment.id}/").status_code == 404
    assert marketer.delete(f"{SEGMENTS}{segment.id}/").status_code == 404


def test_a_stale_if_match_is_a_412_and_writes_nothing(marketer, portfolio):
    segment = SegmentFactory(portfolio=portfolio, priority=3)
    etag = marketer.get(f"{SEGMENTS}{segment.id}/")["ETag"]
    assert (
        marketer.patch(f"{SEGMENTS}{segment.id}/", {"priority": 4}, format="json", HTTP_IF_MATCH=etag).status_code
        == 200
    )
    stale = marketer.patch(f"{SEGMENTS}{segment.id}/", {"priority": 5}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    segment.refresh_from_db()
    assert segment.priority == 4


def test_patching_products_replaces_them(marketer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio)
    response = marketer.patch(f"{SEGMENTS}{segment.id}/", {"products": [product.id]}, format="json")
    assert response.status_code == 200 and response.json()["products"] == [product.id]
    assert DomainEvent.objects.get(verb="segment.updated").changes == {"products": [[], [product.id]]}


def test_filters_product_priority_and_served(marketer, portfolio, product):
    served = SegmentFactory(portfolio=portfolio, name="Served", priority=5)
    served.products.add(product)
    SegmentFactory(portfolio=portfolio, name="Open", priority=2)

    def names(query):
        return [row["name"] for row in marketer.get(f"{SEGMENTS}?{query}").json()["results"]]

    assert names(f"product={product.id}") == ["Served"]
    assert names("priority=2") == ["Open"]
    assert names("served=false") == ["Open"]
    assert names("served=true") == ["Served"]
    assert names("ordering=name") == ["Open", "Served"]
    assert names("search=open") == ["Open"]


def test_the_default_order_is_priority_first(marketer, portfolio):
    SegmentFactory(portfolio=portfolio, name="A", priority=1)
    SegmentFactory(portfolio=portfolio, name="B", priority=5)
    assert [row["name"] for row in marketer.get(SEGMENTS).json()["results"]] == ["B", "A"]


def test_a_priority_filter_out_of_range_is_a_400(marketer):
    assert marketer.get(f"{SEGMENTS}?priority=6").status_code == 400


def test_the_segment_csv_lists_products_by_name(marketer, portfolio, product):
    segment = SegmentFactory(portfolio=portfolio, name="Retailers", size=4200, priority=4)
    segment.products.add(product)
    PersonaFactory(portfolio=portfolio, segment=segment)
    response = marketer.get(f"{SEGMENTS}?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["id", "name", "priority", "size", "growth_pct", "products", "personas", "description"]
    assert rows[1][1:7] == ["Retailers", "4", "4200", "", "Nebula", "1"]


def test_csv_on_one_segment_is_a_404(marketer, portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    assert marketer.get(f"{SEGMENTS}{segment.id}/?format=csv").status_code == 404


def test_persona_count_counts_the_segments_personas(marketer, portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    PersonaFactory.create_batch(2, portfolio=portfolio, segment=segment)
    assert marketer.get(f"{SEGMENTS}{segment.id}/").json()["persona_count"] == 2


# --- personas -------------------------------------------------------------------------------------------


def test_a_persona_is_created_with_its_journey(marketer, portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    journey = [stage("Awareness", touchpoints="Trade show"), stage("Purchase", pains="Procurement")]
    body = {"portfolio": portfolio.id, "name": "Olivia", "segment": segment.id, "goals": "G", "pains": "P"}
    response = marketer.post(PERSONAS, {**body, "journey": journey}, format="json")
    assert response.status_code == 201, response.data
    data = response.json()
    assert {k: data[k] for k in body} == body and data["journey"] == journey
    assert Persona.objects.get().journey == journey


@pytest.mark.parametrize(
    "journey",
    [
        {"stage": "A"},
        "Awareness",
        ["Awareness"],
        [{"stage": "A", "touchpoints": "", "pains": ""}],
        [{**stage(), "owner": "me"}],
        [stage("")],
        [stage("   ")],
        [stage("x" * 201)],
        [stage(touchpoints="x" * 2001)],
        [stage(pains=5)],
        [stage(pains=None)],
        [stage(opportunities="a\x00b")],
        [stage()] * 13,
        None,
    ],
)
def test_a_journey_not_of_the_exact_shape_is_a_400_on_journey(marketer, portfolio, journey):
    response = marketer.post(PERSONAS, {"portfolio": portfolio.id, "name": "O", "journey": journey}, format="json")
    assert response.status_code == 400 and "journey" in response.json(), response.json()
    assert not Persona.objects.exists() and not DomainEvent.objects.exists()


def test_an_extra_key_is_named_in_the_message(marketer, portfolio):
    body = {"portfolio": portfolio.id, "name": "O", "journey": [stage(), {**stage(), "owner": "me"}]}
    problems = marketer.post(PERSONAS, body, format="json").json()["journey"]
    assert list(problems) == ["1"] and "owner" in problems["1"]


def test_thirteen_stages_say_the_limit(marketer, portfolio):
    body = {"portfolio": portfolio.id, "name": "O", "journey": [stage()] * 13}
    assert marketer.post(PERSONAS, body, format="json").json()["journey"] == ["At most 12 stages; this has 13."]


def test_a_lone_surrogate_in_a_stage_is_a_400(marketer, portfolio):
    raw = '{"portfolio": PID, "name": "O", "journey": [{"stage": "\\ud800", "touchpoints": "", "pains": "", '
    raw = raw.replace("PID", str(portfolio.id)) + '"opportunities": ""}]}'
    response = marketer.generic("POST", PERSONAS, raw, content_type="application/json")
    assert response.status_code == 400 and not Persona.objects.exists()


def test_another_portfolios_segment_is_a_400_on_segment(marketer, portfolio):
    response = marketer.post(
        PERSONAS, {"portfolio": portfolio.id, "name": "O", "segment": SegmentFactory().id}, format="json"
    )
    assert response.status_code == 400 and "segment" in response.json()


def test_patching_the_journey_replaces_it_and_records_the_change(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio, journey=[stage("Old")])
    response = marketer.patch(f"{PERSONAS}{persona.id}/", {"journey": [stage("New")]}, format="json")
    assert response.status_code == 200 and response.json()["journey"] == [stage("New")]
    assert DomainEvent.objects.get(verb="persona.updated").changes["journey"] == [[stage("Old")], [stage("New")]]


def test_a_stored_stage_missing_a_key_reads_as_empty_text(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio, journey=[{"stage": "Awareness"}])
    assert marketer.get(f"{PERSONAS}{persona.id}/").json()["journey"] == [stage("Awareness")]


def test_a_persona_cannot_move_to_another_portfolio(portfolio):
    other = PortfolioFactory()
    user = member(portfolio, Role.ADMIN)
    MembershipFactory(user=user, portfolio=other, role=Role.ADMIN)
    client = APIClient()
    client.force_authenticate(user)
    persona = PersonaFactory(portfolio=portfolio)
    response = client.patch(f"{PERSONAS}{persona.id}/", {"portfolio": other.id}, format="json")
    assert response.status_code == 400 and "portfolio" in response.json()


def test_personas_filter_by_segment(marketer, portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    PersonaFactory(portfolio=portfolio, name="In", segment=segment)
    PersonaFactory(portfolio=portfolio, name="Out")
    assert [p["name"] for p in marketer.get(f"{PERSONAS}?segment={segment.id}").json()["results"]] == ["In"]


def test_a_viewer_may_not_write_personas(portfolio):
    viewer = client_for(portfolio, Role.VIEWER)
    persona = PersonaFactory(portfolio=portfolio)
    assert viewer.patch(f"{PERSONAS}{persona.id}/", {"name": "X"}, format="json").status_code == 403
    assert viewer.delete(f"{PERSONAS}{persona.id}/").status_code == 403


def test_deleting_a_persona_is_a_204(marketer, portfolio):
    persona = PersonaFactory(portfolio=portfolio)
    assert marketer.delete(f"{PERSONAS}{persona.id}/").status_code == 204
    assert not Persona.objects.exists()


# --- the schema -----------------------------------------------------------------------------------------


def test_the_schema_names_the_stage_and_states_its_exact_shape():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    journey = components["PersonaRequest"]["properties"]["journey"]
    assert journey["maxItems"] == 12 and journey["items"] == {"$ref": "#/components/schemas/JourneyStageRequest"}
    stage_schema = components["JourneyStageRequest"]
    assert stage_schema["additionalProperties"] is False
    assert sorted(stage_schema["required"]) == ["opportunities", "pains", "stage", "touchpoints"]
    assert stage_schema["properties"]["stage"]["maxLength"] == 200
    assert stage_schema["properties"]["touchpoints"]["maxLength"] == 2000


# --- the cost of a list ---------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> None:
    products = ProductFactory.create_batch(3, portfolio=portfolio)
    for index in range(n):
        segment = SegmentFactory(portfolio=portfolio, priority=1 + index % 5)
        segment.products.set(products[: index % 4])
        PersonaFactory(portfolio=portfolio, segment=segment, journey=[stage(f"S{index}")])


@pytest.mark.parametrize(
    "url",
    [
        SEGMENTS,
        f"{SEGMENTS}?priority=3&served=true",
        f"{SEGMENTS}?ordering=-persona_count",
        PERSONAS,
        f"{PERSONAS}?search=a",
    ],
)
@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_list_queries_do_not_grow_with_the_data(url, role):
    counts = []
    for n in (3, 30):
        portfolio = PortfolioFactory()
        client = client_for(portfolio, role)
        _fill(portfolio, n)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("query, status", [("page=0", 404), ("page=x", 404), ("page=2", 200), ("page_size=0", 400)])
def test_the_csv_judges_paging_as_the_list_does(marketer, query, status):
    assert marketer.get(f"{SEGMENTS}?format=csv&{query}").status_code == status
