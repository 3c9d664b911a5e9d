"""Webhooks: admins' subscriptions to the contract's events, and their deliveries (issue 13).

**Hooks.** `webhook_create` / `webhook_update` / `webhook_delete` / `webhook_rotate_secret` /
`webhook_test`, admins only (the callers check). The URL is checked as written and, unless
`WEBHOOK_ALLOW_PRIVATE`, for the addresses it resolves to (products.webhook_delivery); the secret is
generated when not given and shown once. Every change records a domain event (`webhook.created`,
`.updated`, `.deleted`, `.secret_rotated`, `.tested`, `.disabled`, `.enabled`) whose history names the
hook by its description or its host: a hook's path and query often hold the receiver's token, and the
secret never appears anywhere but the creating (or rotating) answer.

**Deliveries.** `deliveries_for_events` (the domain-event batch handler, products.webhook_handlers) writes one
`WebhookDelivery` per active hook of the event's portfolio subscribed to its verb, the payload built
once: `{"event", "id", "created_at", "portfolio", "data"}` where `id` is the domain event's id (the
same for every hook and every try: receivers de-duplicate on it). Unique per hook and domain event, so
the relay running the handler twice writes nothing more. After commit the worker gets one task per
delivery (`products.tasks.webhook_delivery_send`); the beat sweep (`deliveries_sweep`) hands over
whatever is due and was not (a retry waiting longer than a few minutes, a broker outage, a killed
worker). Without a broker (tasks in-process) nothing is sent from a request: deliveries wait for a
worker or for `manage.py webhooks_send`.

**One try** (`delivery_attempt`): the delivery is claimed under its row lock (`skip_locked`: two workers
never send the same try; the claim counts the try and leases it), POSTed signed, and the answer recorded:

- 2xx: delivered; the hook's run of failures ends.
- a network error (no connection, a timeout, TLS), a 5xx, 408 or 429: tried again after
  base × 2^(n−1) seconds (jittered down by up to a quarter, at most the limit; longer when the
  receiver's `Retry-After` asks), at most `WEBHOOK_MAX_ATTEMPTS` tries. The last one failing
  disables the hook and tells its admins (`webhook_disabled`).
- any other 4xx, a redirect (never followed) or an address the guard refuses: failed at once, not
  tried again (the same request gets the same answer); 410 Gone also disables the hook.
- A test event is tried once and changes nothing about the hook.

A disabled or paused hook's pending deliveries wait; re-enabling it (`is_active` back on) makes them
due at once and clears its failures. Delivered and failed deliveries are kept `KEEP_DELIVERIES`.
"""

from __future__ import annotations

import logging
import random
import secrets as secrets_module
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from pmflow import access
from pmflow.errors import InvalidInput, NotAllowed, NotFound
from products import events, webhook_delivery
from products.models import (
    DomainEvent,
    Notification,
    Portfolio,
    Product,
    Role,
    StageSuggestion,
    Webhook,
    WebhookDelivery,
)

log = logging.getLogger(__name__)

# The contract's events, with what each means for the people choosing them.
EVENTS: dict[str, str] = {
    "product.stage_changed": "A product moved to another lifecycle stage, by a person or by a rule.",
    "stage_suggestion.created": "A rule suggests moving a product to another stage; a person decides.",
    "launch_plan.launched": "A launch plan was launched.",
    "release.shipped": "A release shipped.",
    "kpi.health_changed": "A KPI turned on track, at risk or off track (or was judged for the first time).",
    "import.finished": "A CSV import of measurements finished, done or failed.",
}
TEST_EVENT = "webhook.test"
MAX_DESCRIPTION = 200
SECRET_MIN, SECRET_MAX = 16, 200
KEEP_DELIVERIES = timedelta(days=30)
# A try is leased this much longer than it may take: a worker killed mid-try leaves it due again after.
LEASE_MARGIN = timedelta(seconds=60)
# A retry due within this many seconds goes to the worker with a countdown; a later one to the sweep.
COUNTDOWN_LIMIT = 300
ERROR_MAX = 1000

Status = WebhookDelivery.Status


def new_secret() -> str:
    return "whsec_" + secrets_module.token_urlsafe(32)


