"""The demo's webhooks: two hooks on loopback receivers, a delivery log of the portfolio's latest events,
one hook disabled with its admins told; idempotent; nothing sent."""

import datetime

import pytest
from django.utils import timezone

from products import events, webhook_delivery
from products.demo_webhooks import seed_webhooks
from products.models import Notification, Role, Webhook, WebhookDelivery
from tests.factories import MembershipFactory, PortfolioFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    portfolio = PortfolioFactory()
    product = ProductFactory(portfolio=portfolio, name="Insight Hub")
    for index in range(5):
        events.record(
            portfolio_id=portfolio.id,
            actor=None,
            verb="product.stage_changed",
            obj=product,
            changes={"stage": ["growth", "maturity"]},
            data={"reason": f"move {index}"},
        )
    events.record(
        portfolio_id=portfolio.id,
        actor=None,
        verb="kpi.health_changed",
        object_type="kpi",
        object_id=1,
        object_repr="Revenue",
        changes={"health": ["on_track", "off_track"]},
        data={"product": product.id, "product_name": product.name, "name": "Revenue"},
    )
    return portfolio


@pytest.fixture
def admin(portfolio):
    user = UserFactory(username="demo")
    MembershipFactory(user=user, portfolio=portfolio, role=Role.ADMIN)
    return user


def test_the_demo_writes_two_hooks_with_their_logs_once(portfolio, admin, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE = False  # the demo's loopback receivers are saved anyway; no DNS, no send
    monkeypatch.setattr(webhook_delivery, "post", lambda *a, **k: pytest.fail("the demo sent something"))
    counts = seed_webhooks(portfolio=portfolio, actor=admin, today=datetime.date(2026, 3, 2))
    assert counts == {"webhooks": 2, "deliveries": WebhookDelivery.objects.count()}
    crm, analytics = Webhook.objects.order_by("id")
    assert crm.is_active and crm.url.startswith("http://127.0.0.1:")
    assert not analytics.is_active and "503" in analytics.disabled_reason
    statuses = sorted(crm.deliveries.values_list("status", flat=True))
    assert set(statuses) == {"delivered", "failed", "pending"}
    retrying = crm.deliveries.get(status="pending")
    assert retrying.attempts == 2 and retrying.next_attempt_at > timezone.now()
    assert analytics.deliveries.filter(status="failed", attempts=8).exists()
    assert Notification.objects.filter(kind="webhook_disabled", user=admin).exists()
    assert seed_webhooks(portfolio=portfolio, actor=admin, today=datetime.date(2026, 3, 2)) == {}
    assert Webhook.objects.count() == 2
