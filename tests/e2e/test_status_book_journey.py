"""A product manager writes a status book line from the dashboard in headless Chromium (the one-line form, no
JavaScript needed), comes back to the board with a message, and sees the time balance change: daily business
now above its range, with what to do about it."""

import pytest
from playwright.sync_api import expect

from products.models import Role, StatusBookEntry
from products.services import status_book as services
from tests.e2e.conftest import log_in
from tests.factories import PortfolioFactory, ProductFactory, StatusBookEntryFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


@pytest.fixture
def board(live_server, page):
    """A product manager signed in on the board, with an hour of long-term work logged today."""
    portfolio = PortfolioFactory(name="Acme")
    ProductFactory(portfolio=portfolio, name="Insight Hub")
    hub = ProductFactory(portfolio=portfolio, name="Pulse Alerts")
    user = member(portfolio, Role.PRODUCT_MANAGER)
    StatusBookEntryFactory(
        product=hub, author=user, category="long_term", minutes=60, date=services.today_in(portfolio), text="Vision"
    )
    log_in(page, live_server, user)
    page.wait_for_url(f"**/portfolios/{portfolio.id}/")
    return portfolio, user


def test_a_product_manager_logs_a_line_from_the_dashboard_and_the_balance_changes(page, live_server, board):
    portfolio, user = board
    tab = page
    tab.goto(f"{live_server.url}/portfolios/{portfolio.id}/status-book/balance/")
    expect(tab.locator("#share-long_term .share-value")).to_have_text("100.00 %")
    expect(tab.locator("#share-daily .share-value")).to_have_text("0.00 %")

    tab.goto(f"{live_server.url}/portfolios/{portfolio.id}/")
    form = tab.locator(".quick-entry-form")
    expect(form.locator("#qe-date")).to_have_value(services.today_in(portfolio).isoformat())
    form.locator("#qe-text").fill("Answered sales questions on pricing")
    form.locator("#qe-product").select_option(label="Pulse Alerts")
    form.locator("#qe-category").select_option("daily")
    form.locator("#qe-minutes").fill("120")
    with tab.expect_navigation():
        form.locator("button[type=submit]").click()

    assert tab.url == f"{live_server.url}/portfolios/{portfolio.id}/"
    expect(tab.locator(".messages")).to_contain_text("Logged 2 h on Pulse Alerts (daily business)")
    entry = StatusBookEntry.objects.get(text="Answered sales questions on pricing")
    assert (entry.author, entry.minutes, entry.category) == (user, 120, "daily")

    with tab.expect_navigation():
        tab.click(".quick-entry a:has-text('time balance')")
    assert tab.url.endswith(f"/portfolios/{portfolio.id}/status-book/balance/")
    expect(tab.locator("#share-daily .share-value")).to_have_text("66.67 %")
    expect(tab.locator("#share-long_term .share-value")).to_have_text("33.33 %")
    expect(tab.locator("#share-daily .advice")).to_have_text("Too much daily business: block time for long-term work.")
    expect(tab.locator(".balance-verdict")).to_contain_text("3 of 3 out of the recommended range")
    assert tab.violations == [] and tab.js_errors == []