def label(webhook: Webhook) -> str:
    """How history, notifications and lists name a hook: its description, else its host."""
    return webhook.description or webhook_delivery.redacted(webhook.url)


# --- access ----------------------------------------------------------------------------------------


ONLY_ADMINS = "Only the portfolio's admins see and change its webhooks: their addresses and secrets are credentials."


def admin_portfolio_ids(user) -> list[int]:
    return [pid for pid, role in access.roles_by_portfolio(user).items() if role == Role.ADMIN]


def webhooks_for_user(user) -> QuerySet[Webhook]:
    """The hooks of the portfolios where `user` is an admin (other roles see none), each with its last
    delivery (`last_status`, `last_status_code`, `last_at`, `last_event`, `last_attempts`) in the same query."""
    last = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        Webhook.objects.filter(portfolio_id__in=admin_portfolio_ids(user))
        .select_related("portfolio")
        .annotate(
            last_status=Subquery(last.values("status")[:1]),
            last_status_code=Subquery(last.values("status_code")[:1]),
            last_at=Subquery(last.values("created_at")[:1]),
            last_event=Subquery(last.values("event")[:1]),
            last_attempts=Subquery(last.values("attempts")[:1]),
        )
        .order_by("portfolio_id", "id")
    )


def webhook_for_user(user, webhook_id) -> Webhook:
    """One hook for its portfolio's admin: NotFound for a missing or foreign one, NotAllowed for any other
    member (a hook's address is a credential: members who are not admins do not read it either)."""
    try:
        return access.object_for_user(
            user, Webhook.objects.select_related("portfolio", "created_by"), webhook_id, action="write"
        )
    except NotAllowed:
        raise NotAllowed(ONLY_ADMINS) from None


def require_admin(user, portfolio_id: int) -> None:
    try:
        access.require(user, Webhook, portfolio_id)
    except NotAllowed:
        raise NotAllowed(ONLY_ADMINS) from None


# --- checking what people send ----------------------------------------------------------------------


def url_clean(url, *, check_address: bool = True) -> str:
    """The URL as stored, or InvalidInput on `url`: syntax, scheme, length, credentials, and (unless
    `WEBHOOK_ALLOW_PRIVATE` or not `check_address`) the addresses it resolves to."""
    if problem := webhook_delivery.url_problem(url):
        raise InvalidInput(fields={"url": problem})
    url = url.strip()
    if check_address:
        try:
            webhook_delivery.resolve_checked(url)
        except webhook_delivery.AddressRefused as exc:
            raise InvalidInput(fields={"url": str(exc)}) from None
    return url


def events_clean(chosen) -> list[str]:
    """The subscribed events in the contract's order; InvalidInput on `events`."""
    if not isinstance(chosen, list | tuple) or not chosen:
        raise InvalidInput(fields={"events": "Choose at least one event."})
    unknown = [e for e in chosen if not isinstance(e, str) or e not in EVENTS]
    if unknown:
        shown = str(unknown[0])[:60]
        raise InvalidInput(fields={"events": f"Unknown event “{shown}”: choose from {', '.join(EVENTS)}."})
    return [event for event in EVENTS if event in chosen]


def secret_clean(secret) -> str:
    if not isinstance(secret, str) or not (SECRET_MIN <= len(secret) <= SECRET_MAX):
        raise InvalidInput(fields={"secret": f"A secret has {SECRET_MIN} to {SECRET_MAX} characters."})
    if any(not (32 < ord(c) < 127) for c in secret):
        raise InvalidInput(fields={"secret": "A secret is printable ASCII without spaces (letters, digits, -_.~)."})
    return secret


def description_clean(description) -> str:
    if description is None:
        return ""
    if not isinstance(description, str):
        raise InvalidInput(fields={"description": "A text is required."})
    text = description.strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(fields={"description": f"At most {MAX_DESCRIPTION} characters."})
    if "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise InvalidInput(fields={"description": "The text holds a character that cannot be stored."})
    return text


# --- hooks ------------------------------------------------------------------------------------------


def _data(webhook: Webhook) -> dict:
    return {"label": label(webhook), "host": webhook_delivery.redacted(webhook.url), "events": list(webhook.events)}


