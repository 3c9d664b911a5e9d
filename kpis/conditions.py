"""The `kpi_threshold` lifecycle condition: a KPI beyond a value for N consecutive complete periods."""

import operator
import re
from datetime import date
from decimal import Decimal

from django import forms

from kpis.models import KPI, Granularity, Rollup
from kpis.periods import next_period_start, period_start
from pmflow.errors import InvalidInput
from pmflow.fields import bounded_decimal
from pmflow.forms import BoundedDecimalField
from products.lifecycle import ConditionType, register_condition_type

COMPARATORS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
KEY = re.compile(r"[-a-zA-Z0-9_]{1,64}")  # a KPI key (a slug of at most 64 characters)
COMPARATOR_WORDS = {"gt": "above", "gte": "at or above", "lt": "below", "lte": "at or below"}


def clean_threshold(params: dict) -> dict:
    errors = {}
    key = params.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key.strip()):
        errors["params.key"] = "Name the KPI key (letters, digits, - and _, at most 64), e.g. revenue."
    granularity = params.get("granularity", Granularity.MONTH)
    if not isinstance(granularity, str) or granularity not in Granularity.values:
        errors["params.granularity"] = f"Use one of {', '.join(Granularity.values)}."
    comparator = params.get("comparator")
    if not isinstance(comparator, str) or comparator not in COMPARATORS:
        errors["params.comparator"] = f"Use one of {', '.join(COMPARATORS)}."
    try:
        # Bounded on the text before converting ("1e9999999" costs nothing), and as a measurement's column.
        value = bounded_decimal(params.get("value"), max_digits=20, decimal_places=6)
    except ValueError as exc:
        errors["params.value"] = str(exc)
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


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}" if abs(value) >= 1000 else f"{value:g}"


def describe_threshold(params: dict) -> str:
    """“weekly active users stay above 1,500 for 3 weeks in a row”."""
    periods, granularity = params["periods"], params["granularity"]
    metric = params["key"].replace("_", " ")
    span = f"for {periods} {granularity}s in a row" if periods > 1 else f"for a complete {granularity}"
    verb = "stay" if metric.endswith("s") else "stays"
    return f"{metric} {verb} {COMPARATOR_WORDS[params['comparator']]} {_number(params['value'])} {span}"


class ThresholdParamsForm(forms.Form):
    key = forms.SlugField(
        max_length=64,
        error_messages={"invalid": "Use lower-case letters, digits and underscores, e.g. weekly_active_users."},
        label="KPI key",
        help_text="The key of the product's KPI to watch, e.g. weekly_active_users.",
    )
    comparator = forms.ChoiceField(choices=list(COMPARATOR_WORDS.items()), label="Stays")
    value = BoundedDecimalField(label="Threshold")
    periods = forms.IntegerField(min_value=1, max_value=366, initial=3, label="For how many periods in a row")
    granularity = forms.ChoiceField(choices=Granularity.choices, initial=Granularity.WEEK, label="Period")

    def __init__(self, *args, portfolio=None, **kwargs):
        super().__init__(*args, **kwargs)
        if portfolio is not None:
            keys = KPI.objects.filter(product__portfolio=portfolio).values_list("key", flat=True).distinct()
            self.fields["key"].widget.attrs["list"] = "kpi-keys"
            self.fields["key"].datalist = sorted(set(keys))


def threshold_params_from_form(cleaned: dict) -> dict:
    value = cleaned["value"]
    return clean_threshold(
        {
            "key": cleaned["key"],
            "granularity": cleaned["granularity"],
            "comparator": cleaned["comparator"],
            "value": str(value) if value is not None else None,
            "periods": cleaned["periods"],
        }
    )


register_condition_type(
    ConditionType(
        key="kpi_threshold",
        label="A KPI stays beyond a threshold",
        clean=clean_threshold,
        evaluate=evaluate_threshold,
        describe=describe_threshold,
        params_form=ThresholdParamsForm,
        params_from_form=threshold_params_from_form,
        evidence_template="kpis/_threshold_evidence.html",
    )
)
