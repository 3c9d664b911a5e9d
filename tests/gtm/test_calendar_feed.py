"""The personal calendar feed: making, resetting and revoking its address, and the public .ics it serves."""

import datetime
import hashlib
import re

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from gtm.models import CalendarFeed
from gtm.selectors import today_in
from gtm.services import feeds
from pmflow.errors import NotFound
from products.models import DomainEvent, Membership
from tests.factories import LaunchPlanFactory, PortfolioFactory, ProductFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Zephyr Holdings")


@pytest.fixture
def viewer(portfolio):
    return member(portfolio, "viewer")


def feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


# --- the service ---------------------------------------------------------------------------------------


def test_only_the_tokens_hash_is_stored(portfolio, viewer):
    feed, token = feeds.calendar_feed_issue(user=viewer, portfolio_id=portfolio.id)
    stored = CalendarFeed.objects.get(pk=feed.pk)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(CalendarFeed.objects.values().get(pk=feed.pk))
    assert len(token) >= 43


def test_the_event_of_a_new_feed_holds_neither_token_nor_hash(portfolio, viewer):
    feed, token = feeds.calendar_feed_issue(user=viewer, portfolio_id=portfolio.id)
    event = DomainEvent.objects.get(verb="calendar_feed.created")
    assert event.actor == viewer and event.object_id == feed.id
    assert token not in str(event.changes) + str(event.data) and feed.token_hash not in str(event.data)


def test_issuing_again_resets_the_token(portfolio, viewer):
    first, old = feeds.calendar_feed_issue(user=viewer, portfolio_id=portfolio.id)
    second, new = feeds.calendar_feed_issue(user=viewer, portfolio_id=portfolio.id)
    assert first.pk == second.pk and old != new
    assert CalendarFeed.objects.count() == 1
    assert feeds.calendar_feed_for_token(old) is None and feeds.calendar_feed_for_token(new).pk == first.pk
    assert DomainEvent.objects.filter(verb="calendar_feed.reset").count() == 1


def test_a_non_member_cannot_make_a_feed(portfolio):
    with pytest.raises(NotFound):
        feeds.calendar_feed_issue(user=UserFactory(), portfolio_id=portfolio.id)
    assert not CalendarFeed.objects.exists()


def test_revoking_deletes_the_feed(portfolio, viewer):
    _, token = feeds.calendar_feed_issue(user=viewer, portfolio_id=portfolio.id)
    assert feeds.calendar_feed_revoke(user=viewer, portfolio_id=portfolio.id) is True
    assert not CalendarFeed.objects.exists() and feeds.calendar_feed_for_token(token) is None
    assert feeds.calendar_feed_revoke(user=viewer, portfolio_id=portfolio.id) is False


@pytest.mark.parametrize("token", ["", "short", "x" * 200, "a/b", "é" * 43, "abc.def" * 6])
def test_a_malformed_token_opens_nothing(token):
    assert feeds.calendar_feed_for_token(token) is None


def test_last_used_is_written_at_most_once_a_minute(portfolio, viewer):
    feed, _ = feeds.calendar_feed_issue(user=viewer, portfolio_id=portfolio.id)
    start = timezone.now()
    feeds.calendar_feed_touch(feed, now=start)
    feeds.calendar_feed_touch(feed, now=start + datetime.timedelta(seconds=30))
    assert CalendarFeed.objects.get(pk=feed.pk).last_used_at == start
    later = start + datetime.timedelta(seconds=61)
    feeds.calendar_feed_touch(feed, now=later)
    assert CalendarFeed.objects.get(pk=feed.pk).last_used_at == later


# --- the public feed -----------------------------------------------------------------------------------


@pytest.fixture
def token(portfolio, viewer):
    return feeds.calendar_feed_issue(user=viewer, portfolio_id=portfolio.id)[1]


def test_the_feed_works_without_signing_in(portfolio, token):
    plan = LaunchPlanFactory(product=ProductFactory(portfolio=portfolio), launch_date=today_in(portfolio), name="Nova")
    response = Client().get(feed_path(token))
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    parsed = icalendar.Calendar.from_ical(response.content)
    assert [str(e["uid"]) for e in parsed.walk("VEVENT")] == [f"launch_plan-{plan.id}@pmflow"]
    assert icalendar.vText.from_ical(str(parsed["X-WR-CALNAME"])) == "Zephyr Holdings · launch calendar"


def test_the_feed_covers_three_months_back_and_twelve_ahead(portfolio, token):
    product = ProductFactory(portfolio=portfolio)
    today = today_in(portfolio)
    inside = [
        LaunchPlanFactory(product=product, launch_date=(today.replace(day=1) - datetime.timedelta(days=80))),
        LaunchPlanFactory(product=product, launch_date=today + datetime.timedelta(days=360)),
    ]
    LaunchPlanFactory(product=product, launch_date=today - datetime.timedelta(days=130))
    LaunchPlanFactory(product=product, launch_date=today + datetime.timedelta(days=420))
    events = icalendar.Calendar.from_ical(Client().get(feed_path(token)).content).walk("VEVENT")
    assert sorted(str(e["uid"]) for e in events) == sorted(f"launch_plan-{p.id}@pmflow" for p in inside)


def test_the_feed_has_only_its_portfolios_entries(portfolio, token):
    theirs = LaunchPlanFactory(product=ProductFactory(), launch_date=today_in(portfolio), name="Their launch")
    response = Client().get(feed_path(token))
    assert b"Their launch" not in response.content and f"-{theirs.id}@".encode() not in response.content


def test_an_unknown_token_is_a_404(token):
    assert Client().get(feed_path("A" * 43)).status_code == 404


