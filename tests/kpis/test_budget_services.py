"""The budget plan service (products.services.budget): one plan per owner and year, lines and targets written
whole in the plan's transaction, one event per write, every bad field named and nothing written."""

from decimal import Decimal

import pytest

from pmflow.errors import InvalidInput, NotFound
from products.models import BudgetLine, BudgetPlan, DomainEvent, SalesTarget
from products.services import budget as services
from tests.factories import (
    BudgetLineFactory,
    BudgetPlanFactory,
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LINES = [
    {"quarter": 1, "channel": "email", "amount": "1200.50"},
    {"quarter": 2, "channel": "Trade fairs", "amount": 9000},
]
TARGETS = [{"quarter": 1, "amount": 50000}, {"quarter": 2, "amount": "65000"}]


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(), product_line=None)


def _plan(product, **fields):
    return services.budget_plan_create(
        product=product, year=fields.pop("year", 2026), budget_lines=LINES, sales_targets=TARGETS, **fields
    )


def _refused(call) -> dict:
    before = (
        BudgetPlan.objects.count(),
        BudgetLine.objects.count(),
        SalesTarget.objects.count(),
        DomainEvent.objects.count(),
    )
    with pytest.raises(InvalidInput) as caught:
        call()
    after = (
        BudgetPlan.objects.count(),
        BudgetLine.objects.count(),
        SalesTarget.objects.count(),
        DomainEvent.objects.count(),
    )
    assert after == before, "a refused write changed something"
    return caught.value.fields


# --- create ---------------------------------------------------------------------------------------------


def test_create_sets_the_portfolio_from_the_product(product):
    assert _plan(product).portfolio_id == product.portfolio_id


def test_create_sets_the_portfolio_from_the_line():
    line = ProductLineFactory()
    plan = services.budget_plan_create(product_line=line, year=2026)
    assert plan.portfolio_id == line.portfolio_id and plan.product_id is None


def test_create_writes_the_lines_and_targets(product):
    plan = _plan(product)
    assert list(plan.budget_lines.values_list("quarter", "channel", "amount")) == [
        (1, "email", Decimal("1200.50")),
        (2, "Trade fairs", Decimal("9000.00")),
    ]
    assert list(plan.sales_targets.values_list("quarter", "amount")) == [(1, Decimal("50000")), (2, Decimal("65000"))]


def test_create_records_one_event_with_the_totals(product):
    actor = UserFactory()
    plan = _plan(product, actor=actor)
    event = DomainEvent.objects.get(verb="budget_plan.created")
    assert (event.object_id, event.actor_id, event.portfolio_id) == (plan.id, actor.id, product.portfolio_id)
    assert event.changes["budget"] == [None, "10200.5"]
    assert event.changes["sales_target"] == [None, "115000"]
    assert event.changes["year"] == [None, 2026]


def test_a_second_plan_for_the_same_product_and_year_is_refused_on_year(product):
    _plan(product)
    fields = _refused(lambda: _plan(product))
    assert "already has a plan for 2026" in fields["year"]


def test_the_same_product_may_have_a_plan_for_another_year(product):
    _plan(product)
    assert _plan(product, year=2027).year == 2027


def test_a_line_and_one_of_its_products_may_each_have_a_plan_for_the_year():
    line = ProductLineFactory()
    product = ProductFactory(portfolio=line.portfolio, product_line=line)
    services.budget_plan_create(product_line=line, year=2026)
    assert _plan(product).product_id == product.id


def test_both_a_product_and_a_line_are_refused(product):
    line = ProductLineFactory(portfolio=product.portfolio)
    fields = _refused(lambda: services.budget_plan_create(product=product, product_line=line, year=2026))
    assert fields["product"] == services.OWNER_MESSAGE


def test_neither_a_product_nor_a_line_is_refused():
    assert "product" in _refused(lambda: services.budget_plan_create(year=2026))


def test_an_owner_of_another_portfolio_than_the_callers_is_refused_on_its_field(product):
    fields = _refused(lambda: _plan(product, portfolio=PortfolioFactory()))
    assert fields == {"product": "Choose a product of this portfolio."}


@pytest.mark.parametrize("year", [1899, 2201, "2026", True, None, 2026.0])
def test_a_year_outside_1900_to_2200_or_not_a_whole_number_is_refused(product, year):
    assert _refused(lambda: services.budget_plan_create(product=product, year=year))["year"] == services.YEAR_MESSAGE


