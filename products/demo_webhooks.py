"""The demo portfolio's webhooks: an active hook for the sales CRM with a log of deliveries (most delivered,
one refused by the receiver with a 400, one retrying after the receiver was unreachable) and an old
analytics hook disabled after every try of a delivery failed, its admins told.

Both point at receivers on this machine (127.0.0.1): nothing the demo does, a test event or a re-enabled
hook included, sends anything beyond loopback; outside DEBUG (no WEBHOOK_ALLOW_PRIVATE) the worker
refuses those addresses before connecting. The hooks are made by products.services.webhooks (the address
check at save is skipped: every send checks again); the delivery log is what the worker would have
written for the portfolio's latest events, payloads built by the same service. `seed_webhooks` writes
nothing once the portfolio has a webhook. Run it after the parts whose events it logs (the roadmap's
shipped releases, the go-to-market launches, the imports and the stage moves of seed_demo).
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from products.models import DomainEvent, Portfolio, Webhook, WebhookDelivery
from products.services import webhooks as services

CRM_URL = "http://127.0.0.1:8787/crm/pmflow"
ANALYTICS_URL = "http://127.0.0.1:8788/analytics/events"
CRM_EVENTS = ["product.stage_changed", "launch_plan.launched", "release.shipped"]
ANALYTICS_EVENTS = ["kpi.health_changed", "import.finished", "product.stage_changed"]
Status = WebhookDelivery.Status


def _latest(portfolio: Portfolio, verbs: list[str], count: int) -> list[DomainEvent]:
    return list(
        DomainEvent.objects.filter(portfolio=portfolio, verb__in=verbs)
        .select_related("actor")
        .order_by("-at", "-id")[:count]
    )


def _log(webhook: Webhook, event: DomainEvent, **outcome) -> WebhookDelivery:
    payload = services.payload_for(event)
    return WebhookDelivery.objects.create(
        webhook=webhook, event=event.verb, domain_event=event, payload=payload, created_at=event.at, **outcome
    )


def seed_webhooks(*, portfolio: Portfolio, actor, today: date) -> dict[str, int]:
    """Two hooks and their delivery logs; {} when the portfolio has webhooks already."""
    if Webhook.objects.filter(portfolio=portfolio).exists():
        return {}
    with transaction.atomic():
        crm = services.webhook_create(
            portfolio=portfolio,
            url=CRM_URL,
            events=CRM_EVENTS,
            description="Sales CRM sync",
            actor=actor,
            check_address=False,
        )
        analytics = services.webhook_create(
            portfolio=portfolio,
            url=ANALYTICS_URL,
            events=ANALYTICS_EVENTS,
            description="Old analytics pipeline",
            actor=actor,
            check_address=False,
        )
        deliveries = 0
        crm_events = _latest(portfolio, CRM_EVENTS, 8)
        for index, event in enumerate(crm_events):
            answered = event.at + timedelta(seconds=1)
            if index == 0:  # the newest: the receiver was unreachable twice, the next try is due soon
                _log(
                    crm,
                    event,
                    status=Status.PENDING,
                    attempts=2,
                    error="Connection refused: nothing listens at that address and port.",
                    next_attempt_at=timezone.now() + timedelta(minutes=17),
                )
            elif index == 3:  # the receiver refused this one: not retried
                _log(
                    crm,
                    event,
                    status=Status.FAILED,
                    attempts=1,
                    status_code=400,
                    error='The receiver answered 400: {"error": "unknown stage \'maturity\' for deal mapping"}',
                )
            else:
                _log(crm, event, status=Status.DELIVERED, attempts=1, status_code=200, delivered_at=answered)
            deliveries += 1
        analytics_events = _latest(portfolio, ANALYTICS_EVENTS, 4)
        for index, event in enumerate(analytics_events):
            if index == 0:
                _log(
                    analytics,
                    event,
                    status=Status.FAILED,
                    attempts=8,
                    status_code=503,
                    error="The receiver answered 503: Service Unavailable",
                )
            else:
                _log(
                    analytics,
                    event,
                    status=Status.DELIVERED,
                    attempts=1,
                    status_code=204,
                    delivered_at=event.at + timedelta(seconds=1),
                )
            deliveries += 1
        failed = analytics_events[0] if analytics_events else None
        reason = (
            f"8 tries to deliver {failed.verb} (delivery {analytics.deliveries.order_by('-created_at').first().id}) "
            "failed; the last: The receiver answered 503: Service Unavailable"
            if failed
            else "8 tries to deliver an event failed; the last: The receiver answered 503: Service Unavailable"
        )
        services.webhook_disable(webhook_id=analytics.id, reason=reason)
        Webhook.objects.filter(pk=analytics.pk).update(consecutive_failures=8)
    return {"webhooks": 2, "deliveries": deliveries}
