"""Who hears of what: domain events turned into notifications (imported from ProductsConfig.ready()).

Each handler runs after its event commits, and again when the relay retries it, so each names its news
with a `dedupe_key` (one row per person however often it runs). `notify` applies each person's settings.

- `product.stage_changed` → `stage_changed`, to every member but the person who moved it;
- `stage_suggestion.created` → `suggestion`, to admins and product managers;
- `kpi.health_changed` to off track → `kpi_off_track`, to admins and product managers, and to marketers
  when the KPI is a launch plan's or a campaign's;
- `document.commented`, `status_book_entry.created` / `.updated` → `mention`, to each member named as
  `@username` in the text (not its writer).

Launch tasks due and overdue are no event: a daily job in gtm (gtm.notification_tasks) writes those.
The apps to the right of products put what these handlers need in their events' data (a KPI's product,
name, launch plan, campaign), so nothing here imports them.
"""

from __future__ import annotations

import re
from datetime import date

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from products.events import register_handler
from products.models import (
    DocumentComment,
    DomainEvent,
    Membership,
    Notification,
    Product,
    Role,
    Stage,
    StageSuggestion,
    StatusBookEntry,
)
from products.services.notifications import notify

MANAGERS = [Role.ADMIN, Role.PRODUCT_MANAGER]
EXCERPT = 280

# "@name" where a username starts: not inside an e-mail address ("ann@example.com"). Django usernames
# are letters, digits and @.+-_; a sentence's full stop after the name is not part of it.
MENTION = re.compile(r"(?<![\w.@+-])@([\w.@+-]{1,150})")


