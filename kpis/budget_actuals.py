"""A budget plan against what happened: campaign spend and revenue per quarter, with the variances.

How it is counted (the rules the plan page states):
- Quarters are calendar quarters. Revenue comes from the rollups, which are computed in the portfolio's
  time zone; a campaign counts in the quarter of its `start_date` (a calendar day), whatever its status
  (a cancelled campaign's recorded spend was spent).
- A product's plan counts the product's campaigns and its `revenue` KPI's quarter rollups (kpis.Rollup).
  A product line's plan counts the campaigns of every product of the line and the line's combined
  `revenue` (kpis.KeyRollup, the rows the rollup worker keeps per line: the same figures as the key page).
- `budget` is the sum of the quarter's budget lines (0 without any), `spend` the sum of its campaigns'
  spend (0 without any). `sales_target` is the quarter's target, null when the plan sets none;
  `sales_actual` the quarter's revenue, null when there is no revenue data for that quarter (no KPI, or
  no measurement in it) — never 0 for "nothing known". Amounts are rounded to cents.
- Variance = actual − plan. `spend_variance` = spend − budget: positive is over budget (bad).
  `sales_variance` = sales_actual − sales_target: positive is above target (good); null unless both are
  known. The year's totals add the quarters up; its sales variance adds the quarters that have both.
- A line whose `revenue` KPIs aggregate differently has no combined revenue (the kpis app refuses to mix
  sums with averages): every `sales_actual` is null and `revenue_note` says why.

`plan_figures(plans)` works out any number of plans in a fixed number of queries (four: campaigns,
revenue KPIs, product rollups, line rollups; none for what no plan needs). The plans come from
products.services.budget.plans() (lines and targets prefetched).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear

from gtm.models import Campaign
from kpis.models import KPI, KeyRollup, Rollup
from products.models import BudgetPlan
from products.services.budget import QUARTERS

REVENUE_KEY = "revenue"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TOTAL = DecimalField(max_digits=24, decimal_places=2)  # sums of many 14-digit amounts

NO_REVENUE_KPI = "No product in scope has a revenue KPI (key “revenue”): actual sales are unknown."
MIXED_REVENUE = "The line's revenue KPIs aggregate differently, so they are not combined: actual sales are unknown."


def _money(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT)


def quarter_starts(year: int) -> list[date]:
    return [date(year, 3 * (quarter - 1) + 1, 1) for quarter in QUARTERS]


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


@dataclass
class QuarterFigures:
    quarter: int
    budget: Decimal = ZERO
    spend: Decimal = ZERO
    sales_target: Decimal | None = None
    sales_actual: Decimal | None = None
    campaigns: int = 0
    label: str = ""

    @property
    def spend_variance(self) -> Decimal:
        """Spend − budget: positive is over budget (bad)."""
        return self.spend - self.budget

    @property
    def sales_variance(self) -> Decimal | None:
        """Actual − target: positive is above target (good); None unless both are known."""
        if self.sales_actual is None or self.sales_target is None:
            return None
        return self.sales_actual - self.sales_target

    @property
    def over_budget(self) -> bool:
        return self.spend > self.budget

    @property
    def below_target(self) -> bool:
        variance = self.sales_variance
        return variance is not None and variance < 0

    def as_dict(self) -> dict:
        """The contract's row of `GET /api/v1/budget-plans/{id}/actuals/`."""
        return {
            "quarter": self.quarter,
            "budget": self.budget,
            "spend": self.spend,
            "sales_target": self.sales_target,
            "sales_actual": self.sales_actual,
            "spend_variance": self.spend_variance,
            "sales_variance": self.sales_variance,
        }


