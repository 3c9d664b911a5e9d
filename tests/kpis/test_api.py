"""The KPI API: permission matrix, measurements (single, bulk, idempotent, all or nothing), rollups, CSV."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kpis.models import KPI, Measurement, Rollup
from products.models import Role
from tests.factories import KPIFactory, ProductFactory, ProductLineFactory, member

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER]
MANAGERS = {Role.ADMIN, Role.PRODUCT_MANAGER}

READS = [
    "/api/v1/kpis/{kpi}/",
    "/api/v1/kpis/{kpi}/measurements/",
    "/api/v1/kpis/{kpi}/rollups/?granularity=month",
    "/api/v1/kpis/{kpi}/rollups/?granularity=month&format=csv",
]


def _url(template, world):
    return template.format(kpi=world.kpi.id, portfolio=world.portfolio.id, product=world.product.id)


def _snapshot():
    return (
        KPI.objects.count(),
        list(KPI.objects.values_list("name", flat=True)),
        list(Measurement.objects.order_by("id").values_list("observed_at", "value")),
        Rollup.objects.count(),
    )


def _writes(world):
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


@pytest.mark.parametrize("template", READS)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_read_kpi_data(api_client, world, role, template):
    api_client.force_authenticate(member(world.portfolio, role))
    assert api_client.get(_url(template, world)).status_code == 200


@pytest.mark.parametrize("template", [*READS, "/api/v1/rollups/?key=revenue&portfolio={portfolio}"])
def test_another_portfolios_member_gets_404_or_nothing(api_client, world, template):
    api_client.force_authenticate(member(world.portfolio, None))
    response = api_client.get(_url(template, world))
    if template.startswith("/api/v1/rollups/"):
        assert response.status_code == 200 and response.json() == []
    else:
        assert response.status_code == 404


def test_kpi_list_hides_another_portfolios_kpis(api_client, world):
    api_client.force_authenticate(member(world.portfolio, None))
    assert api_client.get("/api/v1/kpis/").json()["count"] == 0


@pytest.mark.parametrize("template", [*READS, "/api/v1/kpis/", "/api/v1/rollups/?key=revenue&portfolio={portfolio}"])
def test_anonymous_is_refused_kpi_data(api_client, world, template):
    assert api_client.get(_url(template, world)).status_code == 401


@pytest.mark.parametrize("name", ["kpi-create", "kpi-patch", "kpi-delete", "measurement-post"])
@pytest.mark.parametrize("role", ROLES)
def test_kpi_write_matrix_by_role(api_client, world, role, name, django_capture_on_commit_callbacks):
    method, template, body, success = _writes(world)[name]
    api_client.force_authenticate(member(world.portfolio, role))
    before = _snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(api_client, method)(_url(template, world), body, format="json")
    if role in MANAGERS:
        assert response.status_code == success, response.content
    else:
        assert response.status_code == 403, response.content
        assert _snapshot() == before


@pytest.mark.parametrize("name", ["kpi-create", "kpi-patch", "kpi-delete", "measurement-post"])
def test_another_portfolios_admin_cannot_write_kpi_data(api_client, world, name):
    method, template, body, _ = _writes(world)[name]
    api_client.force_authenticate(member(world.portfolio, None))
    before = _snapshot()
    response = getattr(api_client, method)(_url(template, world), body, format="json")
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "product" in response.json()
    assert _snapshot() == before


# --- measurements ------------------------------------------------------------------------------------


def _post(api_client, world, body, capture, role=Role.PRODUCT_MANAGER):
    api_client.force_authenticate(member(world.portfolio, role))
    with capture(execute=True):
        return api_client.post(f"/api/v1/kpis/{world.kpi.id}/measurements/", body, format="json")


def test_bulk_measurements_are_created_and_rolled_up(api_client, world, django_capture_on_commit_callbacks):
    body = [{"observed_at": f"2026-05-{d:02d}", "value": 10} for d in range(1, 6)]
    response = _post(api_client, world, body, django_capture_on_commit_callbacks)
    assert (response.status_code, response.json()) == (201, {"created": 5, "updated": 0})
    may = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month&from=2026-05-01&to=2026-05-31")
    assert may.json() == [
        {"period_start": "2026-05-01", "value": 50.0, "count": 5, "target": 100.0, "health": "off_track"}
    ]


def test_bulk_with_one_bad_item_writes_nothing(api_client, world, django_capture_on_commit_callbacks):
    before = _snapshot()
    body = [
        {"observed_at": "2026-05-01", "value": 1},
        {"observed_at": "2026-05-02T10:00:00", "value": 2},
        {"observed_at": "2026-05-03", "value": "lots"},
    ]
    response = _post(api_client, world, body, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": 1,
            "field": "observed_at",
            "message": "A datetime needs a UTC offset (e.g. +00:00 or Z); without one it is ambiguous.",
        },
        {"index": 2, "field": "value", "message": "A number is required."},
    ]
    assert _snapshot() == before


def test_single_measurement_without_offset_is_400(api_client, world, django_capture_on_commit_callbacks):
    before = _snapshot()
    response = _post(
        api_client, world, {"observed_at": "2026-05-02T10:00:00", "value": 2}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "observed_at"
    assert _snapshot() == before


def test_more_than_ten_thousand_measurements_are_refused(api_client, world, django_capture_on_commit_callbacks):
    before = _snapshot()
    body = [{"observed_at": "2026-05-01", "value": 1}] * 10_001
    response = _post(api_client, world, body, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "10,000" in response.json()["errors"][0]["message"]
    assert _snapshot() == before


def test_repeated_external_id_updates_instead_of_adding(api_client, world, django_capture_on_commit_callbacks):
    first = _post(
        api_client,
        world,
        {"observed_at": "2026-06-01", "value": 5, "external_id": "crm-1"},
        django_capture_on_commit_callbacks,
    )
    again = _post(
        api_client,
        world,
        {"observed_at": "2026-06-01", "value": 7, "external_id": "crm-1"},
        django_capture_on_commit_callbacks,
    )
    assert first.json() == {"created": 1, "updated": 0} and again.json() == {"created": 0, "updated": 1}
    assert Measurement.objects.get(kpi=world.kpi, external_id="crm-1").value == 7
    june = Rollup.objects.get(kpi=world.kpi, granularity="day", period_start="2026-06-01")
    assert (june.value, june.count) == (7, 1)


def test_repeated_external_id_within_one_request_is_refused(api_client, world, django_capture_on_commit_callbacks):
    body = [
        {"observed_at": "2026-06-01", "value": 5, "external_id": "x"},
        {"observed_at": "2026-06-02", "value": 6, "external_id": "x"},
    ]
    response = _post(api_client, world, body, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and response.json()["errors"][0]["index"] == 1


def test_iso_date_is_that_day_in_the_portfolio_time_zone(api_client, world, django_capture_on_commit_callbacks):
    _post(
        api_client,
        world,
        {"observed_at": "2026-07-01", "value": 1, "external_id": "d"},
        django_capture_on_commit_callbacks,
    )
    stored = Measurement.objects.get(external_id="d").observed_at
    assert stored == datetime(2026, 7, 1, tzinfo=ZoneInfo("Europe/Berlin"))


def test_measurements_list_is_cursor_paginated(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    body = api_client.get(f"/api/v1/kpis/{world.kpi.id}/measurements/?page_size=4").json()
    assert len(body["results"]) == 4 and body["next"] and "cursor=" in body["next"]
    rest = api_client.get(body["next"]).json()
    assert len(rest["results"]) == 4 and {r["id"] for r in rest["results"]}.isdisjoint(
        {r["id"] for r in body["results"]}
    )


# --- KPIs --------------------------------------------------------------------------------------------


def test_duplicate_kpi_key_on_a_product_is_a_field_error(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = api_client.post(
        "/api/v1/kpis/", {"product": world.product.id, "key": "revenue", "name": "Again"}, format="json"
    )
    assert response.status_code == 400 and "key" in response.json()
    assert _snapshot() == before


def test_kpi_health_is_read_only(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    response = api_client.patch(f"/api/v1/kpis/{world.kpi.id}/", {"health": "on_track"}, format="json")
    assert response.status_code == 200 and response.json()["health"] == "off_track"  # 55 in March vs 100


def test_changing_the_target_refreshes_health(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    response = api_client.patch(f"/api/v1/kpis/{world.kpi.id}/", {"target": 50}, format="json")
    assert response.json()["health"] == "on_track"


# --- rollups -----------------------------------------------------------------------------------------


def test_rollups_rows_have_the_contract_shape(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month").json()
    assert rows == [{"period_start": "2026-03-01", "value": 55.0, "count": 10, "target": 100.0, "health": "off_track"}]


def test_rollups_from_to_limit_the_periods(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=day&from=2026-03-03&to=2026-03-04").json()
    assert [(r["period_start"], r["value"]) for r in rows] == [("2026-03-03", 3.0), ("2026-03-04", 4.0)]


@pytest.mark.parametrize(
    "query, field",
    [("granularity=fortnight", "granularity"), ("from=yesterday", "from"), ("from=2026-05-01&to=2026-04-01", "to")],
)
def test_bad_rollup_query_is_a_field_error(api_client, world, query, field):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?{query}")
    assert response.status_code == 400 and field in response.json()


def test_rollups_csv_works_with_a_token_for_curl(api_client, world):
    user = member(world.portfolio, Role.VIEWER)
    token = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": "secret-pass-1"}).json()[
        "token"
    ]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month&format=csv")
    lines = response.content.decode().splitlines()
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    assert lines[0] == "period_start,value,count,target,health"
    assert lines[1].startswith("2026-03-01,55")


def test_rollups_csv_works_as_a_browser_link_with_the_session(client, world):
    client.force_login(member(world.portfolio, Role.VIEWER))
    response = client.get(f"/api/v1/kpis/{world.kpi.id}/rollups/?granularity=month&format=csv")
    assert response.status_code == 200 and response.content.decode().startswith("period_start,value")


def test_combined_rollups_sum_across_a_product_line(api_client, world, django_capture_on_commit_callbacks):
    from kpis.services import measurements_ingest

    sibling = KPIFactory(
        product=ProductFactory(portfolio=world.portfolio, product_line=world.line), key="revenue", target=50
    )
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=sibling.id, items=[{"observed_at": "2026-03-20", "value": 80}])
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = api_client.get(f"/api/v1/rollups/?key=revenue&granularity=month&product_line={world.line.id}").json()
    assert rows == [{"period_start": "2026-03-01", "value": 135.0, "count": 11, "target": 150.0, "health": "at_risk"}]


def test_combined_rollups_average_weighted_by_count(api_client, world, django_capture_on_commit_callbacks):
    from kpis.services import measurements_ingest

    a = KPIFactory(product=ProductFactory(portfolio=world.portfolio), key="conversion", aggregation="avg")
    b = KPIFactory(product=ProductFactory(portfolio=world.portfolio), key="conversion", aggregation="avg")
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=a.id, items=[{"observed_at": "2026-03-02", "value": 10}] * 3)
        measurements_ingest(kpi_id=b.id, items=[{"observed_at": "2026-03-02", "value": 2}])
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    rows = api_client.get(f"/api/v1/rollups/?key=conversion&granularity=month&portfolio={world.portfolio.id}").json()
    assert rows[0]["value"] == 8.0 and rows[0]["count"] == 4  # (3×10 + 2) / 4


def test_combined_rollups_need_a_scope(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get("/api/v1/rollups/?key=revenue")
    assert response.status_code == 400 and "portfolio" in response.json()


def test_combined_rollups_csv(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get(
        f"/api/v1/rollups/?key=revenue&granularity=month&portfolio={world.portfolio.id}&format=csv"
    )
    assert response.content.decode().splitlines()[0] == "period_start,value,count,target,health"


# --- query counts, health, docs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "/api/v1/kpis/",
        "/api/v1/kpis/{kpi}/measurements/",
        "/api/v1/kpis/{kpi}/rollups/?granularity=day",
        "/api/v1/rollups/?key=revenue&granularity=day&portfolio={portfolio}",
    ],
)
def test_kpi_list_query_count_does_not_grow(api_client, world, template, django_assert_max_num_queries):
    for _ in range(6):
        KPIFactory(
            product=ProductFactory(
                portfolio=world.portfolio, product_line=ProductLineFactory(portfolio=world.portfolio)
            ),
            key="revenue",
        )
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    with django_assert_max_num_queries(5):
        assert api_client.get(_url(template, world)).status_code == 200


def test_healthz_reports_database_broker_and_worker(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"]["ok"] and "worker" in body and "broker" in body


def test_schema_and_docs_are_served_without_internet(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs.lower()
    assert "https://" not in docs and "http://" not in docs.replace("http://testserver", "")


@pytest.mark.parametrize("observed_at", ["0001-01-01", "9999-12-31T23:59:59+00:00", "31/12/2026", "", None])
def test_implausible_or_malformed_dates_are_field_errors(
    api_client, world, observed_at, django_capture_on_commit_callbacks
):
    before = _snapshot()
    response = _post(api_client, world, {"observed_at": observed_at, "value": 1}, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "observed_at"
    assert _snapshot() == before


def test_no_docs_page_that_needs_the_internet_is_served(client):
    # drf-spectacular's Redoc page links Google Fonts; only the self-contained Swagger UI is routed.
    assert client.get("/api/redoc/").status_code == 404
