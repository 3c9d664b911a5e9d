"""The KPI API: permission matrix, measurements (single, bulk, idempotent, all or nothing), rollups, CSV."""

import csv
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from rest_framework.test import APIClient

from kpis.models import KPI, Measurement, Rollup
from kpis.services import measurements_ingest
from products.models import Product, Role, Stage
from tests.factories import KPIFactory, ProductFactory, ProductLineFactory, member

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER]
MANAGERS = {Role.ADMIN, Role.PRODUCT_MANAGER}
PASSWORD = "secret-pass-1"  # UserFactory's
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CSV_HEADER = "period_start,value,count,target,health"
BERLIN = ZoneInfo("Europe/Berlin")  # the world portfolio's time zone

READS = [
    "/api/v1/kpis/{kpi}/",
    "/api/v1/kpis/{kpi}/measurements/",
    "/api/v1/kpis/{kpi}/rollups/?granularity=month",
    "/api/v1/kpis/{kpi}/rollups/?granularity=month&format=csv",
]
COMBINED = [
    "/api/v1/rollups/?key=revenue&granularity=month&portfolio={portfolio}",
    "/api/v1/rollups/?key=revenue&granularity=month&product_line={line}",
]
# The world's KPI: ten daily measurements 1..10 in March 2026, so March sums to 55 against a target of 100.
MARCH = {"period_start": "2026-03-01", "value": 55.0, "count": 10, "target": 100.0, "health": "off_track"}
MARCH_CSV = ("2026-03-01", Decimal(55), 10, Decimal(100), "off_track")


def _body(response) -> str:
    """The text of a response, streamed (CSV) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _url(template, world):
    objects = {"kpi": world.kpi, "portfolio": world.portfolio, "product": world.product, "line": world.line}
    return template.format(**{name: obj.id for name, obj in objects.items()})


def _snapshot():
    """Every KPI, measurement and rollup, with the fields the writes below touch."""
    return (
        list(KPI.objects.order_by("id").values_list("id", "name", "key", "target")),
        list(Measurement.objects.order_by("id").values_list("id", "observed_at", "value", "external_id")),
        list(Rollup.objects.order_by("id").values_list("id", "value", "count")),
    )


def _writes(world):
    """name → (method, url, body, success status)."""
    return {
        "kpi-create": (
            "post",
            "/api/v1/kpis/",
            {"product": world.product.id, "key": "nps", "name": "NPS", "aggregation": "avg"},
            201,
        ),
        "kpi-patch": ("patch", "/api/v1/kpis/{kpi}/", {"name": "Net revenue"}, 200),
        "kpi-delete": ("delete", "/api/v1/kpis/{kpi}/", None, 204),
        "measurement-post": (
            "post",
            "/api/v1/kpis/{kpi}/measurements/",
            {"observed_at": "2026-04-01", "value": 3},
            201,
        ),
    }


DETAIL_WRITES = ["kpi-patch", "kpi-delete", "measurement-post"]
WRITE_NAMES = ["kpi-create", *DETAIL_WRITES]


@pytest.fixture
def send(api_client, world, django_capture_on_commit_callbacks):
    """Send one of the writes above with the client's credentials; tasks run on commit."""

    def send(name):
        method, template, body, _ = _writes(world)[name]
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(api_client, method)(_url(template, world), body, format="json")

    return send


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    """Store measurements through the service and run the rollup task, as a commit would."""

    def ingest(kpi, items):
        with django_capture_on_commit_callbacks(execute=True):
            return measurements_ingest(kpi_id=kpi.id, items=items)

    return ingest


@pytest.fixture
def post_measurements(api_client, world, django_capture_on_commit_callbacks):
    """POST to the world KPI's measurements as a product manager; the rollup task runs on commit."""

    def post(body):
        api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(f"/api/v1/kpis/{world.kpi.id}/measurements/", body, format="json")

    return post