def _record(webhook: Webhook, verb: str, *, actor, changes=None, data=None) -> DomainEvent:
    return events.record(
        portfolio_id=webhook.portfolio_id,
        actor=actor,
        verb=verb,
        obj=webhook,
        object_repr=label(webhook),
        changes=changes,
        data={**_data(webhook), **(data or {})},
    )


def webhook_create(
    *,
    portfolio: Portfolio,
    url,
    events: list[str],
    actor,
    description="",
    secret=None,
    is_active: bool = True,
    check_address: bool = True,
) -> Webhook:
    """Register a hook. `secret` is generated when not given; the returned hook carries it (show it once).

    Raises InvalidInput on `url` (see `url_clean`), `events`, `secret` or `description`.
    `check_address=False` skips the resolving check (the demo's hooks, whose hosts need not exist):
    every send checks the address again anyway.
    """
    values = {
        "url": url_clean(url, check_address=check_address),
        "events": events_clean(events),
        "description": description_clean(description),
        "secret": new_secret() if secret in (None, "") else secret_clean(secret),
        "is_active": bool(is_active),
    }
    with transaction.atomic():
        webhook = Webhook.objects.create(
            portfolio=portfolio,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **values,
        )
        _record(
            webhook,
            "webhook.created",
            actor=actor,
            changes={"events": [None, webhook.events], "is_active": [None, webhook.is_active]},
        )
    log.info("webhook %s created in portfolio %s for %s", webhook.id, portfolio.id, webhook_delivery.redacted(url))
    return webhook


def _locked(webhook_id: int) -> Webhook:
    webhook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound()
    return webhook


def _wake_held(webhook: Webhook, now) -> list[int]:
    """A hook active again: its pending deliveries are due now (the ids, to hand to the worker)."""
    held = WebhookDelivery.objects.filter(webhook=webhook, status=Status.PENDING)
    ids = list(held.values_list("id", flat=True))
    held.update(next_attempt_at=now)
    return ids


def webhook_update(
    *,
    webhook_id: int,
    actor,
    url=None,
    events: list[str] | None = None,
    description=None,
    is_active: bool | None = None,
    secret=None,
    check_address: bool = True,
) -> Webhook:
    """Change a hook (only what is given). `is_active=True` on a disabled or paused hook re-enables it:
    its failures are cleared and its waiting deliveries are due at once; `False` pauses it (deliveries
    wait). A new `secret` replaces the old one at once. Raises NotFound, InvalidInput as `webhook_create`.
    """
    values = {}
    if url is not None:
        values["url"] = url_clean(url, check_address=check_address)
    if events is not None:
        values["events"] = events_clean(events)
    if description is not None:
        values["description"] = description_clean(description)
    if secret not in (None, ""):
        values["secret"] = secret_clean(secret)
    woken: list[int] = []
    with transaction.atomic():
        webhook = _locked(webhook_id)
        changes = {}
        if "url" in values and values["url"] != webhook.url:
            changes["url"] = [webhook_delivery.redacted(webhook.url), webhook_delivery.redacted(values["url"])]
            if changes["url"][0] == changes["url"][1]:
                changes["url"] = ["(path changed)", changes["url"][1]]
        for name in ("events", "description"):
            if name in values and values[name] != getattr(webhook, name):
                changes[name] = [getattr(webhook, name), values[name]]
        secret_changed = "secret" in values and values["secret"] != webhook.secret
        for name, value in values.items():
            setattr(webhook, name, value)
        enabling = is_active is True and (not webhook.is_active or webhook.disabled_at is not None)
        if is_active is not None and bool(is_active) != webhook.is_active:
            changes["is_active"] = [webhook.is_active, bool(is_active)]
            webhook.is_active = bool(is_active)
        if enabling:
            webhook.consecutive_failures = 0
            webhook.disabled_at, webhook.disabled_reason = None, ""
            woken = _wake_held(webhook, timezone.now())
        if not changes and not secret_changed and not enabling:
            return webhook
        webhook.save()
        if changes or enabling:
            _record(webhook, "webhook.enabled" if enabling else "webhook.updated", actor=actor, changes=changes)
        if secret_changed:
            _record(webhook, "webhook.secret_rotated", actor=actor, data={"chosen": True})
        if woken:
            transaction.on_commit(lambda: hand_over(woken))
    return webhook


