"""products.services.notifications: settings and their defaults, notify, read state, e-mail, the digest."""

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from pmflow.errors import InvalidInput, NotFound
from products.models import Notification, NotificationSetting, Role
from products.services import notifications as services
from tests.factories import (
    MembershipFactory,
    NotificationFactory,
    NotificationSettingFactory,
    PortfolioFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


def _user(portfolio, role=Role.PRODUCT_MANAGER, email="pm@example.com"):
    user = member(portfolio, role)
    user.email = email
    user.save(update_fields=["email"])
    return user


def _notify(portfolio, kind=Kind.STAGE_CHANGED, **kwargs):
    return services.notify(
        portfolio_id=portfolio.id, kind=kind, title=kwargs.pop("title", "Widget moved to Growth"), url="/x/", **kwargs
    )


# --- defaults and settings ------------------------------------------------------------------------------


def test_every_kind_has_defaults_and_shows_in_the_app():
    assert set(services.DEFAULTS) == set(Kind.values)
    assert all(channels.in_app for channels in services.DEFAULTS.values())


def test_defaults_email_what_needs_acting_on_and_digest_the_rest():
    emailed = {kind for kind, channels in services.DEFAULTS.items() if channels.email}
    assert emailed == {Kind.SUGGESTION, Kind.TASK_OVERDUE, Kind.MENTION, Kind.WEBHOOK_DISABLED}
    assert all(channels.digest != channels.email for channels in services.DEFAULTS.values())


def test_the_grid_has_every_portfolio_and_kind_with_defaults_where_no_row(portfolio):
    user = _user(portfolio)
    other = PortfolioFactory(name="Beta")
    MembershipFactory(user=user, portfolio=other, role=Role.VIEWER)
    NotificationSettingFactory(user=user, portfolio=portfolio, kind=Kind.MENTION, in_app=True, email=False, digest=True)
    grid = services.settings_grid(user)
    assert len(grid) == 2 * len(Kind.values)
    assert [row["portfolio_name"] for row in grid[:: len(Kind.values)]] == ["Acme", "Beta"]
    mention = next(row for row in grid if row["portfolio"] == portfolio.id and row["kind"] == Kind.MENTION)
    assert (mention["email"], mention["digest"], mention["is_default"]) == (False, True, False)
    suggestion = next(row for row in grid if row["portfolio"] == other.id and row["kind"] == Kind.SUGGESTION)
    assert (suggestion["email"], suggestion["is_default"]) == (True, True)


def test_setting_one_channel_keeps_the_others_in_force(portfolio):
    user = _user(portfolio)
    row = services.notification_setting_set(user=user, portfolio_id=portfolio.id, kind=Kind.SUGGESTION, in_app=False)
    assert (row["in_app"], row["email"], row["digest"], row["is_default"]) == (False, True, False, False)
    stored = NotificationSetting.objects.get(user=user, portfolio=portfolio, kind=Kind.SUGGESTION)
    assert (stored.in_app, stored.email, stored.digest) == (False, True, False)


def test_setting_a_portfolio_not_yours_is_not_found_and_writes_nothing(portfolio):
    user = _user(PortfolioFactory())
    with pytest.raises(NotFound):
        services.notification_setting_set(user=user, portfolio_id=portfolio.id, kind=Kind.MENTION, email=False)
    assert not NotificationSetting.objects.exists()


@pytest.mark.parametrize(
    "kind, flags, field",
    [
        ("nonsense", {"email": True}, "kind"),
        (Kind.MENTION, {"email": "yes"}, "email"),
        (Kind.MENTION, {"sms": True}, "sms"),
    ],
)
def test_a_bad_setting_names_its_field_and_writes_nothing(portfolio, kind, flags, field):
    user = _user(portfolio)
    with pytest.raises(InvalidInput) as refused:
        services.notification_setting_set(user=user, portfolio_id=portfolio.id, kind=kind, **flags)
    assert field in refused.value.fields
    assert not NotificationSetting.objects.exists()


def test_saving_the_grid_writes_only_the_cells_that_differ(portfolio):
    user = _user(portfolio)
    grid = {
        (portfolio.id, kind): {"in_app": True, "email": c.email, "digest": c.digest}
        for kind, c in services.DEFAULTS.items()
    }
    grid[(portfolio.id, Kind.STAGE_CHANGED)] = {"in_app": False, "email": False, "digest": False}
    assert services.notification_settings_save(user=user, grid=grid) == 1
    assert list(NotificationSetting.objects.values_list("kind", "in_app", "email", "digest")) == [
        (Kind.STAGE_CHANGED, False, False, False)
    ]
    assert services.notification_settings_save(user=user, grid=grid) == 0


# --- notify -------------------------------------------------------------------------------------------------


def test_notify_tells_every_member_but_the_one_left_out(portfolio):
    users = [_user(portfolio, role) for role in Role.values]
    assert _notify(portfolio, exclude_user_id=users[0].id) == 3
    assert set(Notification.objects.values_list("user_id", flat=True)) == {u.id for u in users[1:]}


def test_notify_by_role_tells_only_those_roles(portfolio):
    admin, pm, marketer = (_user(portfolio, r) for r in (Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER))
    _notify(portfolio, kind=Kind.SUGGESTION, roles=[Role.ADMIN, Role.PRODUCT_MANAGER])
    assert set(Notification.objects.values_list("user_id", flat=True)) == {admin.id, pm.id}


def test_notify_never_reaches_someone_outside_the_portfolio(portfolio):
    stranger = _user(PortfolioFactory())
    assert _notify(portfolio, users=[stranger.id]) == 0
    assert not Notification.objects.exists()


def test_the_same_news_twice_is_written_once(portfolio):
    _user(portfolio)
    assert _notify(portfolio, dedupe_key="stage:1") == 1
    assert _notify(portfolio, dedupe_key="stage:1") == 0
    assert Notification.objects.count() == 1


def test_all_channels_off_writes_nothing(portfolio):
    user = _user(portfolio)
    NotificationSettingFactory(
        user=user, portfolio=portfolio, kind=Kind.STAGE_CHANGED, in_app=False, email=False, digest=False
    )
    assert _notify(portfolio) == 0
    assert not Notification.objects.exists()


def test_in_app_off_and_email_on_sends_an_email_and_keeps_it_off_the_bell(
    portfolio, django_capture_on_commit_callbacks
):
    user = _user(portfolio)
    NotificationSettingFactory(
        user=user, portfolio=portfolio, kind=Kind.STAGE_CHANGED, in_app=False, email=True, digest=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        _notify(portfolio, title="Widget moved to Growth", body="Revenue held.")
    row = Notification.objects.get()
    assert row.in_app is False and row.emailed_at is not None
    assert services.unread_count(user) == 0 and not services.notifications_for_user(user).exists()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pm@example.com"] and "Widget moved to Growth" in message.subject
    assert "Revenue held." in message.body and "http://localhost:8000/x/" in message.body


def test_email_off_by_default_sends_nothing(portfolio, django_capture_on_commit_callbacks):
    _user(portfolio)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(portfolio, kind=Kind.STAGE_CHANGED)
    assert mail.outbox == [] and Notification.objects.get().emailed_at is None


def test_a_person_without_an_address_gets_no_email(portfolio, django_capture_on_commit_callbacks):
    _user(portfolio, email="")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(portfolio, kind=Kind.MENTION)
    assert mail.outbox == [] and Notification.objects.get().emailed_at is None


def test_the_email_goes_only_after_commit(portfolio, django_capture_on_commit_callbacks):
    _user(portfolio)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _notify(portfolio, kind=Kind.MENTION)
    assert mail.outbox == [] and len(callbacks) == 1


def test_sending_twice_sends_one_email(portfolio):
    _user(portfolio)
    _notify(portfolio, kind=Kind.MENTION)
    ids = list(Notification.objects.values_list("id", flat=True))
    assert services.notifications_email_send(notification_ids=ids) == 1
    assert services.notifications_email_send(notification_ids=ids) == 0
    assert len(mail.outbox) == 1


def test_a_mail_server_failure_leaves_it_for_the_sweep(portfolio):
    _user(portfolio)
    _notify(portfolio, kind=Kind.MENTION)
    row = Notification.objects.get()
    with mock.patch("products.services.notifications.send_mail", side_effect=OSError("connection refused")):
        assert services.notifications_email_send(notification_ids=[row.id]) == 0
    assert Notification.objects.get().emailed_at is None
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    assert services.notifications_email_sweep() == 1
    assert len(mail.outbox) == 1 and Notification.objects.get().emailed_at is not None


def test_the_sweep_leaves_news_older_than_a_day(portfolio):
    _user(portfolio)
    _notify(portfolio, kind=Kind.MENTION)
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    assert services.notifications_email_sweep() == 0 and mail.outbox == []


# --- reading ------------------------------------------------------------------------------------------------


def test_marking_read_is_kept_and_another_persons_is_not_found(portfolio):
    user, other = _user(portfolio), _user(portfolio)
    mine, theirs = (
        NotificationFactory(user=user, portfolio=portfolio),
        NotificationFactory(user=other, portfolio=portfolio),
    )
    first = services.notification_mark_read(user=user, notification_id=mine.id).read_at
    assert first is not None
    assert services.notification_mark_read(user=user, notification_id=mine.id).read_at == first
    with pytest.raises(NotFound):
        services.notification_mark_read(user=user, notification_id=theirs.id)
    assert Notification.objects.get(pk=theirs.id).read_at is None


def test_mark_all_read_narrows_to_a_portfolio(portfolio):
    user = _user(portfolio)
    other = PortfolioFactory()
    MembershipFactory(user=user, portfolio=other, role=Role.VIEWER)
    NotificationFactory.create_batch(2, user=user, portfolio=portfolio)
    kept = NotificationFactory(user=user, portfolio=other)
    assert services.notifications_mark_all_read(user=user, portfolio_id=portfolio.id) == 2
    assert Notification.objects.get(pk=kept.id).read_at is None
    assert services.unread_count(user) == 1


def test_a_portfolio_left_is_no_longer_shown(portfolio):
    user = _user(portfolio)
    NotificationFactory(user=user, portfolio=portfolio)
    user.memberships.all().delete()
    user = type(user).objects.get(pk=user.pk)  # the roles are cached per user object
    assert services.unread_count(user) == 0


# --- the daily digest ---------------------------------------------------------------------------------------

MORNING = datetime.datetime(2026, 3, 4, 8, 0, tzinfo=datetime.UTC)


def _digest_rows(user, portfolio, n=2, kind=Kind.STAGE_CHANGED, **kwargs):
    return NotificationFactory.create_batch(
        n, user=user, portfolio=portfolio, kind=kind, created_at=MORNING - datetime.timedelta(hours=3), **kwargs
    )


@override_settings(NOTIFICATION_DIGEST_HOUR_UTC=7)
def test_the_digest_is_one_email_per_person_with_their_unread_rows(portfolio):
    ann, bob = _user(portfolio, email="ann@example.com"), _user(portfolio, email="bob@example.com")
    _digest_rows(ann, portfolio, 2, title="Ann's news")
    _digest_rows(bob, portfolio, 1, title="Bob's news")
    read = NotificationFactory(user=ann, portfolio=portfolio, title="Already read", read_at=MORNING, created_at=MORNING)
    emailed = _digest_rows(ann, portfolio, 1, kind=Kind.MENTION, title="A mention")  # e-mailed at once, no digest
    assert services.digest_send(now=MORNING) == 2
    by_person = {message.to[0]: message for message in mail.outbox}
    assert set(by_person) == {"ann@example.com", "bob@example.com"}
    assert (
        by_person["ann@example.com"].body.count("Ann's news") == 2
        and "Bob's news" not in by_person["ann@example.com"].body
    )
    assert (
        "Already read" not in by_person["ann@example.com"].body and "A mention" not in by_person["ann@example.com"].body
    )
    assert "2 updates" in by_person["ann@example.com"].subject
    assert Notification.objects.get(pk=read.id).digested_at == MORNING  # dealt with: not listed tomorrow either
    assert Notification.objects.get(pk=emailed[0].id).digested_at is None


@override_settings(NOTIFICATION_DIGEST_HOUR_UTC=7)
def test_a_second_run_the_same_day_sends_nothing(portfolio):
    user = _user(portfolio)
    _digest_rows(user, portfolio)
    assert services.digest_send(now=MORNING) == 1
    NotificationFactory(user=user, portfolio=portfolio, created_at=MORNING)
    assert services.digest_send(now=MORNING + datetime.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1
    assert services.digest_send(now=MORNING + datetime.timedelta(days=1)) == 1  # the next day's lists it


@override_settings(NOTIFICATION_DIGEST_HOUR_UTC=7)
def test_no_digest_before_the_hour(portfolio):
    _digest_rows(_user(portfolio), portfolio)
    assert services.digest_send(now=MORNING.replace(hour=6, minute=59)) == 0 and mail.outbox == []


@override_settings(NOTIFICATION_DIGEST_HOUR_UTC=7)
def test_nothing_unread_sends_no_digest(portfolio):
    user = _user(portfolio)
    _digest_rows(user, portfolio, read_at=MORNING)
    assert services.digest_send(now=MORNING) == 0 and mail.outbox == []


@override_settings(NOTIFICATION_DIGEST_HOUR_UTC=7)
def test_digest_off_keeps_a_kind_out(portfolio):
    user = _user(portfolio)
    NotificationSettingFactory(user=user, portfolio=portfolio, kind=Kind.STAGE_CHANGED, digest=False)
    _digest_rows(user, portfolio)
    assert services.digest_send(now=MORNING) == 0 and mail.outbox == []


@override_settings(NOTIFICATION_DIGEST_HOUR_UTC=7)
def test_digest_on_for_an_emailed_kind_lists_it_too(portfolio):
    user = _user(portfolio)
    NotificationSettingFactory(user=user, portfolio=portfolio, kind=Kind.MENTION, email=False, digest=True)
    _digest_rows(user, portfolio, 1, kind=Kind.MENTION, title="Ann mentioned you")
    assert services.digest_send(now=MORNING) == 1 and "Ann mentioned you" in mail.outbox[0].body


def test_a_user_factory_without_portfolios_has_an_empty_grid():
    assert services.settings_grid(UserFactory()) == []
