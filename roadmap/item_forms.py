"""Forms of the roadmap item pages: the item (create and edit), a dependency, the items table's filters.

Fields are named like the API's, and the rules (parent of a higher kind, end after start, regulatory
requirements, ranges) stay in `roadmap.services.item_clean`: the forms only read what people type.
"""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model

from pmflow.forms import BoundedDecimalField
from products.models import Feedback, Idea, KeyResult, MarketInsight, Product
from roadmap.models import Release, RoadmapDependency, RoadmapItem
from roadmap.page_tools import PlanDateField, row_id
from roadmap.services.items import kpi_keys_of

KIND_ORDER = RoadmapItem.KIND_ORDER
IMPACT_WORDS = {
    "0.25": "0.25 — minimal impact",
    "0.5": "0.5 — low impact",
    "1": "1 — medium impact",
    "2": "2 — high impact",
    "3": "3 — massive impact",
}
SCORE_FIELDS = {
    "RICE": ("reach", "impact", "confidence", "effort"),
    "WSJF": ("business_value", "time_criticality", "risk_reduction", "job_size"),
    "Value ÷ effort": ("value",),
}


class WholeNumberField(forms.IntegerField):
    """A whole number as people type it ("1,000", "1 000"); the service checks its range."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", "").replace(" ", "").replace("\u202f", "")
            if len(value) > 20:
                raise forms.ValidationError("A whole number of at most 20 digits.", code="invalid")
        return super().to_python(value)


def _date_field(label: str, help_text: str = "") -> forms.DateField:
    return PlanDateField(label=label, help_text=help_text)


def impact_text(value) -> str:
    """2.00 → "2" (the impact choice's value; a decimal as people write it), None → ""."""
    return "" if value is None else format(Decimal(value).normalize(), "f")


def higher_kinds(kind: str) -> list[str]:
    """The kinds an item of `kind` may hang under: initiative for a feature, both above a requirement."""
    rank = KIND_ORDER.get(kind, KIND_ORDER[RoadmapItem.Kind.FEATURE])
    return [k for k, order in KIND_ORDER.items() if order < rank]


class RoadmapItemForm(forms.Form):
    kind = forms.ChoiceField(
        choices=RoadmapItem.Kind.choices,
        initial=RoadmapItem.Kind.FEATURE,
        help_text="Initiatives hold features; features hold requirements.",
    )
    parent = forms.ModelChoiceField(
        queryset=RoadmapItem.objects.none(),
        required=False,
        empty_label="— no parent —",
        help_text="An item of a higher kind of the same product: an initiative for a feature, an initiative "
        "or feature for a requirement. Change the kind and save to see other parents.",
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "The problem it solves and for whom; what done means."}),
        max_length=20_000,
        required=False,
    )
    status = forms.ChoiceField(choices=RoadmapItem.Status.choices, initial=RoadmapItem.Status.PROPOSED)
    horizon = forms.ChoiceField(
        choices=RoadmapItem.Horizon.choices,
        initial=RoadmapItem.Horizon.LATER,
        help_text="A new horizon puts the item at the end of that column of the board.",
    )
    release = forms.ModelChoiceField(queryset=Release.objects.none(), required=False, empty_label="— no release —")
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="— nobody yet —"
    )
    start_date = _date_field("Start")
    end_date = _date_field("End", "On or after the start.")
    # RICE
    reach = WholeNumberField(
        label="Reach", help_text="People or events it touches per quarter, e.g. 1,000 customers or 5,000 sign-ups."
    )
    impact = forms.TypedChoiceField(
        choices=[("", "— not rated —"), *IMPACT_WORDS.items()],
        coerce=Decimal,
        empty_value=None,
        required=False,
        label="Impact",
        help_text="How much it moves the goal for each person reached, on the RICE scale 0.25 to 3.",
    )
    confidence = WholeNumberField(
        label="Confidence (%)",
        help_text="How sure you are of reach and impact, 0–100: 100 % backed by data, 80 % some evidence, "
        "50 % a guess.",
    )
    effort = BoundedDecimalField(
        max_digits=8,
        decimal_places=2,
        required=False,
        label="Effort (person-months)",
        help_text="Work of everyone involved, in person-months (more than 0), e.g. 0.5 for two weeks of one person."
        " Also divides value in value ÷ effort.",
    )
    # WSJF
    business_value = WholeNumberField(
        label="Business value",
        help_text="Value to users or the business, relative to the other items, 0–1,000 (e.g. 1, 2, 3, 5, 8, 13, 20).",
    )
    time_criticality = WholeNumberField(
        label="Time criticality",
        help_text="How fast the value decays if it waits (a deadline, a competitor), same relative scale.",
    )
    risk_reduction = WholeNumberField(
        label="Risk reduction / opportunity enablement",
        help_text="Risk it removes or opportunities it opens, same relative scale.",
    )
    job_size = BoundedDecimalField(
        max_digits=8,
        decimal_places=2,
        required=False,
        label="Job size",
        help_text="Size relative to the other items (more than 0), same scale as the three above.",
    )
    # Value vs effort
    value = WholeNumberField(
        label="Value",
        help_text="Value relative to the other items, 0–1,000; divided by the effort above for value ÷ effort.",
    )
    moscow = forms.ChoiceField(
        choices=[("", "— not set —"), *RoadmapItem.MoSCoW.choices],
        required=False,
        label="MoSCoW",
        help_text="Must have, should have, could have, or won't have this time.",
    )
    regulatory = forms.BooleanField(
        required=False,
        label="Regulatory requirement",
        help_text="Required by a law or standard; only requirements are marked regulatory.",
    )
    regulation = forms.CharField(
        max_length=200, required=False, help_text="The regulation it comes from, e.g. GDPR Art. 17."
    )
    key_result = forms.ModelChoiceField(
        queryset=KeyResult.objects.none(),
        required=False,
        empty_label="— none —",
        label="Key result",
        help_text="The key result of the portfolio's goals it moves.",
    )
    # What the item should do to a KPI of its product once its release launches (the post-launch review
    # compares it with what happened): both or neither, the rule is the service's.
    expected_kpi_key = forms.ChoiceField(
        choices=[("", "— no expectation —")],
        required=False,
        label="Expected to move",
        help_text="The KPI of the product this item should move after launch.",
    )
    expected_change_pct = BoundedDecimalField(
        max_digits=8,
        decimal_places=2,
        required=False,
        label="Expected change (%)",
        help_text="By how much, in percent over the review window (e.g. 15 for +15 %, -5 for a fall).",
    )
    ideas = forms.ModelMultipleChoiceField(queryset=Idea.objects.none(), required=False, label="Ideas behind it")
    feedback = forms.ModelMultipleChoiceField(
        queryset=Feedback.objects.none(), required=False, label="Feedback behind it"
    )
    insights = forms.ModelMultipleChoiceField(
        queryset=MarketInsight.objects.none(), required=False, label="Market insight behind it"
    )

    def __init__(self, *args, product: Product, item: RoadmapItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.product, self.item = product, item
        portfolio_id = product.portfolio_id
        parents = RoadmapItem.objects.filter(product=product, kind__in=higher_kinds(RoadmapItem.Kind.REQUIREMENT))
        if item is not None:
            parents = parents.exclude(pk=item.pk)
        self.fields["parent"].queryset = parents.order_by("title", "id")
        self.fields["parent"].choices = self._parent_choices(parents)
        self.fields["release"].queryset = product.releases.order_by("status", "target_date", "version")  # planned first
        self.fields["release"].label_from_instance = _release_label
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__portfolio_id=portfolio_id).order_by("username")
        )
        self.fields["owner"].label_from_instance = _person
        self.fields["key_result"].queryset = (
            KeyResult.objects.filter(goal__product__portfolio_id=portfolio_id)
            .select_related("goal__product")
            .order_by("goal__product__name", "goal__title", "title", "id")
        )
        self.fields["key_result"].label_from_instance = _key_result_label
        for name, queryset in (
            ("ideas", Idea.objects.filter(product=product).select_related("product").order_by("title", "id")),
            ("feedback", Feedback.objects.filter(product=product).select_related("product")),
        ):
            field = self.fields[name]
            field.queryset = queryset
            field.widget.attrs["size"] = 6
            field.help_text = (
                f"Select several with Ctrl or ⌘. Only {product.name}'s {name} appear here."
                if queryset.exists()
                else f"No {name} recorded for {product.name} yet."
            )
        self._expected_kpi_choices(product, item)
        # Insights belong to the portfolio (an item may answer one that names no product): the newest first.
        insights = MarketInsight.objects.filter(portfolio_id=portfolio_id).order_by("-observed_on", "-id")
        self.fields["insights"].queryset = insights
        self.fields["insights"].label_from_instance = _insight_label
        self.fields["insights"].widget.attrs["size"] = 6
        self.fields["insights"].help_text = (
            "Select several with Ctrl or ⌘: the competition, trends, expectations or regulation it answers."
            if insights.exists()
            else "No market insight recorded for the portfolio yet."
        )

    def _expected_kpi_choices(self, product: Product, item: RoadmapItem | None) -> None:
        """The product's KPIs by name; a key set before its KPI went stays listed, marked, so the item still
        saves (clear it to drop the expectation)."""
        keys = kpi_keys_of(product.id)
        choices = sorted(((key, f"{name} ({key})") for key, name in keys.items()), key=lambda c: c[1].lower())
        current = item.expected_kpi_key if item is not None else ""
        if current and current not in keys:
            choices.append((current, f"{current} (no longer a KPI of {product.name})"))
        field = self.fields["expected_kpi_key"]
        field.choices = [("", "— no expectation —"), *choices]
        if not keys:
            field.help_text = f"{product.name} has no KPI yet: add one to state what this item should move."

    def _kind(self) -> str:
        kind = self.data.get(self.add_prefix("kind")) if self.is_bound else None
        if kind not in KIND_ORDER:
            kind = self.initial.get("kind") or (self.item.kind if self.item else RoadmapItem.Kind.FEATURE)
        return kind

    def _parent_choices(self, parents) -> list:
        """Parents of a higher kind than the chosen kind, grouped by kind; the current choice stays listed
        (a wrong one is then refused with the reason, not silently dropped)."""
        wanted = set(higher_kinds(self._kind()))
        chosen = str(self.data.get(self.add_prefix("parent")) if self.is_bound else self.initial.get("parent") or "")
        groups: dict[str, list] = {}
        for parent in parents.order_by("title", "id"):
            if parent.kind in wanted or str(parent.pk) == chosen:
                groups.setdefault(parent.kind, []).append((parent.pk, parent.title))
        labels = dict(RoadmapItem.Kind.choices)
        return [
            ("", "— no parent —"),
            *[(f"{labels[kind]}s", groups[kind]) for kind in RoadmapItem.Kind.values if kind in groups],
        ]

    @property
    def scoring_sets(self) -> list[tuple[str, str, list]]:
        """(legend, what it computes, bound fields) for the template's fieldsets."""
        return [
            ("RICE", "reach × impact × confidence ÷ effort", [self[n] for n in SCORE_FIELDS["RICE"]]),
            (
                "WSJF (weighted shortest job first)",
                "(business value + time criticality + risk reduction) ÷ job size",
                [self[n] for n in SCORE_FIELDS["WSJF"]],
            ),
            (
                "Value ÷ effort",
                "value ÷ effort (the effort of RICE)",
                [self[n] for n in SCORE_FIELDS["Value ÷ effort"]],
            ),
        ]

    @staticmethod
    def initial_for(item: RoadmapItem) -> dict:
        initial = {
            name: getattr(item, RoadmapItem._meta.get_field(name).attname)
            for name in (
                "kind",
                "parent",
                "title",
                "description",
                "status",
                "horizon",
                "release",
                "owner",
                "start_date",
                "end_date",
                "reach",
                "confidence",
                "effort",
                "business_value",
                "time_criticality",
                "risk_reduction",
                "job_size",
                "value",
                "regulatory",
                "regulation",
                "key_result",
                "expected_kpi_key",
            )
        }
        initial["impact"] = impact_text(item.impact)
        initial["expected_change_pct"] = impact_text(item.expected_change_pct) or None
        for name in ("effort", "job_size"):  # 2, not 2.00
            initial[name] = impact_text(initial[name]) or None
        initial["moscow"] = item.moscow or ""
        initial["ideas"] = [idea.pk for idea in item.ideas.all()]
        initial["feedback"] = [entry.pk for entry in item.feedback.all()]
        initial["insights"] = [insight.pk for insight in item.insights.all()]
        return initial

    def item_fields(self) -> dict:
        """The cleaned data as the services take it (every field: the service records what changed)."""
        fields = dict(self.cleaned_data)
        fields["moscow"] = fields.get("moscow") or None
        fields["ideas"] = list(fields.get("ideas") or [])
        fields["feedback"] = list(fields.get("feedback") or [])
        fields["insights"] = list(fields.get("insights") or [])
        return fields


