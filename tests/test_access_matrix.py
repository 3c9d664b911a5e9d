"""The generated access test: every URL of the pages and the API, for every role.

The URL resolver lists the routes; `ENDPOINTS` says for each one how to call it and who may. Each
case runs as anonymous, each portfolio role, and an admin of another portfolio ("outsider"):

- anonymous: pages redirect to the login, the API answers 401;
- outsider: 404 for the portfolio's objects (lists show nothing of it), and no response carries a
  name of the portfolio's objects;
- members: reads answer 200; writes answer a success to the roles allowed, 403 to the others, and a
  refused write changes nothing (no domain event, no measurement).

A route without an entry fails `test_every_route_has_an_access_entry`: a new endpoint or page must
say who may use it.
"""

import datetime
import importlib
import pathlib
import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from kpis.models import Import, Measurement
from products.models import DomainEvent, Membership, Role
from roadmap.models import RoadmapDependency
from tests.factories import (
    AssetFactory,
    BudgetLineFactory,
    BudgetPlanFactory,
    CampaignFactory,
    CompetitorFactory,
    CompetitorMoveFactory,
    DocumentCommentFactory,
    DocumentFactory,
    FeedbackFactory,
    GoalFactory,
    IdeaFactory,
    KeyResultFactory,
    KPIFactory,
    LaunchPlanFactory,
    LaunchReviewFactory,
    LaunchTaskFactory,
    LaunchTemplateFactory,
    LaunchTemplateTaskFactory,
    LifecycleRuleFactory,
    MarketingEventFactory,
    MarketInsightFactory,
    MeasurementFactory,
    MembershipFactory,
    MessagingFactory,
    NotificationFactory,
    PersonaFactory,
    PortfolioFactory,
    PressItemFactory,
    ProductFactory,
    ProductLineFactory,
    ReleaseFactory,
    RoadmapItemFactory,
    SalesTargetFactory,
    SegmentFactory,
    SignalFactory,
    StageGateFactory,
    StageSuggestionFactory,
    StatusBookEntryFactory,
    UserFactory,
    WebhookDeliveryFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db

ADMINS = frozenset({Role.ADMIN})
MANAGERS = frozenset({Role.ADMIN, Role.PRODUCT_MANAGER})
MEMBERS = frozenset(Role.values)
ROLES = [*Role.values, "outsider", "anonymous"]
# Names only the guarded portfolio uses: none may reach an outsider.
SECRET_NAMES = [
    "Zephyr Holdings",
    "Quasar Line",
    "Nebula Tracker",
    "Orbit revenue",
    "Comet rule",
    "Meteor initiative",
    "Pulsar feature",
    "Aurora release",
    "Nova launch",
    "Stardust task",
    "Eclipse campaign",
    "Photon positioning",
    "Lunar battle card",
    "Gravity expo",
    "Solstice announcement",
    "Tier one checklist",
    "Galaxy segment",
    "Ops Olga",
    "Horizon goal",
    "Quantum key result",
    "Cosmic insight",
    "Rival Corp",
    "Rival price cut",
    "Comet idea",
    "Meteorite feedback",
    "Nebula log line",
    "Andromeda PRD",
    "Pulsar review comment",
    "Meteor shower evidence",
    "Orion hook",
    "Nebula notification",
    "Zenith launch",
    "Quasar signal",
]


@dataclass(frozen=True)
class Op:
    method: str
    url: str  # formatted with the house's ids: {portfolio}, {line}, {product}, {kpi}, {rule}, {member}, {m}
    allowed: frozenset | str  # roles that may; "read": every member; "anyone": every signed-in user
    body: dict | list | None = None
    api: bool = False
    scoped_list: bool = False  # a list or search: an outsider gets 200 with nothing of the portfolio
    ok: tuple = (200, 201, 204, 302)


def page(method, url, allowed, body=None):
    return Op(method, url, allowed, body)


def api(method, url, allowed, body=None, scoped_list=False, ok=Op.ok):
    return Op(method, url, allowed, body, api=True, scoped_list=scoped_list, ok=ok)


# An uploaded file in a body: a fresh SimpleUploadedFile for every call (an upload is read once).
PORTFOLIO_CSV = ("feed.csv", b"product,key,observed_at,value\nNebula Tracker,revenue,2026-03-02,3\n")
KPI_CSV = ("revenue.csv", b"observed_at,value\n2026-03-02,3\n")

RULE_FORM = {
    "name": "Growth on revenue",
    "from_stage": "launch",
    "to_stage": "growth",
    "condition_type": "kpi_threshold",
    "mode": "auto",
    "is_active": "on",
    "key": "revenue",
    "comparator": "gte",
    "value": "100",
    "periods": "3",
    "granularity": "week",
}
RULE_JSON = {
    "portfolio": "{portfolio}",
    "name": "Growth on revenue",
    "from_stage": "launch",
    "to_stage": "growth",
    "condition_type": "kpi_threshold",
    "params": {"key": "revenue", "granularity": "week", "comparator": "gte", "value": 100, "periods": 3},
}
KPI_FORM = {
    "name": "Sign-ups",
    "key": "signups",
    "direction": "higher_is_better",
    "aggregation": "sum",
    "target_granularity": "month",
    "tolerance_pct": "10",
}

PUBLIC = {
    "login/",
    "logout/",
    "healthz",
    "api/schema/",
    "api/docs/",
    "api/v1/auth/token/",
    "api/v1/",
    "calendar/<str:token>.ics",  # a calendar app's feed: the secret address is the credential (tests/gtm)
}

ENDPOINTS: dict[str, list[Op]] = {
    # --- pages ---
    "": [Op("GET", "/", "anyone", ok=(302,))],
    "portfolios/new/": [page("GET", "/portfolios/new/", "anyone")],
    "portfolios/switch/": [page("GET", "/portfolios/switch/?portfolio={portfolio}", "read")],
    "portfolios/<int:portfolio_id>/": [
        page("GET", "/portfolios/{portfolio}/", "read"),
        page("GET", "/portfolios/{portfolio}/?format=csv", "read"),
    ],
    "products/<int:product_id>/": [page("GET", "/products/{product}/", "read")],
    "products/<int:product_id>/transition/": [
        page(
            "POST",
            "/products/{product}/transition/",
            MANAGERS,
            {"from_stage": "research", "to_stage": "planning", "reason": "Interviews done"},
        )
    ],
    "portfolios/<int:portfolio_id>/settings/": [
        page("GET", "/portfolios/{portfolio}/settings/", ADMINS),
        page("POST", "/portfolios/{portfolio}/settings/", ADMINS, {"name": "Zephyr Holdings", "timezone": "UTC"}),
    ],
    "portfolios/<int:portfolio_id>/members/": [
        page("GET", "/portfolios/{portfolio}/members/", ADMINS),
        page("GET", "/portfolios/{portfolio}/members/?format=csv", ADMINS),
        page("POST", "/portfolios/{portfolio}/members/", ADMINS, {"username": "newcomer", "role": "viewer"}),
    ],
    "members/<int:membership_id>/role/": [
        page("POST", "/members/{member}/role/", ADMINS, {"m{member}-role": "marketer"})
    ],
    "members/<int:membership_id>/remove/": [page("POST", "/members/{member}/remove/", ADMINS, {})],
    "portfolios/<int:portfolio_id>/product-lines/": [
        page("GET", "/portfolios/{portfolio}/product-lines/", "read"),
        page("GET", "/portfolios/{portfolio}/product-lines/?format=csv", "read"),
    ],
    "product-lines/new/": [
        page("GET", "/product-lines/new/?portfolio={portfolio}", MANAGERS),
        page("POST", "/product-lines/new/?portfolio={portfolio}", MANAGERS, {"name": "New line"}),
    ],
    "product-lines/<int:product_line_id>/edit/": [
        page("GET", "/product-lines/{line}/edit/", MANAGERS),
        page("POST", "/product-lines/{line}/edit/", MANAGERS, {"name": "Renamed line", "description": "x"}),
    ],
    "product-lines/<int:product_line_id>/delete/": [
        page("GET", "/product-lines/{line}/delete/", MANAGERS),
        page("POST", "/product-lines/{line}/delete/", MANAGERS, {}),
    ],
    "products/new/": [
        page("GET", "/products/new/?portfolio={portfolio}", MANAGERS),
        page("POST", "/products/new/?portfolio={portfolio}", MANAGERS, {"name": "Brand new", "description": "x"}),
    ],
    "products/<int:product_id>/edit/": [
        page("GET", "/products/{product}/edit/", MANAGERS),
        page("POST", "/products/{product}/edit/", MANAGERS, {"name": "Renamed", "description": "y"}),
    ],
    "products/<int:product_id>/archive/": [
        page("POST", "/products/{product}/archive/", MANAGERS, {"archived": "true"})
    ],
    "products/<int:product_id>/delete/": [
        page("GET", "/products/{product}/delete/", MANAGERS),
        page("POST", "/products/{product}/delete/", MANAGERS, {"confirm_name": "Nebula Tracker"}),
    ],
    "portfolios/<int:portfolio_id>/rules/": [
        page("GET", "/portfolios/{portfolio}/rules/", "read"),
        page("GET", "/portfolios/{portfolio}/rules/?format=csv", "read"),
    ],
    "portfolios/<int:portfolio_id>/rules/new/": [
        page("GET", "/portfolios/{portfolio}/rules/new/", ADMINS),
        page("POST", "/portfolios/{portfolio}/rules/new/", ADMINS, RULE_FORM),
    ],
    "rules/<int:rule_id>/edit/": [
        page("GET", "/rules/{rule}/edit/", ADMINS),
        page("POST", "/rules/{rule}/edit/", ADMINS, {**RULE_FORM, "name": "Comet rule"}),
    ],
    "rules/<int:rule_id>/delete/": [
        page("GET", "/rules/{rule}/delete/", ADMINS),
        page("POST", "/rules/{rule}/delete/", ADMINS, {}),
    ],
    "kpis/<int:kpi_id>/": [page("GET", "/kpis/{kpi}/", "read")],
    "portfolios/<int:portfolio_id>/kpis/<slug:key>/": [
        page("GET", "/portfolios/{portfolio}/kpis/revenue/", "read"),
        page("GET", "/portfolios/{portfolio}/kpis/revenue/?product_line={line}&granularity=day", "read"),
    ],
    "kpis/new/": [
        page("GET", "/kpis/new/?product={product}", MANAGERS),
        page("POST", "/kpis/new/?product={product}", MANAGERS, KPI_FORM),
    ],
    "kpis/<int:kpi_id>/edit/": [
        page("GET", "/kpis/{kpi}/edit/", MANAGERS),
        page("POST", "/kpis/{kpi}/edit/", MANAGERS, {**KPI_FORM, "key": "revenue", "name": "Orbit revenue"}),
    ],
    "kpis/<int:kpi_id>/delete/": [
        page("GET", "/kpis/{kpi}/delete/", MANAGERS),
        page("POST", "/kpis/{kpi}/delete/", MANAGERS, {}),
    ],
    "kpis/<int:kpi_id>/measurements/": [
        page("GET", "/kpis/{kpi}/measurements/", "read"),
        page("GET", "/kpis/{kpi}/measurements/?format=csv", "read"),
        page(
            "POST",
            "/kpis/{kpi}/measurements/",
            MANAGERS,
            {"action": "single", "observed_at": "2026-03-02", "value": "12"},
        ),
    ],
    "measurements/<int:measurement_id>/correct/": [
        page("POST", "/measurements/{m}/correct/", MANAGERS, {"m{m}-observed_at": "2026-03-03", "m{m}-value": "7"})
    ],
    "measurements/<int:measurement_id>/delete/": [page("POST", "/measurements/{m}/delete/", MANAGERS, {})],
    # --- API ---
    "api/v1/me/": [api("GET", "/api/v1/me/", "anyone")],
    "api/v1/rollups/": [
        api("GET", "/api/v1/rollups/?key=revenue&portfolio={portfolio}&granularity=day", "read", scoped_list=True)
    ],
    "api/v1/^portfolios/$": [
        api("GET", "/api/v1/portfolios/", "read", scoped_list=True),
        api("POST", "/api/v1/portfolios/", "anyone", {"name": "Mine", "timezone": "UTC"}),
    ],
    "api/v1/^portfolios/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/portfolios/{portfolio}/", "read"),
        api("PATCH", "/api/v1/portfolios/{portfolio}/", ADMINS, {"timezone": "Europe/Berlin"}),
    ],
    "api/v1/^portfolios/(?P<pk>[^/.]+)/members/$": [
        api("GET", "/api/v1/portfolios/{portfolio}/members/", "read"),
        api("POST", "/api/v1/portfolios/{portfolio}/members/", ADMINS, {"username": "newcomer", "role": "viewer"}),
    ],
    "api/v1/^product-lines/$": [
        api("GET", "/api/v1/product-lines/?search=Quasar", "read", scoped_list=True),
        api("POST", "/api/v1/product-lines/", MANAGERS, {"portfolio": "{portfolio}", "name": "API line"}),
    ],
    "api/v1/^product-lines/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/product-lines/{line}/", "read"),
        api("PATCH", "/api/v1/product-lines/{line}/", MANAGERS, {"description": "changed"}),
        api("DELETE", "/api/v1/product-lines/{line}/", MANAGERS),
    ],
    "api/v1/^products/$": [
        api("GET", "/api/v1/products/?search=Nebula", "read", scoped_list=True),
        api("POST", "/api/v1/products/", MANAGERS, {"portfolio": "{portfolio}", "name": "API product"}),
    ],
    "api/v1/^products/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/products/{product}/", "read"),
        api("PATCH", "/api/v1/products/{product}/", MANAGERS, {"description": "changed"}),
        api("DELETE", "/api/v1/products/{product}/", MANAGERS),
    ],
    "api/v1/^products/(?P<pk>[^/.]+)/transition/$": [
        api("POST", "/api/v1/products/{product}/transition/", MANAGERS, {"to_stage": "planning", "reason": "Ready"})
    ],
    "api/v1/^products/(?P<pk>[^/.]+)/transitions/$": [api("GET", "/api/v1/products/{product}/transitions/", "read")],
    "api/v1/^lifecycle-rules/$": [
        api("GET", "/api/v1/lifecycle-rules/", "read", scoped_list=True),
        api("POST", "/api/v1/lifecycle-rules/", ADMINS, RULE_JSON),
    ],
    "api/v1/^lifecycle-rules/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/lifecycle-rules/{rule}/", "read"),
        api("PATCH", "/api/v1/lifecycle-rules/{rule}/", ADMINS, {"is_active": False}),
        api("DELETE", "/api/v1/lifecycle-rules/{rule}/", ADMINS),
    ],
    "api/v1/^kpis/$": [
        api("GET", "/api/v1/kpis/", "read", scoped_list=True),
        api("POST", "/api/v1/kpis/", MANAGERS, {"product": "{product}", "key": "signups", "name": "Sign-ups"}),
    ],
    "api/v1/^kpis/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/kpis/{kpi}/", "read"),
        api("PATCH", "/api/v1/kpis/{kpi}/", MANAGERS, {"unit": "EUR"}),
        api("DELETE", "/api/v1/kpis/{kpi}/", MANAGERS),
    ],
    "api/v1/^kpis/(?P<pk>[^/.]+)/measurements/$": [
        api("GET", "/api/v1/kpis/{kpi}/measurements/", "read"),
        api("POST", "/api/v1/kpis/{kpi}/measurements/", MANAGERS, [{"observed_at": "2026-03-02", "value": 3}]),
    ],
    "api/v1/^kpis/(?P<pk>[^/.]+)/rollups/$": [api("GET", "/api/v1/kpis/{kpi}/rollups/?granularity=day", "read")],
    "api/v1/measurements/": [
        api("POST", "/api/v1/measurements/", MANAGERS, [{"kpi": "{kpi}", "observed_at": "2026-03-02", "value": 3}]),
        api(
            "POST",
            "/api/v1/measurements/",
            MANAGERS,
            [{"product": "{product}", "key": "revenue", "observed_at": "2026-03-02", "value": 3}],
        ),
    ],
    "api/v1/^imports/$": [
        api("GET", "/api/v1/imports/?portfolio={portfolio}", "read", scoped_list=True),
        api("POST", "/api/v1/imports/", MANAGERS, {"portfolio": "{portfolio}", "file": PORTFOLIO_CSV}, ok=(202,)),
    ],
    "api/v1/^imports/(?P<pk>[^/.]+)/$": [api("GET", "/api/v1/imports/{import}/", "read")],
    "api/v1/^kpis/(?P<pk>[^/.]+)/imports/$": [
        api("POST", "/api/v1/kpis/{kpi}/imports/", MANAGERS, {"file": KPI_CSV}, ok=(202,)),
    ],
    "portfolios/<int:portfolio_id>/imports/": [
        page("GET", "/portfolios/{portfolio}/imports/", "read"),
        page("POST", "/portfolios/{portfolio}/imports/", MANAGERS, {"file": PORTFOLIO_CSV}),
    ],
    "imports/<int:import_id>/": [page("GET", "/imports/{import}/", "read")],
}


