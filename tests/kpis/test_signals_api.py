"""The signals API (/api/v1/signals/): read-only, scoped to the user's portfolios, filters, CSV, fixed queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products.models import Role
from tests.factories import CampaignFactory, KPIFactory, ProductFactory, SignalFactory, member

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "portfolio",
    "product",
    "kind",
    "subject_key",
    "message",
    "evidence",
    "kpi",
    "campaign",
    "launch_plan",
    "competitor_move",
    "opened_at",
    "updated_at",
    "resolved_at",
    "is_open",
}


@pytest.fixture
def world():
    product = ProductFactory(name="Pulse")
    campaign = CampaignFactory(product=product, name="Paid search")
    kpi = KPIFactory(product=product, campaign=campaign, key="conversion_rate")
    open_signal = SignalFactory(
        product=product, campaign=campaign, kpi=kpi, message="Traffic, no conversions", evidence={"rule": "r"}
    )
    resolved = SignalFactory(
        product=product,
        kind="off_track_after_competitor_move",
        subject_key="kpi:1:move:2",
        message="Turned after a move",
        resolved_at=timezone.now(),
    )
    return product, campaign, kpi, open_signal, resolved


def client_for(api_client, portfolio, role=Role.VIEWER):
    api_client.force_authenticate(member(portfolio, role))
    return api_client


def test_a_member_lists_the_portfolios_signals_with_the_fields(api_client, world):
    product, campaign, kpi, open_signal, resolved = world
    response = client_for(api_client, product.portfolio).get("/api/v1/signals/")
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    assert set(rows) == {open_signal.id, resolved.id}
    row = rows[open_signal.id]
    assert set(row) == FIELDS
    assert (row["portfolio"], row["product"], row["campaign"], row["kpi"]) == (
        product.portfolio_id,
        product.id,
        campaign.id,
        kpi.id,
    )
    assert (row["kind"], row["message"], row["evidence"], row["is_open"]) == (
        "campaign_low_conversion",
        "Traffic, no conversions",
        {"rule": "r"},
        True,
    )
    assert rows[resolved.id]["is_open"] is False and rows[resolved.id]["resolved_at"]


def test_newest_first(api_client, world):
    product, *_ = world
    ids = [row["id"] for row in client_for(api_client, product.portfolio).get("/api/v1/signals/").json()["results"]]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("query, expected", [("open=true", "open"), ("open=false", "resolved")])
def test_the_open_filter(api_client, world, query, expected):
    product, _, _, open_signal, resolved = world
    rows = client_for(api_client, product.portfolio).get(f"/api/v1/signals/?{query}").json()["results"]
    assert [row["id"] for row in rows] == [open_signal.id if expected == "open" else resolved.id]


def test_the_kind_product_campaign_and_search_filters(api_client, world):
    product, campaign, kpi, open_signal, resolved = world
    client = client_for(api_client, product.portfolio)
    for query in (
        "kind=campaign_low_conversion",
        f"product={product.id}&campaign={campaign.id}",
        f"kpi={kpi.id}",
        f"portfolio={product.portfolio_id}&search=conversions",
    ):
        assert [row["id"] for row in client.get(f"/api/v1/signals/?{query}").json()["results"]] == [open_signal.id]


@pytest.mark.parametrize("query", ["open=maybe", "kind=loud", "product=abc", "product=", "open=", "ordering=message"])
def test_a_bad_filter_is_a_400_naming_it(api_client, world, query):
    product, *_ = world
    response = client_for(api_client, product.portfolio).get(f"/api/v1/signals/?{query}")
    if query.startswith("ordering"):  # an unknown ordering is ignored, as everywhere in the API
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_ordering_by_resolution(api_client, world):
    product, _, _, open_signal, resolved = world
    rows = client_for(api_client, product.portfolio).get("/api/v1/signals/?ordering=-resolved_at").json()["results"]
    assert {row["id"] for row in rows} == {open_signal.id, resolved.id}


def test_another_portfolios_signal_is_not_listed_and_404(api_client, world):
    _, _, _, open_signal, _ = world
    client = client_for(api_client, ProductFactory().portfolio)
    assert client.get("/api/v1/signals/").json()["count"] == 0
    assert client.get(f"/api/v1/signals/{open_signal.id}/").status_code == 404


def test_one_signal_with_its_etag(api_client, world):
    product, _, _, open_signal, _ = world
    response = client_for(api_client, product.portfolio).get(f"/api/v1/signals/{open_signal.id}/")
    assert response.status_code == 200 and response.json()["id"] == open_signal.id
    assert response["ETag"]
    again = api_client.get(f"/api/v1/signals/{open_signal.id}/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("query", ["", "?format=csv"])
def test_nobody_writes_signals(api_client, world, method, query):
    product, _, _, open_signal, _ = world
    client = client_for(api_client, product.portfolio, Role.ADMIN)
    url = ("/api/v1/signals/" if method == "post" else f"/api/v1/signals/{open_signal.id}/") + query
    response = getattr(client, method)(url, {"message": "mine"}, format="json")
    assert response.status_code == 405
    open_signal.refresh_from_db()
    assert open_signal.message == "Traffic, no conversions"


def test_csv_has_every_matching_signal_without_evidence(api_client, world):
    product, _, _, open_signal, resolved = world
    response = client_for(api_client, product.portfolio).get("/api/v1/signals/?format=csv&open=true")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "id",
        "kind",
        "product",
        "product_name",
        "message",
        "kpi",
        "campaign",
        "launch_plan",
        "competitor_move",
        "opened_at",
        "resolved_at",
        "is_open",
    ]
    assert [row[0] for row in rows[1:]] == [str(open_signal.id)]
    assert rows[1][3:5] == ["Pulse", "Traffic, no conversions"] and rows[1][-1] == "true"


def test_an_anonymous_client_is_refused(api_client):
    assert api_client.get("/api/v1/signals/").status_code in (401, 403)


def _signals(product, n):
    for index in range(n):
        campaign = CampaignFactory(product=product)
        SignalFactory(product=product, campaign=campaign, kpi=KPIFactory(product=product, campaign=campaign))
        SignalFactory(product=product, kind="low_usage_despite_spend", subject_key=f"plan:{product.id}:{index}")


def test_the_list_costs_the_same_queries_for_ten_times_the_signals(api_client):
    small, large = ProductFactory(), ProductFactory()
    _signals(small, 2)
    _signals(large, 20)
    counts = []
    for product in (small, large):
        client = client_for(api_client, product.portfolio)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/signals/").status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1] <= 8
