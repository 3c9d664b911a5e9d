"""The demo's visions, goals and key results, most of them measured by the demo KPIs, so that real rollups
drive their values, progress and health.

Every product gets a vision; the products with KPIs or plans get a goal for this year (1 January to
31 December, in the portfolio's time zone) with two or three key results. A key result measured by a
KPI starts from the KPI's last complete period before the year began (its value then, rounded), so
its progress reads as what happened this year; the others are reported by hand, one of them a falling
target (support tickets, churn). The goal roadmap.demo wrote for Insight Hub gets its KPIs too, its
start and target set the same way.

Written by the services (product_vision_set, goal_create, key_result_save), all in one transaction;
`seed_goals` writes nothing (None) once a product of the portfolio has a vision or a KPI measures a
key result there. Products missing from the portfolio are skipped.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from kpis import key_results as values
from kpis.models import KPI, Rollup
from kpis.services import key_results as links
from products.models import Goal, KeyResult, Portfolio, Product
from products.services import goals as services

VISIONS = {
    "Insight Hub": "For operations managers who lose hours chasing numbers across spreadsheets, Insight Hub is the "
    "self-serve analytics tool that puts the answer on their first dashboard in minutes, without waiting for "
    "a data team.",
    "Pulse Alerts": "For operations teams that hear about a problem from their customers first, Pulse Alerts "
    "warns the right person the moment a KPI drifts, with the context to act, and stays quiet otherwise.",
    "Ledger Classic": "Serve the customers who still run reporting on their own servers until each of them has "
    "moved to Insight Hub, without losing one of them to a competitor on the way.",
    "TeamBoard": "The board cross-functional teams open every morning: one place for what is planned, what is "
    "blocked and who is on it, simple enough that nobody needs training.",
    "DocFlow": "For regulated teams that approve documents by e-mail, DocFlow makes every approval traceable "
    "and audit-ready, without slowing anyone down.",
    "Huddle": "Stand-ups for teams spread over time zones: a two-minute written check-in instead of a meeting "
    "nobody can attend.",
    "FieldKit": "Field technicians finish every checklist, with or without a signal, and the office sees it "
    "the moment they are back online.",
    "Scout": "Anyone on a site can report an issue with a photo, and it reaches the team that fixes it.",
}

# product: [(goal title, description, [(key result title, KPI key or None, values)])]. For a KPI, `values`
# is a growth factor (the target is the start times it), "target" (the KPI's) or (start, target); by hand
# (start, target, pace): the value reported is where the pace puts it in the share of the year gone (1: on
# schedule, 0.6: well behind), so the demo reads the same whatever day it is loaded.
GOALS = {
    "Insight Hub": [
        (
            "Make self-serve analytics pay its way",
            "Revenue grows with adoption while support stays flat: self-serve has to mean self-serve.",
            [
                ("Monthly revenue up 30 %", "revenue", Decimal("1.3")),
                ("Support tickets per 100 accounts down to 5", None, (9, 5, Decimal("0.85"))),
            ],
        )
    ],
    "Pulse Alerts": [
        (
            "Turn the launch into a habit",
            "The launch brought trials; this year they have to become teams that rely on their alerts every week.",
            [
                ("Weekly active users up 50 %", "weekly_active_users", Decimal("1.5")),
                ("Trial conversion at 14 %", "conversion_rate", (10, 14)),
            ],
        )
    ],
    "Ledger Classic": [
        (
            "Retire Ledger Classic without losing its customers",
            "Every on-premise customer moves to Insight Hub before support ends; none leaves for a competitor.",
            [
                ("Customers moved to Insight Hub (%)", None, (0, 80, Decimal("1.05"))),
                ("Monthly churn to competitors down to 3 %", None, (6, 3, Decimal("0.6"))),
            ],
        )
    ],
    "TeamBoard": [
        (
            "Keep TeamBoard the team's daily board",
            "A mature product: hold the users we have and win back the teams that drifted to chat threads.",
            [
                ("Weekly active users to the KPI's target", "weekly_active_users", "target"),
                ("Net promoter score at 40", None, (32, 40, Decimal("0.9"))),
            ],
        )
    ],
    "DocFlow": [
        (
            "Get DocFlow ready for its beta",
            "Learn from the teams who will use it before the beta opens.",
            [
                ("Customer interviews a month", "interviews", (0, 8)),
                ("Design partners signed", None, (0, 5, Decimal("1.1"))),
            ],
        )
    ],
    "FieldKit": [
        (
            "Validate the offline checklist need",
            "Enough evidence from the field to decide whether FieldKit goes into development.",
            [
                ("Customer interviews a month", "interviews", (0, 8)),
                ("Pilot sites agreed", None, (0, 3, Decimal("0.7"))),
            ],
        )
    ],
}

# The roadmap's goal (roadmap.demo.GOAL): its key results by title → the KPI that measures them.
ROADMAP_KEY_RESULTS = {
    "Weekly active users": ("weekly_active_users", Decimal("1.25")),
    "Trial conversion in %": ("conversion_rate", (11, 14)),
}


def _rounded(value: Decimal) -> Decimal:
    """A figure people would set as a target: 3 significant digits for big numbers, 1 decimal for small."""
    value = Decimal(value)
    if abs(value) >= 1000:
        step = Decimal(10) ** (value.adjusted() - 2)
        return (value / step).quantize(Decimal(1), ROUND_HALF_UP) * step
    return value.quantize(Decimal("0.1"), ROUND_HALF_UP)


def _paced(start, target, pace: Decimal, *, elapsed: Decimal) -> Decimal:
    """The value a key result reported by hand has reached at `pace` (see GOALS)."""
    share = min(Decimal(1), elapsed / 100 * pace)
    value = Decimal(start) + (Decimal(target) - Decimal(start)) * share
    whole = abs(Decimal(target) - Decimal(start)) >= 5
    return value.quantize(Decimal(1) if whole else Decimal("0.1"), ROUND_HALF_UP)


def _value_before(kpi: KPI, day: date) -> Decimal | None:
    """The KPI's last complete period before `day` at its target granularity (else its first one)."""
    rows = Rollup.objects.filter(kpi=kpi, granularity=kpi.target_granularity)
    row = rows.filter(period_start__lt=day).order_by("-period_start").values_list("value", flat=True).first()
    if row is None:
        row = rows.order_by("period_start").values_list("value", flat=True).first()
    return row


