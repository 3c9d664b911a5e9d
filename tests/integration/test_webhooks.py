"""Webhooks end to end: a real Celery worker on Redis and PostgreSQL POSTs to a receiver on 127.0.0.1
(WEBHOOK_ALLOW_PRIVATE on, for the worker and this process). A product's move reaches the receiver, which
verifies the signature with the secret the API returned once; a receiver answering 500 sees every try
(the same payload each time) until the limit, after which the hook is disabled and its admin told.
The backoff is a few hundredths of a second here so the test ends in seconds."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from products.models import Notification, Role, Stage
from products.services import product_transition
from products.webhook_delivery import verify_signature
from tests.factories import MembershipFactory, ProductFactory, UserFactory
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

MAX_ATTEMPTS = 8


class Receiver(BaseHTTPRequestHandler):
    status = 200
    received: list = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.received.append({"headers": dict(self.headers), "body": body})
        self.send_response(Receiver.status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver():
    Receiver.status, Receiver.received = 200, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/pmflow-hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def hook_settings(monkeypatch, settings):
    """The worker reads these from its environment; this process from its settings."""
    values = {
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "WEBHOOK_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "WEBHOOK_BACKOFF_BASE_SECONDS": "0.02",
        "WEBHOOK_BACKOFF_MAX_SECONDS": "0.2",
        "WEBHOOK_TIMEOUT_SECONDS": "5",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_MAX_ATTEMPTS = MAX_ATTEMPTS


@pytest.fixture
def worker(hook_settings, celery_worker_process):
    """The worker, started after the environment says how webhooks behave."""
    return celery_worker_process


@pytest.fixture
def admin_and_product(transactional_db):
    product = ProductFactory(stage=Stage.RESEARCH, name="Nebula")
    admin = UserFactory()
    MembershipFactory(user=admin, portfolio=product.portfolio, role=Role.ADMIN)
    return admin, product


def _register(api_client, admin, product, url) -> dict:
    api_client.force_authenticate(admin)
    response = api_client.post(
        "/api/v1/webhooks/",
        {"portfolio": product.portfolio_id, "url": url, "events": ["product.stage_changed"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_move_reaches_the_receiver_signed(worker, receiver, admin_and_product, api_client):
    admin, product = admin_and_product
    hook = _register(api_client, admin, product, receiver)
    product_transition(product_id=product.id, to_stage=Stage.PLANNING, reason="Research done", actor=admin, gated=False)

    wait_until(lambda: Receiver.received, timeout=60)
    got = Receiver.received[0]
    assert verify_signature(hook["secret"], got["headers"]["X-Pmflow-Signature"], got["body"])
    payload = json.loads(got["body"])
    assert payload["event"] == "product.stage_changed" and payload["portfolio"] == product.portfolio_id
    assert payload["data"]["product"] == {"id": product.id, "name": "Nebula"}
    assert (payload["data"]["from_stage"], payload["data"]["to_stage"]) == ("research", "planning")

    def delivered():
        rows = api_client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
        return rows if rows and rows[0]["status"] == "delivered" else None

    row = wait_until(delivered)[0]
    assert (row["status_code"], row["attempts"], row["error"]) == (200, 1, "")
    assert len(Receiver.received) == 1


def test_a_failing_receiver_sees_every_try_then_the_hook_is_disabled(worker, receiver, admin_and_product, api_client):
    admin, product = admin_and_product
    Receiver.status = 500
    hook = _register(api_client, admin, product, receiver)
    product_transition(product_id=product.id, to_stage=Stage.PLANNING, reason="Research done", actor=admin, gated=False)

    def disabled():
        body = api_client.get(f"/api/v1/webhooks/{hook['id']}/").json()
        return body if not body["is_active"] else None

    body = wait_until(disabled, timeout=90)
    assert f"{MAX_ATTEMPTS} tries to deliver product.stage_changed" in body["disabled_reason"]
    assert body["consecutive_failures"] == MAX_ATTEMPTS
    row = api_client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"][0]
    assert (row["status"], row["attempts"], row["status_code"]) == ("failed", MAX_ATTEMPTS, 500)
    assert len(Receiver.received) == MAX_ATTEMPTS
    ids = {json.loads(got["body"])["id"] for got in Receiver.received}
    assert len(ids) == 1  # the same event id on every try: receivers de-duplicate on it
    assert all(
        verify_signature(hook["secret"], got["headers"]["X-Pmflow-Signature"], got["body"]) for got in Receiver.received
    )
    assert Notification.objects.filter(user=admin, kind=Notification.Kind.WEBHOOK_DISABLED).exists()


def test_two_workers_at_once_send_a_try_once(transactional_db, monkeypatch):
    """Two workers take the same due delivery at the same moment: the row lock (skip locked) and the claim
    let one of them send it; the other finds nothing to do."""
    from django.db import connection
    from django.utils import timezone

    from products import webhook_delivery
    from products.services import webhooks as services
    from products.webhook_delivery import Outcome
    from tests.factories import WebhookDeliveryFactory, WebhookFactory

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(), next_attempt_at=timezone.now())
    sent, start = [], threading.Barrier(2)

    def slow_receiver(url, body, headers, *, timeout=None):
        sent.append(body)
        threading.Event().wait(0.5)  # the other worker tries meanwhile
        return Outcome(ok=True, status_code=204)

    monkeypatch.setattr(webhook_delivery, "post", slow_receiver)
    results = []

    def worker_run():
        from django.db import connection as own

        try:
            start.wait()
            results.append(services.delivery_attempt(delivery_id=delivery.id))
        finally:
            own.close()

    threads = [threading.Thread(target=worker_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(sent) == 1
    assert sorted(r is None for r in results) == [False, True]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
