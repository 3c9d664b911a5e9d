"""products.services.audience: segments (a name unique per portfolio, its products only, the matrix
toggle) and personas (a segment of the portfolio, the journey's exact shape), each write with its event."""

from decimal import Decimal

import pytest

from pmflow.errors import InvalidInput, NotFound
from products.models import DomainEvent, Persona, Segment
from products.services import audience as services
from tests.factories import PersonaFactory, PortfolioFactory, ProductFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


def refused(call, **kwargs) -> dict:
    with pytest.raises(InvalidInput) as caught:
        call(**kwargs)
    return caught.value.fields


def stage(name="Awareness", **texts):
    return {"stage": name, "touchpoints": "", "pains": "", "opportunities": "", **texts}


# --- segments -------------------------------------------------------------------------------------------


def test_a_segment_is_created_with_its_products_and_an_event(portfolio):
    product = ProductFactory(portfolio=portfolio)
    segment = services.segment_create(
        portfolio=portfolio,
        name=" Retailers ",
        size=4200,
        growth_pct=Decimal("6.5"),
        priority=5,
        products=[product],
    )
    assert segment.name == "Retailers" and segment.growth_pct == Decimal("6.50")
    assert list(segment.products.all()) == [product]
    event = DomainEvent.objects.get(verb="segment.created")
    assert event.changes["products"] == [None, [product.id]] and event.changes["growth_pct"] == [None, "6.5"]


def test_a_taken_name_in_the_portfolio_is_refused_on_name(portfolio):
    SegmentFactory(portfolio=portfolio, name="Retailers")
    assert "exists" in refused(services.segment_create, portfolio=portfolio, name="Retailers")["name"]
    assert Segment.objects.count() == 1


def test_the_same_name_in_another_portfolio_is_fine(portfolio):
    SegmentFactory(name="Retailers")
    assert services.segment_create(portfolio=portfolio, name="Retailers").pk


def test_renaming_to_a_taken_name_is_refused_and_changes_nothing(portfolio):
    SegmentFactory(portfolio=portfolio, name="Retailers")
    segment = SegmentFactory(portfolio=portfolio, name="Banks")
    assert "name" in refused(services.segment_update, segment_id=segment.id, name="Retailers")
    segment.refresh_from_db()
    assert segment.name == "Banks" and not DomainEvent.objects.exists()


def test_a_product_of_another_portfolio_is_refused_on_products(portfolio):
    foreign = ProductFactory()
    assert (
        "this portfolio"
        in refused(services.segment_create, portfolio=portfolio, name="S", products=[foreign])["products"]
    )
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("priority", 0),
        ("priority", 6),
        ("priority", True),
        ("size", -1),
        ("size", 2**63),
        ("size", 1.5),
        ("growth_pct", Decimal("10000")),
        ("growth_pct", Decimal("1.234")),
        ("growth_pct", Decimal("NaN")),
        ("growth_pct", "Infinity"),
        ("name", "a\x00b"),
        ("name", "\ud800"),
        ("name", "x" * 201),
        ("name", "   "),
        ("description", "x" * 20_001),
    ],
)
def test_a_bad_value_is_refused_on_its_field(portfolio, field, value):
    fields = {"name": "Retailers", field: value}
    assert field in refused(services.segment_create, portfolio=portfolio, **fields)
    assert not Segment.objects.exists() and not DomainEvent.objects.exists()


def test_an_update_records_only_what_changed(portfolio):
    segment = SegmentFactory(portfolio=portfolio, name="Banks", priority=3)
    services.segment_update(segment_id=segment.id, name="Banks", priority=4)
    event = DomainEvent.objects.get(verb="segment.updated")
    assert event.changes == {"priority": [3, 4]}


def test_an_update_that_changes_nothing_records_nothing(portfolio):
    segment = SegmentFactory(portfolio=portfolio, name="Banks")
    services.segment_update(segment_id=segment.id, name="Banks", products=[])
    assert not DomainEvent.objects.exists()


def test_replacing_the_products_records_old_and_new_ids(portfolio):
    first, second = ProductFactory(portfolio=portfolio), ProductFactory(portfolio=portfolio)
    segment = SegmentFactory(portfolio=portfolio)
    segment.products.add(first)
    services.segment_update(segment_id=segment.id, products=[second])
    assert list(segment.products.all()) == [second]
    assert DomainEvent.objects.get(verb="segment.updated").changes == {"products": [[first.id], [second.id]]}


def test_a_matrix_cell_adds_and_removes_one_product(portfolio):
    product = ProductFactory(portfolio=portfolio)
    segment = SegmentFactory(portfolio=portfolio)
    assert services.segment_product_set(segment_id=segment.id, product=product, serves=True)
    assert list(segment.products.all()) == [product]
    assert services.segment_product_set(segment_id=segment.id, product=product, serves=False)
    assert not segment.products.exists()
    assert DomainEvent.objects.filter(verb="segment.updated").count() == 2


