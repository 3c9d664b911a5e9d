"""The lifecycle rules a new portfolio starts with (issue 13): sensible, editable, explained.

`portfolio_create` calls `rules_default_create` in its transaction. Each rule is an ordinary rule, written
through `lifecycle_rule_save` (validated, recorded as a `lifecycle_rule.created` event): admins pause,
edit or delete them like any other.

Auto or suggest, per rule:

- **Development → Launch when a launch plan launches: auto.** A launch is a fact the team itself made
  happen in pmflow; the stage just catches up with it. Nobody needs to confirm it.
- **Launch → Growth when weekly active users hold above their target for 4 weeks: auto.** The target is
  the team's own definition of a successful launch, and four complete weeks in a row rule out a lucky
  week. Reaching it is what the launch was for.
- **Growth → Maturity when monthly revenue growth stays under 5 % for 3 months: suggest.** Slower growth
  may be a plateau or a slow season, a pricing change, a campaign that ended; calling a product mature
  changes how it is funded, so a product manager decides, with the months in front of them.
- **Maturity → Decline when quarterly revenue falls for 3 quarters: suggest.** Declaring decline starts
  talk of sunsetting; three falling quarters are strong evidence, but the call stays with a person.
"""

from products.models import LifecycleRule, Portfolio, Stage

Mode = LifecycleRule.Mode

DEFAULT_RULES = (
    {
        "name": "Launch plan launched",
        "from_stage": Stage.DEVELOPMENT,
        "to_stage": Stage.LAUNCH,
        "condition_type": "launch_plan_launched",
        "params": {},
        "mode": Mode.AUTO,
    },
    {
        "name": "Adoption holds its target",
        "from_stage": Stage.LAUNCH,
        "to_stage": Stage.GROWTH,
        "condition_type": "kpi_threshold",
        "params": {
            "key": "weekly_active_users",
            "granularity": "week",
            "comparator": "gte",
            "value": "target",
            "periods": 4,
        },
        "mode": Mode.AUTO,
    },
    {
        "name": "Growth slows below 5 % a month",
        "from_stage": Stage.GROWTH,
        "to_stage": Stage.MATURITY,
        "condition_type": "kpi_growth",
        "params": {"key": "revenue", "granularity": "month", "comparator": "lt", "value": 5, "periods": 3},
        "mode": Mode.SUGGEST,
    },
    {
        "name": "Revenue falls three quarters running",
        "from_stage": Stage.MATURITY,
        "to_stage": Stage.DECLINE,
        "condition_type": "kpi_growth",
        "params": {"key": "revenue", "granularity": "quarter", "comparator": "lt", "value": 0, "periods": 3},
        "mode": Mode.SUGGEST,
    },
)


def rules_default_create(*, portfolio: Portfolio, actor=None) -> list[LifecycleRule]:
    """Create the default rule set in `portfolio`, leaving out any whose name the portfolio already
    uses (so running it on an existing portfolio adds only what is missing). Returns the rules made.

    A default whose condition type is not registered (its app removed) is left out rather than failing
    the new portfolio. Raises nothing else: the defaults are valid by construction (tested).
    """
    from products import lifecycle
    from products.services.rules import lifecycle_rule_save

    taken = set(portfolio.lifecycle_rules.values_list("name", flat=True))
    made = []
    for spec in DEFAULT_RULES:
        if spec["name"] in taken or spec["condition_type"] not in lifecycle.condition_types:
            continue
        made.append(lifecycle_rule_save(portfolio=portfolio, actor=actor, **spec, is_active=True))
    return made