def _release_label(release: Release) -> str:
    due = f", due {release.target_date:%Y-%m-%d}" if release.target_date else ""
    shipped = " (shipped)" if release.status == Release.Status.SHIPPED else ""
    return f"{release}{due}{shipped}"


def _person(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def _insight_label(insight: MarketInsight) -> str:
    return f"{insight.title} ({insight.get_kind_display().lower()}, {insight.observed_on:%Y-%m-%d})"


def _key_result_label(key_result: KeyResult) -> str:
    return f"{key_result.title} — {key_result.goal.title} ({key_result.goal.product.name})"


class DependencyForm(forms.Form):
    depends_on = forms.ModelChoiceField(
        queryset=RoadmapItem.objects.none(), label="Depends on", empty_label="— choose an item —"
    )
    kind = forms.ChoiceField(
        choices=RoadmapDependency.Kind.choices,
        initial=RoadmapDependency.Kind.BLOCKS,
        label="How",
        help_text="Blocked by: it cannot finish before the other. Relates to: worth knowing, no order.",
    )

    def __init__(self, *args, item: RoadmapItem, taken=(), **kwargs):
        super().__init__(*args, **kwargs)
        others = (
            RoadmapItem.objects.filter(product__portfolio_id=item.product.portfolio_id)
            .exclude(pk=item.pk)
            .select_related("product")
            .order_by("product__name", "product_id", "title", "id")
        )
        field = self.fields["depends_on"]
        field.queryset = others
        groups: dict[str, list] = {}
        for other in others:
            if other.pk not in taken:
                groups.setdefault(other.product.name, []).append((other.pk, f"{other.title} ({other.kind})"))
        field.choices = [("", field.empty_label), *groups.items()]
        self.has_choices = bool(groups)


# The items table's sorts: key → (column label, ascending in words, descending in words, first click descending).
SORT_FIELDS = {  # in the table's column order: the scores right after the title, what they plan after
    "kind": ("Kind", "initiatives first", "requirements first", False),
    "title": ("Title", "A–Z", "Z–A", False),
    "product": ("Product", "A–Z", "Z–A", False),
    "rice_score": ("RICE", "lowest first", "highest first", True),
    "wsjf_score": ("WSJF", "lowest first", "highest first", True),
    "value_effort": ("Value ÷ effort", "lowest first", "highest first", True),
    "weighted_score": ("Weighted", "lowest first", "highest first", True),
    "moscow": ("MoSCoW", "Must first", "Won't first", False),
    "feedback_count": ("Feedback", "least first", "most first", True),
    "demand": ("Demand", "least first", "most first", True),  # importance, then deal value, then count
    "status": ("Status", "proposed first", "dropped first", False),
    "horizon": ("Horizon", "Now first", "Later first", False),
    "release": ("Release", "due first", "due last first", False),
    "owner": ("Owner", "A–Z", "Z–A", False),
}


def _sort_choices() -> list:
    choices = [("", "Board order")]
    for key, (label, ascending, descending, descending_first) in SORT_FIELDS.items():
        pair = [(f"-{key}", f"{label}, {descending}"), (key, f"{label}, {ascending}")]
        choices += pair if descending_first else pair[::-1]
    return choices


class ItemFilterForm(forms.Form):
    """The items table's filters (GET); every field optional. A value that is not valid is dropped."""

    search = forms.CharField(max_length=200, required=False, label="Search")
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    kind = forms.ChoiceField(choices=[("", "All kinds"), *RoadmapItem.Kind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "All statuses"), *RoadmapItem.Status.choices], required=False)
    horizon = forms.ChoiceField(choices=[("", "All horizons"), *RoadmapItem.Horizon.choices], required=False)
    release = forms.ModelChoiceField(queryset=Release.objects.none(), required=False, empty_label="All releases")
    moscow = forms.ChoiceField(
        choices=[("", "Any MoSCoW"), *RoadmapItem.MoSCoW.choices, ("none", "Not set")], required=False, label="MoSCoW"
    )
    sort = forms.ChoiceField(choices=_sort_choices, required=False, label="Sort by")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = Product.objects.filter(portfolio=portfolio).order_by("name", "id")
        releases = Release.objects.filter(product__portfolio=portfolio).select_related("product")
        chosen_product = row_id(self.data.get("product")) if self.is_bound else None
        if chosen_product is not None:
            releases = releases.filter(product_id=chosen_product)
        self.fields["release"].queryset = releases.order_by("product__name", "target_date", "version", "id")
        self.fields["release"].label_from_instance = lambda r: f"{r.product.name} {r.version}"
        self.fields["search"].widget.attrs.update({"type": "search", "placeholder": "Title or description"})

    def wanted(self) -> dict:
        """The valid filters given (an invalid one is left out, and shown as an error on the form)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
