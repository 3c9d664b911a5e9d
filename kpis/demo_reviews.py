"""Demo data of the post-launch reviews: what the planners expected, and how often they were right.

- **Insight Hub 3.4** (the roadmap's release, launched two days ago by go-to-market): its two features
  state what they should move (scheduled reports: revenue +4 %; share by link: weekly active users +6 %),
  so its review waits for its 30 days with figures so far.
- **Seven earlier launches** over the last year of KPI data, each with a shipped release, its done roadmap
  items stating an expected change and a launched plan: in every quarter some expectations held and some
  missed, most of those by optimism, so the accuracy page has something to say. *Insight Hub 3.1: cohort
  analysis* is the one to open: one expectation held (weekly active users), one missed (revenue).

The expected changes are set after the review has read the demo's (random) measurements: "held" aims a
little below what happened, "missed" above it, so the verdicts stay the same whatever the data.

Run after seed_demo's products and measurements, seed_roadmap (release 3.4 and its items) and seed_gtm (the
3.4 launch plan); writes nothing once the earliest of its releases exists.
"""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from gtm.models import LaunchPlan
from gtm.services import launches
from kpis import reviews as figures
from kpis.models import KPI
from kpis.services import reviews as services
from products.models import Product
from roadmap.models import Release, RoadmapItem
from roadmap.services import release_create, release_ship, roadmap_item_create, roadmap_item_update

# Items of the roadmap's Insight Hub 3.4 (by title) and the change each expects.
CURRENT = {
    "Scheduled PDF reports by e-mail": ("revenue", Decimal("4")),
    "Share a dashboard by read-only link": ("weekly_active_users", Decimal("6")),
}

# Earlier launches: product, version, name, days before today, and items (title, key, outcome, points):
# "held" expects `points` below what happened, "missed" `points` above it (the planners' optimism).
HISTORY = [
    (
        "Insight Hub",
        "3.1",
        "Cohort analysis",
        300,
        [
            ("Cohort retention charts", "weekly_active_users", "held", Decimal("1.5")),
            ("Retention e-mails to lapsed users", "revenue", "missed", Decimal("6")),
        ],
    ),
    (
        "TeamBoard",
        "5.0",
        "Guest access",
        250,
        [("Invite guests to a board", "weekly_active_users", "missed", Decimal("8"))],
    ),
    (
        "Insight Hub",
        "3.2",
        "Mobile dashboards",
        205,
        [("Dashboards on phones", "weekly_active_users", "held", Decimal("2"))],
    ),
    (
        "Pulse Alerts",
        "1.0",
        "General availability",
        160,
        [
            ("Self-serve sign-up", "revenue", "missed", Decimal("9")),
            ("Alert templates for depots", "weekly_active_users", "missed", Decimal("5")),
        ],
    ),
    (
        "TeamBoard",
        "5.1",
        "Recurring cards",
        125,
        [("Cards that repeat weekly", "revenue", "held", Decimal("0.5"))],
    ),
    (
        "Insight Hub",
        "3.3",
        "Alert sharing",
        80,
        [
            ("Share an alert with a team", "weekly_active_users", "held", Decimal("1")),
            ("Alert digest e-mail", "revenue", "missed", Decimal("3.5")),
        ],
    ),
    (
        "Pulse Alerts",
        "1.1",
        "Quiet hours",
        45,
        [("Quiet hours per team", "weekly_active_users", "held", Decimal("2.5"))],
    ),
]


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _at(day: date, hour: int, zone) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone)


