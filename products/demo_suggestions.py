"""The demo portfolio's stage suggestions: one pending with real evidence, one dismissed with a reason.

Both come from suggest rules evaluated on the demo's own measurements, through the services:

- **Dismissed**: "Usage below target in maturity" (Maturity → Decline when weekly active users stay below
  their target for 4 weeks) holds for TeamBoard, whose ~9,100 weekly users sit under its 10,000 target.
  A product manager dismissed it: the target was set for an expansion that was postponed, so the gap is
  not decline. The same weeks will not suggest it again; next week's will, if it still holds.
- **Pending**: whatever the portfolio's suggest rules propose on the data (the default "Growth slows below
  5 % a month" for Insight Hub on most days, demo_rules' "Retire when users and revenue fade" for Ledger
  Classic). When none holds, "Revenue under target in decline" (Decline → Retired when monthly revenue
  stays below its target for 3 months) does for Ledger Classic, whose revenue falls month by month.

Run it after the products, their KPIs and measurements are loaded (seed_demo's `_load`) and after
products.demo_rules.seed_rules (so its composite rule's suggestion counts as the pending one). Idempotent:
nothing is written once the dismissed suggestion's rule exists.
"""

from datetime import date

from products.models import LifecycleRule, Portfolio, Product, Stage, StageSuggestion
from products.services.rules import lifecycle_rule_save, lifecycle_rules_run
from products.services.suggestions import suggestion_dismiss

DISMISSED_RULE = {
    "name": "Usage below target in maturity",
    "from_stage": Stage.MATURITY,
    "to_stage": Stage.DECLINE,
    "condition_type": "kpi_threshold",
    "params": {
        "key": "weekly_active_users",
        "granularity": "week",
        "comparator": "lt",
        "value": "target",
        "periods": 4,
    },
    "mode": LifecycleRule.Mode.SUGGEST,
}
DISMISS_REASON = (
    "The 10,000 users target was set for the enterprise expansion, which moved to next year. Usage is "
    "steady and churn is flat: this is not decline. Revisit when the target is reset."
)
PENDING_RULE = {
    "name": "Revenue under target in decline",
    "from_stage": Stage.DECLINE,
    "to_stage": Stage.RETIRED,
    "condition_type": "kpi_threshold",
    "params": {"key": "revenue", "granularity": "month", "comparator": "lt", "value": "target", "periods": 3},
    "mode": LifecycleRule.Mode.SUGGEST,
}


def _evaluate(portfolio: Portfolio, stages, today: date) -> None:
    """What the periodic sweep does, for the products in these stages."""
    products = Product.objects.filter(portfolio=portfolio, stage__in=stages, archived_at__isnull=True)
    for product_id in products.order_by("id").values_list("id", flat=True):
        lifecycle_rules_run(product_id=product_id, today=today)


def _pending(portfolio: Portfolio):
    return StageSuggestion.objects.filter(product__portfolio=portfolio, status=StageSuggestion.Status.PENDING)


def seed_suggestions(*, portfolio: Portfolio, actor, today: date) -> dict[str, int]:
    """Write the demo's suggestions (see the module's docstring). Returns {"rules", "suggestions",
    "dismissed"}: the rules written, the suggestions the rules made, the suggestions dismissed."""
    counts = {"rules": 0, "suggestions": 0, "dismissed": 0}
    if portfolio.lifecycle_rules.filter(name=DISMISSED_RULE["name"]).exists():
        return counts
    before = StageSuggestion.objects.filter(product__portfolio=portfolio).count()
    rule = lifecycle_rule_save(portfolio=portfolio, actor=actor, is_active=True, **DISMISSED_RULE)
    counts["rules"] += 1
    _evaluate(portfolio, [rule.from_stage], today)
    for suggestion in _pending(portfolio).filter(rule=rule):
        suggestion_dismiss(suggestion_id=suggestion.id, actor=actor, reason=DISMISS_REASON)
        counts["dismissed"] += 1
    if not _pending(portfolio).exists():
        suggesting = portfolio.lifecycle_rules.filter(mode=LifecycleRule.Mode.SUGGEST, is_active=True)
        _evaluate(portfolio, set(suggesting.values_list("from_stage", flat=True)), today)
    if not _pending(portfolio).exists():
        fallback = lifecycle_rule_save(portfolio=portfolio, actor=actor, is_active=True, **PENDING_RULE)
        counts["rules"] += 1
        _evaluate(portfolio, [fallback.from_stage], today)
    counts["suggestions"] = StageSuggestion.objects.filter(product__portfolio=portfolio).count() - before
    return counts
