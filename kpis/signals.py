"""Cross-functional signals: where marketing's and product's numbers disagree, found from the rollups.

`detect(portfolio, today=…, product_ids=…)` returns what holds now, as `Finding`s (kpis.services.signals
opens, refreshes and resolves `Signal` rows from them). Set-based: a fixed number of queries per portfolio
(about a dozen), whatever the number of products, campaigns, plans, moves and KPIs. Only complete, judged
periods count (kpis.health.unjudged: never the period holding today, never a partly covered first period);
health is each KPI's own (its target for one period of the granularity read, its tolerance).

The three kinds, each with its thresholds as the module constants below:

- **campaign_low_conversion** — a campaign brings traffic but its conversion stays below target. A campaign's
  KPIs play a role by their key's words (split on `_` and `-`), as on the launch pages (kpis.launch_figures):
  a *conversion* KPI has the word `conversion`/`conversions` (`paid_search_conversion_rate`); a *traffic* KPI
  has one of TRAFFIC_WORDS (`visits`, `sessions`, `clicks`, `leads`, …) in its key or as its unit; the
  plainest key wins each role. It holds when the conversion KPI's latest CAMPAIGN_WEEKS complete weeks within
  the campaign's dates follow one another and are each **off track** (at risk is not enough), and the traffic
  KPI over those weeks is there: a weekly mean of at least TRAFFIC_SHARE_OF_TARGET of its weekly target, or
  above zero without a target. No conversion or no traffic KPI, no signal; a cancelled campaign, or one that
  ended more than RECENT_DAYS ago, no signal.
- **low_usage_despite_spend** — a launched plan's usage stays low although its campaigns spent money. The
  usage KPIs are the plan's own (narrowed to it, not to a campaign); without any, the product's adoption KPI
  (the first of USAGE_KEYS it has). It holds when the plan launched at least USAGE_WEEKS complete weeks ago
  (weeks from the first Monday on or after launch day) and at most USAGE_HORIZON_WEEKS ago, the latest
  USAGE_WEEKS complete weeks since launch follow one another and are each off track, and its campaigns spent
  at least MIN_PROMOTION_SPEND together.
- **off_track_after_competitor_move** — a product's KPI turned off track within MOVE_WEEKS after a competitor
  move naming the product, and is still off track. Read at the KPI's target granularity: the *turn* is the
  first period of the KPI's current off-track run, after a judged period that was not off track (a KPI off
  track for as long as its rows go back did not turn). It holds when a move happened before the turn period
  ended and no more than MOVE_WEEKS weeks before it began; the closest such move is named. Moves of the last
  MOVE_LOOKBACK_DAYS count.

Each finding has a message in plain words and its evidence: the rule in words, the facts (campaign, plan,
move) and `series`, the KPI rows behind it ([{"kpi", "granularity", "rows": [{"period_start", "value",
"target", "health"}]}]).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from gtm.models import Campaign, LaunchPlan
from kpis.health import rollup_row, target_for
from kpis.launch_figures import currency_of
from kpis.launch_panels import money, quantity
from kpis.models import KPI, Health, Rollup, Signal
from kpis.periods import next_period_start, period_start
from kpis.selectors import first_measured_days
from products.models import CompetitorMove, Portfolio

Kind = Signal.Kind

# campaign_low_conversion
CAMPAIGN_WEEKS = 3  # complete weeks in a row with conversion off track
TRAFFIC_SHARE_OF_TARGET = Decimal("0.5")  # "brings traffic": a weekly mean of at least half its target
RECENT_DAYS = 28  # a campaign that ended longer ago than this is history, not a signal
TRAFFIC_WORDS = frozenset(
    {"traffic", "visits", "visitors", "sessions", "clicks", "pageviews", "page_views", "views", "leads", "mqls"}
)
CONVERSION_WORDS = frozenset({"conversion", "conversions"})

# low_usage_despite_spend
USAGE_WEEKS = 3  # complete weeks since launch, the latest this many each off track
USAGE_HORIZON_WEEKS = 26  # after half a year a launch is the product's normal life
MIN_PROMOTION_SPEND = Decimal(1000)  # what the plan's campaigns spent together, in the portfolio's money
USAGE_KEYS = (
    "weekly_active_users",
    "active_users",
    "daily_active_users",
    "monthly_active_users",
    "signups",
    "sign_ups",
    "activations",
)

# off_track_after_competitor_move
MOVE_WEEKS = 4  # the turn began at most this many weeks after the move
MOVE_LOOKBACK_DAYS = 183  # moves older than this explain nothing new
# Periods read before the earliest move, so the period before a turn is there to compare with.
_LEAD_DAYS = {"day": 2, "week": 8, "month": 32, "quarter": 93, "year": 367}

UNJUDGED = (Health.IN_PROGRESS, Health.PARTIAL)
WORDS = re.compile(r"[_\-]+")

RULES = {
    Kind.CAMPAIGN_LOW_CONVERSION: (
        f"A campaign's conversion KPI was off track in each of its latest {CAMPAIGN_WEEKS} complete weeks while its "
        f"traffic KPI averaged at least {int(TRAFFIC_SHARE_OF_TARGET * 100)} % of its weekly target."
    ),
    Kind.LOW_USAGE_DESPITE_SPEND: (
        f"A launch's usage KPI was off track in each of the latest {USAGE_WEEKS} complete weeks since launch while "
        f"its campaigns spent at least {MIN_PROMOTION_SPEND:,}."
    ),
    Kind.OFF_TRACK_AFTER_COMPETITOR_MOVE: (
        f"A KPI of the product turned off track within {MOVE_WEEKS} weeks after a competitor move naming the "
        "product, and is still off track."
    ),
}


@dataclass
class Finding:
    """A signal's condition holding now: what `Signal` gets when it opens or is refreshed."""

    kind: str
    subject_key: str
    product_id: int
    message: str
    evidence: dict
    kpi_id: int | None = None
    campaign_id: int | None = None
    launch_plan_id: int | None = None
    competitor_move_id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.subject_key)