@dataclass
class PlanFigures:
    plan: BudgetPlan
    quarters: list[QuarterFigures]
    revenue_note: str = ""
    total: QuarterFigures = field(init=False)

    def __post_init__(self):
        targets = [q.sales_target for q in self.quarters if q.sales_target is not None]
        actuals = [q.sales_actual for q in self.quarters if q.sales_actual is not None]
        self.total = TotalFigures(
            quarter=0,
            label="Year",
            budget=sum((q.budget for q in self.quarters), ZERO),
            spend=sum((q.spend for q in self.quarters), ZERO),
            sales_target=sum(targets, ZERO) if targets else None,
            sales_actual=sum(actuals, ZERO) if actuals else None,
            campaigns=sum(q.campaigns for q in self.quarters),
            compared=[q.sales_variance for q in self.quarters if q.sales_variance is not None],
        )

    @property
    def over_quarters(self) -> list[QuarterFigures]:
        return [q for q in self.quarters if q.over_budget]


@dataclass
class TotalFigures(QuarterFigures):
    """The year: sums of the quarters; the sales variance of the quarters that have a target and revenue."""

    compared: list = field(default_factory=list)

    @property
    def sales_variance(self) -> Decimal | None:
        return sum(self.compared, ZERO) if self.compared else None


# --- reads ----------------------------------------------------------------------------------------------


def _scope(plans: list[BudgetPlan]) -> tuple[set[int], set[int], int, int]:
    products = {plan.product_id for plan in plans if plan.product_id}
    lines = {plan.product_line_id for plan in plans if plan.product_line_id}
    years = [plan.year for plan in plans]
    return products, lines, min(years), max(years)


def _campaign_condition(products, lines) -> Q:
    condition = Q(pk__in=[])
    if products:
        condition |= Q(product_id__in=products)
    if lines:
        condition |= Q(product__product_line_id__in=lines)
    return condition


def _spend_rows(products, lines, first_year: int, last_year: int) -> dict:
    """{(scope, id, year, quarter): (spend, campaigns)} with scope "product" and "line"; one query."""
    rows = (
        Campaign.objects.filter(
            _campaign_condition(products, lines),
            start_date__gte=date(first_year, 1, 1),
            start_date__lte=date(last_year, 12, 31),
        )
        .annotate(year=ExtractYear("start_date"), quarter=ExtractQuarter("start_date"))
        .values("product_id", "product__product_line_id", "year", "quarter")
        .annotate(spend=Coalesce(Sum("spend", output_field=TOTAL), ZERO, output_field=TOTAL), count=Count("id"))
        .order_by()
    )
    found: dict = defaultdict(lambda: [ZERO, 0])
    for row in rows:
        keys = []
        if row["product_id"] in products:
            keys.append(("product", row["product_id"]))
        if row["product__product_line_id"] in lines:
            keys.append(("line", row["product__product_line_id"]))
        for scope, pk in keys:
            entry = found[(scope, pk, row["year"], row["quarter"])]
            entry[0] += Decimal(row["spend"])
            entry[1] += row["count"]
    return found


def _revenue_kpis(products, lines) -> tuple[set[int], dict[int, set[str]]]:
    """The products with a revenue KPI, and the aggregations of each line's revenue KPIs; one query."""
    condition = Q(pk__in=[])
    if products:
        condition |= Q(product_id__in=products)
    if lines:
        condition |= Q(product__product_line_id__in=lines)
    measured, aggregations = set(), defaultdict(set)
    rows = KPI.objects.filter(condition, key=REVENUE_KEY).values_list(
        "product_id", "product__product_line_id", "aggregation"
    )
    for product_id, line_id, aggregation in rows:
        measured.add(product_id)
        if line_id in lines:
            aggregations[line_id].add(aggregation)
    return measured, aggregations


def _product_revenue(products, first_year: int, last_year: int) -> dict:
    """{(product_id, quarter start): value} of the products' revenue KPIs; one query."""
    if not products:
        return {}
    rows = Rollup.objects.filter(
        kpi__product_id__in=products,
        kpi__key=REVENUE_KEY,
        granularity="quarter",
        period_start__gte=date(first_year, 1, 1),
        period_start__lte=date(last_year, 10, 1),
    ).values_list("kpi__product_id", "period_start", "value")
    return {(product_id, start): value for product_id, start, value in rows}


