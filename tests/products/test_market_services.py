"""products.services.market: insights, competitors and moves are written with one event each, their
references stay in the portfolio, bad input writes nothing, and the lookups count moves without a response."""

import datetime

import pytest

from pmflow.errors import InvalidInput, NotFound
from products.models import Competitor, CompetitorMove, DomainEvent, MarketInsight
from products.services import market as services
from tests.factories import (
    CompetitorFactory,
    CompetitorMoveFactory,
    IdeaFactory,
    MarketInsightFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def portfolio():
    return PortfolioFactory()


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def insight(portfolio, **fields):
    values = {"kind": "trend", "title": "AI copilots everywhere", "observed_on": DAY, **fields}
    return services.market_insight_create(portfolio=portfolio, **values)


# --- insights -----------------------------------------------------------------------------------------


def test_an_insight_is_created_with_its_products_and_one_event(portfolio, product):
    actor = UserFactory()
    created = insight(portfolio, products=[product], source="  Gartner 2026  ", actor=actor)
    assert list(created.products.all()) == [product]
    assert created.source == "Gartner 2026" and created.impact == "medium"
    event = DomainEvent.objects.get()
    assert event.verb == "market_insight.created" and event.actor == actor
    assert event.changes["products"] == [None, [product.id]]


def test_an_insight_of_another_portfolios_product_is_refused_on_products(portfolio):
    foreign = ProductFactory()
    with pytest.raises(InvalidInput) as refused:
        insight(portfolio, products=[foreign])
    assert refused.value.fields == {"products": "Choose products of this portfolio."}
    assert not MarketInsight.objects.exists() and not DomainEvent.objects.exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "\ud800"}, "title"),
        ({"kind": "rumour"}, "kind"),
        ({"impact": "huge"}, "impact"),
        ({"observed_on": None}, "observed_on"),
        ({"observed_on": datetime.date(1, 1, 1)}, "observed_on"),
        ({"source": "s" * 501}, "source"),
        ({"summary": "s" * 20_001}, "summary"),
    ],
)
def test_bad_insight_input_is_refused_on_its_field_and_writes_nothing(portfolio, fields, field):
    with pytest.raises(InvalidInput) as refused:
        insight(portfolio, **fields)
    assert field in refused.value.fields
    assert not MarketInsight.objects.exists() and not DomainEvent.objects.exists()


def test_an_update_records_only_what_changed(portfolio, product):
    created = insight(portfolio)
    services.market_insight_update(
        insight_id=created.id, impact="high", title="AI copilots everywhere", products=[product]
    )
    event = DomainEvent.objects.filter(verb="market_insight.updated").get()
    assert event.changes == {"impact": ["medium", "high"], "products": [[], [product.id]]}


def test_an_update_that_changes_nothing_records_nothing(portfolio):
    created = insight(portfolio)
    services.market_insight_update(insight_id=created.id, title="AI copilots everywhere", products=[])
    assert not DomainEvent.objects.filter(verb="market_insight.updated").exists()


def test_deleting_an_insight_keeps_the_ideas_that_named_it(portfolio, product):
    created = insight(portfolio)
    idea = IdeaFactory(product=product)
    idea.insights.add(created)
    assert services.market_insight_delete(insight_id=created.id) == "AI copilots everywhere"
    assert idea.insights.count() == 0
    assert DomainEvent.objects.get(verb="market_insight.deleted").data["ideas"] == [idea.id]


def test_a_missing_insight_is_not_found():
    with pytest.raises(NotFound):
        services.market_insight_update(insight_id=987654, title="x")


def test_insights_count_the_ideas_and_roadmap_items_that_name_them(portfolio, product):
    created = insight(portfolio)
    for _ in range(2):
        IdeaFactory(product=product).insights.add(created)
    row = services.market_insights().get(pk=created.pk)
    assert (row.idea_count, row.roadmap_item_count) == (2, 0)


# --- competitors --------------------------------------------------------------------------------------


def test_a_competitor_is_created_with_its_segments(portfolio):
    segment = SegmentFactory(portfolio=portfolio)
    competitor = services.competitor_create(
        portfolio=portfolio, name="Rival", website="https://rival.example.com", segments=[segment], threat="high"
    )
    assert list(competitor.segments.all()) == [segment]
    assert DomainEvent.objects.get().verb == "competitor.created"


def test_a_taken_competitor_name_is_refused_on_name(portfolio):
    CompetitorFactory(portfolio=portfolio, name="Rival")
    with pytest.raises(InvalidInput) as refused:
        services.competitor_create(portfolio=portfolio, name=" Rival ")
    assert refused.value.fields == {"name": services.NAME_TAKEN}


def test_the_same_name_in_another_portfolio_is_fine(portfolio):
    CompetitorFactory(name="Rival")
    assert services.competitor_create(portfolio=portfolio, name="Rival").name == "Rival"


def test_renaming_to_its_own_name_is_fine(portfolio):
    competitor = CompetitorFactory(portfolio=portfolio, name="Rival")
    services.competitor_update(competitor_id=competitor.id, name="Rival", pricing="Per seat")
    competitor.refresh_from_db()
    assert competitor.pricing == "Per seat"


@pytest.mark.parametrize("website", ["javascript:alert(1)", "ftp://rival.test", "rival.com", "https://a b.com"])
def test_a_website_that_is_not_http_is_refused(portfolio, website):
    with pytest.raises(InvalidInput) as refused:
        services.competitor_create(portfolio=portfolio, name="Rival", website=website)
    assert refused.value.fields == {"website": services.WEBSITE_MESSAGE}


