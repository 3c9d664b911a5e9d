"""A portfolio's thresholds for the portfolio analysis (kpis.analysis): when a product is a candidate to
retire, and when a segment or a product is a candidate to extend.

- One row per portfolio, created with the defaults the first time it is read or edited
  (`analysis_settings_of`, `analysis_settings_update`); the creation is a write like any other: one
  transaction under the portfolio's lock (two first readers make one row) and one
  `analysis_settings.created` event (actor None when a read created it).
- `retire_falling_quarters`: whole quarters, 1–12. `extend_segment_min_priority`: 1–5.
  `extend_segment_min_growth_pct` and `extend_demand_min_growth_pct`: percent from −100 to 9,999.99 (the
  column holds four whole digits), rounded to two decimals.
- Only admins of the portfolio edit them (the access policy of AnalysisSettings; callers check the role
  before they read a payload). An edit records one `analysis_settings.updated` event with what changed,
  nothing when nothing did. Bad input is InvalidInput with a message per field (400); nothing is written.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from pmflow.errors import InvalidInput
from pmflow.fields import bounded_decimal
from products import events
from products.models import AnalysisSettings, Portfolio

SETTING_FIELDS = (
    "retire_falling_quarters",
    "extend_segment_min_growth_pct",
    "extend_segment_min_priority",
    "extend_demand_min_growth_pct",
)
QUARTERS_RANGE = (1, 12)
PRIORITY_RANGE = (1, 5)
PERCENT_RANGE = (Decimal("-100"), Decimal("9999.99"))
PERCENT_FIELDS = ("extend_segment_min_growth_pct", "extend_demand_min_growth_pct")

LABELS = {
    "retire_falling_quarters": "Retire: quarters of falling revenue",
    "extend_segment_min_growth_pct": "Extend a segment: growth at least (%)",
    "extend_segment_min_priority": "Extend a segment: priority at least (1–5)",
    "extend_demand_min_growth_pct": "Extend a product: feedback growth at least (%)",
}
# What each threshold does, in the words of the analysis page.
EXPLANATIONS = {
    "retire_falling_quarters": "A product in decline is a candidate to retire when its revenue fell in each of "
    "this many complete quarters in a row (quarter on quarter, from the revenue KPI's rollups) and no goal of "
    "it runs today. 2 means: the last three complete quarters, each lower than the one before.",
    "extend_segment_min_growth_pct": "A segment growing at least this much a year (its growth %), of at least "
    "the priority below, that no product serves is a candidate to extend into.",
    "extend_segment_min_priority": "A segment of at least this priority (1 low – 5 high), growing at least as fast "
    "as above, that no product of the portfolio (or of the product line analysed) serves is a candidate to "
    "extend into.",
    "extend_demand_min_growth_pct": "A product in growth is a candidate to extend when the feedback it received "
    "in the last 90 days grew at least this much on the 90 days before (with at least one before; none before "
    "and three or more now counts as rising).",
}
MESSAGES = {
    "retire_falling_quarters": f"Whole quarters from {QUARTERS_RANGE[0]} to {QUARTERS_RANGE[1]}.",
    "extend_segment_min_priority": f"A priority from {PRIORITY_RANGE[0]} (low) to {PRIORITY_RANGE[1]} (high).",
    "extend_segment_min_growth_pct": "A percentage from −100 to 9,999.99.",
    "extend_demand_min_growth_pct": "A percentage from −100 to 9,999.99.",
}


def defaults() -> dict:
    """The thresholds a portfolio starts with (the model's defaults)."""
    return {name: AnalysisSettings._meta.get_field(name).get_default() for name in SETTING_FIELDS}


def _whole(fields: dict, name: str, bounds: tuple[int, int], errors: dict) -> None:
    value = fields[name]
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value.strip()) <= 6:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        errors[name] = MESSAGES[name]
    else:
        fields[name] = value


def _percent(fields: dict, name: str, errors: dict) -> None:
    try:
        value = bounded_decimal(fields[name], max_digits=6, decimal_places=2, round_places=True)
    except ValueError:
        errors[name] = MESSAGES[name]
        return
    if not PERCENT_RANGE[0] <= value <= PERCENT_RANGE[1]:
        errors[name] = MESSAGES[name]
    else:
        fields[name] = value


def settings_check(fields: dict, errors: dict) -> None:
    """Check (and normalise in place: ints, two-decimal Decimals) the given thresholds."""
    if "retire_falling_quarters" in fields:
        _whole(fields, "retire_falling_quarters", QUARTERS_RANGE, errors)
    if "extend_segment_min_priority" in fields:
        _whole(fields, "extend_segment_min_priority", PRIORITY_RANGE, errors)
    for name in PERCENT_FIELDS:
        if name in fields:
            _percent(fields, name, errors)


def _values(row: AnalysisSettings) -> dict:
    return events.snapshot(row, SETTING_FIELDS)


def _create_locked(portfolio: Portfolio, *, actor, values: dict) -> tuple[AnalysisSettings, bool]:
    """Inside a transaction holding the portfolio's lock: the row, made with `values` when missing."""
    row = AnalysisSettings.objects.filter(portfolio_id=portfolio.pk).first()
    if row is not None:
        return row, False
    row = AnalysisSettings.objects.create(portfolio_id=portfolio.pk, **values)
    row.refresh_from_db()  # the stored decimals (10.00), not the field defaults' ints: one form in the history
    events.record(
        portfolio_id=portfolio.pk,
        actor=actor,
        verb="analysis_settings.created",
        obj=row,
        changes={name: [None, value] for name, value in _values(row).items()},
    )
    return row, True


def _lock(portfolio: Portfolio) -> None:
    list(Portfolio.objects.select_for_update().filter(pk=portfolio.pk).values_list("pk"))


def analysis_settings_of(portfolio: Portfolio, *, actor=None) -> AnalysisSettings:
    """The portfolio's thresholds; made with the defaults (one event) the first time they are read.

    One query once the row exists."""
    row = AnalysisSettings.objects.filter(portfolio_id=portfolio.pk).first()
    if row is not None:
        return row
    with transaction.atomic():
        _lock(portfolio)
        row, _ = _create_locked(portfolio, actor=actor, values=defaults())
    return row


def analysis_settings_update(*, portfolio: Portfolio, actor, **fields) -> AnalysisSettings:
    """Change some of the portfolio's thresholds (the others keep theirs). The caller has checked that the
    actor is an admin of the portfolio.

    Raises InvalidInput: quarters outside 1–12, a priority outside 1–5, a percentage outside −100…9,999.99
    or not a number (NaN, infinity and huge exponents included); TypeError for a name that is no threshold.
    """
    unknown = set(fields) - set(SETTING_FIELDS)
    if unknown:
        raise TypeError(f"not analysis thresholds: {sorted(unknown)}")
    fields = dict(fields)
    errors: dict = {}
    settings_check(fields, errors)
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        _lock(portfolio)
        row, created = _create_locked(portfolio, actor=actor, values={**defaults(), **fields})
        if not created:
            events.save_changes(row, fields, portfolio_id=portfolio.pk, actor=actor, verb="analysis_settings.updated")
    return row


def settings_rows(row: AnalysisSettings) -> list[dict]:
    """Each threshold with its label, value and explanation, for the pages."""
    return [
        {
            "name": name,
            "label": LABELS[name],
            "value": getattr(row, name),
            "default": defaults()[name],
            "explanation": EXPLANATIONS[name],
        }
        for name in SETTING_FIELDS
    ]
