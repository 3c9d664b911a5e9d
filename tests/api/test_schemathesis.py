"""Schemathesis against /api/schema/: every operation, a bounded number of generated requests each.

An admin of a seeded portfolio (a product line, a product, a KPI with measurements, a rule) calls the
API in-process through Django's WSGI application, one test per operation with fresh data. Path ids are
drawn from the seeded objects as well as at random, so operations reach real rows. Each response must
not be a server error and must match the schema: a documented status code, content type and body.
"""

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install -e '.[dev]')")

from django.conf import settings as django_settings  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from rest_framework.throttling import ScopedRateThrottle  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from products import services  # noqa: E402
from tests.factories import member  # noqa: E402

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(180)]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
TOKEN_PATH = "/api/v1/auth/token/"
PASSWORD = "secret-pass-1"  # what UserFactory sets


@pytest.fixture(autouse=True)
def _requests_keep_the_test_transaction():
    """As Django's test client does: no end-of-request connection cleanup, the test's transaction must
    outlive each request."""
    # Both ends: Django closes a connection whose autocommit differs from its setting, which is every
    # connection inside a test's transaction (on PostgreSQL that killed the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


set_hypothesis_home_dir(django_settings.VAR_DIR / "hypothesis")  # its caches go to var/, not the checkout

# Loaded at collection (the schema view needs no database); operations become one test each.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# Filled by the `seeded` fixture: {id} per path, and values that make a generated query or body valid.
_seeded: dict[str, dict] = {"ids": {}, "query": {}, "body": {}}


def _with_seeded(values: dict, where: str) -> dict:
    return {**values, **{k: v for k, v in _seeded[where].items() if k in values}}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time the {id} of a seeded object (so reads and writes reach real rows), else as generated."""
    known = _seeded["ids"].get(context.operation.path)
    if known is None or not path_parameters or "id" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([{**path_parameters, "id": known}, path_parameters])


@schema.hook
def flatmap_query(context, query):
    """Half the time the seeded portfolio, product line, product and KPI key in the filters."""
    return st.sampled_from([_with_seeded(query, "query"), query]) if isinstance(query, dict) else st.just(query)


@schema.hook
def flatmap_body(context, body):
    """Half the time the generated body with seeded references and well-formed values (so creates succeed)."""
    if isinstance(body, dict):
        seeded = _with_seeded(body, "body")
        if "condition_type" in body:  # a rule: its params go with its condition type
            seeded["params"] = _seeded["body"]["params"]
        return st.sampled_from([seeded, body])
    if isinstance(body, list) and all(isinstance(item, dict) for item in body):
        return st.sampled_from([[_with_seeded(item, "body") for item in body], body])
    return st.just(body)


@pytest.fixture(autouse=True)
def _token_attempts_unthrottled(monkeypatch):
    """Generated requests would exhaust the token throttle (20/minute) at once and get nothing but 429."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "10000/minute"})
    # ... and lock this client out of sign-ins (django-axes) after five wrong passwords.
    monkeypatch.setattr(django_settings, "AXES_FAILURE_LIMIT", 10000)


@pytest.fixture
def seeded(world):
    """An admin of the world's portfolio (a line, a product, a KPI with measurements, a rule), a product
    with a stage ledger, and a token."""
    admin = member(world.portfolio, "admin")
    colleague = member(world.portfolio, "viewer")
    # A ledger as the services write it: the creation row (from_stage "", no rule) and a person's move.
    ledgered = services.product_create(portfolio=world.portfolio, name="Ledgered", description="Yes.", actor=admin)
    services.product_transition(product_id=ledgered.id, to_stage="research", reason="Interviews", actor=admin)
    _seeded["ids"] = {
        "/api/v1/portfolios/{id}/": world.portfolio.id,
        "/api/v1/portfolios/{id}/members/": world.portfolio.id,
        "/api/v1/product-lines/{id}/": world.line.id,
        "/api/v1/products/{id}/": world.product.id,
        "/api/v1/products/{id}/transition/": world.product.id,
        "/api/v1/products/{id}/transitions/": ledgered.id,
        "/api/v1/lifecycle-rules/{id}/": world.rule.id,
        "/api/v1/kpis/{id}/": world.kpi.id,
        "/api/v1/kpis/{id}/measurements/": world.kpi.id,
        "/api/v1/kpis/{id}/rollups/": world.kpi.id,
    }
    references = {"portfolio": world.portfolio.id, "product_line": world.line.id, "product": world.product.id}
    _seeded["query"] = {**references, "key": world.kpi.key}
    _seeded["body"] = {
        **references,
        "key": "signups",
        "username": colleague.username,
        "password": PASSWORD,
        "timezone": "Europe/Berlin",
        "observed_at": "2026-03-15",
        "condition_type": "kpi_threshold",
        "params": {"key": "revenue", "granularity": "month", "comparator": "gte", "value": 100, "periods": 2},
    }
    token = AuthToken.objects.create(admin)[1]
    yield type("Seeded", (), {"admin": admin, "token": token})
    _seeded.update(ids={}, query={}, body={})


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_conforms_to_its_schema(case, seeded):
    if any("." in str(value) for value in (case.path_parameters or {}).values()):
        return  # `/api/v1/kpis/0.5/` matches no URL: Django's own 404 page, not the API's
    # DELETE /auth/token/ revokes the token it is sent with: give it one of its own.
    revoking = (case.path, case.method.upper()) == (TOKEN_PATH, "DELETE")
    token = AuthToken.objects.create(seeded.admin)[1] if revoking else seeded.token
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
