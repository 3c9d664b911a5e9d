"""The demo go-to-market (gtm.demo and kpis.demo_gtm, loaded by seed_demo): a believable picture in every
part, written by the services, and loading the demo again adds nothing."""

from collections import Counter
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from gtm.demo import seed_gtm
from gtm.models import (
    Asset,
    Campaign,
    LaunchPlan,
    LaunchTask,
    LaunchTemplate,
    LaunchTemplateTask,
    MarketingEvent,
    Messaging,
    PressItem,
)
from gtm.selectors import is_overdue, launch_plans
from kpis.management.commands import seed_demo
from kpis.models import KPI, Measurement
from products.models import DomainEvent, Membership, Persona, Portfolio, Segment
from roadmap.models import Release

GTM_MODELS = (
    LaunchTemplate,
    LaunchTemplateTask,
    LaunchPlan,
    LaunchTask,
    Messaging,
    Campaign,
    Asset,
    MarketingEvent,
    PressItem,
    Segment,
    Persona,
)


# Lifecycle automation (seed_demo's last step) adds launches, releases and stage moves of its own: these
# tests look at the roadmap and go-to-market demo as those steps leave it (kpis, products test the rest).
WITHOUT_AUTOMATION = mock.patch.object(seed_demo.Command, "_automation", lambda self, user: None)


@pytest.fixture(autouse=True)
def _without_automation(monkeypatch):
    monkeypatch.setattr(seed_demo.Command, "_automation", lambda self, user: None)


def _load() -> str:
    out = StringIO()
    call_command("seed_demo", "--days", "14", stdout=out)
    return out.getvalue()


def _seed(capture):
    """seed_demo as the command runs it, with what waits for the commit (launch handlers, rollups)."""
    with capture(execute=True):
        return _load()


def _portfolio():
    return Portfolio.objects.get(name=seed_demo.PORTFOLIO)


def _today():
    return timezone.now().astimezone(_portfolio().zone).date()


def _plans():
    return {plan.name: plan for plan in launch_plans().filter(product__portfolio=_portfolio())}


