"""Notifications: what people should know, in the app, by e-mail and in the daily digest (issue 13).

`notify()` is the one way any app tells people something; handlers of domain events call it (after
commit, so it must be idempotent: `dedupe_key`). Each person chooses per portfolio and kind how they hear
of it (`NotificationSetting`; no row: `DEFAULTS`):

- `in_app`: under the bell and on the notifications page;
- `email`: one e-mail at once, sent after commit by a task (`notifications_email_send`), marked `emailed_at`;
  a periodic sweep sends what a broker outage or a mail server failure left (`notifications_email_sweep`);
- `digest`: listed in one e-mail a day (`digest_send`, by beat), marked `digested_at`.

A notification nobody would see (all three off) is not written; one that goes only by e-mail or digest is
written with `in_app=False` (the bell and the lists never show it). A person sees only their own
notifications of the portfolios they are still a member of.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from pmflow import access
from pmflow.errors import InvalidInput, NotFound
from products.models import DomainEvent, Membership, Notification, NotificationSetting, Portfolio

log = logging.getLogger(__name__)

Kind = Notification.Kind
CHANNELS = ("in_app", "email", "digest")


@dataclass(frozen=True)
class Channels:
    """How a person hears of one kind of news in one portfolio."""

    in_app: bool = True
    email: bool = False
    digest: bool = True

    @property
    def wanted(self) -> bool:
        return self.in_app or self.email or self.digest


# Without a setting row: everything under the bell; what needs someone to act soon (a suggestion to decide,
# an overdue launch task, a mention, a webhook that stopped) by e-mail at once; the rest in the daily digest.
# A kind that goes by e-mail at once is not repeated in the digest.
DEFAULTS: dict[str, Channels] = {
    Kind.STAGE_CHANGED: Channels(in_app=True, email=False, digest=True),
    Kind.SUGGESTION: Channels(in_app=True, email=True, digest=False),
    Kind.TASK_DUE: Channels(in_app=True, email=False, digest=True),
    Kind.TASK_OVERDUE: Channels(in_app=True, email=True, digest=False),
    Kind.KPI_OFF_TRACK: Channels(in_app=True, email=False, digest=True),
    Kind.MENTION: Channels(in_app=True, email=True, digest=False),
    Kind.SIGNAL: Channels(in_app=True, email=False, digest=True),
    Kind.WEBHOOK_DISABLED: Channels(in_app=True, email=True, digest=False),
}
DEFAULT_EMAIL_KINDS = [kind for kind, channels in DEFAULTS.items() if channels.email]
DEFAULT_DIGEST_KINDS = [kind for kind, channels in DEFAULTS.items() if channels.digest]

# E-mails a sweep still sends after a failure: older news is no longer worth an e-mail of its own.
EMAIL_RETRY_WINDOW = timedelta(hours=24)


def default_channels(kind: str) -> Channels:
    return DEFAULTS.get(kind, Channels())


# --- settings -----------------------------------------------------------------------------------------


def channels_for(*, user_ids: Iterable[int], portfolio_id: int, kind: str) -> dict[int, Channels]:
    """{user_id: Channels} for one portfolio and kind: each person's row, else the kind's default. One query."""
    user_ids = list(user_ids)
    rows = NotificationSetting.objects.filter(user_id__in=user_ids, portfolio_id=portfolio_id, kind=kind)
    chosen = {
        user_id: Channels(in_app=in_app, email=email, digest=digest)
        for user_id, in_app, email, digest in rows.values_list("user_id", "in_app", "email", "digest")
    }
    default = default_channels(kind)
    return {user_id: chosen.get(user_id, default) for user_id in user_ids}


def settings_grid(user, *, portfolio_id: int | None = None, kind: str | None = None) -> list[dict]:
    """Every portfolio of the user × every kind, with the channels in force and whether they are the
    defaults: [{"portfolio", "portfolio_name", "kind", "kind_label", "in_app", "email", "digest",
    "is_default"}], by portfolio name then kind. Two queries."""
    portfolios = Portfolio.objects.filter(pk__in=list(access.roles_by_portfolio(user))).order_by("name", "id")
    if portfolio_id is not None:
        portfolios = portfolios.filter(pk=portfolio_id)
    kinds = [k for k in Kind if kind is None or k.value == kind]
    rows = NotificationSetting.objects.filter(user=user, portfolio__in=portfolios)
    chosen = {
        (row.portfolio_id, row.kind): Channels(in_app=row.in_app, email=row.email, digest=row.digest) for row in rows
    }
    grid = []
    for portfolio in portfolios:
        for k in kinds:
            channels = chosen.get((portfolio.id, k.value))
            grid.append(
                {
                    "portfolio": portfolio.id,
                    "portfolio_name": portfolio.name,
                    "kind": k.value,
                    "kind_label": k.label,
                    **asdict(channels or default_channels(k.value)),
                    "is_default": channels is None,
                }
            )
    return grid


def _check_setting(portfolio_id, kind, flags: dict, user) -> None:
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = f"One of: {', '.join(Kind.values)}."
    for name, value in flags.items():
        if name not in CHANNELS:
            errors[name] = f"Unknown setting: use {', '.join(CHANNELS)}."
        elif value is not None and not isinstance(value, bool):
            errors[name] = "true or false."
    if access.role_in(user, portfolio_id) is None:
        raise NotFound("Not a portfolio of yours.")
    if errors:
        raise InvalidInput(fields=errors)


def notification_setting_set(*, user, portfolio_id: int, kind: str, **flags) -> dict:
    """Change how `user` hears of `kind` in a portfolio: the channels given (`in_app`, `email`, `digest`:
    true or false) change, the others keep what is in force (the row, else the default). Returns the row as
    `settings_grid` shows it. Raises NotFound for a portfolio the user is not a member of, InvalidInput."""
    _check_setting(portfolio_id, kind, flags, user)
    with transaction.atomic():
        current = channels_for(user_ids=[user.pk], portfolio_id=portfolio_id, kind=kind)[user.pk]
        wanted = {**asdict(current), **{name: value for name, value in flags.items() if value is not None}}
        NotificationSetting.objects.update_or_create(user=user, portfolio_id=portfolio_id, kind=kind, defaults=wanted)
    return settings_grid(user, portfolio_id=portfolio_id, kind=kind)[0]


def notification_settings_save(*, user, grid: dict[tuple[int, str], dict]) -> int:
    """Save a whole grid at once (the settings page): {(portfolio_id, kind): {"in_app", "email", "digest"}}.
    Only cells that differ from what is in force are written. Returns how many changed. Raises as
    `notification_setting_set`; nothing is written when one cell is refused."""
    for (portfolio_id, kind), flags in grid.items():
        _check_setting(portfolio_id, kind, flags, user)
    current = {(row["portfolio"], row["kind"]): row for row in settings_grid(user)}
    changed = 0
    with transaction.atomic():
        for (portfolio_id, kind), flags in grid.items():
            row = current.get((portfolio_id, kind))
            wanted = {name: bool(flags.get(name, False)) for name in CHANNELS}
            if row is not None and all(row[name] == wanted[name] for name in CHANNELS):
                continue
            NotificationSetting.objects.update_or_create(
                user=user, portfolio_id=portfolio_id, kind=kind, defaults=wanted
            )
            changed += 1
    return changed


# --- telling people -----------------------------------------------------------------------------------


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
    member) about something of `kind` (Notification.Kind), as each of them chose (their settings, else
    `DEFAULTS`). `dedupe_key` names the news: the same key for the same person writes nothing the second
    time. `exclude_user_id` leaves out the person who caused it. Those who want it by e-mail get it after
    commit. Returns how many notifications were written."""
    members = Membership.objects.filter(portfolio_id=portfolio_id)
    if users is not None:
        members = members.filter(user_id__in=list(users))
    if roles is not None:
        members = members.filter(role__in=list(roles))
    recipients = [uid for uid in members.values_list("user_id", flat=True) if uid != exclude_user_id]
    if not recipients:
        return 0
    dedupe_key = dedupe_key[:200]
    if dedupe_key:
        told = set(
            Notification.objects.filter(user_id__in=recipients, dedupe_key=dedupe_key).values_list("user_id", flat=True)
        )
        recipients = [uid for uid in recipients if uid not in told]
    channels = channels_for(user_ids=recipients, portfolio_id=portfolio_id, kind=kind) if recipients else {}
    recipients = [uid for uid in recipients if channels[uid].wanted]
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
            dedupe_key=dedupe_key,
            created_at=now,
            in_app=channels[uid].in_app,
        )
        for uid in recipients
    ]
    emailed = [uid for uid in recipients if channels[uid].email]
    with transaction.atomic():
        # A second handler run at the same moment: the unique (user, dedupe_key) keeps one row.
        Notification.objects.bulk_create(rows, ignore_conflicts=bool(dedupe_key))
        if emailed:
            ids = list(
                Notification.objects.filter(
                    user_id__in=emailed, portfolio_id=portfolio_id, kind=kind, created_at=now, emailed_at__isnull=True
                ).values_list("id", flat=True)
            )
            if ids:
                from pmflow.celery import enqueue_on_commit
                from products.tasks import notifications_email_send

                enqueue_on_commit(notifications_email_send, ids)
    return len(rows)


