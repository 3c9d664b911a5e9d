"""KPI and measurement forms; fields named like the API's."""

from decimal import Decimal

from django import forms

from gtm.models import Campaign, LaunchPlan
from kpis.models import KPI, Aggregation, Direction, Granularity
from pmflow.forms import BoundedDecimalField


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, plan):
        return f"{plan.name} (launch {plan.launch_date:%Y-%m-%d})"


class CampaignChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, campaign):
        return f"{campaign.name} ({campaign.launch_plan.name})" if campaign.launch_plan_id else campaign.name


class KPIForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="As people say it, e.g. Weekly active users.")
    key = forms.SlugField(
        max_length=64,
        error_messages={"invalid": "Use lower-case letters, digits and underscores, e.g. weekly_active_users."},
        help_text="Lower-case with underscores, the same on every product (e.g. revenue), so rollups combine.",
    )
    unit = forms.CharField(max_length=32, required=False, help_text="e.g. EUR, users, %. Shown on charts.")
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.HIGHER)
    aggregation = forms.ChoiceField(
        choices=Aggregation.choices,
        initial=Aggregation.SUM,
        help_text="How measurements in one period combine: Sum for revenue or sign-ups, Last value for gauges "
        "such as active users, Average for rates.",
    )
    target = BoundedDecimalField(
        round_places=False, required=False, help_text="Leave empty for no target (health then says so)."
    )
    target_granularity = forms.ChoiceField(choices=Granularity.choices, initial=Granularity.MONTH, label="Target per")
    tolerance_pct = BoundedDecimalField(
        max_digits=5,
        decimal_places=2,
        round_places=False,
        initial=10,
        label="Tolerance (%)",
        help_text="Below target but within this percentage counts as at risk; further off is off track.",
    )
    headline = forms.BooleanField(required=False, help_text="Shown on the product's card on the dashboard.")
    launch_plan = PlanChoiceField(
        queryset=LaunchPlan.objects.none(),
        required=False,
        empty_label="None: a KPI of the whole product",
        help_text="A KPI of one launch (e.g. sign-ups from it); marketers write these and their values.",
    )
    campaign = CampaignChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="None",
        help_text="A campaign's KPI: a key ending in leads, revenue or conversion_rate (e.g. search_leads) gives "
        "its cost per lead, ROI or conversion on the launch's KPI page.",
    )

    def __init__(self, *args, product=None, narrowed_only: bool = False, **kwargs):
        """`product`: the plans and campaigns to choose from. `narrowed_only`: the writer (a marketer) may
        only write a launch plan's or a campaign's KPI, and does not pick the product's headline."""
        super().__init__(*args, **kwargs)
        self.narrowed_only = narrowed_only
        if product is not None:
            self.fields["launch_plan"].queryset = LaunchPlan.objects.filter(product=product).order_by(
                "-launch_date", "id"
            )
            self.fields["campaign"].queryset = (
                Campaign.objects.filter(product=product)
                .select_related("launch_plan")
                .order_by("launch_plan__launch_date", "start_date", "name", "id")
            )
        if narrowed_only:
            del self.fields["headline"]
            self.fields["launch_plan"].empty_label = "Pick a launch plan (or a campaign below)"

    def clean(self):
        cleaned = super().clean()
        unnarrowed = not cleaned.get("launch_plan") and not cleaned.get("campaign")
        if self.narrowed_only and unnarrowed and not {"launch_plan", "campaign"} & set(self.errors):
            self.add_error(
                "launch_plan",
                "Pick a launch plan or a campaign: a product's own KPIs are written by its product managers.",
            )
        return cleaned

    def clean_tolerance_pct(self):
        value = self.cleaned_data["tolerance_pct"]
        if value is None or value < 0:
            raise forms.ValidationError("A percentage of 0 or more.")
        return value

    def clean_target(self):
        value = self.cleaned_data["target"]
        if value is not None and value.as_tuple().exponent < -6:
            raise forms.ValidationError("At most 6 decimal places.")
        return value

    @staticmethod
    def initial_for(kpi: KPI) -> dict:
        """The KPI's values as a person would type them: 57500, not 57500.000000."""
        values = {name: getattr(kpi, name) for name in KPIForm.base_fields if name not in ("launch_plan", "campaign")}
        values.update(launch_plan=kpi.launch_plan_id, campaign=kpi.campaign_id)
        for name in ("target", "tolerance_pct"):
            if isinstance(values[name], Decimal):
                values[name] = format(values[name].normalize(), "f")
        return values


class MeasurementForm(forms.Form):
    observed_at = forms.CharField(
        max_length=40,
        label="Date",
        help_text="That day in the portfolio's time zone. (Pasted or uploaded rows may give a time with its offset.)",
        widget=forms.TextInput(attrs={"type": "date"}),
    )
    value = BoundedDecimalField()
    external_id = forms.CharField(
        max_length=200,
        required=False,
        label="External id",
        help_text="The id in the system it comes from; sending it again updates instead of adding.",
    )


class MeasurementCorrectForm(forms.Form):
    observed_at = forms.CharField(max_length=40, label="Date or time")
    value = BoundedDecimalField()


class PasteForm(forms.Form):
    rows = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "2026-03-01\t1520\n2026-03-02\t1575"}),
        max_length=2_000_000,
        label="Rows",
        help_text="One measurement a line: date, value and optionally an external id, separated by a tab "
        "(as copied from a spreadsheet), a semicolon or a comma.",
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns observed_at, value and optionally external_id (a header row is optional); at most "
        "100 MB. Nothing is written unless every row is valid; a large file is imported in the background.",
    )


class PortfolioImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row naming the columns product (its name or id), key, observed_at, value and "
        "optionally external_id. Comma, semicolon or tab between fields; UTF-8.",
    )
