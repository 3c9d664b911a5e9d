"""Bad input never crashes: every writable field of every API operation × hostile values.

The fields come from the OpenAPI schema (a new field or operation is covered without touching this
file; an operation with a body this file has no valid base body for fails `test_every_body_operation_is_fuzzed`).
Each request: never a 5xx, within STALL seconds, and where the value is not one the field's type can hold,
a 400 naming the field (or the body); a refused request writes nothing. The page forms that take
numbers and the CSV import get the same values.
"""

import json
import time
from datetime import date

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.throttling import ScopedRateThrottle

from gtm.services import campaigns as campaign_services
from gtm.services import enablement as enablement_services
from gtm.services import launches as launch_services
from gtm.services import messaging as messaging_services
from kpis.models import Measurement
from products.models import DomainEvent
from roadmap import services as roadmap_services
from tests.factories import (
    BudgetPlanFactory,
    CompetitorFactory,
    CompetitorMoveFactory,
    DocumentCommentFactory,
    DocumentFactory,
    FeedbackFactory,
    GoalFactory,
    IdeaFactory,
    KeyResultFactory,
    LaunchReviewFactory,
    MarketInsightFactory,
    PersonaFactory,
    RoadmapItemFactory,
    SegmentFactory,
    StageGateFactory,
    StageSuggestionFactory,
    StatusBookEntryFactory,
    WebhookFactory,
    member,
)

pytestmark = pytest.mark.django_db

DEEP = 10_000
HOSTILE = {
    "nul": "a\x00b",
    "lone surrogate": "\ud800",
    "100,000 characters": "x" * 100_000,
    "nested 10,000 deep": None,  # sent as raw text, see _body
    "1e9999999": "1e9999999",
    "-1e9999999": "-1e9999999",
    "1e-9999999": "1e-9999999",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "NaN literal": float("nan"),
    "Infinity literal": float("inf"),
    "rounds past (20, 6)": "99999999999999.9999999",
    "2**63": 2**63,
    "2**64": 2**64,
    "-2**63 - 1": -(2**63) - 1,
    "0000-01-01": "0000-01-01",
    "10000-01-01": "10000-01-01",
    "2026-02-30": "2026-02-30",
}
# A stall, not a slow answer: the heaviest refusals (a 10,000-deep body, 100,000 characters through a
# messaging diff) take 0.3-0.4 s alone and passed 1 s late in a full CI run on a shared 2-CPU machine.
STALL = 2
ANY_TYPE = {"nul", "lone surrogate", "100,000 characters", "nested 10,000 deep"}
# Pseudo-fields inside a rule's free-form `params` (kpi_threshold).
RULE_PARAMS = ["params.key", "params.granularity", "params.comparator", "params.value", "params.periods"]


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def resolve(node):
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[1]]
        if "oneOf" in node:  # one measurement or a list of them
            return resolve(node["oneOf"][0])
        return node

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            properties = resolve(body["schema"]).get("properties", {})
            fields = {name: resolve(prop) for name, prop in properties.items() if not prop.get("readOnly")}
            yield f"{method.upper()} {path}", fields


OPERATIONS = dict(_operations())


