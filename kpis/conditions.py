"""The KPI lifecycle conditions kpis/ owns and registers: `kpi_threshold` (a KPI beyond a value, or its
own target, for N consecutive complete periods) and `kpi_growth` (its period-over-period change beyond a
percentage for N consecutive complete periods).

Both read the KPI's rollups at the rule's granularity, complete periods only: the period holding `today`
(in the portfolio's time zone) never counts, however good it looks so far.
"""

import operator
import re
from datetime import date
from decimal import Decimal

from django import forms

from kpis.health import target_for
from kpis.models import KPI, Granularity, Rollup
from kpis.periods import next_period_start, period_start
from pmflow.errors import InvalidInput
from pmflow.fields import bounded_decimal
from pmflow.forms import BoundedDecimalField
from products.lifecycle import ConditionType, register_condition_type

COMPARATORS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
KEY = re.compile(r"[-a-zA-Z0-9_]{1,64}")  # a KPI key (a slug of at most 64 characters)
COMPARATOR_WORDS = {"gt": "above", "gte": "at or above", "lt": "below", "lte": "at or below"}
TARGET = "target"  # kpi_threshold's `value` may name the KPI's own target instead of a number
PERIOD_ADJECTIVES = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "yearly"}
MAX_PERIODS = 366


def _clean_common(params: dict, errors: dict, *, allowed: set[str]) -> dict:
    """The parameters both KPI conditions share: key, granularity, comparator, periods."""
    key = params.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key.strip()):
        errors["params.key"] = "Name the KPI key (letters, digits, - and _, at most 64), e.g. revenue."
    granularity = params.get("granularity", Granularity.MONTH)
    if not isinstance(granularity, str) or granularity not in Granularity.values:
        errors["params.granularity"] = f"Use one of {', '.join(Granularity.values)}."
    comparator = params.get("comparator")
    if not isinstance(comparator, str) or comparator not in COMPARATORS:
        errors["params.comparator"] = f"Use one of {', '.join(COMPARATORS)}."
    periods = params.get("periods", 1)
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= MAX_PERIODS:
        errors["params.periods"] = f"A whole number of consecutive periods from 1 to {MAX_PERIODS}."
    unknown = set(params) - allowed
    if unknown:
        errors["params"] = f"Unknown parameters: {', '.join(sorted(map(str, unknown)))}."
    return {
        "key": key.strip() if isinstance(key, str) else key,
        "granularity": granularity,
        "comparator": comparator,
        "periods": periods,
    }


def _plain_number(value: Decimal) -> int | float:
    return float(value) if value != value.to_integral() else int(value)


def clean_threshold(params: dict) -> dict:
    errors = {}
    common = _clean_common(params, errors, allowed={"key", "granularity", "comparator", "value", "periods"})
    raw = params.get("value")
    value = None
    if isinstance(raw, str) and raw.strip().lower() == TARGET:
        value = TARGET
    else:
        try:
            # Bounded on the text before converting ("1e9999999" costs nothing), and as a measurement's column.
            value = _plain_number(bounded_decimal(raw, max_digits=20, decimal_places=6))
        except ValueError as exc:
            errors["params.value"] = f"{exc} Or “target”: the KPI's own target."
    if errors:
        raise InvalidInput(fields=errors)
    return {**common, "value": value}


def _kpi_of(rule, product) -> KPI | None:
    return KPI.objects.filter(product=product, key=rule.params["key"]).first()


def _complete_rows(kpi: KPI, granularity: str, today: date, needed: int) -> list[Rollup] | None:
    """The KPI's last `needed` complete periods, oldest first, when there are that many and they follow
    one another without a gap; else None."""
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
    return rows


def _kpi_evidence(kpi: KPI) -> dict:
    return {"id": kpi.id, "key": kpi.key, "name": kpi.name, "unit": kpi.unit}


