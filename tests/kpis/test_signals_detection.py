"""Detection of cross-functional signals (kpis.signals): each kind at its boundaries, set-based reads."""

from datetime import timedelta

import pytest

from kpis import signals
from kpis.models import Signal
from tests.factories import ProductFactory
from tests.kpis.signals_data import TODAY, campaign_case, launch_case, move_case, rollups, weeks_back

pytestmark = pytest.mark.django_db

Kind = Signal.Kind


def found(portfolio, kind=None, **kwargs):
    return [f for f in signals.detect(portfolio, today=TODAY, **kwargs) if kind is None or f.kind == kind]


# --- campaign_low_conversion ------------------------------------------------------------------------------


def test_conversion_off_track_for_three_weeks_with_traffic_opens_a_campaign_signal():
    campaign, kpis = campaign_case()
    [finding] = found(campaign.product.portfolio)
    assert finding.kind == Kind.CAMPAIGN_LOW_CONVERSION
    assert finding.subject_key == f"campaign:{campaign.id}"
    assert (finding.campaign_id, finding.kpi_id, finding.product_id) == (
        campaign.id,
        kpis["conversion"].id,
        campaign.product_id,
    )
    assert "“Paid search: alerts” brings traffic (60 leads a week on average, target 60 leads)" in finding.message
    assert "stayed off track for 3 weeks in a row: 3 % in the week of 9 Mar 2026 against a target of 5 %" in (
        finding.message
    )


def test_the_campaign_evidence_holds_the_kpi_rows_of_both_roles():
    campaign, kpis = campaign_case(conversion=(3.2, 3.1, 3.0))
    [finding] = found(campaign.product.portfolio)
    conversion, traffic = finding.evidence["series"]
    assert conversion["kpi"]["id"] == kpis["conversion"].id and traffic["kpi"]["id"] == kpis["traffic"].id
    assert [row["value"] for row in conversion["rows"]] == [3.2, 3.1, 3.0]
    assert [row["period_start"] for row in conversion["rows"]] == [str(weeks_back(n)) for n in (3, 2, 1)]
    assert {row["health"] for row in conversion["rows"]} == {"off_track"}
    assert conversion["rows"][0]["target"] == 5.0
    assert finding.evidence["campaign"]["name"] == "Paid search: alerts"
    assert "off track in each of its latest 3 complete weeks" in finding.evidence["rule"]


def test_conversion_at_the_edge_of_its_tolerance_is_at_risk_not_a_signal():
    campaign, _ = campaign_case(conversion=(3, 3, 4.5))  # 4.5 = 5 − 10 %: at risk
    assert found(campaign.product.portfolio) == []


def test_conversion_just_below_its_tolerance_is_off_track():
    campaign, _ = campaign_case(conversion=(4.49, 4.49, 4.49))
    assert len(found(campaign.product.portfolio)) == 1


def test_two_complete_weeks_are_one_too_few():
    campaign, _ = campaign_case(conversion=(3, 3), traffic=(60, 60))
    assert found(campaign.product.portfolio) == []


def test_the_week_in_progress_does_not_count():
    campaign, kpis = campaign_case(conversion=(3, 3), traffic=(60, 60))
    rollups(kpis["conversion"], weeks_back(0), [1])  # this week, so far
    rollups(kpis["traffic"], weeks_back(0), [60])
    assert found(campaign.product.portfolio) == []


def test_a_gap_breaks_the_weeks_in_a_row():
    campaign, kpis = campaign_case(conversion=(), traffic=(60, 60, 60, 60))
    rollups(kpis["conversion"], weeks_back(4), [3])
    rollups(kpis["conversion"], weeks_back(2), [3, 3])  # nothing in the week from weeks_back(3)
    assert found(campaign.product.portfolio) == []


def test_an_earlier_good_week_does_not_matter_once_three_are_off_track():
    campaign, _ = campaign_case(conversion=(6, 3, 3, 3), traffic=(60, 60, 60, 60))
    assert len(found(campaign.product.portfolio)) == 1


def test_traffic_at_half_its_target_still_brings_traffic():
    campaign, _ = campaign_case(traffic=(30, 30, 30))
    assert len(found(campaign.product.portfolio)) == 1


def test_traffic_below_half_its_target_is_a_traffic_problem_not_a_conversion_one():
    campaign, _ = campaign_case(traffic=(29, 30, 30))  # mean 29.67 < 30
    assert found(campaign.product.portfolio) == []


def test_traffic_without_a_target_counts_when_there_is_some():
    campaign, kpis = campaign_case(traffic_target=None)
    assert len(found(campaign.product.portfolio)) == 1


