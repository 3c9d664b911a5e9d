"""Domain events: one row per change, in the service's transaction, dispatched after commit."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from kpis import services as kpi_services
from pmflow.errors import InvalidInput
from products import events, services
from products.models import DomainEvent, Role, Stage
from tests.factories import KPIFactory, PortfolioFactory, ProductFactory, ProductLineFactory, member

pytestmark = pytest.mark.django_db


def test_product_update_records_what_changed_and_who():
    product = ProductFactory(name="Old", description="Same")
    actor = member(product.portfolio, Role.PRODUCT_MANAGER)
    services.product_update(product_id=product.id, actor=actor, name="New", description="Same")
    event = DomainEvent.objects.get(verb="product.updated")
    assert (event.actor, event.object_type, event.object_id) == (actor, "product", product.id)
    assert event.changes == {"name": ["Old", "New"]}
    assert event.portfolio_id == product.portfolio_id


def test_an_update_that_changes_nothing_records_nothing():
    product = ProductFactory(name="Same")
    services.product_update(product_id=product.id, name="Same")
    assert not DomainEvent.objects.filter(verb="product.updated").exists()


def test_a_refused_write_records_no_event():
    line = ProductLineFactory(name="Taken")
    with pytest.raises(InvalidInput):
        services.product_line_save(portfolio=line.portfolio, name="Taken")
    assert not DomainEvent.objects.exists()


def test_a_stage_move_records_its_event_at_the_moves_time():
    product = ProductFactory(stage=Stage.RESEARCH)
    at = timezone.now() - timedelta(days=3)
    move = services.product_transition(product_id=product.id, to_stage=Stage.PLANNING, reason="Ready", at=at)
    event = DomainEvent.objects.get(verb="product.stage_changed")
    assert event.at == at and event.changes == {"stage": ["research", "planning"]}
    assert event.data["transition"] == move.id and event.actor is None


def test_a_headline_taken_from_another_kpi_is_recorded_on_both():
    product = ProductFactory()
    old = KPIFactory(product=product, headline=True)
    new = KPIFactory(product=product)
    kpi_services.kpi_save(kpi=new, headline=True)
    changed = {(e.object_id, tuple(e.changes["headline"])) for e in DomainEvent.objects.filter(verb="kpi.updated")}
    assert changed == {(old.id, (True, False)), (new.id, (False, True))}


def test_handlers_run_after_commit_and_mark_the_event_dispatched(django_capture_on_commit_callbacks):
    seen = []
    events.register_handler("product.", lambda event: seen.append(event.verb))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.product_create(portfolio=PortfolioFactory(), name="Hub")
            assert seen == []  # nothing before the commit
        assert seen == ["product.created"]
        assert DomainEvent.objects.get(verb="product.created").dispatched_at is not None
    finally:
        events._handlers[:] = [h for h in events._handlers if h[0] != "product."]


def test_a_failing_handler_leaves_the_event_for_the_relay(django_capture_on_commit_callbacks):
    calls = []

    def flaky(event):
        calls.append(event.id)
        if len(calls) == 1:
            raise ConnectionError("broker down")

    events.register_handler("product_line.", flaky)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            line = services.product_line_save(portfolio=PortfolioFactory(), name="Analytics")
        event = DomainEvent.objects.get(object_type="product_line", object_id=line.id)
        assert event.dispatched_at is None
        assert events.relay_pending(older_than=timedelta(0)) == 1
        event.refresh_from_db()
        assert event.dispatched_at is not None and calls == [event.id, event.id]
    finally:
        events._handlers[:] = [h for h in events._handlers if h[1] is not flaky]


def test_events_roll_back_with_their_transaction():
    portfolio = PortfolioFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.product_line_save(portfolio=portfolio, name="Gone")
        raise RuntimeError
    assert not DomainEvent.objects.exists()


def test_object_type_names_follow_the_audit_api():
    from kpis.models import KPI
    from products.models import LifecycleRule, ProductLine

    assert [events.object_type_of(m) for m in (KPI, LifecycleRule, ProductLine)] == [
        "kpi",
        "lifecycle_rule",
        "product_line",
    ]


def test_measurements_ingest_records_one_event_per_batch():
    kpi = KPIFactory()
    kpi_services.measurements_ingest(
        kpi_id=kpi.id, items=[{"observed_at": "2026-03-01", "value": 1}, {"observed_at": "2026-03-02", "value": 2}]
    )
    event = DomainEvent.objects.get(verb="kpi.measurements_added")
    assert event.data["created"] == 2 and event.data["first"] == "2026-03-01" and event.data["last"] == "2026-03-02"


def test_beat_relays_events_and_rebuilds_rollups():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"products.tasks.events_relay", "kpis.tasks.rebuild_rollups"} <= tasks


def test_relay_task_dispatches_what_is_pending():
    from products.tasks import events_relay

    line = services.product_line_save(portfolio=PortfolioFactory(), name="Left behind")  # on_commit never ran
    DomainEvent.objects.filter(object_id=line.id).update(at=timezone.now() - timedelta(minutes=5))
    assert events_relay() == 1
    assert DomainEvent.objects.get(object_id=line.id).dispatched_at is not None


def test_a_change_of_a_reverse_relation_reads_with_the_related_models_name():
    # An idea's `feedback` is the reverse side of Feedback.ideas: it has no verbose name of its own.
    product = ProductFactory()
    event = DomainEvent.objects.create(
        portfolio=product.portfolio,
        at=timezone.now(),
        verb="idea.updated",
        object_type="idea",
        object_id=1,
        changes={"feedback": [[], [3]]},
    )
    assert events.readable_changes(event)[0][0] == "Feedback"


def test_a_batch_handler_gets_the_matching_events_of_a_dispatch_at_once(django_capture_on_commit_callbacks):
    product = ProductFactory()
    seen = []
    events.register_batch_handler("batch_test.", lambda batch: seen.append([e.verb for e in batch]))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.record_many(
                [
                    {"portfolio_id": product.portfolio_id, "verb": "batch_test.one", "obj": product},
                    {"portfolio_id": product.portfolio_id, "verb": "batch_test.two", "obj": product},
                ]
            )
    finally:
        events._batch_handlers[:] = [h for h in events._batch_handlers if not h[0].startswith("batch_test.")]
    assert seen == [["batch_test.one", "batch_test.two"]]


def test_a_failing_batch_handler_leaves_its_events_for_the_relay(django_capture_on_commit_callbacks):
    product = ProductFactory()

    def broken(batch):
        raise RuntimeError("receiver down")

    events.register_batch_handler("batch_fail.", broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ids = events.record_many([{"portfolio_id": product.portfolio_id, "verb": "batch_fail.x", "obj": product}])
    finally:
        events._batch_handlers[:] = [h for h in events._batch_handlers if not h[0].startswith("batch_fail.")]
    assert DomainEvent.objects.get(pk=ids[0]).dispatched_at is None