# --- what a person sees -------------------------------------------------------------------------------


def notifications_for_user(user) -> QuerySet[Notification]:
    """The user's notifications under the bell: their own, shown in the app, of the portfolios they are
    still a member of; newest first."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(
        user=user, in_app=True, portfolio_id__in=list(access.roles_by_portfolio(user))
    ).order_by("-created_at", "-id")


def unread_count(user) -> int:
    """The bell's number: one COUNT on the user's unread index."""
    return notifications_for_user(user).filter(read_at__isnull=True).count()


def notification_for_user(user, notification_id) -> Notification:
    """One of the user's own notifications; another person's, a missing one and a malformed id alike are
    NotFound."""
    try:
        pk = int(notification_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < pk < 2**63:
        raise NotFound()
    notification = notifications_for_user(user).select_related("portfolio").filter(pk=pk).first()
    if notification is None:
        raise NotFound()
    return notification


def notification_mark_read(*, user, notification_id) -> Notification:
    """Mark one of the user's notifications read (already read: unchanged). Raises NotFound."""
    notification = notification_for_user(user, notification_id)
    if notification.read_at is None:
        now = timezone.now()
        # Only if still unread: two tabs marking at once keep the first time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = Notification.objects.filter(pk=notification.pk).values_list("read_at", flat=True)[0]
    return notification