def _csv_rows(response) -> list[tuple]:
    """The data rows of a rollups CSV (after checking its header), with numbers as numbers."""
    header, *rows = csv.reader(io.StringIO(_body(response)))
    assert ",".join(header) == CSV_HEADER
    return [(row[0], Decimal(row[1]), int(row[2]), Decimal(row[3]), row[4]) for row in rows]


def _combined(api_client, query):
    return api_client.get(f"/api/v1/rollups/?{query}").json()


def _rollups(api_client, world, query):
    return [
        (row["period_start"], row["value"], row["count"])
        for row in api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?{query}").json()
    ]


# --- reads: every role of the portfolio, another portfolio's member, anonymous ------------------------


@pytest.mark.parametrize("template", READS)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_read_kpi_data(api_client, world, role, template):
    api_client.force_authenticate(member(world.portfolio, role))
    assert api_client.get(_url(template, world)).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_its_portfolios_kpis_in_the_list(api_client, world, role):
    api_client.force_authenticate(member(world.portfolio, role))
    assert [row["id"] for row in api_client.get("/api/v1/kpis/").json()["results"]] == [world.kpi.id]


@pytest.mark.parametrize("template", COMBINED)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_read_combined_rollups(api_client, world, role, template):
    api_client.force_authenticate(member(world.portfolio, role))
    assert api_client.get(_url(template, world)).json() == [MARCH]


@pytest.mark.parametrize("template", READS)
def test_another_portfolios_member_gets_404(api_client, world, outsider, template):
    api_client.force_authenticate(outsider)
    assert api_client.get(_url(template, world)).status_code == 404


def test_kpi_list_shows_only_the_users_own_portfolios_kpis(api_client, world, outsider):
    own = KPIFactory(product=ProductFactory(portfolio=outsider.memberships.get().portfolio), key="revenue")
    api_client.force_authenticate(outsider)
    assert [row["id"] for row in api_client.get("/api/v1/kpis/").json()["results"]] == [own.id]


@pytest.mark.parametrize("template", COMBINED)
def test_combined_rollups_of_another_portfolio_are_empty(api_client, world, outsider, template):
    api_client.force_authenticate(outsider)
    response = api_client.get(_url(template, world))
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize("template", [*READS, "/api/v1/kpis/", *COMBINED])
def test_anonymous_cannot_read_kpi_data(api_client, world, template):
    assert api_client.get(_url(template, world)).status_code == 401


@pytest.mark.parametrize("name", WRITE_NAMES)
def test_anonymous_cannot_write_kpi_data(api_client, world, name, send):
    before = _snapshot()
    assert send(name).status_code == 401
    assert _snapshot() == before


# --- writes: the role matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", WRITE_NAMES)
@pytest.mark.parametrize("role", ROLES)
def test_kpi_write_matrix_by_role(api_client, world, role, name, send):
    success = _writes(world)[name][3]
    api_client.force_authenticate(member(world.portfolio, role))
    before = _snapshot()
    response = send(name)
    if role in MANAGERS:
        assert response.status_code == success, response.content
        assert _snapshot() != before
    else:
        assert response.status_code == 403, response.content
        assert _snapshot() == before


@pytest.mark.parametrize("name", DETAIL_WRITES)
def test_another_portfolios_admin_gets_404_on_kpi_writes(api_client, world, outsider, name, send):
    api_client.force_authenticate(outsider)
    before = _snapshot()
    assert send(name).status_code == 404
    assert _snapshot() == before


def test_another_portfolios_admin_cannot_add_a_kpi_to_its_product(api_client, world, outsider, send):
    api_client.force_authenticate(outsider)
    before = _snapshot()
    response = send("kpi-create")
    # The product is not among the user's: as a field of the body it "does not exist".
    assert response.status_code == 400 and "product" in response.json()
    assert _snapshot() == before


# --- measurements ------------------------------------------------------------------------------------