# --- words and rows ---------------------------------------------------------------------------------------


def words_of(text: str) -> set[str]:
    return {word for word in WORDS.split((text or "").lower()) if word}


def is_conversion(kpi: KPI) -> bool:
    return bool(words_of(kpi.key) & CONVERSION_WORDS)


def is_traffic(kpi: KPI) -> bool:
    if is_conversion(kpi):
        return False
    key = kpi.key.lower()
    unit = (kpi.unit or "").strip().lower()
    return bool(words_of(key) & TRAFFIC_WORDS) or "page_views" in key or unit in TRAFFIC_WORDS


def _plainest(kpis: list[KPI]) -> KPI | None:
    return min(kpis, key=lambda k: (len(k.key), k.id)) if kpis else None


def kpi_facts(kpi: KPI) -> dict:
    return {"id": kpi.id, "key": kpi.key, "name": kpi.name, "unit": kpi.unit}


def _number(value) -> float | None:
    return None if value is None else float(value)


def row_facts(row: dict) -> dict:
    return {
        "period_start": row["period_start"].isoformat(),
        "value": _number(row["value"]),
        "target": _number(row["target"]),
        "health": row["health"],
    }


def series_facts(kpi: KPI, granularity: str, rows: list[dict]) -> dict:
    return {"kpi": kpi_facts(kpi), "granularity": granularity, "rows": [row_facts(row) for row in rows]}


def _rounded(value: Decimal) -> Decimal:
    """A mean as people say it: whole from 10 up (54, not 54.33), one decimal below."""
    return value.quantize(Decimal(1) if abs(value) >= 10 else Decimal("0.1"), ROUND_HALF_UP)


def _day(day: date) -> str:
    return f"{day.day} {day:%b} {day.year}"