def test_a_campaign_with_no_conversion_kpi_has_no_signal():
    campaign, _ = campaign_case(conversion=None)
    assert found(campaign.product.portfolio) == []


def test_a_campaign_with_no_traffic_kpi_has_no_signal():
    campaign, _ = campaign_case(traffic=None)
    assert found(campaign.product.portfolio) == []


def test_a_conversion_kpi_without_a_target_is_never_off_track():
    campaign, _ = campaign_case(conversion_target=None)
    assert found(campaign.product.portfolio) == []


def test_traffic_is_known_by_its_unit_too():
    campaign, kpis = campaign_case()
    kpis["traffic"].key, kpis["traffic"].unit = "landing_page", "visits"
    kpis["traffic"].save()
    assert len(found(campaign.product.portfolio)) == 1


def test_a_campaign_that_ended_four_weeks_ago_still_counts_and_a_day_later_not():
    ended = TODAY - timedelta(days=signals.RECENT_DAYS)  # Wednesday 18 Feb, in the week from weeks_back(4)
    campaign, kpis = campaign_case(conversion=(), traffic=(), start_date=weeks_back(8), end_date=ended)
    rollups(kpis["conversion"], weeks_back(6), [3, 3, 3])
    rollups(kpis["traffic"], weeks_back(6), [60, 60, 60])
    assert len(found(campaign.product.portfolio)) == 1
    campaign.end_date -= timedelta(days=1)
    campaign.save()
    assert found(campaign.product.portfolio) == []


def test_only_the_weeks_of_the_campaign_count():
    campaign, _ = campaign_case(end_date=weeks_back(2) + timedelta(days=2))  # ended in the second of the three weeks
    assert found(campaign.product.portfolio) == []


def test_a_cancelled_campaign_has_no_signal():
    campaign, _ = campaign_case(status="cancelled")
    assert found(campaign.product.portfolio) == []


# --- low_usage_despite_spend ------------------------------------------------------------------------------


def test_usage_off_track_for_three_weeks_since_launch_with_spend_at_the_threshold_opens_a_signal():
    plan, campaign, kpi = launch_case(spend=str(signals.MIN_PROMOTION_SPEND))
    [finding] = found(plan.product.portfolio)
    assert finding.kind == Kind.LOW_USAGE_DESPITE_SPEND
    assert finding.subject_key == f"launch_plan:{plan.id}:kpi:{kpi.id}"
    assert (finding.launch_plan_id, finding.kpi_id) == (plan.id, kpi.id)
    assert "Teams using schedules stayed off track in each of the latest 3 weeks since “Beacon 2.0” launched" in (
        finding.message
    )
    assert "while its 1 campaign spent 1,000." in finding.message
    assert [row["value"] for row in finding.evidence["series"][0]["rows"]] == [50.0, 50.0, 50.0]
    assert finding.evidence["launch_plan"]["spend"] == 1000.0


def test_spend_just_below_the_threshold_is_no_signal():
    plan, _, _ = launch_case(spend=str(signals.MIN_PROMOTION_SPEND - 1))
    assert found(plan.product.portfolio) == []


def test_two_complete_weeks_since_launch_are_too_few():
    plan, _, _ = launch_case(usage=(50, 50))
    assert found(plan.product.portfolio) == []


def test_the_launch_week_counts_only_from_a_monday_launch():
    # Launched on the Wednesday of weeks_back(3): that week is half before launch, two complete weeks remain.
    plan, _, _ = launch_case(launch_date=weeks_back(3) + timedelta(days=2))
    assert found(plan.product.portfolio) == []


def test_usage_that_recovered_last_week_is_no_signal():
    plan, _, _ = launch_case(usage=(50, 50, 50, 95))
    assert found(plan.product.portfolio) == []


def test_without_its_own_kpi_the_products_adoption_kpi_is_judged():
    plan, _, kpi = launch_case(own_kpi=False)
    [finding] = found(plan.product.portfolio)
    assert finding.kpi_id == kpi.id and kpi.key == "weekly_active_users"


def test_a_plan_not_launched_has_no_usage_signal():
    plan, _, _ = launch_case()
    plan.status = "ready"
    plan.launched_at = None
    plan.save()
    assert found(plan.product.portfolio) == []


def test_a_launch_older_than_the_horizon_is_no_longer_judged():
    weeks = signals.USAGE_HORIZON_WEEKS + 1
    plan, _, _ = launch_case(usage=(50,) * weeks)
    assert found(plan.product.portfolio) == []


def test_spend_of_several_campaigns_adds_up():
    from tests.factories import CampaignFactory

    plan, campaign, _ = launch_case(spend="600")
    CampaignFactory(product=plan.product, launch_plan=plan, spend=400)
    [finding] = found(plan.product.portfolio)
    assert "while its 2 campaigns spent 1,000." in finding.message