def test_posted_measurements_are_rolled_up_by_month(api_client, world, post_measurements):
    body = [{"observed_at": f"2026-05-{d:02d}", "value": 10} for d in range(1, 6)]
    response = post_measurements(body)
    assert (response.status_code, response.json()) == (201, {"created": 5, "updated": 0})
    may = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month&from=2026-05-01")
    assert may.json() == [
        {"period_start": "2026-05-01", "value": 50.0, "count": 5, "target": 100.0, "health": "off_track"}
    ]


def test_posted_measurements_are_rolled_up_by_iso_week(api_client, world, post_measurements):
    # 2026-05-01 is a Friday: Friday to Sunday belong to the week of Monday 27 April.
    body = [{"observed_at": f"2026-05-{d:02d}", "value": 10} for d in range(1, 6)]
    post_measurements(body)
    assert _rollups(api_client, world, "granularity=week&from=2026-04-27") == [
        ("2026-04-27", 30.0, 3),
        ("2026-05-04", 20.0, 2),
    ]


def test_a_single_measurement_is_accepted(api_client, world, post_measurements):
    response = post_measurements({"observed_at": "2026-05-02T10:00:00+02:00", "value": 2.5})
    assert (response.status_code, response.json()) == (201, {"created": 1, "updated": 0})
    assert _rollups(api_client, world, "granularity=day&from=2026-05-01") == [("2026-05-02", 2.5, 1)]


def test_bulk_with_one_bad_item_writes_nothing(api_client, world, post_measurements):
    before = _snapshot()
    body = [
        {"observed_at": "2026-05-01", "value": 1},
        {"observed_at": "2026-05-02T10:00:00", "value": 2},
        {"observed_at": "2026-05-03", "value": "lots"},
    ]
    response = post_measurements(body)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "index": 1,
                "field": "observed_at",
                "message": "A datetime needs a UTC offset (e.g. +00:00 or Z); without one it is ambiguous.",
            },
            {"index": 2, "field": "value", "message": "A number is required."},
        ]
    }
    assert _snapshot() == before


def test_single_measurement_without_offset_is_400(api_client, world, post_measurements):
    before = _snapshot()
    response = post_measurements({"observed_at": "2026-05-02T10:00:00", "value": 2})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "observed_at"
    assert _snapshot() == before


def test_more_than_ten_thousand_measurements_are_refused(api_client, world, post_measurements):
    before = _snapshot()
    body = [{"observed_at": "2026-05-01", "value": 1}] * 10_001
    response = post_measurements(body)
    assert response.status_code == 400 and "10,000" in response.json()["errors"][0]["message"]
    assert _snapshot() == before


def test_an_empty_list_of_measurements_is_refused(api_client, world, post_measurements):
    before = _snapshot()
    response = post_measurements([])
    assert response.status_code == 400 and response.json()["errors"]
    assert _snapshot() == before


def test_unknown_measurement_field_is_refused(api_client, world, post_measurements):
    before = _snapshot()
    response = post_measurements([{"observed_at": "2026-05-01", "value": 1, "unit": "EUR"}])
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 0, "field": "unit", "message": "Unknown field."}]
    assert _snapshot() == before


def test_repeated_external_id_updates_instead_of_adding(api_client, world, post_measurements):
    first = post_measurements({"observed_at": "2026-06-01", "value": 5, "external_id": "crm-1"})
    again = post_measurements({"observed_at": "2026-06-01", "value": 7, "external_id": "crm-1"})
    assert (first.status_code, first.json()) == (201, {"created": 1, "updated": 0})
    assert (again.status_code, again.json()) == (201, {"created": 0, "updated": 1})
    assert Measurement.objects.get(kpi=world.kpi, external_id="crm-1").value == 7
    assert _rollups(api_client, world, "granularity=day&from=2026-06-01") == [("2026-06-01", 7.0, 1)]


def test_moving_a_measurement_by_external_id_leaves_its_old_day_empty(api_client, world, post_measurements):
    post_measurements({"observed_at": "2026-06-01", "value": 5, "external_id": "x"})
    post_measurements({"observed_at": "2026-06-03", "value": 7, "external_id": "x"})
    assert _rollups(api_client, world, "granularity=day&from=2026-06-01") == [("2026-06-03", 7.0, 1)]


