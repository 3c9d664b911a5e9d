"""A rounded decimal's schema bound is the largest value that fits once rounded (pmflow.fields)."""

from decimal import Decimal

import pytest
from rest_framework import serializers

from pmflow.fields import BoundedDecimalField


class Sample(serializers.Serializer):
    pct = BoundedDecimalField(5, 2, round_places=True, min_value=0)


def test_the_largest_value_that_fits_once_rounded_is_the_bound():
    assert Sample().fields["pct"].max_value == Decimal("999.99")


@pytest.mark.parametrize("value, valid", [(999.99, True), (999.994, True), (999.995, False), (1000, False)])
def test_values_at_the_bound(value, valid):
    assert Sample(data={"pct": value}).is_valid() is valid


@pytest.mark.parametrize("value, valid", [(0, True), (0.001, True), (-1.98e-259, False), ("-0.001", False)])
def test_a_value_below_the_minimum_is_refused_although_it_rounds_to_it(value, valid):
    assert Sample(data={"pct": value}).is_valid() is valid
