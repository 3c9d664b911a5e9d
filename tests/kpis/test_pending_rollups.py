"""Rollup work is recorded with the data it derives from (kpis.PendingRollup), so neither a broker
that is down nor a worker that dies loses it: the recompute removes what it did, the sweep hands over
what waited too long, and the verification repairs rollups that drifted from their measurements."""

import logging
import time
from datetime import date, timedelta

import pytest
from django.utils import timezone

from kpis.models import PendingRollup, Rollup
from kpis.services import measurements_ingest, rollups_recompute, rollups_sweep, rollups_verify
from pmflow import celery as pmflow_celery
from products.models import DomainEvent, LifecycleRule, Role
from tests.factories import member

pytestmark = pytest.mark.django_db

APRIL_2 = [{"observed_at": "2026-04-02T12:00:00+02:00", "value": 5}]


def _day_value(kpi, day):
    return Rollup.objects.filter(kpi=kpi, granularity="day", period_start=day).values_list("value", flat=True).first()


def _new_pool(app) -> None:
    """Connections are pooled per broker URL when first used: use the pool of the current one."""
    app._pool = None
    app.amqp._producer_pool = None  # kombu keeps a pool per broker URL (even eager tasks acquire one)


@pytest.fixture
def broker_down(settings):
    """A real broker URL on which nothing listens: publishing fails as it does when Redis is down."""
    app = pmflow_celery.app
    before = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # the discard port: connection refused
    _new_pool(app)
    pmflow_celery._broker_paused_until = 0.0
    yield
    app.conf.task_always_eager, app.conf.broker_url = before
    _new_pool(app)
    pmflow_celery._broker_paused_until = 0.0


