"""Forms of the segment and persona pages. Field names are the API's; the rules (a name unique in the
portfolio, products and segments of this portfolio, the journey's shape) are
products.services.audience's and come back as field errors through pmflow.forms.save_with.

The journey is edited as a table, one row per stage (a formset): a blank row is left out, "Remove"
takes a row out, "Add a stage" and the ↑/↓ buttons post the form back with the rows changed (nothing is
saved until "Save journey"), so it works without JavaScript; static/js/audience.js does the same in
place."""

from django import forms

from pmflow.forms import BoundedDecimalField
from products.models import Persona, Product, Segment
from products.services import audience as services

PRIORITY_CHOICES = [(value, label) for value, label in services.PRIORITY_LABELS.items()]


def _text(placeholder: str, *, rows: int = 3, limit: int = services.TEXT_MAX) -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": rows, "placeholder": placeholder}), max_length=limit, required=False
    )


# --- segments -------------------------------------------------------------------------------------------


class CountField(forms.IntegerField):
    """A whole number as people type it: "6,800", "6 800" and "6800" are the same."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
            if len(value) > 25:  # no column holds it; never a huge int parsed
                raise forms.ValidationError(f"At most {services.SIZE_MAX:,}.", code="max_value")
        return super().to_python(value)


class SegmentForm(forms.Form):
    name = forms.CharField(
        max_length=services.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Mid-market retailers"}),
    )
    priority = forms.TypedChoiceField(
        choices=PRIORITY_CHOICES, coerce=int, initial=3, help_text="How much this segment matters to the portfolio."
    )
    size = CountField(
        min_value=0,
        max_value=services.SIZE_MAX,
        required=False,
        label="Size",
        help_text="Potential customers or accounts. Leave empty when unknown.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    growth_pct = BoundedDecimalField(
        max_digits=6,
        decimal_places=2,
        required=False,
        label="Growth (% a year)",
        help_text="e.g. 6.5, or -2 for a shrinking segment. Leave empty when unknown.",
    )
    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Served by",
        help_text="The products that serve this segment today. None: a growth opportunity.",
    )
    description = _text("Who they are, where, how they buy.")

    def __init__(self, *args, portfolio, segment: Segment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = portfolio.products.filter(archived_at__isnull=True)
        if segment is not None:  # an archived product that serves it stays ticked
            choices = portfolio.products.filter(pk__in=segment.products.values("pk")) | choices
        self.fields["products"].queryset = choices.distinct().order_by("name")

    @staticmethod
    def initial_for(segment: Segment) -> dict:
        growth = segment.growth_pct
        return {
            "name": segment.name,
            "priority": segment.priority,
            "size": segment.size,
            "growth_pct": format(growth.normalize(), "f") if growth is not None else None,
            "products": list(segment.products.all()),
            "description": segment.description,
        }

    @staticmethod
    def service_fields(data: dict) -> dict:
        fields = {name: data[name] for name in services.SEGMENT_FIELDS if name in data}
        return fields | {"products": list(data.get("products") or [])}


SORTS = {
    "priority": "Priority",
    "name": "Segment",
    "size": "Size",
    "growth_pct": "Growth",
}


SORT_CHOICES = [
    ("-priority", "Priority, highest first"),
    ("priority", "Priority, lowest first"),
    ("name", "Name, A to Z"),
    ("-name", "Name, Z to A"),
    ("-size", "Size, largest first"),
    ("size", "Size, smallest first"),
    ("-growth_pct", "Growth, fastest first"),
    ("growth_pct", "Growth, slowest first"),
]


class SegmentFilter(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="Any product", label="Served by"
    )
    priority = forms.TypedChoiceField(
        choices=[("", "Any priority"), *PRIORITY_CHOICES], coerce=int, empty_value=None, required=False
    )
    served = forms.ChoiceField(
        choices=[("", "All segments"), ("yes", "Served by a product"), ("no", "Not served yet")],
        required=False,
        label="Coverage",
    )
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, label="Sort by")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")


# --- personas -------------------------------------------------------------------------------------------


class SegmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PersonaForm(forms.Form):
    name = forms.CharField(
        max_length=services.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Olivia, operations manager"}),
        help_text="A first name and a role make a persona easy to talk about.",
    )
    segment = SegmentChoiceField(queryset=Segment.objects.none(), required=False, empty_label="No segment")
    goals = _text("What they want to achieve, in their words.", rows=4)
    pains = _text("What gets in their way today.", rows=4)

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.filter(portfolio=portfolio).order_by("name", "id")

    @staticmethod
    def initial_for(persona: Persona) -> dict:
        return {"name": persona.name, "segment": persona.segment_id, "goals": persona.goals, "pains": persona.pains}

    @staticmethod
    def service_fields(data: dict) -> dict:
        return {name: data[name] for name in ("name", "segment", "goals", "pains") if name in data}


class PersonaFilter(forms.Form):
    segment = SegmentChoiceField(queryset=Segment.objects.none(), required=False, empty_label="Any segment")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["segment"].queryset = Segment.objects.filter(portfolio=portfolio).order_by("name", "id")


# --- the journey ----------------------------------------------------------------------------------------


class JourneyStageForm(forms.Form):
    """One stage; a row with no text at all is blank and left out."""

    stage = forms.CharField(
        max_length=services.STAGE_NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    touchpoints = _text("Where they meet us: ads, pages, people, events.", rows=3, limit=services.STAGE_TEXT_MAX)
    pains = _text("What goes wrong for them here.", rows=3, limit=services.STAGE_TEXT_MAX)
    opportunities = _text("What we could do better here.", rows=3, limit=services.STAGE_TEXT_MAX)

    def clean(self):
        cleaned = super().clean()
        texts = [cleaned.get(name) for name in ("touchpoints", "pains", "opportunities")]
        if any(texts) and not (cleaned.get("stage") or "").strip() and "stage" not in self.errors:
            self.add_error("stage", "Name this stage, or remove the row.")
        return cleaned

    def row(self) -> dict | None:
        """The stage as the service takes it; None for a blank row or one marked for removal."""
        data = self.cleaned_data
        if data.get("DELETE") or not (data.get("stage") or "").strip():
            return None
        return {key: data.get(key) or "" for key in services.JOURNEY_KEYS}


class JourneyFormSet(forms.BaseFormSet):
    """The stages; the count is bounded (a forged TOTAL_FORMS of a million builds none)."""

    def rows(self) -> list[dict]:
        return [row for form in self.forms if (row := form.row()) is not None]


JOURNEY_PREFIX = "stages"
JOURNEY_ABSOLUTE_MAX = services.JOURNEY_STAGES_MAX + 8  # room for blank and removed rows


def journey_formset(data, *, journey: list[dict]):
    """The journey's rows (plus one blank row to fill in; five named placeholders for a new journey)."""
    extra = len(services.USUAL_STAGES) if not journey else (1 if len(journey) < services.JOURNEY_STAGES_MAX else 0)
    formset_class = forms.formset_factory(
        JourneyStageForm,
        formset=JourneyFormSet,
        extra=extra,
        can_delete=True,
        max_num=services.JOURNEY_STAGES_MAX,
        absolute_max=JOURNEY_ABSOLUTE_MAX,
    )
    initial = [{key: str(row.get(key) or "") for key in services.JOURNEY_KEYS} for row in journey]
    formset = formset_class(data, prefix=JOURNEY_PREFIX, initial=initial)
    usual = services.USUAL_STAGES
    for index, row in enumerate(formset.forms):
        example = usual[index] if not initial and index < len(usual) else "Awareness"
        row.fields["stage"].widget.attrs["placeholder"] = f"e.g. {example}"
    return formset
