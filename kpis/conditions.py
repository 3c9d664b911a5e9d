"""The `kpi_threshold` lifecycle condition: a KPI beyond a value for N consecutive complete periods."""

import operator
from datetime import date
from decimal import Decimal, InvalidOperation

from kpis.models import KPI, Granularity, Rollup
from kpis.periods import next_period_start, period_start
from pmflow.errors import InvalidInput
from products.lifecycle import ConditionType, register_condition_type

COMPARATORS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
COMPARATOR_WORDS = {"gt": "above", "gte": "at or above", "lt": "below", "lte": "at or below"}


def clean_threshold(params: dict) -> dict:
    errors = {}
    key = params.get("key")
    if not isinstance(key, str) or not key.strip():
        errors["params.key"] = "Name the KPI key, e.g. revenue."
    granularity = params.get("granularity", Granularity.MONTH)
    if granularity not in Granularity.values:
        errors["params.granularity"] = f"Use one of {', '.join(Granularity.values)}."
    comparator = params.get("comparator")
    if comparator not in COMPARATORS:
        errors["params.comparator"] = f"Use one of {', '.join(COMPARATORS)}."
    try:
        value = Decimal(str(params.get("value")))
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["params.value"] = "A number is required."
        value = None
    periods = params.get("periods", 1)
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= 366:
        errors["params.periods"] = "A whole number of consecutive periods from 1 to 366."
    unknown = set(params) - {"key", "granularity", "comparator", "value", "periods"}
    if unknown:
        errors["params"] = f"Unknown parameters: {', '.join(sorted(unknown))}."
    if errors:
        raise InvalidInput(fields=errors)
    return {
        "key": key.strip(),
        "granularity": granularity,
        "comparator": comparator,
        "value": float(value) if value != value.to_integral() else int(value),
        "periods": periods,
    }


def evaluate_threshold(rule, product, today: date) -> dict | None:
    params = rule.params
    kpi = KPI.objects.filter(product=product, key=params["key"]).first()
    if kpi is None:
        return None
    granularity, needed = params["granularity"], params["periods"]
    current = period_start(today, granularity)
    rows = list(
        Rollup.objects.filter(kpi=kpi, granularity=granularity, period_start__lt=current).order_by("-period_start")[
            :needed
        ]
    )
    if len(rows) < needed:
        return None
    rows.reverse()
    for earlier, later in zip(rows, rows[1:], strict=False):
        if next_period_start(earlier.period_start, granularity) != later.period_start:
            return None  # a gap: the periods are not consecutive
    compare, threshold = COMPARATORS[params["comparator"]], Decimal(str(params["value"]))
    if not all(compare(row.value, threshold) for row in rows):
        return None
    return {
        "kpi": {"id": kpi.id, "key": kpi.key, "name": kpi.name, "unit": kpi.unit},
        "granularity": granularity,
        "rollups": [
            {"period_start": row.period_start.isoformat(), "value": float(row.value), "count": row.count}
            for row in rows
        ],
    }


def describe_threshold(params: dict) -> str:
    periods = params["periods"]
    span = f"{periods} consecutive {params['granularity']}s" if periods > 1 else f"a {params['granularity']}"
    return f"{params['key']} {COMPARATOR_WORDS[params['comparator']]} {params['value']} for {span}"


register_condition_type(
    ConditionType(
        key="kpi_threshold",
        label="KPI beyond a threshold",
        clean=clean_threshold,
        evaluate=evaluate_threshold,
        describe=describe_threshold,
    )
)