class TestTheDemo(TestCase):
    """The demo loaded once for these read-only checks (each test runs in a transaction rolled back to it)."""

    @classmethod
    def setUpTestData(cls):
        with cls.captureOnCommitCallbacks(execute=True), WITHOUT_AUTOMATION:
            cls.out = _load()

    def test_the_first_run_says_what_go_to_market_data_it_loaded(self):
        assert "Loaded go-to-market data: 7 launch plans" in self.out
        assert "campaign and launch KPIs" in self.out and "left out" not in self.out

    def test_seeding_again_writes_nothing(self):
        models = (*GTM_MODELS, KPI, Measurement, DomainEvent)
        before = {model: model.objects.count() for model in models}

        with self.captureOnCommitCallbacks(execute=True):
            out = _load()

        assert "Loaded go-to-market" not in out and "campaign and launch KPIs" not in out
        assert {model: model.objects.count() for model in models} == before

    def test_seed_gtm_returns_none_once_the_portfolio_has_go_to_market_data(self):
        portfolio = _portfolio()
        actor = Membership.objects.filter(portfolio=portfolio, role="admin").first().user
        assert seed_gtm(portfolio=portfolio, actor=actor, today=_today()) is None

    def test_every_area_has_rows(self):
        portfolio = _portfolio()
        paths = {
            LaunchTemplateTask: "template__portfolio",
            LaunchTask: "launch_plan__product__portfolio",
            LaunchTemplate: "portfolio",
            MarketingEvent: "portfolio",
            Segment: "portfolio",
            Persona: "portfolio",
        }
        for model in GTM_MODELS:
            assert model.objects.filter(**{paths.get(model, "product__portfolio"): portfolio}).exists(), model.__name__
        assert KPI.objects.filter(product__portfolio=portfolio, campaign__isnull=False).exists()
        assert KPI.objects.filter(product__portfolio=portfolio, launch_plan__isnull=False, campaign=None).exists()

    def test_every_row_was_written_by_the_services(self):
        for model, verb in (
            (LaunchTemplate, "launch_template.created"),
            (LaunchPlan, "launch_plan.created"),
            (Campaign, "campaign.created"),
            (Asset, "asset.created"),
            (MarketingEvent, "event.created"),
            (PressItem, "press_item.created"),
        ):
            rows = set(model.objects.values_list("id", flat=True))
            created = set(DomainEvent.objects.filter(verb=verb).values_list("object_id", flat=True))
            assert rows and rows == created, model.__name__
        launched = set(LaunchPlan.objects.filter(status="launched").values_list("id", flat=True))
        assert launched == set(
            DomainEvent.objects.filter(verb="launch_plan.launched").values_list("object_id", flat=True)
        )

    def test_a_template_per_tier_with_tasks_for_every_function(self):
        templates = {t.tier: t for t in LaunchTemplate.objects.filter(portfolio=_portfolio()).prefetch_related("tasks")}
        assert set(templates) == {1, 2, 3}
        sizes = {tier: len(template.tasks.all()) for tier, template in templates.items()}
        assert sizes[1] >= 15 and 8 <= sizes[2] <= 12 and 3 <= sizes[3] <= 6
        assert {task.function for task in templates[1].tasks.all()} == {
            "product",
            "marketing",
            "sales",
            "support",
            "legal",
            "engineering",
        }
        for template in templates.values():
            offsets = [task.offset_days for task in template.tasks.all()]
            assert min(offsets) < 0 and max(offsets) >= 0
            # What happens on launch day or after does not hold a plan in planning.
            assert all(not task.required for task in template.tasks.all() if task.offset_days >= 0)

    def test_every_plan_status_follows_its_tasks(self):
        for plan in _plans().values():
            if plan.status in ("planning", "ready"):
                assert (plan.status == "ready") == (plan.readiness == 100), plan
            blocked = [task for task in plan.tasks.all() if task.status == "blocked"]
            assert all(task.blocked_reason for task in blocked), plan

    def test_the_plans_cover_every_status_and_read_like_a_launch_board(self):
        today = _today()
        plans = list(_plans().values())
        assert Counter(plan.status for plan in plans) == {"launched": 2, "planning": 3, "ready": 1, "cancelled": 1}
        ready = next(plan for plan in plans if plan.status == "ready")
        assert 14 <= (ready.launch_date - today).days <= 30
        cancelled = next(plan for plan in plans if plan.status == "cancelled")
        assert cancelled.cancel_reason and cancelled.cancelled_at
        planning = [plan for plan in plans if plan.status == "planning"]
        assert any(plan.launch_date > today + timedelta(days=60) and plan.readiness < 25 for plan in planning)
        assert len({plan.product_id for plan in plans}) >= 5

    def test_one_plan_is_at_risk_ten_days_out(self):
        today = _today()
        at_risk = [
            plan
            for plan in _plans().values()
            if plan.status == "planning" and plan.launch_date <= today + timedelta(days=14)
        ]
        assert len(at_risk) == 1
        plan = at_risk[0]
        assert 7 <= (plan.launch_date - today).days <= 14
        assert 60 <= plan.readiness <= 80
        tasks = list(plan.tasks.all())
        blocked = [task for task in tasks if task.status == "blocked"]
        assert len(blocked) == 1 and blocked[0].blocked_reason and blocked[0].required
        overdue = [task for task in tasks if is_overdue(task, today) and task.status != "blocked"]
        assert len(overdue) == 2

    def test_launched_plans_launched_on_their_launch_day(self):
        zone = _portfolio().zone
        launched = [plan for plan in _plans().values() if plan.status == "launched"]
        assert len(launched) == 2
        for plan in launched:
            assert plan.launched_at.astimezone(zone).date() == plan.launch_date, plan
            assert plan.launched_by is not None
        full, override = sorted(launched, key=lambda plan: plan.launch_date)
        assert full.launch_date <= _today() - timedelta(days=35)
        assert full.readiness == 100 and set(full.tasks.values_list("status", flat=True)) == {"done"}
        assert not full.launch_reason

    def test_the_plan_launched_last_week_was_overridden_with_a_reason_and_a_follow_up_open(self):
        plan = max((p for p in _plans().values() if p.status == "launched"), key=lambda p: p.launch_date)
        assert _today() - timedelta(days=10) <= plan.launch_date <= _today()
        assert plan.launch_reason and plan.readiness < 100
        assert Membership.objects.get(portfolio=_portfolio(), user=plan.launched_by).role in (
            "admin",
            "product_manager",
        )
        open_tasks = plan.tasks.exclude(status="done")
        assert open_tasks.filter(required=True).count() == 1
        assert open_tasks.filter(required=False).count() == 1
        event = DomainEvent.objects.get(verb="launch_plan.launched", object_id=plan.id)
        assert event.data["override"] is True and event.data["reason"] == plan.launch_reason

    def test_plans_are_for_their_products_releases(self):
        plans = [plan for plan in _plans().values() if plan.release_id]
        assert len(plans) >= 5
        assert all(plan.release.product_id == plan.product_id for plan in plans)
        # Most launch on their release's day; a beta that slipped and a launch after a quiet ship do not.
        assert sum(plan.launch_date == plan.release.target_date for plan in plans) >= 3

    def test_owners_are_members_who_write_go_to_market(self):
        portfolio = _portfolio()
        roles = dict(Membership.objects.filter(portfolio=portfolio).values_list("user_id", "role"))
        owners = [
            *LaunchPlan.objects.filter(product__portfolio=portfolio).values_list("owner_id", flat=True),
            *LaunchTask.objects.filter(launch_plan__product__portfolio=portfolio).values_list("owner_id", flat=True),
            *Campaign.objects.filter(product__portfolio=portfolio).values_list("owner_id", flat=True),
            *PressItem.objects.filter(product__portfolio=portfolio).values_list("owner_id", flat=True),
        ]
        assigned = [owner for owner in owners if owner is not None]
        assert assigned
        assert {roles[owner] for owner in assigned} <= {"admin", "product_manager", "marketer"}
        assert {roles[owner] for owner in assigned} >= {"product_manager", "marketer"}

    def test_campaigns_keep_the_rules_and_their_status_follows_their_dates(self):
        today = _today()
        campaigns = list(
            Campaign.objects.filter(product__portfolio=_portfolio()).select_related("launch_plan", "segment")
        )
        assert 8 <= len(campaigns) <= 12
        for campaign in campaigns:
            assert campaign.end_date >= campaign.start_date and campaign.budget >= 0 and campaign.spend >= 0, campaign
            if campaign.status == "done":
                assert campaign.end_date < today, campaign
            elif campaign.status == "active":
                assert campaign.start_date <= today <= campaign.end_date, campaign
            elif campaign.status == "planned":
                assert campaign.start_date > today and campaign.spend == 0, campaign
            if campaign.launch_plan is not None:
                assert campaign.launch_plan.product_id == campaign.product_id
            if campaign.segment is not None:
                assert campaign.segment.portfolio_id == _portfolio().id
        statuses = Counter(campaign.status for campaign in campaigns)
        assert statuses["done"] and statuses["active"] and statuses["planned"] and statuses["cancelled"]
        assert len({campaign.channel for campaign in campaigns}) >= 5
        assert 2 <= sum(campaign.spend > campaign.budget for campaign in campaigns) <= 4

    def test_messaging_has_an_approved_line_with_a_revised_draft_one_in_review_and_one_approved(self):
        rows = list(Messaging.objects.filter(product__portfolio=_portfolio()).prefetch_related("target_segments"))
        lines = {}
        for row in rows:
            lines.setdefault(row.origin_id, []).append(row)
        shapes = sorted(
            tuple((v.version, v.status) for v in sorted(line, key=lambda v: v.version)) for line in lines.values()
        )
        assert shapes == [((1, "approved"),), ((1, "approved"), (2, "draft")), ((1, "in_review"),)]
        for row in rows:
            assert row.launch_plan_id and row.positioning and row.value_proposition
            assert len(row.key_messages) == 3 and all(m["proof_points"] for m in row.key_messages)
            assert len(row.objections) == 3 and all(o["response"] for o in row.objections)
            assert row.target_segments.exists() and row.target_personas.exists()
            if row.status == "approved":
                assert row.approved_by is not None and row.approved_at.date() < row.launch_plan.launch_date
        revised = next(row for row in rows if row.version == 2)
        first = next(row for row in rows if row.id == revised.origin_id)
        assert revised.key_messages != first.key_messages

    def test_assets_events_and_press_read_like_a_launch_calendar(self):
        today = _today()
        portfolio = _portfolio()
        assets = list(Asset.objects.filter(product__portfolio=portfolio))
        assert 8 <= len(assets) <= 10
        assert all(asset.url.startswith("https://intranet.example.com/") for asset in assets)
        assert {asset.kind for asset in assets} >= {
            "demo_script",
            "battle_card",
            "pitch_deck",
            "faq",
            "datasheet",
            "training",
        }

        events = list(MarketingEvent.objects.filter(portfolio=portfolio).prefetch_related("products"))
        kinds = Counter(event.kind for event in events)
        assert kinds["trade_show"] >= 1 and kinds["conference"] >= 1 and kinds["webinar"] == 2 and kinds["meetup"] >= 1
        for event in events:
            assert event.end_date >= event.start_date and event.products.exists()
            if event.end_date < today:
                assert event.leads and event.cost > 0, event
            else:
                assert event.leads is None, event
        assert any(event.start_date > today for event in events) and any(event.end_date < today for event in events)

        items = list(PressItem.objects.filter(product__portfolio=portfolio))
        assert {item.kind for item in items} >= {"press_release", "briefing", "blog_post", "social_post", "newsletter"}
        assert {item.status for item in items} == {"draft", "scheduled", "published"}
        for item in items:
            if item.status == "published":
                assert item.publish_date <= today, item
            elif item.status == "scheduled":
                assert item.publish_date > today, item

    def test_segments_and_personas_with_a_journey(self):
        portfolio = _portfolio()
        segments = list(Segment.objects.filter(portfolio=portfolio).prefetch_related("products"))
        assert 4 <= len(segments) <= 6
        assert all(s.size and s.growth_pct is not None and 1 <= s.priority <= 5 for s in segments)
        # Every segment is served but the growth opportunity the strategy demo leaves open (products.demo_audience).
        assert sum(not s.products.exists() for s in segments) <= 1
        personas = list(Persona.objects.filter(portfolio=portfolio))
        assert 3 <= len(personas) <= 4
        for persona in personas:
            assert persona.segment is not None and persona.goals and persona.pains
            assert len(persona.journey) >= 4
            assert all(set(stage) == {"stage", "touchpoints", "pains", "opportunities"} for stage in persona.journey)

    def test_campaign_and_launch_kpis_are_measured_weekly_within_their_dates(self):
        portfolio = _portfolio()
        zone = portfolio.zone
        today = _today()
        kpis = list(
            KPI.objects.filter(product__portfolio=portfolio)
            .exclude(campaign=None, launch_plan=None)
            .select_related("campaign", "launch_plan")
        )
        campaign_kpis = [kpi for kpi in kpis if kpi.campaign_id]
        assert len({kpi.campaign_id for kpi in campaign_kpis}) >= 3
        roles = {kpi.key.removeprefix(f"{kpi.campaign.channel}_") for kpi in campaign_kpis}
        assert roles == {"leads", "conversion_rate", "revenue"}
        assert len({kpi.launch_plan_id for kpi in kpis if not kpi.campaign_id}) == 2
        for kpi in campaign_kpis:
            days = sorted(m.observed_at.astimezone(zone).date() for m in kpi.measurements.all())
            assert days, kpi
            assert kpi.campaign.start_date <= days[0] and days[-1] <= min(kpi.campaign.end_date, today), kpi
            assert all((later - earlier).days == 7 for earlier, later in zip(days, days[1:], strict=False)), kpi
            assert kpi.launch_plan_id == kpi.campaign.launch_plan_id
        assert Measurement.objects.filter(kpi__in=kpis).count() >= 20