def test_a_reset_makes_the_old_address_a_404(portfolio, viewer, token):
    _, new = feeds.calendar_feed_issue(user=viewer, portfolio_id=portfolio.id)
    assert Client().get(feed_path(token)).status_code == 404
    assert Client().get(feed_path(new)).status_code == 200


def test_a_revoked_address_is_a_404(portfolio, viewer, token):
    feeds.calendar_feed_revoke(user=viewer, portfolio_id=portfolio.id)
    assert Client().get(feed_path(token)).status_code == 404


def test_the_address_of_someone_no_longer_a_member_is_a_404(portfolio, viewer, token):
    Membership.objects.filter(user=viewer, portfolio=portfolio).delete()
    assert Client().get(feed_path(token)).status_code == 404


def test_the_old_address_of_someone_removed_and_added_again_stays_a_404(portfolio, viewer, token):
    Membership.objects.filter(user=viewer, portfolio=portfolio).delete()
    member_again = Membership.objects.create(user=viewer, portfolio=portfolio, role="viewer")
    assert member_again.created_at > CalendarFeed.objects.get(user=viewer).created_at
    assert Client().get(feed_path(token)).status_code == 404
    _, new = feeds.calendar_feed_issue(user=viewer, portfolio_id=portfolio.id)
    assert Client().get(feed_path(new)).status_code == 200


def test_the_address_of_a_deactivated_user_is_a_404(viewer, token):
    viewer.is_active = False
    viewer.save()
    assert Client().get(feed_path(token)).status_code == 404


def test_the_feed_is_private_and_has_an_etag(token):
    response = Client().get(feed_path(token))
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert response["ETag"].startswith('"')
    assert Client().get(feed_path(token), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_reading_the_feed_notes_when(portfolio, viewer, token):
    assert CalendarFeed.objects.get(user=viewer).last_used_at is None
    Client().get(feed_path(token))
    assert CalendarFeed.objects.get(user=viewer).last_used_at is not None


def test_the_feed_answers_only_get_and_head(token):
    assert Client().post(feed_path(token)).status_code == 405
    assert Client().head(feed_path(token)).status_code == 200


def test_the_feed_costs_the_same_queries_for_ten_times_the_entries(portfolio, token, django_assert_max_num_queries):
    product = ProductFactory(portfolio=portfolio)
    LaunchPlanFactory(product=product, launch_date=today_in(portfolio))
    with django_assert_max_num_queries(10) as one:
        Client().get(feed_path(token))
    for _ in range(9):
        LaunchPlanFactory(product=product, launch_date=today_in(portfolio))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = Client().get(feed_path(token))
    assert len(icalendar.Calendar.from_ical(response.content).walk("VEVENT")) == 10


# --- the page's buttons ----------------------------------------------------------------------------------


def manage_url(portfolio) -> str:
    return f"/portfolios/{portfolio.id}/calendar/feed/"


def shown_address(response) -> str:
    return re.search(r'<textarea id="feed-address"[^>]*>([^<]+)</textarea>', response.content.decode()).group(1)


def test_making_an_address_shows_it_once_and_no_cache_keeps_it(client, portfolio, viewer):
    client.force_login(viewer)
    response = client.post(manage_url(portfolio), {"action": "make"})
    assert response.status_code == 200
    address = shown_address(response)
    assert address.startswith("http://testserver/calendar/") and address.endswith(".ics")
    assert "no-store" in response["Cache-Control"]
    token = address.rsplit("/", 1)[1].removesuffix(".ics")
    assert CalendarFeed.objects.get(user=viewer).token_hash == hashlib.sha256(token.encode()).hexdigest()
    page = client.get(f"/portfolios/{portfolio.id}/calendar/").content.decode()
    assert token not in page and "Reset address" in page
    assert Client().get(address.removeprefix("http://testserver")).status_code == 200


def test_resetting_from_the_page_replaces_the_address(client, portfolio, viewer, token):
    client.force_login(viewer)
    response = client.post(manage_url(portfolio), {"action": "reset"})
    new = shown_address(response)
    assert "Your new calendar feed address" in response.content.decode()
    assert Client().get(feed_path(token)).status_code == 404
    assert Client().get(new.removeprefix("http://testserver")).status_code == 200


def test_revoking_from_the_page_stops_the_address(client, portfolio, viewer, token):
    client.force_login(viewer)
    response = client.post(manage_url(portfolio), {"action": "revoke"})
    assert response.status_code == 302 and response["Location"].endswith("/calendar/#subscribe")
    assert not CalendarFeed.objects.exists()
    assert Client().get(feed_path(token)).status_code == 404


def test_an_unknown_action_changes_nothing(client, portfolio, viewer, token):
    client.force_login(viewer)
    assert client.post(manage_url(portfolio), {"action": "explode"}).status_code == 302
    assert Client().get(feed_path(token)).status_code == 200


def test_someone_elses_portfolio_feed_cannot_be_made(client, portfolio):
    client.force_login(member(PortfolioFactory(), "admin"))
    assert client.post(manage_url(portfolio), {"action": "make"}).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_a_get_of_the_manage_address_leads_to_the_subscribe_box(client, portfolio, viewer):
    client.force_login(viewer)
    response = client.get(manage_url(portfolio))
    assert response.status_code == 302 and response["Location"].endswith("#subscribe")


def test_each_member_has_their_own_address(portfolio, viewer, token):
    other = member(portfolio, "marketer")
    _, theirs = feeds.calendar_feed_issue(user=other, portfolio_id=portfolio.id)
    feeds.calendar_feed_revoke(user=other, portfolio_id=portfolio.id)
    assert Client().get(feed_path(token)).status_code == 200
    assert Client().get(feed_path(theirs)).status_code == 404