def _base_bodies(world, colleague):
    rule = {
        "portfolio": world.portfolio.id,
        "name": "R",
        "from_stage": "launch",
        "to_stage": "growth",
        "condition_type": "kpi_threshold",
        "params": {"key": "revenue", "granularity": "month", "comparator": "gte", "value": 1, "periods": 1},
        "mode": "auto",
        "is_active": True,
    }
    kpi = {
        "product": world.product.id,
        "key": "signups",
        "name": "Sign-ups",
        "unit": "",
        "direction": "higher_is_better",
        "aggregation": "sum",
        "target": 1,
        "target_granularity": "month",
        "tolerance_pct": 5,
        "headline": False,
    }
    line = {"portfolio": world.portfolio.id, "name": "L", "description": ""}
    product = {"portfolio": world.portfolio.id, "product_line": world.line.id, "name": "P", "description": "D"}
    portfolio = {"name": "Another", "timezone": "UTC"}
    # The roadmap: an initiative, a feature under it in a release, another item to depend on.
    release = roadmap_services.release_create(product=world.product, version="9.0")
    initiative = roadmap_services.roadmap_item_create(product=world.product, title="I", kind="initiative")
    item = roadmap_services.roadmap_item_create(product=world.product, title="F", parent=initiative, release=release)
    roadmap_item = {
        "product": world.product.id,
        "parent": initiative.id,
        "kind": "feature",
        "title": "T",
        "description": "D",
        "status": "planned",
        "horizon": "now",
        "release": release.id,
        "owner": colleague.username,
        "start_date": "2026-04-01",
        "end_date": "2026-05-01",
        "reach": 100,
        "impact": 2,
        "confidence": 50,
        "effort": 3,
        "business_value": 5,
        "time_criticality": 3,
        "risk_reduction": 1,
        "job_size": 2,
        "value": 8,
        "moscow": "should",
        "regulatory": False,
        "regulation": "",
        "key_result": None,
        "ideas": [],
        "feedback": [],
    }
    release_body = {"product": world.product.id, "version": "9.1", "name": "N", "description": "", "target_date": None}
    weights = {
        "value": 3,
        "business_value": 2,
        "time_criticality": 1,
        "risk_reduction": 1,
        "reach": 0,
        "impact": 0,
        "confidence": 0,
        "effort": -2,
        "job_size": 0,
    }
    # Go-to-market: a template, a plan made from it (one task), messaging as a draft and in review, a
    # campaign, an asset, an event and a press item.
    segment = SegmentFactory(portfolio=world.portfolio)
    persona = PersonaFactory(portfolio=world.portfolio, segment=segment)
    template_body = {
        "portfolio": world.portfolio.id,
        "name": "Tier 1",
        "tier": 1,
        "description": "",
        "tasks": [{"title": "Brief press", "function": "marketing", "offset_days": -7, "required": True}],
    }
    template = launch_services.launch_template_create(
        portfolio=world.portfolio, name="Template", tier=1, tasks=template_body["tasks"]
    )
    plan = launch_services.launch_plan_create(
        product=world.product, name="Launch", launch_date=date(2026, 6, 1), template=template
    )
    task = plan.tasks.get()
    plan_body = {
        "product": world.product.id,
        "release": release.id,
        "name": "Launch 2",
        "description": "",
        "tier": 2,
        "launch_date": "2026-07-01",
        "owner": colleague.username,
    }
    task_body = {
        "launch_plan": plan.id,
        "title": "Train sales",
        "description": "",
        "function": "sales",
        "owner": colleague.username,
        "due_date": "2026-05-20",
        "status": "doing",
        "blocked_reason": "",
        "required": True,
    }
    messaging_body = {
        "product": world.product.id,
        "launch_plan": plan.id,
        "positioning": "P",
        "value_proposition": "V",
        "target_segments": [segment.id],
        "target_personas": [persona.id],
        "key_messages": [{"message": "m", "proof_points": ["p"]}],
        "objections": [{"objection": "o", "response": "r"}],
    }
    content = {
        k: v
        for k, v in messaging_body.items()
        if k not in ("product", "launch_plan", "target_segments", "target_personas")
    }
    draft = messaging_services.messaging_create(product=world.product, **content)
    in_review = messaging_services.messaging_create(product=world.product, **content)
    messaging_services.messaging_submit(messaging_id=in_review.id)
    campaign_body = {
        "product": world.product.id,
        "launch_plan": plan.id,
        "name": "C",
        "channel": "email",
        "segment": segment.id,
        "start_date": "2026-05-01",
        "end_date": "2026-06-30",
        "budget": 1000,
        "spend": 10,
        "status": "planned",
    }
    campaign = campaign_services.campaign_create(
        product=world.product, name="C0", start_date=date(2026, 5, 1), end_date=date(2026, 5, 31)
    )
    asset_body = {
        "product": world.product.id,
        "launch_plan": plan.id,
        "title": "Battle card",
        "kind": "battle_card",
        "url": "https://intranet.example.com/card",
        "version": "2",
        "audience": "sales",
    }
    asset = enablement_services.asset_create(product=world.product, title="A", url="https://intranet.example.com/a")
    event_body = {
        "portfolio": world.portfolio.id,
        "products": [world.product.id],
        "name": "Expo",
        "kind": "trade_show",
        "start_date": "2026-09-01",
        "end_date": "2026-09-03",
        "location": "Berlin",
        "cost": 5000,
        "leads": 40,
    }
    event = enablement_services.marketing_event_create(portfolio=world.portfolio, name="E", start_date=date(2026, 9, 1))
    press_body = {
        "product": world.product.id,
        "launch_plan": plan.id,
        "title": "Press release",
        "kind": "press_release",
        "channel": "Wire",
        "publish_date": "2026-06-01",
        "owner": colleague.username,
        "status": "scheduled",
    }
    press = enablement_services.press_item_create(product=world.product, title="PR")
    gtm = {
        "POST /api/v1/launch-templates/": ("/api/v1/launch-templates/", template_body),
        "PUT /api/v1/launch-templates/{id}/": (f"/api/v1/launch-templates/{template.id}/", template_body),
        "PATCH /api/v1/launch-templates/{id}/": (f"/api/v1/launch-templates/{template.id}/", template_body),
        "POST /api/v1/launch-plans/": ("/api/v1/launch-plans/", {**plan_body, "template": template.id}),
        "PUT /api/v1/launch-plans/{id}/": (f"/api/v1/launch-plans/{plan.id}/", plan_body),
        "PATCH /api/v1/launch-plans/{id}/": (f"/api/v1/launch-plans/{plan.id}/", plan_body),
        "POST /api/v1/launch-plans/{id}/launch/": (
            f"/api/v1/launch-plans/{plan.id}/launch/",
            {"override": False, "reason": ""},
        ),
        "POST /api/v1/launch-plans/{id}/cancel/": (f"/api/v1/launch-plans/{plan.id}/cancel/", {"reason": "Dropped"}),
        "POST /api/v1/launch-tasks/": ("/api/v1/launch-tasks/", task_body),
        "PUT /api/v1/launch-tasks/{id}/": (f"/api/v1/launch-tasks/{task.id}/", task_body),
        "PATCH /api/v1/launch-tasks/{id}/": (f"/api/v1/launch-tasks/{task.id}/", task_body),
        "POST /api/v1/messaging/": ("/api/v1/messaging/", messaging_body),
        "PUT /api/v1/messaging/{id}/": (f"/api/v1/messaging/{draft.id}/", messaging_body),
        "PATCH /api/v1/messaging/{id}/": (f"/api/v1/messaging/{draft.id}/", messaging_body),
        "POST /api/v1/messaging/{id}/request-changes/": (
            f"/api/v1/messaging/{in_review.id}/request-changes/",
            {"comment": "Sharper proof points"},
        ),
        "POST /api/v1/campaigns/": ("/api/v1/campaigns/", campaign_body),
        "PUT /api/v1/campaigns/{id}/": (f"/api/v1/campaigns/{campaign.id}/", campaign_body),
        "PATCH /api/v1/campaigns/{id}/": (f"/api/v1/campaigns/{campaign.id}/", campaign_body),
        "POST /api/v1/assets/": ("/api/v1/assets/", asset_body),
        "PUT /api/v1/assets/{id}/": (f"/api/v1/assets/{asset.id}/", asset_body),
        "PATCH /api/v1/assets/{id}/": (f"/api/v1/assets/{asset.id}/", asset_body),
        "POST /api/v1/events/": ("/api/v1/events/", event_body),
        "PUT /api/v1/events/{id}/": (f"/api/v1/events/{event.id}/", event_body),
        "PATCH /api/v1/events/{id}/": (f"/api/v1/events/{event.id}/", event_body),
        "POST /api/v1/press-items/": ("/api/v1/press-items/", press_body),
        "PUT /api/v1/press-items/{id}/": (f"/api/v1/press-items/{press.id}/", press_body),
        "PATCH /api/v1/press-items/{id}/": (f"/api/v1/press-items/{press.id}/", press_body),
    }
    strategy = _strategy_bodies(world, segment, persona)
    return {
        **gtm,
        **strategy,
        **_automation_bodies(world),
        "POST /api/v1/roadmap-items/": ("/api/v1/roadmap-items/", roadmap_item),
        "PUT /api/v1/roadmap-items/{id}/": (f"/api/v1/roadmap-items/{item.id}/", roadmap_item),
        "PATCH /api/v1/roadmap-items/{id}/": (f"/api/v1/roadmap-items/{item.id}/", roadmap_item),
        "POST /api/v1/roadmap-items/{id}/move/": (
            f"/api/v1/roadmap-items/{item.id}/move/",
            {"horizon": "next", "position": 0},
        ),
        "POST /api/v1/releases/": ("/api/v1/releases/", release_body),
        "PUT /api/v1/releases/{id}/": (f"/api/v1/releases/{release.id}/", release_body),
        "PATCH /api/v1/releases/{id}/": (f"/api/v1/releases/{release.id}/", release_body),
        "POST /api/v1/releases/{id}/ship/": (
            f"/api/v1/releases/{release.id}/ship/",
            {"override": True, "reason": "Hotfix"},
        ),
        "POST /api/v1/roadmap-dependencies/": (
            "/api/v1/roadmap-dependencies/",
            {"item": initiative.id, "depends_on": item.id, "kind": "relates"},
        ),
        "PUT /api/v1/scoring-weights/{id}/": (f"/api/v1/scoring-weights/{world.portfolio.id}/", weights),
        "PATCH /api/v1/scoring-weights/{id}/": (f"/api/v1/scoring-weights/{world.portfolio.id}/", weights),
        "POST /api/v1/auth/token/": ("/api/v1/auth/token/", {"username": colleague.username, "password": "x"}),
        "POST /api/v1/portfolios/": ("/api/v1/portfolios/", portfolio),
        "PUT /api/v1/portfolios/{id}/": (f"/api/v1/portfolios/{world.portfolio.id}/", portfolio),
        "PATCH /api/v1/portfolios/{id}/": (f"/api/v1/portfolios/{world.portfolio.id}/", portfolio),
        "POST /api/v1/portfolios/{id}/members/": (
            f"/api/v1/portfolios/{world.portfolio.id}/members/",
            {"username": colleague.username, "role": "viewer"},
        ),
        "POST /api/v1/product-lines/": ("/api/v1/product-lines/", line),
        "PUT /api/v1/product-lines/{id}/": (f"/api/v1/product-lines/{world.line.id}/", line),
        "PATCH /api/v1/product-lines/{id}/": (f"/api/v1/product-lines/{world.line.id}/", line),
        "POST /api/v1/products/": ("/api/v1/products/", product),
        "PUT /api/v1/products/{id}/": (f"/api/v1/products/{world.product.id}/", product),
        "PATCH /api/v1/products/{id}/": (f"/api/v1/products/{world.product.id}/", product),
        "POST /api/v1/products/{id}/transition/": (
            f"/api/v1/products/{world.product.id}/transition/",
            {"to_stage": "planning", "reason": "Ready", "override": True, "from_stage": "research"},
        ),
        "POST /api/v1/lifecycle-rules/": ("/api/v1/lifecycle-rules/", rule),
        "PUT /api/v1/lifecycle-rules/{id}/": (f"/api/v1/lifecycle-rules/{world.rule.id}/", rule),
        "PATCH /api/v1/lifecycle-rules/{id}/": (f"/api/v1/lifecycle-rules/{world.rule.id}/", rule),
        "POST /api/v1/kpis/": ("/api/v1/kpis/", kpi),
        "PUT /api/v1/kpis/{id}/": (f"/api/v1/kpis/{world.kpi.id}/", {**kpi, "product": world.product.id}),
        "PATCH /api/v1/kpis/{id}/": (f"/api/v1/kpis/{world.kpi.id}/", kpi),
        "POST /api/v1/kpis/{id}/measurements/": (
            f"/api/v1/kpis/{world.kpi.id}/measurements/",
            {"observed_at": "2026-03-20", "value": 1, "external_id": "e-1"},
        ),
        "POST /api/v1/measurements/": (
            "/api/v1/measurements/",
            {"kpi": world.kpi.id, "observed_at": "2026-03-20", "value": 1, "external_id": "e-2"},
        ),
    }