@pytest.mark.django_db
def test_a_portfolio_with_segments_keeps_them(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(seed_demo, "seed_gtm", lambda **kwargs: None)
    monkeypatch.setattr(seed_demo.Command, "_strategy", lambda self, user: None)  # it completes the segments
    _seed(django_capture_on_commit_callbacks)
    portfolio = _portfolio()
    Segment.objects.create(portfolio=portfolio, name="Our own segment")
    actor = Membership.objects.filter(portfolio=portfolio, role="admin").first().user

    counts = seed_gtm(portfolio=portfolio, actor=actor, today=_today())

    assert counts["segments"] == 0 and counts["personas"] == 3 and counts["plans"] == 7
    assert list(Segment.objects.filter(portfolio=portfolio).values_list("name", flat=True)) == ["Our own segment"]
    assert Campaign.objects.filter(product__portfolio=portfolio).exclude(segment=None).count() == 0


@pytest.mark.django_db
def test_without_the_roadmap_plans_are_dated_as_its_releases_would_be(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(seed_demo, "seed_roadmap", lambda **kwargs: None)
    out = _seed(django_capture_on_commit_callbacks)

    assert not Release.objects.exists()
    assert "Loaded go-to-market data: 7 launch plans" in out
    plans = _plans()
    assert all(plan.release_id is None for plan in plans.values())
    reports = plans["Insight Hub 3.4: scheduled reports"]
    assert reports.launch_date == _today() - timedelta(days=2) and reports.status == "launched"
