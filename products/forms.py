import zoneinfo

from django import forms

from products.models import Stage


class PortfolioForm(forms.Form):
    name = forms.CharField(max_length=200)
    timezone = forms.ChoiceField(
        choices=[(z, z) for z in sorted(zoneinfo.available_timezones())],
        initial="UTC",
        help_text="Rollup periods (days, weeks, months) follow this time zone.",
    )


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

    def __init__(self, *args, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        if product is not None:
            self.fields["to_stage"].choices = [(v, label) for v, label in Stage.choices if v != product.stage]
            self.initial.setdefault("from_stage", product.stage)
            order = Stage.order(product.stage)
            if order + 1 < len(Stage.values):
                self.initial.setdefault("to_stage", Stage.values[order + 1])
