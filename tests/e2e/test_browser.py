"""Headless Chromium against a live server: log in, dashboard, product page with chart and history."""

import os

import pytest

from kpis.services import measurements_ingest
from products import services
from products.models import Role, Stage
from tests.conftest import chromium_path, need
from tests.factories import KPIFactory, MembershipFactory, ProductFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; Django's ORM calls here are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_page():
    path = chromium_path()
    need(path is not None, "Chromium not found (apt-get install chromium, or set PMFLOW_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


@pytest.fixture
def launched_product():
    product = ProductFactory(name="Pulse Alerts", stage=Stage.DEVELOPMENT)
    kpi = KPIFactory(product=product, key="revenue", name="Revenue", target=500, target_granularity="month")
    items = [{"observed_at": f"2026-{month:02d}-15", "value": 100 * month} for month in range(1, 10)]
    measurements_ingest(kpi_id=kpi.id, items=items)  # autocommit: the rollup task runs on commit
    services.product_transition(
        product_id=product.id, to_stage=Stage.LAUNCH, reason="Release 1.0 shipped to all customers", actor=None
    )
    return product


def _log_in(page, live_server, user):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "secret-pass-1")
    page.click("button[type=submit]")


def test_product_manager_logs_in_and_follows_a_product_to_its_chart_and_history(
    browser_page, live_server, launched_product
):
    user = UserFactory()
    MembershipFactory(user=user, portfolio=launched_product.portfolio, role=Role.PRODUCT_MANAGER)
    page = browser_page
    _log_in(page, live_server, user)
    page.wait_for_url(f"**/portfolios/{launched_product.portfolio_id}/")
    card = page.locator(".column.stage-launch .product-card", has_text="Pulse Alerts")
    assert card.count() == 1
    card.click()
    page.wait_for_url(f"**/products/{launched_product.id}/")
    assert page.locator("h1").inner_text().startswith("Pulse Alerts")
    assert page.locator("svg.chart").count() == 1
    assert page.locator("svg.chart circle").count() >= 9
    history = page.locator(".timeline")
    assert "Release 1.0 shipped to all customers" in history.inner_text()
    assert page.locator("#move button[type=submit]").is_visible()


def test_viewer_sees_the_product_without_the_move_form(browser_page, live_server, launched_product):
    user = UserFactory()
    MembershipFactory(user=user, portfolio=launched_product.portfolio, role=Role.VIEWER)
    page = browser_page
    _log_in(page, live_server, user)
    page.wait_for_url(f"**/portfolios/{launched_product.portfolio_id}/")
    page.goto(f"{live_server.url}/products/{launched_product.id}/")
    assert page.locator("svg.chart").count() == 1
    assert page.locator("#move").count() == 0
