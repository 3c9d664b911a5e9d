"""Forms of the idea pages. Field names are the API's; the rules (a title, insights and feedback of this
portfolio, a reason to reject) are products.services.ideas' and come back as field errors through
pmflow.forms.save_with."""

from django import forms

from products.models import Feedback, Idea, MarketInsight, Product
from products.services import ideas as services
from roadmap.models import RoadmapItem


class InsightChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.get_kind_display().lower()}, {obj.observed_on:%Y-%m-%d})"


class FeedbackChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        who = obj.customer or obj.get_source_display()
        text = obj.text if len(obj.text) <= 90 else obj.text[:89] + "…"
        return f"{who}: “{text}” (importance {obj.importance}, {obj.product.name})"


class IdeaForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), empty_label=None)
    title = forms.CharField(
        max_length=services.TITLE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Offline mode for drivers"}),
    )
    description = forms.CharField(
        max_length=services.TEXT_MAX,
        required=False,
        help_text="The problem it solves, for whom, and what you know so far.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    insights = InsightChoiceField(
        queryset=MarketInsight.objects.none(),
        required=False,
        label="Market insights behind it",
        widget=forms.CheckboxSelectMultiple,
    )
    feedback = FeedbackChoiceField(
        queryset=Feedback.objects.none(),
        required=False,
        label="Feedback behind it",
        help_text="Customers who asked for it: their importance and deal values add up to its demand.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, portfolio, idea: Idea | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if idea is None:
            self.fields["product"].queryset = portfolio.products.filter(archived_at__isnull=True).order_by("name")
        else:
            del self.fields["product"]  # an idea stays with its product
        self.fields["insights"].queryset = MarketInsight.objects.filter(portfolio=portfolio).order_by(
            "-observed_on", "title", "id"
        )
        self.fields["feedback"].queryset = (
            Feedback.objects.filter(product__portfolio=portfolio)
            .select_related("product")
            .order_by("product__name", "-importance", "-received_on", "-id")
        )

    @staticmethod
    def initial_for(idea: Idea) -> dict:
        return {
            "title": idea.title,
            "description": idea.description,
            "insights": list(idea.insights.all()),
            "feedback": list(idea.feedback.all()),
        }

    @staticmethod
    def service_fields(data: dict) -> dict:
        fields = {name: data[name] for name in services.IDEA_FIELDS if name in data}
        return fields | {name: list(data.get(name) or []) for name in services.LINK_FIELDS}


class IdeaFilter(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    status = forms.ChoiceField(choices=[("", "Any status"), *Idea.Status.choices], required=False)
    sort = forms.ChoiceField(
        choices=[("demand", "Most demand first"), ("newest", "Newest first")], required=False, label="Sort by"
    )

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")


class AcceptForm(forms.Form):
    """Kind and horizon of the roadmap item an accepted idea becomes (ids of their own: the idea's page
    holds this form and the reject form)."""

    kind = forms.ChoiceField(
        choices=RoadmapItem.Kind.choices,
        initial=RoadmapItem.Kind.FEATURE,
        label="Item kind",
        help_text="An initiative for a big bet, a feature for most, a requirement for a detail.",
    )
    horizon = forms.ChoiceField(choices=RoadmapItem.Horizon.choices, initial=RoadmapItem.Horizon.LATER)
    reason = forms.CharField(
        max_length=services.REASON_MAX,
        required=False,
        label="Why",
        help_text="Kept with the decision.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "accept_%s")
        super().__init__(*args, **kwargs)


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=services.REASON_MAX,
        label="Why is it rejected?",
        help_text="Kept with the idea, so whoever asks later sees why.",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. Too few customers asked; revisit next year."}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reject_%s")
        super().__init__(*args, **kwargs)
