"""Rollup reads for polling clients: ETag and 304, streamed CSV, ?product=, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kpis.models import KeyRollup
from kpis.services import measurements_ingest
from tests.factories import KPIFactory, ProductFactory, member

pytestmark = pytest.mark.django_db
COMBINED = "/api/v1/rollups/?key=revenue&granularity=month&portfolio={portfolio}"


@pytest.fixture
def reader(api_client, world):
    api_client.force_authenticate(member(world.portfolio, "viewer"))
    return api_client


@pytest.mark.parametrize("url", [COMBINED, "/api/v1/kpis/{kpi}/rollups/?granularity=month"])
def test_a_rollup_read_carries_an_etag_and_answers_304_while_unchanged(reader, world, url):
    url = url.format(portfolio=world.portfolio.id, kpi=world.kpi.id)
    first = reader.get(url)
    assert first.status_code == 200 and first["ETag"].startswith('"')
    again = reader.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content


def test_the_etag_changes_when_a_measurement_changes_the_rows(reader, world, django_capture_on_commit_callbacks):
    url = COMBINED.format(portfolio=world.portfolio.id)
    before = reader.get(url)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=world.kpi.id, items=[{"observed_at": "2026-03-15", "value": 1}])
    after = reader.get(url, HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200 and after["ETag"] != before


def test_csv_and_json_of_the_same_rows_have_different_etags(reader, world):
    url = COMBINED.format(portfolio=world.portfolio.id)
    assert reader.get(url)["ETag"] != reader.get(url + "&format=csv")["ETag"]


def test_the_csv_is_streamed_with_its_header_and_rows(reader, world):
    response = reader.get(COMBINED.format(portfolio=world.portfolio.id) + "&format=csv")
    assert response.streaming and response["Content-Disposition"].startswith("attachment")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines == ["period_start,value,count,target,health", "2026-03-01,55,10,100,off_track"]


def test_product_picks_one_products_kpi_of_the_key(reader, world, django_capture_on_commit_callbacks):
    other = KPIFactory(product=ProductFactory(portfolio=world.portfolio), key="revenue")
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=other.id, items=[{"observed_at": "2026-03-02", "value": 45}])
    whole = reader.get(COMBINED.format(portfolio=world.portfolio.id)).json()
    one = reader.get(f"/api/v1/rollups/?key=revenue&granularity=month&product={other.product_id}").json()
    assert [row["value"] for row in whole] == [100.0] and [row["value"] for row in one] == [45.0]


def test_product_of_another_portfolio_is_empty(reader, world):
    foreign = KPIFactory(key="revenue")
    response = reader.get(f"/api/v1/rollups/?key=revenue&granularity=month&product={foreign.product_id}")
    assert response.status_code == 200 and response.json() == []


def test_from_and_to_bound_the_periods(reader, world):
    url = "/api/v1/rollups/?key=revenue&granularity=day&portfolio={}&from=2026-03-03&to=2026-03-05"
    rows = reader.get(url.format(world.portfolio.id)).json()
    assert [row["period_start"] for row in rows] == ["2026-03-03", "2026-03-04", "2026-03-05"]


def test_combined_rollups_are_a_read_of_the_kept_rows(reader, world):
    KeyRollup.objects.filter(portfolio=world.portfolio, granularity="month").update(value=999)
    assert reader.get(COMBINED.format(portfolio=world.portfolio.id)).json()[0]["value"] == 999.0


def test_the_query_count_is_the_same_at_2_and_20_products_and_many_periods(
    reader, world, django_capture_on_commit_callbacks
):
    counts = []
    for products in (2, 20):
        for _ in range(products - (1 if products == 2 else 2)):
            kpi = KPIFactory(product=ProductFactory(portfolio=world.portfolio), key="revenue", target=5)
            with django_capture_on_commit_callbacks(execute=True):
                measurements_ingest(
                    kpi_id=kpi.id, items=[{"observed_at": f"2026-{m:02d}-02", "value": m} for m in range(1, 13)]
                )
        reader.get(COMBINED.format(portfolio=world.portfolio.id))  # the user's memberships, cached on it
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(COMBINED.format(portfolio=world.portfolio.id)).status_code == 200
        counts.append([q["sql"] for q in queries.captured_queries])
    assert len(counts[0]) == len(counts[1]), counts


@pytest.mark.parametrize("parameter", ["granularity", "portfolio", "product_line", "product"])
def test_combined_rollups_refuse_an_empty_parameter(parameter):
    product = ProductFactory()
    client = APIClient()
    client.force_login(member(product.portfolio, "viewer"))
    scope = "" if parameter == "portfolio" else f"&portfolio={product.portfolio_id}"
    response = client.get(f"/api/v1/rollups/?key=revenue{scope}&{parameter}=")
    assert response.status_code == 400
    assert parameter in response.json()
