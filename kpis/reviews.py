"""Post-launch reviews: what a launch did to its product's KPIs, beside what its planners expected.

The figures of `/api/v1/launch-reviews/` and the review pages (API-CONTRACT.md, "Lifecycle automation and
events"), computed on every read from the day rollups, so a measurement that arrives late (an import of
last month) counts as soon as its rollups are rebuilt; `LaunchReview.results` keeps the last computation
a service wrote (kpis.services.reviews), for the admin and as a snapshot, never as the answer.

- **Windows**: local days of the portfolio (the day rollups' days). *Before* is the `window_days` days
  before the plan's `launch_date` (launch_date − window_days … launch_date − 1), *after* the `window_days`
  days from it (launch_date … launch_date + window_days − 1): a measurement on launch day counts as after.
- **A side's value** is the KPI's aggregation over every measurement of the side's days, combined from the
  day rollups as kpis.launch_figures combines rollup rows: sum → the total; avg → total ÷ count, every
  measurement weighing the same (never a mean of daily means); min/max → the least/greatest; last → the
  latest day's last value. A side without a measurement has no value.
- **change_pct** = (after − before) ÷ |before| × 100, rounded half up to 2 decimals; null without both
  sides or when before is 0, and for a `sum` KPI while the window is not over (a total of the days so far
  against a whole window's is no change; an average, a latest value, a min or max so far is shown).
- **Which KPIs**: the product's own KPIs a launch moves (kpis.launch_figures.product_kpis_for_launch: not
  a campaign's; the whole product's and this plan's), headline first, then those with an expectation,
  then adoption and revenue keys, then by name. An expectation on a key no such KPI has any more is still
  listed (`kpi` null, no data), so it is not silently dropped.
- **expected_change_pct**: the sum of `expected_change_pct` over the roadmap items of the plan's release
  that expect a change in that key (dropped items excepted): several items of one release add their
  effects (+5 % and +3 % expect +8 %). Null when none states one, or when the plan has no release.
- **held**: the change reached the expected one in the expected direction: change ≥ expected for an
  expected rise, change ≤ expected for an expected fall; an expected 0 % means "must not get worse" (≥ 0
  for a higher-is-better KPI, ≤ 0 for a lower-is-better one). Null without an expectation, without data,
  or while the window is not over (`status` "waiting").
- **optimism_pct**: how far the planners overestimated, in percentage points in the expected direction
  (expected − change for a rise, change − expected for a fall): positive = optimistic, negative = the
  launch did better than planned; a KPI held exactly when it is ≤ 0.
- **A review** is `waiting` until its after-window is over (today, in the portfolio's time zone, is past
  its last day), then `complete`. It *held* when every KPI with an expectation held; null when it has no
  expectation, is waiting, or one of its expected KPIs has no data to judge.
- **Accuracy by quarter** of launch date (calendar quarters): how many reviews, how many still waiting,
  how many could be judged (`with_expectations`: complete, with an expectation, every expected KPI with
  data), how many of those held and their `share` (percent, 2 decimals), and over their expectations the
  mean `optimism_pct`.

Every function here reads; a fixed number of queries for any number of reviews and KPIs (`compute`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from kpis.launch_figures import ADOPTION_KEYS, _combine
from kpis.models import KPI, Aggregation, Direction, LaunchReview, Rollup
from roadmap.models import RoadmapItem

WINDOW_RANGE = (7, 365)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

WAITING, COMPLETE = "waiting", "complete"
STATUS_CHOICES = [(WAITING, "Waiting: the window after launch is not over"), (COMPLETE, "Complete")]
# A KPI's outcome: why `held` is what it is.
OUTCOMES = {
    "held": "Held",
    "missed": "Missed",
    "waiting": "Not yet",
    "no_data": "No data to judge",
    "no_expectation": "No expectation stated",
}


@dataclass(frozen=True)
class Windows:
    launch_date: date
    days: int

    @property
    def before_start(self) -> date:
        return self.launch_date - timedelta(days=self.days)

    @property
    def before_last_day(self) -> date:
        return self.launch_date - timedelta(days=1)

    @property
    def after_end(self) -> date:
        """The first day after the after-window (exclusive end)."""
        return self.launch_date + timedelta(days=self.days)

    @property
    def last_day(self) -> date:
        return self.after_end - timedelta(days=1)

    def over(self, today: date) -> bool:
        return today > self.last_day


@dataclass
class KPIResult:
    key: str
    kpi: KPI | None
    before: Decimal | None = None
    after: Decimal | None = None
    before_days: int = 0  # days with a measurement on each side
    after_days: int = 0
    expected_change_pct: Decimal | None = None
    items: list = field(default_factory=list)  # the roadmap items whose expectations add up to it
    waiting: bool = False

    @property
    def name(self) -> str:
        return self.kpi.name if self.kpi else self.key

    @property
    def change_pct(self) -> Decimal | None:
        if self.before is None or self.after is None or self.before == 0:
            return None
        if self.waiting and self.kpi is not None and self.kpi.aggregation == Aggregation.SUM:
            return None  # a total of a few days against one of the whole window: no change to speak of yet
        return ((self.after - self.before) / abs(self.before) * HUNDRED).quantize(CENT, ROUND_HALF_UP)

    @property
    def _sign(self) -> int:
        expected = self.expected_change_pct
        if expected > 0:
            return 1
        if expected < 0:
            return -1
        return -1 if self.kpi is not None and self.kpi.direction == Direction.LOWER else 1

    @property
    def optimism_pct(self) -> Decimal | None:
        """Expected − change in the expected direction (percentage points); null while not judged."""
        if self.expected_change_pct is None or self.change_pct is None or self.waiting:
            return None
        return (self._sign * (self.expected_change_pct - self.change_pct)).quantize(CENT)

    @property
    def held(self) -> bool | None:
        optimism = self.optimism_pct
        return None if optimism is None else optimism <= 0

    @property
    def outcome(self) -> str:
        if self.expected_change_pct is None:
            return "no_expectation"
        if self.waiting:
            return "waiting"
        if self.change_pct is None:
            return "no_data"
        return "held" if self.held else "missed"

    def as_dict(self) -> dict:
        """The contract's entry (`kpi`, `key`, `before`, `after`, `change_pct`, `expected_change_pct`, `held`)
        and what explains it."""
        return {
            "kpi": self.kpi.id if self.kpi else None,
            "key": self.key,
            "name": self.name,
            "unit": self.kpi.unit if self.kpi else "",
            "aggregation": self.kpi.aggregation if self.kpi else None,
            "before": self.before,
            "after": self.after,
            "before_days": self.before_days,
            "after_days": self.after_days,
            "change_pct": self.change_pct,
            "expected_change_pct": self.expected_change_pct,
            "held": self.held,
            "outcome": self.outcome,
            "optimism_pct": self.optimism_pct,
            "items": [item.id for item in self.items],
        }


@dataclass
class ReviewResult:
    review: LaunchReview
    windows: Windows
    today: date
    kpis: list[KPIResult]
    items: list[RoadmapItem]  # the release's items that state an expectation

    @property
    def status(self) -> str:
        return COMPLETE if self.windows.over(self.today) else WAITING

    @property
    def expected(self) -> list[KPIResult]:
        return [k for k in self.kpis if k.expected_change_pct is not None]

    @property
    def held(self) -> bool | None:
        expected = self.expected
        if not expected or self.status == WAITING or any(k.held is None for k in expected):
            return None
        return all(k.held for k in expected)

    @property
    def held_count(self) -> int:
        return sum(1 for k in self.expected if k.held)

    @property
    def headline(self) -> KPIResult | None:
        return next((k for k in self.kpis if k.kpi is not None and k.kpi.headline), None)

    def snapshot(self) -> list[dict]:
        """`results` as stored: the KPI entries as plain JSON."""
        return [
            {name: (str(value) if isinstance(value, Decimal) else value) for name, value in entry.as_dict().items()}
            for entry in self.kpis
        ]


def today_of(portfolio) -> date:
    return timezone.localdate(timezone=portfolio.zone)


def _order(kpis: list[KPI], expected_keys: set[str]) -> list[KPI]:
    rank = {key: index for index, key in enumerate(ADOPTION_KEYS)}
    return sorted(
        kpis,
        key=lambda k: (not k.headline, k.key not in expected_keys, rank.get(k.key, len(rank)), k.name.lower(), k.id),
    )


def _launch_kpis(kpis: list[KPI], plan) -> list[KPI]:
    """The rule of kpis.launch_figures.product_kpis_for_launch (no campaign; the product's or this plan's)
    applied to KPIs already read for many plans."""
    return [
        k
        for k in kpis
        if k.product_id == plan.product_id
        and k.campaign_id is None
        and (k.launch_plan_id is None or k.launch_plan_id == plan.id)
    ]


def reviews_queryset():
    return LaunchReview.objects.select_related("launch_plan__product__portfolio", "launch_plan__release")


def compute(reviews, *, only_expected: bool = False, today: date | None = None) -> dict[int, ReviewResult]:
    """{review_id: ReviewResult} for `reviews` (read with `reviews_queryset()`): three queries for any
    number of reviews (the KPIs, the release items with an expectation, the day rollups of the windows).
    `only_expected`: only the KPIs with an expectation and the headline (lists and accuracy)."""
    reviews = list(reviews)
    if not reviews:
        return {}
    plans = [review.launch_plan for review in reviews]
    product_ids = {plan.product_id for plan in plans}
    release_ids = {plan.release_id for plan in plans if plan.release_id}
    items_by_release: dict[int, list[RoadmapItem]] = defaultdict(list)
    if release_ids:
        items = (
            RoadmapItem.objects.filter(release_id__in=release_ids, expected_kpi_key__gt="")
            .exclude(status=RoadmapItem.Status.DROPPED)
            .exclude(expected_change_pct__isnull=True)
            .only("id", "title", "release_id", "product_id", "status", "expected_kpi_key", "expected_change_pct")
            .order_by("title", "id")
        )
        for item in items:
            items_by_release[item.release_id].append(item)
    all_kpis = list(
        KPI.objects.filter(product_id__in=product_ids, campaign__isnull=True).order_by("product_id", "name", "id")
    )

    chosen: dict[int, list[KPI]] = {}
    scopes = Q()
    for review in reviews:
        plan = review.launch_plan
        items = [i for i in items_by_release.get(plan.release_id, []) if i.product_id == plan.product_id]
        keys = {item.expected_kpi_key for item in items}
        kpis = _order(_launch_kpis(all_kpis, plan), keys)
        if only_expected:
            kpis = [k for k in kpis if k.headline or k.key in keys]
        chosen[review.id] = kpis
        if kpis:
            windows = Windows(plan.launch_date, review.window_days)
            scopes |= Q(
                kpi_id__in=[k.id for k in kpis],
                period_start__gte=windows.before_start,
                period_start__lt=windows.after_end,
            )
    by_kpi: dict[int, list[tuple]] = defaultdict(list)
    if scopes:
        rows = (
            Rollup.objects.filter(scopes, granularity="day")
            .order_by("kpi_id", "period_start")
            .values_list("kpi_id", "period_start", "value", "count", "total", "minimum", "maximum", "last_value")
        )
        for kpi_id, day, *numbers in rows:
            by_kpi[kpi_id].append((day, numbers))

    results = {}
    for review in reviews:
        plan = review.launch_plan
        windows = Windows(plan.launch_date, review.window_days)
        now = today or today_of(plan.product.portfolio)
        waiting = not windows.over(now)
        items = [i for i in items_by_release.get(plan.release_id, []) if i.product_id == plan.product_id]
        expected: dict[str, list[RoadmapItem]] = defaultdict(list)
        for item in items:
            expected[item.expected_kpi_key].append(item)
        entries = []
        for kpi in chosen[review.id]:
            entries.append(_kpi_result(kpi.key, kpi, by_kpi.get(kpi.id, []), windows, expected.pop(kpi.key, [])))
            entries[-1].waiting = waiting
        for key, stated in sorted(expected.items()):  # expectations on a key without a KPI of the launch
            entry = _kpi_result(key, None, [], windows, stated)
            entry.waiting = waiting
            entries.append(entry)
        results[review.id] = ReviewResult(review=review, windows=windows, today=now, kpis=entries, items=items)
    return results


def compute_one(review: LaunchReview, *, today: date | None = None) -> ReviewResult:
    return compute([review], today=today)[review.id]


def _kpi_result(key: str, kpi: KPI | None, rows: list[tuple], windows: Windows, items: list) -> KPIResult:
    before = [numbers for day, numbers in rows if windows.before_start <= day < windows.launch_date]
    after = [numbers for day, numbers in rows if windows.launch_date <= day < windows.after_end]
    return KPIResult(
        key=key,
        kpi=kpi,
        before=_combine(kpi.aggregation, before) if kpi is not None and before else None,
        after=_combine(kpi.aggregation, after) if kpi is not None and after else None,
        before_days=len(before),
        after_days=len(after),
        expected_change_pct=sum((item.expected_change_pct for item in items), Decimal(0)) if items else None,
        items=items,
    )


# --- accuracy over time ---------------------------------------------------------------------------------


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _quarters_between(first: str, last: str) -> list[str]:
    year, quarter = int(first[:4]), int(first[-1])
    out = []
    while True:
        label = f"{year}-Q{quarter}"
        out.append(label)
        if label == last:
            return out
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, ROUND_HALF_UP)


def _summary(results: list[ReviewResult]) -> dict:
    judged = [r for r in results if r.held is not None]
    held = sum(1 for r in judged if r.held)
    gaps = [k.optimism_pct for r in results for k in r.expected if k.optimism_pct is not None]
    return {
        "reviews": len(results),
        "waiting": sum(1 for r in results if r.status == WAITING),
        "with_expectations": len(judged),
        "held": held,
        "share": (Decimal(held) * HUNDRED / len(judged)).quantize(CENT, ROUND_HALF_UP) if judged else None,
        "expectations": len(gaps),
        "optimism_pct": _mean(gaps),
    }


def accuracy(results) -> list[dict]:
    """Per quarter of launch date, oldest first, every quarter between the first and the last (a quarter
    without launches has 0 reviews and null share): `quarter`, `reviews`, `waiting`, `with_expectations`,
    `held`, `share`, `expectations` (judged KPI expectations), `optimism_pct` (their mean)."""
    by_quarter: dict[str, list[ReviewResult]] = defaultdict(list)
    for result in results:
        by_quarter[quarter_of(result.windows.launch_date)].append(result)
    if not by_quarter:
        return []
    return [
        {"quarter": quarter, **_summary(by_quarter.get(quarter, []))}
        for quarter in _quarters_between(min(by_quarter), max(by_quarter))
    ]


def overall(results) -> dict:
    """The same figures over all the reviews given (every quarter at once)."""
    return _summary(list(results))
