"""Forms of the document pages. Field names are the API's; the rules (a title, a body of at most 200,000
characters, links of this portfolio, the archived rule) are products.services.documents' and
roadmap.services.documents', and come back as field errors through pmflow.forms.save_with."""

from django import forms

from products.models import Document, Feedback, Idea, Product
from products.services import documents as services
from roadmap.models import RoadmapItem
from roadmap.services.documents import roadmap_items_of


class IdeaChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.get_status_display().lower()}, {obj.product.name})"


class FeedbackChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        who = obj.customer or obj.get_source_display()
        text = obj.text if len(obj.text) <= 90 else obj.text[:89] + "…"
        return f"{who}: “{text}” ({obj.received_on:%Y-%m-%d}, {obj.product.name})"


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.get_kind_display().lower()}, {obj.product.name})"


class DocumentForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), empty_label=None)
    kind = forms.ChoiceField(choices=Document.Kind.choices)
    title = forms.CharField(
        max_length=services.TITLE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Offline mode PRD"}),
    )
    body = forms.CharField(
        max_length=services.BODY_MAX,
        required=False,
        strip=False,
        label="Text (Markdown)",
        help_text="Markdown: the cheat-sheet beside the form shows how. Each saved change of title or text is "
        "a new version; older versions stay readable and comparable.",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true", "class": "markdown-input"}),
    )
    status = forms.ChoiceField(
        choices=Document.Status.choices,
        initial=Document.Status.DRAFT,
        help_text="Draft while you write, in review while others comment, approved once agreed, archived when "
        "it no longer applies (an archived document is read-only until set back to draft).",
    )
    ideas = IdeaChoiceField(
        queryset=Idea.objects.none(), required=False, label="Ideas", widget=forms.CheckboxSelectMultiple
    )
    feedback = FeedbackChoiceField(
        queryset=Feedback.objects.none(),
        required=False,
        label="Customer feedback",
        help_text="E.g. what an interview or a beta test turned up.",
        widget=forms.CheckboxSelectMultiple,
    )
    roadmap_items = ItemChoiceField(
        queryset=RoadmapItem.objects.none(),
        required=False,
        label="Roadmap items",
        help_text="What the document specifies or reports on.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, portfolio, document: Document | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if document is None:
            self.fields["product"].queryset = portfolio.products.filter(archived_at__isnull=True).order_by("name")
        else:
            del self.fields["product"]  # a document stays with its product
        self.fields["ideas"].queryset = (
            Idea.objects.filter(product__portfolio=portfolio).select_related("product").order_by("-created_at", "-id")
        )
        self.fields["feedback"].queryset = (
            Feedback.objects.filter(product__portfolio=portfolio)
            .select_related("product")
            .order_by("-received_on", "-id")
        )
        self.fields["roadmap_items"].queryset = roadmap_items_of(portfolio.id)

    @staticmethod
    def initial_for(document: Document) -> dict:
        return {
            "kind": document.kind,
            "title": document.title,
            "body": document.body,
            "status": document.status,
            "ideas": list(document.ideas.all()),
            "feedback": list(document.feedback.all()),
            "roadmap_items": list(document.roadmap_items.all()),
        }

    @staticmethod
    def service_fields(data: dict) -> dict:
        fields = {name: data[name] for name in services.DOCUMENT_FIELDS if name in data}
        return fields | {name: list(data.get(name) or []) for name in (*services.LINK_FIELDS, "roadmap_items")}


class DocumentFilter(forms.Form):
    search = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words in title or text"}),
    )
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Document.Kind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *Document.Status.choices], required=False)
    idea = forms.ModelChoiceField(queryset=Idea.objects.none(), required=False, widget=forms.HiddenInput)
    feedback = forms.ModelChoiceField(queryset=Feedback.objects.none(), required=False, widget=forms.HiddenInput)
    roadmap_item = forms.ModelChoiceField(queryset=RoadmapItem.objects.none(), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")
        self.fields["idea"].queryset = Idea.objects.filter(product__portfolio=portfolio)
        self.fields["feedback"].queryset = Feedback.objects.filter(product__portfolio=portfolio)
        self.fields["roadmap_item"].queryset = RoadmapItem.objects.filter(product__portfolio=portfolio)

    def clean_search(self):
        value = self.cleaned_data.get("search") or ""
        if "\x00" in value:
            raise forms.ValidationError("Text without NUL characters.")
        return value.strip()


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Document.Status.choices)


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=services.COMMENT_MAX,
        label="Add a review comment",
        help_text="Written against the current version; resolve it once it is handled.",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. Name the KPI behind goal 2."}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "comment_%s")
        super().__init__(*args, **kwargs)


class DiffPick(forms.Form):
    """The two versions the diff page compares (`?from=&to=`)."""

    def __init__(self, *args, latest: int, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        choices = [(n, f"v{n}") for n in range(latest, 0, -1)]
        self.fields["from"] = forms.TypedChoiceField(choices=choices, coerce=int, label="From")
        self.fields["to"] = forms.TypedChoiceField(choices=choices, coerce=int, label="To")
