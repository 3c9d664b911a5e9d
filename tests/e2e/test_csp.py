"""Headless Chromium under the strict Content-Security-Policy: no page reports a violation.

Chromium reports each blocked inline script, style or attribute as a `securitypolicyviolation` event and
a console error; both are collected (the listener is a DevTools init script, which the policy does not
govern). The header itself is checked without a browser in tests/test_security.py.
"""

from datetime import date

import pytest

from kpis.services import measurements_ingest
from products.models import Role, Stage
from tests.conftest import chromium_path, need
from tests.e2e.conftest import CHROMIUM_ARGS, PASSWORD
from tests.factories import KPIFactory, MembershipFactory, PortfolioFactory, ProductFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


@pytest.fixture
def portfolio_with_kpi():
    """A product manager in two portfolios; the first has a product with a revenue KPI over past months."""
    portfolio = PortfolioFactory(name="CSP Portfolio")
    pm = member(portfolio, Role.PRODUCT_MANAGER)
    other = MembershipFactory(user=pm, portfolio=PortfolioFactory(name="Second Portfolio"), role=Role.VIEWER)
    product = ProductFactory(portfolio=portfolio, name="Strict Product", stage=Stage.GROWTH)
    kpi = KPIFactory(product=product, key="revenue", name="Revenue", target=500, target_granularity="month")
    today = date.today()
    months = [(today.year * 12 + today.month - 1 - n) for n in range(6, 0, -1)]
    items = [{"observed_at": date(m // 12, m % 12 + 1, 15).isoformat(), "value": 100 * i} for i, m in enumerate(months)]
    measurements_ingest(kpi_id=kpi.id, items=items)  # autocommit: the rollup task runs on commit, in-process
    return type(
        "World", (), {"portfolio": portfolio, "other": other.portfolio, "pm": pm, "product": product, "kpi": kpi}
    )


def _visit(page, url):
    response = page.goto(url)
    assert response.ok, f"{url}: {response.status}"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.wait_for_load_state("load")


def test_pages_and_api_docs_report_no_csp_violation(page, live_server, portfolio_with_kpi):
    page, world = page, portfolio_with_kpi
    _visit(page, f"{live_server.url}/login/")
    page.fill("#id_username", world.pm.username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/portfolios/{world.portfolio.id}/")
    assert page.locator(".product-card", has_text="Strict Product").count() == 1

    _visit(page, f"{live_server.url}/products/{world.product.id}/")
    assert page.locator("svg.chart").count() == 1
    _visit(page, f"{live_server.url}/kpis/{world.kpi.id}/")
    assert page.locator("svg.chart").count() == 1

    _visit(page, f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()  # the schema loaded and Swagger UI rendered it
    # Swagger UI renders the tags in view (four or so at the top): their operations are on the page.
    assert page.locator(".swagger-ui .opblock").count() >= 5
    page.locator(".swagger-ui .opblock-summary").first.click()  # opening an operation renders more of the UI
    page.locator(".swagger-ui .opblock-body").first.wait_for()

    assert page.violations == []
    assert page.js_errors == []


def test_portfolio_switcher_goes_to_the_chosen_portfolio(page, live_server, portfolio_with_kpi):
    page, world = page, portfolio_with_kpi
    _visit(page, f"{live_server.url}/login/")
    page.fill("#id_username", world.pm.username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/portfolios/{world.portfolio.id}/")

    assert page.locator(".switcher-go").is_hidden()  # pmflow.js submits on change instead
    page.select_option("#portfolio-switcher", str(world.other.id))
    page.wait_for_url(f"**/portfolios/{world.other.id}/")
    assert page.locator("h1").inner_text() == "Second Portfolio"

    page.select_option("#portfolio-switcher", str(world.portfolio.id))
    page.wait_for_url(f"**/portfolios/{world.portfolio.id}/")
    assert page.violations == [] and page.js_errors == []


def test_portfolio_switcher_works_without_javascript(live_server, portfolio_with_kpi):
    path = chromium_path()
    need(path is not None, "Chromium not found (apt-get install chromium, or set PMFLOW_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    world = portfolio_with_kpi
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, timeout=20_000)
        try:
            page = browser.new_page(java_script_enabled=False)
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", world.pm.username)
            page.fill("#id_password", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_url(f"**/portfolios/{world.portfolio.id}/")
            page.select_option("#portfolio-switcher", str(world.other.id))
            page.click(".switcher-go")
            page.wait_for_url(f"**/portfolios/{world.other.id}/")
            assert page.locator("h1").inner_text() == "Second Portfolio"
        finally:
            browser.close()