# Each area's entries live beside its tests (tests/roadmap/access_*.py: an ENDPOINTS dict each).
for _module in sorted(pathlib.Path(__file__).parent.glob("*/access_*.py")):
    _name = f"tests.{_module.parent.name}.{_module.stem}"
    ENDPOINTS.update(importlib.import_module(_name).ENDPOINTS)


def _routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def app_routes() -> set[str]:
    """Every route but the admin's, the static files' and DRF's format-suffix twins."""
    suffixed = ("(?P<format>", "drf_format_suffix")
    return {
        route
        for route in _routes()
        if not route.startswith(("admin/", "static/")) and not any(mark in route for mark in suffixed)
    }


def test_every_route_has_an_access_entry():
    missing = sorted(app_routes() - set(ENDPOINTS) - PUBLIC)
    assert missing == [], f"routes without an entry in tests/test_access_matrix.py ENDPOINTS: {missing}"
    stale = sorted(set(ENDPOINTS) - app_routes())
    assert stale == [], f"ENDPOINTS names routes that no longer exist: {stale}"


@pytest.fixture(scope="module")
def _house_once(django_db_setup, django_db_blocker):
    """The house, built once per module (per xdist worker) in a transaction rolled back at the end. Each
    case runs in pytest-django's own atomic block inside it (a savepoint), so what a case writes is undone
    before the next while the house's rows are not written again for each of the ~4,000 cases (that was
    half of this file's time)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_house()
        transaction.set_rollback(True)


@pytest.fixture
def house(_house_once):
    return _house_once


def _build_house():
    """A portfolio with one member of each role, its objects named so a leak is easy to spot."""
    portfolio = PortfolioFactory(name="Zephyr Holdings", timezone="Europe/Berlin")
    line = ProductLineFactory(portfolio=portfolio, name="Quasar Line")
    product = ProductFactory(portfolio=portfolio, product_line=line, stage="research", name="Nebula Tracker")
    kpi = KPIFactory(product=product, key="revenue", name="Orbit revenue", target=100)
    measurement = MeasurementFactory(kpi=kpi, value=5)
    rule = LifecycleRuleFactory(portfolio=portfolio, name="Comet rule")
    upload = Import.objects.create(portfolio=portfolio, filename="Orbit revenue.csv", status="done", total=1)
    release = ReleaseFactory(product=product, version="9.9", name="Aurora release")
    initiative = RoadmapItemFactory(product=product, kind="initiative", title="Meteor initiative", horizon="next")
    feature = RoadmapItemFactory(
        product=product,
        kind="feature",
        title="Pulsar feature",
        parent=initiative,
        horizon="next",
        rank=1,
        release=release,
    )
    dependency = RoadmapDependency.objects.create(item=feature, depends_on=initiative, kind="relates")
    # Go-to-market: {plan} has one open required task {task} (a plain launch is the contract's 409);
    # {plan_ready} has none (ready: a plain launch succeeds). Messaging in each status.
    segment = SegmentFactory(portfolio=portfolio, name="Galaxy segment")
    persona = PersonaFactory(portfolio=portfolio, name="Ops Olga", segment=segment)
    template = LaunchTemplateFactory(portfolio=portfolio, name="Tier one checklist", tier=1)
    LaunchTemplateTaskFactory(template=template, title="Brief the press", function="marketing", offset_days=-7)
    plan = LaunchPlanFactory(product=product, name="Nova launch", release=release, tier=1, status="planning")
    task = LaunchTaskFactory(launch_plan=plan, title="Stardust task", function="sales")
    plan_ready = LaunchPlanFactory(product=product, name="Quiet launch", tier=3)
    messaging = MessagingFactory(product=product, launch_plan=plan, positioning="Photon positioning")
    messaging_review = MessagingFactory(product=product, status="in_review")
    messaging_approved = MessagingFactory(
        product=product, status="approved", approved_at=datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC)
    )
    campaign = CampaignFactory(product=product, launch_plan=plan, name="Eclipse campaign", segment=segment)
    asset = AssetFactory(product=product, launch_plan=plan, title="Lunar battle card")
    event = MarketingEventFactory(portfolio=portfolio, name="Gravity expo")
    event.products.add(product)
    press = PressItemFactory(product=product, launch_plan=plan, title="Solstice announcement")
    # Strategy: a goal with a key result measured by the KPI, an insight, a competitor with a move, an idea in
    # concept with the insight and a piece of feedback behind it.
    segment.products.add(product)
    goal = GoalFactory(product=product, title="Horizon goal")
    key_result = KeyResultFactory(goal=goal, title="Quantum key result")
    kpi.key_result = key_result
    kpi.save(update_fields=["key_result"])
    insight = MarketInsightFactory(portfolio=portfolio, title="Cosmic insight")
    insight.products.add(product)
    competitor = CompetitorFactory(portfolio=portfolio, name="Rival Corp")
    move = CompetitorMoveFactory(competitor=competitor, description="Rival price cut", kind="price_change")
    move.products.add(product)
    idea = IdeaFactory(product=product, title="Comet idea")
    idea.insights.add(insight)
    feedback = FeedbackFactory(product=product, text="Meteorite feedback", segment=segment)
    feedback.ideas.add(idea)
    # The desk: a status book line by the product manager, a budget plan of the product with a line and a
    # target, a document with a review comment.
    plan_budget = BudgetPlanFactory(product=product, year=2026)
    BudgetLineFactory(plan=plan_budget, quarter=1, channel="email", amount=5000)
    SalesTargetFactory(plan=plan_budget, quarter=1, amount=20000)
    document = DocumentFactory(product=product, title="Andromeda PRD")
    document.ideas.add(idea)
    comment = DocumentCommentFactory(document=document, body="Pulsar review comment")
    users = {}
    for role in Role.values:
        users[role] = UserFactory()
        MembershipFactory(portfolio=portfolio, user=users[role], role=role)
    users["outsider"] = UserFactory()
    MembershipFactory(portfolio=PortfolioFactory(name="Elsewhere"), user=users["outsider"], role=Role.ADMIN)
    UserFactory(username="newcomer")
    entry = StatusBookEntryFactory(product=product, author=users[Role.PRODUCT_MANAGER], text="Nebula log line")
    # Lifecycle automation: a pending suggestion (research → planning) from a suggest rule, the research
    # gate, a webhook with a delivery, a notification for every member, a launched plan with its review,
    # an open signal.
    suggest_rule = LifecycleRuleFactory(
        portfolio=portfolio,
        name="Comet suggest rule",
        from_stage="research",
        to_stage="planning",
        mode="suggest",
        condition_type="release_shipped",
        params={},
    )
    suggestion = StageSuggestionFactory(
        product=product,
        rule=suggest_rule,
        to_stage="planning",
        reason="Comet suggest rule",
        evidence={"note": "Meteor shower evidence"},
    )
    gate = StageGateFactory(portfolio=portfolio, stage="research")
    webhook = WebhookFactory(
        portfolio=portfolio, url="https://93.184.216.34/pmflow", description="Orion hook", created_by=users["admin"]
    )
    delivery = WebhookDeliveryFactory(webhook=webhook)
    notifications = {
        role: NotificationFactory(user=users[role], portfolio=portfolio, title="Nebula notification", url="/")
        for role in Role.values
    }
    review = LaunchReviewFactory(launch_plan__product=product, launch_plan__name="Zenith launch")
    signal = SignalFactory(product=product, message="Quasar signal", kpi=kpi, campaign=campaign)
    ids = {
        "portfolio": portfolio.id,
        "line": line.id,
        "product": product.id,
        "kpi": kpi.id,
        "rule": rule.id,
        "member": Membership.objects.get(user=users[Role.VIEWER]).id,
        "m": measurement.id,
        "import": upload.id,
        "release": release.id,
        "item": feature.id,
        "initiative": initiative.id,
        "dependency": dependency.id,
        "segment": segment.id,
        "persona": persona.id,
        "template": template.id,
        "plan": plan.id,
        "task": task.id,
        "plan_ready": plan_ready.id,
        "messaging": messaging.id,
        "messaging_review": messaging_review.id,
        "messaging_approved": messaging_approved.id,
        "campaign": campaign.id,
        "asset": asset.id,
        "event": event.id,
        "press": press.id,
        "goal": goal.id,
        "key_result": key_result.id,
        "insight": insight.id,
        "competitor": competitor.id,
        "move": move.id,
        "idea": idea.id,
        "feedback": feedback.id,
        "entry": entry.id,
        "budget_plan": plan_budget.id,
        "document": document.id,
        "comment": comment.id,
        "suggest_rule": suggest_rule.id,
        "suggestion": suggestion.id,
        "gate": gate.id,
        "webhook": webhook.id,
        "delivery": delivery.id,
        # Each member's own notification (a member reaching another's is 404, like another portfolio's).
        **{f"notification_{role}": n.id for role, n in notifications.items()},
        "review": review.id,
        "launched_plan": review.launch_plan_id,
        "signal": signal.id,
    }
    return users, ids


def _fill(value, ids):
    if isinstance(value, tuple):  # a file to upload
        return SimpleUploadedFile(value[0], value[1], "text/csv")
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        return int(ids[whole.group(1)]) if whole and whole.group(1) in ids else value.format(**ids)
    if isinstance(value, dict):
        return {_fill(k, ids): _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


CASES = [
    pytest.param(route, op, role, id=f"{op.method} {op.url} as {role}")
    for route, ops in ENDPOINTS.items()
    for op in ops
    for role in ROLES
]


def _expected(op: Op, role: str) -> str:
    if role == "anonymous":
        return "login"
    if op.allowed == "anyone":
        return "ok"
    if role == "outsider":
        return "empty" if op.scoped_list else "hidden"
    if op.allowed == "read" or role in op.allowed:
        return "ok"
    return "forbidden"


@pytest.mark.parametrize("route, op, role", CASES)
def test_access(route, op, role, house, django_capture_on_commit_callbacks):
    users, ids = house
    client = APIClient() if op.api else Client()
    if role != "anonymous":
        client.force_login(users[role])
    url = op.url.format(**ids)
    body = _fill(op.body, ids) if op.body is not None else None
    events, measurements = DomainEvent.objects.count(), Measurement.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        if op.api:
            uploads = isinstance(body, dict) and any(isinstance(v, SimpleUploadedFile) for v in body.values())
            response = getattr(client, op.method.lower())(url, body, format="multipart" if uploads else "json")
        elif op.method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, body or {})
    status = response.status_code
    expected = _expected(op, role)
    content = response.content.decode(errors="replace") if not getattr(response, "streaming", False) else ""

    if expected == "login":
        if op.api:
            assert status in (401, 403), status
        else:
            assert status == 302 and "/login/" in response["Location"], (status, response.get("Location"))
    elif expected == "ok":
        assert status in op.ok, (status, content[:500])
    elif expected == "forbidden":
        assert status == 403, (status, content[:300])
    elif expected == "hidden":
        assert status in ((400, 404) if op.method == "POST" and op.api else (404,)), (status, content[:300])
    elif expected == "empty":
        assert status in ((200, 400, 403) if op.method == "POST" else (200,)), (status, content[:300])

    if expected in ("forbidden", "hidden", "empty", "login"):
        assert DomainEvent.objects.count() == events, "a refused request changed something"
        assert Measurement.objects.count() == measurements
    if role in ("outsider", "anonymous"):
        leaked = [name for name in SECRET_NAMES if name in content]
        assert leaked == [], f"{role} saw {leaked}"
