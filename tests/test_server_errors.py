"""A database that cannot be reached is a clear 503 with Retry-After, never a 500 (pmflow/server_errors.py).

The real outage (PostgreSQL behind a proxy that is cut) is tests/integration/test_faults.py; here the
lookup that needs the database raises what psycopg2 raises when the server went away."""

import pytest
from django.db import OperationalError
from knox.auth import TokenAuthentication
from knox.models import AuthToken

from products.models import Role
from tests.factories import member

pytestmark = pytest.mark.django_db

GONE = OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def database_gone_for_tokens(monkeypatch):
    def gone(*args, **kwargs):
        raise GONE

    monkeypatch.setattr(TokenAuthentication, "authenticate_credentials", gone)


@pytest.fixture
def database_gone_for_sessions(monkeypatch):
    def gone(request):
        raise GONE

    monkeypatch.setattr("django.contrib.auth.get_user", gone)


def test_an_api_request_without_its_database_is_a_503_with_a_json_reason(client, world, database_gone_for_tokens):
    token = AuthToken.objects.create(member(world.portfolio, Role.VIEWER))[1]
    client.raise_request_exception = False
    response = client.get("/api/v1/products/", HTTP_AUTHORIZATION=f"Token {token}")
    assert (response.status_code, response.json()["code"], response["Retry-After"]) == (
        503,
        "service_unavailable",
        "30",
    )


def test_a_page_without_its_database_is_a_503_page_that_says_so(client, world, database_gone_for_sessions):
    client.force_login(member(world.portfolio, Role.VIEWER))
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 503
    assert b"cannot reach its database" in response.content and response["Retry-After"] == "30"


def test_other_server_errors_under_the_api_are_a_json_500(client, world, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(TokenAuthentication, "authenticate_credentials", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/products/", HTTP_AUTHORIZATION="Token x" + "0" * 63)
    assert (response.status_code, response.json()["code"]) == (500, "server_error")