def _strategy_bodies(world, segment, persona):
    """Goals and key results, market insight, competitors and their moves, segments and personas, ideas
    and feedback: a row of each to update, and a valid body per operation."""
    goal = GoalFactory(product=world.product)
    key_result = KeyResultFactory(goal=goal)
    insight = MarketInsightFactory(portfolio=world.portfolio)
    competitor = CompetitorFactory(portfolio=world.portfolio)
    move = CompetitorMoveFactory(competitor=competitor)
    idea = IdeaFactory(product=world.product)
    feedback = FeedbackFactory(product=world.product, segment=segment)
    goal_body = {
        "product": world.product.id,
        "title": "Grow",
        "description": "",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
    }
    key_result_body = {
        "goal": goal.id,
        "title": "NPS at 40",
        "kpi": None,
        "start_value": 20,
        "target_value": 40,
        "manual_value": 30,
    }
    insight_body = {
        "portfolio": world.portfolio.id,
        "products": [world.product.id],
        "kind": "trend",
        "title": "T",
        "summary": "S",
        "source": "Src",
        "observed_on": "2026-03-02",
        "impact": "high",
    }
    competitor_body = {
        "portfolio": world.portfolio.id,
        "name": "Rival",
        "website": "https://rival.example.com",
        "segments": [segment.id],
        "strengths": "a",
        "weaknesses": "b",
        "pricing": "c",
        "threat": "high",
    }
    move_body = {
        "competitor": competitor.id,
        "kind": "launch",
        "happened_on": "2026-03-02",
        "description": "D",
        "products": [world.product.id],
        "response": "R",
        "response_status": "planned",
    }
    segment_body = {
        "portfolio": world.portfolio.id,
        "name": "Retailers",
        "description": "Omnichannel",
        "size": 6800,
        "growth_pct": 9.5,
        "priority": 4,
        "products": [world.product.id],
    }
    persona_body = {
        "portfolio": world.portfolio.id,
        "name": "Olivia",
        "segment": segment.id,
        "goals": "G",
        "pains": "P",
        "journey": [{"stage": "Awareness", "touchpoints": "Ads", "pains": "", "opportunities": "Demo"}],
    }
    idea_body = {
        "product": world.product.id,
        "title": "Offline mode",
        "description": "x",
        "insights": [insight.id],
        "feedback": [feedback.id],
    }
    feedback_body = {
        "product": world.product.id,
        "text": "Needs SSO",
        "source": "sales",
        "importance": 4,
        "deal_value": 12000,
        "received_on": "2026-03-02",
        "segment": segment.id,
        "ideas": [idea.id],
    }
    bodies = {}
    for path, row, body in (
        ("/api/v1/goals/", goal, goal_body),
        ("/api/v1/key-results/", key_result, key_result_body),
        ("/api/v1/market-insights/", insight, insight_body),
        ("/api/v1/competitors/", competitor, competitor_body),
        ("/api/v1/competitor-moves/", move, move_body),
        ("/api/v1/segments/", segment, segment_body),
        ("/api/v1/personas/", persona, persona_body),
        ("/api/v1/ideas/", idea, idea_body),
        ("/api/v1/feedback/", feedback, feedback_body),
    ):
        bodies[f"POST {path}"] = (path, body)
        bodies[f"PUT {path}{{id}}/"] = (f"{path}{row.id}/", body)
        bodies[f"PATCH {path}{{id}}/"] = (f"{path}{row.id}/", body)
    entry = StatusBookEntryFactory(product=world.product, author=member(world.portfolio, "product_manager"))
    entry_body = {"product": world.product.id, "category": "daily", "minutes": 45, "text": "Pricing call"}
    entry_body["date"] = "2026-03-02"
    bodies["POST /api/v1/status-book/"] = ("/api/v1/status-book/", entry_body)
    bodies["PUT /api/v1/status-book/{id}/"] = (f"/api/v1/status-book/{entry.id}/", entry_body)
    bodies["PATCH /api/v1/status-book/{id}/"] = (f"/api/v1/status-book/{entry.id}/", entry_body)
    thresholds = {
        "retire_falling_quarters": 2,
        "extend_segment_min_growth_pct": 10,
        "extend_segment_min_priority": 4,
        "extend_demand_min_growth_pct": 20,
    }
    settings_url = f"/api/v1/portfolios/{world.portfolio.id}/analysis-settings/"
    bodies["PUT /api/v1/portfolios/{id}/analysis-settings/"] = (settings_url, thresholds)
    bodies["PATCH /api/v1/portfolios/{id}/analysis-settings/"] = (settings_url, thresholds)
    # The desk: a budget plan of the product, a document with a review comment.
    plan = BudgetPlanFactory(product=world.product, year=2026)
    plan_body = {
        "product": world.product.id,
        "product_line": None,
        "year": 2027,
        "budget_lines": [{"quarter": 1, "channel": "email", "amount": 1000}],
        "sales_targets": [{"quarter": 1, "amount": 5000}],
    }
    bodies["POST /api/v1/budget-plans/"] = ("/api/v1/budget-plans/", plan_body)
    bodies["PUT /api/v1/budget-plans/{id}/"] = (f"/api/v1/budget-plans/{plan.id}/", {**plan_body, "year": 2026})
    bodies["PATCH /api/v1/budget-plans/{id}/"] = (f"/api/v1/budget-plans/{plan.id}/", {**plan_body, "year": 2026})
    item = RoadmapItemFactory(product=world.product)
    document = DocumentFactory(product=world.product)
    comment = DocumentCommentFactory(document=document)
    document_body = {
        "product": world.product.id,
        "kind": "prd",
        "title": "Offline PRD",
        "body": "# Problem\n\nText.",
        "status": "draft",
        "ideas": [idea.id],
        "feedback": [feedback.id],
        "roadmap_items": [item.id],
    }
    bodies["POST /api/v1/documents/"] = ("/api/v1/documents/", document_body)
    bodies["PUT /api/v1/documents/{id}/"] = (f"/api/v1/documents/{document.id}/", document_body)
    bodies["PATCH /api/v1/documents/{id}/"] = (f"/api/v1/documents/{document.id}/", document_body)
    bodies["POST /api/v1/documents/{id}/comments/"] = (
        f"/api/v1/documents/{document.id}/comments/",
        {"body": "Name the KPIs"},
    )
    bodies["POST /api/v1/documents/{id}/comments/{comment_id}/resolve/"] = (
        f"/api/v1/documents/{document.id}/comments/{comment.id}/resolve/",
        {"resolved": True},
    )
    bodies["POST /api/v1/ideas/{id}/accept/"] = (
        f"/api/v1/ideas/{idea.id}/accept/",
        {"kind": "feature", "horizon": "next", "reason": "Top ask"},
    )
    bodies["POST /api/v1/ideas/{id}/reject/"] = (f"/api/v1/ideas/{idea.id}/reject/", {"reason": "Too niche"})
    return bodies


