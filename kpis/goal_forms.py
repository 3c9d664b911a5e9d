"""Forms of the goals pages: a goal, a key result (with the KPI that measures it), a product's vision, and
the goals lists' filters. Field names are the API's; the rules (a period that ends on or after it
starts, finite values the columns hold, a KPI of the portfolio measuring no other key result) are the
services' and come back as field errors through pmflow.forms.save_with."""

from django import forms
from django.db.models import Case, Value, When

from kpis.key_results import PERIODS
from kpis.models import KPI, Granularity
from pmflow.forms import BoundedDecimalField
from products.models import Goal, KeyResult, Product
from products.services import catalog
from products.services import goals as services

PERIOD_LABELS = {
    "current": "Running today",
    "upcoming": "Not started yet",
    "past": "Ended",
    "all": "All periods",
}


def _day(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label, help_text=help_text, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class GoalForm(forms.Form):
    title = forms.CharField(
        max_length=services.TITLE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Win the mid-market"}),
    )
    period_start = _day("Period starts")
    period_end = _day("Period ends", "The last day the key results count towards.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Why this goal, and what winning looks like."}),
        max_length=services.TEXT_MAX,
        required=False,
    )

    @staticmethod
    def initial_for(goal: Goal) -> dict:
        return {name: getattr(goal, name) for name in services.GOAL_FIELDS}


class KPIChoiceField(forms.ModelChoiceField):
    """A KPI of the portfolio, named with its product and period, and the key result it already measures."""

    def label_from_instance(self, kpi):
        period = Granularity(kpi.target_granularity).label.lower()
        label = f"{kpi.product.name} — {kpi.name}" + (
            f" ({kpi.unit}, per {period})" if kpi.unit else f" (per {period})"
        )
        if kpi.key_result_id is not None and kpi.key_result_id != self.measuring:
            label += f" · measures “{kpi.key_result.title}”"
        return label


def _value(label: str, help_text: str, *, required: bool = True) -> BoundedDecimalField:
    return BoundedDecimalField(
        label=label, help_text=help_text, required=required, max_digits=services.VALUE_DIGITS, decimal_places=6
    )


class KeyResultForm(forms.Form):
    title = forms.CharField(
        max_length=services.TITLE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Monthly churn down to 4 %"}),
    )
    start_value = _value("Start", "Where it stands when the goal's period begins.")
    target_value = _value("Target", "Where it should be by the end of the period; below the start for a falling one.")
    kpi = KPIChoiceField(
        queryset=KPI.objects.none(),
        required=False,
        label="Measured by KPI",
        empty_label="No KPI: I report the value by hand",
        help_text="The KPI's latest complete period gives the current value, progress and health. A KPI "
        "measures one key result.",
    )
    manual_value = _value(
        "Current value (by hand)",
        "Used only without a KPI: with one, the KPI's rollups give the value and this is ignored.",
        required=False,
    )

    def __init__(self, *args, product: Product, key_result: KeyResult | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["kpi"]
        field.measuring = key_result.pk if key_result else None
        # The product's own KPIs first, then the rest of the portfolio's.
        field.queryset = (
            KPI.objects.filter(product__portfolio_id=product.portfolio_id)
            .select_related("product", "key_result")
            .annotate(other=Case(When(product_id=product.pk, then=Value(0)), default=Value(1)))
            .order_by("other", "product__name", "name", "id")
        )

    @staticmethod
    def initial_for(key_result: KeyResult, kpi: KPI | None) -> dict:
        def plain(value):  # 11, not 11.000000
            return value if value is None else format(value.normalize(), "f")

        values = {name: plain(getattr(key_result, name)) for name in ("start_value", "target_value", "manual_value")}
        return {"title": key_result.title, "kpi": kpi, **values}


class VisionForm(forms.Form):
    vision = forms.CharField(
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "For operations managers who lose hours chasing numbers, Insight Hub is the "
                "self-serve analytics tool that…",
            }
        ),
        max_length=catalog.VISION_MAX,
        required=False,
        help_text="Where the product is heading: for whom, what need, why us. Leave it empty to clear it.",
    )


class GoalFilter(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    period = forms.ChoiceField(choices=[(p, PERIOD_LABELS[p]) for p in PERIODS], required=False, label="Period")

    def __init__(self, *args, portfolio=None, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        if portfolio is None:
            del self.fields["product"]
        else:
            self.fields["product"].queryset = portfolio.products.order_by("name")
