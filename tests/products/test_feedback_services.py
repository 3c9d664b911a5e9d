"""products.services.feedback: what a piece of feedback may hold, the references it may make, and the event
each write records."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pmflow.errors import InvalidInput, NotAllowed, NotFound
from products.models import DomainEvent, Feedback
from products.services import feedback as services
from tests.factories import (
    FeedbackFactory,
    IdeaFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(timezone="Europe/Berlin"), name="Nebula")


def _create(product, **fields):
    base = {"text": "Needs an export to Excel", "received_on": datetime.date(2026, 3, 2)}
    return services.feedback_create(product=product, **{**base, **fields})


def _today(product):
    return timezone.localdate(timezone=product.portfolio.zone)


def test_feedback_is_created_with_one_event_naming_what_it_holds(product):
    actor = UserFactory()
    segment = SegmentFactory(portfolio=product.portfolio)
    idea = IdeaFactory(product=product)
    row = _create(
        product,
        actor=actor,
        source="sales",
        customer="  Acme  ",
        segment=segment,
        importance=5,
        deal_value=Decimal("1250.50"),
        ideas=[idea],
    )
    assert (row.customer, row.importance, row.deal_value) == ("Acme", 5, Decimal("1250.50"))
    assert list(row.ideas.all()) == [idea]
    event = DomainEvent.objects.get()
    assert event.verb == "feedback.created" and event.actor == actor and event.object_id == row.id
    assert event.changes["deal_value"] == [None, "1250.5"] and event.changes["ideas"] == [None, [idea.id]]


def test_defaults_are_source_other_importance_three_and_today(product):
    row = services.feedback_create(product=product, text="Hello")
    assert (row.source, row.importance, row.received_on) == ("other", 3, _today(product))


@pytest.mark.parametrize(
    "field, value",
    [
        ("text", ""),
        ("text", "   "),
        ("text", "a\x00b"),
        ("text", "\ud800"),
        ("text", "x" * 20_001),
        ("customer", "x" * 201),
        ("source", "phone"),
        ("importance", 0),
        ("importance", 6),
        ("importance", True),
        ("importance", "4"),
        ("deal_value", Decimal("-1")),
        ("deal_value", Decimal("1.001")),
        ("deal_value", Decimal("1000000000000")),
        ("deal_value", Decimal("NaN")),
        ("deal_value", Decimal("Infinity")),
        ("deal_value", 12.5),
        ("deal_value", "1e9999999"),
        ("received_on", datetime.date(1899, 12, 31)),
        ("received_on", datetime.datetime(2026, 3, 2, 10, 0)),
        ("received_on", "2026-03-02"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(product, field, value):
    with pytest.raises(InvalidInput) as refused:
        _create(product, **{field: value})
    assert field in refused.value.fields
    assert Feedback.objects.count() == 0 and DomainEvent.objects.count() == 0


def test_a_day_after_tomorrow_is_refused_tomorrow_is_taken(product):
    today = _today(product)
    with pytest.raises(InvalidInput) as refused:
        _create(product, received_on=today + datetime.timedelta(days=2))
    assert "received_on" in refused.value.fields
    assert _create(product, received_on=today + datetime.timedelta(days=1)).received_on > today


def test_the_largest_deal_value_the_column_holds_is_taken(product):
    assert _create(product, deal_value=Decimal("999999999999.99")).deal_value == Decimal("999999999999.99")


def test_a_segment_of_another_portfolio_is_refused_on_segment(product):
    with pytest.raises(InvalidInput) as refused:
        _create(product, segment=SegmentFactory())
    assert list(refused.value.fields) == ["segment"]


def test_an_idea_of_another_portfolio_is_refused_on_ideas(product):
    with pytest.raises(InvalidInput) as refused:
        _create(product, ideas=[IdeaFactory(product=product), IdeaFactory()])
    assert list(refused.value.fields) == ["ideas"]
    assert Feedback.objects.count() == 0


def test_an_idea_of_another_product_of_the_portfolio_is_taken(product):
    idea = IdeaFactory(product=ProductFactory(portfolio=product.portfolio))
    assert list(_create(product, ideas=[idea]).ideas.all()) == [idea]


def test_an_update_records_only_what_changed(product):
    row = _create(product, importance=2)
    services.feedback_update(feedback_id=row.id, importance=4, customer="")
    event = DomainEvent.objects.filter(verb="feedback.updated").get()
    assert event.changes == {"importance": [2, 4]}


def test_an_update_that_changes_nothing_records_nothing(product):
    row = _create(product, importance=2)
    services.feedback_update(feedback_id=row.id, importance=2, ideas=[])
    assert not DomainEvent.objects.filter(verb="feedback.updated").exists()


def test_ideas_given_to_an_update_replace_the_old_ones(product):
    old, new = IdeaFactory(product=product), IdeaFactory(product=product)
    row = _create(product, ideas=[old])
    services.feedback_update(feedback_id=row.id, ideas=[new])
    assert list(row.ideas.all()) == [new]
    assert DomainEvent.objects.get(verb="feedback.updated").changes == {"ideas": [[old.id], [new.id]]}


def test_feedback_moves_to_another_product_of_its_portfolio_only(product):
    row = _create(product)
    sibling = ProductFactory(portfolio=product.portfolio)
    assert services.feedback_update(feedback_id=row.id, product=sibling).product == sibling
    with pytest.raises(InvalidInput) as refused:
        services.feedback_update(feedback_id=row.id, product=ProductFactory())
    assert list(refused.value.fields) == ["product"]
    row.refresh_from_db()
    assert row.product == sibling


def test_a_bad_update_writes_nothing(product):
    row = _create(product, importance=2)
    with pytest.raises(InvalidInput):
        services.feedback_update(feedback_id=row.id, importance=2, deal_value=Decimal("-5"), text="Changed")
    row.refresh_from_db()
    assert row.text == "Needs an export to Excel" and DomainEvent.objects.count() == 1


def test_deleting_records_an_event_and_returns_its_label(product):
    row = _create(product, customer="Acme")
    assert services.feedback_delete(feedback_id=row.id) == "Acme: Needs an export to Excel"
    assert not Feedback.objects.exists()
    assert DomainEvent.objects.filter(verb="feedback.deleted", object_id=row.id).exists()


def test_a_missing_feedback_is_not_found():
    with pytest.raises(NotFound):
        services.feedback_update(feedback_id=999_999, importance=3)
    with pytest.raises(NotFound):
        services.feedback_delete(feedback_id=999_999)


def test_an_import_writes_every_row_and_one_event_each(product):
    rows = [
        {"line": 2, "product": product, "text": "One", "received_on": datetime.date(2026, 3, 1), "importance": 4},
        {"line": 3, "product": product, "text": "Two", "received_on": datetime.date(2026, 3, 2), "deal_value": None},
    ]
    created = services.feedback_import(portfolio=product.portfolio, rows=rows)
    assert [row.text for row in created] == ["One", "Two"]
    assert DomainEvent.objects.filter(verb="feedback.created").count() == 2


def test_an_import_with_a_bad_row_writes_nothing_and_names_its_line(product):
    rows = [
        {"line": 2, "product": product, "text": "One", "received_on": datetime.date(2026, 3, 1)},
        {"line": 3, "product": ProductFactory(), "text": "Two", "received_on": datetime.date(2026, 3, 2)},
    ]
    with pytest.raises(InvalidInput) as refused:
        services.feedback_import(portfolio=product.portfolio, rows=rows)
    assert refused.value.details["errors"] == [
        {"line": 3, "column": "product", "message": "Choose a product of this portfolio."}
    ]
    assert not Feedback.objects.exists() and not DomainEvent.objects.exists()


def test_the_lookup_for_a_reader_and_a_writer(product):
    row = FeedbackFactory(product=product)
    viewer = member(product.portfolio, "viewer")
    assert services.feedback_for_user(viewer, row.id) == row
    with pytest.raises(NotAllowed):
        services.feedback_for_user(viewer, row.id, write=True)
    with pytest.raises(NotFound):
        services.feedback_for_user(member(product.portfolio, None), row.id)
