"""The demo's notifications (products.demo_notifications.seed_notifications): written by the real handlers and
jobs; the demo user gets mentions from priya, what the demo's events tell them and a launch task reminder, the
newest unread and the rest read; a second run writes nothing."""

import datetime

import pytest
from django.utils import timezone

from products.demo_notifications import UNREAD, seed_notifications
from products.models import Notification, Role
from products.services.stages import product_transition
from tests.factories import (
    DocumentFactory,
    LaunchPlanFactory,
    LaunchTaskFactory,
    MembershipFactory,
    NotificationFactory,
    PortfolioFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    portfolio = PortfolioFactory(name="Acme Software")
    user = UserFactory(username="demo", email="demo@example.com")
    priya = UserFactory(username="priya", email="priya@example.com")
    MembershipFactory(portfolio=portfolio, user=user, role=Role.ADMIN)
    MembershipFactory(portfolio=portfolio, user=priya, role=Role.PRODUCT_MANAGER)
    product = ProductFactory(portfolio=portfolio, name="Pulse Alerts", stage="launch")
    DocumentFactory(product=product, title="Pulse Alerts PRD")
    plan = LaunchPlanFactory(product=product, name="Pulse Alerts 2.0")
    LaunchTaskFactory(launch_plan=plan, title="Sales deck updated", owner=user, due_date=timezone.localdate())
    # A move a rule made, recorded while nobody was told (its handlers did not run).
    with django_capture_on_commit_callbacks(execute=False):
        product_transition(product_id=product.id, to_stage="growth", reason="Adoption holds", gated=False)
    for hours in range(8):  # older news the demo user has had for a while
        NotificationFactory(
            user=user, portfolio=portfolio, created_at=timezone.now() - datetime.timedelta(days=3, hours=hours)
        )
    return portfolio, user


def test_the_demo_user_gets_several_kinds_through_the_real_handlers(demo, django_capture_on_commit_callbacks):
    portfolio, user = demo
    with django_capture_on_commit_callbacks(execute=True):
        counts = seed_notifications(portfolio=portfolio, actor=user, today=timezone.localdate())
    assert counts["mentions"] == 2 and counts["reminders"] >= 1 and counts["from_events"] >= 1
    kinds = set(Notification.objects.filter(user=user).values_list("kind", flat=True))
    assert {Kind.MENTION, Kind.TASK_DUE, Kind.STAGE_CHANGED} <= kinds
    mentions = Notification.objects.filter(user=user, kind=Kind.MENTION)
    assert {n.title for n in mentions} == {
        "priya mentioned you on “Pulse Alerts PRD”",
        "priya mentioned you in the status book (Pulse Alerts)",
    }


def test_the_newest_are_unread_and_the_rest_read(demo, django_capture_on_commit_callbacks):
    portfolio, user = demo
    with django_capture_on_commit_callbacks(execute=True):
        counts = seed_notifications(portfolio=portfolio, actor=user, today=timezone.localdate())
    rows = list(Notification.objects.filter(user=user).order_by("-created_at", "-id"))
    assert [row.read_at is None for row in rows] == [True] * UNREAD + [False] * (len(rows) - UNREAD)
    assert counts["read"] == len(rows) - UNREAD
    assert all(row.read_at > row.created_at for row in rows[UNREAD:])


def test_a_second_run_writes_nothing(demo, django_capture_on_commit_callbacks):
    portfolio, user = demo
    with django_capture_on_commit_callbacks(execute=True):
        seed_notifications(portfolio=portfolio, actor=user, today=timezone.localdate())
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_notifications(portfolio=portfolio, actor=user, today=timezone.localdate()) == {}
    assert Notification.objects.count() == before
