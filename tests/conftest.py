"""Shared fixtures and the rules for tests that need services.

- Integration tests (tests/integration, marker `integration`) need PostgreSQL and Redis: they run when
  DATABASE_URL points at PostgreSQL and REDIS_URL is set. On the embedded default (SQLite, no broker)
  they are deselected, with a note at the end of the run. Configured but unreachable: skipped with
  the reason on a laptop, a failure when CI=true.
- Browser tests (tests/e2e, marker `e2e`) need Chromium (/usr/bin/chromium or PMFLOW_CHROMIUM):
  skipped with the reason when it is missing, a failure when CI=true.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import member

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
_deselected_integration: list[str] = []


def services_configured() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and bool(settings.CELERY_BROKER_URL)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def chromium_path() -> str | None:
    candidate = os.environ.get("PMFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if candidate and os.path.exists(candidate) else None


def need(condition: bool, reason: str) -> None:
    """Skip with the reason on a laptop; fail under CI, where a missing service is a broken build."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config):
    """Under pytest-xdist each test process has its own test database (pytest-django) and its own Redis
    database as the broker: two processes starting a Celery worker each on one broker would take each
    other's tasks to the other's test database. gw0 keeps the configured one, gwN uses the next N."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not (worker.startswith("gw") and settings.CELERY_BROKER_URL):
        return
    from pmflow.celery import app

    url = urlparse(settings.CELERY_BROKER_URL)
    number = int(url.path.strip("/") or 0) + int(worker[2:])
    settings.CELERY_BROKER_URL = settings.REDIS_URL = url._replace(path=f"/{number}").geturl()
    app.conf.broker_url = settings.CELERY_BROKER_URL


def pytest_collection_modifyitems(config, items):
    if services_configured():
        return
    kept = []
    for item in items:
        if item.get_closest_marker("integration"):
            _deselected_integration.append(item.nodeid)
        else:
            kept.append(item)
    if _deselected_integration:
        config.hook.pytest_deselected(items=[i for i in items if i.nodeid in _deselected_integration])
        items[:] = kept


def pytest_terminal_summary(terminalreporter):
    if _deselected_integration:
        terminalreporter.write_line(
            f"note: {len(_deselected_integration)} integration test(s) not run on the embedded default "
            "(SQLite, in-process tasks); set DATABASE_URL=postgres://… and REDIS_URL=redis://… to run them "
            "(.ci/run does)."
        )


@pytest.fixture
def services_up():
    need(
        _reachable(
            settings.DATABASES["default"].get("HOST")
            and f"//{settings.DATABASES['default']['HOST']}:{settings.DATABASES['default'].get('PORT') or 5432}"
            or "//127.0.0.1:5432",
            5432,
        ),
        "PostgreSQL is not reachable",
    )
    need(
        _reachable(settings.CELERY_BROKER_URL or "", 6379),
        f"Redis is not reachable at {settings.CELERY_BROKER_URL}",
    )


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Unit tests run tasks in-process (still only on commit); integration tests use a real worker."""
    from pmflow.celery import app

    eager = not request.node.get_closest_marker("integration")
    before = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    """One portfolio with a line, a product in research, a KPI with measurements and a rule."""
    from kpis.services import measurements_ingest
    from tests.factories import KPIFactory, LifecycleRuleFactory, PortfolioFactory, ProductFactory, ProductLineFactory

    portfolio = PortfolioFactory(timezone="Europe/Berlin")
    line = ProductLineFactory(portfolio=portfolio)
    product = ProductFactory(portfolio=portfolio, product_line=line, stage="research")
    kpi = KPIFactory(product=product, key="revenue", name="Revenue", target=100, target_granularity="month")
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(
            kpi_id=kpi.id, items=[{"observed_at": f"2026-03-{d:02d}", "value": d} for d in range(1, 11)]
        )
    rule = LifecycleRuleFactory(portfolio=portfolio)
    return type("World", (), {"portfolio": portfolio, "line": line, "product": product, "kpi": kpi, "rule": rule})


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path_factory):
    # Uploaded asset files go to a temporary folder, never the checkout's var/media.
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Full-strength PBKDF2 costs ~0.3 s per user, and the matrices create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_token_throttle(request):
    # The token endpoint's throttle counts in the cache, a database table shared by every process: a
    # test with the database starts and ends with it empty (a transactional test commits its counts).
    # A test without the database cannot touch it.
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if not uses_db:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # pytest-django's database access, set up first
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def outsider(world):
    """An admin of another portfolio. The world's portfolio has a member too, so "not a member" is tested
    against a portfolio that has members, not an empty one."""
    member(world.portfolio, "admin")
    return member(world.portfolio, None)
