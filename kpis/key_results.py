"""What key results and goals stand at: current value, progress and health, for many at once.

**Current value.** A key result measured by a KPI takes the value of the KPI's latest *complete*
period at the KPI's target granularity (the period holding today, in the portfolio's time zone, is
still running and never counts): the KPI's own rollups, never a second number typed in. Without a
KPI it takes `manual_value`. No complete period yet (or no manual value): `current_value` is null.

**Progress** = (current − start) ÷ (target − start) × 100, clamped to 0–100 and rounded to one
decimal place. A falling target works the same way (churn from 8 % to 4 %, now 6 % → 50). Past the
target it is 100; going the wrong way it is 0. A target equal to the start is a level to hold: 100
while the value is on the good side of it (for a KPI its direction says which side; without one, at
or above it), else 0. **No value yet: progress is null** (not 0: "not measured" is not "no progress").

**Health.** With a KPI that has a target: the KPI's health for that same period (on track at or better
than its target, at risk within its tolerance, off track beyond; "not judged yet" while that period
is the KPI's partly covered first one). Without a KPI, or with a KPI that has no target, the key
result is judged on its schedule: progress against the share of the goal's period gone by today
(day by day, both ends included): on track while progress is at most 10 points behind that share (or
the target is reached), at risk up to 25 points behind, off track beyond. No value yet: not judged.

**A goal's progress** is the mean of its key results' progress, a key result without a value counting
0 (a goal is not done while one of its key results is unmeasured); null without key results. **Its
health** is the worst of its key results' (off track, at risk, on track); not judged while none is.

`key_result_values` reads the rollups of any number of key results in one query (a window over the
rollups of their KPIs, each at its own target granularity); the key results come with their goal,
product, portfolio and KPI loaded (`key_results_loaded`, `goals_loaded`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from kpis.charts import sparkline
from kpis.health import rollup_row
from kpis.models import KPI, Direction, Granularity, Health, Rollup
from kpis.selectors import current_period_start
from products.models import Goal, KeyResult

SPARK_PERIODS = 12
ON_TRACK_POINTS = Decimal(10)  # behind the share of the period gone, still on track
AT_RISK_POINTS = Decimal(25)
HUNDRED = Decimal(100)
ONE_PLACE = Decimal("0.1")
SCHEDULE_RULE = (
    "Without a KPI (or with a KPI without a target), a key result is judged on its schedule: on track "
    f"while its progress is at most {ON_TRACK_POINTS} points behind the share of the goal's period gone, "
    f"at risk up to {AT_RISK_POINTS} points behind, off track beyond."
)
# Worst first: a goal's health is its worst judged key result's.
SEVERITY = [Health.OFF_TRACK, Health.AT_RISK, Health.ON_TRACK]
PERIODS = ("current", "past", "upcoming", "all")


@dataclass(frozen=True)
class KeyResultValue:
    current: Decimal | None
    progress: Decimal | None
    health: str
    kpi: KPI | None = None
    period_start: date | None = None  # the KPI period `current` is of; None for a manual value
    series: list = field(default_factory=list)  # [(period_start, value)], the complete periods, oldest first

    @property
    def health_label(self) -> str:
        return Health(self.health).label

    @property
    def spark(self):
        """The KPI's latest complete periods as the dashboard's sparkline (None without a KPI)."""
        if self.kpi is None:
            return None
        name = Granularity(self.kpi.target_granularity).label.lower()
        return sparkline(
            [value for _, value in self.series],
            label=f"{self.kpi.name}, the last {len(self.series)} complete {name}s",
        )


@dataclass(frozen=True)
class GoalValue:
    progress: Decimal | None
    health: str
    elapsed: Decimal  # the share of the goal's period gone, in percent

    @property
    def health_label(self) -> str:
        return Health(self.health).label


# --- the rules ------------------------------------------------------------------------------------------


def _one_place(value: Decimal) -> Decimal:
    return value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def progress_of(*, start, target, current, direction: str | None = None) -> Decimal | None:
    """Progress in percent from `start` to `target` at `current`, clamped 0–100 (see the module)."""
    if current is None or target is None:
        return None
    start, target, current = Decimal(start), Decimal(target), Decimal(current)
    if target == start:
        held = current <= target if direction == Direction.LOWER else current >= target
        return HUNDRED if held else Decimal(0)
    share = (current - start) / (target - start) * HUNDRED
    return _one_place(min(HUNDRED, max(Decimal(0), share)))


def elapsed_of(goal: Goal, today: date) -> Decimal:
    """The share of the goal's period gone by the end of `today`, in percent (0 before, 100 after)."""
    days = (goal.period_end - goal.period_start).days + 1
    gone = (today - goal.period_start).days + 1
    return _one_place(min(HUNDRED, max(Decimal(0), Decimal(gone) * HUNDRED / days)))