def _weeks_word(n: int) -> str:
    return f"{n} week{'s' if n != 1 else ''}"


def judged_rows(kpis: list[KPI], granularity_of, *, since: date, today: date) -> dict[int, list[dict]]:
    """{kpi_id: [rollup_row, …]} oldest first: each KPI's judged rows at its granularity (`granularity_of(kpi)`)
    from `since`. Two queries for any number of KPIs and granularities (the rows, the first measured days)."""
    if not kpis:
        return {}
    by_granularity: dict[str, list[int]] = defaultdict(list)
    for kpi in kpis:
        by_granularity[granularity_of(kpi)].append(kpi.id)
    scope = Q()
    for granularity, ids in by_granularity.items():
        scope |= Q(kpi_id__in=ids, granularity=granularity)
    rows = (
        Rollup.objects.filter(scope, period_start__gte=since)
        .order_by("kpi_id", "period_start")
        .values_list("kpi_id", "period_start", "value", "count")
    )
    raw: dict[int, list] = defaultdict(list)
    for kpi_id, start, value, count in rows:
        raw[kpi_id].append((start, value, count))
    first_days = first_measured_days(kpis)
    judged: dict[int, list[dict]] = {}
    for kpi in kpis:
        granularity = granularity_of(kpi)
        current = period_start(today, granularity)
        series = [
            rollup_row(kpi, granularity, start, value, count, current=current, first_day=first_days.get(kpi.id))
            for start, value, count in raw.get(kpi.id, ())
        ]
        judged[kpi.id] = [row for row in series if row["health"] not in UNJUDGED]
    return judged


def latest_run(rows: list[dict], n: int, granularity: str) -> list[dict] | None:
    """The latest `n` rows when they follow one another without a gap; else None."""
    if len(rows) < n:
        return None
    picked = rows[-n:]
    for earlier, later in zip(picked, picked[1:], strict=False):
        if next_period_start(earlier["period_start"], granularity) != later["period_start"]:
            return None
    return picked


# --- campaign_low_conversion ------------------------------------------------------------------------------


