"""The roadmap's pieces of the product page: the roadmap panel and the release_shipped evidence."""

import datetime
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products import pages
from products.models import Role, StageTransition
from products.services import lifecycle_rules_evaluate
from roadmap.services import release_ship
from tests.factories import (
    LifecycleRuleFactory,
    PortfolioFactory,
    ProductFactory,
    ReleaseFactory,
    RoadmapItemFactory,
    member,
)

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(timezone=BERLIN.key), name="Nebula", stage="development")


def login(client, product, role=Role.PRODUCT_MANAGER):
    user = member(product.portfolio, role)
    client.force_login(user)
    return user


def berlin_today() -> datetime.date:
    """Today where the portfolio is: from 23:00 UTC it is already tomorrow in Berlin."""
    return timezone.localdate(timezone=BERLIN)


def days(n: int) -> datetime.date:
    return berlin_today() + datetime.timedelta(days=n)


def panel_of(page: str) -> str:
    match = re.search(r'<section class="card roadmap-panel".*?</section>', page, re.S)
    assert match, "no roadmap panel on the product page"
    return match.group(0)


def test_the_roadmap_panel_comes_before_the_kpi_panel():
    keys = [f.key for f in pages.fragments("product.panels")]
    assert keys.index("roadmap") < keys.index("kpis")


def test_panel_counts_open_items_per_horizon(client, product):
    login(client, product)
    for horizon, n in (("now", 2), ("next", 1), ("later", 3)):
        for _ in range(n):
            RoadmapItemFactory(product=product, horizon=horizon, status="planned")
    RoadmapItemFactory(product=product, horizon="now", status="done")
    RoadmapItemFactory(product=product, horizon="next", status="dropped")
    RoadmapItemFactory(horizon="now")  # another product's
    panel = panel_of(client.get(f"/products/{product.id}/").content.decode())
    counts = dict(
        (label, int(n))
        for n, label in re.findall(r'horizon-count">(\d+)</span> <span class="horizon-label">(\w+)<', panel)
    )
    assert counts == {"Now": 2, "Next": 1, "Later": 3}


def test_panel_shows_the_next_planned_release_with_readiness_and_the_last_shipped(client, product):
    login(client, product)
    later = ReleaseFactory(product=product, version="3.0", target_date=days(40))
    soon = ReleaseFactory(product=product, version="2.0", target_date=days(-2))
    RoadmapItemFactory(product=product, release=soon, status="done")
    RoadmapItemFactory(product=product, release=soon, status="planned")
    old = ReleaseFactory(product=product, version="1.0")
    RoadmapItemFactory(product=product, release=old, status="done")
    release_ship(release_id=old.id)
    panel = panel_of(client.get(f"/products/{product.id}/").content.decode())
    nxt, shipped = panel.split("Last shipped")
    assert f'href="/releases/{soon.id}/"' in nxt and f"/releases/{later.id}/" not in nxt
    assert "1 of 2 done" in nxt and "overdue" in nxt and "and 1 more planned" in nxt
    assert f'href="/releases/{old.id}/"' in shipped and "1 of 1 done" in shipped


def test_panel_links_to_the_board_the_items_and_planning_a_release(client, product):
    login(client, product)
    panel = panel_of(client.get(f"/products/{product.id}/").content.decode())
    assert f'href="/products/{product.id}/roadmap/"' in panel
    assert f'href="/portfolios/{product.portfolio_id}/roadmap/items/?product={product.id}"' in panel
    assert f'href="/releases/new/?product={product.id}"' in panel
    assert "None planned." in panel and "Nothing shipped yet." in panel


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_readers_get_no_plan_a_release_link(client, product, role):
    login(client, product, role)
    panel = panel_of(client.get(f"/products/{product.id}/").content.decode())
    assert "/releases/new/" not in panel


def test_product_page_query_count_does_not_grow_with_the_roadmap(client, product):
    login(client, product)
    url = f"/products/{product.id}/"

    def grow():
        release = ReleaseFactory(product=product, target_date=days(10))
        for horizon in ("now", "next", "later"):
            RoadmapItemFactory(product=product, horizon=horizon, release=release)
        shipped = ReleaseFactory(product=product)
        RoadmapItemFactory(product=product, release=shipped, status="done")
        release_ship(release_id=shipped.id)

    grow()
    client.get(url)
    with CaptureQueriesContext(connection) as once:
        client.get(url)
    for _ in range(9):
        grow()
    with CaptureQueriesContext(connection) as tenfold:
        client.get(url)
    assert len(tenfold) == len(once)