def test_the_same_external_id_on_another_kpi_adds(api_client, world, post_measurements):
    other = KPIFactory(product=world.product)
    items = [{"observed_at": "2026-06-01", "value": 1, "external_id": "x"}]
    measurements_ingest(kpi_id=other.id, items=items)
    response = post_measurements({"observed_at": "2026-06-01", "value": 5, "external_id": "x"})
    assert response.json() == {"created": 1, "updated": 0}
    assert Measurement.objects.filter(external_id="x").count() == 2


def test_repeated_external_id_within_one_request_is_refused(api_client, world, post_measurements):
    before = _snapshot()
    body = [
        {"observed_at": "2026-06-01", "value": 5, "external_id": "x"},
        {"observed_at": "2026-06-02", "value": 6, "external_id": "x"},
    ]
    response = post_measurements(body)
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "external_id")]
    assert _snapshot() == before


def test_iso_date_is_that_day_in_the_portfolio_time_zone(api_client, world, post_measurements):
    post_measurements({"observed_at": "2026-07-01", "value": 1, "external_id": "d"})
    stored = Measurement.objects.get(external_id="d").observed_at
    assert stored == datetime(2026, 7, 1, tzinfo=BERLIN)


def test_a_datetime_counts_on_its_day_in_the_portfolio_time_zone(api_client, world, post_measurements):
    # 23:30 UTC on 1 July is 01:30 on 2 July in Berlin.
    post_measurements({"observed_at": "2026-07-01T23:30:00Z", "value": 4})
    assert _rollups(api_client, world, "granularity=day&from=2026-07-01") == [("2026-07-02", 4.0, 1)]


@pytest.mark.parametrize("observed_at", ["0001-01-01", "9999-12-31T23:59:59+00:00", "31/12/2026", "", None])
def test_implausible_or_malformed_dates_are_field_errors(api_client, world, observed_at, post_measurements):
    before = _snapshot()
    response = post_measurements({"observed_at": observed_at, "value": 1})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "observed_at"
    assert _snapshot() == before


@pytest.mark.parametrize("value", ["lots", None, True, "NaN", "1e20"])
def test_bad_values_are_field_errors(api_client, world, value, post_measurements):
    before = _snapshot()
    response = post_measurements({"observed_at": "2026-05-01", "value": value})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "value"
    assert _snapshot() == before


def test_measurements_that_satisfy_a_rule_move_the_product(api_client, world, post_measurements):
    # The world's rule moves a product from launch to growth after three days of revenue ≥ 100.
    Product.objects.filter(pk=world.product.pk).update(stage=Stage.LAUNCH)
    today = timezone.now().astimezone(BERLIN).date()
    days = [today - timedelta(days=n) for n in (3, 2, 1)]
    post_measurements([{"observed_at": day.isoformat(), "value": 150} for day in days])
    latest = api_client.get(f"/api/v1/products/{world.product.id}/transitions/").json()["results"][0]
    assert (latest["from_stage"], latest["to_stage"], latest["actor"]) == ("launch", "growth", None)
    assert [row["value"] for row in latest["evidence"]["rollups"]] == [150, 150, 150]