def webhook_enable(*, webhook_id: int, actor) -> Webhook:
    """Re-enable a disabled (or paused) hook: failures cleared, waiting deliveries due now."""
    return webhook_update(webhook_id=webhook_id, actor=actor, is_active=True)


def webhook_rotate_secret(*, webhook_id: int, actor) -> Webhook:
    """A new generated secret, effective at once (the returned hook carries it: show it once)."""
    with transaction.atomic():
        webhook = _locked(webhook_id)
        webhook.secret = new_secret()
        webhook.save(update_fields=["secret"])
        _record(webhook, "webhook.secret_rotated", actor=actor)
    return webhook


def webhook_delete(*, webhook_id: int, actor) -> str:
    """Delete a hook with its delivery log. Returns its label. Raises NotFound."""
    with transaction.atomic():
        webhook = _locked(webhook_id)
        name = label(webhook)
        _record(webhook, "webhook.deleted", actor=actor, changes={"is_active": [webhook.is_active, None]})
        webhook.delete()
    return name


def webhook_test(*, webhook_id: int, actor) -> WebhookDelivery:
    """Queue a test event (`webhook.test`, `data.test` true) to the hook, paused or disabled ones too: a
    way to see the receiver works before re-enabling. Tried once; it changes nothing about the hook."""
    with transaction.atomic():
        webhook = _locked(webhook_id)
        event = _record(webhook, "webhook.tested", actor=actor)
        now = timezone.now()
        payload = {
            "event": TEST_EVENT,
            "id": event.id,
            "created_at": event.at.isoformat(),
            "portfolio": webhook.portfolio_id,
            "data": {
                "test": True,
                "webhook": webhook.id,
                "message": "A test event from pmflow: if your receiver verified this signature, the hook works.",
                "sent_by": actor.get_username() if getattr(actor, "is_authenticated", False) else None,
            },
        }
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, event=TEST_EVENT, domain_event=event, payload=payload, created_at=now, next_attempt_at=now
        )
        transaction.on_commit(lambda: hand_over([delivery.id]))
    return delivery


# --- payloads ---------------------------------------------------------------------------------------


def _actor(event: DomainEvent):
    return None if event.actor_id is None else event.actor.get_username()


def _product(product_id, name=None) -> dict | None:
    if product_id is None:
        return None
    if name is None:
        name = Product.objects.filter(pk=product_id).values_list("name", flat=True).first()
    return {"id": product_id, "name": name}


def _pair(event: DomainEvent, field: str):
    pair = (event.changes or {}).get(field) or [None, None]
    return (list(pair) + [None, None])[:2]


def _stage_changed(event: DomainEvent) -> dict:
    data = event.data or {}
    old, new = _pair(event, "stage")
    return {
        "product": _product(event.object_id, event.object_repr),
        "from_stage": old,
        "to_stage": new,
        "reason": data.get("reason", ""),
        "override": bool(data.get("override")),
        "transition": data.get("transition"),
        "rule": data.get("rule"),
        "actor": _actor(event),
    }


def _suggestion_created(event: DomainEvent) -> dict:
    suggestion = StageSuggestion.objects.filter(pk=event.object_id).select_related("product").first()
    if suggestion is None:  # deleted since: what the event itself says
        return {"suggestion": event.object_id, **(event.data or {})}
    return {
        "suggestion": suggestion.id,
        "product": _product(suggestion.product_id, suggestion.product.name),
        "from_stage": suggestion.from_stage,
        "to_stage": suggestion.to_stage,
        "reason": suggestion.reason,
        "rule": suggestion.rule_id,
        "status": suggestion.status,
        "evidence": suggestion.evidence,
    }


def _plan_launched(event: DomainEvent) -> dict:
    data = event.data or {}
    return {
        "launch_plan": {"id": event.object_id, "name": data.get("name") or event.object_repr},
        "product": _product(data.get("product")),
        "launch_date": data.get("launch_date"),
        "launched_at": _pair(event, "launched_at")[1],
        "release": data.get("release"),
        "override": bool(data.get("override")),
        "reason": data.get("reason", ""),
        "actor": _actor(event),
    }