def _automation_bodies(world):
    """Lifecycle automation: stage gates, suggestions, webhooks, notification settings, launch reviews."""
    gate = StageGateFactory(portfolio=world.portfolio, stage="research")
    gate_body = {
        "portfolio": world.portfolio.id,
        "stage": "planning",
        "criteria": [{"type": "has_description"}, {"type": "has_roadmap_items", "params": {"min": 3}}],
    }
    suggestion = StageSuggestionFactory(product=world.product, to_stage="planning")
    hook = WebhookFactory(portfolio=world.portfolio, url="https://93.184.216.34/pmflow")
    # An address literal: a host name would be resolved by the address guard (no DNS in tests).
    hook_body = {
        "portfolio": world.portfolio.id,
        "url": "https://93.184.216.34/hooks/pmflow",
        "events": ["product.stage_changed", "launch_plan.launched"],
        "description": "CRM sync",
    }
    review = LaunchReviewFactory(launch_plan__product=world.product)
    return {
        "POST /api/v1/stage-gates/": ("/api/v1/stage-gates/", gate_body),
        "PUT /api/v1/stage-gates/{id}/": (f"/api/v1/stage-gates/{gate.id}/", {**gate_body, "stage": "research"}),
        "PATCH /api/v1/stage-gates/{id}/": (f"/api/v1/stage-gates/{gate.id}/", {**gate_body, "stage": "research"}),
        "POST /api/v1/stage-suggestions/{id}/accept/": (
            f"/api/v1/stage-suggestions/{suggestion.id}/accept/",
            {"reason": "Research is done"},
        ),
        "POST /api/v1/stage-suggestions/{id}/dismiss/": (
            f"/api/v1/stage-suggestions/{suggestion.id}/dismiss/",
            {"reason": "Not yet"},
        ),
        "POST /api/v1/webhooks/": ("/api/v1/webhooks/", hook_body),
        "PUT /api/v1/webhooks/{id}/": (f"/api/v1/webhooks/{hook.id}/", hook_body),
        "PATCH /api/v1/webhooks/{id}/": (f"/api/v1/webhooks/{hook.id}/", hook_body),
        "POST /api/v1/notification-settings/": (
            "/api/v1/notification-settings/",
            {"portfolio": world.portfolio.id, "kind": "mention", "in_app": True, "email": False, "digest": True},
        ),
        "PUT /api/v1/launch-reviews/{id}/": (f"/api/v1/launch-reviews/{review.id}/", {"window_days": 60}),
        "PATCH /api/v1/launch-reviews/{id}/": (f"/api/v1/launch-reviews/{review.id}/", {"window_days": 45}),
    }


