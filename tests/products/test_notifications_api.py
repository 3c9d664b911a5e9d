"""/api/v1/notifications/ and /api/v1/notification-settings/: only your own, filters, read, settings."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products.models import Notification, NotificationSetting, Role
from tests.factories import MembershipFactory, NotificationFactory, NotificationSettingFactory, PortfolioFactory, member

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
URL = "/api/v1/notifications/"
SETTINGS = "/api/v1/notification-settings/"


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def me(api_client, portfolio):
    user = member(portfolio, Role.MARKETER)
    api_client.force_authenticate(user)
    return user


def _note(user, portfolio, minutes_ago=0, **kwargs):
    return NotificationFactory(
        user=user, portfolio=portfolio, created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago), **kwargs
    )


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


# --- the list -----------------------------------------------------------------------------------------------


def test_the_list_is_mine_newest_first_with_the_contract_fields(api_client, portfolio, me):
    _note(me, portfolio, minutes_ago=10, title="Older")
    newer = _note(me, portfolio, title="Newer", url="/products/1/", kind=Kind.MENTION)
    _note(member(portfolio, Role.ADMIN), portfolio, title="Someone else's")
    _note(me, portfolio, title="E-mail only", in_app=False)
    response = api_client.get(URL)
    assert _titles(response) == ["Newer", "Older"]
    row = response.json()["results"][0]
    assert {"id", "kind", "title", "url", "read_at", "created_at"} <= set(row)
    assert (row["id"], row["kind"], row["url"], row["read_at"], row["portfolio"]) == (
        newer.id,
        "mention",
        "/products/1/",
        None,
        portfolio.id,
    )


@pytest.mark.parametrize(
    "query, titles",
    [
        ("?unread=true", ["Unread mention", "Unread move"]),
        ("?unread=false", ["Read move", "Beta news"]),
        ("?kind=mention", ["Unread mention"]),
        ("?portfolio={other}", ["Beta news"]),
        ("?ordering=created_at&kind=stage_changed", ["Read move", "Unread move"]),
    ],
)
def test_the_list_filters(api_client, portfolio, me, query, titles):
    other = PortfolioFactory(name="Beta")
    MembershipFactory(user=me, portfolio=other, role=Role.VIEWER)
    _note(me, portfolio, minutes_ago=3, title="Read move", read_at=timezone.now())
    _note(me, portfolio, minutes_ago=2, title="Unread move")
    _note(me, portfolio, minutes_ago=1, title="Unread mention", kind=Kind.MENTION)
    _note(me, other, minutes_ago=30, title="Beta news", kind=Kind.SIGNAL, read_at=timezone.now())
    assert _titles(api_client.get(URL + query.format(other=other.id))) == titles


@pytest.mark.parametrize(
    "query, field", [("?kind=nope", "kind"), ("?unread=maybe", "unread"), ("?portfolio=0", "portfolio")]
)
def test_a_bad_filter_is_a_400_on_its_field(api_client, me, query, field):
    response = api_client.get(URL + query)
    assert response.status_code == 400 and field in response.json()


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401


def test_another_persons_notification_is_404(api_client, portfolio, me):
    theirs = _note(member(portfolio, Role.ADMIN), portfolio)
    assert api_client.get(f"{URL}{theirs.id}/").status_code == 404
    assert api_client.post(f"{URL}{theirs.id}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs.id).read_at is None


def test_one_notification_carries_an_etag(api_client, portfolio, me):
    mine = _note(me, portfolio)
    response = api_client.get(f"{URL}{mine.id}/")
    assert response.status_code == 200 and response["ETag"]
    assert api_client.get(f"{URL}{mine.id}/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


# --- read -------------------------------------------------------------------------------------------------


def test_read_marks_it_and_answers_it(api_client, portfolio, me):
    mine = _note(me, portfolio)
    response = api_client.post(f"{URL}{mine.id}/read/")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    again = api_client.post(f"{URL}{mine.id}/read/")
    assert again.json()["read_at"] == response.json()["read_at"]


def test_read_all_marks_mine_of_the_portfolio(api_client, portfolio, me):
    other = PortfolioFactory()
    MembershipFactory(user=me, portfolio=other, role=Role.VIEWER)
    _note(me, portfolio), _note(me, portfolio)
    kept = _note(me, other)
    theirs = _note(member(portfolio, Role.ADMIN), portfolio)
    response = api_client.post(f"{URL}read-all/?portfolio={portfolio.id}")
    assert response.status_code == 200 and response.json() == {"marked": 2}
    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("id", flat=True))
    assert unread == {kept.id, theirs.id}
    assert api_client.post(f"{URL}read-all/").json() == {"marked": 1}


def test_read_all_refuses_a_bad_kind(api_client, portfolio, me):
    _note(me, portfolio)
    response = api_client.post(f"{URL}read-all/?kind=nope")
    assert response.status_code == 400 and "kind" in response.json()
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_list_queries_do_not_grow_with_the_data(api_client):
    counts = []
    for n in (5, 50):
        portfolios = [PortfolioFactory() for _ in range(max(1, n // 5))]
        user = member(portfolios[0], Role.VIEWER)
        for portfolio in portfolios[1:]:
            MembershipFactory(user=user, portfolio=portfolio, role=Role.ADMIN)
        for i in range(n):
            _note(user, portfolios[i % len(portfolios)])
        api_client.force_authenticate(user)
        for url in (URL, SETTINGS):
            with CaptureQueriesContext(connection) as captured:
                assert api_client.get(url).status_code == 200
            counts.append(len(captured))
    assert counts[:2] == counts[2:], counts


# --- settings -----------------------------------------------------------------------------------------------


def test_settings_list_every_portfolio_and_kind_with_defaults(api_client, portfolio, me):
    other = PortfolioFactory(name="Beta")
    MembershipFactory(user=me, portfolio=other, role=Role.VIEWER)
    NotificationSettingFactory(user=me, portfolio=other, kind=Kind.SUGGESTION, in_app=False, email=False, digest=True)
    rows = api_client.get(SETTINGS).json()
    assert len(rows) == 2 * len(Kind.values)
    by_cell = {(row["portfolio"], row["kind"]): row for row in rows}
    assert by_cell[(portfolio.id, "suggestion")] == {
        "portfolio": portfolio.id,
        "kind": "suggestion",
        "in_app": True,
        "email": True,
        "digest": False,
        "is_default": True,
    }
    assert (
        by_cell[(other.id, "suggestion")]["in_app"] is False
        and by_cell[(other.id, "suggestion")]["is_default"] is False
    )


def test_settings_filter_by_portfolio_and_kind(api_client, portfolio, me):
    rows = api_client.get(f"{SETTINGS}?portfolio={portfolio.id}&kind=mention").json()
    assert [(row["portfolio"], row["kind"]) for row in rows] == [(portfolio.id, "mention")]


def test_post_sets_the_channels_given_and_keeps_the_others(api_client, portfolio, me):
    response = api_client.post(SETTINGS, {"portfolio": portfolio.id, "kind": "mention", "email": False}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "portfolio": portfolio.id,
        "kind": "mention",
        "in_app": True,
        "email": False,
        "digest": False,
        "is_default": False,
    }
    api_client.post(SETTINGS, {"portfolio": portfolio.id, "kind": "mention", "digest": True}, format="json")
    row = NotificationSetting.objects.get(user=me)
    assert (row.in_app, row.email, row.digest) == (True, False, True)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "mention", "email": False}, "portfolio"),
        ({"portfolio": "{portfolio}", "kind": "sms"}, "kind"),
        ({"portfolio": "{portfolio}", "kind": "mention", "email": "yes"}, "email"),
        ({"portfolio": "{portfolio}", "kind": "mention", "in_app": 1}, "in_app"),
        ({"portfolio": "{portfolio}", "kind": "mention\x00"}, "kind"),
    ],
)
def test_bad_settings_are_a_400_on_the_field_and_write_nothing(api_client, portfolio, me, body, field):
    body = {k: (portfolio.id if v == "{portfolio}" else v) for k, v in body.items()}
    response = api_client.post(SETTINGS, body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not NotificationSetting.objects.exists()


def test_settings_of_a_portfolio_not_mine_are_404(api_client, me):
    response = api_client.post(
        SETTINGS, {"portfolio": PortfolioFactory().id, "kind": "mention", "email": False}, format="json"
    )
    assert response.status_code == 404 and not NotificationSetting.objects.exists()