def test_a_segment_of_another_portfolio_is_refused_on_segments(portfolio):
    with pytest.raises(InvalidInput) as refused:
        services.competitor_create(portfolio=portfolio, name="Rival", segments=[SegmentFactory()])
    assert refused.value.fields == {"segments": "Choose segments of this portfolio."}
    assert not Competitor.objects.exists()


def test_deleting_a_competitor_deletes_its_moves_and_names_them(portfolio):
    competitor = CompetitorFactory(portfolio=portfolio)
    move = CompetitorMoveFactory(competitor=competitor)
    assert services.competitor_delete(competitor_id=competitor.id) == competitor.name
    assert not CompetitorMove.objects.exists()
    assert DomainEvent.objects.get(verb="competitor.deleted").data["moves"] == [move.id]


def test_competitors_count_their_moves_and_those_without_a_response(portfolio):
    competitor = CompetitorFactory(portfolio=portfolio)
    CompetitorMoveFactory(competitor=competitor, happened_on=datetime.date(2026, 1, 5))
    CompetitorMoveFactory(competitor=competitor, response="Matched", response_status="done", happened_on=DAY)
    CompetitorFactory(portfolio=portfolio, name="Quiet")
    rows = {row.name: row for row in services.competitors().filter(portfolio=portfolio)}
    assert (rows[competitor.name].move_count, rows[competitor.name].open_move_count) == (2, 1)
    assert rows[competitor.name].last_move_on == DAY
    assert (rows["Quiet"].move_count, rows["Quiet"].open_move_count, rows["Quiet"].last_move_on) == (0, 0, None)


# --- moves --------------------------------------------------------------------------------------------


def move(competitor, **fields):
    values = {"kind": "price_change", "happened_on": DAY, "description": "Cut the Pro plan by 20 %", **fields}
    return services.competitor_move_create(competitor=competitor, **values)


def test_a_move_is_recorded_without_a_response_by_default(portfolio, product):
    recorded = move(CompetitorFactory(portfolio=portfolio), products=[product])
    assert recorded.response_status == "none" and list(recorded.products.all()) == [product]
    assert DomainEvent.objects.get().verb == "competitor_move.created"


def test_a_planned_response_must_say_what_it_is(portfolio):
    with pytest.raises(InvalidInput) as refused:
        move(CompetitorFactory(portfolio=portfolio), response_status="planned")
    assert refused.value.fields == {"response": services.RESPONSE_NEEDED}


def test_a_status_change_is_judged_with_the_stored_response(portfolio):
    recorded = move(CompetitorFactory(portfolio=portfolio), response="Match for large deals")
    services.competitor_move_update(move_id=recorded.id, response_status="done")
    recorded.refresh_from_db()
    assert recorded.response_status == "done"
    with pytest.raises(InvalidInput):
        services.competitor_move_update(move_id=recorded.id, response="")


def test_a_move_of_another_portfolios_product_is_refused(portfolio):
    with pytest.raises(InvalidInput) as refused:
        move(CompetitorFactory(portfolio=portfolio), products=[ProductFactory()])
    assert refused.value.fields == {"products": "Choose products of this portfolio."}
    assert not CompetitorMove.objects.exists()


def test_a_move_goes_under_another_competitor_of_the_portfolio_only(portfolio):
    recorded = move(CompetitorFactory(portfolio=portfolio))
    other = CompetitorFactory(portfolio=portfolio)
    services.competitor_move_update(move_id=recorded.id, competitor=other)
    recorded.refresh_from_db()
    assert recorded.competitor == other
    with pytest.raises(InvalidInput) as refused:
        services.competitor_move_update(move_id=recorded.id, competitor=CompetitorFactory())
    assert refused.value.fields == {"competitor": "Choose a competitor of this portfolio."}


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"description": ""}, "description"),
        ({"kind": "rumour"}, "kind"),
        ({"happened_on": None}, "happened_on"),
        ({"happened_on": datetime.date(9999, 12, 31)}, "happened_on"),
        ({"response_status": "maybe"}, "response_status"),
        ({"response": "x\x00"}, "response"),
    ],
)
def test_bad_move_input_is_refused_on_its_field(portfolio, fields, field):
    with pytest.raises(InvalidInput) as refused:
        move(CompetitorFactory(portfolio=portfolio), **fields)
    assert field in refused.value.fields
    assert not CompetitorMove.objects.exists() and not DomainEvent.objects.exists()


def test_deleting_a_move_records_what_it_was(portfolio):
    recorded = move(CompetitorFactory(portfolio=portfolio, name="Rival"))
    assert services.competitor_move_delete(move_id=recorded.id) == f"Rival: Price change on {DAY}"
    assert DomainEvent.objects.get(verb="competitor_move.deleted").data["kind"] == "price_change"


def test_unanswered_keeps_the_moves_without_a_response(portfolio):
    competitor = CompetitorFactory(portfolio=portfolio)
    open_move = CompetitorMoveFactory(competitor=competitor)
    CompetitorMoveFactory(competitor=competitor, response="Ignore", response_status="done")
    assert list(services.unanswered(CompetitorMove.objects.all())) == [open_move]


def test_insight_factory_rows_are_found_by_the_lookup(portfolio):
    row = MarketInsightFactory(portfolio=portfolio)
    assert services.market_insights().get(pk=row.pk).idea_count == 0