APPS = ("products", "roadmap", "gtm", "kpis")


def _apps_of(operation: str) -> tuple[str, ...]:
    """The apps an API operation writes to: its own and products (the domain events, the catalogue).
    Comparing every app's rows after each of thousands of requests is most of this file's time."""
    path = operation.split()[1]
    strategy = ("/api/v1/market-insights/", "/api/v1/competitor", "/api/v1/segments/", "/api/v1/personas/")
    if path.startswith((*strategy, "/api/v1/feedback/")):
        return ("products",)
    for app, prefixes in (
        ("roadmap", ("/api/v1/roadmap-", "/api/v1/releases/", "/api/v1/scoring-weights/", "/api/v1/ideas/")),
        ("kpis", ("/api/v1/goals/", "/api/v1/key-results/")),
        ("gtm", ("/api/v1/launch-", "/api/v1/messaging/", "/api/v1/campaigns/", "/api/v1/assets/")),
        ("gtm", ("/api/v1/events/", "/api/v1/press-items/", "/api/v1/calendar/")),
    ):
        if path.startswith(prefixes):
            return ("products", app)
    return ("products", "kpis") if path.startswith(("/api/v1/kpis/", "/api/v1/measurements/")) else APPS


def _fingerprint(app_labels=APPS, models=None):
    """Every row of the apps' tables (or of `models`): a refused request must leave them as they were. A
    refused CSV file is the one exception by design: the portfolio's import history records it (an Import
    row with its errors, and its `import.finished` event), and that is all it writes."""
    if models is None:
        models = [m for app in app_labels for m in apps.get_app_config(app).get_models()]
    models = {*models, DomainEvent}
    rows = {m.__name__: list(m.objects.order_by("pk").values()) for m in models if m.__name__ != "Import"}
    rows["DomainEvent"] = [e for e in rows["DomainEvent"] if e["verb"] != "import.finished"]
    return rows


