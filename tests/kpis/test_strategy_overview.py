"""A product's strategy overview: vision, goals with key-result progress, market insight, open competitor
moves, segments served, the ideas most asked for and recent feedback; empty states; the cost of the page."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kpis import strategy_overview
from products.models import Role
from tests.factories import (
    CompetitorFactory,
    CompetitorMoveFactory,
    FeedbackFactory,
    GoalFactory,
    IdeaFactory,
    KeyResultFactory,
    KPIFactory,
    MarketInsightFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


@pytest.fixture
def other(portfolio):
    return ProductFactory(portfolio=portfolio, name="Quasar")


def sign_in(client, portfolio, role=Role.VIEWER):
    user = member(portfolio, role)
    client.force_login(user)
    return user


def url(product) -> str:
    return f"/products/{product.id}/strategy/"


def text(response) -> str:
    return response.content.decode()


def reversible(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def overview(product):
    return strategy_overview.product_strategy(product, today=TODAY)


# --- what it reads --------------------------------------------------------------------------------


def test_goals_are_the_current_and_upcoming_ones_soonest_first(product):
    GoalFactory(
        product=product, title="Past", period_start=datetime.date(2025, 1, 1), period_end=datetime.date(2025, 12, 31)
    )
    GoalFactory(
        product=product, title="Next", period_start=datetime.date(2026, 7, 1), period_end=datetime.date(2026, 9, 30)
    )
    GoalFactory(
        product=product, title="Now", period_start=datetime.date(2026, 4, 1), period_end=datetime.date(2026, 6, 30)
    )
    GoalFactory(product=ProductFactory(portfolio=product.portfolio), title="Elsewhere")
    found = overview(product)
    assert [goal.title for goal in found.goals] == ["Now", "Next"]
    assert found.goals_total == 2


def test_a_key_result_shows_its_progress_from_its_manual_value(product):
    goal = GoalFactory(product=product, period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31))
    KeyResultFactory(goal=goal, title="Reach 100", start_value=0, target_value=100, manual_value=Decimal("40"))
    found = overview(product)
    kr = found.goals[0].key_result_list[0]
    assert kr.value.progress == Decimal("40.0")
    assert kr.figure == "40 of 100"
    assert found.goals[0].value.progress == Decimal("40.0")


def test_a_key_result_measured_by_a_kpi_names_it_and_its_unit(product):
    goal = GoalFactory(product=product)
    kr = KeyResultFactory(goal=goal, title="Revenue up")
    KPIFactory(product=product, name="Revenue", unit="EUR", key_result=kr)
    found = overview(product)
    shown = found.goals[0].key_result_list[0]
    assert shown.value.kpi.name == "Revenue"
    assert shown.figure == "— of 100 EUR"


def test_insights_are_the_top_five_by_impact_then_newest(product, other):
    def insight(title, impact, day):
        row = MarketInsightFactory(portfolio=product.portfolio, title=title, impact=impact, observed_on=day)
        row.products.add(product)
        return row

    insight("Old high", "high", datetime.date(2026, 1, 1))
    insight("New high", "high", datetime.date(2026, 5, 1))
    insight("Medium", "medium", datetime.date(2026, 6, 1))
    for n in range(4):
        insight(f"Low {n}", "low", datetime.date(2026, 6, 1 + n))
    MarketInsightFactory(portfolio=product.portfolio, title="Other product's", impact="high").products.add(other)
    found = overview(product)
    assert [row.title for row in found.insights.rows] == ["New high", "Old high", "Medium", "Low 3", "Low 2"]
    assert found.insights.total == 7 and found.insights.more == 2


def test_open_moves_are_those_without_a_finished_response(product, other):
    rival = CompetitorFactory(portfolio=product.portfolio, name="Rival")
    for status in ("none", "planned", "done"):
        CompetitorMoveFactory(competitor=rival, description=f"Move {status}", response_status=status).products.add(
            product
        )
    CompetitorMoveFactory(competitor=rival, description="Elsewhere").products.add(other)
    found = overview(product)
    assert sorted(move.description for move in found.moves.rows) == ["Move none", "Move planned"]


def test_segments_served_come_by_priority(product):
    SegmentFactory(portfolio=product.portfolio, name="Low", priority=1).products.add(product)
    SegmentFactory(portfolio=product.portfolio, name="High", priority=5).products.add(product)
    SegmentFactory(portfolio=product.portfolio, name="Not served", priority=5)
    assert [s.name for s in overview(product).segments.rows] == ["High", "Low"]


def test_ideas_are_the_open_ones_most_asked_for(product):
    asked = IdeaFactory(product=product, title="Asked", status="evaluated")
    quiet = IdeaFactory(product=product, title="Quiet")
    accepted = IdeaFactory(product=product, title="Accepted", status="accepted")
    FeedbackFactory(product=product, importance=5).ideas.add(asked)
    FeedbackFactory(product=product, importance=5).ideas.add(accepted)
    found = overview(product)
    assert [idea.title for idea in found.ideas.rows] == [asked.title, quiet.title]
    assert found.ideas.rows[0].demand_weight == 5


def test_feedback_is_counted_by_source_over_the_last_90_days(product, other):
    for source, days_ago in (("support", 1), ("support", 89), ("sales", 10), ("survey", 90), ("beta", 200)):
        FeedbackFactory(product=product, source=source, received_on=TODAY - datetime.timedelta(days=days_ago))
    FeedbackFactory(product=other, source="sales", received_on=TODAY)
    found = overview(product)
    assert found.feedback_by_source == [("Support", "support", 2), ("Sales", "sales", 1)]
    assert found.feedback_recent == 3 and found.feedback_total == 5
    assert found.feedback_since == TODAY - datetime.timedelta(days=89)


# --- the page -------------------------------------------------------------------------------------


def test_the_page_shows_each_section_with_its_rows(client, portfolio, product):
    sign_in(client, portfolio)
    product.vision = "For teams that ship: <launch> on time."
    product.save(update_fields=["vision"])
    today = timezone.localdate()
    goal = GoalFactory(product=product, title="Win the mid-market", period_start=today, period_end=today)
    KeyResultFactory(goal=goal, title="Ten new logos", target_value=10, manual_value=5)
    MarketInsightFactory(portfolio=portfolio, title="Buyers want dashboards", impact="high").products.add(product)
    rival = CompetitorFactory(portfolio=portfolio, name="Rival Corp")
    CompetitorMoveFactory(competitor=rival, kind="price_change", description="Cut prices by 20 %").products.add(product)
    SegmentFactory(portfolio=portfolio, name="Mid-market", priority=4).products.add(product)
    IdeaFactory(product=product, title="Dashboard export")
    FeedbackFactory(product=product, source="support", received_on=today)
    page = text(client.get(url(product)))
    assert "For teams that ship: &lt;launch&gt; on time." in page
    for shown in (
        "Win the mid-market",
        "Ten new logos",
        "50.0 %",
        "Buyers want dashboards",
        "High impact",
        "Rival Corp",
        "price change",
        "No response yet",
        "Mid-market",
        "priority <strong>4</strong> of 5",
        "Dashboard export",
        "Support<strong>1</strong>",
    ):
        assert shown in page, shown


def test_a_bare_product_gets_an_empty_state_in_every_section(client, portfolio, product):
    sign_in(client, portfolio)
    page = text(client.get(url(product)))
    for hint in (
        "No vision yet",
        "No current or upcoming goals for Nebula",
        "No market insight names Nebula yet",
        "No competitor move touching Nebula waits for a response",
        "Nebula serves no segment yet",
        "No open ideas for Nebula",
        "No feedback on Nebula in the last 90 days",
    ):
        assert hint in page, hint


def test_a_viewer_is_told_who_writes_and_gets_no_links_to_add(client, portfolio, product):
    sign_in(client, portfolio, Role.VIEWER)
    page = text(client.get(url(product)))
    assert "Admins and product managers write it." in page
    offers = ("New idea", "Add an insight", "Add feedback", "import a CSV", "the vision", "Add a goal")
    for offer in offers:
        assert f"{offer}</a>" not in page


def test_a_product_manager_gets_the_links_to_add_what_is_missing(client, portfolio, product):
    sign_in(client, portfolio, Role.PRODUCT_MANAGER)
    page = text(client.get(url(product)))
    for name in ("idea-create", "insight-create", "feedback-create"):
        link = reversible(name)
        if link:
            assert f'href="{link}?product={product.id}"' in page, name
    vision = reversible("product-vision-edit", product.id) or reversible("product-vision", product.id)
    if vision:
        assert f'href="{vision}">Write the vision</a>' in page
    goal = reversible("goal-create", product.id)
    if goal:
        assert f'href="{goal}">Add a goal</a>' in page


def test_each_section_links_to_its_full_page(client, portfolio, product):
    sign_in(client, portfolio)
    page = text(client.get(url(product)))
    for name, suffix in (
        ("insight-list", f"?product={product.id}"),
        ("competitor-list", f"?product={product.id}"),
        ("idea-list", f"?product={product.id}"),
        ("feedback-list", f"?product={product.id}"),
        ("segment-list", ""),
    ):
        link = reversible(name, portfolio.id)
        if link:
            assert f'href="{link}{suffix}"' in page, name


def test_another_portfolios_product_is_a_404(client, portfolio):
    sign_in(client, portfolio)
    assert client.get(url(ProductFactory())).status_code == 404


def test_the_product_page_links_to_the_strategy(client, portfolio, product):
    sign_in(client, portfolio)
    assert f'href="/products/{product.id}/strategy/"' in text(client.get(f"/products/{product.id}/"))


def fill(product, n: int) -> None:
    portfolio = product.portfolio
    rival = CompetitorFactory(portfolio=portfolio)
    today = timezone.localdate()
    for i in range(n):
        goal = GoalFactory(product=product, period_start=today, period_end=today)
        kr = KeyResultFactory(goal=goal, manual_value=3)
        KPIFactory(product=product, key=f"k{i}", key_result=KeyResultFactory(goal=goal))
        KeyResultFactory(goal=goal)
        MarketInsightFactory(portfolio=portfolio, impact="high").products.add(product)
        CompetitorMoveFactory(competitor=rival).products.add(product)
        SegmentFactory(portfolio=portfolio).products.add(product)
        idea = IdeaFactory(product=product)
        FeedbackFactory(product=product, source=["support", "sales", "beta"][i % 3], received_on=today).ideas.add(idea)
        assert kr.pk


def test_the_page_costs_the_same_queries_at_ten_times_the_data(client):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        product = ProductFactory(portfolio=portfolio)
        sign_in(client, portfolio, Role.PRODUCT_MANAGER)
        fill(product, n)
        client.get(url(product))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(product)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 14, counts
