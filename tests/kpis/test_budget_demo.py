"""The demo's marketing plans (kpis.demo_budget.seed_budget, on top of seed_demo): this year's and last year's for
two products and a line, written by the service, with variances to show; seeding again writes nothing."""

from io import StringIO
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from kpis.budget_actuals import plan_figures
from kpis.demo_budget import LINE, PRODUCTS, seed_budget
from kpis.management.commands import seed_demo
from products.models import BudgetPlan, DomainEvent, Portfolio
from products.services import budget as services


def _portfolio() -> Portfolio:
    return Portfolio.objects.get(name=seed_demo.PORTFOLIO)


def _seed() -> dict:
    portfolio = _portfolio()
    actor = get_user_model().objects.get(username="demo")
    return seed_budget(portfolio=portfolio, actor=actor, today=timezone.localdate(timezone=portfolio.zone))


class TestTheDemoPlans(TestCase):
    @classmethod
    def setUpTestData(cls):
        # The demo without its desk step (where the lead runs seed_budget), then seed_budget itself.
        with cls.captureOnCommitCallbacks(execute=True):
            with mock.patch.object(seed_demo.Command, "_desk", lambda self, user: None):
                call_command("seed_demo", "--days", "30", stdout=StringIO())
            cls.counts = _seed()

    def _figures(self):
        return list(plan_figures(services.plans(BudgetPlan.objects.filter(portfolio=_portfolio()))).values())

    def test_it_says_what_it_wrote(self):
        assert self.counts["plans"] == BudgetPlan.objects.count() == 6
        assert self.counts["budget_lines"] == sum(len(f.plan.budget_lines.all()) for f in self._figures())

    def test_two_products_and_a_line_have_this_and_last_years_plan(self):
        year = timezone.localdate(timezone=_portfolio().zone).year
        owners = {(services.owner_name(f.plan), f.plan.year) for f in self._figures()}
        expected = {(name, y) for name in (*PRODUCTS, f"{LINE} (product line)") for y in (year - 1, year)}
        assert owners == expected

    def test_every_plan_was_written_by_the_service(self):
        assert DomainEvent.objects.filter(verb="budget_plan.created").count() == 6

    def test_some_quarter_runs_over_budget(self):
        assert any(f.over_quarters for f in self._figures())

    def test_sales_targets_sit_near_the_revenue_so_variances_show(self):
        compared = [q for f in self._figures() for q in f.quarters if q.sales_variance is not None]
        assert compared
        assert all(abs(q.sales_variance) * 5 <= q.sales_target for q in compared)

    def test_seeding_again_writes_nothing(self):
        assert _seed() == {}
        assert BudgetPlan.objects.count() == 6