def notifications_mark_all_read(*, user, portfolio_id: int | None = None, kind: str | None = None) -> int:
    """Mark all of the user's unread notifications read (of one portfolio, of one kind). Returns how many."""
    rows = notifications_for_user(user).filter(read_at__isnull=True)
    if portfolio_id is not None:
        rows = rows.filter(portfolio_id=portfolio_id)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return Notification.objects.filter(pk__in=rows.values("pk")).update(read_at=timezone.now())


# --- e-mail -------------------------------------------------------------------------------------------


def _setting(field: str):
    return NotificationSetting.objects.filter(
        user_id=OuterRef("user_id"), portfolio_id=OuterRef("portfolio_id"), kind=OuterRef("kind")
    ).filter(**({field: True} if field else {}))


def _wanting(channel: str, default_kinds: list[str]) -> Q:
    """Rows whose person wants them by `channel`: their setting says so, or no setting and the default does."""
    return Q(Exists(_setting(channel))) | (~Q(Exists(_setting(""))) & Q(kind__in=default_kinds))


def site_url(path: str) -> str:
    """An absolute address for a link in an e-mail (settings.SITE_URL + the path); other addresses unchanged."""
    if not path.startswith("/"):
        return path
    return getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/") + path


def email_due() -> QuerySet[Notification]:
    """Notifications to be sent by e-mail and not sent yet: the person wants this kind by e-mail here and
    has an address; not older than the retry window."""
    return (
        Notification.objects.filter(emailed_at__isnull=True, created_at__gte=timezone.now() - EMAIL_RETRY_WINDOW)
        .filter(_wanting("email", DEFAULT_EMAIL_KINDS))
        .exclude(user__email="")
    )