def _written_by(operation: str, url: str) -> dict:
    """What a refused request of the operation must leave as it was: the rows of the model its view
    writes (with its many-to-many link tables) and the domain events, which every service write records
    in its own transaction. The whole apps' tables when the view names no model. Reading every table of
    two apps after each of thousands of requests was most of this file's time."""
    view = getattr(resolve(url).func, "cls", None)
    serializer = getattr(view, "serializer_class", None)
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    if model is None:
        return {"app_labels": _apps_of(operation)}
    links = [field.remote_field.through for field in model._meta.local_many_to_many]
    reverse = [rel.through for rel in model._meta.related_objects if rel.many_to_many and rel.through]
    return {"models": [model, *links, *reverse]}


UNIQUE = ("name", "key", "external_id", "version")  # a create that succeeds must not make the next one a clash


def _body(base: dict, field: str, value_name: str, n: int) -> str:
    body = json.loads(json.dumps(base))
    body.update({name: f"{body[name]}-{n}" for name in UNIQUE if name in body and name != field})
    target, name = (body["params"], field.split(".", 1)[1]) if field.startswith("params.") else (body, field)
    target[name] = "__HOSTILE__"
    text = json.dumps(body)
    hostile = "[" * DEEP + "]" * DEEP if value_name == "nested 10,000 deep" else json.dumps(HOSTILE[value_name])
    return text.replace('"__HOSTILE__"', hostile)


