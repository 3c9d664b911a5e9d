"""Passwords and API tokens never reach a log record: not in the message, its args, its traceback or any
attribute a handler could print, at DEBUG, on every logger a request can touch (the root, Django's,
Celery's, django-axes', knox's and ours)."""

import logging

import pytest
from django.test import Client
from django.urls import path
from rest_framework.test import APIClient
from rest_framework.views import APIView

from pmflow.urls import urlpatterns as pmflow_urlpatterns
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-7731-Battery"
WRONG_PASSWORD = "Wrong-Horse-4242-Staple"
BAD_TOKEN = "f00dbabe" * 8
# Loggers with their own handlers may not propagate to the root (django.server does not): each gets ours.
LOGGERS = ["", "django", "django.request", "django.server", "django.security", "celery", "axes", "knox", "pmflow"]


class _Boom(APIView):
    def post(self, request):
        request.data  # the body, password and all, has been read when the bug strikes  # noqa: B018
        raise RuntimeError("a bug in an API view")


urlpatterns = [path("api/v1/test-boom/", _Boom.as_view()), *pmflow_urlpatterns]


class Everything(logging.Handler):
    """Keeps every record once, with all a handler or formatter could write out of it."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen: dict[int, str] = {}
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record):
        if id(record) not in self.seen:
            extra = {name: repr(value) for name, value in vars(record).items() if name != "exc_info"}
            self.seen[id(record)] = f"{self.format(record)}\n{record.args!r}\n{extra!r}"

    def texts(self) -> list[str]:
        return list(self.seen.values())


@pytest.fixture
def logs(settings, user):
    # After `user`: factory_boy logs the password it sets, at DEBUG; that is the test's setup, not the app.
    settings.DEBUG = False  # production error handling: the 500 goes through handler500 and is logged
    handler = Everything()
    before = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        before.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    yield handler
    for logger, level in before:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def user():
    return UserFactory(username="ada", password=PASSWORD)


def _leaks(logs, *secrets) -> list[str]:
    return [text for text in logs.texts() if any(secret in text for secret in secrets)]


def _token(user) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()["token"]


def test_a_failed_token_request_logs_no_password(logs, user):
    response = APIClient().post("/api/v1/auth/token/", {"username": "ada", "password": WRONG_PASSWORD})
    assert response.status_code == 400
    assert logs.texts(), "the failure should be logged (django.request, axes), without the password"
    assert _leaks(logs, WRONG_PASSWORD) == []


def test_a_successful_token_request_logs_neither_password_nor_token(logs, user):
    token = _token(user)
    assert _leaks(logs, PASSWORD, token) == []


def test_a_bad_token_is_not_logged(logs):
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {BAD_TOKEN}")
    assert response.status_code == 401
    assert logs.texts(), "the 401 should be logged (django.request), without the token"
    assert _leaks(logs, BAD_TOKEN) == []


@pytest.mark.urls(__name__)
def test_a_server_error_logs_neither_the_body_nor_the_token(logs, user):
    token = _token(user)
    client = Client(raise_request_exception=False)
    response = client.post(
        "/api/v1/test-boom/",
        {"password": PASSWORD, "token": token},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 500
    assert any("Internal Server Error" in text and "RuntimeError" in text for text in logs.texts())
    assert _leaks(logs, PASSWORD, token) == []


def test_failed_page_sign_ins_up_to_the_lockout_log_no_password(logs, user):
    client = Client()
    for _ in range(6):  # past the failure limit: axes logs the lockout too
        client.post("/login/", {"username": "ada", "password": WRONG_PASSWORD})
    assert any("AXES" in text for text in logs.texts())
    assert _leaks(logs, WRONG_PASSWORD) == []


def test_a_successful_page_sign_in_logs_no_password(logs, user):
    response = Client().post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert _leaks(logs, PASSWORD) == []