def test_an_ingest_records_its_rollup_work_in_its_own_transaction(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        measurements_ingest(kpi_id=world.kpi.id, items=APRIL_2)
    rows = PendingRollup.objects.filter(kpi=world.kpi).values_list("first_day", "last_day")
    assert list(rows) == [(date(2026, 4, 2), date(2026, 4, 2))]


def test_the_recompute_after_commit_does_the_work_and_removes_its_record(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=world.kpi.id, items=APRIL_2)
    assert (_day_value(world.kpi, date(2026, 4, 2)), PendingRollup.objects.count()) == (5, 0)


def test_a_second_delivery_of_a_recompute_finds_nothing_to_do(world):
    assert rollups_recompute(kpi_id=world.kpi.id) == 0


def test_the_work_of_several_writes_is_done_by_one_recompute(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        measurements_ingest(kpi_id=world.kpi.id, items=APRIL_2)
        measurements_ingest(kpi_id=world.kpi.id, items=[{"observed_at": "2026-05-20", "value": 7}])
    assert rollups_recompute(kpi_id=world.kpi.id) == 2
    assert (_day_value(world.kpi, date(2026, 4, 2)), _day_value(world.kpi, date(2026, 5, 20))) == (5, 7)


def test_a_measurement_post_answers_201_while_the_broker_is_down(world, api_client, broker_down):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    response = api_client.post(f"/api/v1/kpis/{world.kpi.id}/measurements/", APRIL_2, format="json")
    assert response.status_code == 201, response.content
    assert PendingRollup.objects.filter(kpi=world.kpi).count() == 1


def test_a_lifecycle_rule_write_answers_201_while_the_broker_is_down(world, api_client, broker_down):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    body = {
        "portfolio": world.portfolio.id,
        "name": "Growth on revenue",
        "from_stage": "launch",
        "to_stage": "growth",
        "condition_type": "kpi_threshold",
        "params": {"key": "revenue", "granularity": "month", "comparator": "gte", "value": 100, "periods": 2},
    }
    response = api_client.post("/api/v1/lifecycle-rules/", body, format="json")
    assert response.status_code == 201, response.content
    assert LifecycleRule.objects.filter(name="Growth on revenue").exists()


def test_after_a_failed_publish_requests_stop_trying_the_broker_for_a_while(world, broker_down):
    from kpis.tasks import recompute_rollups

    assert pmflow_celery.enqueue(recompute_rollups, world.kpi.id) is False
    started = time.monotonic()
    assert pmflow_celery.enqueue(recompute_rollups, world.kpi.id) is False
    assert time.monotonic() - started < 0.05


def test_healthz_is_degraded_not_down_while_the_broker_is_down(client, broker_down):
    response = client.get("/healthz")
    body = response.json()
    assert (response.status_code, body["status"], "broker" in body["degraded"]) == (200, "degraded", True)


def test_healthz_is_degraded_when_rollup_work_is_stuck(client, world):
    PendingRollup.objects.create(
        kpi=world.kpi,
        first_day=date(2026, 4, 2),
        last_day=date(2026, 4, 2),
        created_at=timezone.now() - timedelta(hours=1),
    )
    body = client.get("/healthz").json()
    assert (body["status"], body["degraded"], body["backlog"]["pending_rollups"]["rows"]) == (
        "degraded",
        ["backlog"],
        1,
    )


def _pending(kpi, age: timedelta, swept_age: timedelta | None = None) -> PendingRollup:
    now = timezone.now()
    return PendingRollup.objects.create(
        kpi=kpi,
        first_day=date(2026, 3, 1),
        last_day=date(2026, 3, 31),
        created_at=now - age,
        swept_at=now - swept_age if swept_age is not None else None,
    )


def test_the_sweep_hands_over_work_that_waited_too_long(world):
    Rollup.objects.filter(kpi=world.kpi).delete()  # as if the worker died before writing them
    _pending(world.kpi, timedelta(minutes=5))
    assert rollups_sweep(waited=timedelta(minutes=2)) == 1
    assert (_day_value(world.kpi, date(2026, 3, 4)), PendingRollup.objects.count()) == (4, 0)


def test_the_sweep_leaves_fresh_work_to_the_task_already_queued(world):
    _pending(world.kpi, timedelta(seconds=10))
    assert (rollups_sweep(waited=timedelta(minutes=2)), PendingRollup.objects.count()) == (0, 1)


def test_the_sweep_waits_again_before_handing_over_the_same_work(world, broker_down):
    _pending(world.kpi, timedelta(minutes=5))
    rollups_sweep(waited=timedelta(minutes=2))
    pmflow_celery._broker_paused_until = 0.0
    row = PendingRollup.objects.get()
    assert row.swept_at is not None
    assert rollups_sweep(waited=timedelta(minutes=2)) == 0


def test_the_sweep_hands_over_work_swept_long_ago_again(world, broker_down):
    _pending(world.kpi, timedelta(minutes=30), swept_age=timedelta(minutes=10))
    assert PendingRollup.objects.filter(swept_at__lt=timezone.now() - timedelta(minutes=2)).count() == 1
    rollups_sweep(waited=timedelta(minutes=2))
    assert PendingRollup.objects.get().swept_at > timezone.now() - timedelta(minutes=1)


def test_verification_repairs_a_rollup_that_differs_from_its_measurements(world):
    Rollup.objects.filter(kpi=world.kpi, granularity="month").update(value=1, count=1)
    repairs = rollups_verify(kpi_ids=[world.kpi.id])
    month = Rollup.objects.get(kpi=world.kpi, granularity="month", period_start=date(2026, 3, 1))
    assert ([r["rows"] for r in repairs], month.value, month.count) == ([1], 55, 10)


def test_verification_removes_a_rollup_no_measurement_backs(world):
    stray = Rollup.objects.get(kpi=world.kpi, granularity="day", period_start=date(2026, 3, 1))
    stray.pk, stray.period_start = None, date(2025, 1, 1)
    stray.save()
    rollups_verify(kpi_ids=[world.kpi.id])
    assert not Rollup.objects.filter(kpi=world.kpi, period_start=date(2025, 1, 1)).exists()


def test_verification_explains_a_repair_in_the_kpi_history_and_the_log(world, caplog):
    Rollup.objects.filter(kpi=world.kpi, granularity="day", period_start=date(2026, 3, 2)).update(value=99)
    with caplog.at_level(logging.WARNING, logger="kpis.services.derived"):
        rollups_verify(kpi_ids=[world.kpi.id])
    event = DomainEvent.objects.get(verb="kpi.rollups_repaired", object_id=world.kpi.id)
    assert event.data["differences"] == [
        {
            "granularity": "day",
            "period_start": "2026-03-02",
            "stored": {"value": "99", "count": 1},
            "computed": {"value": "2", "count": 1},
        }
    ]
    assert f"KPI {world.kpi.id} (revenue) had 1 wrong rollup row" in caplog.text


def test_verification_changes_nothing_when_the_rollups_are_right(world):
    before = list(Rollup.objects.filter(kpi=world.kpi).values_list("granularity", "period_start", "value", "count"))
    assert rollups_verify(kpi_ids=[world.kpi.id]) == []
    after = list(Rollup.objects.filter(kpi=world.kpi).values_list("granularity", "period_start", "value", "count"))
    assert (after, DomainEvent.objects.filter(verb="kpi.rollups_repaired").count()) == (before, 0)


def test_verification_skips_a_kpi_whose_rollups_are_about_to_be_recomputed(world):
    Rollup.objects.filter(kpi=world.kpi, granularity="month").update(value=1)
    _pending(world.kpi, timedelta(seconds=1))
    assert rollups_verify(kpi_ids=[world.kpi.id]) == []


def test_verification_samples_kpis_when_none_are_named(world):
    Rollup.objects.filter(kpi=world.kpi, granularity="month").update(value=1)
    assert [r["kpi"] for r in rollups_verify(sample=5)] == [world.kpi.id]
