"""Stage gates per portfolio: the exit criteria of each stage (issue 13).

Owned by the stage-gates work; `portfolio_create` calls `gates_default_create` in its transaction.
"""

from products.models import Portfolio, StageGate


def gates_default_create(*, portfolio: Portfolio, actor=None) -> list[StageGate]:
    """Create the default gate set in a new portfolio. Returns the gates made."""
    return []