# Free text (a string with no format, enum or pattern) takes any of the numeric and date spellings as
# text: only what no text may hold, and numbers where text is due, can break it.
TEXT_HOSTILE = [*ANY_TYPE, "2**64", "NaN literal", "Infinity literal"]


def _hostile_for(schema: dict, field: str) -> list[str]:
    plain_text = (
        schema.get("type") == "string"
        and not {"format", "enum", "pattern"} & set(schema)
        and field not in ("observed_at", "owner", "username", "timezone", "key", "password")
    )
    return TEXT_HOSTILE if plain_text else list(HOSTILE)


def _must_refuse(schema: dict, field: str, value_name: str) -> bool:
    """Whether no value of the field's type is this one (a name may well be "1e9999999")."""
    if value_name == "100,000 characters" and schema.get("maxLength", 0) >= 100_000:
        return False  # a document's Markdown body holds that much (its schema says how much)
    if value_name in ANY_TYPE:
        return True
    if field in ("observed_at", "params.value", "params.periods") or "enum" in schema:
        return True
    return schema.get("type") in ("number", "integer", "boolean") or schema.get("format") in ("date", "date-time")


def _names_the_field(payload, field: str) -> bool:
    top = field.split(".", 1)[0]
    if not isinstance(payload, dict):
        return False
    if "detail" in payload or top in payload or f"{field}" in payload:
        return True
    return any(error.get("field") == field for error in payload.get("errors", []))


