"""kpis.services.reviews and the handler: a plan's review made when it launches (once, however often the relay
calls the handler), none for a plan that has not launched, the backfill of older launches, the window rule."""

import datetime

import pytest

from gtm.services import launches
from kpis.models import LaunchReview
from kpis.review_handlers import review_after_launch
from kpis.services import reviews as services
from pmflow.errors import InvalidInput
from products.models import DomainEvent
from tests.factories import KPIFactory, LaunchPlanFactory, PortfolioFactory, ProductFactory, UserFactory
from tests.kpis.test_reviews_api import launched_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    product = ProductFactory(portfolio=PortfolioFactory(), name="Nebula")
    KPIFactory(product=product, key="signups", headline=True)
    return product


def test_launching_a_plan_makes_its_review_once(product, django_capture_on_commit_callbacks):
    plan = LaunchPlanFactory(product=product, launch_date=datetime.date.today())

    with django_capture_on_commit_callbacks(execute=True):
        launches.launch_plan_launch(plan_id=plan.id, actor=UserFactory())
    event = DomainEvent.objects.get(verb="launch_plan.launched", object_id=plan.id)
    review_after_launch(event)  # the relay calling the handler again

    review = LaunchReview.objects.get(launch_plan=plan)
    assert review.window_days == 30 and review.computed_at is not None
    assert [entry["key"] for entry in review.results] == ["signups"]
    assert DomainEvent.objects.filter(verb="launch_review.created", object_id=review.id).count() == 1


def test_a_plan_not_launched_has_no_review(product):
    plan = LaunchPlanFactory(product=product)
    with pytest.raises(services.PlanNotLaunched):
        services.review_create(plan_id=plan.id)
    assert not LaunchReview.objects.exists()


def test_the_handler_lets_a_plan_deleted_since_go(product):
    plan = launched_plan(product)
    event = DomainEvent(verb="launch_plan.launched", object_id=plan.id + 1000, portfolio_id=product.portfolio_id)
    review_after_launch(event)
    assert not LaunchReview.objects.exists()


def test_the_backfill_reviews_older_launches_of_the_portfolios_given(product):
    mine = launched_plan(product)
    already = launched_plan(product)
    LaunchReview.objects.create(launch_plan=already)
    LaunchPlanFactory(product=product)  # not launched
    elsewhere = launched_plan(ProductFactory())

    made = services.reviews_backfill(portfolio_ids=[product.portfolio_id])

    assert made == 1 and services.reviews_backfill(portfolio_ids=[product.portfolio_id]) == 0
    assert set(LaunchReview.objects.values_list("launch_plan_id", flat=True)) == {mine.id, already.id}
    assert DomainEvent.objects.filter(verb="launch_review.created").count() == 1
    assert services.reviews_backfill() == 1 and LaunchReview.objects.filter(launch_plan=elsewhere).exists()


def test_the_same_window_records_nothing(product):
    review = services.review_create(plan_id=launched_plan(product).id)
    services.review_update(review_id=review.id, actor=None, window_days=30)
    assert not DomainEvent.objects.filter(verb="launch_review.updated").exists()


@pytest.mark.parametrize("value", [6, 366, "abc", "", None, 7.5, True, "99999"])
def test_the_window_is_whole_days_from_7_to_365(product, value):
    review = services.review_create(plan_id=launched_plan(product).id)
    with pytest.raises(InvalidInput) as refused:
        services.review_update(review_id=review.id, actor=None, window_days=value)
    assert refused.value.fields == {"window_days": "Whole days from 7 to 365."}


@pytest.mark.parametrize("value, kept", [(7, 7), (365, 365), ("90", 90)])
def test_the_window_bounds_are_allowed(product, value, kept):
    review = services.review_create(plan_id=launched_plan(product).id)
    services.review_update(review_id=review.id, actor=None, window_days=value)
    review.refresh_from_db()
    assert review.window_days == kept
