"""Forms of the customer feedback pages. Field names are the API's; the rules (importance 1–5, a deal value
≥ 0 with cents at most, a day up to tomorrow, a segment and ideas of this portfolio) are
products.services.feedback's and come back as field errors through pmflow.forms.save_with."""

import datetime

from django import forms

from pmflow.forms import BoundedDecimalField
from products.models import Feedback, Idea, Portfolio, Product, Segment
from products.services import feedback as services

IMPORTANCE_CHOICES = [(n, f"{n} · {services.IMPORTANCE_WORDS[n]}") for n in range(1, 6)]


class IdeaChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.product.name} — {obj.title}"


class FeedbackForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), empty_label=None)
    text = forms.CharField(
        label="What they said",
        max_length=services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "In their words: “We export every report to Excel…”"}),
    )
    customer = forms.CharField(
        max_length=services.CUSTOMER_MAX,
        required=False,
        help_text="The account or person, e.g. “Tailspin Freight”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    source = forms.ChoiceField(choices=Feedback.Source.choices, initial=Feedback.Source.INTERVIEW)
    segment = forms.ModelChoiceField(queryset=Segment.objects.none(), required=False, empty_label="No segment")
    importance = forms.TypedChoiceField(
        choices=IMPORTANCE_CHOICES,
        coerce=int,
        initial=3,
        help_text="How much it matters to them; demand adds it up per idea and roadmap item.",
    )
    deal_value = BoundedDecimalField(
        max_digits=14,
        decimal_places=2,
        round_places=False,
        required=False,
        label="Deal value",
        help_text="What sales has riding on it, if anything (no currency sign).",
    )
    received_on = forms.DateField(
        label="Received on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    ideas = IdeaChoiceField(
        queryset=Idea.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="The ideas it supports (hold Ctrl or ⌘ to pick several).",
    )

    def __init__(self, *args, portfolio: Portfolio, row: Feedback | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        products = portfolio.products.filter(archived_at__isnull=True)
        if row is not None:  # an archived product the feedback is filed under stays a choice
            products = portfolio.products.filter(pk=row.product_id) | products
        self.fields["product"].queryset = products.distinct().order_by("name")
        self.fields["segment"].queryset = portfolio.segments.order_by("name")
        self.fields["ideas"].queryset = services.ideas_of(portfolio.id)
        latest = services.latest_day(portfolio)
        self.fields["received_on"].widget.attrs.update({"min": "1900-01-01", "max": latest.isoformat()})
        if not self.is_bound and row is None:
            self.initial.setdefault("received_on", latest - datetime.timedelta(days=1))

    @staticmethod
    def initial_for(row: Feedback) -> dict:
        return {
            "product": row.product_id,
            "text": row.text,
            "customer": row.customer,
            "source": row.source,
            "segment": row.segment_id,
            "importance": row.importance,
            "deal_value": format(row.deal_value.normalize(), "f") if row.deal_value is not None else None,
            "received_on": row.received_on,
            "ideas": [idea.pk for idea in row.ideas.all()],
        }

    @staticmethod
    def service_fields(data: dict) -> dict:
        fields = {name: data[name] for name in services.FEEDBACK_FIELDS if name in data}
        return fields | {"ideas": list(data.get("ideas") or [])}


class FeedbackFilter(forms.Form):
    """The list's filters (GET); a value that is not valid is ignored."""

    search = forms.CharField(max_length=200, required=False, label="Search")
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    source = forms.ChoiceField(choices=[("", "Any source"), *Feedback.Source.choices], required=False)
    segment = forms.ModelChoiceField(queryset=Segment.objects.none(), required=False, empty_label="Any segment")
    importance = forms.TypedChoiceField(
        choices=[("", "Any importance"), *IMPORTANCE_CHOICES], coerce=int, required=False, empty_value=None
    )
    idea = forms.ModelChoiceField(queryset=Idea.objects.none(), required=False, empty_label="Any idea")
    roadmap_item = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="Any roadmap item", label="Roadmap item"
    )
    received_from = forms.DateField(
        required=False, label="Received from", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    received_to = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, portfolio: Portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")
        self.fields["segment"].queryset = portfolio.segments.order_by("name")
        ideas = self.fields["idea"]
        ideas.queryset = services.ideas_of(portfolio.id)
        ideas.label_from_instance = lambda idea: f"{idea.product.name} — {idea.title}"
        items = self.fields["roadmap_item"]
        items.queryset = services.roadmap_items_of(portfolio.id)
        items.label_from_instance = lambda item: f"{item.product.name} — {item.title}"
        self.fields["search"].widget.attrs.update({"type": "search", "placeholder": "Text or customer"})

    def wanted(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,
        max_length=None,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
