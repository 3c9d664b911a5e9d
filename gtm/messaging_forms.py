"""Forms of the messaging pages. Field names are the API's; the rules (rows, links within the product and
the portfolio, what review needs) are gtm.services.messaging's. Key messages and objections are edited
as numbered rows (formsets): proof points one per line; a blank row is left out; "Add a row" works
without JavaScript (the page posts back with one more row) and, with it, adds the row in place."""

from django import forms

from gtm.models import LaunchPlan, Messaging
from gtm.services.messaging import COMMENT_MAX, MESSAGES_MAX, OBJECTIONS_MAX, PROOF_POINTS_MAX, ROW_TEXT_MAX
from products.models import Persona, Product, Segment


class MessagingForm(forms.Form):
    launch_plan = forms.ModelChoiceField(
        queryset=LaunchPlan.objects.none(),
        required=False,
        empty_label="The whole product (no launch)",
        label="For",
        help_text="Messaging of the product, or of one of its launches.",
    )
    positioning = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": "For [target customer] who [need], [product] is a [category] that [key benefit]. "
                "Unlike [alternative], it [difference].",
            }
        ),
        help_text="Who it is for, what it is, and why it beats the alternative.",
    )
    value_proposition = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "The outcome a customer gets, in one or two sentences."}
        ),
    )
    target_segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    target_personas = forms.ModelMultipleChoiceField(
        queryset=Persona.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["launch_plan"].queryset = product.launch_plans.order_by("launch_date", "id")
        self.fields["target_segments"].queryset = Segment.objects.filter(portfolio_id=product.portfolio_id)
        self.fields["target_personas"].queryset = Persona.objects.filter(portfolio_id=product.portfolio_id)

    @staticmethod
    def initial_for(messaging: Messaging) -> dict:
        return {
            "launch_plan": messaging.launch_plan_id,
            "positioning": messaging.positioning,
            "value_proposition": messaging.value_proposition,
            "target_segments": [row.pk for row in messaging.target_segments.all()],
            "target_personas": [row.pk for row in messaging.target_personas.all()],
        }


class KeyMessageForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=ROW_TEXT_MAX,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Every launch ready on time"}),
    )
    proof_points = forms.CharField(
        required=False,
        label="Proof points",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "One per line: a number, a customer, a fact."}),
        help_text=f"One per line, at most {PROOF_POINTS_MAX}.",
    )

    def clean_proof_points(self):
        lines = [line.strip() for line in self.cleaned_data["proof_points"].splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > PROOF_POINTS_MAX:
            raise forms.ValidationError(
                f"At most {PROOF_POINTS_MAX} proof points (one per line); this has {len(lines)}."
            )
        long = [n for n, line in enumerate(lines, start=1) if len(line) > ROW_TEXT_MAX]
        if long:
            raise forms.ValidationError(f"Proof point {long[0]} is longer than {ROW_TEXT_MAX:,} characters.")
        return lines

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("proof_points") and not (cleaned.get("message") or "").strip() and "message" not in self.errors:
            self.add_error("message", "Write the message these proof points support, or remove them.")
        return cleaned

    def row(self) -> dict | None:
        """The row as the service takes it; None for a blank row or one marked for removal."""
        data = self.cleaned_data
        if data.get("DELETE") or not (data.get("message") or "").strip():
            return None
        return {"message": data["message"], "proof_points": data.get("proof_points") or []}

    @staticmethod
    def initial_for(row: dict) -> dict:
        return {"message": row["message"], "proof_points": "\n".join(row["proof_points"])}


class ObjectionForm(forms.Form):
    objection = forms.CharField(
        required=False,
        max_length=ROW_TEXT_MAX,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "What a buyer says, e.g. “We already use a spreadsheet.”"}
        ),
    )
    response = forms.CharField(
        required=False,
        max_length=ROW_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "How we answer it."}),
    )

    def clean(self):
        cleaned = super().clean()
        answered = (cleaned.get("response") or "").strip()
        if answered and not (cleaned.get("objection") or "").strip() and "objection" not in self.errors:
            self.add_error("objection", "Write the objection this answers, or remove the row.")
        return cleaned

    def row(self) -> dict | None:
        data = self.cleaned_data
        if data.get("DELETE") or not (data.get("objection") or "").strip():
            return None
        return {"objection": data["objection"], "response": data.get("response") or ""}

    @staticmethod
    def initial_for(row: dict) -> dict:
        return {"objection": row["objection"], "response": row["response"]}


class RowsFormSet(forms.BaseFormSet):
    """Rows with a "Remove" box; the count is bounded (a forged TOTAL_FORMS of a million builds none)."""

    def rows(self) -> list[dict]:
        return [row for form in self.forms if (row := form.row()) is not None]


KeyMessageFormSet = forms.formset_factory(
    KeyMessageForm,
    formset=RowsFormSet,
    extra=1,
    can_delete=True,
    max_num=MESSAGES_MAX,
    absolute_max=MESSAGES_MAX + 10,
)
ObjectionFormSet = forms.formset_factory(
    ObjectionForm,
    formset=RowsFormSet,
    extra=1,
    can_delete=True,
    max_num=OBJECTIONS_MAX,
    absolute_max=OBJECTIONS_MAX + 10,
)
MESSAGES_PREFIX, OBJECTIONS_PREFIX = "messages", "objections"


def fit_rows(form: forms.Form, names, *, per_line: int = 70, most: int = 14) -> None:
    """Give the text boxes `names` of `form` as many rows as their text needs (within `most`), so what
    people wrote shows without scrolling inside a box."""
    for name in names:
        value = str(form[name].value() or "")
        needed = sum(1 + len(line) // per_line for line in value.splitlines()) if value else 0
        widget = form.fields[name].widget
        widget.attrs["rows"] = max(int(widget.attrs.get("rows", 2)), min(most, needed + 1))


class RequestChangesForm(forms.Form):
    comment = forms.CharField(
        max_length=COMMENT_MAX,
        label="What should change?",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. The second proof point needs a source."}),
        help_text="It goes back to draft; the author sees your comment on this page.",
        error_messages={"required": "Say what should change; the author sees your comment."},
    )


class MessagingFilter(forms.Form):
    STATUSES = [("", "Any status"), *Messaging.Status.choices]

    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    launch_plan = forms.ModelChoiceField(
        queryset=LaunchPlan.objects.none(), required=False, empty_label="Any launch", label="Launch"
    )
    status = forms.ChoiceField(choices=STATUSES, required=False, help_text="Of the newest version.")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.order_by("name")
        self.fields["launch_plan"].queryset = LaunchPlan.objects.filter(product__portfolio=portfolio).order_by(
            "launch_date", "id"
        )


class ProductPick(forms.Form):
    """The list's "New messaging" when it shows every product: which product it is for."""

    product = forms.ModelChoiceField(queryset=Product.objects.none(), empty_label=None, label="Product")

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["product"].queryset = portfolio.products.filter(archived_at__isnull=True).order_by("name")