def _campaign_findings(portfolio: Portfolio, today: date, product_ids) -> list[Finding]:
    campaigns = Campaign.objects.filter(product__portfolio=portfolio, start_date__lte=today).exclude(
        status=Campaign.Status.CANCELLED
    )
    campaigns = campaigns.filter(end_date__gte=today - timedelta(days=RECENT_DAYS))
    if product_ids is not None:
        campaigns = campaigns.filter(product_id__in=product_ids)
    campaigns = {c.id: c for c in campaigns.select_related("product")}
    if not campaigns:
        return []
    roles: dict[int, dict[str, list[KPI]]] = defaultdict(lambda: {"traffic": [], "conversion": []})
    for kpi in KPI.objects.filter(campaign_id__in=list(campaigns)).order_by("id"):
        if is_conversion(kpi):
            roles[kpi.campaign_id]["conversion"].append(kpi)
        elif is_traffic(kpi):
            roles[kpi.campaign_id]["traffic"].append(kpi)
    pairs = {
        campaign_id: (_plainest(found["traffic"]), _plainest(found["conversion"]))
        for campaign_id, found in roles.items()
        if found["traffic"] and found["conversion"]
    }
    kpis = [kpi for pair in pairs.values() for kpi in pair]
    earliest = min((campaigns[cid].start_date for cid in pairs), default=today)
    rows = judged_rows(kpis, lambda kpi: "week", since=period_start(earliest, "week"), today=today)
    findings = []
    for campaign_id, (traffic, conversion) in pairs.items():
        campaign = campaigns[campaign_id]
        first_week = period_start(campaign.start_date, "week")
        last_week = period_start(campaign.end_date, "week")

        conversion_rows = [r for r in rows.get(conversion.id, []) if first_week <= r["period_start"] <= last_week]
        run = latest_run(conversion_rows, CAMPAIGN_WEEKS, "week")
        if run is None or any(row["health"] != Health.OFF_TRACK for row in run):
            continue
        weeks = {row["period_start"] for row in run}
        traffic_rows = [row for row in rows.get(traffic.id, []) if row["period_start"] in weeks]
        traffic_mean = sum((row["value"] for row in traffic_rows), Decimal(0)) / len(run)
        traffic_target = traffic_rows[0]["target"] if traffic_rows else None
        if traffic_target is None:
            traffic_target = target_for(
                target=traffic.target,
                target_granularity=traffic.target_granularity,
                aggregation=traffic.aggregation,
                granularity="week",
            )
        enough = traffic_target is None or traffic_mean >= traffic_target * TRAFFIC_SHARE_OF_TARGET
        if traffic_mean <= 0 or not enough:
            continue
        latest = run[-1]
        brings = quantity(_rounded(traffic_mean), traffic.unit or traffic.name.lower())
        aim = f", target {quantity(traffic_target, traffic.unit)}" if traffic_target is not None else ""
        message = (
            f"“{campaign.name}” brings traffic ({brings} a week on average{aim}) but {conversion.name.lower()} "
            f"stayed off track for {_weeks_word(CAMPAIGN_WEEKS)} in a row: "
            f"{quantity(latest['value'], conversion.unit)} in the week of {_day(latest['period_start'])} "
            f"against a target of {quantity(latest['target'], conversion.unit)}."
        )
        findings.append(
            Finding(
                kind=Kind.CAMPAIGN_LOW_CONVERSION,
                subject_key=f"campaign:{campaign.id}",
                product_id=campaign.product_id,
                campaign_id=campaign.id,
                launch_plan_id=campaign.launch_plan_id,
                kpi_id=conversion.id,
                message=message,
                evidence={
                    "rule": RULES[Kind.CAMPAIGN_LOW_CONVERSION],
                    "campaign": {
                        "id": campaign.id,
                        "name": campaign.name,
                        "channel": campaign.channel,
                        "start_date": campaign.start_date.isoformat(),
                        "end_date": campaign.end_date.isoformat(),
                        "spend": _number(campaign.spend),
                    },
                    "weeks": CAMPAIGN_WEEKS,
                    "traffic_mean": _number(traffic_mean),
                    "series": [
                        series_facts(conversion, "week", run),
                        series_facts(traffic, "week", traffic_rows),
                    ],
                },
            )
        )
    return findings


# --- low_usage_despite_spend ------------------------------------------------------------------------------