def evaluate_threshold(rule, product, today: date) -> dict | None:
    """The N rollup rows when each is beyond the threshold; None otherwise. Against "target": the KPI's
    target for one period of the rule's granularity (`kpis.health.target_for`); no target, no fire."""
    params = rule.params
    kpi = _kpi_of(rule, product)
    if kpi is None:
        return None
    granularity = params["granularity"]
    if params["value"] == TARGET:
        threshold = target_for(
            target=kpi.target,
            target_granularity=kpi.target_granularity,
            aggregation=kpi.aggregation,
            granularity=granularity,
        )
        if threshold is None:
            return None
    else:
        threshold = Decimal(str(params["value"]))
    rows = _complete_rows(kpi, granularity, today, params["periods"])
    if rows is None:
        return None
    compare = COMPARATORS[params["comparator"]]
    if not all(compare(row.value, threshold) for row in rows):
        return None
    evidence = {
        "kpi": _kpi_evidence(kpi),
        "granularity": granularity,
        "rollups": [
            {"period_start": row.period_start.isoformat(), "value": float(row.value), "count": row.count}
            for row in rows
        ],
    }
    if params["value"] == TARGET:
        evidence["target"] = float(threshold)
    return evidence


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}" if abs(value) >= 1000 else f"{value:g}"


def _span(periods: int, granularity: str) -> str:
    return f"for {periods} {granularity}s in a row" if periods > 1 else f"for a complete {granularity}"


def describe_threshold(params: dict) -> str:
    """“weekly active users stay above 1,500 for 3 weeks in a row”, “… above their target …” (“revenue
    stays above its target …”)."""
    metric = params["key"].replace("_", " ")
    verb = "stay" if metric.endswith("s") else "stays"
    threshold = (
        f"{'their' if verb == 'stay' else 'its'} target" if params["value"] == TARGET else _number(params["value"])
    )
    span = _span(params["periods"], params["granularity"])
    return f"{metric} {verb} {COMPARATOR_WORDS[params['comparator']]} {threshold} {span}"


