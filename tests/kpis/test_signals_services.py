"""Opening, refreshing and resolving signals (kpis.services.signals): events, notifications once, idempotence,
scope, and the triggers (rollups recomputed, domain events, beat)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kpis.models import Signal
from kpis.services import signals as services
from kpis.signals import Finding, detect
from products.models import DomainEvent, Notification, Role
from tests.factories import ProductFactory, member
from tests.kpis.signals_data import TODAY, campaign_case, move_case, rollups, weeks_back

pytestmark = pytest.mark.django_db

Kind = Signal.Kind


def refresh(portfolio, capture, **kwargs):
    with capture(execute=True):
        return services.signals_refresh(portfolio_id=portfolio.id, today=TODAY, **kwargs)


@pytest.fixture
def low_conversion():
    campaign, kpis = campaign_case()
    return campaign, kpis, campaign.product.portfolio


def test_a_finding_opens_a_signal_with_its_message_evidence_and_links(
    low_conversion, django_capture_on_commit_callbacks
):
    campaign, kpis, portfolio = low_conversion
    assert refresh(portfolio, django_capture_on_commit_callbacks) == {"opened": 1, "refreshed": 0, "resolved": 0}
    signal = Signal.objects.get()
    assert (signal.kind, signal.subject_key) == (Kind.CAMPAIGN_LOW_CONVERSION, f"campaign:{campaign.id}")
    assert (signal.portfolio, signal.product, signal.campaign, signal.kpi) == (
        portfolio,
        campaign.product,
        campaign,
        kpis["conversion"],
    )
    assert signal.resolved_at is None and "brings traffic" in signal.message
    assert signal.evidence["series"][0]["kpi"]["id"] == kpis["conversion"].id


def test_opening_records_one_signal_opened_event(low_conversion, django_capture_on_commit_callbacks):
    _, _, portfolio = low_conversion
    refresh(portfolio, django_capture_on_commit_callbacks)
    [event] = DomainEvent.objects.filter(verb="signal.opened")
    signal = Signal.objects.get()
    assert (event.object_type, event.object_id, event.actor) == ("signal", signal.id, None)
    assert event.data["kind"] == Kind.CAMPAIGN_LOW_CONVERSION and event.data["message"] == signal.message


def test_opening_notifies_managers_and_marketers_once(low_conversion, django_capture_on_commit_callbacks):
    _, _, portfolio = low_conversion
    people = {role: member(portfolio, role) for role in Role.values}
    refresh(portfolio, django_capture_on_commit_callbacks)
    refresh(portfolio, django_capture_on_commit_callbacks)
    signal = Signal.objects.get()
    told = Notification.objects.filter(kind="signal")
    assert sorted(told.values_list("user_id", flat=True)) == sorted(
        people[role].id for role in (Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER)
    )
    notification = told.first()
    assert notification.dedupe_key == f"signal:{signal.id}"
    assert notification.url == f"/portfolios/{portfolio.id}/signals/#signal-{signal.id}"
    assert notification.title == f"Traffic without conversions: {signal.product.name}"
    assert notification.event.verb == "signal.opened"


def test_the_notification_handler_run_twice_tells_nobody_twice(low_conversion, django_capture_on_commit_callbacks):
    _, _, portfolio = low_conversion
    member(portfolio, Role.MARKETER)
    refresh(portfolio, django_capture_on_commit_callbacks)
    event = DomainEvent.objects.get(verb="signal.opened")
    assert services.signal_notify(event=event) == 0  # the relay's retry
    assert Notification.objects.filter(kind="signal").count() == 1


def test_a_signal_resolved_before_its_handler_ran_tells_nobody(low_conversion, django_capture_on_commit_callbacks):
    _, _, portfolio = low_conversion
    member(portfolio, Role.MARKETER)
    services.signals_refresh(portfolio_id=portfolio.id, today=TODAY)  # handlers not run: no commit callbacks
    Signal.objects.update(resolved_at=timezone.now())
    assert services.signal_notify(event=DomainEvent.objects.get(verb="signal.opened")) == 0


def test_running_twice_keeps_one_signal_and_one_event(low_conversion, django_capture_on_commit_callbacks):
    _, _, portfolio = low_conversion
    refresh(portfolio, django_capture_on_commit_callbacks)
    assert refresh(portfolio, django_capture_on_commit_callbacks) == {"opened": 0, "refreshed": 0, "resolved": 0}
    assert Signal.objects.count() == 1
    assert DomainEvent.objects.filter(verb__startswith="signal.").count() == 1


def test_new_rows_refresh_the_open_signal_without_an_event(low_conversion, django_capture_on_commit_callbacks):
    campaign, kpis, portfolio = low_conversion
    refresh(portfolio, django_capture_on_commit_callbacks)
    kpis["conversion"].rollups.filter(granularity="week", period_start=weeks_back(1)).update(value=2)
    assert refresh(portfolio, django_capture_on_commit_callbacks)["refreshed"] == 1
    signal = Signal.objects.get()
    assert "2 % in the week of 9 Mar 2026" in signal.message
    assert signal.evidence["series"][0]["rows"][-1]["value"] == 2.0
    assert signal.updated_at > signal.opened_at
    assert DomainEvent.objects.filter(verb__startswith="signal.").count() == 1


def test_a_signal_resolves_when_its_condition_no_longer_holds(low_conversion, django_capture_on_commit_callbacks):
    campaign, kpis, portfolio = low_conversion
    refresh(portfolio, django_capture_on_commit_callbacks)
    kpis["conversion"].rollups.filter(granularity="week", period_start=weeks_back(1)).update(value=5)
    assert refresh(portfolio, django_capture_on_commit_callbacks) == {"opened": 0, "refreshed": 0, "resolved": 1}
    signal = Signal.objects.get()
    assert signal.resolved_at is not None
    assert signal.evidence["resolution"].startswith("The condition no longer holds: the campaign's conversion")
    [event] = DomainEvent.objects.filter(verb="signal.resolved")
    assert event.object_id == signal.id and event.changes["resolved_at"][0] is None


def test_resolving_twice_records_one_event(low_conversion, django_capture_on_commit_callbacks):
    _, _, portfolio = low_conversion
    refresh(portfolio, django_capture_on_commit_callbacks)
    signal = Signal.objects.get()
    assert services._resolve(signal, signal.opened_at) is True
    assert services._resolve(signal, signal.opened_at) is False  # a second worker with the same stale read
    assert DomainEvent.objects.filter(verb="signal.resolved").count() == 1


def test_the_condition_holding_again_opens_a_new_signal(low_conversion, django_capture_on_commit_callbacks):
    campaign, kpis, portfolio = low_conversion
    refresh(portfolio, django_capture_on_commit_callbacks)
    week = kpis["conversion"].rollups.filter(granularity="week", period_start=weeks_back(1))
    week.update(value=5)
    refresh(portfolio, django_capture_on_commit_callbacks)
    week.update(value=3)
    refresh(portfolio, django_capture_on_commit_callbacks)
    assert list(Signal.objects.order_by("id").values_list("resolved_at", flat=True))[1] is None
    assert Signal.objects.filter(resolved_at__isnull=True).count() == 1
    assert Signal.objects.count() == 2


def test_a_concurrent_open_of_the_same_subject_is_someone_elses_success(low_conversion):
    from django.utils import timezone

    _, _, portfolio = low_conversion
    [finding] = detect(portfolio, today=TODAY)
    now = timezone.now()
    assert services._open(portfolio.id, finding, now) is not None
    assert services._open(portfolio.id, finding, now) is None  # the other worker's: the unique open constraint
    assert Signal.objects.count() == 1
    assert DomainEvent.objects.filter(verb="signal.opened").count() == 1


def test_a_refresh_of_some_products_resolves_only_theirs(low_conversion, django_capture_on_commit_callbacks):
    campaign, kpis, portfolio = low_conversion
    other, other_kpis = campaign_case(product=ProductFactory(portfolio=portfolio, name="Other"))
    refresh(portfolio, django_capture_on_commit_callbacks)
    kpis["conversion"].rollups.update(value=5)
    other_kpis["conversion"].rollups.update(value=5)
    assert refresh(portfolio, django_capture_on_commit_callbacks, product_ids=[campaign.product_id])["resolved"] == 1
    assert Signal.objects.get(campaign=other).resolved_at is None


def test_refresh_products_groups_them_by_portfolio(low_conversion, django_capture_on_commit_callbacks, monkeypatch):
    campaign, _, portfolio = low_conversion
    product, _, _ = move_case()
    calls = []
    monkeypatch.setattr(services, "signals_refresh", lambda **kw: calls.append(kw) or {"opened": 1})
    services.signals_refresh_products(product_ids=[product.id, campaign.product_id])
    assert sorted((c["portfolio_id"], c["product_ids"]) for c in calls) == sorted(
        [(portfolio.id, [campaign.product_id]), (product.portfolio_id, [product.id])]
    )


def test_refresh_all_goes_on_after_a_portfolio_fails(low_conversion, monkeypatch, django_capture_on_commit_callbacks):
    _, _, portfolio = low_conversion
    broken = ProductFactory().portfolio
    real = services.signals_refresh

    def flaky(*, portfolio_id, today=None):
        if portfolio_id == broken.id:
            raise RuntimeError("bad data")
        return real(portfolio_id=portfolio_id, today=TODAY)

    monkeypatch.setattr(services, "signals_refresh", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.signals_refresh_all()["opened"] == 1


def test_a_missing_portfolio_does_nothing():
    assert services.signals_refresh(portfolio_id=987654, today=TODAY) == {"opened": 0, "refreshed": 0, "resolved": 0}


def test_a_deleted_campaign_resolves_its_signal(low_conversion, django_capture_on_commit_callbacks):
    campaign, _, portfolio = low_conversion
    refresh(portfolio, django_capture_on_commit_callbacks)
    campaign.kpis.all().delete()
    campaign.delete()
    assert refresh(portfolio, django_capture_on_commit_callbacks)["resolved"] == 1


# --- what asks for detection ------------------------------------------------------------------------------


def test_a_rollup_recompute_asks_for_the_signals_of_the_products_touched(
    low_conversion, django_capture_on_commit_callbacks, monkeypatch
):
    from kpis.services import measurements_ingest

    campaign, kpis, _ = low_conversion
    asked = []
    monkeypatch.setattr(services, "signals_refresh_products", lambda *, product_ids: asked.append(product_ids) or {})
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpis["traffic"].id, items=[{"observed_at": "2026-03-10T10:00:00Z", "value": "5"}])
    assert asked == [[campaign.product_id]]


def test_a_changed_campaign_asks_for_the_portfolios_signals(
    low_conversion, django_capture_on_commit_callbacks, monkeypatch
):
    from gtm.services.campaigns import campaign_update

    campaign, _, portfolio = low_conversion
    asked = []
    monkeypatch.setattr(services, "signals_refresh", lambda *, portfolio_id, **kw: asked.append(portfolio_id) or {})
    with django_capture_on_commit_callbacks(execute=True):
        campaign_update(campaign_id=campaign.id, status="cancelled")
    assert asked == [portfolio.id]


def test_a_new_competitor_move_asks_for_the_portfolios_signals(django_capture_on_commit_callbacks, monkeypatch):
    from products.services.market import competitor_move_create
    from tests.factories import CompetitorFactory

    product, _, move = move_case()
    asked = []
    monkeypatch.setattr(services, "signals_refresh", lambda *, portfolio_id, **kw: asked.append(portfolio_id) or {})
    with django_capture_on_commit_callbacks(execute=True):
        competitor_move_create(
            competitor=CompetitorFactory(portfolio=product.portfolio),
            kind="launch",
            happened_on=TODAY - timedelta(days=1),
            description="A free tier",
            products=[product],
        )
    assert asked == [product.portfolio_id]


def test_the_beat_runs_every_portfolio(settings):
    assert settings.CELERY_BEAT_SCHEDULE["detect-signals"]["task"] == "kpis.tasks.signals_detect_all"


def test_the_tasks_call_the_services(monkeypatch):
    from kpis import tasks

    monkeypatch.setattr(services, "signals_refresh_all", lambda: {"opened": 2})
    monkeypatch.setattr(services, "signals_refresh", lambda *, portfolio_id: {"opened": portfolio_id})
    monkeypatch.setattr(services, "signals_refresh_products", lambda *, product_ids: {"opened": len(product_ids)})
    assert tasks.signals_detect_all.apply().get() == {"opened": 2}
    assert tasks.signals_detect_portfolio.apply(args=[7]).get() == {"opened": 7}
    assert tasks.signals_detect_products.apply(args=[[1, 2]]).get() == {"opened": 2}


def test_a_finding_is_keyed_by_kind_and_subject():
    finding = Finding(kind="k", subject_key="s", product_id=1, message="m", evidence={})
    assert finding.key == ("k", "s")


def test_off_track_after_a_move_opens_and_resolves(django_capture_on_commit_callbacks):
    product, kpi, move = move_case()
    refresh(product.portfolio, django_capture_on_commit_callbacks)
    signal = Signal.objects.get()
    assert (signal.competitor_move, signal.kpi) == (move, kpi)
    rollups(kpi, weeks_back(0), [100])  # a week in progress changes nothing
    kpi.health = "on_track"
    kpi.save()
    assert refresh(product.portfolio, django_capture_on_commit_callbacks)["resolved"] == 1