def _usage_findings(portfolio: Portfolio, today: date, product_ids) -> list[Finding]:
    current_week = period_start(today, "week")
    plans = LaunchPlan.objects.filter(
        product__portfolio=portfolio,
        status=LaunchPlan.Status.LAUNCHED,
        launch_date__gte=today - timedelta(weeks=USAGE_HORIZON_WEEKS),
        launch_date__lte=current_week - timedelta(weeks=USAGE_WEEKS),
    )
    if product_ids is not None:
        plans = plans.filter(product_id__in=product_ids)
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=2))
    plans = list(
        plans.annotate(spent=Coalesce(Sum("campaigns__spend"), zero), campaign_count=Count("campaigns"))
        .filter(spent__gte=MIN_PROMOTION_SPEND)
        .select_related("product")
    )
    if not plans:
        return []
    kpis = list(
        KPI.objects.filter(campaign__isnull=True)
        .filter(
            Q(launch_plan__in=plans)
            | Q(
                launch_plan__isnull=True,
                product_id__in={plan.product_id for plan in plans},
                key__in=[*USAGE_KEYS, "revenue"],
            )
        )
        .order_by("id")
    )
    own: dict[int, list[KPI]] = defaultdict(list)
    adoption: dict[int, list[KPI]] = defaultdict(list)
    for kpi in kpis:
        if kpi.launch_plan_id:
            own[kpi.launch_plan_id].append(kpi)
        else:
            adoption[kpi.product_id].append(kpi)
    rank = {key: index for index, key in enumerate(USAGE_KEYS)}
    usage: dict[int, list[KPI]] = {}
    for plan in plans:
        if own.get(plan.id):
            usage[plan.id] = own[plan.id]
        else:
            candidates = [k for k in adoption.get(plan.product_id, []) if k.key in rank]
            usage[plan.id] = sorted(candidates, key=lambda k: rank[k.key])[:1]
    judged = [kpi for chosen in usage.values() for kpi in chosen]
    earliest = min(plan.launch_date for plan in plans)
    rows = judged_rows(judged, lambda kpi: "week", since=period_start(earliest, "week"), today=today)
    findings = []
    for plan in plans:
        first_week = period_start(plan.launch_date, "week")
        if first_week != plan.launch_date:
            first_week += timedelta(weeks=1)  # the launch week is half before launch: weeks from the next Monday
        currency = currency_of([*adoption.get(plan.product_id, []), *own.get(plan.id, [])])
        for kpi in usage[plan.id]:
            since_launch = [row for row in rows.get(kpi.id, []) if row["period_start"] >= first_week]
            run = latest_run(since_launch, USAGE_WEEKS, "week")
            if run is None or any(row["health"] != Health.OFF_TRACK for row in run):
                continue
            latest = run[-1]
            campaigns = f"{plan.campaign_count} campaign{'s' if plan.campaign_count != 1 else ''}"
            message = (
                f"{kpi.name} stayed off track in each of the latest {_weeks_word(USAGE_WEEKS)} since “{plan.name}” "
                f"launched on {_day(plan.launch_date)} ({quantity(latest['value'], kpi.unit)} in the week of "
                f"{_day(latest['period_start'])} against a target of {quantity(latest['target'], kpi.unit)}), "
                f"while its {campaigns} spent {money(plan.spent, currency)}."
            )
            findings.append(
                Finding(
                    kind=Kind.LOW_USAGE_DESPITE_SPEND,
                    subject_key=f"launch_plan:{plan.id}:kpi:{kpi.id}",
                    product_id=plan.product_id,
                    launch_plan_id=plan.id,
                    kpi_id=kpi.id,
                    message=message,
                    evidence={
                        "rule": RULES[Kind.LOW_USAGE_DESPITE_SPEND],
                        "launch_plan": {
                            "id": plan.id,
                            "name": plan.name,
                            "launch_date": plan.launch_date.isoformat(),
                            "spend": _number(plan.spent),
                            "campaigns": plan.campaign_count,
                            "spend_text": money(plan.spent, currency),
                        },
                        "weeks": USAGE_WEEKS,
                        "series": [series_facts(kpi, "week", since_launch[-max(USAGE_WEEKS, 8) :])],
                    },
                )
            )
    return findings


# --- off_track_after_competitor_move ----------------------------------------------------------------------


