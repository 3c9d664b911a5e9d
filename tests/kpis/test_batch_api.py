"""POST /api/v1/measurements/: a batch across KPIs, by id or by product and key, all or nothing."""

from decimal import Decimal

import pytest

from kpis.models import KeyRollup, Measurement, PendingRollup, Rollup
from products.models import DomainEvent
from tests.factories import KPIFactory, ProductFactory, member

pytestmark = pytest.mark.django_db
URL = "/api/v1/measurements/"


@pytest.fixture
def feed(world):
    """The world's revenue KPI plus a second product with revenue and a signups KPI."""
    second = ProductFactory(portfolio=world.portfolio, product_line=world.line)
    revenue = KPIFactory(product=second, key="revenue", name="Revenue")
    signups = KPIFactory(product=second, key="signups", name="Sign-ups", aggregation="sum")
    world.second, world.revenue2, world.signups = second, revenue, signups
    return world


def _post(api_client, user, body, django_capture_on_commit_callbacks):
    api_client.force_authenticate(user)
    with django_capture_on_commit_callbacks(execute=True):
        return api_client.post(URL, body, format="json")


def test_a_batch_across_kpis_by_id_and_by_product_and_key_is_written(
    api_client, feed, django_capture_on_commit_callbacks
):
    body = [
        {"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": 5},
        {"product": feed.second.id, "key": "revenue", "observed_at": "2026-04-01", "value": 7},
        {"product": feed.second.id, "key": "signups", "observed_at": "2026-04-02", "value": "3.5"},
    ]
    response = _post(api_client, member(feed.portfolio, "product_manager"), body, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 3, "updated": 0}
    assert Measurement.objects.get(kpi=feed.signups).value == Decimal("3.5")
    assert Rollup.objects.get(kpi=feed.revenue2, granularity="day").value == 7


def test_the_batch_keeps_the_key_rolled_up_across_the_portfolio_and_the_line(
    api_client, feed, django_capture_on_commit_callbacks
):
    body = [
        {"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": 5},
        {"kpi": feed.revenue2.id, "observed_at": "2026-04-01", "value": 7},
    ]
    _post(api_client, member(feed.portfolio, "admin"), body, django_capture_on_commit_callbacks)
    rows = KeyRollup.objects.filter(key="revenue", granularity="month", period_start="2026-04-01")
    assert {(row.product_line_id, row.value, row.count, row.kpis) for row in rows} == {
        (None, 12, 2, 2),
        (feed.line.id, 12, 2, 2),
    }


def test_one_bad_item_writes_nothing_and_every_error_names_its_index_and_field(
    api_client, feed, django_capture_on_commit_callbacks
):
    before = Measurement.objects.count()
    body = [
        {"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": 5},
        {"kpi": feed.kpi.id, "observed_at": "2026-02-30", "value": 5},
        {"product": feed.second.id, "key": "nope", "observed_at": "2026-04-01", "value": 1},
        {"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": "NaN"},
    ]
    response = _post(api_client, member(feed.portfolio, "admin"), body, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [
        (1, "observed_at"),
        (2, "key"),
        (3, "value"),
    ]
    assert Measurement.objects.count() == before


def test_another_portfolios_kpi_is_no_such_kpi_and_nothing_is_written(
    api_client, feed, django_capture_on_commit_callbacks
):
    foreign = KPIFactory()
    before = Measurement.objects.count()
    body = [
        {"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": 5},
        {"kpi": foreign.id, "observed_at": "2026-04-01", "value": 5},
        {"product": foreign.product_id, "key": foreign.key, "observed_at": "2026-04-01", "value": 5},
    ]
    response = _post(api_client, member(feed.portfolio, "admin"), body, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "kpi"), (2, "key")]
    assert errors[0]["message"] == "No such KPI."
    assert Measurement.objects.count() == before


