"""The stage gate form: a checkbox per criterion type, a number per parameter (works without JavaScript)."""

from django import forms

from products import gates


def _param_field_name(kind: gates.CriterionType, spec: gates.CriterionParam) -> str:
    return f"{kind.key}__{spec.name}"


def _words(kind: gates.CriterionType) -> str:
    if kind.help_text:
        return kind.help_text
    if kind.params:
        return f"{kind.label}: as many as set below."
    return kind.words({}) + "."


class StageGateForm(forms.Form):
    """Built from the registered criterion types; `criteria()` gives the `[{"type", "params"}]` to save."""

    def __init__(self, *args, criteria: list[dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = {c["type"]: c.get("params") or {} for c in criteria or []}
        self.rows = []
        for kind in gates.ordered_types():
            self.fields[kind.key] = forms.BooleanField(
                required=False,
                label=kind.label,
                initial=kind.key in chosen,
                help_text=kind.help_text,
            )
            params = []
            for spec in kind.params:
                name = _param_field_name(kind, spec)
                self.fields[name] = forms.IntegerField(
                    required=False,
                    label=spec.label,
                    min_value=spec.minimum,
                    max_value=spec.maximum,
                    initial=chosen.get(kind.key, {}).get(spec.name, spec.default),
                    help_text=spec.help_text,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "param"}),
                )
                params.append(name)
            self.rows.append({"kind": kind, "field": kind.key, "params": params})

    def bound_rows(self):
        """(checkbox, [parameter fields], what it asks in words) per criterion type, for the template."""
        return [(self[row["field"]], [self[name] for name in row["params"]], _words(row["kind"])) for row in self.rows]

    def criteria(self) -> list[dict]:
        chosen = []
        for kind in gates.ordered_types():
            if not self.cleaned_data.get(kind.key):
                continue
            params = {}
            for spec in kind.params:
                value = self.cleaned_data.get(_param_field_name(kind, spec))
                params[spec.name] = spec.default if value is None else value
            chosen.append({"type": kind.key, "params": params})
        return chosen