def test_measurements_list_is_cursor_paginated(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    body = api_client.get(f"/api/v1/kpis/{world.kpi.id}/measurements/?page_size=4").json()
    assert len(body["results"]) == 4 and "cursor=" in body["next"]
    rest = api_client.get(body["next"]).json()
    assert len(rest["results"]) == 4
    assert {r["id"] for r in rest["results"]}.isdisjoint({r["id"] for r in body["results"]})


def test_measurements_list_newest_first_with_offsets(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    first = api_client.get(f"/api/v1/kpis/{world.kpi.id}/measurements/").json()["results"][0]
    assert datetime.fromisoformat(first["observed_at"]) == datetime(2026, 3, 10, tzinfo=BERLIN)
    assert first["value"] == 10.0


# --- KPIs --------------------------------------------------------------------------------------------


def test_created_kpi_has_the_contract_fields(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    body = api_client.post(
        "/api/v1/kpis/",
        {"product": world.product.id, "key": "nps", "name": "NPS", "aggregation": "avg", "target": 40},
        format="json",
    ).json()
    contract = ("product", "key", "name", "unit", "direction", "aggregation", "target", "health")
    picked = {field: body[field] for field in contract}
    assert picked == {
        "product": world.product.id,
        "key": "nps",
        "name": "NPS",
        "unit": "",
        "direction": "higher_is_better",
        "aggregation": "avg",
        "target": 40.0,
        "health": "no_data",
    }


def test_duplicate_kpi_key_on_a_product_is_a_field_error(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = api_client.post(
        "/api/v1/kpis/", {"product": world.product.id, "key": "revenue", "name": "Again"}, format="json"
    )
    assert response.status_code == 400 and "key" in response.json()
    assert _snapshot() == before


def test_renaming_a_kpi_key_to_a_taken_one_is_a_field_error(api_client, world):
    KPIFactory(product=world.product, key="signups")
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = api_client.patch(f"/api/v1/kpis/{world.kpi.id}/", {"key": "signups"}, format="json")
    assert response.status_code == 400 and "key" in response.json()
    assert _snapshot() == before


def test_the_same_kpi_key_on_another_product_is_fine(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    other = ProductFactory(portfolio=world.portfolio)
    body = {"product": other.id, "key": "revenue", "name": "Revenue"}
    response = api_client.post("/api/v1/kpis/", body, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "change, field", [({"direction": "sideways"}, "direction"), ({"aggregation": "median"}, "aggregation")]
)
def test_bad_kpi_choices_are_field_errors(api_client, world, change, field):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = api_client.post(
        "/api/v1/kpis/", {"product": world.product.id, "key": "nps", "name": "NPS", **change}, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert _snapshot() == before


def test_kpi_cannot_move_to_another_product(api_client, world):
    other = ProductFactory(portfolio=world.portfolio)
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = api_client.patch(f"/api/v1/kpis/{world.kpi.id}/", {"product": other.id}, format="json")
    assert response.status_code == 400 and "product" in response.json()
    assert _snapshot() == before


def test_kpi_health_is_read_only(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    response = api_client.patch(f"/api/v1/kpis/{world.kpi.id}/", {"health": "on_track"}, format="json")
    assert response.status_code == 200 and response.json()["health"] == "off_track"  # 55 in March vs 100


def test_changing_the_target_refreshes_health(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    response = api_client.patch(f"/api/v1/kpis/{world.kpi.id}/", {"target": 50}, format="json")
    assert response.json()["health"] == "on_track"


def test_deleting_a_kpi_deletes_its_measurements_and_rollups(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    api_client.delete(f"/api/v1/kpis/{world.kpi.id}/")
    assert (Measurement.objects.count(), Rollup.objects.count()) == (0, 0)


# --- rollups -----------------------------------------------------------------------------------------


def test_rollups_rows_have_the_contract_shape(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month").json()
    assert rows == [MARCH]


def test_rollups_default_to_days(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = _rollups(api_client, world, "")
    assert rows[0] == ("2026-03-01", 1.0, 1) and len(rows) == 10


def test_rollups_from_to_limit_the_periods(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = _rollups(api_client, world, "granularity=day&from=2026-03-03&to=2026-03-04")
    assert rows == [("2026-03-03", 3.0, 1), ("2026-03-04", 4.0, 1)]


@pytest.mark.parametrize(
    "query, field",
    [
        ("granularity=fortnight", "granularity"),
        ("from=yesterday", "from"),
        ("from=2026-05-01&to=2026-04-01", "to"),
    ],
)
def test_bad_rollup_query_is_a_field_error(api_client, world, query, field):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?{query}")
    assert response.status_code == 400 and field in response.json()


def test_rollups_csv_works_with_a_token_for_curl(api_client, world):
    user = member(world.portfolio, Role.VIEWER)
    login = {"username": user.username, "password": PASSWORD}
    token = api_client.post("/api/v1/auth/token/", login).json()["token"]
    curl = APIClient()
    curl.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="*/*")
    response = curl.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert _csv_rows(response) == [MARCH_CSV]


def test_rollups_csv_is_a_download(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month&format=csv")
    assert response["Content-Disposition"] == f'attachment; filename="revenue-{world.product.id}-month.csv"'


def test_rollups_csv_works_as_a_browser_link_with_the_session(client, world):
    client.force_login(member(world.portfolio, Role.VIEWER))
    response = client.get(
        f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month&format=csv", HTTP_ACCEPT=BROWSER_ACCEPT
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert _csv_rows(response) == [MARCH_CSV]


def test_rollups_csv_without_rows_still_has_the_header(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    query = "granularity=month&from=2030-01-01&format=csv"
    response = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?{query}")
    assert _body(response).splitlines() == [CSV_HEADER]


def test_combined_rollups_sum_across_a_product_line(api_client, world, ingest):
    sibling = ProductFactory(portfolio=world.portfolio, product_line=world.line)
    sibling_revenue = KPIFactory(product=sibling, key="revenue", target=50)
    ingest(sibling_revenue, [{"observed_at": "2026-03-20", "value": 80}])
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = _combined(api_client, f"key=revenue&granularity=month&product_line={world.line.id}")
    # 55 + 80 against 100 + 50: within 10 % below the target.
    assert rows == [{**MARCH, "value": 135.0, "count": 11, "target": 150.0, "health": "at_risk"}]


def test_combined_rollups_of_a_line_leave_out_other_lines(api_client, world, ingest):
    other_line = ProductLineFactory(portfolio=world.portfolio)
    elsewhere = ProductFactory(portfolio=world.portfolio, product_line=other_line)
    ingest(KPIFactory(product=elsewhere, key="revenue"), [{"observed_at": "2026-03-20", "value": 80}])
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = _combined(api_client, f"key=revenue&granularity=month&product_line={world.line.id}")
    assert rows == [MARCH]


def test_combined_rollups_average_weighted_by_count(api_client, world, ingest):
    a = KPIFactory(product=ProductFactory(portfolio=world.portfolio), key="conversion", aggregation="avg")
    b = KPIFactory(product=ProductFactory(portfolio=world.portfolio), key="conversion", aggregation="avg")
    ingest(a, [{"observed_at": "2026-03-02", "value": 10}] * 3)
    ingest(b, [{"observed_at": "2026-03-02", "value": 2}])
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = _combined(api_client, f"key=conversion&granularity=month&portfolio={world.portfolio.id}")
    assert (rows[0]["value"], rows[0]["count"]) == (8.0, 4)  # (3×10 + 2) / 4


def test_combined_rollups_need_a_scope(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get("/api/v1/rollups/?key=revenue")
    assert response.status_code == 400 and "portfolio" in response.json()


def test_combined_rollups_need_a_key(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get(f"/api/v1/rollups/?portfolio={world.portfolio.id}")
    assert response.status_code == 400 and "key" in response.json()


def test_combined_rollups_refuse_kpis_that_aggregate_differently(api_client, world):
    KPIFactory(product=ProductFactory(portfolio=world.portfolio), key="revenue", aggregation="avg")
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get(f"/api/v1/rollups/?key=revenue&portfolio={world.portfolio.id}")
    assert response.status_code == 400 and "key" in response.json()


def test_combined_rollups_csv_works_with_the_session(client, world):
    client.force_login(member(world.portfolio, Role.VIEWER))
    response = client.get(
        f"/api/v1/rollups/?key=revenue&granularity=month&portfolio={world.portfolio.id}&format=csv",
        HTTP_ACCEPT=BROWSER_ACCEPT,
    )
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert _csv_rows(response) == [MARCH_CSV]


# --- query counts ------------------------------------------------------------------------------------


@pytest.fixture
def crowded(world, ingest):
    """Six more products in the world's portfolio, each on its own line with a rolled-up revenue KPI."""
    for _ in range(6):
        line = ProductLineFactory(portfolio=world.portfolio)
        kpi = KPIFactory(product=ProductFactory(portfolio=world.portfolio, product_line=line), key="revenue")
        ingest(kpi, [{"observed_at": "2026-03-05", "value": 1}])
    return member(world.portfolio, Role.VIEWER)


# Today each takes 2 or 3 queries; the bound leaves room for 2 more, while an N+1 over the seven KPIs
# (or the ten measurements and day rollups of the world's KPI) would add at least six.
@pytest.mark.parametrize(
    "template, rows",
    [
        ("/api/v1/kpis/", 7),
        ("/api/v1/kpis/{kpi}/measurements/", 10),
        ("/api/v1/kpis/{kpi}/rollups/?granularity=day", 10),
        ("/api/v1/kpis/{kpi}/rollups/?granularity=day&format=csv", 11),
        ("/api/v1/rollups/?key=revenue&granularity=day&portfolio={portfolio}", 10),
        ("/api/v1/rollups/?key=revenue&granularity=day&product_line={line}", 10),
    ],
)
def test_kpi_list_query_count_does_not_grow_with_rows(
    api_client, world, crowded, template, rows, django_assert_max_num_queries
):
    api_client.force_authenticate(crowded)
    with django_assert_max_num_queries(5):
        response = api_client.get(_url(template, world))
    if "format=csv" in template:
        assert len(_body(response).splitlines()) == rows
    else:
        body = response.json()
        assert len(body if isinstance(body, list) else body["results"]) == rows


# --- health and docs -------------------------------------------------------------------------------


def test_healthz_reports_the_database_ok(client):
    response = client.get("/healthz")
    body = response.json()
    assert (response.status_code, body["status"], body["database"]["ok"]) == (200, "ok", True)


def test_healthz_reports_broker_and_worker(client):
    assert {"broker", "worker"} <= set(client.get("/healthz").json())


def test_schema_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200 and b"/api/v1/kpis/{id}/measurements/" in response.content


def test_docs_are_served_as_html(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_docs_load_scripts_and_styles_from_local_static_files(client):
    html = client.get("/api/docs/").content.decode()
    refs = re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)", html)
    assert refs, "the docs page loads no scripts or styles"
    # Static files, and the init script the split Swagger view serves from its own URL (no inline code).
    local = [ref for ref in refs if ref.startswith("/static/")]
    assert [ref for ref in refs if ref not in local and not ref.startswith("/api/docs/?script")] == []
    assert [ref for ref in local if not finders.find(ref.removeprefix("/static/"))] == []


def test_no_docs_page_that_needs_the_internet_is_served(client):
    # drf-spectacular's Redoc page links Google Fonts; only the self-contained Swagger UI is routed.
    assert client.get("/api/redoc/").status_code == 404


# --- periods not judged: the one in progress, a partly covered first one ---------------------------------
# The period holding today (in the portfolio's time zone) is `in_progress`; a first period the measurements
# cover only from part-way through is `partial`. Both rollup endpoints say so in JSON and in CSV alike.


@pytest.fixture
def running_month(world, ingest):
    """The world's KPI measured today as well (1 against a monthly target of 100): its month is running."""
    today = timezone.now().astimezone(BERLIN).date()
    ingest(world.kpi, [{"observed_at": today.isoformat(), "value": 1}])
    return today.replace(day=1).isoformat()


def test_kpi_rollups_mark_the_running_month_in_progress(api_client, world, running_month):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month").json()
    running = {"period_start": running_month, "value": 1.0, "count": 1, "target": 100.0, "health": "in_progress"}
    assert rows == [MARCH, running]  # March, complete, is still judged


def test_kpi_rollups_csv_marks_the_running_month_in_progress(api_client, world, running_month):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month&format=csv")
    assert _csv_rows(response) == [MARCH_CSV, (running_month, Decimal(1), 1, Decimal(100), "in_progress")]


def test_combined_rollups_mark_the_running_month_in_progress(api_client, world, running_month):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    query = f"key=revenue&granularity=month&portfolio={world.portfolio.id}"
    assert [row["health"] for row in _combined(api_client, query)] == ["off_track", "in_progress"]
    response = api_client.get(f"/api/v1/rollups/?{query}&format=csv")
    assert _csv_rows(response) == [MARCH_CSV, (running_month, Decimal(1), 1, Decimal(100), "in_progress")]


def test_only_today_is_in_progress_by_day(api_client, world, running_month):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=day").json()
    assert [row["health"] for row in rows].count("in_progress") == 1 and rows[-1]["health"] == "in_progress"
    assert rows[0]["health"] == "off_track"  # 1 on 1 March against a day's share of 100


def test_the_kpis_stored_health_is_its_latest_complete_month(api_client, world, running_month):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    assert api_client.get(f"/api/v1/kpis/{world.kpi.id}/").json()["health"] == "off_track"  # March


@pytest.mark.parametrize(
    "now_utc, march",
    [
        ("2026-03-31T21:30:00+00:00", "in_progress"),  # 23:30 on 31 March in Berlin
        ("2026-03-31T22:30:00+00:00", "off_track"),  # 00:30 on 1 April in Berlin: March has ended
    ],
)
def test_in_progress_follows_the_portfolios_time_zone(api_client, world, monkeypatch, now_utc, march):
    monkeypatch.setattr(timezone, "now", lambda: datetime.fromisoformat(now_utc))
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    month = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month").json()
    combined = _combined(api_client, f"key=revenue&granularity=month&portfolio={world.portfolio.id}")
    assert [row["health"] for row in month] == [row["health"] for row in combined] == [march]


MARCH_15 = datetime(2026, 3, 15).date()


@pytest.fixture
def signups(world, ingest):
    """A KPI first measured on 15 March, daily to 14 April: March is only partly covered."""
    kpi = KPIFactory(product=world.product, key="signups", target=100, target_granularity="month")
    ingest(kpi, [{"observed_at": (MARCH_15 + timedelta(days=n)).isoformat(), "value": 1} for n in range(31)])
    return kpi


def test_a_partly_covered_first_month_is_partial_not_off_track(api_client, world, signups):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = api_client.get(f"/api/v1/kpis/{signups.id}/rollups/?granularity=month").json()
    assert [(row["period_start"], row["count"], row["health"]) for row in rows] == [
        ("2026-03-01", 17, "partial"),
        ("2026-04-01", 14, "off_track"),  # a whole month, judged (14 of 100)
    ]
    csv_rows = _csv_rows(api_client.get(f"/api/v1/kpis/{signups.id}/rollups/?granularity=month&format=csv"))
    assert [row[4] for row in csv_rows] == ["partial", "off_track"]
    by_week = api_client.get(f"/api/v1/kpis/{signups.id}/rollups/?granularity=week").json()
    assert by_week[0]["period_start"] == "2026-03-09" and by_week[0]["health"] == "partial"  # a Sunday start
    assert "partial" not in {row["health"] for row in by_week[1:]}


def test_combined_first_month_is_partial_when_the_key_was_first_measured_late(api_client, world, signups):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = _combined(api_client, f"key=signups&granularity=month&portfolio={world.portfolio.id}")
    assert [row["health"] for row in rows] == ["partial", "off_track"]
    # Revenue was measured from 1 March on: its March is covered and judged.
    assert _combined(api_client, f"key=revenue&granularity=month&portfolio={world.portfolio.id}") == [MARCH]


def test_the_schema_lists_the_unjudged_health_values(client):
    schema = client.get("/api/schema/").content.decode()
    assert "in_progress" in schema and "partial" in schema