def _start_and_target(kpi: KPI, values, since: date) -> tuple[Decimal, Decimal] | None:
    if isinstance(values, tuple):
        return Decimal(values[0]), Decimal(values[1])
    start = _value_before(kpi, since)
    if start is None:
        return None
    start = _rounded(start)
    target = _rounded(kpi.target) if values == "target" and kpi.target is not None else _rounded(start * values)
    return start, target


def seed_goals(*, portfolio: Portfolio, actor, today: date) -> dict | None:
    """Give the demo portfolio's products a vision and this year's goals; None when it has them already.

    All of it or nothing (one transaction). Raises what the services raise for data that breaks their rules.
    """
    if (
        Product.objects.filter(portfolio=portfolio).exclude(vision="").exists()
        or KPI.objects.filter(product__portfolio=portfolio, key_result__isnull=False).exists()
    ):
        return None
    products = {p.name: p for p in Product.objects.filter(portfolio=portfolio, name__in=VISIONS)}
    kpis = {
        (kpi.product_id, kpi.key): kpi
        for kpi in KPI.objects.filter(product__in=products.values(), launch_plan=None, campaign=None)
    }
    year = {"period_start": date(today.year, 1, 1), "period_end": date(today.year, 12, 31)}
    counts = {"visions": 0, "goals": 0, "key_results": 0, "measured": 0}
    with transaction.atomic():
        for name, product in products.items():
            services.product_vision_set(product_id=product.id, vision=VISIONS[name], actor=actor)
            counts["visions"] += 1
            for title, description, key_results in GOALS.get(name, []):
                goal = services.goal_create(product=product, actor=actor, title=title, description=description, **year)
                counts["goals"] += 1
                for kr_title, key, spec in key_results:
                    kpi = None
                    if key is None:
                        start, target, pace = spec
                        value = _paced(start, target, pace, elapsed=values.elapsed_of(goal, today))
                        fields = {"start_value": start, "target_value": target, "manual_value": value}
                    else:
                        kpi = kpis.get((product.id, key))
                        bounds = _start_and_target(kpi, spec, year["period_start"]) if kpi else None
                        if bounds is None:
                            continue  # the product has no such KPI, or no data to start from
                        fields = {"start_value": bounds[0], "target_value": bounds[1]}
                    links.key_result_save(goal=goal, actor=actor, kpi=kpi, title=kr_title, **fields)
                    counts["key_results"] += 1
                    counts["measured"] += kpi is not None
        counts["measured"] += _measure_roadmap_goal(portfolio, kpis, actor)
    return counts


def _measure_roadmap_goal(portfolio: Portfolio, kpis: dict, actor) -> int:
    """Link the roadmap demo's key results (Insight Hub's adoption goal) to the KPIs that measure them."""
    linked = 0
    goals = Goal.objects.filter(product__portfolio=portfolio, key_results__title__in=ROADMAP_KEY_RESULTS).distinct()
    for key_result in KeyResult.objects.filter(goal__in=goals, title__in=ROADMAP_KEY_RESULTS).select_related("goal"):
        key, spec = ROADMAP_KEY_RESULTS[key_result.title]
        kpi = kpis.get((key_result.goal.product_id, key))
        if kpi is None or kpi.key_result_id is not None:
            continue
        bounds = _start_and_target(kpi, spec, key_result.goal.period_start)
        fields = {"start_value": bounds[0], "target_value": bounds[1]} if bounds else {}
        links.key_result_save(key_result_id=key_result.id, actor=actor, kpi=kpi, **fields)
        linked += 1
    return linked
