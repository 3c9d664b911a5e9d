"""Cross-functional signals: opened, refreshed and resolved from what kpis.signals detects.

- `signals_refresh(portfolio_id=, product_ids=None)` compares the findings with the open signals (of those
  products, when given): a new finding opens a signal (`signal.opened`), one still holding is refreshed (its
  message and evidence follow the latest rows; no event, it is the same signal), an open signal whose
  condition no longer holds is resolved (`signal.resolved`, with why in its evidence). Each write is its own
  transaction.
- Idempotent and safe with several workers at once: one open signal per kind and subject is the database's
  rule (`signal_one_open`), so an IntegrityError when opening means another worker opened it first; a
  resolve is a conditional UPDATE, so only one worker records `signal.resolved`.
- Run after rollups recompute (the products touched, kpis.services.derived), after the domain events that
  change a signal's facts (a campaign, a competitor move, a launch; kpis.signal_panels registers the
  handlers), and hourly by beat for every portfolio (`signals_refresh_all`: periods end without new data).
- When a signal opens, the portfolio's admins, product managers and marketers are told
  (products.services.notifications.notify, kind "signal", one notification per signal and person), from the
  `signal.opened` event's handler.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kpis import signals as detection
from kpis.models import Signal
from products import events
from products.models import Portfolio, Product, Role

log = logging.getLogger(__name__)

NOTIFIED_ROLES = (Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER)
RESOLVED_NOTE = "The condition no longer holds: "


def _why_resolved(signal: Signal) -> str:
    """Why a signal's condition no longer holds, in a sentence for its history."""
    if signal.kind == Signal.Kind.CAMPAIGN_LOW_CONVERSION:
        return (
            "the campaign's conversion is no longer off track for "
            f"{detection.CAMPAIGN_WEEKS} weeks in a row with its traffic there, or the campaign was cancelled or "
            f"ended more than {detection.RECENT_DAYS} days ago."
        )
    if signal.kind == Signal.Kind.LOW_USAGE_DESPITE_SPEND:
        return (
            f"usage is no longer off track in each of the latest {detection.USAGE_WEEKS} weeks, the campaigns' "
            f"spend changed, or the launch is more than {detection.USAGE_HORIZON_WEEKS} weeks old."
        )
    return "the KPI is no longer off track, or the move no longer explains the turn."


def _open(portfolio_id: int, finding: detection.Finding, now) -> Signal | None:
    try:
        with transaction.atomic():
            signal = Signal.objects.create(
                portfolio_id=portfolio_id,
                product_id=finding.product_id,
                kind=finding.kind,
                subject_key=finding.subject_key,
                kpi_id=finding.kpi_id,
                campaign_id=finding.campaign_id,
                launch_plan_id=finding.launch_plan_id,
                competitor_move_id=finding.competitor_move_id,
                message=finding.message,
                evidence=finding.evidence,
                opened_at=now,
                updated_at=now,
            )
            events.record(
                portfolio_id=portfolio_id,
                actor=None,
                verb="signal.opened",
                obj=signal,
                data={
                    "kind": signal.kind,
                    "product": signal.product_id,
                    "subject_key": signal.subject_key,
                    "message": signal.message,
                },
            )
    except IntegrityError:
        # Another worker opened the same kind and subject a moment ago: it is open, which is all we wanted.
        return None
    return signal


def _refresh(signal: Signal, finding: detection.Finding, now) -> bool:
    if signal.message == finding.message and signal.evidence == finding.evidence:
        return False
    # The same signal with newer rows: no event (the history would fill with every hourly run).
    Signal.objects.filter(pk=signal.pk, resolved_at__isnull=True).update(
        message=finding.message, evidence=finding.evidence, updated_at=now
    )
    return True


