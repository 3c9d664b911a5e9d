"""Calendar feed tokens: a member's secret address of a portfolio's launch calendar, for a calendar app.

A calendar app cannot sign in, so the address itself is the credential: `calendar/<token>.ics`. The
token (`secrets.token_urlsafe(32)`, 256 bits) is returned once, when it is made; only its SHA-256 is
stored, so a copy of the database gives no working address. A member has at most one feed per
portfolio: making it again (a reset) replaces the token and the old address stops working; revoking
deletes it. A feed answers only while its user is an active member of the portfolio, a membership at
least as old as the address: leaving the portfolio silences it for good, without anyone having to
remember to revoke it (coming back takes a new address).
"""

import datetime
import hashlib
import hmac
import re
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gtm.models import CalendarFeed
from pmflow.errors import NotFound
from products import events
from products.models import Membership

TOKEN_BYTES = 32
# token_urlsafe's alphabet; anything else (or a length no token has) is refused before any query.
TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]{32,64}")
TOUCH_EVERY = datetime.timedelta(minutes=1)  # last_used_at is written at most this often


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _member(user, portfolio_id: int) -> None:
    if not Membership.objects.filter(user=user, portfolio_id=portfolio_id).exists():
        raise NotFound()


def calendar_feed_issue(*, user, portfolio_id: int) -> tuple[CalendarFeed, str]:
    """Make the user's feed of the portfolio, or give the existing one a new token (a reset: the old
    address stops working). Returns the feed and its token, which is not stored and cannot be shown
    again. Raises NotFound when the user is not a member of the portfolio."""
    _member(user, portfolio_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    digest = token_hash(token)
    for attempt in range(2):
        try:
            with transaction.atomic():
                feed = CalendarFeed.objects.select_for_update().filter(user=user, portfolio_id=portfolio_id).first()
                if feed is None:
                    feed = CalendarFeed.objects.create(user=user, portfolio_id=portfolio_id, token_hash=digest)
                    verb = "calendar_feed.created"
                else:
                    feed.token_hash, feed.created_at, feed.last_used_at = digest, timezone.now(), None
                    feed.save(update_fields=["token_hash", "created_at", "last_used_at"])
                    verb = "calendar_feed.reset"
                # The event says that a feed was made, never its token or hash.
                events.record(portfolio_id=portfolio_id, actor=user, verb=verb, obj=feed)
            return feed, token
        except IntegrityError:
            if attempt:  # a second concurrent create lost twice: not expected, let it show
                raise
    raise AssertionError("unreachable")


def calendar_feed_revoke(*, user, portfolio_id: int) -> bool:
    """Delete the user's feed of the portfolio; its address stops working. False when there was none."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user, portfolio_id=portfolio_id).first()
        if feed is None:
            return False
        events.record(portfolio_id=portfolio_id, actor=user, verb="calendar_feed.revoked", obj=feed)
        feed.delete()
    return True


def calendar_feed_for_token(token: str) -> CalendarFeed | None:
    """The feed a token opens, with its portfolio and user; None for a malformed or unknown token and for
    a feed whose user is no longer an active member of the portfolio.

    The lookup is by the token's hash (a unique index): how long it takes says nothing about how close a
    guess was, as a comparison of tokens would; the hash found is compared again in constant time."""
    if not isinstance(token, str) or not TOKEN_TEXT.fullmatch(token):
        return None
    digest = token_hash(token)
    feed = (
        CalendarFeed.objects.filter(token_hash=digest, user__is_active=True)
        .filter(
            # The feed's own user is a member, and was when the address was made: someone removed and
            # added again later does not get their old address back.
            portfolio__memberships__user_id=F("user_id"),
            portfolio__memberships__created_at__lte=F("created_at"),
        )
        .select_related("portfolio", "user")
        .first()
    )
    if feed is None or not hmac.compare_digest(feed.token_hash, digest):
        return None
    return feed


def calendar_feed_touch(feed: CalendarFeed, *, now: datetime.datetime | None = None) -> None:
    """Note that the feed was read: one conditional UPDATE, written at most once a minute (a calendar
    app polling often costs no write per poll). Not a domain event: nothing a person changed."""
    now = now or timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk).exclude(last_used_at__gt=now - TOUCH_EVERY).update(last_used_at=now)