def _line_revenue(lines, first_year: int, last_year: int) -> dict:
    """{(line_id, aggregation, quarter start): value} of the lines' combined revenue; one query."""
    if not lines:
        return {}
    rows = KeyRollup.objects.filter(
        product_line_id__in=lines,
        key=REVENUE_KEY,
        granularity="quarter",
        period_start__gte=date(first_year, 1, 1),
        period_start__lte=date(last_year, 10, 1),
    ).values_list("product_line_id", "aggregation", "period_start", "value")
    return {(line_id, aggregation, start): value for line_id, aggregation, start, value in rows}


def plan_figures(plans) -> dict[int, PlanFigures]:
    """{plan id: PlanFigures} for plans loaded by products.services.budget.plans(); a fixed number of queries."""
    plans = list(plans)
    if not plans:
        return {}
    products, lines, first_year, last_year = _scope(plans)
    spend = _spend_rows(products, lines, first_year, last_year)
    measured, aggregations = _revenue_kpis(products, lines)
    product_revenue = _product_revenue(products & measured, first_year, last_year)
    line_revenue = _line_revenue(
        {line for line, kinds in aggregations.items() if len(kinds) == 1}, first_year, last_year
    )
    result = {}
    for plan in plans:
        budgets: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for line in plan.budget_lines.all():
            budgets[line.quarter] += line.amount
        targets = {target.quarter: target.amount for target in plan.sales_targets.all()}
        note = ""
        if plan.product_id:
            scope, owner = "product", plan.product_id
            if owner not in measured:
                note = NO_REVENUE_KPI

            def revenue(start, owner=owner):
                return product_revenue.get((owner, start))
        else:
            scope, owner = "line", plan.product_line_id
            kinds = aggregations.get(owner, set())
            note = NO_REVENUE_KPI if not kinds else MIXED_REVENUE if len(kinds) > 1 else ""
            aggregation = next(iter(kinds)) if len(kinds) == 1 else None

            def revenue(start, owner=owner, aggregation=aggregation):
                return line_revenue.get((owner, aggregation, start)) if aggregation else None

        quarters = []
        for quarter, start in zip(QUARTERS, quarter_starts(plan.year), strict=True):
            spent, count = spend.get((scope, owner, plan.year, quarter), (ZERO, 0))
            quarters.append(
                QuarterFigures(
                    quarter=quarter,
                    label=f"Q{quarter}",
                    budget=_money(budgets[quarter]),
                    spend=_money(spent),
                    sales_target=_money(targets.get(quarter)),
                    sales_actual=_money(revenue(start)),
                    campaigns=count,
                )
            )
        result[plan.id] = PlanFigures(plan=plan, quarters=quarters, revenue_note=note)
    return result


ACTUALS_COLUMNS = ["quarter", "budget", "spend", "sales_target", "sales_actual", "spend_variance", "sales_variance"]


def actuals_csv_rows(figures: PlanFigures) -> list[list]:
    """The four quarters as CSV rows under ACTUALS_COLUMNS (the API's `?format=csv` and the page's download)."""
    return [[quarter.as_dict()[name] for name in ACTUALS_COLUMNS] for quarter in figures.quarters]


def figures_of(plan: BudgetPlan) -> PlanFigures:
    return plan_figures([plan])[plan.id]


def campaigns_counted(plan: BudgetPlan) -> QuerySet:
    """The campaigns a plan's spend counts: of its product (or of every product of its line) starting in its
    year, by start date, with their product joined."""
    condition = Q(product_id=plan.product_id) if plan.product_id else Q(product__product_line_id=plan.product_line_id)
    return (
        Campaign.objects.filter(condition, start_date__year=plan.year)
        .select_related("product")
        .order_by("start_date", "name", "id")
    )
