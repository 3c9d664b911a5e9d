"""The demo user's notifications: a handful of kinds, some read, the newest unread, written by the real
handlers and jobs rather than made up.

- the domain events the rest of the demo recorded (stage changes a rule made, suggestions, KPIs turning
  off track) are handed to the notification handlers again: a demo loaded before notifications existed, or
  whose events were handled before its people joined, gets what they would have written (idempotent: each
  handler names its news);
- priya (the demo's other product manager) mentions @demo in a review comment on a demo document and in a
  status book line, through the documents and status book services (their handlers write the mentions);
- the launch task reminders run for today (gtm.notification_tasks): the demo user owns the sales and
  enablement tasks of the demo's launches;
- each notification that came from an event is dated at its event; all but the newest five are marked
  read, an hour after they came.

`seed_demo` runs at the top of the stack (kpis), which is why this module may call gtm's job at all. Run it
last: after the roadmap, go-to-market, the desk (documents, status book) and the lifecycle automation
demos (suggestions, signals, webhooks), whose events it reads. Writes nothing once the demo user has a
mention in the portfolio.
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from products import notification_handlers
from products.models import Document, DomainEvent, Membership, Notification, Portfolio, Product, Role
from products.services import documents, status_book

COLLEAGUE = "priya"
UNREAD = 5
HANDLERS = {
    "product.stage_changed": notification_handlers.stage_changed,
    "stage_suggestion.created": notification_handlers.suggestion_created,
    "kpi.health_changed": notification_handlers.kpi_health_changed,
}
RECENT = timedelta(days=60)


def seed_notifications(*, portfolio: Portfolio, actor, today: date) -> dict[str, int]:
    """Give the demo user (`actor`) notifications in `portfolio`. Returns how many it wrote by where they came
    from and how many it marked read; {} when the demo user already has a mention there."""
    from gtm.notification_tasks import launch_task_reminders_send  # the top of the stack calls this

    mine = Notification.objects.filter(user=actor, portfolio=portfolio)
    if mine.filter(kind=Notification.Kind.MENTION).exists():
        return {}
    before = Notification.objects.filter(portfolio=portfolio).count()
    counts = {"from_events": 0, "mentions": 0, "reminders": 0, "read": 0}

    recent = DomainEvent.objects.filter(
        portfolio=portfolio, verb__in=list(HANDLERS), at__gte=timezone.now() - RECENT
    ).select_related("actor")
    for event in recent.order_by("at", "id"):
        HANDLERS[event.verb](event)
    counts["from_events"] = Notification.objects.filter(portfolio=portfolio).count() - before

    colleague = (
        get_user_model()
        .objects.filter(
            username=COLLEAGUE,
            memberships__portfolio=portfolio,
            memberships__role__in=[Role.ADMIN, Role.PRODUCT_MANAGER],
        )
        .first()
    )
    if colleague is not None and Membership.objects.filter(portfolio=portfolio, user=actor).exists():
        counts["mentions"] = _mentions(portfolio=portfolio, actor=actor, colleague=colleague, today=today)

    counts["reminders"] = launch_task_reminders_send()
    _date_at_their_events(mine)
    counts["read"] = _read_all_but_the_newest(mine)
    return counts


def _mentions(*, portfolio: Portfolio, actor, colleague, today: date) -> int:
    written = 0
    document = (
        Document.objects.filter(product__portfolio=portfolio)
        .exclude(status=Document.Status.ARCHIVED)
        .order_by("-updated_at", "id")
        .first()
    )
    name = actor.get_username()
    if document is not None:
        comment = documents.document_comment_add(
            document_id=document.id,
            body=f"@{name} can you confirm the launch date with sales before this goes to review? "
            "The pricing section depends on it.",
            actor=colleague,
        )
        _handle_now("document.commented", document.id, notification_handlers.document_commented, comment.id)
        written += 1
    products = Product.objects.filter(portfolio=portfolio, archived_at__isnull=True)
    product = products.order_by("-stage_changed_at", "id").first()
    if product is not None:
        entry = status_book.status_book_entry_create(
            product=product,
            author=colleague,
            actor=colleague,
            date=today,
            category="short_term",
            minutes=45,
            text=f"Pricing review with finance; @{name} to decide on the annual discount by Friday.",
        )
        _handle_now("status_book_entry.created", entry.id, notification_handlers.status_book_written)
        written += 1
    return written


def _handle_now(verb: str, object_id: int, handler, comment_id: int | None = None) -> None:
    """Run the mention handler now (it runs again after commit and writes nothing then): the mentions are
    among the newest before the older news is marked read, inside a caller's transaction too."""
    recorded = DomainEvent.objects.filter(verb=verb, object_id=object_id)
    if comment_id is not None:
        recorded = recorded.filter(data__comment=comment_id)
    event = recorded.select_related("actor").order_by("-id").first()
    if event is not None:
        handler(event)


def _date_at_their_events(rows) -> None:
    """A notification from an event is as old as what it tells (the demo's events are spread over months)."""
    for notification in rows.filter(event__isnull=False).select_related("event"):
        if notification.event.at < notification.created_at:
            notification.created_at = notification.event.at
            notification.save(update_fields=["created_at"])


def _read_all_but_the_newest(rows) -> int:
    older = list(rows.filter(read_at__isnull=True, in_app=True).order_by("-created_at", "-id")[UNREAD:])
    for notification in older:
        notification.read_at = notification.created_at + timedelta(hours=1)
    Notification.objects.bulk_update(older, ["read_at"])
    return len(older)
