"""Forms of the market pages: insights, competitor profiles and their moves, and the lists' filters. Field
names are the API's; the rules (references of this portfolio, a unique competitor name, http(s) websites,
a planned or done response that says what it is) are products.services.market's and come back as field
errors through pmflow.forms.save_with."""

from django import forms

from products.models import Competitor, CompetitorMove, Impact, MarketInsight, Product, Segment
from products.services import market as services

DATE_ATTRS = {"type": "date", "min": f"{services.DATE_YEARS[0]}-01-01", "max": f"{services.DATE_YEARS[1]}-12-31"}


class DayField(forms.DateField):
    """A day typed in a date box (YYYY-MM-DD); the box hints the years the services accept."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs=dict(DATE_ATTRS), format="%Y-%m-%d"))
        super().__init__(**kwargs)


def _text(placeholder: str, *, rows: int = 3, help_text: str = "", label: str | None = None) -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": rows, "placeholder": placeholder}),
        max_length=services.TEXT_MAX,
        required=False,
        help_text=help_text,
        label=label,
    )


def _products(portfolio, linked=None):
    """The portfolio's active products, and archived ones an object already names (they stay ticked)."""
    choices = portfolio.products.filter(archived_at__isnull=True)
    if linked is not None:
        choices = portfolio.products.filter(pk__in=linked.values("pk")) | choices
    return choices.distinct().order_by("name")


def _product_checks(help_text: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


# --- market insights ----------------------------------------------------------------------------------


class InsightForm(forms.Form):
    title = forms.CharField(
        max_length=services.TITLE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "Buyers expect SSO in every plan"}),
    )
    kind = forms.ChoiceField(choices=MarketInsight.Kind.choices, initial=MarketInsight.Kind.TREND)
    impact = forms.ChoiceField(
        choices=Impact.choices, initial=Impact.MEDIUM, help_text="How much it may change our products' plans."
    )
    observed_on = DayField(label="Observed on")
    source = forms.CharField(
        max_length=services.SOURCE_MAX,
        required=False,
        help_text="Where it comes from: a report, a link, a customer call, a trade show.",
        widget=forms.TextInput(attrs={"placeholder": "Gartner Market Guide 2026, p. 14"}),
    )
    products = _product_checks("The products it concerns.")
    summary = _text("What was seen, and what it means for us.", rows=5)

    def __init__(self, *args, portfolio, insight: MarketInsight | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = _products(portfolio, insight.products.all() if insight else None)

    @staticmethod
    def initial_for(insight: MarketInsight) -> dict:
        return {name: getattr(insight, name) for name in services.INSIGHT_FIELDS} | {
            "products": list(insight.products.all())
        }

    @staticmethod
    def service_fields(data: dict) -> dict:
        fields = {name: data[name] for name in services.INSIGHT_FIELDS if name in data}
        return fields | {"products": list(data.get("products") or [])}


class InsightFilter(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title, summary, source"}),
    )
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    kind = forms.ChoiceField(choices=[("", "Any kind"), *MarketInsight.Kind.choices], required=False)
    impact = forms.ChoiceField(choices=[("", "Any impact"), *Impact.choices], required=False)
    since = DayField(label="Observed from", required=False)
    until = DayField(label="to", required=False)

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")


# --- competitors --------------------------------------------------------------------------------------


class CompetitorForm(forms.Form):
    name = forms.CharField(max_length=services.TITLE_MAX, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    website = forms.CharField(
        max_length=services.WEBSITE_MAX,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    threat = forms.ChoiceField(
        choices=Impact.choices, initial=Impact.MEDIUM, help_text="How much they endanger our plans and deals."
    )
    segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The market segments where you meet them.",
    )
    strengths = _text("Why customers choose them.")
    weaknesses = _text("Where they lose deals to us.")
    pricing = _text("Plans, list prices, discounts.", rows=2)

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segments"].queryset = Segment.objects.filter(portfolio=portfolio).order_by("name")

    @staticmethod
    def initial_for(competitor: Competitor) -> dict:
        return {name: getattr(competitor, name) for name in services.COMPETITOR_FIELDS} | {
            "segments": list(competitor.segments.all())
        }

    @staticmethod
    def service_fields(data: dict) -> dict:
        fields = {name: data[name] for name in services.COMPETITOR_FIELDS if name in data}
        return fields | {"segments": list(data.get("segments") or [])}


class CompetitorFilter(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="All products", label="Moves on"
    )
    threat = forms.ChoiceField(choices=[("", "Any threat"), *Impact.choices], required=False)
    segment = forms.ModelChoiceField(queryset=Segment.objects.none(), required=False, empty_label="Any segment")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")
        self.fields["segment"].queryset = Segment.objects.filter(portfolio=portfolio).order_by("name")


# --- competitor moves ---------------------------------------------------------------------------------


class MoveForm(forms.Form):
    competitor = forms.ModelChoiceField(queryset=Competitor.objects.none(), empty_label=None)
    kind = forms.ChoiceField(choices=CompetitorMove.Kind.choices, initial=CompetitorMove.Kind.LAUNCH)
    happened_on = DayField(label="Happened on", help_text="The day it happened or was announced.")
    description = forms.CharField(
        max_length=services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Cut the Pro plan by 20 % for new customers"}),
        label="What they did",
    )
    products = _product_checks("Our products it concerns.")
    response_status = forms.ChoiceField(
        choices=CompetitorMove.ResponseStatus.choices,
        initial=CompetitorMove.ResponseStatus.NONE,
        label="Status",
    )
    response = _text(
        "Match the price for deals over 50 seats; update the battle card.",
        help_text="Needed once the response is planned or done.",
        label="What we do about it",
    )

    def __init__(self, *args, competitor: Competitor, move: CompetitorMove | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        portfolio = competitor.portfolio
        self.fields["competitor"].queryset = services.competitors_of(portfolio.id)
        self.fields["products"].queryset = _products(portfolio, move.products.all() if move else None)
        if move is None:
            del self.fields["competitor"]  # a new move is the page's competitor's

    @staticmethod
    def initial_for(move: CompetitorMove) -> dict:
        return {name: getattr(move, name) for name in services.MOVE_FIELDS} | {"products": list(move.products.all())}

    @staticmethod
    def service_fields(data: dict) -> dict:
        fields = {name: data[name] for name in services.MOVE_FIELDS if name in data}
        return fields | {"products": list(data.get("products") or [])}
