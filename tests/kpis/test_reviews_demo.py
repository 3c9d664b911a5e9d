"""kpis.demo_reviews.seed_reviews: earlier launches whose expectations held or missed, the current launch's
expectations, accuracy over several quarters; through the services; a second run writes nothing."""

import datetime
import math

import pytest

from kpis import reviews as figures
from kpis.demo_reviews import seed_reviews
from kpis.models import LaunchReview
from kpis.services import measurements_ingest
from products.models import DomainEvent
from tests.factories import (
    KPIFactory,
    LaunchPlanFactory,
    PortfolioFactory,
    ProductFactory,
    ReleaseFactory,
    RoadmapItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
# name, revenue a day, weekly active users, growth a day (as seed_demo's products)
PRODUCTS = [("Insight Hub", 2400, 5200, 0.0012), ("TeamBoard", 3100, 9100, 0.0002), ("Pulse Alerts", 600, 1800, 0.004)]


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    portfolio = PortfolioFactory(name="Acme Software", timezone="Europe/Berlin")
    start = TODAY - datetime.timedelta(days=365)
    for name, revenue, users, growth in PRODUCTS:
        product = ProductFactory(portfolio=portfolio, name=name, stage="growth")
        for key, base, aggregation in (("revenue", revenue, "sum"), ("weekly_active_users", users, "last")):
            kpi = KPIFactory(product=product, key=key, name=key.replace("_", " ").capitalize(), aggregation=aggregation)
            items = [
                {
                    "observed_at": f"{start + datetime.timedelta(days=day)}T10:00:00Z",
                    "value": str(round(base * math.exp(growth * day) * (1 + 0.1 * math.sin(day)), 2)),
                }
                for day in range(365)
            ]
            with django_capture_on_commit_callbacks(execute=True):
                measurements_ingest(kpi_id=kpi.id, items=items)
    hub = portfolio.products.get(name="Insight Hub")
    release = ReleaseFactory(
        product=hub, version="3.4", status="shipped", shipped_at=datetime.datetime.now(datetime.UTC)
    )
    for title in ("Scheduled PDF reports by e-mail", "Share a dashboard by read-only link"):
        RoadmapItemFactory(product=hub, release=release, title=title, status="done")
    LaunchPlanFactory(
        product=hub,
        release=release,
        name="Insight Hub 3.4: scheduled reports",
        status="launched",
        launched_at=datetime.datetime.now(datetime.UTC),
        launch_date=TODAY - datetime.timedelta(days=2),
    )
    return portfolio


def test_the_demo_has_launches_that_held_and_missed_over_several_quarters(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        counts = seed_reviews(portfolio=demo, actor=UserFactory(), today=TODAY)

    assert counts == {"launches": 7, "expectations": 12, "reviews": 8}
    results = figures.compute(
        figures.reviews_queryset().filter(launch_plan__product__portfolio=demo), today=TODAY
    ).values()
    by_name = {r.review.launch_plan.name: r for r in results}
    cohort = by_name["Insight Hub 3.1: cohort analysis"]
    assert {k.key: k.outcome for k in cohort.expected} == {"weekly_active_users": "held", "revenue": "missed"}
    assert by_name["Insight Hub 3.4: scheduled reports"].status == "waiting"
    assert len(by_name["Insight Hub 3.4: scheduled reports"].expected) == 2
    rows = figures.accuracy(results)
    judged = [row for row in rows if row["with_expectations"]]
    assert len(judged) >= 3
    total = figures.overall(results)
    assert 0 < total["held"] < total["with_expectations"] == 7
    assert total["optimism_pct"] > 0  # the demo's planners are optimistic


def test_the_expectations_are_written_through_the_services(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_reviews(portfolio=demo, actor=UserFactory(), today=TODAY)
    assert DomainEvent.objects.filter(verb="roadmap_item.updated").count() == 12
    assert DomainEvent.objects.filter(verb="launch_plan.launched").count() == 7
    assert DomainEvent.objects.filter(verb="launch_review.created").count() == LaunchReview.objects.count() == 8


def test_a_second_run_writes_nothing(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_reviews(portfolio=demo, actor=None, today=TODAY)
    events = DomainEvent.objects.count()
    assert seed_reviews(portfolio=demo, actor=None, today=TODAY) == {}
    assert DomainEvent.objects.count() == events
