"""The demo's visions, goals and key results (kpis.demo_goals.seed_goals, on top of seed_demo): measured by the
demo KPIs, written by the services, and seeding again writes nothing."""

from io import StringIO
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F
from django.test import TestCase
from django.utils import timezone

from kpis import key_results as values
from kpis.demo_goals import GOALS, VISIONS, seed_goals
from kpis.management.commands import seed_demo
from kpis.models import KPI
from products.models import DomainEvent, Goal, KeyResult, Portfolio, Product


def _portfolio() -> Portfolio:
    return Portfolio.objects.get(name=seed_demo.PORTFOLIO)


def _seed():
    portfolio = _portfolio()
    actor = get_user_model().objects.get(username="demo")
    return seed_goals(portfolio=portfolio, actor=actor, today=timezone.localdate(timezone=portfolio.zone))


class TestTheDemoGoals(TestCase):
    @classmethod
    def setUpTestData(cls):
        # The demo without its strategy step (which runs seed_goals), then seed_goals itself: what it says it wrote.
        with cls.captureOnCommitCallbacks(execute=True):
            with mock.patch.object(seed_demo.Command, "_strategy", lambda self, user: None):
                call_command("seed_demo", "--days", "14", stdout=StringIO())
            cls.counts = _seed()

    def test_it_says_what_it_wrote(self):
        assert self.counts["visions"] == len(VISIONS) and self.counts["goals"] == len(GOALS)
        assert self.counts["key_results"] == KeyResult.objects.filter(goal__title__in=self._titles()).count()

    @staticmethod
    def _titles():
        return [title for goals in GOALS.values() for title, _, _ in goals]

    def test_every_product_has_a_vision(self):
        assert not Product.objects.filter(portfolio=_portfolio(), vision="").exists()

    def test_the_goals_run_this_year(self):
        year = timezone.localdate(timezone=_portfolio().zone).year
        for goal in Goal.objects.filter(title__in=self._titles()):
            assert (goal.period_start.isoformat(), goal.period_end.isoformat()) == (f"{year}-01-01", f"{year}-12-31")

    def test_most_key_results_are_measured_by_the_demo_kpis(self):
        measured = KPI.objects.filter(product__portfolio=_portfolio(), key_result__isnull=False).count()
        assert measured == self.counts["measured"] and measured * 2 >= KeyResult.objects.count()

    def test_the_roadmaps_goal_is_measured_too(self):
        roadmap_goal = Goal.objects.exclude(title__in=self._titles()).get(product__name="Insight Hub")
        assert KPI.objects.filter(key_result__goal=roadmap_goal).count() == 2

    def test_real_rollups_give_the_measured_key_results_their_values(self):
        loaded = values.key_results_loaded(KeyResult.objects.filter(kpi__isnull=False))
        found = values.key_result_values(loaded)
        assert any(v.current is not None and v.progress is not None for v in found.values())

    def test_a_falling_target_is_among_them(self):
        assert KeyResult.objects.filter(target_value__lt=F("start_value")).exists()

    def test_every_goal_and_key_result_was_written_by_the_services(self):
        for goal in Goal.objects.filter(title__in=self._titles()):
            assert DomainEvent.objects.filter(verb="goal.created", object_id=goal.id).exists()
            for kr in goal.key_results.all():
                assert DomainEvent.objects.filter(verb="key_result.created", object_id=kr.id).exists()

    def test_seeding_again_writes_nothing(self):
        before = DomainEvent.objects.count()
        assert _seed() is None
        assert DomainEvent.objects.count() == before