def _release_shipped(event: DomainEvent) -> dict:
    data = event.data or {}
    return {
        "release": {"id": event.object_id, "version": data.get("version"), "name": event.object_repr},
        "product": _product(data.get("product")),
        "shipped_at": _pair(event, "shipped_at")[1],
        "override": bool(data.get("override")),
        "reason": data.get("reason", ""),
        "open_items": data.get("open_items") or [],
        "actor": _actor(event),
    }


def _health_changed(event: DomainEvent) -> dict:
    data = event.data or {}
    old, new = _pair(event, "health")
    return {
        "kpi": {"id": event.object_id, "key": data.get("key"), "name": data.get("name") or event.object_repr},
        "product": _product(data.get("product"), data.get("product_name")),
        "from_health": old,
        "to_health": new,
        "value": data.get("value"),
        "unit": data.get("unit"),
        "period": data.get("period"),
        "granularity": data.get("granularity"),
        "target": data.get("target"),
        "launch_plan": data.get("launch_plan"),
        "campaign": data.get("campaign"),
    }


def _import_finished(event: DomainEvent) -> dict:
    data = event.data or {}
    return {
        "import": {"id": event.object_id, "filename": event.object_repr},
        "status": data.get("status"),
        "rows": data.get("rows"),
        "created": data.get("created"),
        "updated": data.get("updated"),
        "errors": data.get("errors", 0),
    }


_BUILDERS = {
    "product.stage_changed": _stage_changed,
    "stage_suggestion.created": _suggestion_created,
    "launch_plan.launched": _plan_launched,
    "release.shipped": _release_shipped,
    "kpi.health_changed": _health_changed,
    "import.finished": _import_finished,
}


def payload_for(event: DomainEvent) -> dict:
    """What every hook receives for `event`: `{"event", "id", "created_at", "portfolio", "data"}`."""
    return {
        "event": event.verb,
        "id": event.id,
        "created_at": event.at.isoformat(),
        "portfolio": event.portfolio_id,
        "data": _BUILDERS[event.verb](event),
    }


# --- deliveries -------------------------------------------------------------------------------------


def deliveries_for_event(event: DomainEvent) -> int:
    """`deliveries_for_events` for one event."""
    return deliveries_for_events([event])


def deliveries_for_events(events: list[DomainEvent]) -> int:
    """The handler (a batch one: every event of one dispatch at once): one pending delivery per active hook
    of each event's portfolio subscribed to its verb, handed to the worker after commit. A fixed number of
    queries for any number of events; running it twice writes nothing more. Returns how many it wrote."""
    events = [event for event in events if event.verb in EVENTS]
    if not events:
        return 0
    hooks_by_portfolio: dict[int, list[tuple[int, list]]] = {}
    for hook_id, portfolio_id, chosen in Webhook.objects.filter(
        portfolio_id__in={event.portfolio_id for event in events}, is_active=True
    ).values_list("id", "portfolio_id", "events"):
        hooks_by_portfolio.setdefault(portfolio_id, []).append((hook_id, chosen or []))
    wanted = [
        (event, hook_id)
        for event in events
        for hook_id, chosen in hooks_by_portfolio.get(event.portfolio_id, [])
        if event.verb in chosen
    ]
    if not wanted:
        return 0
    now = timezone.now()
    with transaction.atomic():
        known = set(
            WebhookDelivery.objects.filter(
                domain_event__in=[event.id for event, _ in wanted], webhook_id__in={hook for _, hook in wanted}
            ).values_list("domain_event_id", "webhook_id")
        )
        missing = [(event, hook_id) for event, hook_id in wanted if (event.id, hook_id) not in known]
        payloads = {event.id: payload_for(event) for event, _ in missing}  # built once per event
        rows = [
            WebhookDelivery(
                webhook_id=hook_id,
                event=event.verb,
                domain_event=event,
                payload=payloads[event.id],
                created_at=now,
                next_attempt_at=now,
            )
            for event, hook_id in missing
        ]
        if not rows:
            return 0
        # Two relays at once: the unique (webhook, domain_event) keeps one row each.
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(
            WebhookDelivery.objects.filter(
                domain_event__in={row.domain_event_id for row in rows},
                webhook_id__in={row.webhook_id for row in rows},
                attempts=0,
                status=Status.PENDING,
            ).values_list("id", flat=True)
        )
        transaction.on_commit(lambda: hand_over(ids))
    return len(rows)


