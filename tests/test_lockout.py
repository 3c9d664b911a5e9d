"""Sign-in protection: django-axes locks out an account and a client address after repeated failures,
on the sign-in page and the API token endpoint alike; X-Forwarded-For counts only from trusted proxies.

Defaults: 5 failures, 15 minutes (LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES).
"""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-1"  # what UserFactory sets
WRONG = "not-the-password-7Q"
LIMIT = 5
TOKEN = "/api/v1/auth/token/"


def sign_in(client, username, password, ip="198.51.100.1", **meta):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **meta)


def token(api_client, username, password, ip="198.51.100.1", **meta):
    return api_client.post(TOKEN, {"username": username, "password": password}, REMOTE_ADDR=ip, **meta)


def signed_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def age_attempts(minutes: float) -> None:
    """Move every recorded failure `minutes` into the past (what waiting would do)."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=minutes)
        attempt.save(update_fields=["attempt_time"])


def test_sign_in_page_locks_out_at_the_limit_and_says_for_how_long(client):
    user = UserFactory()
    answers = [sign_in(client, user.username, WRONG) for _ in range(LIMIT)]

    assert [a.status_code for a in answers[:-1]] == [200] * (LIMIT - 1)
    locked = answers[-1]
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in page
    assert '<div class="errors" role="alert">' in page  # where the page shows its other errors
    assert "Please enter a correct username" not in page
    assert 14 * 60 < int(locked["Retry-After"]) <= 15 * 60


def test_the_right_password_is_refused_while_locked_out(client):
    user = UserFactory()
    for _ in range(LIMIT):
        sign_in(client, user.username, WRONG)

    response = sign_in(client, user.username, PASSWORD)

    assert response.status_code == 429 and not response.wsgi_request.user.is_authenticated
    assert "Try again in 15 minutes." in response.content.decode()


def test_a_successful_sign_in_clears_the_accounts_failures(client):
    user = UserFactory()
    for _ in range(LIMIT - 1):
        sign_in(client, user.username, WRONG)
    assert signed_in(sign_in(client, user.username, PASSWORD))
    client.logout()

    answers = [sign_in(client, user.username, WRONG).status_code for _ in range(LIMIT - 1)]

    assert answers == [200] * (LIMIT - 1)
    assert signed_in(sign_in(client, user.username, PASSWORD))


def test_api_lockout_answers_429_json_with_retry_after(api_client):
    user = UserFactory()
    answers = [token(api_client, user.username, WRONG) for _ in range(LIMIT - 1)]
    assert [a.status_code for a in answers] == [400] * (LIMIT - 1)

    locked = token(api_client, user.username, WRONG)
    refused = token(api_client, user.username, PASSWORD)

    for response in (locked, refused):
        assert response.status_code == 429
        assert response.json()["detail"] == "Too many failed sign-in attempts. Try again in 15 minutes."
        assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    assert "token" not in refused.json()


def test_one_address_is_locked_out_across_usernames(client):
    for n in range(LIMIT):
        sign_in(client, f"guess{n}", WRONG, ip="198.51.100.7")
    user = UserFactory()

    assert sign_in(client, user.username, PASSWORD, ip="198.51.100.7").status_code == 429
    assert signed_in(sign_in(client, user.username, PASSWORD, ip="198.51.100.8"))


def test_one_account_is_locked_out_across_addresses(client, api_client):
    user = UserFactory()
    for n in range(LIMIT):
        sign_in(client, user.username, WRONG, ip=f"203.0.113.{n + 1}")

    assert sign_in(client, user.username, PASSWORD, ip="192.0.2.50").status_code == 429
    assert token(api_client, user.username, PASSWORD, ip="192.0.2.51").status_code == 429
    assert signed_in(sign_in(client, UserFactory().username, PASSWORD, ip="192.0.2.50"))


def test_a_forged_forwarded_for_from_an_untrusted_peer_gets_no_fresh_lockout_counter(client):
    for n in range(LIMIT):
        sign_in(client, f"guess{n}", WRONG, ip="198.51.100.9", HTTP_X_FORWARDED_FOR=f"10.9.8.{n}")
    user = UserFactory()

    response = sign_in(client, user.username, PASSWORD, ip="198.51.100.9", HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.9"}


def test_a_forged_forwarded_for_from_an_untrusted_peer_gets_no_fresh_throttle_counter(api_client, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    statuses = [
        api_client.post(TOKEN, {}, REMOTE_ADDR="198.51.100.10", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}").status_code
        for n in range(4)
    ]

    assert statuses == [400, 400, 400, 429]
    assert api_client.post(TOKEN, {}, REMOTE_ADDR="198.51.100.11").status_code == 400  # another client


def test_the_forwarded_client_behind_a_trusted_proxy_is_the_one_locked_out(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(LIMIT):
        # the left-most entry is the client's own claim; the proxy appended the address it saw
        sign_in(client, f"guess{n}", WRONG, ip="10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.70")
    user = UserFactory()

    via_proxy = {"ip": "10.0.0.2"}
    assert sign_in(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.70", **via_proxy).status_code == 429
    assert signed_in(sign_in(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.71", **via_proxy))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.70"}


def test_the_forwarded_client_behind_a_trusted_proxy_is_the_one_throttled(api_client, settings, monkeypatch):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "2/minute"})
    via_proxy = {"REMOTE_ADDR": "10.0.0.2"}
    first = [api_client.post(TOKEN, {}, HTTP_X_FORWARDED_FOR="203.0.113.80", **via_proxy).status_code for _ in "abc"]

    assert first == [400, 400, 429]
    assert api_client.post(TOKEN, {}, HTTP_X_FORWARDED_FOR="203.0.113.81", **via_proxy).status_code == 400


def test_the_lockout_ends_after_the_cool_off(client):
    user = UserFactory()
    for _ in range(LIMIT):
        sign_in(client, user.username, WRONG)
    age_attempts(14)
    assert sign_in(client, user.username, PASSWORD).status_code == 429

    age_attempts(1.01)

    assert signed_in(sign_in(client, user.username, PASSWORD))


def test_attempts_while_locked_out_do_not_move_the_end_it_announced(client):
    user = UserFactory()
    for _ in range(LIMIT):
        sign_in(client, user.username, WRONG)
    age_attempts(10)

    again = sign_in(client, user.username, WRONG)
    assert "Try again in 5 minutes." in again.content.decode()
    age_attempts(5.01)

    assert signed_in(sign_in(client, user.username, PASSWORD))


def test_the_limit_and_the_cool_off_come_from_the_settings(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=3)
    user = UserFactory()

    answers = [sign_in(client, user.username, WRONG) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 429]
    assert "Try again in 3 minutes." in answers[-1].content.decode()


def test_the_admin_sign_in_is_locked_out_too(client):
    user = UserFactory(is_staff=True)
    for _ in range(LIMIT):
        sign_in(client, user.username, WRONG)

    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.9")

    assert response.status_code == 429
    assert "Try again in 15 minutes." in response.content.decode()


def test_passwords_and_typed_usernames_never_reach_the_logs_or_the_attempt_rows(client, api_client, caplog):
    user, other = UserFactory(), UserFactory()  # before DEBUG: factory_boy logs the password it sets
    caplog.set_level(logging.DEBUG)
    typed_in_the_wrong_field = "my-Password-in-the-username-box"
    sign_in(client, typed_in_the_wrong_field, WRONG)
    for _ in range(LIMIT):
        sign_in(client, user.username, WRONG)
        token(api_client, user.username, WRONG, ip="192.0.2.20")
    sign_in(client, user.username, PASSWORD)  # refused while locked out
    assert signed_in(sign_in(client, other.username, PASSWORD, ip="192.0.2.21"))
    assert token(api_client, other.username, PASSWORD, ip="192.0.2.22").status_code == 200

    assert any("AXES" in record.getMessage() for record in caplog.records)  # axes did log the attempts
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    for secret in (PASSWORD, WRONG, typed_in_the_wrong_field):
        assert secret not in logged
    stored = "\n".join(f"{a.get_data} {a.post_data}" for a in AccessAttempt.objects.all())
    assert PASSWORD not in stored and WRONG not in stored