def schedule_health(progress: Decimal | None, elapsed: Decimal) -> str:
    """Health of a key result judged on its schedule (the module's rule)."""
    if progress is None:
        return Health.NO_DATA
    if progress >= HUNDRED or progress >= elapsed - ON_TRACK_POINTS:
        return Health.ON_TRACK
    if progress >= elapsed - AT_RISK_POINTS:
        return Health.AT_RISK
    return Health.OFF_TRACK


def goal_value(goal: Goal, key_results, values: dict, today: date) -> GoalValue:
    """A goal's progress and health from its key results' `values` (see the module)."""
    mine = [values[kr.pk] for kr in key_results if kr.pk in values]
    progress = None
    if mine:
        progress = _one_place(sum((v.progress or Decimal(0) for v in mine), Decimal(0)) / len(mine))
    judged = {v.health for v in mine}
    health = next((h for h in SEVERITY if h in judged), Health.NO_DATA)
    return GoalValue(progress=progress, health=health, elapsed=elapsed_of(goal, today))


# --- loading --------------------------------------------------------------------------------------------


def key_results_loaded(queryset: QuerySet | None = None) -> QuerySet:
    """Key results with what their values need (goal, product, portfolio, KPI and its portfolio)."""
    queryset = KeyResult.objects.all() if queryset is None else queryset
    return queryset.select_related("goal__product__portfolio", "kpi__product__portfolio")


def goals_loaded(queryset: QuerySet | None = None) -> QuerySet:
    """Goals with their product and portfolio, and their key results (with their KPIs): two queries."""
    queryset = Goal.objects.all() if queryset is None else queryset
    key_results = KeyResult.objects.select_related("kpi__product__portfolio").order_by("title", "id")
    return queryset.select_related("product__portfolio").prefetch_related(Prefetch("key_results", key_results))


def kpi_of(key_result: KeyResult) -> KPI | None:
    try:
        return key_result.kpi
    except KPI.DoesNotExist:
        return None


def today_of(portfolio) -> date:
    return timezone.localdate(timezone=portfolio.zone)


def _complete_rollups(kpis: list[KPI], today: date | None, keep: int) -> dict[int, dict]:
    """Each KPI's latest `keep` complete periods at its target granularity, oldest first, as the rollups
    API's rows (health judged as `kpis.health.rollup_row` does): one query for any number of KPIs."""
    if not kpis:
        return {}
    groups: dict[tuple[str, date], list[int]] = defaultdict(list)
    cutoffs = {}
    for kpi in kpis:
        cutoff = current_period_start(kpi.product.portfolio.zone, kpi.target_granularity, today)
        cutoffs[kpi.id] = cutoff
        groups[(kpi.target_granularity, cutoff)].append(kpi.id)
    condition = Q()
    for (granularity, cutoff), ids in sorted(groups.items()):
        condition |= Q(kpi_id__in=ids, granularity=granularity, period_start__lt=cutoff)
    days = Rollup.objects.filter(kpi_id=OuterRef("kpi_id"), granularity="day").order_by("period_start")
    rows = (
        Rollup.objects.filter(condition)
        .annotate(rank=Window(RowNumber(), partition_by=F("kpi_id"), order_by=F("period_start").desc()))
        .filter(rank__lte=keep)
        .order_by("kpi_id", "period_start")
        .annotate(first_day=Subquery(days.values("period_start")[:1]))
        .values_list("kpi_id", "period_start", "value", "count", "first_day")
    )
    by_id = {kpi.id: kpi for kpi in kpis}
    series: dict[int, list[dict]] = defaultdict(list)
    for kpi_id, start, value, count, first_day in rows:
        kpi = by_id[kpi_id]
        granularity = kpi.target_granularity
        series[kpi_id].append(
            rollup_row(kpi, granularity, start, value, count, current=cutoffs[kpi_id], first_day=first_day)
        )
    return series


