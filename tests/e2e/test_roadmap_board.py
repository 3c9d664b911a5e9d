"""The roadmap board in headless Chromium: a drag and a keyboard move are saved and survive a reload."""

import pytest
from playwright.sync_api import expect

from products.models import Role
from roadmap.models import RoadmapItem
from tests.e2e.conftest import log_in
from tests.factories import PortfolioFactory, ProductFactory, RoadmapItemFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


@pytest.fixture
def board(live_server, page):
    """A product manager signed in, looking at a product board with two items in Now and two in Next."""
    portfolio = PortfolioFactory(name="Acme")
    product = ProductFactory(portfolio=portfolio, name="Insight Hub")
    items = {}
    for horizon, titles in (("now", ["Onboarding", "Dashboards"]), ("next", ["Metrics API", "Alerts"])):
        for rank, title in enumerate(titles):
            items[title] = RoadmapItemFactory(product=product, horizon=horizon, rank=rank, title=title)
    log_in(page, live_server, member(portfolio, Role.PRODUCT_MANAGER))
    page.wait_for_url(f"**/portfolios/{portfolio.id}/")
    page.goto(f"{live_server.url}/products/{product.id}/roadmap/")
    return product, items


def column_titles(tab, horizon: str) -> list[str]:
    return tab.locator(f'.rm-column[data-horizon="{horizon}"] .rm-card .rm-title').all_inner_texts()


def saved(product, horizon: str) -> list[str]:
    return list(
        RoadmapItem.objects.filter(product=product, horizon=horizon).order_by("rank").values_list("title", flat=True)
    )


def test_a_card_dragged_from_next_to_now_stays_there_after_a_reload(page, board):
    tab = page
    product, items = board
    card = tab.locator(f"#card-{items['Metrics API'].id}")
    target = tab.locator(f"#card-{items['Dashboards'].id}")
    with tab.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST") as answer:
        card.drag_to(target, target_position={"x": 40, "y": 6})  # the top of "Dashboards": before it
    assert answer.value.status == 200
    tab.wait_for_selector(f'.rm-column[data-horizon="now"] #card-{items["Metrics API"].id}')
    assert saved(product, "now") == ["Onboarding", "Metrics API", "Dashboards"]
    assert saved(product, "next") == ["Alerts"]

    tab.reload()
    assert column_titles(tab, "now") == ["Onboarding", "Metrics API", "Dashboards"]
    assert column_titles(tab, "next") == ["Alerts"]
    assert tab.violations == [] and tab.js_errors == []


def test_alt_arrow_keys_move_the_focused_card_and_say_where(page, board):
    tab = page
    product, items = board
    alerts = tab.locator(f"#card-{items['Alerts'].id}")
    alerts.focus()
    with tab.expect_response(lambda r: "/move/" in r.url):
        tab.keyboard.press("Alt+ArrowUp")
    expect(tab.locator("#rm-live")).to_have_text("Moved “Alerts” to Next, position 1.")
    assert tab.evaluate("document.activeElement.id") == f"card-{items['Alerts'].id}"  # focus stays on the card

    with tab.expect_response(lambda r: "/move/" in r.url):
        tab.keyboard.press("Alt+ArrowLeft")  # to Now, at the same place: the top
    expect(tab.locator("#rm-live")).to_have_text("Moved “Alerts” to Now, position 1.")
    assert tab.evaluate("document.activeElement.id") == f"card-{items['Alerts'].id}"
    assert tab.url.endswith(f"/products/{product.id}/roadmap/")  # Alt+← did not go Back

    tab.reload()
    assert column_titles(tab, "now") == ["Alerts", "Onboarding", "Dashboards"]
    assert column_titles(tab, "next") == ["Metrics API"]
    assert saved(product, "now") == ["Alerts", "Onboarding", "Dashboards"]
    assert tab.violations == [] and tab.js_errors == []
