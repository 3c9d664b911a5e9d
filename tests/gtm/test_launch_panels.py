"""Go-to-market pieces of the products pages: the product page's launch panel, the dashboard card's launch
line, and the launch plan page's "launch_plan.panels" slot."""

import datetime
import re

import pytest
from django.db import connection
from django.template import Template
from django.test.utils import CaptureQueriesContext

from gtm.models import LaunchPlan
from gtm.selectors import today_in
from gtm.services.launches import launch_plan_launch, launch_plan_sync_status
from products import pages
from products.models import Role
from tests.factories import LaunchPlanFactory, LaunchTaskFactory, PortfolioFactory, ProductFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(timezone="Europe/Berlin"), name="Nebula", stage="development")


def login(client, product, role=Role.MARKETER):
    user = member(product.portfolio, role)
    client.force_login(user)
    return user


def days(product, n: int) -> datetime.date:
    return today_in(product.portfolio) + datetime.timedelta(days=n)


def plan_with(product, *, done=0, todo=0, **fields):
    plan = LaunchPlanFactory(product=product, **fields)
    for i in range(done):
        LaunchTaskFactory(launch_plan=plan, status="done", title=f"Done {i}")
    for i in range(todo):
        LaunchTaskFactory(launch_plan=plan, title=f"Todo {i}", due_date=days(product, -2))
    launch_plan_sync_status(plan)
    return plan


def panel_of(page: str) -> str:
    match = re.search(r'<section class="card launch-panel".*?</section>', page, re.S)
    assert match, "no launch panel on the product page"
    return match.group(0)


# --- the product page's panel -----------------------------------------------------------------------


def test_the_launch_panel_sits_under_the_roadmap_and_above_the_kpis():
    keys = [f.key for f in pages.fragments("product.panels")]
    assert "gtm.launches" in keys
    assert keys.index("roadmap") < keys.index("gtm.launches")
    if "kpis" in keys:
        assert keys.index("gtm.launches") < keys.index("kpis")


def test_panel_lists_open_launches_soonest_first_with_readiness(client, product):
    login(client, product)
    later = plan_with(product, done=1, todo=3, name="Later launch", launch_date=days(product, 40))
    sooner = plan_with(product, done=1, todo=1, name="Sooner launch", launch_date=days(product, 5), tier=1)
    plan_with(ProductFactory(portfolio=product.portfolio), todo=1, name="Another product's launch")
    panel = panel_of(client.get(f"/products/{product.id}/").content.decode())
    assert panel.index(f"/launches/{sooner.id}/") < panel.index(f"/launches/{later.id}/")
    assert "Another product" not in panel
    assert "<strong>50 %</strong> · 1 of 2 required" in panel and "<strong>25 %</strong> · 1 of 4 required" in panel
    assert "tier-badge tier-1" in panel and "· in 5 days" in panel
    assert '<span class="alert-overdue">1 overdue</span>' in panel


def test_panel_shows_recent_launches_under_lately(client, product):
    login(client, product)
    plan = plan_with(product, done=1, name="Shipped launch")
    launch_plan_launch(plan_id=plan.id)
    panel = panel_of(client.get(f"/products/{product.id}/").content.decode())
    lately = panel[panel.index("Lately") :]
    assert "Shipped launch" in lately and "launch-launched" in lately and "100 % ready" in lately
    assert "No launch planned." in panel


@pytest.mark.parametrize("role, offered", [(Role.MARKETER, True), (Role.PRODUCT_MANAGER, True), (Role.VIEWER, False)])
def test_panel_offers_planning_a_launch_to_writers(client, product, role, offered):
    login(client, product, role)
    panel = panel_of(client.get(f"/products/{product.id}/").content.decode())
    assert (f'href="/launches/new/?product={product.id}"' in panel) is offered
    assert f'href="/portfolios/{product.portfolio_id}/launches/?product={product.id}"' in panel


def test_product_page_queries_do_not_grow_with_launches(client, product):
    login(client, product)
    plan_with(product, done=1, todo=1)
    client.get(f"/products/{product.id}/")  # caches warm
    with CaptureQueriesContext(connection) as few:
        client.get(f"/products/{product.id}/")
    for i in range(10):
        plan_with(product, done=2, todo=2, launch_date=days(product, i))
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/products/{product.id}/").content.decode()
    assert panel_of(page).count("launch-readiness") == 11
    assert len(many) == len(few)


# --- the dashboard card's launch line ---------------------------------------------------------------


def test_dashboard_card_shows_the_next_launch_and_its_readiness(client, product):
    plan_with(product, done=1, todo=1, launch_date=datetime.date(2027, 5, 20))
    plan_with(product, done=1, todo=3, launch_date=datetime.date(2027, 4, 2))
    login(client, product, Role.VIEWER)
    page = client.get(f"/portfolios/{product.portfolio_id}/").content.decode()
    line = re.search(r'<span class="launch-line small"[^>]*>(.*?)</span>\s*$', page, re.M | re.S).group(1)
    assert re.sub(r"<[^>]+>", "", line).split() == ["Launch", "2", "Apr", "·", "25", "%", "ready", "(+1", "more)"]


def test_a_product_without_an_open_launch_has_no_launch_line(client, product):
    plan = plan_with(product, done=1)
    launch_plan_launch(plan_id=plan.id)
    LaunchPlanFactory(product=product, status=LaunchPlan.Status.CANCELLED)
    login(client, product, Role.VIEWER)
    assert "launch-line" not in client.get(f"/portfolios/{product.portfolio_id}/").content.decode()


def test_dashboard_launch_lines_cost_the_same_at_ten_times_the_products(client, product):
    portfolio = product.portfolio
    login(client, product, Role.VIEWER)

    def add_products(n):
        for i in range(n):
            other = ProductFactory(portfolio=portfolio)
            plan_with(other, done=1, todo=1, launch_date=days(product, i + 1))
            plan_with(other, todo=1, launch_date=days(product, i + 30))

    add_products(2)
    client.get(f"/portfolios/{portfolio.id}/")  # session and caches warm
    with CaptureQueriesContext(connection) as few:
        client.get(f"/portfolios/{portfolio.id}/")
    add_products(18)
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/portfolios/{portfolio.id}/").content.decode()
    assert page.count('class="launch-line') == 20
    assert len(many) == len(few)


# --- the launch plan page's panel slot --------------------------------------------------------------


def test_the_plan_page_renders_the_launch_plan_panels(client, product, monkeypatch):
    """Each fragment of the slot is rendered with its context as `panel` (the KPI panels use it)."""
    seen = []

    def context(plan, request):
        seen.append(plan.id)
        return {"title": f"Panel of {plan.name}"}

    monkeypatch.setattr(pages, "_slots", {**pages._slots, "launch_plan.panels": []})
    panel = Template('<section class="test-panel">{{ panel.title }}</section>')  # include takes a template too
    pages.register_fragment("launch_plan.panels", pages.Fragment(key="test", template=panel, context=context))
    plan = plan_with(product, todo=1, name="Panelled launch")
    login(client, product)
    page = client.get(f"/launches/{plan.id}/").content.decode()
    assert seen == [plan.id]
    assert '<section class="test-panel">Panel of Panelled launch</section>' in page
