"""kpis.demo_signals.seed_signals: on data shaped like the demo's, one signal of each kind is open, written through
the services; a second run writes nothing."""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from gtm.demo import PLANS
from kpis.demo_gtm import seed_gtm_kpis
from kpis.demo_signals import USAGE_KEY, seed_signals
from kpis.models import KPI, Measurement, Signal
from kpis.services import kpi_save, measurements_ingest
from products.models import DomainEvent
from tests.factories import (
    CampaignFactory,
    CompetitorFactory,
    CompetitorMoveFactory,
    LaunchPlanFactory,
    PortfolioFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PLAN_NAME = next(spec["name"] for spec in PLANS if spec["ref"] == "pa_oncall")


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    portfolio = PortfolioFactory(name="Acme Software", timezone="Europe/Berlin")
    today = timezone.now().astimezone(portfolio.zone).date()
    pulse = ProductFactory(portfolio=portfolio, name="Pulse Alerts", stage="growth")
    teamboard = ProductFactory(portfolio=portfolio, name="TeamBoard", stage="maturity")
    launch = today - timedelta(days=42)
    if launch.weekday() >= 5:
        launch += timedelta(days=7 - launch.weekday())
    at = datetime.datetime.combine(launch, datetime.time(9), tzinfo=portfolio.zone)
    plan = LaunchPlanFactory(product=pulse, name=PLAN_NAME, launch_date=launch, status="launched", launched_at=at)
    for name, channel, days, spend in (
        ("On-call schedules: launch e-mail to trial users", "email", 14, 1850),
        ("Paid search: on-call alerting", "paid_search", 35, 13650),
        ("Alert-fatigue guide (gated e-book)", "content", 60, 2100),
    ):
        CampaignFactory(
            product=pulse,
            launch_plan=plan,
            name=name,
            channel=channel,
            start_date=launch,
            end_date=launch + timedelta(days=days),
            spend=spend,
            status="active",
        )
    with django_capture_on_commit_callbacks(execute=True):
        seed_gtm_kpis(portfolio=portfolio, actor=None, today=today)
        users = kpi_save(
            product=teamboard,
            key="weekly_active_users",
            name="Weekly active users",
            unit="users",
            aggregation="last",
            target=10000,
            target_granularity="week",
        )
        days = [today - timedelta(days=n) for n in range(90, 0, -1)]
        measurements_ingest(
            kpi_id=users.id,
            items=[
                {"observed_at": f"{day}T12:00:00+00:00", "value": "9700", "external_id": f"demo-{day}"} for day in days
            ],
        )
    move = CompetitorMoveFactory(
        competitor=CompetitorFactory(portfolio=portfolio, name="Flowdesk"),
        kind="price_change",
        happened_on=today - timedelta(days=25),
    )
    move.products.add(teamboard)
    return portfolio, today


def test_the_demo_has_one_open_signal_of_each_kind(demo, django_capture_on_commit_callbacks):
    portfolio, today = demo
    with django_capture_on_commit_callbacks(execute=True):
        counts = seed_signals(portfolio=portfolio, actor=UserFactory(), today=today)
    assert counts["kpis"] == 1 and counts["measurements"] == 6 and counts["adjusted"] > 15
    assert counts["signals"] == 3
    kinds = set(Signal.objects.filter(portfolio=portfolio, resolved_at__isnull=True).values_list("kind", flat=True))
    assert kinds == set(Signal.Kind.values)


def test_the_signals_name_the_demos_facts(demo, django_capture_on_commit_callbacks):
    portfolio, today = demo
    with django_capture_on_commit_callbacks(execute=True):
        seed_signals(portfolio=portfolio, actor=None, today=today)
    by_kind = {s.kind: s for s in Signal.objects.filter(portfolio=portfolio)}
    assert by_kind["campaign_low_conversion"].campaign.name == "Paid search: on-call alerting"
    assert by_kind["low_usage_despite_spend"].kpi.key == USAGE_KEY
    assert "spent 17,600" in by_kind["low_usage_despite_spend"].message  # no revenue KPI here: no currency
    assert by_kind["off_track_after_competitor_move"].competitor_move.competitor.name == "Flowdesk"
    assert by_kind["off_track_after_competitor_move"].product.name == "TeamBoard"


def test_it_writes_through_the_services(demo, django_capture_on_commit_callbacks):
    portfolio, today = demo
    with django_capture_on_commit_callbacks(execute=True):
        seed_signals(portfolio=portfolio, actor=None, today=today)
    kpi = KPI.objects.get(key=USAGE_KEY)
    assert DomainEvent.objects.filter(verb="kpi.created", object_id=kpi.id).exists()
    assert DomainEvent.objects.filter(verb="signal.opened").count() == 3


def test_a_second_run_writes_nothing(demo, django_capture_on_commit_callbacks):
    portfolio, today = demo
    with django_capture_on_commit_callbacks(execute=True):
        seed_signals(portfolio=portfolio, actor=None, today=today)
    measurements, events = Measurement.objects.count(), DomainEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_signals(portfolio=portfolio, actor=None, today=today) == {}
    assert (Measurement.objects.count(), DomainEvent.objects.count()) == (measurements, events)


def test_without_the_demos_launch_it_writes_nothing():
    portfolio = PortfolioFactory(name="Acme Software")
    assert seed_signals(portfolio=portfolio, actor=None, today=datetime.date(2026, 3, 18)) == {}
    assert not KPI.objects.exists()