# --- off_track_after_competitor_move ----------------------------------------------------------------------


def test_a_kpi_that_turned_off_track_a_week_after_a_move_opens_a_signal():
    product, kpi, move = move_case()
    [finding] = found(product.portfolio)
    assert finding.kind == Kind.OFF_TRACK_AFTER_COMPETITOR_MOVE
    assert finding.subject_key == f"kpi:{kpi.id}:move:{move.id}"
    assert (finding.kpi_id, finding.competitor_move_id) == (kpi.id, move.id)
    assert finding.message.startswith(
        "Weekly active users of TeamBoard turned off track in the week of 2 Mar 2026, 7 days after "
        f"{move.competitor.name}'s "
        "price change on 23 Feb 2026, and is still off track (2 weeks;"
    )
    rows = finding.evidence["series"][0]["rows"]
    assert [row["health"] for row in rows] == ["on_track", "off_track", "off_track"]  # the turn and what follows
    assert finding.evidence["turn"] == str(weeks_back(2))
    assert finding.evidence["competitor_move"]["competitor"] == move.competitor.name


def test_a_move_after_the_turn_explains_nothing():
    product, _, _ = move_case(moved_on=weeks_back(1))  # the KPI was off track from the week before
    assert found(product.portfolio) == []


def test_a_move_in_the_week_that_turned_counts():
    product, _, _ = move_case(moved_on=weeks_back(2) + timedelta(days=6))
    assert len(found(product.portfolio)) == 1


def test_a_move_exactly_four_weeks_before_the_turn_counts_and_a_day_earlier_not():
    product, _, move = move_case(moved_on=weeks_back(2) - timedelta(weeks=signals.MOVE_WEEKS))
    assert len(found(product.portfolio)) == 1
    move.happened_on -= timedelta(days=1)
    move.save()
    assert found(product.portfolio) == []


def test_a_kpi_off_track_all_along_did_not_turn():
    product, _, _ = move_case(values=(80, 80, 80, 80, 80, 80))
    assert found(product.portfolio) == []


def test_a_kpi_back_on_track_is_no_signal():
    product, _, _ = move_case(values=(100, 100, 100, 100, 80, 95), health="on_track")
    assert found(product.portfolio) == []


def test_a_move_naming_another_product_is_no_signal():
    other = ProductFactory(name="Other")
    product, _, _ = move_case(competitor_product=other)
    assert found(product.portfolio) == []


def test_the_closest_move_before_the_turn_is_named():
    from tests.factories import CompetitorMoveFactory

    product, kpi, early = move_case(moved_on=weeks_back(4))
    late = CompetitorMoveFactory(competitor=early.competitor, happened_on=weeks_back(3) + timedelta(days=3))
    late.products.add(product)
    [finding] = found(product.portfolio)
    assert finding.competitor_move_id == late.id


def test_a_monthly_kpi_is_read_by_month():
    product, kpi, move = move_case(values=(100,))
    kpi.target_granularity = "month"
    kpi.save()
    kpi.rollups.all().delete()
    from datetime import date

    rollups(kpi, date(2025, 11, 1), [100, 100, 80, 80], granularity="month")  # Nov, Dec on track; Jan, Feb off
    move.happened_on = date(2025, 12, 20)
    move.save()
    [finding] = found(product.portfolio)
    assert finding.evidence["turn"] == "2026-01-01"
    assert "turned off track in the month of 1 Jan 2026, 12 days after" in finding.message


# --- scope and cost ---------------------------------------------------------------------------------------


def test_detection_narrowed_to_products_leaves_the_others_out():
    campaign, _ = campaign_case()
    other, _ = campaign_case(product=ProductFactory(portfolio=campaign.product.portfolio, name="Other"))
    assert [f.campaign_id for f in found(campaign.product.portfolio, product_ids=[other.product_id])] == [other.id]


def test_another_portfolios_data_is_not_read():
    campaign, _ = campaign_case()
    assert found(ProductFactory().portfolio) == []


def _world(portfolio, n: int):
    for index in range(n):
        product = ProductFactory(portfolio=portfolio, name=f"P{index}")
        campaign_case(product=product)
        launch_case(product=product)
        move_case(product=product)
    return portfolio


def test_detection_reads_a_fixed_number_of_queries(django_assert_max_num_queries):
    from tests.factories import PortfolioFactory

    small, large = PortfolioFactory(), PortfolioFactory()
    _world(small, 1)
    _world(large, 10)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert len(found(small)) == 3
    with CaptureQueriesContext(connection) as ten:
        assert len(found(large)) == 30
    assert len(ten.captured_queries) == len(one.captured_queries) == 12
