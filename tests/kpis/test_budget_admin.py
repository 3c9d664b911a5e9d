"""The admin writes budget plans, their lines and targets (inlines) through products.services.budget: its checks
as form errors, the rows written whole with the plan, one event per write."""

import re
from decimal import Decimal

import pytest

from products.models import BudgetLine, BudgetPlan, DomainEvent, SalesTarget
from tests.factories import (
    BudgetLineFactory,
    BudgetPlanFactory,
    ProductFactory,
    ProductLineFactory,
    SalesTargetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADD = "/admin/products/budgetplan/add/"


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _inlines(lines=(), targets=(), *, initial_lines=0, initial_targets=0) -> dict:
    data = {
        "budget_lines-TOTAL_FORMS": str(len(lines)),
        "budget_lines-INITIAL_FORMS": str(initial_lines),
        "budget_lines-MIN_NUM_FORMS": "0",
        "budget_lines-MAX_NUM_FORMS": "1000",
        "sales_targets-TOTAL_FORMS": str(len(targets)),
        "sales_targets-INITIAL_FORMS": str(initial_targets),
        "sales_targets-MIN_NUM_FORMS": "0",
        "sales_targets-MAX_NUM_FORMS": "4",
    }
    for index, row in enumerate(lines):
        data.update({f"budget_lines-{index}-{name}": value for name, value in row.items()})
    for index, row in enumerate(targets):
        data.update({f"sales_targets-{index}-{name}": value for name, value in row.items()})
    return data


def test_admin_add_writes_the_plan_with_its_rows_through_the_service(staff):
    product = ProductFactory()
    body = {
        "product": product.id,
        "year": "2026",
        **_inlines(
            [{"quarter": "1", "channel": "email", "amount": "500"}, {"quarter": "2", "channel": "pr", "amount": "70"}],
            [{"quarter": "1", "amount": "9000"}],
        ),
    }
    response = staff.post(ADD, body)
    assert response.status_code == 302, response.content.decode()[:3000]
    plan = BudgetPlan.objects.get()
    assert plan.portfolio_id == product.portfolio_id
    assert list(plan.budget_lines.values_list("channel", "amount")) == [
        ("email", Decimal("500")),
        ("pr", Decimal("70")),
    ]
    assert list(plan.sales_targets.values_list("quarter", "amount")) == [(1, Decimal("9000"))]
    assert DomainEvent.objects.filter(verb="budget_plan.created", object_id=plan.id).count() == 1


def test_admin_both_owners_is_a_form_error_and_nothing_is_written(staff):
    product = ProductFactory()
    line = ProductLineFactory(portfolio=product.portfolio)
    response = staff.post(ADD, {"product": product.id, "product_line": line.id, "year": "2026", **_inlines()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give a product or a product line, not both." in html, re.findall(r"errorlist[^>]*>(.*?)</ul>", html, re.S)
    assert not BudgetPlan.objects.exists() and not DomainEvent.objects.exists()


def test_admin_duplicate_lines_are_a_form_error(staff):
    product = ProductFactory()
    lines = [{"quarter": "1", "channel": "Email", "amount": "1"}, {"quarter": "1", "channel": "email", "amount": "2"}]
    response = staff.post(ADD, {"product": product.id, "year": "2026", **_inlines(lines)})
    assert response.status_code == 200
    assert "repeats line 1" in response.content.decode()
    assert not BudgetPlan.objects.exists() and not BudgetLine.objects.exists()


def test_admin_change_replaces_the_rows_and_records_one_event(staff):
    plan = BudgetPlanFactory(year=2026)
    line = BudgetLineFactory(plan=plan, quarter=1, channel="email", amount=100)
    target = SalesTargetFactory(plan=plan, quarter=1, amount=1000)
    body = {
        "product": plan.product_id,
        "year": "2026",
        **_inlines(
            [
                {"id": line.id, "plan": plan.id, "quarter": "1", "channel": "email", "amount": "100", "DELETE": "on"},
                {"plan": plan.id, "quarter": "3", "channel": "events", "amount": "2500"},
            ],
            [{"id": target.id, "plan": plan.id, "quarter": "1", "amount": "1200"}],
            initial_lines=1,
            initial_targets=1,
        ),
    }
    response = staff.post(f"/admin/products/budgetplan/{plan.id}/change/", body)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(plan.budget_lines.values_list("quarter", "channel", "amount")) == [(3, "events", Decimal("2500"))]
    assert list(SalesTarget.objects.values_list("amount", flat=True)) == [Decimal("1200")]
    event = DomainEvent.objects.get(verb="budget_plan.updated")
    assert event.changes["budget"] == ["100", "2500"] and event.changes["sales_target"] == ["1000", "1200"]


def test_admin_delete_goes_through_the_service(staff):
    plan = BudgetPlanFactory()
    response = staff.post(f"/admin/products/budgetplan/{plan.id}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not BudgetPlan.objects.exists()
    assert DomainEvent.objects.filter(verb="budget_plan.deleted").exists()


def test_admin_list_and_forms_open(staff):
    plan = BudgetPlanFactory()
    assert staff.get("/admin/products/budgetplan/").status_code == 200
    assert staff.get(ADD).status_code == 200
    assert staff.get(f"/admin/products/budgetplan/{plan.id}/change/").status_code == 200
