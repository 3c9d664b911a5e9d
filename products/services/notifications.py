"""Notifications: what people should know, in the app, by e-mail and in the daily digest (issue 13).

`notify()` is the one way any app tells people something; handlers of domain events call it (after
commit, so it must be idempotent: `dedupe_key`). The notifications work extends this module (settings,
e-mail, digest, read/unread); the signature of `notify` is what other apps rely on.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from products.models import DomainEvent, Membership, Notification


def notify(
    *,
    portfolio_id: int,
    kind: str,
    title: str,
    url: str = "",
    body: str = "",
    users: Iterable[int] | None = None,
    roles: Iterable[str] | None = None,
    event: DomainEvent | None = None,
    dedupe_key: str = "",
    exclude_user_id: int | None = None,
) -> int:
    """Tell the portfolio's members (`users` by id, or every member with one of `roles`, or every
    member) about something of `kind` (Notification.Kind). `dedupe_key` names the news: the same key
    for the same person writes nothing the second time. `exclude_user_id` leaves out the person who
    caused it. Returns how many notifications were written."""
    members = Membership.objects.filter(portfolio_id=portfolio_id)
    if users is not None:
        members = members.filter(user_id__in=list(users))
    if roles is not None:
        members = members.filter(role__in=list(roles))
    recipients = [uid for uid in members.values_list("user_id", flat=True) if uid != exclude_user_id]
    if not recipients:
        return 0
    now = timezone.now()
    rows = [
        Notification(
            user_id=uid,
            portfolio_id=portfolio_id,
            kind=kind,
            title=title[:300],
            body=body,
            url=url[:500],
            event=event,
            dedupe_key=dedupe_key[:200],
            created_at=now,
        )
        for uid in recipients
    ]
    with transaction.atomic():
        before = Notification.objects.filter(user_id__in=recipients, dedupe_key=dedupe_key).count() if dedupe_key else 0
        Notification.objects.bulk_create(rows, ignore_conflicts=bool(dedupe_key))
        after = Notification.objects.filter(user_id__in=recipients, dedupe_key=dedupe_key).count() if dedupe_key else 0
    return after - before if dedupe_key else len(rows)
