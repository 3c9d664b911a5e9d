"""The idea services: create and change with the insights and feedback behind an idea, evaluate, reject with
a reason, accept into a roadmap item that links back (roadmap.services.ideas), the 409 of a step from the
wrong status, references of another portfolio, and one event per write."""

import pytest

from pmflow.errors import InvalidInput, NotFound
from products.models import DomainEvent, Idea
from products.services import ideas as services
from roadmap.models import RoadmapItem
from roadmap.services.ideas import idea_accept
from tests.factories import (
    FeedbackFactory,
    IdeaFactory,
    MarketInsightFactory,
    PortfolioFactory,
    ProductFactory,
    RoadmapItemFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(), name="Nebula")


@pytest.fixture
def manager(product):
    return member(product.portfolio, "product_manager")


def verbs(idea_id: int) -> list[str]:
    rows = DomainEvent.objects.filter(object_type="idea", object_id=idea_id).order_by("id")
    return list(rows.values_list("verb", flat=True))


def test_a_new_idea_is_a_concept_with_its_insights_and_feedback(product, manager):
    insight = MarketInsightFactory(portfolio=product.portfolio)
    feedback = FeedbackFactory(product=product)
    idea = services.idea_create(
        product=product, actor=manager, title="  Offline mode  ", insights=[insight], feedback=[feedback, feedback]
    )
    assert idea.status == Idea.Status.CONCEPT
    assert idea.title == "Offline mode"
    assert list(idea.insights.all()) == [insight]
    assert list(idea.feedback.all()) == [feedback]
    event = DomainEvent.objects.get(object_type="idea", object_id=idea.id)
    assert event.verb == "idea.created" and event.actor == manager
    assert event.changes["feedback"] == [[], [feedback.id]]


def test_feedback_of_another_product_of_the_portfolio_is_fine(product):
    other = ProductFactory(portfolio=product.portfolio)
    idea = services.idea_create(product=product, title="Shared", feedback=[FeedbackFactory(product=other)])
    assert idea.feedback.count() == 1


@pytest.mark.parametrize("field", ["insights", "feedback"])
def test_a_reference_of_another_portfolio_is_invalid_on_its_field_and_writes_nothing(product, field):
    foreign = MarketInsightFactory() if field == "insights" else FeedbackFactory()
    with pytest.raises(InvalidInput) as refused:
        services.idea_create(product=product, title="Leak", **{field: [foreign]})
    assert set(refused.value.fields) == {field}
    assert not Idea.objects.exists() and not DomainEvent.objects.exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "a\ud800b"}, "title"),
        ({"title": "Fine", "description": "x" * 20_001}, "description"),
        ({"title": "Fine", "insights": "1"}, "insights"),
    ],
)
def test_bad_input_is_invalid_on_its_field(product, fields, field):
    with pytest.raises(InvalidInput) as refused:
        services.idea_create(product=product, **fields)
    assert field in refused.value.fields
    assert not Idea.objects.exists()


def test_an_update_changes_text_and_links_and_records_what_changed(product, manager):
    idea = services.idea_create(product=product, title="Before")
    insight = MarketInsightFactory(portfolio=product.portfolio)
    services.idea_update(idea_id=idea.id, actor=manager, title="After", insights=[insight])
    idea.refresh_from_db()
    assert idea.title == "After" and list(idea.insights.all()) == [insight]
    event = DomainEvent.objects.filter(verb="idea.updated").get()
    assert event.changes == {"title": ["Before", "After"], "insights": [[], [insight.id]]}


def test_an_update_that_changes_nothing_records_nothing(product):
    idea = services.idea_create(product=product, title="Same")
    services.idea_update(idea_id=idea.id, title="Same", insights=[])
    assert verbs(idea.id) == ["idea.created"]


def test_an_update_of_a_missing_idea_is_not_found():
    with pytest.raises(NotFound):
        services.idea_update(idea_id=999_999, title="Gone")


def test_evaluate_moves_a_concept_to_evaluated(product, manager):
    idea = IdeaFactory(product=product)
    services.idea_evaluate(idea_id=idea.id, actor=manager)
    idea.refresh_from_db()
    assert idea.status == Idea.Status.EVALUATED and idea.decided_at is None
    assert verbs(idea.id) == ["idea.evaluated"]


@pytest.mark.parametrize("status", ["evaluated", "accepted", "rejected"])
def test_evaluate_from_another_status_is_a_conflict_naming_the_status(product, status):
    idea = IdeaFactory(product=product, status=status)
    with pytest.raises(services.WrongIdeaStatus) as refused:
        services.idea_evaluate(idea_id=idea.id)
    assert refused.value.status == 409
    assert refused.value.as_dict()["status"] == status
    assert not DomainEvent.objects.exists()


