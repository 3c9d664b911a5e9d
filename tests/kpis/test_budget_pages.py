"""The marketing plan pages (kpis/budget_views.py): the list by year, the quarterly review page, the form with
its budget lines table (add and remove without JavaScript), delete; roles before forms; fixed query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kpis.services import measurements_ingest
from products.models import BudgetLine, BudgetPlan, DomainEvent, Role
from products.services import budget as services
from tests.factories import (
    CampaignFactory,
    KPIFactory,
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(timezone="Europe/Berlin")


@pytest.fixture
def product(portfolio):
    return ProductFactory(
        portfolio=portfolio, product_line=ProductLineFactory(portfolio=portfolio, name="Analytics"), name="Insight Hub"
    )


def client_for(portfolio, role) -> Client:
    client = Client()
    client.force_login(member(portfolio, role))
    return client


@pytest.fixture
def manager(portfolio):
    return client_for(portfolio, Role.PRODUCT_MANAGER)


@pytest.fixture
def plan(product, django_capture_on_commit_callbacks):
    kpi = KPIFactory(product=product, key="revenue")
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(
            kpi_id=kpi.id,
            items=[
                {"observed_at": "2026-02-10T10:00:00+01:00", "value": 52000},
                {"observed_at": "2026-05-10T10:00:00+02:00", "value": 61000},
            ],
        )
    CampaignFactory(
        product=product,
        name="Expo stand",
        channel="events",
        start_date=datetime.date(2026, 3, 31),
        end_date=datetime.date(2026, 4, 20),
        budget=20000,
        spend=23500,
    )
    CampaignFactory(
        product=product,
        name="Search ads",
        channel="paid_search",
        start_date=datetime.date(2026, 5, 2),
        end_date=datetime.date(2026, 6, 2),
        budget=5000,
        spend=1200,
    )
    return services.budget_plan_create(
        product=product,
        year=2026,
        budget_lines=[
            {"quarter": 1, "channel": "Events", "amount": 20000},
            {"quarter": 2, "channel": "Paid search", "amount": 4000},
            {"quarter": 2, "channel": "Trade fairs", "amount": 1000},
        ],
        sales_targets=[{"quarter": 1, "amount": 50000}, {"quarter": 2, "amount": 65000}],
    )


def _form(owner: str, year="2026", *rows, targets=("", "", "", ""), **extra) -> dict:
    body = {
        "owner": owner,
        "year": year,
        **{f"target_{q}": value for q, value in zip((1, 2, 3, 4), targets, strict=True)},
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for index, row in enumerate(rows):
        for name, value in zip(("quarter", "channel", "amount", "DELETE"), row, strict=False):
            body[f"lines-{index}-{name}"] = value
    return {**body, **extra}


# --- the review page ------------------------------------------------------------------------------------


def test_the_page_shows_each_quarters_plan_against_actuals(manager, plan):
    html = manager.get(f"/budget-plans/{plan.id}/").content.decode()
    assert "Marketing plan 2026: Insight Hub" in html
    assert "+3,500" in html  # Q1 spend 23,500 against 20,000: over budget
    assert "+2,000" in html  # Q1 revenue 52,000 against 50,000: ahead
    assert "−3,800" in html  # Q2 spend 1,200 against 5,000
    assert "−4,000" in html  # Q2 revenue 61,000 against 65,000: behind


def test_the_page_says_which_way_variances_are_good(manager, plan):
    html = manager.get(f"/budget-plans/{plan.id}/").content.decode()
    assert "Variance = actual − plan." in html
    assert "Spend above budget is positive: over budget" in html
    assert "Sales above target are positive: ahead" in html
    assert 'class="num variance bad" data-label="Spend variance"' in html
    assert 'class="num variance good" data-label="Sales variance"' in html


def test_a_quarter_without_revenue_shows_no_data_not_zero(manager, plan):
    html = manager.get(f"/budget-plans/{plan.id}/").content.decode()
    assert html.count('title="No revenue data for this quarter">no data<') == 2  # Q3 and Q4


def test_the_page_draws_both_charts(manager, plan):
    html = manager.get(f"/budget-plans/{plan.id}/").content.decode()
    assert "Marketing: budget vs spend per quarter, 2026" in html
    assert "Sales: target vs actual revenue per quarter, 2026" in html
    assert html.count('<svg class="chart plan-svg"') == 2
    assert "style=" not in html.split("<main", 1)[-1]  # strict CSP: no inline style


def test_the_budget_by_channel_lines_up_with_the_campaign_channels(manager, plan):
    html = manager.get(f"/budget-plans/{plan.id}/").content.decode()
    channels = html.split('id="channels-title"', 1)[1].split("</section>", 1)[0]
    assert "Events" in channels and "23,500" in channels  # over its 20,000
    assert "Trade fairs" in channels and 'title="Not a campaign channel"' in channels


def test_the_page_lists_the_campaigns_counted(manager, plan):
    html = manager.get(f"/budget-plans/{plan.id}/").content.decode()
    campaigns = html.split('id="campaigns-title"', 1)[1]
    assert "Expo stand" in campaigns and "Search ads" in campaigns


def test_the_page_names_a_missing_revenue_kpi(manager, portfolio):
    bare = ProductFactory(portfolio=portfolio, name="Scout")
    plan = services.budget_plan_create(product=bare, year=2026)
    html = manager.get(f"/budget-plans/{plan.id}/").content.decode()
    assert "has a revenue KPI" in html and "Give Scout a KPI" in html


def test_the_page_as_csv_has_the_four_quarters(manager, plan):
    response = manager.get(f"/budget-plans/{plan.id}/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "quarter,budget,spend,sales_target,sales_actual,spend_variance,sales_variance"
    assert lines[1] == "1,20000,23500,50000,52000,3500,2000"
    assert lines[3] == "3,0,0,,,0,"


def test_a_viewer_reads_the_page_without_write_links(portfolio, plan):
    html = client_for(portfolio, Role.VIEWER).get(f"/budget-plans/{plan.id}/").content.decode()
    assert f"/budget-plans/{plan.id}/edit/" not in html


def test_another_portfolios_plan_is_a_404(plan):
    assert client_for(PortfolioFactory(), Role.ADMIN).get(f"/budget-plans/{plan.id}/").status_code == 404


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_page_costs_the_same_for_1_or_10_campaigns_and_lines(manager, plan, product):
    manager.get(f"/budget-plans/{plan.id}/")  # the session learns the portfolio once
    counts = []
    for n in (1, 10):
        for index in range(n):
            CampaignFactory(product=product, start_date=datetime.date(2026, 8, 1), end_date=datetime.date(2026, 8, 9))
            BudgetLine.objects.create(plan=plan, quarter=3, channel=f"c{n}-{index}", amount=index)
        counts.append(_queries(manager, f"/budget-plans/{plan.id}/"))
    assert counts[0] == counts[1], counts


# --- the list -------------------------------------------------------------------------------------------


def test_the_list_shows_plans_by_year_with_their_totals(manager, plan, portfolio, product):
    services.budget_plan_create(product_line=product.product_line, year=2025)
    html = manager.get(f"/portfolios/{portfolio.id}/budget-plans/").content.decode()
    assert html.index('id="year-2026"') < html.index('id="year-2025"')
    assert "Analytics (product line)" in html
    assert "25,000" in html and "24,700" in html and "−300" in html  # budget, spend, variance of 2026
    assert "over budget in Q1" in html


def test_the_list_filters_by_year_and_owner(manager, plan, portfolio, product):
    services.budget_plan_create(product_line=product.product_line, year=2025)
    html = manager.get(f"/portfolios/{portfolio.id}/budget-plans/?year=2025").content.decode()
    assert "Analytics (product line)" in html and 'id="year-2026"' not in html
    html = manager.get(f"/portfolios/{portfolio.id}/budget-plans/?owner=product-{product.id}").content.decode()
    assert 'id="year-2025"' not in html and 'id="year-2026"' in html


def test_the_empty_list_says_what_a_plan_is_and_how_to_start(manager, portfolio):
    html = manager.get(f"/portfolios/{portfolio.id}/budget-plans/").content.decode()
    assert "No marketing plans yet." in html and "/budget-plans/new/?portfolio=" in html


def _fill(portfolio, n: int) -> None:
    for index in range(n):
        product = ProductFactory(portfolio=portfolio, product_line=ProductLineFactory(portfolio=portfolio))
        KPIFactory(product=product, key="revenue")
        CampaignFactory(product=product, start_date=datetime.date(2026, 2, 1), end_date=datetime.date(2026, 2, 9))
        services.budget_plan_create(
            product=product,
            year=2026,
            budget_lines=[{"quarter": 1, "channel": "email", "amount": index}],
            sales_targets=[{"quarter": 1, "amount": 100}],
        )
        services.budget_plan_create(product_line=product.product_line, year=2025)


@pytest.mark.parametrize("query", ["", "?year=2026"])
def test_the_list_costs_the_same_for_2_or_20_plans(query):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        client = client_for(portfolio, Role.VIEWER)
        _fill(portfolio, n)
        counts.append(_queries(client, f"/portfolios/{portfolio.id}/budget-plans/{query}"))
    assert counts[0] == counts[1], counts


# --- create and edit ------------------------------------------------------------------------------------


def test_create_saves_the_plan_its_lines_and_targets(manager, portfolio, product):
    body = _form(
        f"product-{product.id}",
        "2027",
        ("1", "Paid search", "4,000"),
        ("", "", ""),  # a blank line is left out
        ("3", "Events", "12000.50"),
        targets=("80000", "", "90000", ""),
    )
    response = manager.post(f"/budget-plans/new/?portfolio={portfolio.id}", body)
    plan = BudgetPlan.objects.get(year=2027)
    assert response.status_code == 302 and response["Location"] == f"/budget-plans/{plan.id}/"
    assert list(plan.budget_lines.values_list("quarter", "channel", "amount")) == [
        (1, "Paid search", Decimal("4000")),
        (3, "Events", Decimal("12000.50")),
    ]
    assert list(plan.sales_targets.values_list("quarter", "amount")) == [(1, Decimal("80000")), (3, Decimal("90000"))]
    assert DomainEvent.objects.filter(verb="budget_plan.created").count() == 1


def test_create_for_a_line(manager, portfolio, product):
    response = manager.post(f"/budget-plans/new/?portfolio={portfolio.id}", _form(f"line-{product.product_line_id}"))
    assert response.status_code == 302
    assert BudgetPlan.objects.get().product_line_id == product.product_line_id


def test_the_new_form_starts_with_the_owner_and_one_row_per_quarter(manager, portfolio, product):
    html = manager.get(f"/budget-plans/new/?portfolio={portfolio.id}&product={product.id}").content.decode()
    assert f'<option value="product-{product.id}" selected>' in html
    assert 'name="lines-TOTAL_FORMS" value="4"' in html
    assert '<datalist id="budget-channels">' in html and '<option value="Paid search">' in html


def test_add_a_line_comes_back_with_one_more_row_and_saves_nothing(manager, portfolio, product):
    body = _form(f"product-{product.id}", "2027", ("1", "email", "5"), targets=("100", "", "", ""), add="line")
    response = manager.post(f"/budget-plans/new/?portfolio={portfolio.id}", body)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="2"' in html
    assert 'name="lines-0-channel" value="email"' in html and 'name="target_1" value="100"' in html
    assert "errorlist" not in html
    assert not BudgetPlan.objects.exists()


def test_remove_drops_a_line_on_save(manager, plan):
    body = _form(
        f"product-{plan.product_id}",
        "2026",
        ("1", "Events", "20000"),
        ("2", "Paid search", "4000", "on"),
        targets=("50000", "65000", "", ""),
    )
    assert manager.post(f"/budget-plans/{plan.id}/edit/", body).status_code == 302
    assert list(plan.budget_lines.values_list("channel", flat=True)) == ["Events"]


def test_the_edit_form_shows_the_plan(manager, plan):
    html = manager.get(f"/budget-plans/{plan.id}/edit/").content.decode()
    assert 'name="target_2" value="65000"' in html
    assert 'name="lines-2-channel" value="Trade fairs"' in html
    assert 'name="lines-TOTAL_FORMS" value="5"' in html  # three lines and two blank ones


def test_a_repeated_channel_comes_back_as_a_400_and_nothing_is_written(manager, portfolio, product):
    body = _form(f"product-{product.id}", "2026", ("1", "Email", "1"), ("1", "email", "2"))
    response = manager.post(f"/budget-plans/new/?portfolio={portfolio.id}", body)
    assert response.status_code == 400
    assert "repeats line 1" in response.content.decode()
    assert not BudgetPlan.objects.exists() and not DomainEvent.objects.exists()


def test_an_incomplete_line_is_named_on_its_field(manager, portfolio, product):
    body = _form(f"product-{product.id}", "2026", ("2", "", "300"))
    response = manager.post(f"/budget-plans/new/?portfolio={portfolio.id}", body)
    assert response.status_code == 400 and "Name the channel, or remove the line." in response.content.decode()


@pytest.mark.parametrize("amount", ["-1", "1.005", "1e9999999", "NaN", "1000000000000"])
def test_a_bad_amount_is_a_400(manager, portfolio, product, amount):
    body = _form(f"product-{product.id}", "2026", ("1", "pr", amount))
    assert manager.post(f"/budget-plans/new/?portfolio={portfolio.id}", body).status_code == 400
    assert not BudgetPlan.objects.exists()


def test_a_second_plan_for_the_year_is_a_400_on_year(manager, plan, portfolio):
    response = manager.post(f"/budget-plans/new/?portfolio={portfolio.id}", _form(f"product-{plan.product_id}"))
    assert response.status_code == 400
    assert "already has a plan for 2026" in response.content.decode()


def test_a_product_of_another_portfolio_is_refused(manager, portfolio):
    foreign = ProductFactory()
    response = manager.post(f"/budget-plans/new/?portfolio={portfolio.id}", _form(f"product-{foreign.id}"))
    assert response.status_code == 400 and not BudgetPlan.objects.exists()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_may_not_open_or_post_the_forms(portfolio, plan, role):
    client = client_for(portfolio, role)
    assert client.get(f"/budget-plans/new/?portfolio={portfolio.id}").status_code == 403
    assert client.post(f"/budget-plans/{plan.id}/edit/", _form(f"product-{plan.product_id}")).status_code == 403
    assert client.post(f"/budget-plans/{plan.id}/delete/").status_code == 403
    assert not DomainEvent.objects.filter(verb__startswith="budget_plan.updated").exists()


def test_delete_asks_then_deletes(manager, plan, portfolio):
    html = manager.get(f"/budget-plans/{plan.id}/delete/").content.decode()
    assert "Its 3 budget lines and 2 sales targets go with it." in html
    response = manager.post(f"/budget-plans/{plan.id}/delete/")
    assert response.status_code == 302 and response["Location"] == f"/portfolios/{portfolio.id}/budget-plans/"
    assert not BudgetPlan.objects.exists()


def test_the_page_shows_the_plans_history(manager, plan):
    services.budget_plan_update(plan_id=plan.id, sales_targets=[{"quarter": 1, "amount": 55000}])
    html = manager.get(f"/budget-plans/{plan.id}/").content.decode()
    history = html.split('id="history-title"', 1)[1]
    assert "Sales target: 115000 → 55000" in history
