"""Webhooks: hooks (create, change, validation), deliveries from the domain events, one try at a time,
retries with backoff, disabling after the limit with the admins told. The network is a fake here
(`webhook_delivery.post` replaced); tests/products/test_webhooks_transport.py uses a real local server."""

import datetime
import json

import pytest
from django.utils import timezone

from pmflow.errors import InvalidInput, NotFound
from products import events, webhook_delivery
from products.models import DomainEvent, Notification, Role, Stage, Webhook, WebhookDelivery
from products.services import product_transition
from products.services import webhooks as services
from products.webhook_delivery import Outcome, verify_signature
from tests.factories import (
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    StageSuggestionFactory,
    UserFactory,
    WebhookDeliveryFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db

PENDING, DELIVERED, FAILED = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.DELIVERED,
                              WebhookDelivery.Status.FAILED)  # fmt: skip


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_MAX_ATTEMPTS = 8
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 60
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 3600


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def admin(portfolio):
    user = UserFactory(username="ada")
    MembershipFactory(user=user, portfolio=portfolio, role=Role.ADMIN)
    return user


@pytest.fixture
def hook(portfolio, admin):
    return services.webhook_create(
        portfolio=portfolio,
        url="https://93.184.216.34/pmflow",
        events=["product.stage_changed", "release.shipped"],
        description="CRM sync",
        actor=admin,
    )


class FakeReceiver:
    """Stands in for the network: answers with the queued outcomes, records what was sent."""

    def __init__(self):
        self.answers: list[Outcome] = []
        self.sent: list[dict] = []

    def __call__(self, url, body, headers, *, timeout=None):
        self.sent.append({"url": url, "body": body, "headers": headers})
        return self.answers.pop(0) if self.answers else Outcome(ok=True, status_code=200)


@pytest.fixture
def receiver(monkeypatch):
    fake = FakeReceiver()
    monkeypatch.setattr(webhook_delivery, "post", fake)
    return fake


