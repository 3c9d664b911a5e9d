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


class Wide(serializers.Serializer):
    value = BoundedDecimalField(20, 6, round_places=True)


@pytest.mark.parametrize(
    "value, valid",
    [("99999999999999", True), ("-99999999999999", True), ("99999999999999.98", False), ("-99999999999999.5", False)],
)
def test_a_wide_column_stops_below_what_sqlite_reads_back_as_the_next_power_of_ten(value, valid):
    assert Wide(data={"value": value}).is_valid() is valid


@pytest.mark.django_db
def test_a_key_result_at_the_bound_reads_back(api_client):
    from tests.factories import GoalFactory, member

    goal = GoalFactory()
    api_client.force_authenticate(member(goal.product.portfolio, "admin"))
    body = {"goal": goal.id, "title": "Huge", "start_value": "-99999999999999", "target_value": 1, "manual_value": 0}
    assert api_client.post("/api/v1/key-results/", body, format="json").status_code == 201
    body["start_value"] = "-99999999999999.98"
    response = api_client.post("/api/v1/key-results/", body, format="json")
    assert response.status_code == 400 and "start_value" in response.json()