def _expected(actual: Decimal | None, outcome: str, gap: Decimal) -> Decimal:
    """An expectation `gap` points short of what happened (held) or beyond it (missed), in half percents
    rounded so the verdict cannot flip; 5 % without data."""
    if actual is None:
        return Decimal(5)
    if outcome == "missed":  # hoped for more than it did: a rise beyond the actual one
        return _halves(max(actual, Decimal(0)) + gap, ROUND_CEILING)
    if actual >= 0:  # a smaller rise than happened: `gap` short of it, and at most 60 % of it
        aim = min(actual - gap, actual * Decimal("0.6"))
        if aim >= Decimal("0.5"):
            return _halves(aim, ROUND_FLOOR)
        return (actual * Decimal("0.6")).quantize(Decimal("0.1"), ROUND_FLOOR)
    return min(_halves(actual + gap, ROUND_CEILING), _halves(actual / 2, ROUND_CEILING))  # a smaller fall


def _halves(value: Decimal, rounding) -> Decimal:
    return (value * 2).quantize(Decimal(1), rounding) / 2


def _launch(product, *, version, name, launch_date, actor, zone, items) -> tuple[LaunchPlan, list[RoadmapItem]]:
    release = release_create(
        product=product,
        actor=actor,
        version=version,
        name=name,
        target_date=launch_date,
        description=f"{name}: shipped and launched last year.",
    )
    made = [
        roadmap_item_create(
            product=product,
            actor=actor,
            kind="feature",
            title=title,
            status="done",
            horizon="now",
            release=release,
            start_date=launch_date - timedelta(days=60),
            end_date=launch_date - timedelta(days=7),
        )
        for title, *_ in items
    ]
    release_ship(release_id=release.id, actor=actor)
    Release.objects.filter(pk=release.pk).update(shipped_at=_at(launch_date - timedelta(days=1), 16, zone))
    plan = launches.launch_plan_create(
        product=product,
        actor=actor,
        name=f"{product.name} {version}: {name.lower()}",
        description=f"The launch of {product.name} {version}.",
        tier=2,
        launch_date=launch_date,
        release=release,
    )
    launches.launch_plan_launch(plan_id=plan.id, actor=actor)
    LaunchPlan.objects.filter(pk=plan.pk).update(launched_at=_at(launch_date, 9, zone))
    return plan, made


def seed_reviews(*, portfolio, actor, today: date) -> dict[str, int]:
    """Expected changes on roadmap items and the launches that judge them (see the module's docstring)."""
    products = {p.name: p for p in Product.objects.filter(portfolio=portfolio)}
    first = HISTORY[0]
    if first[0] not in products or Release.objects.filter(product=products[first[0]], version=first[1]).exists():
        return {}
    zone = portfolio.zone
    counts = {"launches": 0, "expectations": 0, "reviews": 0}
    for product_name, version, name, days_ago, items in HISTORY:
        product = products.get(product_name)
        keys = set(KPI.objects.filter(product=product).values_list("key", flat=True)) if product else set()
        if product is None or not {key for _, key, _, _ in items} <= keys:
            continue  # the demo's KPIs are not there: nothing to judge
        launch_date = _weekday(today - timedelta(days=days_ago))
        plan, made = _launch(
            product, version=version, name=name, launch_date=launch_date, actor=actor, zone=zone, items=items
        )
        counts["launches"] += 1
        review = services.review_create(plan_id=plan.id)
        result = figures.compute_one(figures.reviews_queryset().get(pk=review.pk), today=today)
        actual = {entry.key: entry.change_pct for entry in result.kpis}
        for item, (_, key, outcome, gap) in zip(made, items, strict=True):
            roadmap_item_update(
                item_id=item.id,
                actor=actor,
                expected_kpi_key=key,
                expected_change_pct=_expected(actual.get(key), outcome, gap),
            )
            counts["expectations"] += 1
    for title, (key, change) in CURRENT.items():
        item = RoadmapItem.objects.filter(product__portfolio=portfolio, title=title).first()
        if item is not None and key in {k.key for k in KPI.objects.filter(product_id=item.product_id)}:
            roadmap_item_update(item_id=item.id, actor=actor, expected_kpi_key=key, expected_change_pct=change)
            counts["expectations"] += 1
    counts["reviews"] = services.reviews_backfill(portfolio_ids=[portfolio.id]) + counts["launches"]
    return counts
