"""The lifecycle rules a new portfolio starts with (issue 13): sensible, editable, explained.

Owned by the lifecycle-rules work; `portfolio_create` calls `rules_default_create` in its transaction.
"""

from products.models import LifecycleRule, Portfolio


def rules_default_create(*, portfolio: Portfolio, actor=None) -> list[LifecycleRule]:
    """Create the default rule set in a new portfolio. Returns the rules made."""
    return []