def _url(name: str, *args, fallback: str = "") -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def _excerpt(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def _stage_label(stage) -> str:
    return Stage(stage).label if stage in Stage.values else str(stage)


def _who(event: DomainEvent) -> str:
    return event.actor.get_username() if event.actor_id else "The system"


# --- stage changes -------------------------------------------------------------------------------------


def stage_changed(event: DomainEvent) -> None:
    old, new = (event.changes.get("stage") or [None, None])[:2]
    product = Product.objects.filter(pk=event.object_id).only("id", "name").first()
    name = product.name if product else event.object_repr
    data = event.data or {}
    if event.actor_id:
        how = f"Moved by {event.actor.get_username()}"
    elif data.get("rule"):
        how = "Moved by a lifecycle rule"
    else:
        how = "Moved by the system"
    reason = _excerpt(data.get("reason") or "")
    notify(
        portfolio_id=event.portfolio_id,
        kind=Notification.Kind.STAGE_CHANGED,
        title=f"{name} moved from {_stage_label(old)} to {_stage_label(new)}",
        body=f"{how}: {reason}" if reason else f"{how}.",
        url=_url("product-page", event.object_id),
        event=event,
        dedupe_key=f"stage_changed:event:{event.id}",
        exclude_user_id=event.actor_id,
    )


# --- stage suggestions ---------------------------------------------------------------------------------


def suggestion_created(event: DomainEvent) -> None:
    suggestion = StageSuggestion.objects.filter(pk=event.object_id).select_related("product").first()
    if suggestion is None or suggestion.status != StageSuggestion.Status.PENDING:
        return  # decided or expired before anyone was told: nothing to decide any more
    product = suggestion.product
    notify(
        portfolio_id=event.portfolio_id,
        kind=Notification.Kind.SUGGESTION,
        title=(
            f"Suggested: move {product.name} from {_stage_label(suggestion.from_stage)} "
            f"to {_stage_label(suggestion.to_stage)}"
        ),
        body=_sentence(_excerpt(suggestion.reason)) + " See its evidence, then accept or dismiss it.",
        url=_url("suggestion-page", suggestion.id),
        roles=MANAGERS,
        event=event,
        dedupe_key=f"suggestion:{suggestion.id}",
    )


# --- KPIs turning off track ----------------------------------------------------------------------------


def kpi_health_changed(event: DomainEvent) -> None:
    old, new = (event.changes.get("health") or [None, None])[:2]
    if new != "off_track" or old == "off_track":
        return
    data = event.data or {}
    roles = list(MANAGERS)
    if data.get("launch_plan") or data.get("campaign"):
        roles.append(Role.MARKETER)  # a launch's or a campaign's KPI is the marketers' to watch too
    name = data.get("name") or event.object_repr
    product = data.get("product_name") or ""
    value, period = data.get("value"), data.get("period")
    body = []
    if value is not None and period:
        body.append(
            f"{_number(value)} {data.get('unit') or ''}".rstrip() + f" in {_period(period, data.get('granularity'))}"
        )
    if data.get("target") is not None:
        body.append(f"target {_number(data['target'])}")
    was = {"on_track": " It was on track.", "at_risk": " It was at risk."}.get(old, "")
    notify(
        portfolio_id=event.portfolio_id,
        kind=Notification.Kind.KPI_OFF_TRACK,
        title=f"{name}{f' of {product}' if product else ''} is off track",
        body=("; ".join(body) + "." if body else "") + was,
        url=_url("kpi-page", event.object_id),
        roles=roles,
        event=event,
        # Per KPI and period: two workers refreshing health at once (two events) tell each person once.
        dedupe_key=f"kpi_off_track:{event.object_id}:{period or event.id}",
    )


def _period(start: str, granularity: str | None) -> str:
    """ "2026-11-23", "week" → "the week of 23 Nov 2026"; a month → "November 2026"; a quarter → "Q4 2026"."""
    try:
        day = date.fromisoformat(start)
    except (TypeError, ValueError):
        return f"the period from {start}"
    if granularity == "day":
        return f"{day:%-d %b %Y}"
    if granularity == "week":
        return f"the week of {day:%-d %b %Y}"
    if granularity == "month":
        return f"{day:%B %Y}"
    if granularity == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if granularity == "year":
        return str(day.year)
    return f"the period from {start}"


def _number(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


# --- mentions ------------------------------------------------------------------------------------------


def mentioned_users(portfolio_id: int, text: str, *, author_id: int | None) -> list[int]:
    """The ids of the portfolio's members named as `@username` in `text` (names compared ignoring case;
    the writer is left out). One query, only when the text names someone."""
    names = {match.rstrip(".-").lower() for match in MENTION.findall(text or "")}
    names.discard("")
    if not names:
        return []
    members = Membership.objects.filter(portfolio_id=portfolio_id).values_list("user_id", "user__username")
    return sorted({uid for uid, username in members if username.lower() in names and uid != author_id})


def document_commented(event: DomainEvent) -> None:
    comment_id = (event.data or {}).get("comment")
    comment = DocumentComment.objects.filter(pk=comment_id).select_related("document", "author").first()
    if comment is None:
        return
    users = mentioned_users(event.portfolio_id, comment.body, author_id=comment.author_id)
    if not users:
        return
    who = comment.author.get_username() if comment.author_id else _who(event)
    notify(
        portfolio_id=event.portfolio_id,
        kind=Notification.Kind.MENTION,
        title=f"{who} mentioned you on “{comment.document.title}”",
        body=_excerpt(comment.body),
        url=_url("document-page", comment.document_id) + f"#comment-{comment.id}",
        users=users,
        event=event,
        dedupe_key=f"mention:document_comment:{comment.id}",
    )


def status_book_written(event: DomainEvent) -> None:
    text = (event.changes.get("text") or [None, None])[1]
    if not text:
        return  # the line's text did not change: nobody new to tell
    entry = StatusBookEntry.objects.filter(pk=event.object_id).select_related("author", "product").first()
    if entry is None:
        return
    users = mentioned_users(event.portfolio_id, entry.text, author_id=entry.author_id)
    if not users:
        return
    day = entry.date.isoformat()
    book = _url("status-book", event.portfolio_id)
    query = urlencode({"author": entry.author.get_username(), "from": day, "to": day})
    notify(
        portfolio_id=event.portfolio_id,
        kind=Notification.Kind.MENTION,
        title=f"{entry.author.get_username()} mentioned you in the status book ({entry.product.name})",
        body=_excerpt(entry.text),
        url=f"{book}?{query}" if book else "",
        users=users,
        event=event,
        # One notice per line and person: editing the line again does not repeat it; naming someone new does.
        dedupe_key=f"mention:status_book_entry:{entry.id}",
    )


register_handler("product.stage_changed", stage_changed)
register_handler("stage_suggestion.created", suggestion_created)
register_handler("kpi.health_changed", kpi_health_changed)
register_handler("document.commented", document_commented)
register_handler("status_book_entry.created", status_book_written)
register_handler("status_book_entry.updated", status_book_written)
