"""The demo roadmap (roadmap.demo, loaded by seed_demo): every demo product gets a believable plan
written by the services, and loading the demo again adds nothing."""

from collections import Counter, defaultdict
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from kpis.management.commands import seed_demo
from products.models import DomainEvent, Feedback, Goal, Idea, KeyResult, Membership, Product, StageTransition
from roadmap.graph import cycle_through
from roadmap.models import Release, RoadmapDependency, RoadmapItem, ScoringWeights
from roadmap.selectors import roadmap_items, schedule_warnings

pytestmark = pytest.mark.django_db

DEMO_PRODUCTS = [row[0] for row in seed_demo.PRODUCTS]


# Lifecycle automation (seed_demo's last step) adds launches, releases and stage moves of its own: these
# tests look at the roadmap and go-to-market demo as those steps leave it (kpis, products test the rest).
WITHOUT_AUTOMATION = mock.patch.object(seed_demo.Command, "_automation", lambda self, user: None)


@pytest.fixture(autouse=True)
def _without_automation(monkeypatch):
    monkeypatch.setattr(seed_demo.Command, "_automation", lambda self, user: None)


def _seed(capture):
    """seed_demo as the command runs it: what waits for the commit (the handlers of release.shipped,
    which evaluate the product's lifecycle rules) runs too."""
    out = StringIO()
    with capture(execute=True):
        call_command("seed_demo", "--days", "14", stdout=out)
    return out.getvalue()


def _today():
    product = Product.objects.select_related("portfolio").get(name=DEMO_PRODUCTS[0])
    return timezone.now().astimezone(product.portfolio.zone).date()