def _due(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def _move(product, django_capture_on_commit_callbacks, to=Stage.PLANNING, actor=None):
    with django_capture_on_commit_callbacks(execute=True):
        return product_transition(
            product_id=product.id, to_stage=to, reason="Interviews done", actor=actor, gated=False
        )


# --- hooks ------------------------------------------------------------------------------------------


def test_create_generates_a_secret_and_keeps_the_events_in_the_contracts_order(hook):
    assert hook.secret.startswith("whsec_") and len(hook.secret) > 40
    assert hook.events == ["product.stage_changed", "release.shipped"]
    assert hook.is_active


def test_create_keeps_a_secret_that_is_given(portfolio, admin):
    made = services.webhook_create(
        portfolio=portfolio, url="https://93.184.216.34/x", events=["import.finished"], secret="s" * 16, actor=admin
    )
    assert made.secret == "s" * 16


def test_create_records_an_event_without_the_path_or_the_secret(hook):
    event = DomainEvent.objects.get(verb="webhook.created", object_id=hook.id)
    text = json.dumps([event.object_repr, event.changes, event.data])
    assert "pmflow" not in text.replace("https://93.184.216.34/…", "")
    assert hook.secret not in text
    assert event.object_repr == "CRM sync"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"url": "https://127.0.0.1/hook"}, "url"),
        ({"url": "ftp://93.184.216.34/"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["product.created"]}, "events"),
        ({"events": "product.stage_changed"}, "events"),
        ({"secret": "short"}, "secret"),
        ({"secret": "with spaces in it, sixteen+"}, "secret"),
        ({"description": "x" * 201}, "description"),
        ({"description": "nul\x00"}, "description"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_writes_nothing(portfolio, admin, changes, field):
    values = {"url": "https://93.184.216.34/pmflow", "events": ["release.shipped"], **changes}
    before = DomainEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.webhook_create(portfolio=portfolio, actor=admin, **values)
    assert field in refused.value.fields
    assert Webhook.objects.count() == 0 and DomainEvent.objects.count() == before


def test_update_refuses_a_private_address_and_changes_nothing(hook, admin):
    with pytest.raises(InvalidInput) as refused:
        services.webhook_update(webhook_id=hook.id, url="https://169.254.169.254/latest", actor=admin)
    assert "link-local" in refused.value.fields["url"]
    hook.refresh_from_db()
    assert hook.url == "https://93.184.216.34/pmflow"


def test_update_records_the_changes_with_the_host_only(hook, admin):
    services.webhook_update(
        webhook_id=hook.id, url="https://93.184.216.35/other?token=t0ps3cret", events=["import.finished"], actor=admin
    )
    event = DomainEvent.objects.filter(verb="webhook.updated").latest("id")
    assert event.changes["url"] == ["https://93.184.216.34/…", "https://93.184.216.35/…"]
    assert event.changes["events"] == [["product.stage_changed", "release.shipped"], ["import.finished"]]
    assert "t0ps3cret" not in json.dumps(event.changes)


def test_an_update_that_changes_nothing_records_nothing(hook, admin):
    before = DomainEvent.objects.count()
    services.webhook_update(webhook_id=hook.id, events=["release.shipped", "product.stage_changed"], actor=admin)
    assert DomainEvent.objects.count() == before


def test_rotating_the_secret_makes_a_new_one_and_records_it_without_it(hook, admin):
    old = hook.secret
    rotated = services.webhook_rotate_secret(webhook_id=hook.id, actor=admin)
    assert rotated.secret != old and Webhook.objects.get(pk=hook.id).secret == rotated.secret
    event = DomainEvent.objects.get(verb="webhook.secret_rotated")
    assert rotated.secret not in json.dumps([event.changes, event.data])


def test_delete_removes_the_hook_with_its_log(hook, admin):
    WebhookDeliveryFactory(webhook=hook)
    assert services.webhook_delete(webhook_id=hook.id, actor=admin) == "CRM sync"
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()
    with pytest.raises(NotFound):
        services.webhook_delete(webhook_id=hook.id, actor=admin)


# --- deliveries from the domain events --------------------------------------------------------------


def test_a_stage_change_writes_one_signed_payload_per_subscribed_hook(
    hook, portfolio, admin, django_capture_on_commit_callbacks
):
    product = ProductFactory(portfolio=portfolio, stage=Stage.RESEARCH, name="Nebula")
    other = WebhookFactory(portfolio=portfolio, events=["release.shipped"])  # not subscribed
    WebhookFactory(portfolio=portfolio, events=["product.stage_changed"], is_active=False)  # paused
    WebhookFactory(events=["product.stage_changed"])  # another portfolio's
    move = _move(product, django_capture_on_commit_callbacks, actor=admin)
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook_id == hook.id and delivery.status == PENDING and delivery.attempts == 0
    event = DomainEvent.objects.get(verb="product.stage_changed")
    assert delivery.domain_event_id == event.id
    assert delivery.payload == {
        "event": "product.stage_changed",
        "id": event.id,
        "created_at": event.at.isoformat(),
        "portfolio": portfolio.id,
        "data": {
            "product": {"id": product.id, "name": "Nebula"},
            "from_stage": "research",
            "to_stage": "planning",
            "reason": "Interviews done",
            "override": False,
            "transition": move.id,
            "rule": None,
            "actor": "ada",
        },
    }
    assert not WebhookDelivery.objects.filter(webhook=other).exists()


def test_the_handler_run_twice_writes_one_delivery(hook, portfolio, django_capture_on_commit_callbacks):
    product = ProductFactory(portfolio=portfolio, stage=Stage.RESEARCH)
    _move(product, django_capture_on_commit_callbacks)
    event = DomainEvent.objects.get(verb="product.stage_changed")
    DomainEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    assert events.dispatch(event.id)  # the relay, again
    assert services.deliveries_for_event(event) == 0
    assert WebhookDelivery.objects.filter(domain_event=event).count() == 1


def test_without_a_broker_nothing_is_sent_from_the_request(
    hook, portfolio, receiver, django_capture_on_commit_callbacks
):
    _move(ProductFactory(portfolio=portfolio, stage=Stage.RESEARCH), django_capture_on_commit_callbacks)
    assert receiver.sent == []
    assert WebhookDelivery.objects.get().status == PENDING


def test_a_suggestion_payload_names_the_product_stages_and_evidence(portfolio, admin):
    hook = WebhookFactory(portfolio=portfolio, events=["stage_suggestion.created"])
    suggestion = StageSuggestionFactory(
        product__portfolio=portfolio, product__name="Nova", to_stage="planning", evidence={"release": {"id": 4}}
    )
    event = events.record(
        portfolio_id=portfolio.id, actor=None, verb="stage_suggestion.created", obj=suggestion, data={}
    )
    assert services.deliveries_for_event(event) == 1
    data = WebhookDelivery.objects.get(webhook=hook).payload["data"]
    assert data["suggestion"] == suggestion.id and data["product"]["name"] == "Nova"
    assert (data["from_stage"], data["to_stage"], data["evidence"]) == (
        suggestion.from_stage,
        "planning",
        {"release": {"id": 4}},
    )


def test_a_health_change_payload_says_from_and_to(portfolio):
    WebhookFactory(portfolio=portfolio, events=["kpi.health_changed"])
    product = ProductFactory(portfolio=portfolio)
    event = events.record(
        portfolio_id=portfolio.id,
        actor=None,
        verb="kpi.health_changed",
        object_type="kpi",
        object_id=5,
        object_repr="Revenue",
        changes={"health": ["on_track", "off_track"]},
        data={"product": product.id, "product_name": product.name, "key": "revenue", "name": "Revenue", "value": 80.0},
    )
    services.deliveries_for_event(event)
    data = WebhookDelivery.objects.get().payload["data"]
    assert data["kpi"] == {"id": 5, "key": "revenue", "name": "Revenue"}
    assert (data["from_health"], data["to_health"], data["value"]) == ("on_track", "off_track", 80.0)
    assert data["product"] == {"id": product.id, "name": product.name}


def test_other_verbs_write_no_delivery(hook, portfolio):
    event = events.record(portfolio_id=portfolio.id, actor=None, verb="product.updated", obj=hook, data={})
    assert services.deliveries_for_event(event) == 0


# --- one try ----------------------------------------------------------------------------------------


@pytest.fixture
def delivery(hook):
    return WebhookDeliveryFactory(
        webhook=hook,
        event="release.shipped",
        payload={"event": "release.shipped", "id": 99, "created_at": "2026-03-02T10:00:00+00:00", "portfolio": 1,
                 "data": {"release": {"id": 1}}},
        next_attempt_at=timezone.now(),
    )  # fmt: skip


def test_a_delivered_try_is_signed_as_the_contract_says(delivery, hook, receiver):
    done = services.delivery_attempt(delivery_id=delivery.id)
    assert (done.status, done.attempts, done.status_code, done.next_attempt_at) == (DELIVERED, 1, 200, None)
    sent = receiver.sent[0]
    assert sent["url"] == hook.url
    assert json.loads(sent["body"]) == delivery.payload
    assert verify_signature(hook.secret, sent["headers"]["X-Pmflow-Signature"], sent["body"])
    assert sent["headers"]["X-Pmflow-Event"] == "release.shipped"
    assert sent["headers"]["Content-Type"] == "application/json"


def test_a_delivered_try_ends_the_hooks_run_of_failures(delivery, hook, receiver):
    Webhook.objects.filter(pk=hook.pk).update(consecutive_failures=3)
    services.delivery_attempt(delivery_id=delivery.id)
    assert Webhook.objects.get(pk=hook.pk).consecutive_failures == 0


def test_a_try_not_due_or_done_is_not_made(delivery, receiver):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    assert services.delivery_attempt(delivery_id=delivery.id) is None
    _due(delivery)
    services.delivery_attempt(delivery_id=delivery.id)
    assert services.delivery_attempt(delivery_id=delivery.id) is None  # delivered already
    assert len(receiver.sent) == 1


def test_a_5xx_is_retried_with_a_growing_wait(delivery, receiver, monkeypatch):
    monkeypatch.setattr(services.random, "uniform", lambda a, b: 1.0)
    waits = []
    for attempt in range(1, 5):
        receiver.answers.append(Outcome(ok=False, status_code=503, error="The receiver answered 503.", retry=True))
        before = timezone.now()
        row = services.delivery_attempt(delivery_id=delivery.id)
        assert (row.status, row.attempts, row.status_code) == (PENDING, attempt, 503)
        waits.append(round((row.next_attempt_at - before).total_seconds()))
        _due(delivery)
    assert waits == [60, 120, 240, 480]


def test_the_wait_is_jittered_and_capped(settings):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 60
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 1800
    for attempts, most in [(1, 60), (2, 120), (5, 960), (6, 1800), (7, 1800), (12, 1800)]:
        waits = [services.backoff_seconds(attempts) for _ in range(50)]
        assert all(0.75 * most <= wait <= most for wait in waits), (attempts, min(waits), max(waits))
    assert services.backoff_seconds(1, retry_after=600) == 600
    assert services.backoff_seconds(1, retry_after=99999) == 1800


def test_a_network_error_is_retried(delivery, receiver):
    receiver.answers.append(Outcome(ok=False, error="Connection refused: nothing listens there.", retry=True))
    row = services.delivery_attempt(delivery_id=delivery.id)
    assert (row.status, row.status_code, row.error) == (PENDING, None, "Connection refused: nothing listens there.")
    assert row.next_attempt_at > timezone.now()


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_a_4xx_is_not_retried(delivery, hook, receiver, code):
    receiver.answers.append(Outcome(ok=False, status_code=code, error=f"The receiver answered {code}."))
    row = services.delivery_attempt(delivery_id=delivery.id)
    assert (row.status, row.attempts, row.next_attempt_at) == (FAILED, 1, None)
    hook.refresh_from_db()
    assert hook.is_active and hook.consecutive_failures == 1


def test_after_the_last_try_fails_the_hook_is_disabled_and_its_admins_told(
    delivery, hook, portfolio, admin, receiver, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    manager = UserFactory()
    MembershipFactory(user=manager, portfolio=portfolio, role=Role.PRODUCT_MANAGER)
    for _ in range(3):
        receiver.answers.append(Outcome(ok=False, status_code=500, error="The receiver answered 500: boom", retry=True))
        row = services.delivery_attempt(delivery_id=delivery.id)
        _due(delivery)
    assert (row.status, row.attempts, row.next_attempt_at) == (FAILED, 3, None)
    hook.refresh_from_db()
    assert not hook.is_active and hook.disabled_at is not None
    assert "3 tries to deliver release.shipped" in hook.disabled_reason and "boom" in hook.disabled_reason
    told = Notification.objects.get(kind=Notification.Kind.WEBHOOK_DISABLED)
    assert told.user == admin and told.url == f"/webhooks/{hook.id}/"
    assert "CRM sync" in told.title
    assert DomainEvent.objects.filter(verb="webhook.disabled", object_id=hook.id, actor=None).exists()


def test_a_disabled_hooks_deliveries_wait_and_go_when_it_is_enabled_again(hook, admin, receiver):
    waiting = WebhookDeliveryFactory(webhook=hook, next_attempt_at=timezone.now())
    Webhook.objects.filter(pk=hook.pk).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason="8 tries failed", consecutive_failures=8
    )
    assert services.delivery_attempt(delivery_id=waiting.id) is None
    assert list(services.deliveries_due()) == []
    services.webhook_enable(webhook_id=hook.id, actor=admin)
    hook.refresh_from_db()
    assert (hook.is_active, hook.disabled_at, hook.disabled_reason, hook.consecutive_failures) == (True, None, "", 0)
    assert services.delivery_attempt(delivery_id=waiting.id).status == DELIVERED
    assert DomainEvent.objects.filter(verb="webhook.enabled", actor=admin).exists()


def test_410_gone_disables_the_hook_at_once(delivery, hook, receiver):
    receiver.answers.append(Outcome(ok=False, status_code=410, error="The receiver answered 410.", gone=True))
    services.delivery_attempt(delivery_id=delivery.id)
    hook.refresh_from_db()
    assert not hook.is_active and "410 Gone" in hook.disabled_reason


def test_a_test_event_is_tried_once_and_leaves_the_hook_as_it_was(hook, admin, receiver):
    test = services.webhook_test(webhook_id=hook.id, actor=admin)
    assert test.payload["data"]["test"] is True and test.payload["event"] == "webhook.test"
    assert test.payload["id"] == DomainEvent.objects.get(verb="webhook.tested").id
    receiver.answers.append(Outcome(ok=False, status_code=503, error="The receiver answered 503.", retry=True))
    row = services.delivery_attempt(delivery_id=test.id)
    assert (row.status, row.attempts) == (FAILED, 1)
    hook.refresh_from_db()
    assert hook.is_active and hook.consecutive_failures == 0


def test_a_test_event_goes_to_a_disabled_hook_too(hook, admin, receiver):
    Webhook.objects.filter(pk=hook.pk).update(is_active=False, disabled_at=timezone.now())
    test = services.webhook_test(webhook_id=hook.id, actor=admin)
    assert services.delivery_attempt(delivery_id=test.id).status == DELIVERED


def test_a_second_claim_of_the_same_try_does_nothing(delivery, receiver, monkeypatch):
    """The claim counts the try and leases it: a second worker (or a task run twice) finds it not due."""
    calls = []

    def slow_receiver(url, body, headers, *, timeout=None):
        calls.append(1)
        assert services.delivery_attempt(delivery_id=delivery.id) is None  # another worker, meanwhile
        return Outcome(ok=True, status_code=204)

    monkeypatch.setattr(webhook_delivery, "post", slow_receiver)
    assert services.delivery_attempt(delivery_id=delivery.id).status == DELIVERED
    assert calls == [1]


def test_the_error_is_kept_short(delivery, receiver):
    receiver.answers.append(Outcome(ok=False, status_code=500, error="x" * 5000, retry=True))
    assert len(services.delivery_attempt(delivery_id=delivery.id).error) == services.ERROR_MAX


# --- the sweep --------------------------------------------------------------------------------------


def test_the_sweep_hands_over_what_is_due_and_forgets_old_deliveries(hook, monkeypatch):
    old = timezone.now() - datetime.timedelta(days=40)
    WebhookDeliveryFactory(webhook=hook, status=DELIVERED, created_at=old)
    kept = WebhookDeliveryFactory(webhook=hook, status=FAILED, created_at=timezone.now() - datetime.timedelta(days=2))
    due = WebhookDeliveryFactory(webhook=hook, next_attempt_at=timezone.now() - datetime.timedelta(minutes=2))
    WebhookDeliveryFactory(webhook=hook, next_attempt_at=timezone.now() + datetime.timedelta(minutes=2))
    handed = []
    monkeypatch.setattr(services, "hand_over", lambda ids, countdown=None: handed.extend(ids))
    assert services.deliveries_sweep() == 1
    assert handed == [due.id]
    assert set(WebhookDelivery.objects.filter(status__in=[DELIVERED, FAILED]).values_list("id", flat=True)) == {kept.id}


def test_send_due_makes_the_tries_here(hook, receiver):
    for _ in range(3):
        WebhookDeliveryFactory(webhook=hook, next_attempt_at=timezone.now() - datetime.timedelta(seconds=5))
    assert services.deliveries_send_due() == 3
    assert WebhookDelivery.objects.filter(status=DELIVERED).count() == 3
