"""Notification pages: the bell, the list, mark read, open, the settings grid; fixed queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products.models import Notification, NotificationSetting, Role
from tests.factories import (
    MembershipFactory,
    NotificationFactory,
    NotificationSettingFactory,
    PortfolioFactory,
    ProductFactory,
    member,
)

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def me(client, portfolio):
    user = member(portfolio, Role.PRODUCT_MANAGER)
    client.force_login(user)
    return user


def _note(user, portfolio, minutes_ago=0, **kwargs):
    return NotificationFactory(
        user=user, portfolio=portfolio, created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago), **kwargs
    )


def _text(response) -> str:
    return response.content.decode()


# --- the bell -----------------------------------------------------------------------------------------------


def test_the_bell_says_how_many_are_unread(client, portfolio, me):
    for _ in range(3):
        _note(me, portfolio)
    _note(me, portfolio, read_at=timezone.now())
    _note(member(portfolio, Role.ADMIN), portfolio)  # someone else's
    page = _text(client.get(f"/portfolios/{portfolio.id}/"))
    assert (
        'aria-label="Notifications, 3 unread"' in page
        and '<span class="bell-count" aria-hidden="true">3</span>' in page
    )


def test_the_bell_has_no_badge_when_all_is_read(client, portfolio, me):
    page = _text(client.get(f"/portfolios/{portfolio.id}/"))
    assert 'aria-label="Notifications, 0 unread"' in page and "bell-count" not in page


def test_the_bell_caps_its_badge(client, portfolio, me):
    Notification.objects.bulk_create(
        [Notification(user=me, portfolio=portfolio, kind="stage_changed", title="t", created_at=timezone.now())] * 120
    )
    page = _text(client.get("/notifications/"))
    assert "Notifications, 120 unread" in page and ">99+</span>" in page


def test_the_bell_costs_no_query_of_its_own_on_the_dashboard(client, portfolio, me):
    ProductFactory(portfolio=portfolio)
    client.get(f"/portfolios/{portfolio.id}/")  # the first visit stores the portfolio in the session
    counts = []
    for n in (2, 20):
        for _ in range(n):
            _note(me, portfolio)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/portfolios/{portfolio.id}/").status_code == 200
        # The count rides on the portfolio switcher's query: one query reads notifications, the switcher's.
        bell = [q["sql"] for q in captured if "products_notification" in q["sql"]]
        assert len(bell) == 1 and "COUNT(" in bell[0] and "products_portfolio" in bell[0]
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_bell_counts_for_itself_where_there_is_no_switcher(rf, portfolio, me):
    from products.context_processors import notification_bell

    _note(me, portfolio)
    request = rf.get("/notifications/")
    request.user = me
    assert notification_bell(request)["notification_bell"].count == 1


def test_anonymous_pages_have_no_bell(client):
    assert "notification-bell" not in _text(client.get("/login/"))


# --- the list -----------------------------------------------------------------------------------------------


def test_the_list_shows_mine_newest_first_with_unread_marked(client, portfolio, me):
    _note(me, portfolio, minutes_ago=30, title="Older news", read_at=timezone.now())
    _note(me, portfolio, minutes_ago=5, title="Newer news", body="Revenue held for 4 weeks.")
    _note(member(portfolio, Role.ADMIN), portfolio, title="Not mine")
    _note(me, portfolio, title="Not shown in the app", in_app=False)
    page = _text(client.get("/notifications/"))
    assert page.index("Newer news") < page.index("Older news")
    assert "Not mine" not in page and "Not shown in the app" not in page
    assert "Revenue held for 4 weeks." in page
    assert page.count('class="notification unread"') == 1 and page.count("Mark read</button>") == 1


@pytest.mark.parametrize(
    "query, shown",
    [
        ("?show=unread", {"Unread stage change", "Unread mention"}),
        ("?kind=mention", {"Unread mention"}),
        ("?portfolio={other}", {"Beta news"}),
        ("?show=unread&kind=stage_changed&portfolio={portfolio}", {"Unread stage change"}),
    ],
)
def test_the_list_filters(client, portfolio, me, query, shown):
    other = PortfolioFactory(name="Beta")
    MembershipFactory(user=me, portfolio=other, role=Role.VIEWER)
    _note(me, portfolio, title="Unread stage change")
    _note(me, portfolio, title="Unread mention", kind=Kind.MENTION)
    _note(me, portfolio, title="Read stage change", read_at=timezone.now())
    _note(me, other, title="Beta news", read_at=timezone.now())
    page = _text(client.get("/notifications/" + query.format(portfolio=portfolio.id, other=other.id)))
    titles = {"Unread stage change", "Unread mention", "Read stage change", "Beta news"}
    assert {title for title in titles if title in page} == shown


def test_a_bad_filter_is_a_400_with_its_message_and_no_filter(client, portfolio, me):
    _note(me, portfolio, title="Some news")
    response = client.get("/notifications/?kind=nonsense")
    assert response.status_code == 400
    assert "Select a valid choice" in _text(response) and "Some news" in _text(response)


def test_another_portfolios_id_shows_nothing(client, portfolio, me):
    _note(me, portfolio, title="Some news")
    response = client.get(f"/notifications/?portfolio={PortfolioFactory().id}")
    assert response.status_code == 200 and "Some news" not in _text(response)


def test_an_empty_list_says_what_will_come(client, portfolio, me):
    page = _text(client.get("/notifications/"))
    assert "Nothing yet." in page and f"@{me.username}" in page


def test_the_list_pages_fifty_at_a_time(client, portfolio, me):
    for minute in range(55):
        _note(me, portfolio, minutes_ago=minute, title=f"News {minute:02d}")
    first, second = _text(client.get("/notifications/")), _text(client.get("/notifications/?page=2"))
    assert "News 00" in first and "News 49" in first and "News 50" not in first
    assert "News 50" in second and "Page 2 of 2" in second


# --- mark read, open --------------------------------------------------------------------------------------


def test_mark_read_returns_to_where_it_was(client, portfolio, me):
    note = _note(me, portfolio)
    response = client.post(f"/notifications/{note.id}/read/", {"next": "/notifications/?show=unread"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?show=unread"
    assert Notification.objects.get(pk=note.id).read_at is not None


def test_mark_read_never_goes_to_another_site(client, portfolio, me):
    note = _note(me, portfolio)
    response = client.post(f"/notifications/{note.id}/read/", {"next": "https://evil.example.com/"})
    assert response["Location"] == "/notifications/"


def test_mark_read_with_htmx_answers_the_row_and_the_bell(client, portfolio, me):
    note, _ = _note(me, portfolio), _note(me, portfolio)
    response = client.post(f"/notifications/{note.id}/read/", HTTP_HX_REQUEST="true")
    page = _text(response)
    assert response.status_code == 200 and f'id="notification-{note.id}"' in page
    assert 'class="notification"' in page and 'hx-swap-oob="true"' in page and "Notifications, 1 unread" in page


def test_someone_elses_notification_is_not_found_and_unchanged(client, portfolio, me):
    theirs = _note(member(portfolio, Role.ADMIN), portfolio)
    assert client.post(f"/notifications/{theirs.id}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.id}/open/").status_code == 404
    assert Notification.objects.get(pk=theirs.id).read_at is None


def test_mark_read_is_post_only(client, portfolio, me):
    note = _note(me, portfolio)
    assert client.get(f"/notifications/{note.id}/read/").status_code == 405
    assert Notification.objects.get(pk=note.id).read_at is None


def test_opening_marks_read_and_goes_to_the_thing(client, portfolio, me):
    product = ProductFactory(portfolio=portfolio)
    note = _note(me, portfolio, url=f"/products/{product.id}/")
    response = client.get(f"/notifications/{note.id}/open/")
    assert response.status_code == 302 and response["Location"] == f"/products/{product.id}/"
    assert Notification.objects.get(pk=note.id).read_at is not None


def test_opening_one_with_a_foreign_address_stays_here(client, portfolio, me):
    note = _note(me, portfolio, url="https://evil.example.com/")
    assert client.get(f"/notifications/{note.id}/open/")["Location"] == "/notifications/"


def test_mark_all_read_narrows_to_the_shown_portfolio(client, portfolio, me):
    other = PortfolioFactory()
    MembershipFactory(user=me, portfolio=other, role=Role.VIEWER)
    _note(me, portfolio), _note(me, portfolio)
    kept = _note(me, other)
    response = client.post("/notifications/read-all/", {"portfolio": portfolio.id}, follow=True)
    assert "Marked 2 notifications read." in _text(response)
    assert list(Notification.objects.filter(read_at__isnull=True).values_list("id", flat=True)) == [kept.id]


def test_mark_all_read_leaves_other_peoples_alone(client, portfolio, me):
    theirs = _note(member(portfolio, Role.ADMIN), portfolio)
    _note(me, portfolio)
    client.post("/notifications/read-all/")
    assert Notification.objects.get(pk=theirs.id).read_at is None


# --- settings -----------------------------------------------------------------------------------------------


def test_the_settings_grid_shows_each_portfolio_and_kind_as_in_force(client, portfolio, me):
    other = PortfolioFactory(name="Beta")
    MembershipFactory(user=me, portfolio=other, role=Role.VIEWER)
    NotificationSettingFactory(user=me, portfolio=portfolio, kind=Kind.MENTION, in_app=True, email=False, digest=True)
    page = _text(client.get("/notifications/settings/"))
    assert "Acme" in page and "Beta" in page and page.count("Launch tasks overdue</th>") == 3  # + the defaults table
    assert f'name="c-{portfolio.id}-mention-email" value="on">' in page  # unchecked: the row says no
    assert f'name="c-{other.id}-mention-email" value="on" checked>' in page  # the default
    assert page.count("Use the defaults</button>") == 1


def test_saving_the_grid_stores_what_was_ticked(client, portfolio, me):
    ticked = {f"c-{portfolio.id}-{kind}-in_app": "on" for kind in Kind.values}
    ticked[f"c-{portfolio.id}-stage_changed-email"] = "on"
    response = client.post("/notifications/settings/", ticked, follow=True)
    assert "Saved:" in _text(response)
    rows = {r.kind: (r.in_app, r.email, r.digest) for r in NotificationSetting.objects.filter(user=me)}
    assert rows[Kind.STAGE_CHANGED] == (True, True, False)
    assert rows[Kind.SUGGESTION] == (True, False, False)  # its default e-mail was unticked
    assert Kind.TASK_DUE in rows and rows[Kind.TASK_DUE] == (True, False, False)


def test_use_the_defaults_removes_my_choices_for_that_portfolio(client, portfolio, me):
    NotificationSettingFactory(user=me, portfolio=portfolio, kind=Kind.MENTION, email=False)
    client.post("/notifications/settings/", {"reset": portfolio.id})
    assert not NotificationSetting.objects.filter(user=me).exists()


def test_settings_of_a_portfolio_not_mine_are_ignored(client, portfolio, me):
    other = PortfolioFactory()
    client.post("/notifications/settings/", {f"c-{other.id}-mention-email": "on", "reset": ""})
    client.post("/notifications/settings/", {"reset": other.id})
    assert not NotificationSetting.objects.filter(portfolio=other).exists()


def test_without_an_email_address_the_settings_say_so(client, portfolio, me):
    me.email = ""
    me.save(update_fields=["email"])
    assert "no e-mail address" in _text(client.get("/notifications/settings/"))


# --- fixed queries ------------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/notifications/", "/notifications/?show=unread&kind=stage_changed", "/notifications/settings/"]
)
def test_page_queries_do_not_grow_with_the_data(client, url):
    counts = []
    for n in (3, 30):
        portfolios = [PortfolioFactory() for _ in range(n // 3)]
        user = member(portfolios[0], Role.VIEWER)
        for portfolio in portfolios[1:]:
            MembershipFactory(user=user, portfolio=portfolio, role=Role.MARKETER)
        for i in range(n):
            _note(user, portfolios[i % len(portfolios)], read_at=timezone.now() if i % 2 else None)
            NotificationSettingFactory(user=user, portfolio=portfolios[i % len(portfolios)], kind=Kind.values[i % 8])
        client.force_login(user)
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts
