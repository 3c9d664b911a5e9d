"""KPI forms and the measurements page: one value, pasted rows, CSV uploads, corrections."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kpis.models import KPI, Measurement, Rollup
from products.models import DomainEvent, Role
from tests.factories import KPIFactory, MeasurementFactory, ProductFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpi():
    product = ProductFactory(portfolio__timezone="Europe/Berlin")
    return KPIFactory(product=product, key="revenue", name="Revenue", aggregation="sum")


@pytest.fixture
def pm(client, kpi):
    user = member(kpi.product.portfolio, Role.PRODUCT_MANAGER)
    client.force_login(user)
    return user


def _upload(client, kpi, content: bytes, name="values.csv"):
    return client.post(
        f"/kpis/{kpi.id}/measurements/", {"action": "upload", "file": SimpleUploadedFile(name, content, "text/csv")}
    )


# --- KPI form -----------------------------------------------------------------------------------------


def test_create_kpi_with_a_target(client, kpi, pm, django_capture_on_commit_callbacks):
    form = {
        "name": "Weekly active users",
        "key": "weekly_active_users",
        "unit": "users",
        "direction": "higher_is_better",
        "aggregation": "last",
        "target": "1,500",
        "target_granularity": "week",
        "tolerance_pct": "10",
        "headline": "on",
    }
    response = client.post(f"/kpis/new/?product={kpi.product_id}", form)
    created = KPI.objects.get(key="weekly_active_users")
    assert response.status_code == 302 and response["Location"] == f"/kpis/{created.id}/measurements/"
    assert (created.target, created.target_granularity, created.headline) == (Decimal(1500), "week", True)


@pytest.mark.parametrize(
    "field, value",
    [
        ("target", "1e9999999"),
        ("target", "NaN"),
        ("target", "0.0000001"),
        ("tolerance_pct", "-5"),
        ("key", "Revenue!"),
        ("key", "revenue"),
        ("aggregation", "median"),
        ("name", ""),
    ],
)
def test_kpi_form_refuses_bad_input(client, kpi, pm, field, value):
    form = {
        "name": "Sign-ups",
        "key": "signups",
        "direction": "higher_is_better",
        "aggregation": "sum",
        "target_granularity": "month",
        "tolerance_pct": "10",
        field: value,
    }
    response = client.post(f"/kpis/new/?product={kpi.product_id}", form)
    assert response.status_code == 400
    assert KPI.objects.count() == 1


# --- measurements ---------------------------------------------------------------------------------


def test_add_one_value_recomputes_rollups(client, kpi, pm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/kpis/{kpi.id}/measurements/", {"action": "single", "observed_at": "2026-03-02", "value": "12.5"}
        )
    assert response.status_code == 302
    assert Rollup.objects.get(kpi=kpi, granularity="day").value == Decimal("12.5")


def test_one_bad_value_is_a_field_error(client, kpi, pm):
    response = client.post(
        f"/kpis/{kpi.id}/measurements/", {"action": "single", "observed_at": "2026-02-30", "value": "1"}
    )
    assert response.status_code == 400 and not Measurement.objects.exists()


def test_paste_rows_from_a_spreadsheet(client, kpi, pm):
    rows = "2026-03-01\t1520\n2026-03-02\t1575,5\n\n2026-03-03\t1 600"
    response = client.post(f"/kpis/{kpi.id}/measurements/", {"action": "paste", "rows": rows})
    assert response.status_code == 400  # "1 600" is not a number: nothing imported
    assert not Measurement.objects.exists()
    response = client.post(f"/kpis/{kpi.id}/measurements/", {"action": "paste", "rows": rows.replace("1 600", "1600")})
    assert response.status_code == 302
    assert sorted(Measurement.objects.values_list("value", flat=True)) == [1520, Decimal("1575.5"), 1600]


def test_csv_upload_with_bom_semicolons_and_quotes(client, kpi, pm):
    content = '\ufeffobserved_at;value;external_id\n2026-03-01;"1.234,5";crm-1\n2026-03-02;10;crm-2\n'.encode()
    assert _upload(client, kpi, content).status_code == 302
    assert dict(Measurement.objects.values_list("external_id", "value")) == {
        "crm-1": Decimal("1234.5"),
        "crm-2": Decimal("10"),
    }
    assert DomainEvent.objects.get(verb="kpi.measurements_added").data["source"].startswith("import ")


def test_uploading_the_same_external_ids_again_updates(client, kpi, pm):
    _upload(client, kpi, b"observed_at,value,external_id\n2026-03-01,5,a\n")
    _upload(client, kpi, b"observed_at,value,external_id\n2026-03-01,7,a\n")
    assert list(Measurement.objects.values_list("value", flat=True)) == [7]


def test_a_csv_with_bad_rows_imports_nothing_and_names_each_row(client, kpi, pm):
    content = b"observed_at,value\n2026-03-01,5\n2026-13-01,6\n2026-03-03,\n2026-03-04,1,2,3\n"
    response = _upload(client, kpi, content)
    page = response.content.decode()
    assert response.status_code == 400 and not Measurement.objects.exists()
    assert "Nothing was imported" in page
    errors = response.context["import_errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(3, "observed_at"), (4, "value"), (5, None)]


def test_decimal_commas_are_refused_with_comma_separators(client, kpi, pm):
    response = _upload(client, kpi, b'observed_at,value\n2026-03-01,"12,5"\n')
    assert response.status_code == 400 and not Measurement.objects.exists()


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"\xff\xfe\x00o", "UTF-8"),
        (b"observed_at,value\n2026-03-01,1\x00\n", "NUL"),
        (b"", "empty"),
        (b"\n\n", "no rows"),
        (b"observed_at,colour\n2026-03-01,red\n", "Unknown column"),
    ],
)
def test_files_that_are_not_csv_are_refused_clearly(client, kpi, pm, content, problem):
    response = _upload(client, kpi, content)
    assert response.status_code == 400 and problem in response.content.decode()
    assert not Measurement.objects.exists()


def test_the_upload_size_is_limited(client, kpi, pm, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = _upload(client, kpi, b"observed_at,value\n" + b"2026-03-01,1\n" * 20)
    assert response.status_code == 400 and "larger than" in response.content.decode()


def test_correct_a_value_moves_it_and_its_rollups(client, kpi, pm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/kpis/{kpi.id}/measurements/", {"action": "single", "observed_at": "2026-03-01", "value": "5"})
    measurement = Measurement.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/measurements/{measurement.id}/correct/",
            {f"m{measurement.id}-observed_at": "2026-03-05", f"m{measurement.id}-value": "8"},
        )
    assert response.status_code == 302
    days = dict(Rollup.objects.filter(kpi=kpi, granularity="day").values_list("period_start", "value"))
    assert list(days.values()) == [Decimal(8)] and str(list(days)[0]) == "2026-03-05"
    assert DomainEvent.objects.get(verb="kpi.measurement_corrected").changes["value"] == ["5", "8"]


def test_delete_a_value(client, kpi, pm):
    measurement = MeasurementFactory(kpi=kpi)
    assert client.post(f"/measurements/{measurement.id}/delete/").status_code == 302
    assert not Measurement.objects.exists()


def test_viewer_sees_values_but_no_forms(client, kpi):
    MeasurementFactory(kpi=kpi, value=42)
    client.force_login(member(kpi.product.portfolio, Role.VIEWER))
    page = client.get(f"/kpis/{kpi.id}/measurements/").content.decode()
    assert "42" in page and "Upload a CSV" not in page and "Read only" in page


def test_measurements_csv_download(client, kpi, pm):
    MeasurementFactory(kpi=kpi, value=42, external_id="x-1")
    body = client.get(f"/kpis/{kpi.id}/measurements/?format=csv").content.decode("utf-8-sig")
    assert body.splitlines()[0] == "observed_at,value,external_id" and body.splitlines()[1].endswith(",42,x-1")


def test_measurements_page_query_count_at_ten_times_the_values(client, kpi, pm, django_assert_max_num_queries):
    for n in range(500):
        MeasurementFactory(kpi=kpi, value=n)
    client.get(f"/kpis/{kpi.id}/measurements/")
    with django_assert_max_num_queries(10):
        assert client.get(f"/kpis/{kpi.id}/measurements/").status_code == 200


def test_older_values_are_a_page_away(client, kpi, pm):
    for n in range(60):
        MeasurementFactory(kpi=kpi, value=n, observed_at=f"2026-01-01T00:{n:02d}:00+00:00")
    first = client.get(f"/kpis/{kpi.id}/measurements/")
    assert "1–50 of 60" in first.content.decode() and "?page=2" in first.content.decode()
    second = client.get(f"/kpis/{kpi.id}/measurements/?page=2").content.decode()
    assert "51–60 of 60" in second and "Newer" in second