def backoff_seconds(attempts: int, *, retry_after: float | None = None) -> float:
    """How long to wait after the `attempts`-th failed try: base × 2^(attempts−1), jittered down by up to
    a quarter (many hooks failing together do not retry together), at most the limit; at least what
    the receiver's Retry-After asked (within the limit)."""
    base = float(settings.WEBHOOK_BACKOFF_BASE_SECONDS)
    limit = float(settings.WEBHOOK_BACKOFF_MAX_SECONDS)
    delay = min(limit, base * 2 ** max(attempts - 1, 0))
    delay *= random.uniform(0.75, 1.0)  # noqa: S311 - jitter, not a secret
    if retry_after is not None:
        delay = max(delay, min(float(retry_after), limit))
    return delay


def hand_over(delivery_ids: list[int], *, countdown: float | None = None) -> bool:
    """Give deliveries to the worker (one task each). Without a broker (tasks in-process) nothing is sent
    from here: a request never makes the POST; they wait for a worker's sweep or `manage.py webhooks_send`.
    Never raises: the deliveries are rows the sweep finds."""
    from pmflow.celery import app

    if not delivery_ids or app.conf.task_always_eager:
        return False
    from products.tasks import webhook_delivery_send

    try:
        for delivery_id in delivery_ids:
            webhook_delivery_send.apply_async(args=[delivery_id], countdown=countdown)
    except Exception as exc:  # noqa: BLE001 - the broker is down: the sweep sends them later
        log.warning("could not hand webhook deliveries to the worker (%s); the sweep will", type(exc).__name__)
        return False
    return True


def _lease() -> timedelta:
    return timedelta(seconds=2 * float(settings.WEBHOOK_TIMEOUT_SECONDS)) + LEASE_MARGIN


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one try of a due delivery and record its outcome; None when it is not due (delivered, failed,
    waiting, its hook paused or disabled, or another worker holds it). Never raises for the network."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("webhook")
            .filter(pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        webhook = delivery.webhook
        if not webhook.is_active and delivery.event != TEST_EVENT:
            return None  # held until the hook is enabled again
        attempt = delivery.attempts + 1
        claimed = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=Status.PENDING, attempts=delivery.attempts
        ).update(attempts=attempt, next_attempt_at=now + _lease())
        if not claimed:
            return None
    body = webhook_delivery.body_bytes(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "X-Pmflow-Event": delivery.event,
        "X-Pmflow-Delivery": str(delivery.id),
        webhook_delivery.SIGNATURE_HEADER: webhook_delivery.signature_header(webhook.secret, body),
    }
    outcome = webhook_delivery.post(webhook.url, body, headers)
    log.info(
        "webhook %s delivery %s (%s) try %s: %s",
        webhook.id,
        delivery.id,
        delivery.event,
        attempt,
        "delivered" if outcome.ok else f"failed, {outcome.status_code or 'no answer'}",
    )
    return _outcome_record(delivery_id=delivery.id, attempt=attempt, outcome=outcome)