# --- lines and targets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, problem",
    [
        ({"quarter": 5, "channel": "email", "amount": 1}, "quarter: a quarter from 1 to 4"),
        ({"quarter": 0, "channel": "email", "amount": 1}, "quarter: a quarter from 1 to 4"),
        ({"quarter": True, "channel": "email", "amount": 1}, "quarter: a quarter from 1 to 4"),
        ({"quarter": "1", "channel": "email", "amount": 1}, "quarter: a quarter from 1 to 4"),
        ({"quarter": 1, "channel": "  ", "amount": 1}, "channel: a channel"),
        ({"quarter": 1, "channel": "x" * 51, "amount": 1}, "channel: at most 50 characters"),
        ({"quarter": 1, "channel": "e\x00mail", "amount": 1}, "channel: text without NUL characters"),
        ({"quarter": 1, "channel": "e\ud800mail", "amount": 1}, "channel: text without lone surrogates"),
        ({"quarter": 1, "channel": 7, "amount": 1}, "channel: a channel (text)"),
        ({"quarter": 1, "channel": "email", "amount": -1}, "amount: zero or more"),
        ({"quarter": 1, "channel": "email", "amount": "1.005"}, "amount: at most 2 decimal places"),
        ({"quarter": 1, "channel": "email", "amount": "NaN"}, "amount: a finite number is required"),
        ({"quarter": 1, "channel": "email", "amount": float("inf")}, "amount: a finite number is required"),
        ({"quarter": 1, "channel": "email", "amount": "1e9999999"}, "amount: out of range"),
        ({"quarter": 1, "channel": "email", "amount": 10**12}, "amount: out of range"),
        ({"quarter": 1, "channel": "email", "amount": None}, "amount: an amount (0 or more)"),
        ({"quarter": 1, "channel": "email", "amount": True}, "amount: an amount (0 or more)"),
        ({"quarter": 1, "channel": "email"}, "amount: an amount (0 or more)"),
        ({"quarter": 1, "channel": "email", "amount": 1, "note": "x"}, "unknown field(s) note"),
    ],
)
def test_a_bad_budget_line_is_refused_by_number_and_field(product, row, problem):
    rows = [{"quarter": 1, "channel": "pr", "amount": 1}, row]
    fields = _refused(lambda: services.budget_plan_create(product=product, year=2026, budget_lines=rows))
    assert len(fields["budget_lines"]) == 1
    assert fields["budget_lines"][0].startswith("Line 2: ")
    assert problem.lower() in fields["budget_lines"][0].lower()


def test_the_largest_amount_the_column_holds_is_accepted(product):
    plan = services.budget_plan_create(
        product=product, year=2026, budget_lines=[{"quarter": 4, "channel": "pr", "amount": "999999999999.99"}]
    )
    assert plan.budget_lines.get().amount == services.AMOUNT_MAX


def test_two_lines_of_one_quarter_and_channel_are_refused_whatever_the_case(product):
    rows = [{"quarter": 3, "channel": "Email", "amount": 1}, {"quarter": 3, "channel": " email ", "amount": 2}]
    fields = _refused(lambda: services.budget_plan_create(product=product, year=2026, budget_lines=rows))
    assert "repeats line 1" in fields["budget_lines"][0]


def test_the_same_channel_in_two_quarters_is_fine(product):
    rows = [{"quarter": 1, "channel": "email", "amount": 1}, {"quarter": 2, "channel": "email", "amount": 2}]
    assert services.budget_plan_create(product=product, year=2026, budget_lines=rows).budget_lines.count() == 2


def test_at_most_200_budget_lines(product):
    rows = [{"quarter": 1 + n % 4, "channel": f"c{n}", "amount": 1} for n in range(201)]
    fields = _refused(lambda: services.budget_plan_create(product=product, year=2026, budget_lines=rows))
    assert fields["budget_lines"] == "At most 200 budget lines."
    assert services.budget_plan_create(product=product, year=2026, budget_lines=rows[:200]).budget_lines.count() == 200


def test_at_most_four_sales_targets(product):
    rows = [{"quarter": q, "amount": 1} for q in (1, 2, 3, 4, 4)]
    assert (
        "At most 4"
        in _refused(lambda: services.budget_plan_create(product=product, year=2026, sales_targets=rows))[
            "sales_targets"
        ]
    )


def test_two_targets_for_one_quarter_are_refused(product):
    rows = [{"quarter": 2, "amount": 1}, {"quarter": 2, "amount": 5}]
    fields = _refused(lambda: services.budget_plan_create(product=product, year=2026, sales_targets=rows))
    assert fields["sales_targets"] == ["Target 2: quarter: Q2 has a target already: one per quarter"]


