"""The goals pages: what a key result shows (value, target, progress, health, the KPI's sparkline), the
vision, the forms (the KPI select, refusals on the field with a 400), roles, filters, CSV and the cost of
a page."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpis.models import KPI, Rollup
from products.models import DomainEvent, Goal, KeyResult, Product, Role
from tests.factories import GoalFactory, KeyResultFactory, KPIFactory, PortfolioFactory, ProductFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula", vision="Every nebula, tracked.")


def as_role(client, portfolio, role):
    client.force_login(member(portfolio, role))
    return client


def this_year(product, **fields) -> Goal:
    year = timezone.localdate().year
    return GoalFactory(
        product=product, period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31), **fields
    )


def last_months(kpi, values):
    """Month rollups ending with the month before this one (the latest complete month)."""
    month = timezone.localdate().replace(day=1)
    for value in reversed(values):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        value = Decimal(str(value))
        Rollup.objects.create(
            kpi=kpi,
            granularity="month",
            period_start=month,
            value=value,
            count=1,
            total=value,
            minimum=value,
            maximum=value,
            last_observed_at=timezone.now(),
        )


# --- what the pages show --------------------------------------------------------------------------------


def test_the_product_page_shows_the_vision_and_each_key_result(client, portfolio, product):
    goal = this_year(product, title="Cut churn")
    churn = KPIFactory(
        product=product, name="Churn", unit="%", direction="lower_is_better", aggregation="avg", target=4
    )
    last_months(churn, [7, Decimal("6.5"), 6])
    key_result = KeyResultFactory(goal=goal, title="Churn to 4 %", start_value=8, target_value=4)
    KPI.objects.filter(pk=churn.pk).update(key_result=key_result)
    KeyResultFactory(goal=goal, title="NPS at 40", start_value=20, target_value=40, manual_value=30)
    page = as_role(client, portfolio, Role.VIEWER).get(f"/products/{product.id}/goals/").content.decode()
    assert "Every nebula, tracked." in page
    assert "Cut churn" in page and "Churn to 4 %" in page and "NPS at 40" in page
    assert "6 %" in page and "target 4 % · from 8 %" in page and "50 %" in page  # falling: 8 → 4, now 6
    assert 'class="sparkline"' in page and "Reported by hand" in page
    assert "health-off_track" in page  # churn 6 % against the KPI's 4 %
    assert f'href="/kpis/{churn.id}/"' in page


def test_the_rule_of_the_schedule_is_on_the_page(client, portfolio, product):
    page = as_role(client, portfolio, Role.VIEWER).get(f"/products/{product.id}/goals/").content.decode()
    assert "points behind the share of the goal" in page


def test_readers_see_no_write_links(client, portfolio, product):
    goal = this_year(product)
    page = as_role(client, portfolio, Role.MARKETER).get(f"/products/{product.id}/goals/").content.decode()
    assert f"/goals/{goal.id}/edit/" not in page and f"/products/{product.id}/vision/" not in page


def test_writers_see_the_write_links(client, portfolio, product):
    goal = this_year(product)
    page = as_role(client, portfolio, Role.PRODUCT_MANAGER).get(f"/products/{product.id}/goals/").content.decode()
    assert f"/goals/{goal.id}/edit/" in page and f"/goals/{goal.id}/key-results/new/" in page
    assert f"/products/{product.id}/vision/" in page


def test_a_product_without_goals_says_what_to_do(client, portfolio, product):
    page = as_role(client, portfolio, Role.ADMIN).get(f"/products/{product.id}/goals/").content.decode()
    assert "No goals yet" in page and f"/products/{product.id}/goals/new/" in page


def test_the_portfolio_page_shows_running_goals_by_default(client, portfolio, product):
    this_year(product, title="This year")
    GoalFactory(product=product, title="Long ago", period_start="2001-01-01", period_end="2001-12-31")
    client = as_role(client, portfolio, Role.VIEWER)
    page = client.get(f"/portfolios/{portfolio.id}/goals/").content.decode()
    assert "This year" in page and "Long ago" not in page
    every = client.get(f"/portfolios/{portfolio.id}/goals/?period=all").content.decode()
    assert "This year" in every and "Long ago" in every


def test_the_portfolio_page_narrows_to_a_product(client, portfolio, product):
    this_year(product, title="Nebula goal")
    this_year(ProductFactory(portfolio=portfolio), title="Other goal")
    page = as_role(client, portfolio, Role.VIEWER).get(f"/portfolios/{portfolio.id}/goals/?product={product.id}")
    assert "Nebula goal" in page.content.decode() and "Other goal" not in page.content.decode()


def test_a_bad_filter_is_ignored_not_a_500(client, portfolio, product):
    this_year(product, title="This year")
    page = as_role(client, portfolio, Role.VIEWER).get(f"/portfolios/{portfolio.id}/goals/?product=x&period=soon")
    assert page.status_code == 200 and "This year" in page.content.decode()


def test_another_portfolios_pages_are_404(client, portfolio):
    foreign = GoalFactory()
    client = as_role(client, portfolio, Role.ADMIN)
    assert client.get(f"/products/{foreign.product_id}/goals/").status_code == 404
    assert client.get(f"/goals/{foreign.id}/edit/").status_code == 404
    assert client.get(f"/portfolios/{foreign.product.portfolio_id}/goals/").status_code == 404


def test_key_results_as_csv(client, portfolio, product):
    goal = this_year(product, title="Grow")
    KeyResultFactory(goal=goal, title="NPS", start_value=20, target_value=40, manual_value=30)
    response = as_role(client, portfolio, Role.VIEWER).get(f"/products/{product.id}/goals/?format=csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,goal,goal_title") and ",Grow," in lines[1] and ",50," in lines[1]


# --- forms ----------------------------------------------------------------------------------------------


def test_a_goal_is_created_from_its_form(client, portfolio, product):
    client = as_role(client, portfolio, Role.PRODUCT_MANAGER)
    body = {"title": "Win", "period_start": "2026-01-01", "period_end": "2026-12-31", "description": ""}
    response = client.post(f"/products/{product.id}/goals/new/", body)
    goal = Goal.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/products/{product.id}/goals/#goal-{goal.id}"
    )
    assert DomainEvent.objects.filter(verb="goal.created").count() == 1


def test_a_goal_ending_before_it_starts_comes_back_on_the_form(client, portfolio, product):
    client = as_role(client, portfolio, Role.PRODUCT_MANAGER)
    body = {"title": "Win", "period_start": "2026-06-01", "period_end": "2026-01-01"}
    response = client.post(f"/products/{product.id}/goals/new/", body)
    assert response.status_code == 400 and "On or after the start of the period." in response.content.decode()
    assert not Goal.objects.exists()


def test_the_goal_form_starts_with_this_year(client, portfolio, product):
    page = as_role(client, portfolio, Role.ADMIN).get(f"/products/{product.id}/goals/new/").content.decode()
    assert f'value="{timezone.localdate().year}-01-01"' in page


def test_a_marketer_cannot_open_the_goal_form(client, portfolio, product):
    client = as_role(client, portfolio, Role.MARKETER)
    assert client.get(f"/products/{product.id}/goals/new/").status_code == 403
    assert client.post(f"/products/{product.id}/goals/new/", {"title": "x"}).status_code == 403


def test_the_kpi_select_lists_the_portfolios_kpis_the_products_first(client, portfolio, product):
    goal = this_year(product)
    KPIFactory(product=ProductFactory(portfolio=portfolio, name="Alpha"), name="Alpha revenue")
    KPIFactory(product=product, name="Nebula revenue", unit="EUR")
    KPIFactory(name="Foreign revenue")
    page = as_role(client, portfolio, Role.ADMIN).get(f"/goals/{goal.id}/key-results/new/").content.decode()
    assert "Foreign revenue" not in page
    assert page.index("Nebula — Nebula revenue (EUR, per month)") < page.index("Alpha — Alpha revenue")
    assert "Used only without a KPI" in page


def test_the_kpi_select_names_the_key_result_a_kpi_already_measures(client, portfolio, product):
    goal = this_year(product)
    KPIFactory(product=product, name="WAU", key_result=KeyResultFactory(goal=goal, title="Weekly actives"))
    page = as_role(client, portfolio, Role.ADMIN).get(f"/goals/{goal.id}/key-results/new/").content.decode()
    assert "measures “Weekly actives”" in page


def test_a_key_result_measured_by_a_kpi_is_created_from_its_form(client, portfolio, product):
    goal = this_year(product)
    kpi = KPIFactory(product=product)
    client = as_role(client, portfolio, Role.PRODUCT_MANAGER)
    body = {"title": "Revenue", "start_value": "0", "target_value": "1,000", "kpi": kpi.id}
    assert client.post(f"/goals/{goal.id}/key-results/new/", body).status_code == 302
    key_result = KeyResult.objects.get()
    assert key_result.target_value == 1000 and KPI.objects.get(pk=kpi.pk).key_result == key_result


def test_a_kpi_measuring_another_key_result_comes_back_on_the_form(client, portfolio, product):
    goal = this_year(product)
    taken = KPIFactory(product=product, key_result=KeyResultFactory(goal=goal, title="Weekly actives"))
    client = as_role(client, portfolio, Role.PRODUCT_MANAGER)
    body = {"title": "Again", "start_value": "0", "target_value": "10", "kpi": taken.id}
    response = client.post(f"/goals/{goal.id}/key-results/new/", body)
    assert (
        response.status_code == 400 and "already measures the key result “Weekly actives”" in response.content.decode()
    )
    assert KeyResult.objects.count() == 1


@pytest.mark.parametrize("value", ["NaN", "1e9999999", "999999999999999", "six"])
def test_a_bad_number_comes_back_on_the_form(client, portfolio, product, value):
    goal = this_year(product)
    client = as_role(client, portfolio, Role.PRODUCT_MANAGER)
    body = {"title": "x", "start_value": "0", "target_value": value}
    assert client.post(f"/goals/{goal.id}/key-results/new/", body).status_code == 400
    assert not KeyResult.objects.exists()


def test_editing_a_key_result_shows_its_values_plainly_and_can_unlink_its_kpi(client, portfolio, product):
    goal = this_year(product)
    key_result = KeyResultFactory(goal=goal, title="Revenue", start_value=11, target_value=14)
    kpi = KPIFactory(product=product, key_result=key_result)
    client = as_role(client, portfolio, Role.ADMIN)
    assert 'value="11"' in client.get(f"/key-results/{key_result.id}/edit/").content.decode()
    body = {"title": "Revenue", "start_value": "11", "target_value": "14", "kpi": "", "manual_value": "12"}
    assert client.post(f"/key-results/{key_result.id}/edit/", body).status_code == 302
    assert KPI.objects.get(pk=kpi.pk).key_result is None
    assert KeyResult.objects.get(pk=key_result.pk).manual_value == 12


def test_deleting_a_key_result_says_its_kpi_stays(client, portfolio, product):
    key_result = KeyResultFactory(goal=this_year(product))
    KPIFactory(product=product, name="Orbit", key_result=key_result)
    client = as_role(client, portfolio, Role.ADMIN)
    assert (
        "The KPI “Orbit” and its measurements stay"
        in client.get(f"/key-results/{key_result.id}/delete/").content.decode()
    )
    assert client.post(f"/key-results/{key_result.id}/delete/").status_code == 302
    assert not KeyResult.objects.exists() and KPI.objects.filter(name="Orbit").exists()


def test_the_vision_is_written_from_its_page(client, portfolio, product):
    client = as_role(client, portfolio, Role.PRODUCT_MANAGER)
    assert "Every nebula, tracked." in client.get(f"/products/{product.id}/vision/").content.decode()
    response = client.post(f"/products/{product.id}/vision/", {"vision": "Every galaxy, tracked."})
    assert response.status_code == 302 and Product.objects.get(pk=product.pk).vision == "Every galaxy, tracked."


def test_a_vision_with_a_nul_character_comes_back_on_the_form(client, portfolio, product):
    client = as_role(client, portfolio, Role.PRODUCT_MANAGER)
    assert client.post(f"/products/{product.id}/vision/", {"vision": "a\x00b"}).status_code == 400
    assert Product.objects.get(pk=product.pk).vision == "Every nebula, tracked."


# --- cost -----------------------------------------------------------------------------------------------


def _fill(portfolio, n):
    for i in range(n):
        product = ProductFactory(portfolio=portfolio)
        goal = this_year(product)
        kpi = KPIFactory(product=product, target=10, target_granularity="month", name=f"KPI {i}")
        last_months(kpi, [4, 5])
        measured = KeyResultFactory(goal=goal)
        KPI.objects.filter(pk=kpi.pk).update(key_result=measured)
        KeyResultFactory(goal=goal, manual_value=3)
    return product


def _queries(client, url) -> int:
    client.get(url)  # the first visit remembers the portfolio in the session: not the page's own cost
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
@pytest.mark.parametrize("which", ["portfolio", "portfolio-csv", "product", "product-csv"])
def test_goals_pages_cost_the_same_at_ten_times_the_data(client, role, which):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        as_role(client, portfolio, role)
        product = _fill(portfolio, n)
        if which == "product":  # ten goals on one product
            for _ in range(n - 1):
                _fill_goal(product)
        url = {
            "portfolio": f"/portfolios/{portfolio.id}/goals/",
            "portfolio-csv": f"/portfolios/{portfolio.id}/goals/?format=csv",
            "product": f"/products/{product.id}/goals/",
            "product-csv": f"/products/{product.id}/goals/?format=csv",
        }[which]
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts


def _fill_goal(product):
    goal = this_year(product)
    kpi = KPIFactory(product=product, target=10)
    last_months(kpi, [6])
    KPI.objects.filter(pk=kpi.pk).update(key_result=KeyResultFactory(goal=goal))