@pytest.mark.parametrize("role", ["viewer", "marketer"])
def test_a_role_that_may_not_measure_gets_403_and_nothing_is_written(
    api_client, feed, role, django_capture_on_commit_callbacks
):
    before = Measurement.objects.count()
    body = [{"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": 5}]
    response = _post(api_client, member(feed.portfolio, role), body, django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert Measurement.objects.count() == before


def test_a_manager_elsewhere_cannot_write_to_a_portfolio_where_they_only_view(
    api_client, feed, django_capture_on_commit_callbacks
):
    user = member(feed.portfolio, "viewer")
    other = KPIFactory()
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, portfolio=other.product.portfolio, role="product_manager")
    body = [
        {"kpi": other.id, "observed_at": "2026-04-01", "value": 1},
        {"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": 5},
    ]
    response = _post(api_client, user, body, django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert not Measurement.objects.filter(kpi=other).exists()


def test_a_repeated_external_id_updates_per_kpi_and_may_repeat_across_kpis(
    api_client, feed, django_capture_on_commit_callbacks
):
    user = member(feed.portfolio, "admin")
    first = [
        {"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": 5, "external_id": "inv-1"},
        {"kpi": feed.revenue2.id, "observed_at": "2026-04-01", "value": 6, "external_id": "inv-1"},
    ]
    assert _post(api_client, user, first, django_capture_on_commit_callbacks).json() == {"created": 2, "updated": 0}
    again = [{"kpi": feed.kpi.id, "observed_at": "2026-04-03", "value": 9, "external_id": "inv-1"}]
    assert _post(api_client, user, again, django_capture_on_commit_callbacks).json() == {"created": 0, "updated": 1}
    assert Measurement.objects.get(kpi=feed.kpi, external_id="inv-1").value == 9
    assert not Rollup.objects.filter(kpi=feed.kpi, granularity="day", period_start="2026-04-01").exists()


def test_an_external_id_repeated_for_one_kpi_in_the_batch_is_refused(
    api_client, feed, django_capture_on_commit_callbacks
):
    body = [
        {"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": 5, "external_id": "x"},
        {"product": feed.product.id, "key": "revenue", "observed_at": "2026-04-02", "value": 5, "external_id": "x"},
    ]
    response = _post(api_client, member(feed.portfolio, "admin"), body, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 1


def test_one_rollup_task_covers_every_kpi_of_the_batch(
    api_client, feed, django_capture_on_commit_callbacks, monkeypatch
):
    from kpis import tasks

    calls = []
    monkeypatch.setattr(tasks.recompute_rollups_many, "apply_async", lambda args, kwargs: calls.append(args))
    body = [{"kpi": kpi.id, "observed_at": "2026-04-01", "value": 1} for kpi in (feed.kpi, feed.revenue2, feed.signups)]
    response = _post(api_client, member(feed.portfolio, "admin"), body, django_capture_on_commit_callbacks)
    assert response.status_code == 201
    assert calls == [(sorted([feed.kpi.id, feed.revenue2.id, feed.signups.id]),)]
    assert PendingRollup.objects.filter(kpi__in=[feed.kpi, feed.revenue2, feed.signups]).count() == 3


def test_each_kpi_of_the_batch_gets_an_event_in_its_history(api_client, feed, django_capture_on_commit_callbacks):
    body = [{"kpi": kpi.id, "observed_at": "2026-04-01", "value": 1} for kpi in (feed.kpi, feed.signups)]
    _post(api_client, member(feed.portfolio, "admin"), body, django_capture_on_commit_callbacks)
    added = DomainEvent.objects.filter(verb="kpi.measurements_added", object_id__in=[feed.kpi.id, feed.signups.id])
    assert added.filter(data__created=1).count() == 2
    assert not added.filter(dispatched_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"observed_at": "2026-04-01", "value": 1}, "kpi"),
        ({"kpi": True, "observed_at": "2026-04-01", "value": 1}, "kpi"),
        ({"kpi": 2**70, "observed_at": "2026-04-01", "value": 1}, "kpi"),
        ({"product": "x", "key": "revenue", "observed_at": "2026-04-01", "value": 1}, "product"),
        ({"product": 1, "key": "no spaces", "observed_at": "2026-04-01", "value": 1}, "key"),
        ({"kpi": 1, "product": 1, "key": "revenue", "observed_at": "2026-04-01", "value": 1}, "product"),
    ],
)
def test_a_bad_reference_is_a_400_on_its_field(api_client, feed, item, field, django_capture_on_commit_callbacks):
    response = _post(api_client, member(feed.portfolio, "admin"), [item], django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_more_than_10000_items_are_refused_before_any_lookup(api_client, feed, django_capture_on_commit_callbacks):
    body = [{"kpi": feed.kpi.id, "observed_at": "2026-04-01", "value": 1}] * 10_001
    response = _post(api_client, member(feed.portfolio, "admin"), body, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "10,000" in response.json()["errors"][0]["message"]


def test_the_query_count_does_not_grow_with_the_kpis_of_the_batch(
    api_client, world, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    user = member(world.portfolio, "admin")
    counts = []
    for size in (2, 20):
        kpis = [KPIFactory(product=world.product) for _ in range(size)]
        body = [{"kpi": kpi.id, "observed_at": "2026-05-01", "value": 1} for kpi in kpis]
        api_client.force_authenticate(user)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            assert api_client.post(URL, body, format="json").status_code == 201
        counts.append(len(queries))
    assert counts[1] <= counts[0]


def test_a_product_without_its_key_is_told_to_give_both(api_client, feed, django_capture_on_commit_callbacks):
    body = [{"product": feed.product.id, "observed_at": "2026-03-20", "value": 1}]
    response = _post(api_client, member(feed.portfolio, "admin"), body, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 0, "field": "key", "message": "Give kpi, or product and key."}]
