"""A product manager sees a rule's suggestion on the dashboard in headless Chromium, opens its evidence (the
release that shipped), accepts it with a note, and lands on the product page: the product is in the new
stage and its stage history names the suggestion."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from products.models import Product, Role, Stage, StageSuggestion
from products.services.rules import lifecycle_rules_run
from tests.e2e.conftest import log_in
from tests.factories import LifecycleRuleFactory, PortfolioFactory, ProductFactory, ReleaseFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


@pytest.fixture
def suggested(live_server, page):
    """Pulse Alerts shipped release 2.0 while in Launch; the portfolio's suggest rule proposed Growth."""
    portfolio = PortfolioFactory(name="Acme")
    ProductFactory(portfolio=portfolio, name="Insight Hub")
    product = ProductFactory(
        portfolio=portfolio,
        name="Pulse Alerts",
        stage=Stage.LAUNCH,
        stage_changed_at=timezone.now() - timedelta(days=9),
    )
    ReleaseFactory(product=product, version="2.0", status="shipped", shipped_at=timezone.now() - timedelta(days=2))
    LifecycleRuleFactory(
        portfolio=portfolio,
        name="Shipped in launch, so growing",
        condition_type="release_shipped",
        params={},
        mode="suggest",
    )
    lifecycle_rules_run(product_id=product.id)
    user = member(portfolio, Role.PRODUCT_MANAGER)
    log_in(page, live_server, user)
    page.wait_for_url(f"**/portfolios/{portfolio.id}/")
    return product, user


def test_a_product_manager_accepts_a_suggestion_from_the_dashboard(page, live_server, suggested):
    product, user = suggested
    suggestion = StageSuggestion.objects.get(product=product)
    tab = page

    panel = tab.locator(".suggestion-panel")
    expect(panel).to_contain_text("Suggested stage moves")
    line = panel.locator("li", has_text="Pulse Alerts")
    expect(line).to_contain_text("Launch")
    expect(line).to_contain_text("Growth")
    expect(line).to_contain_text("Because a release of the product ships")
    with tab.expect_navigation():
        line.locator("a.review").click()
    assert tab.url == f"{live_server.url}/suggestions/{suggestion.id}/"

    expect(tab.locator("h1")).to_contain_text("Move Pulse Alerts to Growth?")
    evidence = tab.locator(".suggestion-evidence")
    expect(evidence.get_by_role("link", name="2.0")).to_be_visible()  # opened at once by suggestions.js
    expect(evidence).to_contain_text("shipped")

    tab.locator(".accept-form textarea").fill("Support load is fine, sales agree")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Accept: move to Growth").click()

    assert tab.url == f"{live_server.url}/products/{product.id}/"
    expect(tab.locator(".messages")).to_contain_text("Pulse Alerts moved from Launch to Growth")
    expect(tab.locator("h1 .stage-badge")).to_have_text("Growth")
    latest = tab.locator("#stage-history .timeline li").first
    expect(latest).to_contain_text("Launch → Growth")
    expect(latest).to_contain_text(user.username)
    expect(latest).to_contain_text("sales agree")
    expect(latest.get_by_role("link", name="the rule’s evidence and the decision")).to_have_attribute(
        "href", f"/suggestions/{suggestion.id}/"
    )
    assert Product.objects.get(pk=product.id).stage == Stage.GROWTH
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("accepted", user)

    tab.goto(f"{live_server.url}/portfolios/{product.portfolio_id}/")
    expect(tab.locator(".suggestion-panel")).to_have_count(0)
    assert tab.violations == [] and tab.js_errors == []
