"""Filters of the API lists: strict (a value outside the schema is a 400), and blind to other portfolios.

An id filter is a whole number from 1 to 2**63 - 1 and answers an empty page for an id the requester
cannot see, whether it is unknown or another portfolio's: the same status and body, so a filter is no
existence oracle. (Refusing unknown ids with a 400 would need the same 400 for foreign ones, and a
schema cannot say which integers exist: a schema-valid id must not be refused.)
"""

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from pmflow.fields import MAX_ID
from products.models import LifecycleRule, Product, ProductLine, Stage


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An id: a whole number the database can hold (a bigger one was a 500, an overflow in the driver)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class StrictBooleanField(forms.Field):
    """`true`/`false` (also 1/0, True/False); anything else is a 400, not silently no filter."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError("Use true or false.", code="invalid") from None


@extend_schema_field({"type": "boolean"})
class BooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class StrictFilterSet(django_filters.FilterSet):
    """A filter given with no value (`?health=`) is a 400 on it, as the schema's types say, rather than
    silently no filter."""

    def is_valid(self):
        valid = super().is_valid()
        getlist = getattr(self.data, "getlist", None)
        for name in self.filters:
            values = getlist(name) if getlist else [self.data.get(name)]
            if name in self.data and any(value == "" for value in values):
                if name in self.form.fields:
                    self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid


class ProductLineFilter(StrictFilterSet):
    portfolio = IdFilter()

    class Meta:
        model = ProductLine
        fields = ["portfolio"]


class ProductFilter(StrictFilterSet):
    portfolio = IdFilter()
    product_line = IdFilter()
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)

    class Meta:
        model = Product
        fields = ["portfolio", "product_line", "stage"]


class LifecycleRuleFilter(StrictFilterSet):
    portfolio = IdFilter()
    is_active = BooleanFilter()

    class Meta:
        model = LifecycleRule
        fields = ["portfolio", "from_stage", "to_stage", "condition_type", "mode", "is_active"]