@pytest.mark.parametrize("status", ["concept", "evaluated"])
def test_reject_keeps_the_reason_who_and_when(product, manager, status):
    idea = IdeaFactory(product=product, status=status)
    services.idea_reject(idea_id=idea.id, actor=manager, reason=" Too niche ")
    idea.refresh_from_db()
    assert (idea.status, idea.decision_reason, idea.decided_by) == ("rejected", "Too niche", manager)
    assert idea.decided_at is not None
    assert verbs(idea.id) == ["idea.rejected"]


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 5001, "a\x00"])
def test_reject_needs_a_reason(product, reason):
    idea = IdeaFactory(product=product)
    with pytest.raises(InvalidInput) as refused:
        services.idea_reject(idea_id=idea.id, reason=reason)
    assert set(refused.value.fields) == {"reason"}
    idea.refresh_from_db()
    assert idea.status == "concept"


@pytest.mark.parametrize("status", ["accepted", "rejected"])
def test_reject_of_a_decided_idea_is_a_conflict(product, status):
    idea = IdeaFactory(product=product, status=status)
    with pytest.raises(services.WrongIdeaStatus):
        services.idea_reject(idea_id=idea.id, reason="No")


@pytest.mark.parametrize("status", ["concept", "evaluated"])
def test_accept_makes_a_roadmap_item_that_links_back_to_the_idea_and_its_feedback(product, manager, status):
    idea = IdeaFactory(product=product, status=status, title="Offline mode", description="Drivers lose signal.")
    feedback = [FeedbackFactory(product=product), FeedbackFactory(product=ProductFactory(portfolio=product.portfolio))]
    idea.feedback.set(feedback)
    item = idea_accept(idea_id=idea.id, actor=manager)
    assert (item.product, item.title, item.description) == (product, "Offline mode", "Drivers lose signal.")
    assert (item.kind, item.horizon, item.status) == ("feature", "later", "proposed")
    assert list(item.ideas.all()) == [idea]
    assert sorted(item.feedback.values_list("pk", flat=True)) == sorted(f.pk for f in feedback)
    idea.refresh_from_db()
    assert (idea.status, idea.decided_by) == ("accepted", manager) and idea.decided_at is not None


def test_accept_carries_the_ideas_market_insights_to_the_roadmap_item(product, manager):
    idea = IdeaFactory(product=product)
    insight = MarketInsightFactory(portfolio=product.portfolio)
    idea.insights.add(insight)
    item = idea_accept(idea_id=idea.id, actor=manager)
    assert list(item.insights.all()) == [insight]


def test_accept_takes_kind_horizon_and_a_reason(product, manager):
    idea = IdeaFactory(product=product)
    item = idea_accept(idea_id=idea.id, actor=manager, kind="initiative", horizon="now", reason="Top ask")
    assert (item.kind, item.horizon) == ("initiative", "now")
    idea.refresh_from_db()
    assert idea.decision_reason == "Top ask"


def test_accept_puts_the_item_last_in_its_column(product):
    RoadmapItemFactory(product=product, horizon="next", rank=0)
    item = idea_accept(idea_id=IdeaFactory(product=product).id, horizon="next")
    assert item.rank == 1


def test_accept_records_the_item_and_the_decision_in_one_transaction(product, manager):
    idea = IdeaFactory(product=product)
    item = idea_accept(idea_id=idea.id, actor=manager)
    assert verbs(idea.id) == ["idea.accepted"]
    accepted = DomainEvent.objects.get(verb="idea.accepted")
    assert accepted.data == {"roadmap_item": item.id}
    assert DomainEvent.objects.filter(verb="roadmap_item.created", object_id=item.id).count() == 1


@pytest.mark.parametrize("status", ["accepted", "rejected"])
def test_accept_of_a_decided_idea_is_a_conflict_and_makes_no_item(product, status):
    idea = IdeaFactory(product=product, status=status)
    with pytest.raises(services.WrongIdeaStatus) as refused:
        idea_accept(idea_id=idea.id)
    assert refused.value.details == {"status": status}
    assert not RoadmapItem.objects.exists()


def test_accepting_twice_makes_one_item(product):
    idea = IdeaFactory(product=product)
    idea_accept(idea_id=idea.id)
    with pytest.raises(services.WrongIdeaStatus):
        idea_accept(idea_id=idea.id)
    assert RoadmapItem.objects.count() == 1


@pytest.mark.parametrize("fields, field", [({"kind": "epic"}, "kind"), ({"horizon": "soon"}, "horizon")])
def test_accept_with_an_unknown_kind_or_horizon_writes_nothing(product, fields, field):
    idea = IdeaFactory(product=product)
    with pytest.raises(InvalidInput) as refused:
        idea_accept(idea_id=idea.id, **fields)
    assert field in refused.value.fields
    idea.refresh_from_db()
    assert idea.status == "concept" and not RoadmapItem.objects.exists() and not DomainEvent.objects.exists()


def test_accept_of_a_missing_idea_is_not_found():
    with pytest.raises(NotFound):
        idea_accept(idea_id=999_999)


def test_delete_keeps_the_roadmap_item_made_from_it(product, manager):
    idea = IdeaFactory(product=product)
    item = idea_accept(idea_id=idea.id)
    assert services.idea_delete(idea_id=idea.id, actor=manager) == idea.title
    assert not Idea.objects.filter(pk=idea.pk).exists()
    assert RoadmapItem.objects.get(pk=item.pk).ideas.count() == 0
    assert DomainEvent.objects.filter(verb="idea.deleted", object_id=idea.id).count() == 1