# --- the release_shipped evidence --------------------------------------------------------------------


def test_a_move_by_a_release_shipped_rule_shows_its_release(client, product):
    login(client, product)
    LifecycleRuleFactory(
        portfolio=product.portfolio,
        name="Shipped means launch",
        from_stage="development",
        to_stage="launch",
        condition_type="release_shipped",
        params={},
    )
    release = ReleaseFactory(product=product, version="1.0", name="First light")
    RoadmapItemFactory(product=product, release=release, status="done")
    RoadmapItemFactory(product=product, release=release, status="dropped")
    release_ship(release_id=release.id)
    move = lifecycle_rules_evaluate(product_id=product.id)
    assert isinstance(move, StageTransition) and move.to_stage == "launch"
    page = client.get(f"/products/{product.id}/").content.decode()
    evidence = re.search(r'<details class="release-evidence">.*?</details>', page, re.S).group(0)
    assert "a release of the product ships" in evidence
    assert f'<a href="/releases/{release.id}/">1.0 First light</a>' in evidence
    assert "with 1 of 2 items done" in evidence
    release.refresh_from_db()
    assert release.shipped_at.date().isoformat() in evidence


def test_the_rule_form_offers_release_shipped_without_parameters(client, product):
    login(client, product, Role.ADMIN)
    url = f"/portfolios/{product.portfolio_id}/rules/new/"
    form = client.get(f"{url}?condition_type=release_shipped")
    assert form.status_code == 200 and 'value="release_shipped"' in form.content.decode()
    response = client.post(
        url,
        {
            "name": "Ship to launch",
            "from_stage": "development",
            "to_stage": "launch",
            "condition_type": "release_shipped",
            "mode": "auto",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = product.portfolio.lifecycle_rules.get(name="Ship to launch")
    assert (rule.condition_type, rule.params) == ("release_shipped", {})


# --- the dashboard card's roadmap line ---------------------------------------------------------------------


def test_dashboard_card_shows_open_items_by_horizon_and_the_next_release(client, product):
    RoadmapItemFactory(product=product, horizon="now", status="in_progress")
    RoadmapItemFactory(product=product, horizon="now", status="done", rank=1)  # finished: not counted
    RoadmapItemFactory(product=product, horizon="later")
    ReleaseFactory(product=product, version="2.0", target_date=days(40))
    ReleaseFactory(product=product, version="1.5", target_date=days(10))
    login(client, product, Role.VIEWER)
    page = client.get(f"/portfolios/{product.portfolio_id}/").content.decode()
    line = re.search(r'<span class="roadmap-line small"[^>]*>(.*?)</span>\s*\n', page, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", line).split() == ["1", "now", "·", "0", "next", "·", "1", "later"]
    assert "Release 1.5" in page


def test_dashboard_card_of_a_product_without_a_roadmap_has_no_roadmap_line(client, product):
    login(client, product, Role.VIEWER)
    assert "roadmap-line" not in client.get(f"/portfolios/{product.portfolio_id}/").content.decode()


def test_dashboard_roadmap_lines_cost_the_same_at_ten_times_the_products(client, product):
    portfolio = product.portfolio
    login(client, product, Role.VIEWER)

    def add_products(n):
        for i in range(n):
            other = ProductFactory(portfolio=portfolio)
            RoadmapItemFactory(product=other, horizon="next")
            ReleaseFactory(product=other, target_date=days(i + 1))

    add_products(2)
    client.get(f"/portfolios/{portfolio.id}/")  # session and caches warm
    with CaptureQueriesContext(connection) as few:
        client.get(f"/portfolios/{portfolio.id}/")
    add_products(18)
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/portfolios/{portfolio.id}/").content.decode()
    assert page.count("roadmap-line") == 20
    assert len(many) == len(few)


def test_roadmap_cards_are_registered_on_the_dashboard():
    assert "roadmap.glance" in [fragment.key for fragment in pages.fragments("dashboard.card")]
