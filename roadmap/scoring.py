"""Prioritisation scores, computed in one place: database expressions added to a query.

Nothing is stored, so a score is never stale: change an input or a weight and the next query says so.
Every input is cast to a float first (PostgreSQL divides integers as integers: confidence / 100 was 0).
A score is null while an input it needs is missing, and sorts last in either direction.

- RICE = reach × impact × confidence / 100 ÷ effort
- WSJF = (business value + time criticality + risk reduction) ÷ job size
- value / effort = value ÷ effort
- weighted = Σ weight × input ÷ Σ |weight|, over the inputs the portfolio gives a weight (its
  `ScoringWeights` row, or the defaults): a negative weight counts against an item.
"""

from django.db.models import Case, F, FloatField, OrderBy, QuerySet, Value, When
from django.db.models.functions import Abs, Cast, Coalesce, NullIf

from roadmap.models import WEIGHT_INPUTS, ScoringWeights

SCORES = ("rice_score", "wsjf_score", "value_effort", "weighted_score")
SCORE_LABELS = {
    "rice_score": "RICE",
    "wsjf_score": "WSJF",
    "value_effort": "Value ÷ effort",
    "weighted_score": "Weighted score",
}


def _f(name: str, prefix: str = ""):
    return Cast(F(prefix + name), FloatField())


def rice(prefix: str = ""):
    return _f("reach", prefix) * _f("impact", prefix) * _f("confidence", prefix) / Value(100.0) / _f("effort", prefix)


def wsjf(prefix: str = ""):
    cost_of_delay = _f("business_value", prefix) + _f("time_criticality", prefix) + _f("risk_reduction", prefix)
    return cost_of_delay / _f("job_size", prefix)


def value_effort(prefix: str = ""):
    return _f("value", prefix) / _f("effort", prefix)


def weighted(prefix: str = ""):
    """The weighted score; the weights come from the item's portfolio by a LEFT JOIN (defaults without)."""
    defaults = ScoringWeights.defaults()
    weights = {
        name: Coalesce(
            Cast(F(f"{prefix}product__portfolio__scoring_weights__{name}"), FloatField()),
            Value(float(defaults[name])),
        )
        for name in WEIGHT_INPUTS
    }
    total = None
    norm = None
    for name in WEIGHT_INPUTS:
        # An input with weight 0 does not count, even when it is missing (null × 0 is null in SQL).
        term = Case(
            When(**{f"{prefix}product__portfolio__scoring_weights__{name}": 0}, then=Value(0.0)),
            default=weights[name] * _f(name, prefix),
            output_field=FloatField(),
        )
        if f"{name}" in defaults and float(defaults[name]) == 0:
            term = Case(
                When(**{f"{prefix}product__portfolio__scoring_weights__{name}__isnull": True}, then=Value(0.0)),
                default=term,
                output_field=FloatField(),
            )
        total = term if total is None else total + term
        size = Abs(weights[name])
        norm = size if norm is None else norm + size
    return total / NullIf(norm, Value(0.0))


def with_scores(queryset: QuerySet, prefix: str = "") -> QuerySet:
    """The items with `rice_score`, `wsjf_score`, `value_effort` and `weighted_score` annotated."""
    return queryset.annotate(
        rice_score=rice(prefix),
        wsjf_score=wsjf(prefix),
        value_effort=value_effort(prefix),
        weighted_score=weighted(prefix),
    )


def score_ordering(name: str, *, descending: bool) -> OrderBy:
    """Order by a score with the items that have none last, whichever the direction."""
    return OrderBy(F(name), descending=descending, nulls_last=True)
