"""Forms of the marketing plan pages: the plan (owner and year), its four quarterly sales targets, its budget
lines as a table (a formset: quarter × channel rows, added and removed without JavaScript) and the list's
filters. Field names are the API's; the rules (one plan per owner and year, one line per quarter and
channel, an owner of the portfolio) are products.services.budget's and come back as field errors."""

from django import forms

from gtm.models import Campaign
from pmflow.forms import BoundedDecimalField
from products.models import BudgetPlan, Portfolio
from products.services import budget as services

QUARTER_CHOICES = [(q, f"Q{q}") for q in services.QUARTERS]
LINES_PREFIX = "lines"
LINES_ABSOLUTE_MAX = services.BUDGET_LINES_MAX + 20  # room for blank and removed rows; a forged count builds none
CHANNEL_LIST_ID = "budget-channels"


def channel_suggestions() -> list[str]:
    """The campaign channels, as people name them: a budget line of "Paid search" lines up with the campaigns
    of that channel on the plan's page."""
    return [label for _, label in Campaign.Channel.choices]


def _amount(label: str, help_text: str = "", *, required: bool = False) -> BoundedDecimalField:
    field = BoundedDecimalField(
        label=label,
        help_text=help_text,
        required=required,
        max_digits=14,
        decimal_places=2,
        round_places=False,
        min_value=0,
    )
    field.widget.attrs.update({"placeholder": "0", "class": "amount"})
    return field


def owner_value(plan_or_owner) -> str:
    """ "product-7" or "line-3": the owner select's value."""
    if isinstance(plan_or_owner, BudgetPlan):
        return (
            f"product-{plan_or_owner.product_id}"
            if plan_or_owner.product_id
            else f"line-{plan_or_owner.product_line_id}"
        )
    return plan_or_owner


def owner_choices(portfolio: Portfolio) -> list:
    products = [
        (f"product-{p.id}", p.name) for p in portfolio.products.filter(archived_at__isnull=True).order_by("name", "id")
    ]
    lines = [
        (f"line-{line.id}", f"{line.name} (whole line)") for line in portfolio.product_lines.order_by("name", "id")
    ]
    choices = [("", "Choose a product or a product line")]
    if products:
        choices.append(("Products", products))
    if lines:
        choices.append(("Product lines", lines))
    return choices


class PlanForm(forms.Form):
    owner = forms.ChoiceField(
        label="Plan for",
        help_text="A product's plan counts its campaigns and its revenue; a line's plan counts the campaigns of all "
        "its products and the line's combined revenue.",
    )
    year = forms.IntegerField(
        label="Year",
        min_value=services.YEARS[0],
        max_value=services.YEARS[1],
        widget=forms.NumberInput(attrs={"class": "year", "inputmode": "numeric"}),
        help_text="Calendar quarters; one plan per product (or line) and year.",
    )
    target_1 = _amount("Q1 sales target")
    target_2 = _amount("Q2 sales target")
    target_3 = _amount("Q3 sales target")
    target_4 = _amount("Q4 sales target")

    def __init__(self, *args, portfolio: Portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.portfolio = portfolio
        self.fields["owner"].choices = owner_choices(portfolio)
        # An archived product that already has the plan stays choosable.
        chosen = self.initial.get("owner")
        if (
            chosen
            and chosen.startswith("product-")
            and chosen not in {v for _, group in self.fields["owner"].choices[1:] for v, _ in group}
        ):
            product = portfolio.products.filter(pk=chosen.removeprefix("product-")).first()
            if product is not None:
                self.fields["owner"].choices = [
                    *self.fields["owner"].choices,
                    ("Archived", [(chosen, f"{product.name} (archived)")]),
                ]

    def target_fields(self):
        return [self[f"target_{q}"] for q in services.QUARTERS]

    def chosen_owner(self) -> dict:
        """{"product": Product} or {"product_line": ProductLine} from the chosen value (of this portfolio)."""
        value = self.cleaned_data["owner"]
        kind, _, pk = value.partition("-")
        if kind == "product":
            return {"product": self.portfolio.products.get(pk=pk), "product_line": None}
        return {"product_line": self.portfolio.product_lines.get(pk=pk), "product": None}

    def sales_targets(self) -> list[dict]:
        return [
            {"quarter": q, "amount": self.cleaned_data[f"target_{q}"]}
            for q in services.QUARTERS
            if self.cleaned_data.get(f"target_{q}") is not None
        ]

    @staticmethod
    def initial_for(plan: BudgetPlan) -> dict:
        initial = {"owner": owner_value(plan), "year": plan.year}
        for target in plan.sales_targets.all():
            initial[f"target_{target.quarter}"] = format(target.amount.normalize(), "f")
        return initial


class BudgetLineForm(forms.Form):
    quarter = forms.TypedChoiceField(choices=[("", "—"), *QUARTER_CHOICES], coerce=int, required=False, label="Quarter")
    channel = forms.CharField(
        max_length=services.CHANNEL_MAX,
        required=False,
        label="Channel",
        widget=forms.TextInput(
            attrs={"list": CHANNEL_LIST_ID, "autocomplete": "off", "placeholder": "e.g. Paid search"}
        ),
    )
    amount = _amount("Amount")

    def blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("quarter") and not (data.get("channel") or "").strip() and data.get("amount") is None

    def clean(self):
        cleaned = super().clean()
        if self.errors or cleaned.get("DELETE") or self.blank():
            return cleaned
        for name, message in (
            ("quarter", "Choose the quarter, or remove the line."),
            ("channel", "Name the channel, or remove the line."),
            ("amount", "Give the amount (0 or more), or remove the line."),
        ):
            value = cleaned.get(name)
            if value in (None, "") or (isinstance(value, str) and not value.strip()):
                self.add_error(name, message)
        return cleaned

    def row(self) -> dict | None:
        """The line as the service takes it; None for a blank row or one marked for removal."""
        if self.cleaned_data.get("DELETE") or self.blank():
            return None
        return {name: self.cleaned_data[name] for name in ("quarter", "channel", "amount")}


class BudgetLineFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        return [row for form in self.forms if (row := form.row()) is not None]


def lines_formset(data, *, lines: list[dict]):
    """The plan's lines, plus blank rows to fill in (one per quarter for a new plan, two otherwise)."""
    formset_class = forms.formset_factory(
        BudgetLineForm,
        formset=BudgetLineFormSet,
        extra=4 if not lines else 2,
        can_delete=True,
        max_num=services.BUDGET_LINES_MAX,
        absolute_max=LINES_ABSOLUTE_MAX,
    )
    initial = [
        {"quarter": row["quarter"], "channel": row["channel"], "amount": format(row["amount"].normalize(), "f")}
        for row in lines
    ]
    formset = formset_class(data, prefix=LINES_PREFIX, initial=initial)
    if not lines and data is None:
        for quarter, form in zip(services.QUARTERS, formset.forms, strict=False):
            form.initial = {"quarter": quarter}
    return formset


class PlanFilter(forms.Form):
    year = forms.IntegerField(required=False, min_value=services.YEARS[0], max_value=services.YEARS[1], label="Year")
    owner = forms.ChoiceField(required=False, label="Product or line")

    def __init__(self, *args, portfolio: Portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        choices = owner_choices(portfolio)
        self.fields["owner"].choices = [("", "All products and lines"), *choices[1:]]
        self.fields["year"].widget.attrs.update({"class": "year", "placeholder": "All years"})

    def wanted(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
