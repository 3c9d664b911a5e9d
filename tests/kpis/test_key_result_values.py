"""kpis.key_results: a key result's current value, progress and health from its KPI's rollups or by hand,
a goal's from its key results', and the cost of working them out for many."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kpis import key_results as values
from kpis.models import Rollup
from products.models import Goal, KeyResult
from tests.factories import GoalFactory, KeyResultFactory, KPIFactory, PortfolioFactory, ProductFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 15)  # March is running; February is the latest complete month


def rollup(kpi, start, value, granularity="month"):
    value = Decimal(str(value))
    return Rollup.objects.create(
        kpi=kpi,
        granularity=granularity,
        period_start=start,
        value=value,
        count=1,
        total=value,
        minimum=value,
        maximum=value,
        last_observed_at=timezone.now(),
    )


def measured(kpi, *, start, target, goal=None) -> KeyResult:
    key_result = KeyResultFactory(
        goal=goal or GoalFactory(product=kpi.product), start_value=Decimal(start), target_value=Decimal(target)
    )
    kpi.key_result = key_result
    kpi.save(update_fields=["key_result"])
    return key_result


def value_of(key_result: KeyResult) -> values.KeyResultValue:
    loaded = values.key_results_loaded(KeyResult.objects.filter(pk=key_result.pk)).get()
    return values.key_result_values([loaded], today=TODAY)[key_result.pk]


@pytest.fixture
def churn():
    """A falling KPI: monthly churn in %, 4 % the target."""
    return KPIFactory(
        key="churn", name="Churn", aggregation="avg", direction="lower_is_better", target=4, target_granularity="month"
    )


# --- progress ------------------------------------------------------------------------------------------


def test_progress_of_a_rising_target_is_the_share_of_the_way_gone():
    assert values.progress_of(start=100, target=200, current=140) == Decimal("40.0")


def test_progress_of_a_falling_target_counts_down():
    assert values.progress_of(start=8, target=4, current=6) == Decimal("50.0")


def test_progress_past_the_target_is_clamped_to_100():
    assert values.progress_of(start=8, target=4, current=3) == 100
    assert values.progress_of(start=0, target=10, current=25) == 100


def test_progress_the_wrong_way_is_clamped_to_0():
    assert values.progress_of(start=8, target=4, current=9) == 0
    assert values.progress_of(start=10, target=20, current=5) == 0


def test_progress_is_rounded_to_one_place():
    assert values.progress_of(start=0, target=3, current=1) == Decimal("33.3")


def test_progress_without_a_value_is_null():
    assert values.progress_of(start=0, target=10, current=None) is None


def test_a_target_equal_to_the_start_is_a_level_held_at_or_above_it():
    assert values.progress_of(start=50, target=50, current=50) == 100
    assert values.progress_of(start=50, target=50, current=49) == 0


def test_a_target_equal_to_the_start_of_a_lower_is_better_kpi_is_held_at_or_below_it():
    assert values.progress_of(start=4, target=4, current=3, direction="lower_is_better") == 100
    assert values.progress_of(start=4, target=4, current=5, direction="lower_is_better") == 0


# --- the schedule (no KPI) ------------------------------------------------------------------------------


def test_elapsed_counts_today_and_stays_within_0_and_100():
    goal = Goal(period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 1, 10))
    assert values.elapsed_of(goal, datetime.date(2026, 1, 5)) == 50
    assert values.elapsed_of(goal, datetime.date(2025, 12, 1)) == 0
    assert values.elapsed_of(goal, datetime.date(2026, 2, 1)) == 100


@pytest.mark.parametrize(
    "progress, elapsed, health",
    [
        (Decimal(45), Decimal(50), "on_track"),  # 5 points behind
        (Decimal(40), Decimal(50), "on_track"),  # 10 points behind: still on track
        (Decimal(30), Decimal(50), "at_risk"),
        (Decimal(25), Decimal(50), "at_risk"),
        (Decimal(20), Decimal(50), "off_track"),
        (Decimal(100), Decimal(100), "on_track"),
        (None, Decimal(50), "no_data"),
    ],
)
def test_schedule_health_compares_progress_with_the_period_gone(progress, elapsed, health):
    assert values.schedule_health(progress, elapsed) == health


def test_a_manual_key_result_takes_its_manual_value():
    key_result = KeyResultFactory(
        goal=GoalFactory(period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31)),
        start_value=8,
        target_value=4,
        manual_value=Decimal("6"),
    )
    value = value_of(key_result)
    assert value.current == 6 and value.progress == 50 and value.kpi is None and value.period_start is None


def test_a_manual_key_result_is_judged_on_its_schedule():
    goal = GoalFactory(period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 4, 10))  # 74/100 days
    on = KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=70)
    risky = KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=55)
    off = KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=10)
    assert [value_of(kr).health for kr in (on, risky, off)] == ["on_track", "at_risk", "off_track"]


def test_a_key_result_without_any_value_has_no_progress_and_is_not_judged():
    value = value_of(KeyResultFactory(manual_value=None))
    assert value.current is None and value.progress is None and value.health == "no_data"


# --- measured by a KPI ----------------------------------------------------------------------------------


def test_a_kpi_gives_the_value_of_its_latest_complete_period(churn):
    rollup(churn, datetime.date(2026, 1, 1), 7)
    rollup(churn, datetime.date(2026, 2, 1), 6)
    rollup(churn, datetime.date(2026, 3, 1), 3)  # March is running: not counted
    value = value_of(measured(churn, start=8, target=4))
    assert value.current == 6 and value.period_start == datetime.date(2026, 2, 1)
    assert value.progress == 50  # the falling target of the issue: 8 % → 4 %, now 6 %


def test_a_kpi_value_wins_over_a_manual_one(churn):
    rollup(churn, datetime.date(2026, 2, 1), 6)
    key_result = measured(churn, start=8, target=4)
    KeyResult.objects.filter(pk=key_result.pk).update(manual_value=4)
    assert value_of(key_result).current == 6


def test_the_kpis_health_for_that_period_is_the_key_results(churn):
    rollup(churn, datetime.date(2026, 2, 1), 6)  # 6 % against 4 %, beyond the 10 % tolerance
    assert value_of(measured(churn, start=8, target=4)).health == "off_track"


def test_a_kpi_within_its_tolerance_makes_the_key_result_at_risk(churn):
    rollup(churn, datetime.date(2026, 2, 1), Decimal("4.3"))
    assert value_of(measured(churn, start=8, target=4)).health == "at_risk"


def test_a_kpi_with_only_the_running_period_has_no_value_yet(churn):
    rollup(churn, datetime.date(2026, 3, 1), 5)
    value = value_of(measured(churn, start=8, target=4))
    assert value.current is None and value.progress is None and value.health == "no_data"


def test_a_kpi_without_data_has_no_value_yet(churn):
    value = value_of(measured(churn, start=8, target=4))
    assert value.current is None and value.progress is None and value.health == "no_data" and value.series == []


def test_a_partly_covered_first_period_is_shown_but_not_judged(churn):
    rollup(churn, datetime.date(2026, 2, 1), 6)
    rollup(churn, datetime.date(2026, 2, 20), 6, granularity="day")  # measured from 20 February only
    value = value_of(measured(churn, start=8, target=4))
    assert value.current == 6 and value.health == "no_data"


def test_a_kpi_without_a_target_is_judged_on_the_schedule():
    kpi = KPIFactory(aggregation="last", target=None, target_granularity="week")
    goal = GoalFactory(
        product=kpi.product, period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31)
    )
    rollup(kpi, datetime.date(2026, 3, 2), 900, granularity="week")  # the week before TODAY's
    value = value_of(measured(kpi, start=0, target=1000, goal=goal))
    assert value.progress == 90 and value.health == "on_track"


def test_a_weekly_kpi_is_read_at_its_weeks():
    kpi = KPIFactory(aggregation="last", target=1000, target_granularity="week")
    rollup(kpi, datetime.date(2026, 3, 2), 950, granularity="week")
    rollup(kpi, datetime.date(2026, 3, 9), 990, granularity="week")  # TODAY's week: running
    rollup(kpi, datetime.date(2026, 2, 1), 5000)  # a month row: another granularity
    value = value_of(measured(kpi, start=500, target=1000))
    assert value.current == 950 and value.period_start == datetime.date(2026, 3, 2) and value.progress == 90


def test_the_sparkline_series_is_the_complete_periods_oldest_first(churn):
    for month, churn_pct in ((1, 7), (2, 6), (3, 5)):
        rollup(churn, datetime.date(2026, month, 1), churn_pct)
    rollup(churn, datetime.date(2025, 12, 1), 8)
    value = value_of(measured(churn, start=8, target=4))
    assert [v for _, v in value.series] == [8, 7, 6]
    assert "<svg" in value.spark


def test_the_series_keeps_the_latest_twelve_periods(churn):
    for offset in range(15):
        month = datetime.date(2024 + (offset + 11) // 12, (offset + 11) % 12 + 1, 1)  # Dec 2024 → Feb 2026
        rollup(churn, month, offset)
    value = value_of(measured(churn, start=8, target=4))
    assert len(value.series) == 12 and value.series[-1] == (datetime.date(2026, 2, 1), 14)


def test_the_complete_period_is_judged_in_the_portfolios_time_zone():
    portfolio = PortfolioFactory(timezone="Pacific/Kiritimati")  # UTC+14: already 1 March there
    kpi = KPIFactory(product=ProductFactory(portfolio=portfolio), target=10, target_granularity="month")
    rollup(kpi, datetime.date(2026, 2, 1), 5)
    key_result = measured(kpi, start=0, target=10)
    loaded = values.key_results_loaded(KeyResult.objects.filter(pk=key_result.pk)).get()
    late_february_utc = datetime.datetime(2026, 2, 28, 12, tzinfo=datetime.UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: late_february_utc)
        value = values.key_result_values([loaded])[key_result.pk]
    assert value.current == 5


# --- goals ----------------------------------------------------------------------------------------------


def goal_of(goal: Goal):
    loaded = values.goals_loaded(Goal.objects.filter(pk=goal.pk)).get()
    return values.goal_values([loaded], today=TODAY)[0][goal.pk]


def test_a_goals_progress_is_the_mean_of_its_key_results():
    goal = GoalFactory()
    KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=80)
    KeyResultFactory(goal=goal, start_value=8, target_value=4, manual_value=6)
    assert goal_of(goal).progress == 65


def test_an_unmeasured_key_result_counts_zero_in_its_goals_progress():
    goal = GoalFactory()
    KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=100)
    KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=None)
    assert goal_of(goal).progress == 50


def test_a_goal_without_key_results_has_no_progress():
    standing = goal_of(GoalFactory())
    assert standing.progress is None and standing.health == "no_data"


def test_a_goals_health_is_its_worst_key_results():
    goal = GoalFactory(period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 4, 10))
    KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=90)  # on track
    KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=55)  # at risk
    KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=None)  # not judged
    assert goal_of(goal).health == "at_risk"


# --- cost -----------------------------------------------------------------------------------------------


def _many(n: int):
    portfolio = PortfolioFactory()
    for i in range(n):
        kpi = KPIFactory(
            product=ProductFactory(portfolio=portfolio), target=10, target_granularity=("month", "week")[i % 2]
        )
        rollup(kpi, datetime.date(2026, 2, 1), 5)
        rollup(kpi, datetime.date(2026, 3, 2), 5, granularity="week")
        measured(kpi, start=0, target=10)
        KeyResultFactory(goal=GoalFactory(product=kpi.product), manual_value=3)
    return values.goals_loaded(Goal.objects.filter(product__portfolio=portfolio))


@pytest.mark.parametrize("n", [1, 10])
def test_the_values_of_many_goals_cost_three_queries(n, django_assert_num_queries):
    goals = _many(n)
    with django_assert_num_queries(3):  # goals, their key results with KPIs, the KPIs' rollups
        standings, key_result_values = values.goal_values(goals, today=TODAY)
    assert len(standings) == 2 * n and len(key_result_values) == 2 * n
    assert {v.current for v in key_result_values.values()} == {Decimal(5), Decimal(3)}
