"""A product manager turns a market insight into a roadmap feature in headless Chromium: opens the insight,
starts an idea from it (the insight already ticked on the idea form), links a customer's feedback,
evaluates the idea, accepts it as a feature for the next horizon, and lands on the new roadmap item, which
names the idea and carries its feedback. The insight's page then lists the idea behind it.
"""

import datetime

import pytest
from playwright.sync_api import expect

from products.models import Idea, Role
from roadmap.models import RoadmapItem
from tests.e2e.conftest import log_in
from tests.factories import FeedbackFactory, MarketInsightFactory, PortfolioFactory, ProductFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def journey(live_server, page):
    """A product manager signed in; an insight about Nebula and a customer's feedback asking for the same."""
    portfolio = PortfolioFactory(name="Acme")
    product = ProductFactory(portfolio=portfolio, name="Nebula")
    insight = MarketInsightFactory(
        portfolio=portfolio,
        kind="customer_expectation",
        title="Field teams expect offline mode",
        summary="Three of five buyers asked about working without a connection.",
        impact="high",
        observed_on=datetime.date.today(),
    )
    insight.products.add(product)
    feedback = FeedbackFactory(
        product=product, customer="Orbit Logistics", text="Our drivers lose signal: we need offline mode.", importance=5
    )
    log_in(page, live_server, member(portfolio, Role.PRODUCT_MANAGER))
    page.wait_for_url(f"**/portfolios/{portfolio.id}/")
    return live_server, product, insight, feedback


def test_a_product_manager_turns_an_insight_into_a_roadmap_feature(page, journey):
    live_server, product, insight, feedback = journey
    tab = page

    # The insight's page.
    tab.goto(f"{live_server.url}/insights/{insight.id}/")
    expect(tab.locator("h1")).to_contain_text("Field teams expect offline mode")
    expect(tab.locator("#ideas-title")).to_contain_text("Ideas behind it")

    # A new idea from it: the insight is already ticked on the form.
    tab.click("text=New idea from this insight")
    tab.wait_for_url("**/ideas/new/**")
    expect(tab.locator(f'input[name="insights"][value="{insight.id}"]')).to_be_checked()
    expect(tab.locator("#id_product")).to_have_value(str(product.id))
    tab.fill("#id_title", "Offline mode for drivers")
    tab.fill("#id_description", "Keep working without a connection; sync when back online.")
    tab.check(f'input[name="feedback"][value="{feedback.id}"]')
    tab.click("main form button[type=submit].primary")

    # The idea's page: a concept, then evaluated.
    idea = Idea.objects.get(title="Offline mode for drivers")
    tab.wait_for_url(f"**/ideas/{idea.id}/")
    expect(tab.locator("h1 .idea-status")).to_have_text("Concept")
    expect(tab.locator("#insights")).to_contain_text("Field teams expect offline mode")
    expect(tab.locator("#demand")).to_contain_text("Orbit Logistics")
    tab.click("text=Mark as evaluated")
    tab.wait_for_url(f"**/ideas/{idea.id}/")
    expect(tab.locator("h1 .idea-status")).to_have_text("Evaluated")

    # Accepted as a feature for the next horizon.
    tab.select_option("#accept_kind", "feature")
    tab.select_option("#accept_horizon", "next")
    tab.fill("#accept_reason", "Most asked for by field teams this quarter.")
    tab.click("text=Accept and add to the roadmap")

    # The new roadmap item, which names the idea and carries its feedback.
    item = RoadmapItem.objects.get(ideas=idea)
    tab.wait_for_url(f"**/roadmap-items/{item.id}/")
    expect(tab.locator("h1")).to_contain_text("Offline mode for drivers")
    expect(tab.locator(".messages")).to_contain_text("is accepted")
    why = tab.locator("#why")
    expect(why).to_contain_text("Offline mode for drivers")
    expect(why).to_contain_text("Accepted")
    expect(why).to_contain_text("Our drivers lose signal")
    idea.refresh_from_db()
    assert idea.status == Idea.Status.ACCEPTED and idea.decided_by is not None
    assert (item.kind, item.horizon, item.product_id) == ("feature", "next", product.id)
    assert list(item.feedback.all()) == [feedback]

    # Back on the insight's page, the idea behind it is listed and leads to the idea.
    tab.goto(f"{live_server.url}/insights/{insight.id}/")
    link = tab.locator(f'main a[href="/ideas/{idea.id}/"]')
    expect(link).to_have_text("Offline mode for drivers")
    link.click()
    tab.wait_for_url(f"**/ideas/{idea.id}/")
    expect(tab.locator("h1 .idea-status")).to_have_text("Accepted")
    assert tab.violations == [] and tab.js_errors == []