def notifications_email_send(*, notification_ids: Iterable[int]) -> int:
    """Send each notification that is still due by e-mail (one e-mail each, to its person), and mark it
    `emailed_at`. Safe to run twice and from two workers: a row is locked while its e-mail goes, and a sent
    one is not due. A mail server error leaves the row due for the sweep (logged). Returns how many went."""
    sent = 0
    for notification_id in list(notification_ids):
        try:
            with transaction.atomic():
                notification = (
                    email_due()
                    .select_for_update(skip_locked=True, of=("self",))
                    .select_related("user", "portfolio")
                    .filter(pk=notification_id)
                    .first()
                )
                if notification is None:
                    continue
                context = {
                    "notification": notification,
                    "link": site_url(notification.url),
                    "settings_link": site_url(reverse("notification-settings")),
                }
                send_mail(
                    subject=f"pmflow: {notification.title}"[:200],
                    message=render_to_string("products/notifications/email.txt", context),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    recipient_list=[notification.user.email],
                )
                notification.emailed_at = timezone.now()
                notification.save(update_fields=["emailed_at"])
                sent += 1
        except Exception:  # noqa: BLE001 - a mail server error: the row stays due; the sweep tries again
            log.exception("notification %s: the e-mail could not be sent; the sweep tries again", notification_id)
    return sent


def notifications_email_sweep(*, older_than: timedelta = timedelta(minutes=2), limit: int = 500) -> int:
    """Send the e-mails a broker outage or a mail server failure left (periodic). Returns how many went."""
    ids = email_due().filter(created_at__lt=timezone.now() - older_than).order_by("created_at", "id")
    return notifications_email_send(notification_ids=list(ids.values_list("id", flat=True)[:limit]))


# --- the daily digest ---------------------------------------------------------------------------------


def digest_due() -> QuerySet[Notification]:
    """Notifications for the digest not digested yet: the person wants this kind in the digest here."""
    return Notification.objects.filter(digested_at__isnull=True).filter(_wanting("digest", DEFAULT_DIGEST_KINDS))


def digest_send(*, now: datetime | None = None) -> int:
    """Send each person one e-mail listing their undigested, unread digest notifications, and mark them
    (and the read ones, which need no e-mail) digested. At most one digest per person per day (UTC), from
    the hour `settings.NOTIFICATION_DIGEST_HOUR_UTC`; the beat runs it hourly, so a missed hour or a
    stopped beat catches up. Nothing to say (all read, or nothing new): no e-mail. A person without an
    e-mail address: marked, not sent. Returns how many e-mails went."""
    now = (now or timezone.now()).astimezone(UTC)
    today = now.date()
    if now.hour < settings.NOTIFICATION_DIGEST_HOUR_UTC:
        return 0
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    pending = digest_due().filter(created_at__lte=now)
    users = list(pending.order_by().values_list("user_id", flat=True).distinct())
    if not users:
        return 0
    last_digest = dict(
        Notification.objects.filter(user_id__in=users, digested_at__isnull=False)
        .order_by()
        .values("user_id")
        .annotate(last=Max("digested_at"))
        .values_list("user_id", "last")
    )
    sent = 0
    for user_id in users:
        if last_digest.get(user_id) and last_digest[user_id] >= start_of_day:
            continue  # today's digest went already
        try:
            sent += _digest_one(user_id=user_id, now=now, day=today)
        except Exception:  # noqa: BLE001 - a mail server error: this person's rows stay for the next run
            log.exception("user %s: the digest could not be sent; the next run tries again", user_id)
    return sent


def _digest_one(*, user_id: int, now: datetime, day) -> int:
    with transaction.atomic():
        rows = list(
            digest_due()
            .filter(user_id=user_id, created_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("portfolio", "user")
            .order_by("portfolio__name", "portfolio_id", "-created_at", "-id")
        )
        if not rows:
            return 0
        user = rows[0].user
        unread = [row for row in rows if row.read_at is None]
        went = 0
        if unread and user.email:
            groups: dict[int, dict] = {}
            for row in unread:
                groups.setdefault(row.portfolio_id, {"portfolio": row.portfolio, "rows": []})["rows"].append(
                    {"notification": row, "link": site_url(row.url)}
                )
            context = {
                "user": user,
                "day": day,
                "count": len(unread),
                "groups": list(groups.values()),
                "list_link": site_url(reverse("notification-list")),
                "settings_link": site_url(reverse("notification-settings")),
            }
            noun = "update" if len(unread) == 1 else "updates"
            send_mail(
                subject=f"pmflow digest for {day:%A %-d %B}: {len(unread)} {noun}",
                message=render_to_string("products/notifications/digest.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
            went = 1
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(digested_at=now)
    return went
