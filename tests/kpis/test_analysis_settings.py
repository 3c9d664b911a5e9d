"""products.services.analysis_settings: the thresholds are made with the defaults when first read or edited,
checked on every edit (nothing written on bad input) and every write leaves one event."""

from decimal import Decimal

import pytest

from pmflow.errors import InvalidInput
from products.models import AnalysisSettings, DomainEvent
from products.services.analysis_settings import analysis_settings_of, analysis_settings_update
from tests.factories import PortfolioFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory()


def events(verb):
    return DomainEvent.objects.filter(verb=verb)


def test_the_first_read_makes_the_defaults_with_one_event(portfolio):
    row = analysis_settings_of(portfolio)
    assert (row.retire_falling_quarters, row.extend_segment_min_growth_pct) == (2, Decimal("10.00"))
    assert (row.extend_segment_min_priority, row.extend_demand_min_growth_pct) == (4, Decimal("20.00"))
    (event,) = events("analysis_settings.created")
    assert event.actor is None and event.changes["retire_falling_quarters"] == [None, 2]
    assert event.changes["extend_segment_min_growth_pct"] == [None, "10"]


def test_a_second_read_writes_nothing_in_one_query(portfolio, django_assert_num_queries):
    analysis_settings_of(portfolio)
    with django_assert_num_queries(1):
        analysis_settings_of(portfolio)
    assert AnalysisSettings.objects.count() == 1 and DomainEvent.objects.count() == 1


def test_an_edit_records_what_changed(portfolio):
    admin = UserFactory()
    analysis_settings_of(portfolio)
    analysis_settings_update(portfolio=portfolio, actor=admin, retire_falling_quarters=3, extend_segment_min_priority=4)
    (event,) = events("analysis_settings.updated")
    assert event.actor == admin and event.changes == {"retire_falling_quarters": [2, 3]}


def test_an_edit_that_changes_nothing_records_nothing(portfolio):
    analysis_settings_of(portfolio)
    analysis_settings_update(portfolio=portfolio, actor=None, extend_demand_min_growth_pct=Decimal("20"))
    assert not events("analysis_settings.updated").exists()


def test_an_edit_before_any_read_makes_the_row_with_its_values_in_one_event(portfolio):
    row = analysis_settings_update(portfolio=portfolio, actor=None, extend_demand_min_growth_pct="12.345")
    assert row.extend_demand_min_growth_pct == Decimal("12.34") and row.retire_falling_quarters == 2
    assert DomainEvent.objects.count() == 1 and events("analysis_settings.created").exists()


@pytest.mark.parametrize(
    "name, value",
    [
        ("retire_falling_quarters", 1),
        ("retire_falling_quarters", 12),
        ("extend_segment_min_priority", 1),
        ("extend_segment_min_priority", 5),
        ("extend_segment_min_growth_pct", Decimal("-100")),
        ("extend_segment_min_growth_pct", Decimal("9999.99")),
        ("extend_demand_min_growth_pct", 0),
    ],
)
def test_the_ends_of_each_range_are_accepted(portfolio, name, value):
    row = analysis_settings_update(portfolio=portfolio, actor=None, **{name: value})
    assert getattr(row, name) == value


@pytest.mark.parametrize(
    "name, value",
    [
        ("retire_falling_quarters", 0),
        ("retire_falling_quarters", 13),
        ("retire_falling_quarters", True),
        ("retire_falling_quarters", 2.5),
        ("extend_segment_min_priority", 0),
        ("extend_segment_min_priority", 6),
        ("extend_segment_min_growth_pct", Decimal("-100.01")),
        ("extend_segment_min_growth_pct", Decimal("10000")),
        ("extend_segment_min_growth_pct", "NaN"),
        ("extend_demand_min_growth_pct", float("inf")),
        ("extend_demand_min_growth_pct", "1e999999"),
        ("extend_demand_min_growth_pct", None),
        ("extend_demand_min_growth_pct", "12\x00"),
    ],
)
def test_a_value_outside_its_range_is_refused_and_nothing_written(portfolio, name, value):
    with pytest.raises(InvalidInput) as refused:
        analysis_settings_update(portfolio=portfolio, actor=None, **{name: value})
    assert list(refused.value.fields) == [name]
    assert not AnalysisSettings.objects.exists() and not DomainEvent.objects.exists()


def test_every_bad_field_is_reported_at_once(portfolio):
    with pytest.raises(InvalidInput) as refused:
        analysis_settings_update(
            portfolio=portfolio, actor=None, retire_falling_quarters=0, extend_segment_min_priority=9
        )
    assert set(refused.value.fields) == {"retire_falling_quarters", "extend_segment_min_priority"}


def test_a_name_that_is_no_threshold_is_a_programming_error(portfolio):
    with pytest.raises(TypeError):
        analysis_settings_update(portfolio=portfolio, actor=None, portfolio_id=3)
