"""Forms of the portfolio analysis pages: the scope (a product line or the whole portfolio) and the thresholds.

The thresholds' ranges are products.services.analysis_settings's; the form states them so a person sees the
message before the service is asked, and the service checks again (pages, API and admin alike).
"""

from decimal import Decimal

from django import forms

from pmflow.forms import BoundedDecimalField
from products.models import ProductLine
from products.services import analysis_settings as services


class ScopeForm(forms.Form):
    product_line = forms.ModelChoiceField(
        queryset=ProductLine.objects.none(), required=False, empty_label="All product lines", label="Product line"
    )

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = ProductLine.objects.filter(portfolio=portfolio).order_by("name", "id")

    def chosen_line(self) -> ProductLine | None:
        if not self.is_bound or not self.is_valid():
            return None
        return self.cleaned_data.get("product_line")


def _percent_field(name: str) -> BoundedDecimalField:
    low, high = services.PERCENT_RANGE
    return BoundedDecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=low,
        max_value=high,
        label=services.LABELS[name],
        help_text=services.EXPLANATIONS[name],
        error_messages={
            "min_value": services.MESSAGES[name],
            "max_value": services.MESSAGES[name],
            "required": services.MESSAGES[name],
        },
    )


class AnalysisSettingsForm(forms.Form):
    retire_falling_quarters = forms.IntegerField(
        min_value=services.QUARTERS_RANGE[0],
        max_value=services.QUARTERS_RANGE[1],
        label=services.LABELS["retire_falling_quarters"],
        help_text=services.EXPLANATIONS["retire_falling_quarters"],
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            name: services.MESSAGES["retire_falling_quarters"]
            for name in ("min_value", "max_value", "invalid", "required")
        },
    )
    extend_segment_min_growth_pct = _percent_field("extend_segment_min_growth_pct")
    extend_segment_min_priority = forms.TypedChoiceField(
        choices=[(n, f"{n}{' (low)' if n == 1 else ' (high)' if n == 5 else ''}") for n in range(1, 6)],
        coerce=int,
        label=services.LABELS["extend_segment_min_priority"],
        help_text=services.EXPLANATIONS["extend_segment_min_priority"],
    )
    extend_demand_min_growth_pct = _percent_field("extend_demand_min_growth_pct")

    @staticmethod
    def initial_for(row) -> dict:
        """As people write them: 10 and 12.5, not 10.00 and 12.50."""
        values = {}
        for name in services.SETTING_FIELDS:
            value = getattr(row, name)
            values[name] = format(value.normalize(), "f") if isinstance(value, Decimal) else value
        return values