def test_lines_that_are_not_a_list_are_refused(product):
    fields = _refused(lambda: services.budget_plan_create(product=product, year=2026, budget_lines={"quarter": 1}))
    assert "A list" in fields["budget_lines"]


def test_every_bad_field_is_named_at_once(product):
    fields = _refused(
        lambda: services.budget_plan_create(
            product=product, year=1, budget_lines=[{"quarter": 9}], sales_targets=[{"quarter": 1, "amount": -3}]
        )
    )
    assert set(fields) == {"year", "budget_lines", "sales_targets"}


# --- update ---------------------------------------------------------------------------------------------


def test_update_replaces_the_lines_whole(product):
    plan = _plan(product)
    services.budget_plan_update(plan_id=plan.id, budget_lines=[{"quarter": 4, "channel": "pr", "amount": 10}])
    assert list(plan.budget_lines.values_list("quarter", "channel", "amount")) == [(4, "pr", Decimal("10.00"))]
    assert plan.sales_targets.count() == 2  # not given: kept


def test_update_with_empty_lists_clears_them(product):
    plan = _plan(product)
    services.budget_plan_update(plan_id=plan.id, budget_lines=[], sales_targets=[])
    assert (plan.budget_lines.count(), plan.sales_targets.count()) == (0, 0)


def test_update_records_one_event_with_what_changed(product):
    plan = _plan(product)
    services.budget_plan_update(
        plan_id=plan.id, year=2027, budget_lines=[{"quarter": 1, "channel": "email", "amount": "100"}]
    )
    event = DomainEvent.objects.get(verb="budget_plan.updated")
    assert event.changes == {"year": [2026, 2027], "budget": ["10200.5", "100"], "budget_lines": [2, 1]}


def test_an_update_that_changes_nothing_writes_nothing(product):
    plan = _plan(product)
    lines = list(plan.budget_lines.values_list("id", flat=True))
    services.budget_plan_update(plan_id=plan.id, year=2026, budget_lines=list(reversed(LINES)), sales_targets=TARGETS)
    assert not DomainEvent.objects.filter(verb="budget_plan.updated").exists()
    assert list(plan.budget_lines.values_list("id", flat=True)) == lines


def test_a_refused_update_keeps_the_old_rows(product):
    plan = _plan(product)
    _refused(
        lambda: services.budget_plan_update(
            plan_id=plan.id, budget_lines=[{"quarter": 1, "channel": "pr", "amount": 5}], sales_targets=[{"quarter": 7}]
        )
    )
    assert plan.budget_lines.count() == 2 and plan.sales_targets.count() == 2


def test_update_to_a_year_already_planned_is_refused(product):
    _plan(product, year=2027)
    plan = _plan(product)
    assert (
        "already has a plan for 2027"
        in _refused(lambda: services.budget_plan_update(plan_id=plan.id, year=2027))["year"]
    )


def test_update_may_move_a_plan_to_a_line_of_its_portfolio(product):
    plan = _plan(product)
    line = ProductLineFactory(portfolio=product.portfolio)
    services.budget_plan_update(plan_id=plan.id, product=None, product_line=line)
    plan.refresh_from_db()
    assert (plan.product_id, plan.product_line_id) == (None, line.id)


def test_update_to_both_owners_is_refused(product):
    plan = _plan(product)
    line = ProductLineFactory(portfolio=product.portfolio)
    assert _refused(lambda: services.budget_plan_update(plan_id=plan.id, product_line=line))["product_line"] == (
        services.OWNER_MESSAGE
    )


def test_update_never_moves_a_plan_to_another_portfolio(product):
    plan = _plan(product)
    foreign = ProductFactory()
    fields = _refused(lambda: services.budget_plan_update(plan_id=plan.id, product=foreign))
    assert fields == {"product": "Choose a product of this portfolio."}


def test_update_of_a_missing_plan_is_not_found():
    with pytest.raises(NotFound):
        services.budget_plan_update(plan_id=987654, year=2026)


# --- delete ---------------------------------------------------------------------------------------------


def test_delete_removes_the_plan_with_its_rows_and_records_it(product):
    plan = BudgetPlanFactory(product=product, year=2025)
    BudgetLineFactory(plan=plan, quarter=2, channel="pr", amount=300)
    assert services.budget_plan_delete(plan_id=plan.id) == f"{product.name} 2025"
    assert not BudgetPlan.objects.exists() and not BudgetLine.objects.exists()
    event = DomainEvent.objects.get(verb="budget_plan.deleted")
    assert event.data["budget"] == "300.00" and event.data["year"] == 2025


def test_delete_of_a_missing_plan_is_not_found():
    with pytest.raises(NotFound):
        services.budget_plan_delete(plan_id=987654)