def _resolve(signal: Signal, now) -> bool:
    with transaction.atomic():
        evidence = {**(signal.evidence or {}), "resolution": RESOLVED_NOTE + _why_resolved(signal)}
        done = Signal.objects.filter(pk=signal.pk, resolved_at__isnull=True).update(
            resolved_at=now, updated_at=now, evidence=evidence
        )
        if not done:
            return False  # resolved by another worker meanwhile
        events.record(
            portfolio_id=signal.portfolio_id,
            actor=None,
            verb="signal.resolved",
            obj=signal,
            changes={"resolved_at": [None, now]},
            data={"kind": signal.kind, "product": signal.product_id, "subject_key": signal.subject_key},
        )
    return True


def signals_refresh(*, portfolio_id: int, product_ids=None, today: date | None = None) -> dict[str, int]:
    """Bring the portfolio's signals (of `product_ids` only, when given) in line with what holds now.
    Returns {"opened", "refreshed", "resolved"}. A missing portfolio does nothing."""
    counts = {"opened": 0, "refreshed": 0, "resolved": 0}
    portfolio = Portfolio.objects.filter(pk=portfolio_id).first()
    if portfolio is None:
        return counts
    findings = {f.key: f for f in detection.detect(portfolio, today=today, product_ids=product_ids)}
    current = Signal.objects.filter(portfolio_id=portfolio_id, resolved_at__isnull=True)
    if product_ids is not None:
        current = current.filter(product_id__in=list(product_ids))
    open_signals = {(s.kind, s.subject_key): s for s in current}
    now = timezone.now()
    for key, finding in findings.items():
        signal = open_signals.get(key)
        if signal is None:
            counts["opened"] += _open(portfolio_id, finding, now) is not None
        else:
            counts["refreshed"] += _refresh(signal, finding, now)
    for key, signal in open_signals.items():
        if key not in findings:
            counts["resolved"] += _resolve(signal, now)
    return counts


def signals_refresh_products(*, product_ids) -> dict[str, int]:
    """`signals_refresh` for the portfolios of these products, each for its products only (after their
    rollups changed)."""
    by_portfolio: dict[int, list[int]] = {}
    for product_id, portfolio_id in Product.objects.filter(pk__in=list(product_ids)).values_list("id", "portfolio_id"):
        by_portfolio.setdefault(portfolio_id, []).append(product_id)
    totals = {"opened": 0, "refreshed": 0, "resolved": 0}
    for portfolio_id, ids in sorted(by_portfolio.items()):
        for name, value in signals_refresh(portfolio_id=portfolio_id, product_ids=ids).items():
            totals[name] += value
    return totals


def signals_refresh_all(*, today: date | None = None) -> dict[str, int]:
    """`signals_refresh` for every portfolio (the periodic safety net). A portfolio that fails is logged and
    left for the next run; the others go on."""
    totals = {"opened": 0, "refreshed": 0, "resolved": 0}
    for portfolio_id in Portfolio.objects.order_by("id").values_list("id", flat=True):
        try:
            counts = signals_refresh(portfolio_id=portfolio_id, today=today)
        except Exception:  # noqa: BLE001 - one portfolio's bad data must not stop the others' signals
            log.exception("signals of portfolio %s could not be refreshed; the next run tries again", portfolio_id)
            continue
        for name, value in counts.items():
            totals[name] += value
    return totals


def signal_url(signal: Signal) -> str:
    return reverse("signal-list", args=[signal.portfolio_id]) + f"#signal-{signal.id}"


def signal_title(signal: Signal) -> str:
    return f"{signal.get_kind_display()}: {signal.product.name}"


def signal_notify(*, event) -> int:
    """Tell the portfolio's admins, product managers and marketers that a signal opened (the `signal.opened`
    event's handler). Idempotent: one notification per signal and person (dedupe key). A signal resolved or
    deleted before the handler ran tells nobody. Returns how many notifications were written."""
    from products.services.notifications import notify

    signal = Signal.objects.select_related("product").filter(pk=event.object_id, resolved_at__isnull=True).first()
    if signal is None:
        return 0
    return notify(
        portfolio_id=signal.portfolio_id,
        kind="signal",
        title=signal_title(signal),
        body=signal.message,
        url=signal_url(signal),
        roles=NOTIFIED_ROLES,
        event=event,
        dedupe_key=f"signal:{signal.id}",
    )
