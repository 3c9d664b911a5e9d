"""The demo portfolio's lifecycle rules beside its own two (kpis/management/commands/seed_demo.py): the
default rule set every new portfolio gets (a demo loaded before it existed gets it here), and a composite
suggest rule whose evidence holds in the demo data.

The defaults read `revenue` and `weekly_active_users`, the demo's own KPI keys, so they apply as they
are. With the demo's measurements:

- "Growth slows below 5 % a month" (suggest) usually holds for Insight Hub, whose revenue grows about
  4 % a month; calendar months differ in length, so a month with more days can break it some days of
  the year: it is the realistic case, not the one the demo relies on.
- "Retire when users and revenue fade" (suggest, all_of) holds for Ledger Classic (in decline): its
  weekly active users are far below their target and its revenue has fallen every quarter. A product
  manager finds a pending suggestion with both parts' evidence on the dashboard and its page.

Run it after the products, their KPIs and measurements are loaded (`_load`), so the rules' first
evaluation (right after they are saved) finds the evidence.
"""

from datetime import date

from products.models import LifecycleRule, Portfolio, Stage
from products.services.default_rules import rules_default_create
from products.services.rules import lifecycle_rule_save

COMPOSITE = {
    "name": "Retire when users and revenue fade",
    "from_stage": Stage.DECLINE,
    "to_stage": Stage.RETIRED,
    "condition_type": "all_of",
    "params": {
        "conditions": [
            {
                "condition_type": "kpi_threshold",
                "params": {
                    "key": "weekly_active_users",
                    "granularity": "week",
                    "comparator": "lt",
                    "value": "target",
                    "periods": 4,
                },
            },
            {
                "condition_type": "kpi_growth",
                "params": {"key": "revenue", "granularity": "quarter", "comparator": "lt", "value": 0, "periods": 2},
            },
        ]
    },
    "mode": LifecycleRule.Mode.SUGGEST,
}


def seed_rules(*, portfolio: Portfolio, actor, today: date) -> dict[str, int]:
    """Give the demo portfolio the default rules it lacks and the composite suggest rule. Writes nothing
    when they exist (by name). Returns {"rules": how many were written}."""
    made = rules_default_create(portfolio=portfolio, actor=actor)
    if not portfolio.lifecycle_rules.filter(name=COMPOSITE["name"]).exists():
        made.append(lifecycle_rule_save(portfolio=portfolio, actor=actor, is_active=True, **COMPOSITE))
    return {"rules": len(made)}