class ThresholdParamsForm(forms.Form):
    key = forms.SlugField(
        max_length=64,
        error_messages={"invalid": "Use lower-case letters, digits and underscores, e.g. weekly_active_users."},
        label="KPI key",
        help_text="The key of the product's KPI to watch, e.g. weekly_active_users.",
    )
    comparator = forms.ChoiceField(choices=list(COMPARATOR_WORDS.items()), label="Stays")
    value = BoundedDecimalField(label="Threshold", required=False)
    use_target = forms.BooleanField(
        required=False,
        label="Compare with the KPI's own target instead",
        help_text="Its target for one period (a sum KPI's target scales with the period). No target set: no move.",
    )
    periods = forms.IntegerField(min_value=1, max_value=MAX_PERIODS, initial=3, label="For how many periods in a row")
    granularity = forms.ChoiceField(choices=Granularity.choices, initial=Granularity.WEEK, label="Period")

    def __init__(self, *args, portfolio=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.initial.get("value") == TARGET:
            self.initial = {**self.initial, "value": None, "use_target": True}
        _offer_kpi_keys(self.fields["key"], portfolio)


def _offer_kpi_keys(field, portfolio) -> None:
    if portfolio is not None:
        keys = KPI.objects.filter(product__portfolio=portfolio).values_list("key", flat=True).distinct()
        field.widget.attrs["list"] = "kpi-keys"
        field.datalist = sorted(set(keys))


def threshold_params_from_form(cleaned: dict) -> dict:
    value = cleaned.get("value")
    if cleaned.get("use_target"):
        value = TARGET
    elif value is None:
        raise InvalidInput(fields={"params.value": "Give a threshold, or compare with the KPI's own target."})
    return clean_threshold(
        {
            "key": cleaned["key"],
            "granularity": cleaned["granularity"],
            "comparator": cleaned["comparator"],
            "value": value if value == TARGET else str(value),
            "periods": cleaned["periods"],
        }
    )


register_condition_type(
    ConditionType(
        key="kpi_threshold",
        label="A KPI stays beyond a threshold or its target",
        clean=clean_threshold,
        evaluate=evaluate_threshold,
        describe=describe_threshold,
        params_form=ThresholdParamsForm,
        params_from_form=threshold_params_from_form,
        evidence_template="kpis/_threshold_evidence.html",
    )
)


# --- kpi_growth ------------------------------------------------------------------------------------


def clean_growth(params: dict) -> dict:
    errors = {}
    common = _clean_common(params, errors, allowed={"key", "granularity", "comparator", "value", "periods"})
    value = None
    try:
        # A change in percent: −100 is "fell to zero"; growth can be large, but not unbounded.
        value = _plain_number(bounded_decimal(params.get("value"), max_digits=12, decimal_places=4))
    except ValueError as exc:
        errors["params.value"] = f"{exc} The change from one period to the next in percent, e.g. 5 or -2.5."
    if errors:
        raise InvalidInput(fields=errors)
    return {**common, "value": value}


def growth_pct(earlier: Decimal, later: Decimal) -> Decimal | None:
    """The change from `earlier` to `later` in percent; None from a zero or negative base, where a
    percentage says nothing (from 0 to 5 is not "infinitely" better; from −10 to −5 is not −50 %)."""
    if earlier <= 0:
        return None
    return (later - earlier) / earlier * 100


def evaluate_growth(rule, product, today: date) -> dict | None:
    """The N+1 complete, consecutive rollup rows whose N changes are each beyond `value` percent; None
    otherwise, including when one of the changes starts from a zero or negative value (undefined)."""
    params = rule.params
    kpi = _kpi_of(rule, product)
    if kpi is None:
        return None
    granularity, periods = params["granularity"], params["periods"]
    rows = _complete_rows(kpi, granularity, today, periods + 1)
    if rows is None:
        return None
    compare, threshold = COMPARATORS[params["comparator"]], Decimal(str(params["value"]))
    changes = []
    for earlier, later in zip(rows, rows[1:], strict=False):
        change = growth_pct(earlier.value, later.value)
        if change is None or not compare(change, threshold):
            return None
        changes.append(change)
    return {
        "kpi": _kpi_evidence(kpi),
        "granularity": granularity,
        "comparator": params["comparator"],
        "threshold_pct": params["value"],
        "rollups": [
            {
                "period_start": row.period_start.isoformat(),
                "value": float(row.value),
                "count": row.count,
                "change_pct": None if change is None else round(float(change), 2),
            }
            for row, change in zip(rows, [None, *changes], strict=True)
        ],
    }


def describe_growth(params: dict) -> str:
    """“monthly revenue growth stays below 5 % for 3 months in a row”; “quarterly revenue falls for 3
    quarters in a row” (below 0 %), “… grows …” (above 0 %)."""
    metric = params["key"].replace("_", " ")
    granularity, comparator, value = params["granularity"], params["comparator"], params["value"]
    adjective = PERIOD_ADJECTIVES[granularity]
    span = _span(params["periods"], granularity)
    if value == 0 and comparator in ("lt", "gt"):
        verb = "falls" if comparator == "lt" else "grows"
        if metric.endswith("s"):
            verb = verb[:-1]
        return f"{adjective} {metric} {verb} {span}"
    return f"{adjective} {metric} growth stays {COMPARATOR_WORDS[comparator]} {_number(value)} % {span}"


class GrowthParamsForm(forms.Form):
    key = forms.SlugField(
        max_length=64,
        error_messages={"invalid": "Use lower-case letters, digits and underscores, e.g. revenue."},
        label="KPI key",
        help_text="The key of the product's KPI to watch, e.g. revenue.",
    )
    comparator = forms.ChoiceField(choices=list(COMPARATOR_WORDS.items()), label="Its growth stays")
    value = BoundedDecimalField(
        max_digits=12,
        decimal_places=4,
        label="Change from the period before (%)",
        help_text="e.g. 5 for +5 %, or -2 for a fall of 2 %. A change from zero or below has no percentage: "
        "such a period never counts.",
    )
    periods = forms.IntegerField(min_value=1, max_value=MAX_PERIODS, initial=3, label="For how many periods in a row")
    granularity = forms.ChoiceField(choices=Granularity.choices, initial=Granularity.MONTH, label="Period")

    def __init__(self, *args, portfolio=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_kpi_keys(self.fields["key"], portfolio)


def growth_params_from_form(cleaned: dict) -> dict:
    value = cleaned.get("value")
    return clean_growth(
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
        key="kpi_growth",
        label="A KPI's growth stays beyond a percentage",
        clean=clean_growth,
        evaluate=evaluate_growth,
        describe=describe_growth,
        params_form=GrowthParamsForm,
        params_from_form=growth_params_from_form,
        evidence_template="kpis/_growth_evidence.html",
    )
)
