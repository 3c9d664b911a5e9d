"""Page forms. Every field is named like its API field, so a person and a REST client speak alike."""

from django import forms

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


class LifecycleRuleForm(forms.Form):
    """A rule, with its condition's `params` built from fields of the condition type's own form."""

    name = forms.CharField(max_length=200, help_text="Shown as the reason of every move the rule makes.")
    from_stage = forms.ChoiceField(choices=Stage.choices, label="When a product is in")
    to_stage = forms.ChoiceField(choices=Stage.choices, label="Move it to")
    condition_type = forms.ChoiceField(choices=(), label="Condition")
    mode = forms.ChoiceField(choices=LifecycleRule.Mode.choices, initial=LifecycleRule.Mode.AUTO)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["condition_type"].choices = [(k, t.label) for k, t in sorted(lifecycle.condition_types.items())]
        chosen = self.data.get("condition_type") or self.initial.get("condition_type")
        if chosen not in lifecycle.condition_types and lifecycle.condition_types:
            chosen = sorted(lifecycle.condition_types)[0]
        self.condition = lifecycle.condition_types.get(chosen)
        self.params_fields = []
        if self.condition is not None and self.condition.params_form is not None:
            params_form = self.condition.params_form(portfolio=portfolio, initial=self.initial.get("params") or {})
            for name, field in params_form.fields.items():
                self.fields[name] = field
                if name in params_form.initial:
                    self.initial.setdefault(name, params_form.initial[name])
                self.params_fields.append(name)

    def clean(self):
        data = super().clean()
        if self.condition is not None and not self.errors:
            data["params"] = self.condition.params_from_form({name: data.get(name) for name in self.params_fields})
        return data

    def rule_fields(self) -> dict:
        data = self.cleaned_data
        names = ("name", "from_stage", "to_stage", "condition_type", "mode", "is_active", "params")
        return {name: data[name] for name in names}

    @property
    def main_fields(self):
        return [self[name] for name in ("name", "from_stage", "to_stage", "condition_type", "mode")]

    @property
    def param_bound_fields(self):
        return [self[name] for name in self.params_fields]