class TestTheDemoRoadmap(TestCase):
    """The demo loaded once for these read-only checks (each test runs in a transaction rolled back to it)."""

    @classmethod
    def setUpTestData(cls):
        out = StringIO()
        with cls.captureOnCommitCallbacks(execute=True), WITHOUT_AUTOMATION:
            call_command("seed_demo", "--days", "14", stdout=out)
        cls.demo = out.getvalue()

    def test_the_first_run_says_what_roadmap_it_loaded(self):
        assert "Loaded a roadmap of" in self.demo
        assert RoadmapItem.objects.count() > 0

    def test_each_demo_product_has_initiatives_features_and_requirements_in_a_hierarchy(self):
        for name in DEMO_PRODUCTS:
            # The roadmap's own items: an idea accepted by the strategy demo lands as a feature of its own.
            items = list(
                RoadmapItem.objects.filter(product__name=name)
                .exclude(ideas__status="accepted")
                .select_related("parent")
            )
            kinds = Counter(item.kind for item in items)
            assert kinds["initiative"] >= 2 and kinds["feature"] >= 3 and kinds["requirement"] >= 1, name
            for item in items:
                if item.kind == "initiative":
                    assert item.parent is None, item
                elif item.kind == "feature":
                    assert item.parent is not None and item.parent.kind == "initiative", item
                else:
                    assert item.parent is not None and item.parent.kind in ("initiative", "feature"), item
                if item.parent is not None:
                    assert item.parent.product_id == item.product_id

    def test_each_demo_product_has_a_shipped_release_of_done_items_and_planned_ones(self):
        for name in DEMO_PRODUCTS:
            releases = list(Release.objects.filter(product__name=name).prefetch_related("items"))
            shipped = [r for r in releases if r.status == "shipped"]
            planned = [r for r in releases if r.status == "planned"]
            assert len(shipped) >= 1 and len(planned) >= 2, name
            for release in shipped:
                assert release.items.exists() and {i.status for i in release.items.all()} == {"done"}, release
                assert release.shipped_at is not None
            assert all(release.items.exists() for release in planned), name

    def test_every_shipped_release_was_shipped_by_the_service(self):
        shipped = set(Release.objects.filter(status="shipped").values_list("id", flat=True))
        events = set(DomainEvent.objects.filter(verb="release.shipped").values_list("object_id", flat=True))
        assert shipped and shipped == events

    def test_every_item_and_dependency_was_written_by_the_services(self):
        items = set(RoadmapItem.objects.values_list("id", flat=True))
        created = set(DomainEvent.objects.filter(verb="roadmap_item.created").values_list("object_id", flat=True))
        assert items == created
        edges = set(RoadmapDependency.objects.values_list("id", flat=True))
        recorded = set(
            DomainEvent.objects.filter(verb="roadmap_dependency.created").values_list("object_id", flat=True)
        )
        assert edges == recorded

    def test_the_ranks_of_every_column_run_from_zero_without_gaps(self):
        columns = defaultdict(list)
        for product_id, horizon, rank in RoadmapItem.objects.values_list("product_id", "horizon", "rank"):
            columns[(product_id, horizon)].append(rank)
        assert len({product for product, _ in columns}) == len(DEMO_PRODUCTS)
        for column, ranks in columns.items():
            assert sorted(ranks) == list(range(len(ranks))), column

    def test_the_dependencies_block_and_relate_without_a_cycle(self):
        edges = list(RoadmapDependency.objects.values_list("item_id", "depends_on_id", "kind"))
        assert {kind for _, _, kind in edges} == {"blocks", "relates"}
        assert len(edges) >= 3
        blocks = [(item, depends_on) for item, depends_on, kind in edges if kind == "blocks"]
        for edge in blocks:
            others = [other for other in blocks if other != edge]
            assert cycle_through(others, *edge) is None, edge

    def test_one_item_in_now_is_blocked_by_one_in_next_and_warns(self):
        warnings = schedule_warnings(roadmap_items().filter(product__name__in=DEMO_PRODUCTS))
        assert warnings
        flagged = RoadmapItem.objects.in_bulk(list(warnings))
        now_before_next = [
            (item, warning["depends_on"])
            for item_id, item in flagged.items()
            for warning in warnings[item_id]
            if item.horizon == "now" and warning["depends_on"].horizon == "next"
        ]
        assert now_before_next
        # A believable plan has a conflict or two, not one per product.
        assert len(warnings) <= 3

    def test_the_horizons_read_like_a_plan(self):
        today = _today()
        items = list(RoadmapItem.objects.filter(product__name__in=DEMO_PRODUCTS).exclude(ideas__status="accepted"))
        for item in items:
            if item.horizon == "later":
                assert item.status == "proposed" and item.start_date is None and item.release is None, item
            elif item.horizon == "next":
                assert item.status in ("proposed", "planned"), item
            else:
                assert item.status in ("planned", "in_progress", "done"), item
            if item.horizon in ("now", "next") and item.status != "done":
                assert item.start_date and item.end_date, item
                assert today - timedelta(days=120) <= item.start_date <= today + timedelta(days=180), item
                assert today <= item.end_date <= today + timedelta(days=200), item
        statuses = Counter((item.horizon, item.status) for item in items)
        assert statuses[("now", "in_progress")] and statuses[("now", "done")] and statuses[("now", "planned")]

    def test_releases_are_dated_around_today(self):
        today = _today()
        for release in Release.objects.all():
            assert today - timedelta(days=10) <= release.target_date <= today + timedelta(days=150), release
        upcoming = Release.objects.filter(status="planned", target_date__gt=today)
        assert upcoming.count() >= 2 * len(DEMO_PRODUCTS) - 1

    def test_most_items_are_scored_and_a_few_show_no_score(self):
        items = list(roadmap_items().filter(product__name__in=DEMO_PRODUCTS))
        unscored = [i for i in items if i.rice_score is None and i.wsjf_score is None and i.weighted_score is None]
        fully_scored = [i for i in items if None not in (i.rice_score, i.wsjf_score, i.value_effort, i.weighted_score)]
        assert 3 <= len(unscored) <= len(items) // 5
        assert len(fully_scored) >= len(items) // 2
        assert {i.moscow for i in items} >= {"must", "should", "could", None}

    def test_regulatory_requirements_name_their_regulation(self):
        regulatory = list(RoadmapItem.objects.filter(regulatory=True))
        assert len(regulatory) >= 2
        assert all(item.kind == "requirement" and item.regulation for item in regulatory)
        titles = " ".join(item.title for item in regulatory)
        assert "GDPR Art. 17" in titles and "WCAG 2.2 AA" in titles

    def test_owners_are_members_who_may_write_the_roadmap(self):
        owned = RoadmapItem.objects.exclude(owner=None).values_list("product__portfolio_id", "owner_id").distinct()
        assert owned
        for portfolio_id, owner_id in owned:
            role = Membership.objects.get(portfolio_id=portfolio_id, user_id=owner_id).role
            assert role in ("admin", "product_manager", "marketer"), role

    def test_ideas_feedback_and_a_key_result_stand_behind_items(self):
        assert Idea.objects.filter(roadmap_items__isnull=False).exists()
        assert Feedback.objects.filter(roadmap_items__isnull=False).exists()
        assert Feedback.objects.filter(ideas__isnull=False).exists()
        served = RoadmapItem.objects.filter(key_result__isnull=False, kind="initiative").select_related(
            "key_result__goal"
        )
        assert served.count() == 1
        goal = served.get().key_result.goal
        assert goal.product_id == served.get().product_id
        assert goal.period_start <= _today() <= goal.period_end

    def test_the_portfolio_scores_with_its_own_weights(self):
        weights = ScoringWeights.objects.get(portfolio__name=seed_demo.PORTFOLIO)
        assert any(getattr(weights, name) != default for name, default in ScoringWeights.defaults().items())

    def test_seeding_again_adds_nothing(self):
        models = (RoadmapItem, Release, RoadmapDependency, Idea, Feedback, Goal, KeyResult, DomainEvent)
        before = {model: model.objects.count() for model in models}
        out = _seed(self.captureOnCommitCallbacks)
        assert "Demo data already loaded." in out and "Loaded a roadmap" not in out
        assert {model: model.objects.count() for model in models} == before


def test_a_demo_loaded_before_the_roadmap_gets_it_and_no_product_moves(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(seed_demo, "seed_roadmap", lambda **kwargs: None)
    monkeypatch.setattr(seed_demo.Command, "_strategy", lambda self, user: None)  # its accepted ideas are items
    _seed(django_capture_on_commit_callbacks)
    assert not RoadmapItem.objects.exists()
    stages = dict(Product.objects.values_list("name", "stage"))
    transitions = StageTransition.objects.count()
    monkeypatch.undo()
    monkeypatch.setattr(seed_demo.Command, "_automation", lambda self, user: None)  # undone with the rest

    out = _seed(django_capture_on_commit_callbacks)

    assert "Loaded a roadmap of" in out
    assert Release.objects.filter(status="shipped").count() == len(DEMO_PRODUCTS)
    # Shipping fired release.shipped and the rules were evaluated; none of the demo's rules is about releases.
    assert dict(Product.objects.values_list("name", "stage")) == stages
    assert StageTransition.objects.count() == transitions