def key_result_values(key_results, *, today: date | None = None, keep: int = SPARK_PERIODS) -> dict:
    """{key result id: KeyResultValue} for `key_results` (loaded as `key_results_loaded` does, or through
    `goals_loaded`): one query for the rollups of all their KPIs. `today` (else each portfolio's today)
    decides which periods are complete and how much of each goal's period is gone."""
    key_results = list(key_results)
    kpis = {kpi.id: kpi for kr in key_results if (kpi := kpi_of(kr)) is not None}
    series = _complete_rollups(list(kpis.values()), today, keep)
    values = {}
    for kr in key_results:
        kpi = kpi_of(kr)
        goal = kr.goal
        elapsed = elapsed_of(goal, today or today_of(goal.product.portfolio))
        if kpi is None:
            progress = progress_of(start=kr.start_value, target=kr.target_value, current=kr.manual_value)
            values[kr.pk] = KeyResultValue(
                current=kr.manual_value, progress=progress, health=schedule_health(progress, elapsed)
            )
            continue
        rows = series.get(kpi.id, [])
        latest = rows[-1] if rows else None
        current = latest["value"] if latest else None
        progress = progress_of(start=kr.start_value, target=kr.target_value, current=current, direction=kpi.direction)
        if latest is None:
            health = Health.NO_DATA
        elif latest["health"] == Health.PARTIAL:
            health = Health.NO_DATA  # the KPI's partly covered first period: shown, not judged (as the KPI)
        elif latest["health"] == Health.NO_TARGET:
            health = schedule_health(progress, elapsed)
        else:
            health = latest["health"]
        values[kr.pk] = KeyResultValue(
            current=current,
            progress=progress,
            health=health,
            kpi=kpi,
            period_start=latest["period_start"] if latest else None,
            series=[(row["period_start"], row["value"]) for row in rows],
        )
    return values


def goal_values(goals, *, today: date | None = None) -> tuple[dict, dict]:
    """({goal id: GoalValue}, {key result id: KeyResultValue}) for goals loaded by `goals_loaded`."""
    goals = list(goals)
    key_results = [kr for goal in goals for kr in goal.key_results.all()]
    values = key_result_values(key_results, today=today)
    return (
        {
            goal.pk: goal_value(goal, goal.key_results.all(), values, today or today_of(goal.product.portfolio))
            for goal in goals
        },
        values,
    )


# --- which goals -----------------------------------------------------------------------------------------


def period_condition(period: str, zones: dict[int, object], *, prefix: str = "") -> Q:
    """Goals (`prefix` "goal__" for key results) whose period holds today (`current`), has ended (`past`)
    or has not begun (`upcoming`), today in each portfolio's time zone (`zones`: {portfolio id: zone})."""
    if period not in PERIODS or period == "all":
        return Q()
    condition = Q(pk__in=[])
    for portfolio_id, zone in zones.items():
        day = timezone.localdate(timezone=zone)
        if period == "current":
            when = Q(**{f"{prefix}period_start__lte": day, f"{prefix}period_end__gte": day})
        elif period == "past":
            when = Q(**{f"{prefix}period_end__lt": day})
        else:
            when = Q(**{f"{prefix}period_start__gt": day})
        condition |= Q(**{f"{prefix}product__portfolio_id": portfolio_id}) & when
    return condition
