"""CSV imports through real Celery workers on Redis and PostgreSQL.

- An import's progress, read through the API, reaches 100 % and the rollups (of the KPIs and of the
  keys across products) equal a rebuild.
- A worker SIGKILLed in the middle of an import: the sweep hands it to a new worker, which imports it
  once; nothing is counted twice and the rollups equal a rebuild.
- Two workers on the rollups queue at once, on imports and batches of the same portfolio and keys:
  the same rows as a rebuild (which equals what one worker gives: tests/kpis/test_rollups_exact.py).

Every wait is bounded; every process is stopped at the end.
"""

import os
import signal
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from kpis.models import Import, KeyRollup, Measurement
from products.models import Role
from tests.conftest import need
from tests.factories import KPIFactory, ProductFactory, ProductLineFactory, member
from tests.integration.conftest import wait_until
from tests.integration.test_faults import (
    Processes,
    _a_recompute_waits_for_a_lock,
    _app_env,
    _assert_rollups_equal_a_rebuild,
    _beat,
    _connect,
    _no_pending_rollups,
    _worker,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


@pytest.fixture
def processes(transactional_db, services_up, tmp_path):
    need(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "import tests need PostgreSQL")
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()


@pytest.fixture
def shop():
    """A portfolio with two lines, four products and eight KPIs under two keys."""
    product = ProductFactory(name="Atlas")
    portfolio = product.portfolio
    lines = [ProductLineFactory(portfolio=portfolio, name=name) for name in ("North", "South")]
    products = [product] + [ProductFactory(portfolio=portfolio, name=n) for n in ("Boreal", "Cirrus", "Delta")]
    kpis = []
    for i, p in enumerate(products):
        p.product_line = lines[i % 2]
        p.save()
        kpis += [
            KPIFactory(product=p, key="revenue", aggregation="sum"),
            KPIFactory(product=p, key="nps", aggregation="avg"),
        ]
    return portfolio, products, kpis, member(portfolio, Role.PRODUCT_MANAGER)


def _csv(products, days: int, start: date, prefix: str) -> bytes:
    lines = ["product,key,observed_at,value,external_id"]
    for d in range(days):
        day = start + timedelta(days=d)
        for p in products:
            lines.append(f"{p.name},revenue,{day},{(d * 7) % 90 + 10},{prefix}-r-{p.id}-{d}")
            lines.append(f"{p.id},nps,{day}T{8 + d % 9:02d}:30:00+02:00,{d % 11},{prefix}-n-{p.id}-{d}")
    return ("\n".join(lines) + "\n").encode()


def _upload(api_client, user, portfolio, content: bytes) -> str:
    api_client.force_authenticate(user)
    response = api_client.post(
        "/api/v1/imports/",
        {"portfolio": portfolio.id, "file": SimpleUploadedFile("feed.csv", content, "text/csv")},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    return response.json()["url"]


def _finished(api_client, url: str) -> dict:
    def finished():
        body = api_client.get(url).json()
        return body if body["status"] in ("done", "failed") else None

    return wait_until(finished, timeout=150)


def _key_rows(portfolio_id):
    rows = KeyRollup.objects.filter(portfolio_id=portfolio_id).values_list(
        "product_line_id", "key", "granularity", "period_start", "value", "count", "total", "minimum", "maximum"
    )
    return sorted(rows, key=lambda row: (row[0] or 0, *row[1:4]))


def _assert_everything_equals_a_rebuild(portfolio, kpis):
    keys_before = _key_rows(portfolio.id)
    _assert_rollups_equal_a_rebuild(portfolio.id, [k.id for k in kpis])
    assert keys_before and keys_before == _key_rows(portfolio.id)


def test_an_import_reports_its_progress_to_100_and_its_rollups_equal_a_rebuild(processes, shop, api_client):
    portfolio, products, kpis, user = shop
    env = _app_env(settings.CELERY_BROKER_URL)
    _worker(processes, env)
    url = _upload(api_client, user, portfolio, _csv(products, 400, date(2025, 6, 1), "a"))
    seen = []

    def finished():
        body = api_client.get(url).json()
        seen.append((body["status"], body["percent"]))
        return body if body["status"] in ("done", "failed") else None

    body = wait_until(finished, timeout=120, interval=0.1)
    assert (body["status"], body["percent"], body["processed"], body["total"]) == ("done", 100, 3200, 3200)
    assert (body["created"], body["updated"], body["errors"]) == (3200, 0, [])
    assert [percent for _, percent in seen] == sorted(percent for _, percent in seen), "progress never goes back"
    wait_until(_no_pending_rollups, timeout=60)
    _assert_everything_equals_a_rebuild(portfolio, kpis)


def test_a_worker_killed_during_an_import_loses_nothing_and_imports_it_once(processes, shop, api_client):
    portfolio, products, kpis, user = shop
    env = _app_env(settings.CELERY_BROKER_URL, IMPORT_SWEEP_AFTER_SECONDS="2")
    url = _upload(api_client, user, portfolio, _csv(products, 365, date(2025, 1, 1), "k"))  # no worker yet

    # Hold the KPIs' row locks: the import's write waits for them inside its transaction.
    locker = _connect()
    with locker.cursor() as cursor:
        cursor.execute("SELECT id FROM kpis_kpi WHERE id = ANY(%s) FOR UPDATE", [[k.id for k in kpis]])
    worker = _worker(processes, env)
    try:
        wait_until(_a_recompute_waits_for_a_lock, timeout=90)
        os.kill(worker.pid, signal.SIGKILL)  # the main process, half way through the import
        worker.wait(timeout=10)
        processes.running.pop("worker")
    finally:
        locker.rollback()
        locker.close()
    import_id = int(url.rstrip("/").rsplit("/", 1)[1])
    assert Import.objects.get(pk=import_id).written_at is None
    assert not Measurement.objects.filter(kpi__in=kpis).exists(), "the killed run must have written nothing"

    _worker(processes, env, name="worker2")
    _beat(processes, env)
    body = _finished(api_client, url)
    assert (body["status"], body["created"]) == ("done", 365 * 8), body
    assert Import.objects.get(pk=import_id).attempts == 2
    assert Measurement.objects.filter(kpi__in=kpis).count() == 365 * 8, "nothing counted twice"
    wait_until(_no_pending_rollups, timeout=60)
    _assert_everything_equals_a_rebuild(portfolio, kpis)


def test_two_workers_at_once_give_the_rows_one_worker_gives(processes, shop, api_client):
    portfolio, products, kpis, user = shop
    env = _app_env(settings.CELERY_BROKER_URL)
    _worker(processes, env, name="worker-a")
    _worker(processes, env, name="worker-b")
    urls = [
        _upload(
            api_client,
            user,
            portfolio,
            _csv(products[i : i + 2], 200, date(2025, 1, 1) + timedelta(days=50 * i), f"w{i}"),
        )
        for i in range(3)
    ]
    for n in range(6):  # batches across the same KPIs and keys, while the imports run
        items = [
            {"kpi": kpi.id, "observed_at": str(date(2025, 3, 1) + timedelta(days=n)), "value": n + 1} for kpi in kpis
        ]
        assert api_client.post("/api/v1/measurements/", items, format="json").status_code == 201
    for url in urls:
        body = wait_until(
            lambda url=url: (b := api_client.get(url).json())["status"] in ("done", "failed") and b, timeout=150
        )
        assert body["status"] == "done", body
    wait_until(_no_pending_rollups, timeout=90)
    _assert_everything_equals_a_rebuild(portfolio, kpis)
