"""Forms of the sales enablement library, the events list and the press plan. Field names are the API's;
the rules (a link or a file, http(s) links, the size limit, an end on or after the start, products and
owners of this portfolio) are gtm.services.enablement's and come back as field errors through
pmflow.forms.save_with."""

import datetime

from django import forms
from django.contrib.auth import get_user_model

from gtm.models import Asset, LaunchPlan, MarketingEvent, PressItem
from gtm.services import enablement as services
from gtm.services.rules import TEXT_MAX, TITLE_MAX
from pmflow.forms import BoundedDecimalField
from products.models import Product
from roadmap.page_tools import PlanDateField


def _plan_label(plan: LaunchPlan) -> str:
    return f"{plan.name} ({plan.launch_date:%Y-%m-%d})"


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _plan_label(obj)


class ProductPlanChoiceField(forms.ModelChoiceField):
    """A launch plan of any product of the portfolio, named with its product (the lists' filters)."""

    def label_from_instance(self, obj):
        return f"{obj.product.name} — {obj.name}"


def _description(placeholder: str) -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": placeholder}), max_length=TEXT_MAX, required=False
    )


# --- assets -------------------------------------------------------------------------------------------


class AssetForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(choices=Asset.Kind.choices, initial=Asset.Kind.BATTLE_CARD)
    audience = forms.ChoiceField(choices=Asset.Audience.choices, initial=Asset.Audience.SALES, help_text="Who uses it.")
    version = forms.CharField(
        max_length=services.VERSION_MAX,
        initial="1",
        help_text="Yours to set: uploading a new file does not change it.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    launch_plan = PlanChoiceField(
        queryset=LaunchPlan.objects.none(), required=False, empty_label="No launch (an evergreen asset)"
    )
    url = forms.CharField(
        label="Link",
        max_length=services.URL_MAX,
        required=False,
        help_text="Where it lives, if not uploaded here: an http:// or https:// address.",
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    file = forms.FileField(label="File", required=False, allow_empty_file=False, max_length=None)
    remove_file = forms.BooleanField(label="Remove the stored file", required=False)
    description = _description("What it is for, when to use it.")

    def __init__(self, *args, product: Product, asset: Asset | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.asset = asset
        self.fields["launch_plan"].queryset = services.launch_plans_of(product.id)
        limit = services.size_limit_text()
        self.size_limit = limit
        if asset is not None and asset.file:
            self.fields["file"].label = "Replace the file"
            self.fields["file"].help_text = f"Up to {limit}; the stored file is removed once the new one is saved."
        else:
            self.fields["file"].help_text = f"Up to {limit}. A link, a file or both."
            del self.fields["remove_file"]

    @staticmethod
    def initial_for(asset: Asset) -> dict:
        return {
            name: getattr(asset, name) for name in ("title", "kind", "audience", "version", "launch_plan", "url")
        } | {"description": asset.description}

    def service_fields(self, data: dict) -> dict:
        """The cleaned data as the service takes it: `file` an upload, None (remove) or UNCHANGED."""
        fields = {name: data[name] for name in services.ASSET_FIELDS if name in data}
        upload = data.get("file")
        if upload:
            fields["file"] = upload
        elif data.get("remove_file"):
            fields["file"] = None
        elif self.asset is not None:
            fields["file"] = services.UNCHANGED
        return fields


class AssetFilter(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    launch_plan = ProductPlanChoiceField(
        queryset=LaunchPlan.objects.none(), required=False, empty_label="Any launch", label="Launch plan"
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Asset.Kind.choices], required=False)
    audience = forms.ChoiceField(choices=[("", "Anyone"), *Asset.Audience.choices], required=False)

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")
        self.fields["launch_plan"].queryset = (
            LaunchPlan.objects.filter(product__portfolio=portfolio)
            .select_related("product")
            .order_by("product__name", "-launch_date", "id")
        )


class ProductPick(forms.Form):
    """ "New …" on a list that shows every product: which product it is for."""

    product = forms.ModelChoiceField(queryset=Product.objects.none(), empty_label=None, label="Product")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.filter(archived_at__isnull=True).order_by("name")


# --- events -------------------------------------------------------------------------------------------


class EventForm(forms.Form):
    name = forms.CharField(max_length=TITLE_MAX, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(choices=MarketingEvent.Kind.choices, initial=MarketingEvent.Kind.TRADE_SHOW)
    start_date = PlanDateField(required=True, label="First day")
    end_date = PlanDateField(label="Last day", help_text="Leave empty for a one-day event.")
    location = forms.CharField(
        max_length=TITLE_MAX, required=False, help_text="A city and venue, or “Online”.", widget=forms.TextInput()
    )
    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The products you show or talk about there.",
    )
    cost = BoundedDecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="Booth, travel, fees: all in."
    )
    leads = forms.IntegerField(
        min_value=0,
        max_value=services.LEADS_MAX,
        required=False,
        help_text="Leads it brought; fill in after the event.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    description = _description("Goals, booth, speakers.")

    def __init__(self, *args, portfolio, event: MarketingEvent | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = portfolio.products.filter(archived_at__isnull=True)
        if event is not None:  # an archived product the event already names stays ticked
            choices = portfolio.products.filter(pk__in=event.products.values("pk")) | choices
        self.fields["products"].queryset = choices.distinct().order_by("name")

    @staticmethod
    def initial_for(event: MarketingEvent) -> dict:
        return {
            name: getattr(event, name)
            for name in ("name", "kind", "start_date", "end_date", "location", "leads", "description")
        } | {"cost": format(event.cost.normalize(), "f"), "products": list(event.products.all())}

    @staticmethod
    def service_fields(data: dict) -> dict:
        fields = {name: data[name] for name in services.EVENT_FIELDS if name in data}
        if fields.get("cost") is None:
            fields["cost"] = 0
        return fields | {"products": list(data.get("products") or [])}


class EventFilter(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    kind = forms.ChoiceField(choices=[("", "Any kind"), *MarketingEvent.Kind.choices], required=False)
    year = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, portfolio, years: list[int], **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")
        self.fields["year"].choices = [("", "Every year"), *((year, str(year)) for year in years)]


# --- press --------------------------------------------------------------------------------------------


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class PressForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(choices=PressItem.Kind.choices, initial=PressItem.Kind.PRESS_RELEASE)
    status = forms.ChoiceField(
        choices=PressItem.Status.choices,
        initial=PressItem.Status.DRAFT,
        help_text="A scheduled or published item has a publish date.",
    )
    publish_date = PlanDateField(label="Publish date")
    channel = forms.CharField(
        max_length=TITLE_MAX,
        required=False,
        help_text="Where it appears: a wire, the blog, a journal, LinkedIn.",
        widget=forms.TextInput(),
    )
    owner = MemberChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Nobody yet")
    launch_plan = PlanChoiceField(queryset=LaunchPlan.objects.none(), required=False, empty_label="No launch")
    description = _description("Angle, quotes, embargo, who to brief.")

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["launch_plan"].queryset = services.launch_plans_of(product.id)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__portfolio_id=product.portfolio_id).order_by("username")
        )

    @staticmethod
    def initial_for(item: PressItem) -> dict:
        return {name: getattr(item, name) for name in services.PRESS_FIELDS}

    @staticmethod
    def service_fields(data: dict) -> dict:
        return {name: data[name] for name in services.PRESS_FIELDS if name in data}


class PressFilter(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    launch_plan = ProductPlanChoiceField(
        queryset=LaunchPlan.objects.none(), required=False, empty_label="Any launch", label="Launch plan"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *PressItem.Status.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *PressItem.Kind.choices], required=False)

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")
        self.fields["launch_plan"].queryset = (
            LaunchPlan.objects.filter(product__portfolio=portfolio)
            .select_related("product")
            .order_by("product__name", "-launch_date", "id")
        )


def year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