def _outcome_record(*, delivery_id: int, attempt: int, outcome: webhook_delivery.Outcome) -> WebhookDelivery | None:
    now = timezone.now()
    retry_in = None
    with transaction.atomic():
        webhook_id = WebhookDelivery.objects.filter(pk=delivery_id).values_list("webhook_id", flat=True).first()
        webhook = Webhook.objects.select_for_update().filter(pk=webhook_id).first() if webhook_id else None
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id, attempts=attempt).first()
        if webhook is None or delivery is None:
            return None  # deleted meanwhile
        test = delivery.event == TEST_EVENT
        max_attempts = 1 if test else max(int(settings.WEBHOOK_MAX_ATTEMPTS), 1)
        delivery.status_code = outcome.status_code
        if outcome.ok:
            delivery.status, delivery.delivered_at, delivery.error, delivery.next_attempt_at = (
                Status.DELIVERED,
                now,
                "",
                None,
            )
            if not test and webhook.consecutive_failures:
                webhook.consecutive_failures = 0
                webhook.save(update_fields=["consecutive_failures"])
        else:
            delivery.error = outcome.error[:ERROR_MAX]
            if outcome.retry and attempt < max_attempts:
                retry_in = backoff_seconds(attempt, retry_after=outcome.retry_after)
                delivery.next_attempt_at = now + timedelta(seconds=retry_in)
            else:
                delivery.status, delivery.next_attempt_at = Status.FAILED, None
            if not test:
                webhook.consecutive_failures += 1
                webhook.save(update_fields=["consecutive_failures"])
                if webhook.is_active and outcome.gone:
                    _disable(webhook, now, "The receiver answered 410 Gone: it says this address is no longer in use.")
                elif webhook.is_active and outcome.retry and attempt >= max_attempts:
                    _disable(
                        webhook,
                        now,
                        f"{attempt} tries to deliver {delivery.event} (delivery {delivery.id}) failed; "
                        f"the last: {outcome.error[:300]}",
                    )
        delivery.save(update_fields=["status", "status_code", "delivered_at", "error", "next_attempt_at"])
        if retry_in is not None and retry_in <= COUNTDOWN_LIMIT:
            transaction.on_commit(lambda: hand_over([delivery_id], countdown=retry_in))
    return delivery


def webhook_disable(*, webhook_id: int, reason: str) -> Webhook:
    """Disable a hook for repeated failure (the system's act, as the worker's), telling its admins.
    A person pauses a hook with `webhook_update(is_active=False)` instead. Raises NotFound."""
    with transaction.atomic():
        webhook = _locked(webhook_id)
        if webhook.is_active:
            _disable(webhook, timezone.now(), reason)
    return webhook


def _disable(webhook: Webhook, now, reason: str) -> None:
    """Stop a hook after repeated failure and tell its admins (in the caller's transaction)."""
    from products.services.notifications import notify

    webhook.is_active, webhook.disabled_at, webhook.disabled_reason = False, now, reason
    webhook.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    event = _record(
        webhook, "webhook.disabled", actor=None, changes={"is_active": [True, False]}, data={"reason": reason}
    )
    notify(
        portfolio_id=webhook.portfolio_id,
        kind=Notification.Kind.WEBHOOK_DISABLED,
        roles=[Role.ADMIN],
        title=f"Webhook {label(webhook)} disabled after failed deliveries",
        body=f"{reason} Fix the receiver, send a test event, then re-enable the hook on its page.",
        url=reverse("webhook-page", args=[webhook.id]),
        event=event,
        dedupe_key=f"webhook_disabled:{webhook.id}:{now.isoformat()}",
    )
    log.warning("webhook %s (%s) disabled: %s", webhook.id, webhook_delivery.redacted(webhook.url), reason[:200])


def deliveries_due(*, now=None, grace: timedelta = timedelta(0)) -> QuerySet[WebhookDelivery]:
    """Pending deliveries whose time has come (by `grace` already), of active hooks (test events of any)."""
    now = now or timezone.now()
    return (
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now - grace)
        .filter(Q(webhook__is_active=True) | Q(event=TEST_EVENT))
        .order_by("next_attempt_at", "id")
    )


def deliveries_sweep(*, limit: int = 500, grace: timedelta = timedelta(seconds=15)) -> int:
    """Periodic: hand the worker the deliveries due for over `grace` (a retry whose wait outran the
    countdown limit, a broker outage, a killed worker's lease), and forget the delivered and failed
    ones older than KEEP_DELIVERIES. Returns how many it handed over."""
    now = timezone.now()
    ids = list(deliveries_due(now=now, grace=grace).values_list("id", flat=True)[:limit])
    WebhookDelivery.objects.filter(
        status__in=[Status.DELIVERED, Status.FAILED], created_at__lt=now - KEEP_DELIVERIES
    ).delete()
    hand_over(ids)
    return len(ids)


def deliveries_send_due(*, limit: int = 500) -> int:
    """Send the due deliveries here and now, one after the other (`manage.py webhooks_send`: no broker,
    or to flush). Returns how many tries were made."""
    ids = list(deliveries_due().values_list("id", flat=True)[:limit])
    return sum(1 for delivery_id in ids if delivery_attempt(delivery_id=delivery_id) is not None)
