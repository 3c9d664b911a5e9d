"""Page forms. Every field is named like its API field, so a person and a REST client speak alike."""

import re

from django import forms
from django.forms.utils import ErrorDict

from pmflow.errors import InvalidInput
from pmflow.forms import TimezoneField
from products import lifecycle
from products.models import LifecycleRule, ProductLine, Role, Stage


class PortfolioForm(forms.Form):
    name = forms.CharField(max_length=200)
    timezone = TimezoneField()

    def __init__(self, *args, browser_zone_default: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if browser_zone_default:
            # static/js/pmflow.js picks the browser's zone while the person has not chosen one.
            self.fields["timezone"].widget.attrs["data-browser-default"] = "true"


class MemberInviteForm(forms.Form):
    username = forms.CharField(
        max_length=254,
        label="Username or e-mail",
        help_text="They need an account on this pmflow; they see the portfolio at their next page load.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.PRODUCT_MANAGER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ProductLineForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000, required=False)


class ProductForm(forms.Form):
    name = forms.CharField(max_length=200)
    product_line = forms.ModelChoiceField(
        queryset=ProductLine.objects.none(), required=False, empty_label="— no product line —"
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "The problem it solves, for whom."}),
        max_length=10_000,
        required=False,
        help_text="Needed before the product can move to Planning.",
    )

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = portfolio.product_lines.order_by("name")


class DashboardFilter(forms.Form):
    search = forms.CharField(max_length=200, required=False, label="Search by name")
    product_line = forms.ModelChoiceField(
        queryset=ProductLine.objects.none(), required=False, empty_label="All product lines"
    )
    archived = forms.BooleanField(required=False, label="Show archived products")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product_line"].queryset = portfolio.product_lines.order_by("name")
        self.fields["search"].widget.attrs.update({"type": "search", "placeholder": "Product name"})