def test_a_matrix_cell_already_set_writes_nothing(portfolio):
    product = ProductFactory(portfolio=portfolio)
    segment = SegmentFactory(portfolio=portfolio)
    assert not services.segment_product_set(segment_id=segment.id, product=product, serves=False)
    assert not DomainEvent.objects.exists()


def test_a_matrix_cell_with_another_portfolios_product_is_refused(portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    assert "products" in refused(
        services.segment_product_set, segment_id=segment.id, product=ProductFactory(), serves=True
    )


def test_deleting_a_segment_keeps_its_personas_without_it(portfolio):
    segment = SegmentFactory(portfolio=portfolio, name="Banks")
    persona = PersonaFactory(portfolio=portfolio, segment=segment)
    assert services.segment_delete_impact(segment) == [("persona", 1)]
    assert services.segment_delete(segment_id=segment.id) == "Banks"
    persona.refresh_from_db()
    assert persona.segment is None
    assert DomainEvent.objects.get(verb="segment.deleted").data["name"] == "Banks"


def test_deleting_a_missing_segment_is_not_found():
    with pytest.raises(NotFound):
        services.segment_delete(segment_id=999_999)


# --- personas and their journey ---------------------------------------------------------------------------


def test_a_persona_is_created_with_a_trimmed_journey(portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    persona = services.persona_create(
        portfolio=portfolio,
        name="Olivia",
        segment=segment,
        goals="On time",
        journey=[stage(" Awareness ", touchpoints=" Trade show ")],
    )
    assert persona.journey == [{"stage": "Awareness", "touchpoints": "Trade show", "pains": "", "opportunities": ""}]
    assert DomainEvent.objects.get(verb="persona.created").changes["segment"] == [None, segment.id]


def test_a_segment_of_another_portfolio_is_refused_on_segment(portfolio):
    assert (
        "this portfolio"
        in refused(services.persona_create, portfolio=portfolio, name="Olivia", segment=SegmentFactory())["segment"]
    )
    assert not Persona.objects.exists()


@pytest.mark.parametrize(
    "journey, message",
    [
        ({"stage": "A"}, "A list"),
        ([stage()] * 13, "At most 12 stages"),
        (["Awareness"], "Stage 1: an object"),
        ([{"stage": "A", "touchpoints": "", "pains": ""}], "“opportunities” is missing"),
        ([{**stage(), "owner": "me"}], "unknown field “owner”"),
        ([stage("")], "Name the stage"),
        ([stage("   ")], "Name the stage"),
        ([stage("x" * 201)], "At most 200"),
        ([stage(touchpoints="x" * 2001)], "At most 2,000"),
        ([stage(pains=5)], "Text."),
        ([stage(opportunities="a\x00b")], "NUL"),
        ([stage(touchpoints="\udc00")], "surrogate"),
    ],
)
def test_a_bad_journey_is_refused_naming_the_stage(portfolio, journey, message):
    problems = refused(services.persona_create, portfolio=portfolio, name="Olivia", journey=journey)["journey"]
    assert message in " ".join(problems if isinstance(problems, list) else [problems])
    assert not Persona.objects.exists() and not DomainEvent.objects.exists()


def test_twelve_stages_are_accepted(portfolio):
    persona = services.persona_create(portfolio=portfolio, name="Olivia", journey=[stage(f"S{n}") for n in range(12)])
    assert len(persona.journey) == 12


def test_every_bad_stage_is_reported_at_once(portfolio):
    problems = refused(services.persona_create, portfolio=portfolio, name="O", journey=[stage(""), stage(), 7])
    assert [p.split(":")[0] for p in problems["journey"]] == ["Stage 1, stage", "Stage 3"]


def test_a_persona_update_records_the_journey_change(portfolio):
    persona = PersonaFactory(portfolio=portfolio, journey=[stage("Old")])
    services.persona_update(persona_id=persona.id, journey=[stage("New")])
    persona.refresh_from_db()
    assert persona.journey == [stage("New")]
    assert DomainEvent.objects.get(verb="persona.updated").changes["journey"] == [[stage("Old")], [stage("New")]]


def test_a_bad_update_leaves_the_persona_as_it_was(portfolio):
    persona = PersonaFactory(portfolio=portfolio, name="Olivia", journey=[stage("Old")])
    refused(services.persona_update, persona_id=persona.id, name="Oli", journey=[stage("")])
    persona.refresh_from_db()
    assert persona.name == "Olivia" and persona.journey == [stage("Old")]


def test_deleting_a_persona_records_its_name(portfolio):
    persona = PersonaFactory(portfolio=portfolio, name="Olivia")
    assert services.persona_delete(persona_id=persona.id) == "Olivia"
    assert not Persona.objects.exists()
    assert DomainEvent.objects.get(verb="persona.deleted").data["name"] == "Olivia"


def test_unknown_fields_are_a_programming_error(portfolio):
    with pytest.raises(TypeError):
        services.persona_create(portfolio=portfolio, name="O", portfolio_id=3)
