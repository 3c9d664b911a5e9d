"""The budget plans API (kpis/api/budget.py): the contract's fields, nested rows written whole, 400s on the
field, scoping, ETag/If-Match, filters, CSV and the actuals."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products.models import BudgetLine, BudgetPlan, DomainEvent, Role
from products.services import budget as services
from tests.factories import (
    CampaignFactory,
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
    member,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/budget-plans/"
BODY_LINES = [
    {"quarter": 1, "channel": "email", "amount": 1200.5},
    {"quarter": 1, "channel": "events", "amount": 3000},
    {"quarter": 3, "channel": "paid_search", "amount": "800.00"},
]
BODY_TARGETS = [{"quarter": 1, "amount": 40000}, {"quarter": 3, "amount": 52000.25}]


@pytest.fixture
def portfolio():
    return PortfolioFactory(timezone="Europe/Berlin")


@pytest.fixture
def product(portfolio):
    line = ProductLineFactory(portfolio=portfolio, name="Analytics")
    return ProductFactory(portfolio=portfolio, product_line=line, name="Insight Hub")


def client_for(portfolio, role):
    client = APIClient()
    client.force_authenticate(member(portfolio, role))
    return client


@pytest.fixture
def manager(portfolio):
    return client_for(portfolio, Role.PRODUCT_MANAGER)


def _body(product, **extra):
    return {"product": product.id, "year": 2026, "budget_lines": BODY_LINES, "sales_targets": BODY_TARGETS, **extra}


def _create(client, product, **extra):
    response = client.post(URL, _body(product, **extra), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- create and read -------------------------------------------------------------------------------------


def test_create_answers_the_contracts_fields(manager, product):
    data = _create(manager, product)
    assert data["product"] == product.id and data["product_line"] is None and data["year"] == 2026
    assert data["portfolio"] == product.portfolio_id
    assert data["budget_lines"] == [
        {"quarter": 1, "channel": "email", "amount": 1200.5},
        {"quarter": 1, "channel": "events", "amount": 3000.0},
        {"quarter": 3, "channel": "paid_search", "amount": 800.0},
    ]
    assert data["sales_targets"] == [{"quarter": 1, "amount": 40000.0}, {"quarter": 3, "amount": 52000.25}]
    assert data["budget_total"] == 5000.5 and data["sales_target_total"] == 92000.25


def test_create_for_a_product_line(manager, product):
    response = manager.post(URL, {"product_line": product.product_line_id, "year": 2026}, format="json")
    assert response.status_code == 201
    assert response.json()["product_line"] == product.product_line_id
    assert response.json()["sales_target_total"] is None


def test_amounts_are_rounded_to_cents(manager, product):
    data = _create(manager, product, budget_lines=[{"quarter": 2, "channel": "pr", "amount": 10.005}])
    assert data["budget_lines"][0]["amount"] == 10.0  # half even, as every amount of the API


def test_portfolio_is_read_only(manager, product):
    other = PortfolioFactory()
    data = _create(manager, product, portfolio=other.id)
    assert data["portfolio"] == product.portfolio_id


def test_both_owners_are_a_400_on_product(manager, product):
    response = manager.post(URL, _body(product, product_line=product.product_line_id), format="json")
    assert response.status_code == 400
    assert response.json() == {"product": [services.OWNER_MESSAGE]}
    assert not BudgetPlan.objects.exists()


def test_a_second_plan_for_the_year_is_a_400_on_year(manager, product):
    _create(manager, product)
    response = manager.post(URL, _body(product), format="json")
    assert response.status_code == 400
    assert "already has a plan for 2026" in response.json()["year"][0]


def test_a_product_of_another_portfolio_is_a_400_on_the_field(manager, product):
    foreign = ProductFactory()
    response = manager.post(URL, _body(foreign), format="json")
    assert response.status_code == 400 and "product" in response.json()


def test_a_product_of_a_portfolio_where_the_role_only_reads_is_a_403(manager, product, portfolio):
    elsewhere = ProductFactory()
    user = manager.handler._force_user
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, portfolio=elsewhere.portfolio, role=Role.VIEWER)
    response = manager.post(URL, _body(elsewhere), format="json")
    assert response.status_code == 403
    assert not BudgetPlan.objects.exists()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_may_not_create(portfolio, product, role):
    response = client_for(portfolio, role).post(URL, _body(product), format="json")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "lines, needle",
    [
        ([{"quarter": 5, "channel": "email", "amount": 1}], "quarter"),
        ([{"quarter": 1, "channel": "e\u0000", "amount": 1}], "NUL"),
        ([{"quarter": 1, "channel": "email", "amount": "1e9999999"}], "out of range"),
        ([{"quarter": 1, "channel": "email", "amount": -5}], "zero or more"),
        ([{"quarter": 1, "channel": "email", "amount": "NaN"}], "finite"),
        ("email", "A list"),
    ],
)
def test_bad_budget_lines_are_a_400_on_budget_lines_and_nothing_is_written(manager, product, lines, needle):
    body = json.dumps(_body(product, budget_lines=lines))
    response = manager.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert needle in " ".join(response.json().get("budget_lines", [])), response.json()
    assert not BudgetPlan.objects.exists() and not DomainEvent.objects.exists()


def test_a_lone_surrogate_is_a_400_and_nothing_is_written(manager, product):
    body = json.dumps(_body(product, budget_lines=[{"quarter": 1, "channel": "\ud800", "amount": 1}]))
    assert manager.post(URL, body, content_type="application/json").status_code == 400
    assert not BudgetPlan.objects.exists()


def test_a_year_out_of_range_is_a_400(manager, product):
    response = manager.post(URL, _body(product, year=99999999999999999999), format="json")
    assert response.status_code == 400 and "year" in response.json()


def test_another_portfolios_plan_is_a_404(manager, product):
    foreign = services.budget_plan_create(product=ProductFactory(), year=2026)
    assert manager.get(f"{URL}{foreign.id}/").status_code == 404
    assert manager.get(f"{URL}{foreign.id}/actuals/").status_code == 404
    assert manager.patch(f"{URL}{foreign.id}/", {"year": 2027}, format="json").status_code == 404
    assert manager.get(URL).json()["count"] == 0


# --- update and delete -----------------------------------------------------------------------------------


def test_patch_replaces_the_lines_whole(manager, product):
    plan = _create(manager, product)
    response = manager.patch(
        f"{URL}{plan['id']}/", {"budget_lines": [{"quarter": 2, "channel": "pr", "amount": 5}]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["budget_lines"] == [{"quarter": 2, "channel": "pr", "amount": 5.0}]
    assert len(response.json()["sales_targets"]) == 2


def test_a_stale_if_match_is_a_412_and_writes_nothing(manager, product):
    plan = _create(manager, product)
    etag = manager.get(f"{URL}{plan['id']}/")["ETag"]
    assert manager.patch(f"{URL}{plan['id']}/", {"year": 2027}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    response = manager.patch(f"{URL}{plan['id']}/", {"year": 2028}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert BudgetPlan.objects.get().year == 2027


def test_the_etag_of_a_write_is_the_etag_of_the_next_read(manager, product):
    plan = _create(manager, product)
    written = manager.patch(f"{URL}{plan['id']}/", {"year": 2027}, format="json")["ETag"]
    assert manager.get(f"{URL}{plan['id']}/")["ETag"] == written


def test_a_marketer_may_not_patch(portfolio, product, manager):
    plan = _create(manager, product)
    response = client_for(portfolio, Role.MARKETER).patch(f"{URL}{plan['id']}/", {"year": 2027}, format="json")
    assert response.status_code == 403


def test_delete(manager, product):
    plan = _create(manager, product)
    assert manager.delete(f"{URL}{plan['id']}/").status_code == 204
    assert not BudgetPlan.objects.exists() and not BudgetLine.objects.exists()


# --- lists ----------------------------------------------------------------------------------------------


def test_filters_by_year_product_and_line(manager, product, portfolio):
    mine = _create(manager, product)
    line_plan = manager.post(URL, {"product_line": product.product_line_id, "year": 2025}, format="json").json()
    ids = lambda query: [row["id"] for row in manager.get(f"{URL}?{query}").json()["results"]]  # noqa: E731
    assert ids("year=2026") == [mine["id"]]
    assert ids(f"product={product.id}") == [mine["id"]]
    assert ids(f"product_line={product.product_line_id}") == [line_plan["id"]]
    assert set(ids(f"portfolio={portfolio.id}")) == {mine["id"], line_plan["id"]}
    assert ids("search=Analytics") == [line_plan["id"]]
    assert ids("ordering=year") == [line_plan["id"], mine["id"]]


def test_an_empty_filter_is_a_400(manager):
    assert manager.get(f"{URL}?year=").status_code == 400


def test_the_list_as_csv_has_a_line_per_plan_with_its_figures(manager, product):
    _create(manager, product)
    CampaignFactory(
        product=product, start_date=datetime.date(2026, 1, 5), end_date=datetime.date(2026, 2, 5), spend=6000
    )
    response = manager.get(f"{URL}?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,portfolio,product,product line,year,budget,spend")
    assert lines[1].endswith(",Insight Hub,,2026,5000.5,6000,999.5,92000.25,,")


def _fill(portfolio, n: int) -> None:
    for index in range(n):
        line = ProductLineFactory(portfolio=portfolio)
        product = ProductFactory(portfolio=portfolio, product_line=line)
        services.budget_plan_create(
            product=product,
            year=2026,
            budget_lines=[{"quarter": 1, "channel": "email", "amount": index}],
            sales_targets=[{"quarter": 2, "amount": 10}],
        )
        services.budget_plan_create(product_line=line, year=2025)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize("url", [URL, f"{URL}?year=2026&search=Product", f"{URL}?format=csv"])
def test_list_queries_do_not_grow_with_the_data(url):
    counts = []
    for n in (2, 20):
        portfolio = PortfolioFactory()
        client = client_for(portfolio, Role.VIEWER)
        _fill(portfolio, n)
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts


def test_actuals_queries_do_not_grow_with_the_campaigns(manager, product):
    plan = _create(manager, product)
    counts = []
    for n in (1, 10):
        for _ in range(n):
            CampaignFactory(product=product, start_date=datetime.date(2026, 4, 5), end_date=datetime.date(2026, 5, 5))
        counts.append(_queries(manager, f"{URL}{plan['id']}/actuals/"))
    assert counts[0] == counts[1], counts


# --- actuals --------------------------------------------------------------------------------------------


def test_actuals_are_the_contracts_four_quarters(manager, product):
    plan = _create(manager, product)
    for start, spend in ((datetime.date(2026, 3, 31), 1500), (datetime.date(2026, 4, 1), 200)):
        CampaignFactory(product=product, start_date=start, end_date=start, spend=spend)
    rows = manager.get(f"{URL}{plan['id']}/actuals/").json()
    assert rows == [
        {
            "quarter": 1,
            "budget": 4200.5,
            "spend": 1500.0,
            "sales_target": 40000.0,
            "sales_actual": None,
            "spend_variance": -2700.5,
            "sales_variance": None,
        },
        {
            "quarter": 2,
            "budget": 0.0,
            "spend": 200.0,
            "sales_target": None,
            "sales_actual": None,
            "spend_variance": 200.0,
            "sales_variance": None,
        },
        {
            "quarter": 3,
            "budget": 800.0,
            "spend": 0.0,
            "sales_target": 52000.25,
            "sales_actual": None,
            "spend_variance": -800.0,
            "sales_variance": None,
        },
        {
            "quarter": 4,
            "budget": 0.0,
            "spend": 0.0,
            "sales_target": None,
            "sales_actual": None,
            "spend_variance": 0.0,
            "sales_variance": None,
        },
    ]


def test_actuals_as_csv(manager, product):
    plan = _create(manager, product)
    response = manager.get(f"{URL}{plan['id']}/actuals/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "quarter,budget,spend,sales_target,sales_actual,spend_variance,sales_variance"
    assert lines[1] == "1,4200.5,0,40000,,-4200.5,"
    assert len(lines) == 5


def test_actuals_with_an_empty_format_is_a_404(manager, product):
    plan = _create(manager, product)
    assert manager.get(f"{URL}{plan['id']}/actuals/?format=").status_code == 404


def test_a_viewer_reads_the_actuals(portfolio, product, manager):
    plan = _create(manager, product)
    response = client_for(portfolio, Role.VIEWER).get(f"{URL}{plan['id']}/actuals/")
    assert response.status_code == 200 and len(response.json()) == 4


def test_amounts_in_actuals_are_decimal_exact(manager, product):
    plan = _create(manager, product, budget_lines=[{"quarter": 1, "channel": "pr", "amount": "0.10"}])
    CampaignFactory(
        product=product, start_date=datetime.date(2026, 1, 2), end_date=datetime.date(2026, 1, 3), spend=Decimal("0.30")
    )
    row = manager.get(f"{URL}{plan['id']}/actuals/").json()[0]
    assert row["spend_variance"] == 0.2


def test_patching_the_line_alone_moves_a_product_plan_to_the_line(manager, product):
    plan = _create(manager, product)
    response = manager.patch(f"{URL}{plan['id']}/", {"product_line": product.product_line_id}, format="json")
    assert response.status_code == 200
    assert (response.json()["product"], response.json()["product_line"]) == (None, product.product_line_id)