class TransitionForm(forms.Form):
    from_stage = forms.CharField(widget=forms.HiddenInput)
    to_stage = forms.ChoiceField(choices=Stage.choices, label="Move to")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Why now? e.g. Beta feedback met the exit criteria."}),
        max_length=5000,
        help_text="Recorded in the stage history for everyone to read.",
    )
    override = forms.BooleanField(
        required=False,
        label="Override the stage gate",
        help_text="Move even though gate criteria are not met.",
    )

    def __init__(self, *args, product=None, refused: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if product is not None:
            refused = refused or {}
            self.fields["to_stage"].choices = [
                (v, f"{label} — gate not met" if v in refused else label)
                for v, label in Stage.choices
                if v != product.stage
            ]
            self.initial.setdefault("from_stage", product.stage)
            order = Stage.order(product.stage)
            if order + 1 < len(Stage.values):
                self.initial.setdefault("to_stage", Stage.values[order + 1])


MODE_EXPLAINED = {
    LifecycleRule.Mode.AUTO: "The product moves as soon as the condition holds. The move names the rule and "
    "keeps its evidence; a person can move the product back.",
    LifecycleRule.Mode.SUGGEST: "Nothing moves by itself: product managers see a suggestion with the evidence on "
    "the dashboard and the product page, and accept it (the move) or dismiss it with a reason.",
}
PARAMS_PATH = re.compile(r"params\.conditions\[(\d+)\](?:\.(condition_type|params)(?:\.(\w+))?)?")


def _condition_choices() -> list[tuple[str, str]]:
    """Single conditions by label, then the composites (which combine them)."""
    kinds = sorted(lifecycle.condition_types.values(), key=lambda k: (k.key in lifecycle.COMPOSITES, k.label))
    return [(kind.key, kind.label) for kind in kinds]


class LifecycleRuleForm(forms.Form):
    """A rule, with its condition's `params` built from fields of the condition type's own form.

    The condition's fields follow the chosen type in the submitted data. `refresh=True` (the "Show its
    fields" button, pressed by static/js/rules.js when a type select changes) re-renders those fields
    for the newly chosen types without validating or saving anything.
    """

    name = forms.CharField(max_length=200, help_text="Shown as the reason of every move the rule makes.")
    from_stage = forms.ChoiceField(choices=Stage.choices, label="When a product is in")
    to_stage = forms.ChoiceField(choices=Stage.choices, label="Move it to")
    condition_type = forms.ChoiceField(choices=(), label="Condition")
    mode = forms.ChoiceField(
        choices=LifecycleRule.Mode.choices,
        initial=LifecycleRule.Mode.AUTO,
        widget=forms.RadioSelect,
        label="When the condition holds",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, portfolio, refresh: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.refresh = refresh
        self.fields["condition_type"].choices = _condition_choices()
        self.fields["condition_type"].widget.attrs["data-refresh"] = "condition-fields"
        chosen = self.data.get("condition_type") or self.initial.get("condition_type")
        if chosen not in lifecycle.condition_types and lifecycle.condition_types:
            chosen = _condition_choices()[0][0]
        self.condition = lifecycle.condition_types.get(chosen)
        self.params_fields = []
        self.composite = self.condition is not None and self.condition.key in lifecycle.COMPOSITES
        self.parts = []
        if self.condition is not None and self.condition.params_form is not None:
            # A type change keeps what still fits (a KPI key, a period) and drops the rest.
            params = self.initial.get("params") or {}
            data = self.data if self.is_bound else None
            if self.composite:
                params_form = self.condition.params_form(data, portfolio=portfolio, initial=params)
            else:
                params_form = self.condition.params_form(portfolio=portfolio, initial=params)
            for name, field in params_form.fields.items():
                self.fields[name] = field
                if name in params_form.initial:
                    self.initial.setdefault(name, params_form.initial[name])
                self.params_fields.append(name)
            if self.composite:
                self.parts = params_form.part_fields
                for number, _ in self.parts:
                    select = self.fields[f"part{number}-condition_type"]
                    select.label, select.widget.attrs["data-refresh"] = "Which condition", f"part-{number}"
        if refresh and self.is_bound:
            self._show_submitted_values()

    def _show_submitted_values(self) -> None:
        """For a refresh: render what was submitted as the form's initial values, unbound, so fields shown
        for the first time get their own defaults (3 periods, monthly) instead of blanks, and nothing is
        judged. A checkbox missing from the data was unticked."""
        submitted, self.is_bound, self.data = self.data, False, {}
        for name, field in self.fields.items():
            if isinstance(field, forms.BooleanField):
                self.initial[name] = name in submitted
            elif name in submitted:
                self.initial[name] = submitted.get(name)
            else:
                self.initial.pop(name, None)

    def full_clean(self):
        if self.refresh:  # showing the fields of a newly chosen type: nothing is judged yet
            self._errors, self.cleaned_data = ErrorDict(), {}
            return
        super().full_clean()

    def clean(self):
        data = super().clean()
        if self.condition is not None and not self.errors:
            try:
                data["params"] = self.condition.params_from_form({name: data.get(name) for name in self.params_fields})
            except InvalidInput as exc:
                for path, message in exc.fields.items():
                    self.add_error(self.field_for(path), message)
        return data

    def field_for(self, path: str) -> str | None:
        """The form field a `params…` error path points at (None: above the form)."""
        if match := PARAMS_PATH.fullmatch(path):
            number, _, name = match.groups()
            prefix = f"part{int(number) + 1}-"
            return prefix + name if name and prefix + name in self.fields else f"{prefix}condition_type"
        if path == "params.conditions" and "part1-condition_type" in self.fields:
            return "part1-condition_type"
        name = path.split(".")[-1] if path.startswith("params.") else path
        return name if name in self.fields else None

    def rule_fields(self) -> dict:
        data = self.cleaned_data
        names = ("name", "from_stage", "to_stage", "condition_type", "mode", "is_active", "params")
        return {name: data[name] for name in names}

    @property
    def main_fields(self):
        return [self[name] for name in ("name", "from_stage", "to_stage", "condition_type", "mode")]

    @property
    def mode_choices(self) -> list[tuple]:
        """The mode's radio buttons, each with what it does in plain words."""
        return [(radio, MODE_EXPLAINED.get(radio.data["value"], "")) for radio in self["mode"]]

    @property
    def param_bound_fields(self):
        if self.composite:
            return []
        return [self[name] for name in self.params_fields]

    @property
    def part_bound_fields(self) -> list[dict]:
        """A composite's parts: each its number, type select and that type's fields."""
        return [
            {
                "number": number,
                "type": self[f"part{number}-condition_type"],
                "fields": [self[f"part{number}-{name}"] for name in names if name != "nested"],
                "hidden": [self[f"part{number}-{name}"] for name in names if name == "nested"],
            }
            for number, names in self.parts
        ]