@pytest.fixture(autouse=True)
def _no_lockout(monkeypatch, settings):
    """Hundreds of refused sign-ins in a row: the throttle and the lockout would answer 429/403 instead."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "100000/minute"})
    settings.AXES_FAILURE_LIMIT = 100_000


@pytest.fixture
def admin_client(api_client, world):
    api_client.force_authenticate(member(world.portfolio, "admin"))
    return api_client


def test_every_body_operation_is_fuzzed(world):
    assert set(OPERATIONS) == set(_base_bodies(world, member(world.portfolio, "viewer")))


def _same_as_a_fuller_case(operation: str) -> bool:
    """A PATCH, or a PUT whose collection has a POST: the full set of values is sent to that one."""
    method, path = operation.split()
    if method == "PATCH":
        return True
    return method == "PUT" and path.endswith("/{id}/") and f"POST {path[: -len('{id}/')]}" in OPERATIONS


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_hostile_values_in_every_field_are_refused_cleanly(admin_client, world, operation):
    colleague = member(world.portfolio, "viewer")
    url, base = _base_bodies(world, colleague)[operation]
    method = operation.split()[0]
    fields = list(OPERATIONS[operation]) + (RULE_PARAMS if "params" in OPERATIONS[operation] else [])
    problems = []
    # PATCH validates the body as PUT does, and PUT as the collection's POST (the same serializer): the
    # values that break any type are enough there; POST (or a PUT without a POST) gets the full set.
    hostile_for = (lambda schema, field: TEXT_HOSTILE) if _same_as_a_fuller_case(operation) else _hostile_for
    cases = ((f, v) for f in fields for v in hostile_for(OPERATIONS[operation].get(f, {}), f))
    written = _written_by(operation, url)
    before = _fingerprint(**written)
    for n, (field, value_name) in enumerate(cases):
        schema = OPERATIONS[operation].get(field, {})
        started = time.monotonic()
        response = admin_client.generic(
            method, url, _body(base, field, value_name, n).encode("utf-8", "surrogatepass"), "application/json"
        )
        elapsed = time.monotonic() - started
        where = f"{field} = {value_name}: {response.status_code}"
        if response.status_code >= 500 or elapsed > STALL:
            problems.append(f"{where} in {elapsed:.2f} s")
        elif response.status_code == 400:
            named = {field, "password"} if "auth/token" in url else {field}  # a wrong login names password
            if not any(_names_the_field(response.json(), name) for name in named):
                problems.append(f"{where} without a message for the field: {response.content[:200]}")
            if _fingerprint(**written) != before:
                problems.append(f"{where} but something was written")
                before = _fingerprint(**written)
        else:
            if _must_refuse(schema, field, value_name) and response.status_code != 403:
                problems.append(f"{where}, expected 400: {response.content[:200]}")
            # What it wrote (a create, an update) is the state the next refused request must leave.
            before = _fingerprint(**written)
    assert problems == []


@pytest.mark.parametrize(
    "query", [{"portfolio": 2**63}, {"portfolio": 2**64}, {"product_line": "1e9999999"}, {"stage": "bogus"}]
)
def test_hostile_filters_are_a_400(admin_client, query):
    response = admin_client.get("/api/v1/products/", query)
    assert response.status_code == 400 and set(query) <= set(response.json())


# --- pages and the CSV import --------------------------------------------------------------------

NUMBERS = [
    "1e9999999",
    "-1e9999999",
    "1e-9999999",
    "NaN",
    "Infinity",
    "99999999999999.9999999",
    str(2**63),
    str(2**64),
    "a\x00b",
    "x" * 100_000,
]


@pytest.fixture
def pm_client(client, world):
    client.force_login(member(world.portfolio, "admin"))
    return client


def _page_post(client, url, data):
    before = _fingerprint()
    started = time.monotonic()
    response = client.post(url, data)
    assert time.monotonic() - started < 1
    assert response.status_code == 400, response.status_code
    assert _fingerprint() == before
    return response


@pytest.mark.parametrize("value", NUMBERS)
@pytest.mark.parametrize("field", ["target", "tolerance_pct"])
def test_kpi_form_refuses_hostile_numbers(pm_client, world, field, value):
    form = {
        "name": "Sign-ups",
        "key": "signups",
        "direction": "higher_is_better",
        "aggregation": "sum",
        "target": "1",
        "target_granularity": "month",
        "tolerance_pct": "10",
        field: value,
    }
    response = _page_post(pm_client, f"/kpis/new/?product={world.product.id}", form)
    assert response.context["form"].errors[field]


@pytest.mark.parametrize("value", NUMBERS)
def test_measurement_form_refuses_hostile_numbers(pm_client, world, value):
    response = _page_post(
        pm_client,
        f"/kpis/{world.kpi.id}/measurements/",
        {"action": "single", "observed_at": "2026-03-02", "value": value},
    )
    assert b"value" in response.content


@pytest.mark.parametrize("value", NUMBERS)
def test_measurement_correction_refuses_hostile_numbers(pm_client, world, value):
    measurement = Measurement.objects.filter(kpi=world.kpi).first()
    prefix = f"m{measurement.id}"
    response = pm_client.post(
        f"/measurements/{measurement.id}/correct/", {f"{prefix}-observed_at": "2026-03-05", f"{prefix}-value": value}
    )
    assert response.status_code in (400, 302)
    measurement.refresh_from_db()
    assert str(measurement.observed_at.date()) != "2026-03-05"


@pytest.mark.parametrize("value", NUMBERS)
def test_rule_form_refuses_hostile_thresholds(pm_client, world, value):
    form = {
        "name": "Growth on revenue",
        "from_stage": "launch",
        "to_stage": "growth",
        "condition_type": "kpi_threshold",
        "mode": "auto",
        "is_active": "on",
        "key": "revenue",
        "comparator": "gte",
        "value": value,
        "periods": "3",
        "granularity": "week",
    }
    response = _page_post(pm_client, f"/portfolios/{world.portfolio.id}/rules/new/", form)
    assert response.context["form"].errors["value"]


@pytest.mark.parametrize("value", [v for v in NUMBERS if "\x00" not in v])
def test_csv_import_refuses_hostile_values_by_line_and_column(pm_client, world, value):
    content = f"observed_at,value\n2026-03-01,1\n2026-03-02,{value}\n".encode()
    before = _fingerprint()
    started = time.monotonic()
    response = pm_client.post(
        f"/kpis/{world.kpi.id}/measurements/",
        {"action": "upload", "file": SimpleUploadedFile("m.csv", content, "text/csv")},
    )
    assert time.monotonic() - started < 1
    assert response.status_code == 400
    assert "value" in response.content.decode() and _fingerprint() == before
