"""Forms of the release pages and the scoring weights page. Field names are the API's; the rules
(a taken version, a reason for an override, a weight's range) are the services' and come back as
field errors through pmflow.forms.save_with."""

from decimal import Decimal

from django import forms

from pmflow.forms import BoundedDecimalField
from products.models import Product
from roadmap.models import WEIGHT_INPUTS, Release, RoadmapItem
from roadmap.page_tools import PlanDateField


class ReleaseForm(forms.Form):
    version = forms.CharField(
        max_length=50, help_text="Unique within the product, e.g. 2.4 or 2026.1.", widget=forms.TextInput()
    )
    name = forms.CharField(max_length=200, required=False, help_text="A name people remember, e.g. “Spring”.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "What it brings, for whom."}),
        max_length=20_000,
        required=False,
    )
    target_date = PlanDateField(
        help_text="When you plan to ship it; a planned release past this date is marked overdue.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].widget.attrs.update({"autocomplete": "off", "maxlength": "50"})

    @staticmethod
    def initial_for(release: Release) -> dict:
        return {name: getattr(release, name) for name in ("version", "name", "description", "target_date")}


class ShipForm(forms.Form):
    """Ship anyway: why it ships with open items. The page asks for it; the service is what insists
    (roadmap.services.release_ship, the API's rule too), so the field itself accepts anything."""

    reason = forms.CharField(
        required=False,
        label="Why ship with open items?",
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "e.g. The two open requirements move to 2.5; the hotfix cannot wait."}
        ),
        help_text="Kept with the release and shown on its page.",
    )


class ReleaseFilter(forms.Form):
    STATUSES = [("", "Planned and shipped"), *Release.Status.choices]

    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    status = forms.ChoiceField(choices=STATUSES, required=False)

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")  # archived ones had releases too


class ProductPick(forms.Form):
    """The list's "New release" when it shows every product: which product the release is of."""

    product = forms.ModelChoiceField(queryset=Product.objects.none(), empty_label=None, label="Product")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.filter(archived_at__isnull=True).order_by("name")


# --- scoring weights --------------------------------------------------------------------------------

WEIGHT_MESSAGE = "A weight from −100 to 100."


def _input_label(name: str) -> str:
    return str(RoadmapItem._meta.get_field(name).verbose_name).capitalize()


WEIGHT_HELP = {
    "value": "The item's value (the value ÷ effort input).",
    "business_value": "WSJF: business value.",
    "time_criticality": "WSJF: how much waiting costs.",
    "risk_reduction": "WSJF: risk it reduces or opportunity it opens.",
    "reach": "RICE: people or events per quarter — often thousands, so a small weight goes far.",
    "impact": "RICE: 0.25 (minimal) to 3 (massive).",
    "confidence": "RICE: percent, 0–100.",
    "effort": "Person-months. Give it a negative weight: more effort, lower score.",
    "job_size": "WSJF: job size. Negative counts bigger jobs against an item.",
}


class WeightField(BoundedDecimalField):
    """A weight as people type it ("−2", "1.5"); out of any column's range reads as out of −100…100."""

    def __init__(self, **kwargs):
        super().__init__(
            max_digits=6,
            decimal_places=2,
            widget=forms.NumberInput(attrs={"step": "any", "min": "-100", "max": "100", "class": "weight-input"}),
            **kwargs,
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\u2212", "-")  # the typographic minus people paste
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            if any("Out of range" in message for message in exc.messages):
                raise forms.ValidationError(WEIGHT_MESSAGE, code="range") from None
            raise


class ScoringWeightsForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in WEIGHT_INPUTS:
            self.fields[name] = WeightField(label=_input_label(name), help_text=WEIGHT_HELP.get(name, ""))

    @staticmethod
    def initial_for(weights) -> dict:
        """As people write them: 3 and −1.5, not 3.00 and −1.50."""
        return {name: weight_text(getattr(weights, name)) for name in WEIGHT_INPUTS}


def weight_text(value) -> str:
    return format(Decimal(value).normalize(), "f")