def _move_findings(portfolio: Portfolio, today: date, product_ids) -> list[Finding]:
    links = CompetitorMove.products.through.objects.filter(
        competitormove__competitor__portfolio=portfolio,
        competitormove__happened_on__gte=today - timedelta(days=MOVE_LOOKBACK_DAYS),
        competitormove__happened_on__lte=today,
    )
    if product_ids is not None:
        links = links.filter(product_id__in=product_ids)
    moves_by_product: dict[int, list[dict]] = defaultdict(list)
    for move_id, product_id, happened_on, competitor_id, competitor, kind, description in links.values_list(
        "competitormove_id",
        "product_id",
        "competitormove__happened_on",
        "competitormove__competitor_id",
        "competitormove__competitor__name",
        "competitormove__kind",
        "competitormove__description",
    ):
        moves_by_product[product_id].append(
            {
                "id": move_id,
                "happened_on": happened_on,
                "competitor_id": competitor_id,
                "competitor": competitor,
                "kind": kind,
                "kind_label": CompetitorMove.Kind(kind).label if kind in CompetitorMove.Kind.values else kind,
                "description": description,
            }
        )
    if not moves_by_product:
        return []
    kpis = list(
        KPI.objects.filter(product_id__in=list(moves_by_product), campaign__isnull=True, health=Health.OFF_TRACK)
        .select_related("product")
        .order_by("id")
    )
    if not kpis:
        return []
    earliest = min(move["happened_on"] for moves in moves_by_product.values() for move in moves)
    lead = max(_LEAD_DAYS[kpi.target_granularity] for kpi in kpis)
    since = earliest - timedelta(weeks=MOVE_WEEKS, days=lead)
    rows = judged_rows(kpis, lambda kpi: kpi.target_granularity, since=since, today=today)
    findings = []
    for kpi in kpis:
        granularity = kpi.target_granularity
        series = rows.get(kpi.id, [])
        if not series or series[-1]["health"] != Health.OFF_TRACK:
            continue
        start = len(series) - 1
        while start > 0 and series[start - 1]["health"] == Health.OFF_TRACK:
            start -= 1
        if start == 0:
            continue  # off track as far back as the rows go: it did not turn in the window
        turn = series[start]["period_start"]
        turn_end = next_period_start(turn, granularity)
        candidates = [
            move
            for move in moves_by_product[kpi.product_id]
            if move["happened_on"] < turn_end and move["happened_on"] >= turn - timedelta(weeks=MOVE_WEEKS)
        ]
        if not candidates:
            continue
        move = max(candidates, key=lambda m: (m["happened_on"], m["id"]))
        shown = series[start - 1 :]
        latest = series[-1]
        gap = (turn - move["happened_on"]).days
        if gap > 0:
            when = f"{gap} day{'s' if gap != 1 else ''} after"
        elif gap == 0:
            when = "from the day of"
        else:
            when = f"in the same {granularity} as"
        periods = len(series) - start
        message = (
            f"{kpi.name} of {kpi.product.name} turned off track in the {granularity} of {_day(turn)}, {when} "
            f"{move['competitor']}'s {move['kind_label'].lower()} on {_day(move['happened_on'])}, and is still off "
            f"track ({periods} {granularity}{'s' if periods != 1 else ''}; {quantity(latest['value'], kpi.unit)} "
            f"against a target of {quantity(latest['target'], kpi.unit)})."
        )
        findings.append(
            Finding(
                kind=Kind.OFF_TRACK_AFTER_COMPETITOR_MOVE,
                subject_key=f"kpi:{kpi.id}:move:{move['id']}",
                product_id=kpi.product_id,
                kpi_id=kpi.id,
                competitor_move_id=move["id"],
                message=message,
                evidence={
                    "rule": RULES[Kind.OFF_TRACK_AFTER_COMPETITOR_MOVE],
                    "competitor_move": {
                        "id": move["id"],
                        "competitor_id": move["competitor_id"],
                        "competitor": move["competitor"],
                        "kind": move["kind"],
                        "happened_on": move["happened_on"].isoformat(),
                        "description": move["description"][:500],
                    },
                    "turn": turn.isoformat(),
                    "series": [series_facts(kpi, granularity, shown[-13:])],
                },
            )
        )
    return findings


# --- all of them ------------------------------------------------------------------------------------------


def today_of(portfolio: Portfolio) -> date:
    return timezone.now().astimezone(portfolio.zone).date()


def detect(portfolio: Portfolio, *, today: date | None = None, product_ids=None) -> list[Finding]:
    """Every signal whose condition holds now in the portfolio (of `product_ids` only, when given)."""
    today = today or today_of(portfolio)
    products = set(product_ids) if product_ids is not None else None
    return [
        *_campaign_findings(portfolio, today, products),
        *_usage_findings(portfolio, today, products),
        *_move_findings(portfolio, today, products),
    ]
