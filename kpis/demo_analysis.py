"""The demo portfolio's analysis: what makes its page show a candidate to extend and one to retire.

The demo's data already holds them but for one thing: Ledger Classic is in decline and its revenue falls
quarter after quarter, yet the strategy demo (kpis.demo_goals) gives it this year's goal "Retire Ledger
Classic without losing its customers", and a product with a goal running today is no candidate to retire.
The story here: that migration goal ran until the end of the last complete quarter (the migration offer's
term), so today nothing steers the product and the analysis proposes retiring it. The goal is ended through
products.services.goals (one `goal.updated` event); no rollup or measurement is written or changed.

The thresholds stay the defaults (2 falling quarters; segments growing 10 % at priority 4; feedback up
20 %): with them the unserved segment "Renewable energy installers" and the products in growth whose
feedback rises are candidates to extend. They are made (one event) if nobody has read them yet.

Run after the strategy demo (seed_goals). Writes nothing once the analysis shows a flag of each kind.
"""

import datetime

from django.db import transaction

from kpis import analysis
from products.models import AnalysisSettings, Goal, Portfolio, Stage
from products.services.goals import goal_update


def _last_day_before(today: datetime.date, goal: Goal) -> datetime.date | None:
    """The end of the last complete quarter, else yesterday; None when that is before the goal began."""
    for end in (analysis.quarter_end(analysis.complete_quarters(today, 1)[0]), today - datetime.timedelta(days=1)):
        if goal.period_start <= end < today:
            return end
    return None


def seed_analysis(*, portfolio: Portfolio, actor, today: datetime.date) -> dict:
    """Make the demo's analysis show a retire flag beside its extend flags; returns what it changed.

    All of it or nothing (one transaction). Raises what products.services.goals raises."""
    counts = {"thresholds": 0, "goals_ended": 0}
    with transaction.atomic():
        counts["thresholds"] = int(not AnalysisSettings.objects.filter(portfolio=portfolio).exists())
        before = analysis.portfolio_analysis(portfolio=portfolio, today=today)  # makes the thresholds if missing
        if before.retire_flags and before.extend_flags:
            return counts
        falling = before.settings.retire_falling_quarters
        flagged = {flag.product.id for flag in before.retire_flags}
        for figures in before.products:
            if figures.stage != Stage.DECLINE or figures.id in flagged:
                continue
            if analysis.falling_window(figures.values, before.read_quarters, falling) is None:
                continue  # its revenue does not fall: ending its goals would not make it a candidate
            running = Goal.objects.filter(product=figures.product, period_start__lte=today, period_end__gte=today)
            for goal in running.order_by("id"):
                end = _last_day_before(today, goal)
                if end is None:
                    continue
                goal_update(goal_id=goal.id, actor=actor, period_end=end)
                counts["goals_ended"] += 1
    return counts
