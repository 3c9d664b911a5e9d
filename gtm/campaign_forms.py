"""Forms of the campaign pages: the campaign (create and edit), the weekly "record spend" form, the list's
filters. Field names are the API's; the rules (end on or after start, money, links within the product and
portfolio) are the service's (gtm.services.campaigns) and come back as field errors through save_with."""

from django import forms
from django.contrib.auth import get_user_model

from gtm.models import Campaign, LaunchPlan
from gtm.services import rules
from gtm.services.campaigns import END_MESSAGE
from pmflow.forms import BoundedDecimalField
from products.models import Product, Segment
from roadmap.page_tools import PlanDateField, row_id


def money_field(label: str, help_text: str, *, required: bool = False) -> BoundedDecimalField:
    # A third decimal place is refused, not rounded: it is money someone typed.
    return BoundedDecimalField(
        max_digits=14,
        decimal_places=2,
        round_places=False,
        required=required,
        label=label,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "money-input"}),
    )


def _plan_label(plan: LaunchPlan) -> str:
    return f"{plan.name} ({plan.launch_date:%Y-%m-%d})"


def _person(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="e.g. “Spring webinar series” or “Launch paid search”.")
    launch_plan = forms.ModelChoiceField(
        queryset=LaunchPlan.objects.none(),
        required=False,
        empty_label="— not part of a launch —",
        label="Launch plan",
        help_text="The launch it supports (one of this product's).",
    )
    channel = forms.ChoiceField(choices=Campaign.Channel.choices, initial=Campaign.Channel.EMAIL)
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.none(), required=False, empty_label="— everyone —", help_text="Who it targets."
    )
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="— nobody yet —"
    )
    status = forms.ChoiceField(choices=Campaign.Status.choices, initial=Campaign.Status.PLANNED)
    start_date = PlanDateField(
        label="Start",
        required=True,
        error_messages={"required": "Give the campaign a start date."},
        help_text="Its budget and spend count in this date's quarter.",
    )
    end_date = PlanDateField(
        label="End",
        required=True,
        error_messages={"required": "Give it an end date."},
        help_text="On or after the start.",
    )
    budget = money_field("Budget", "What you plan to spend, e.g. 12000 or 12,000.50.")
    spend = money_field("Spend so far", "What it has cost up to now. Above budget is allowed and flagged.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Goal, message, offer, where it runs."}),
        max_length=20_000,
        required=False,
    )

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        self.fields["launch_plan"].queryset = LaunchPlan.objects.filter(product=product).order_by(
            "-launch_date", "name", "id"
        )
        self.fields["launch_plan"].label_from_instance = _plan_label
        self.fields["segment"].queryset = Segment.objects.filter(portfolio_id=product.portfolio_id).order_by("name")
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__portfolio_id=product.portfolio_id).order_by("username")
        )
        self.fields["owner"].label_from_instance = _person
        self.fields["name"].widget.attrs.update({"autocomplete": "off", "maxlength": "200"})

    def clean(self):
        data = super().clean()
        # Blank money is zero (the columns' default), as the API's omitted budget.
        for name in ("budget", "spend"):
            if name in data and data[name] is None:
                data.pop(name)
        # The dates' order is the service's rule; asked here too so it shows with the other fields' errors
        # (the service runs only once every field reads).
        errors: dict = {}
        rules.ordered(data.get("start_date"), data.get("end_date"), errors, message=END_MESSAGE)
        for name, message in errors.items():
            self.add_error(name, message)
        return data

    @staticmethod
    def initial_for(campaign: Campaign) -> dict:
        initial = {
            name: getattr(campaign, name)
            for name in ("name", "description", "channel", "status", "start_date", "end_date")
        }
        initial.update(
            launch_plan=campaign.launch_plan_id,
            segment=campaign.segment_id,
            owner=campaign.owner_id,
            budget=_amount(campaign.budget),
            spend=_amount(campaign.spend),
        )
        return initial


def _amount(value) -> str:
    """1200.00 → "1200", 1200.50 → "1200.50": as people type it."""
    return f"{value:f}".removesuffix(".00")


class SpendForm(forms.Form):
    """Record spend: what a marketer updates weekly, the total so far (not this week's amount)."""

    spend = money_field("Spend so far", "The campaign's total cost up to today, e.g. 4,250.", required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spend"].error_messages["required"] = "Type the total spend so far, e.g. 4250."


YEAR_ALL = "all"


class CampaignFilter(forms.Form):
    """The list's filters (GET); every field optional, an invalid value dropped (and shown on the form)."""

    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    launch_plan = forms.ModelChoiceField(
        queryset=LaunchPlan.objects.none(), required=False, empty_label="All launch plans", label="Launch plan"
    )
    channel = forms.ChoiceField(choices=[("", "All channels"), *Campaign.Channel.choices], required=False)
    status = forms.ChoiceField(choices=[("", "All statuses"), *Campaign.Status.choices], required=False)
    year = forms.ChoiceField(choices=(), required=False, help_text="Of the start date.")

    def __init__(self, *args, portfolio, years: list[int], this_year: int, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = Product.objects.filter(portfolio=portfolio).order_by("name", "id")
        plans = LaunchPlan.objects.filter(product__portfolio=portfolio).select_related("product")
        chosen_product = row_id(self.data.get("product")) if self.is_bound else None
        if chosen_product is not None:
            plans = plans.filter(product_id=chosen_product)
        self.fields["launch_plan"].queryset = plans.order_by("-launch_date", "name", "id")
        self.fields["launch_plan"].label_from_instance = lambda p: f"{p.product.name}: {p.name}"
        shown = sorted({*years, this_year}, reverse=True)
        self.fields["year"].choices = [(str(y), str(y)) for y in shown] + [(YEAR_ALL, "All years")]
        self.this_year = this_year

    def wanted(self) -> dict:
        """The valid filters given; the year defaults to this year ("all": every year)."""
        self.is_valid()
        wanted = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        year = wanted.pop("year", None) or self.this_year
        wanted["year"] = None if year == YEAR_ALL else int(year)
        return wanted
