"""Headless Chromium against a live server: log in, dashboard, product page with chart and history.

Data is built with the factories and the services (so rollups and the stage history are real), in a
transactional database so the live server's thread sees it and on-commit tasks run as in production.
"""

from datetime import date

import pytest

from kpis.models import Rollup
from kpis.services import measurements_ingest
from products import services
from products.models import Role, Stage
from tests.e2e.conftest import log_in
from tests.factories import KPIFactory, PortfolioFactory, ProductFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

REASON = "Release 1.0 shipped to all customers"
MONTHS = 9


def _months_back(count: int) -> list[date]:
    """The 15th of each of the `count` months before this one, oldest first (complete periods)."""
    today = date.today()
    index = today.year * 12 + today.month - 1
    return [date((index - n) // 12, (index - n) % 12 + 1, 15) for n in range(count, 0, -1)]


@pytest.fixture
def journey():
    """A portfolio with a PM and a viewer, and a product moved Development → Launch with a revenue KPI."""
    portfolio = PortfolioFactory(name="Acme Browser Test")
    pm = member(portfolio, Role.PRODUCT_MANAGER)
    viewer = member(portfolio, Role.VIEWER)
    product = ProductFactory(portfolio=portfolio, name="Pulse Alerts", stage=Stage.DEVELOPMENT)
    kpi = KPIFactory(product=product, key="revenue", name="Revenue", target=500, target_granularity="month")
    months = _months_back(MONTHS)
    items = [{"observed_at": day.isoformat(), "value": 100 * (n + 1)} for n, day in enumerate(months)]
    measurements_ingest(kpi_id=kpi.id, items=items)  # autocommit: the rollup task runs on commit, in-process
    assert Rollup.objects.filter(kpi=kpi, granularity="month").count() == MONTHS
    services.product_transition(product_id=product.id, to_stage=Stage.LAUNCH, reason=REASON, actor=pm)
    return type("Journey", (), {"portfolio": portfolio, "pm": pm, "viewer": viewer, "product": product})


def test_product_manager_logs_in_and_follows_a_product_to_its_chart_and_history(page, live_server, journey):
    log_in(page, live_server, journey.pm)

    page.wait_for_url(f"**/portfolios/{journey.portfolio.id}/")
    assert page.locator("h1").inner_text() == "Acme Browser Test"
    card = page.locator(".column.stage-launch .product-card", has_text="Pulse Alerts")
    assert card.count() == 1
    assert page.locator(".column:not(.stage-launch) .product-card", has_text="Pulse Alerts").count() == 0

    card.click()
    page.wait_for_url(f"**/products/{journey.product.id}/")
    assert page.locator("h1").inner_text().startswith("Pulse Alerts")
    assert page.locator("h1 .stage-badge").inner_text() == "Launch"
    chart = page.locator("svg.chart")
    assert chart.count() == 1
    assert chart.locator("circle").count() == MONTHS
    assert chart.locator("polyline.target").count() == 1
    history = page.locator(".timeline").inner_text()
    assert "Development → Launch" in history
    assert REASON in history
    assert page.locator("#move").get_by_role("heading", name="Move stage").is_visible()
    assert page.js_errors == []


def test_viewer_sees_the_product_without_the_move_form(page, live_server, journey):
    log_in(page, live_server, journey.viewer)
    page.wait_for_url(f"**/portfolios/{journey.portfolio.id}/")

    page.goto(f"{live_server.url}/products/{journey.product.id}/")
    assert page.locator("h1").inner_text().startswith("Pulse Alerts")
    assert page.locator("svg.chart").count() == 1
    assert REASON in page.locator(".timeline").inner_text()
    assert page.get_by_role("heading", name="Move stage").count() == 0
    assert page.locator(f"form[action$='/products/{journey.product.id}/transition/']").count() == 0
    assert page.js_errors == []
