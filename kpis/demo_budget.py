"""The demo's annual marketing plans: this year's and last year's for two products (Insight Hub, Pulse Alerts)
and one product line (Collaboration), written through products.services.budget as a product manager would.

- The budget follows the demo's campaigns: per quarter and campaign channel, the campaigns' own budgets
  rounded to hundreds, set 5–15 % below them (so a quarter runs over budget where its campaigns spent
  their budget, as the demo's expo and paid search did); a quarter without campaigns gets a steady content
  and paid-search budget, as a real plan has.
- The sales targets sit near the revenue the demo's KPIs measured in each quarter (a few percent above or
  below, so variances show both ways); quarters without revenue yet get the latest quarter's plus 3 %.

`seed_budget` writes nothing once the portfolio has a plan; `seed_demo` calls it after go-to-market and the
KPIs (the lead wires it).
"""

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from gtm.models import Campaign
from kpis.budget_actuals import REVENUE_KEY, quarter_starts
from kpis.models import KeyRollup, Rollup
from products.models import BudgetPlan, Portfolio
from products.services import budget as services

PRODUCTS = ("Insight Hub", "Pulse Alerts")
LINE = "Collaboration"
# Budget vs the campaigns' own budgets, by quarter: below them (over budget where they spent theirs).
CAMPAIGN_SHARE = {1: Decimal("0.85"), 2: Decimal("0.95"), 3: Decimal("0.90"), 4: Decimal("0.95")}
STEADY = {"Content": Decimal(1500), "Paid search": Decimal(2500)}  # a quarter without campaigns
# Targets vs the revenue measured, by quarter: some ahead of target, some behind.
TARGET_SHARE = {1: Decimal("0.96"), 2: Decimal("1.07"), 3: Decimal("0.98"), 4: Decimal("1.05")}
GROWTH = Decimal("1.03")


def _hundreds(value: Decimal) -> Decimal:
    return (value / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100


def _thousands(value: Decimal) -> Decimal:
    return (value / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 1000


def _budget_lines(campaigns, year: int, steady_scale: Decimal) -> list[dict]:
    labels = dict(Campaign.Channel.choices)
    planned: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    rows = (
        campaigns.filter(start_date__year=year)
        .values("start_date", "channel")
        .annotate(total=Sum("budget"))
        .order_by("start_date", "channel")
    )
    for row in rows:
        quarter = (row["start_date"].month - 1) // 3 + 1
        planned[(quarter, labels[row["channel"]])] += row["total"] * CAMPAIGN_SHARE[quarter]
    busy = {quarter for quarter, _ in planned}
    for quarter in services.QUARTERS:
        if quarter not in busy:
            for channel, amount in STEADY.items():
                planned[(quarter, channel)] += amount * steady_scale
    return [
        {"quarter": quarter, "channel": channel, "amount": max(_hundreds(amount), Decimal(100))}
        for (quarter, channel), amount in sorted(planned.items())
    ]


def _targets(revenue: dict[date, Decimal], year: int) -> list[dict]:
    """Near the measured revenue of each quarter; later quarters from the latest one known."""
    targets, latest = [], None
    for quarter, start in zip(services.QUARTERS, quarter_starts(year), strict=True):
        measured = revenue.get(start)
        if measured:
            latest = measured
            amount = measured * TARGET_SHARE[quarter]
        elif latest is not None:
            latest = latest * GROWTH
            amount = latest
        else:
            continue
        targets.append({"quarter": quarter, "amount": _thousands(amount)})
    return targets


def _product_revenue(product) -> dict[date, Decimal]:
    rows = Rollup.objects.filter(kpi__product=product, kpi__key=REVENUE_KEY, granularity="quarter")
    return dict(rows.values_list("period_start", "value"))


def _line_revenue(line) -> dict[date, Decimal]:
    rows = KeyRollup.objects.filter(product_line=line, key=REVENUE_KEY, granularity="quarter")
    return dict(rows.values_list("period_start", "value"))


def seed_budget(*, portfolio: Portfolio, actor, today: date) -> dict:
    """Plans for last year and this year of two demo products and one demo line. Returns the counts of what
    it wrote ({} when the portfolio has plans already, or none of the demo's products)."""
    if BudgetPlan.objects.filter(portfolio=portfolio).exists():
        return {}
    owners = []
    for product in portfolio.products.filter(name__in=PRODUCTS).order_by("name"):
        owners.append(({"product": product}, Campaign.objects.filter(product=product), _product_revenue(product), 1))
    line = portfolio.product_lines.filter(name=LINE).first()
    if line is not None:
        owners.append(
            ({"product_line": line}, Campaign.objects.filter(product__product_line=line), _line_revenue(line), 2)
        )
    counts = {"plans": 0, "budget_lines": 0, "sales_targets": 0}
    for owner, campaigns, revenue, scale in owners:
        for year in (today.year - 1, today.year):
            lines = _budget_lines(campaigns, year, Decimal(scale))
            targets = _targets(revenue, year)
            services.budget_plan_create(year=year, budget_lines=lines, sales_targets=targets, actor=actor, **owner)
            counts["plans"] += 1
            counts["budget_lines"] += len(lines)
            counts["sales_targets"] += len(targets)
    return counts if counts["plans"] else {}
