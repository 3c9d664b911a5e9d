"""CSV imports (POST /api/v1/imports/, /api/v1/kpis/{id}/imports/, GET /api/v1/imports/{id}/): checked
completely before anything is written, all or nothing, errors by line and column."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kpis import services
from kpis.models import Import, ImportFile, KeyRollup, Measurement, PendingRollup, Rollup
from tests.factories import KPIFactory, ProductFactory, member

pytestmark = pytest.mark.django_db
HEADER = "product,key,observed_at,value,external_id\n"


@pytest.fixture
def setup(world):
    """The world (Berlin) with a second product "Nova" that has revenue and signups."""
    nova = ProductFactory(portfolio=world.portfolio, product_line=world.line, name="Nova")
    world.nova = nova
    world.nova_revenue = KPIFactory(product=nova, key="revenue")
    world.nova_signups = KPIFactory(product=nova, key="signups")
    world.pm = member(world.portfolio, "product_manager")
    return world


def _upload(api_client, user, content: bytes, portfolio, capture, name="feed.csv"):
    api_client.force_authenticate(user)
    with capture(execute=True):
        response = api_client.post(
            "/api/v1/imports/",
            {"portfolio": portfolio.id, "file": SimpleUploadedFile(name, content, "text/csv")},
            format="multipart",
        )
    return response


def _status(api_client, response):
    assert response.status_code == 202, response.content
    return api_client.get(response.json()["url"]).json()


def test_a_portfolio_file_is_imported_by_product_name_or_id_and_rolled_up(
    api_client, setup, django_capture_on_commit_callbacks
):
    content = (
        HEADER
        + f"Nova,revenue,2026-04-01,10,inv-1\n{setup.nova.id},signups,2026-04-01,3,\n"
        + f"{setup.product.name},revenue,2026-04-02T09:30:00+02:00,5.25,\n"
    ).encode()
    response = _upload(api_client, setup.pm, content, setup.portfolio, django_capture_on_commit_callbacks)
    body = _status(api_client, response)
    assert body["status"] == "done"
    assert (body["total"], body["processed"], body["percent"], body["created"], body["updated"]) == (3, 3, 100, 3, 0)
    assert body["errors"] == [] and body["finished_at"]
    assert Measurement.objects.get(kpi=setup.nova_revenue).external_id == "inv-1"
    assert Rollup.objects.get(kpi=setup.nova_signups, granularity="day").value == 3
    april = KeyRollup.objects.get(key="revenue", product_line=None, granularity="month", period_start="2026-04-01")
    assert april.value == Decimal("15.25")
    assert not PendingRollup.objects.exists()
    assert not ImportFile.objects.exists()  # the file is freed once done


def test_a_spreadsheet_file_with_bom_semicolons_quotes_and_decimal_commas_is_imported(
    api_client, setup, django_capture_on_commit_callbacks
):
    content = '\ufeffproduct;key;observed_at;value\n"Nova";revenue;2026-04-01;"1.234,5"\nNova;signups;2026-04-01;7\n'
    response = _upload(api_client, setup.pm, content.encode(), setup.portfolio, django_capture_on_commit_callbacks)
    assert _status(api_client, response)["status"] == "done"
    assert Measurement.objects.get(kpi=setup.nova_revenue).value == Decimal("1234.5")


def test_importing_the_same_external_ids_again_updates_them(api_client, setup, django_capture_on_commit_callbacks):
    first = (HEADER + "Nova,revenue,2026-04-01,10,inv-1\n").encode()
    _upload(api_client, setup.pm, first, setup.portfolio, django_capture_on_commit_callbacks)
    again = (HEADER + "Nova,revenue,2026-04-03,12,inv-1\n").encode()
    body = _status(
        api_client, _upload(api_client, setup.pm, again, setup.portfolio, django_capture_on_commit_callbacks)
    )
    assert (body["created"], body["updated"]) == (0, 1)
    assert Measurement.objects.get(kpi=setup.nova_revenue).value == 12
    days = set(Rollup.objects.filter(kpi=setup.nova_revenue, granularity="day").values_list("period_start", flat=True))
    assert [d.isoformat() for d in days] == ["2026-04-03"]


BAD_FILES = [
    ("wrong header", "when,what\n2026-04-01,1\n", [(1, None)]),
    ("missing column", "product,key,value\nNova,revenue,1\n", [(1, "observed_at")]),
    ("bad date", HEADER + "Nova,revenue,2026-02-30,1,\n", [(2, "observed_at")]),
    ("no offset", HEADER + "Nova,revenue,2026-04-01T10:00:00,1,\n", [(2, "observed_at")]),
    ("not a number", HEADER + "Nova,revenue,2026-04-01,twelve,\n", [(2, "value")]),
    ("NaN", HEADER + "Nova,revenue,2026-04-01,NaN,\n", [(2, "value")]),
    ("Infinity", HEADER + "Nova,revenue,2026-04-01,Infinity,\n", [(2, "value")]),
    ("too many digits", HEADER + "Nova,revenue,2026-04-01,123456789012345,\n", [(2, "value")]),
    ("decimal comma with commas", HEADER + 'Nova,revenue,2026-04-01,"12,5",\n', [(2, "value")]),
    ("unknown product", HEADER + "Nope,revenue,2026-04-01,1,\n", [(2, "product")]),
    ("unknown key", HEADER + "Nova,churn,2026-04-01,1,\n", [(2, "key")]),
    ("too many fields", HEADER + "Nova,revenue,2026-04-01,1,x,y\n", [(2, None)]),
    (
        "repeated external id",
        HEADER + "Nova,revenue,2026-04-01,1,a\nNova,revenue,2026-04-02,1,a\n",
        [(3, "external_id")],
    ),
]


@pytest.mark.parametrize(("content", "expected"), [(c, e) for _, c, e in BAD_FILES], ids=[n for n, _, _ in BAD_FILES])
def test_a_bad_file_imports_nothing_and_names_line_and_column(
    api_client, setup, content, expected, django_capture_on_commit_callbacks
):
    before = Measurement.objects.count()
    good = "Nova,signups,2026-04-01,1,\n"
    content = content + good if content.startswith(HEADER) else content
    body = _status(
        api_client, _upload(api_client, setup.pm, content.encode(), setup.portfolio, django_capture_on_commit_callbacks)
    )
    assert body["status"] == "failed"
    assert [(e["line"], e["column"]) for e in body["errors"]] == expected
    assert all(e["message"] for e in body["errors"])
    assert Measurement.objects.count() == before


def test_another_portfolios_product_is_unknown_here(api_client, setup, django_capture_on_commit_callbacks):
    foreign = KPIFactory(key="revenue")
    content = (HEADER + f"{foreign.product_id},revenue,2026-04-01,1,\n").encode()
    body = _status(
        api_client, _upload(api_client, setup.pm, content, setup.portfolio, django_capture_on_commit_callbacks)
    )
    assert body["status"] == "failed" and body["errors"][0]["column"] == "product"
    assert not Measurement.objects.filter(kpi=foreign).exists()


def test_every_bad_row_is_reported_up_to_1000_with_a_flag(api_client, setup, django_capture_on_commit_callbacks):
    content = (HEADER + "Nova,revenue,2026-04-01,x,\n" * 1200 + "Nova,revenue,2026-04-01,1,\n").encode()
    body = _status(
        api_client, _upload(api_client, setup.pm, content, setup.portfolio, django_capture_on_commit_callbacks)
    )
    assert body["status"] == "failed"
    assert len(body["errors"]) == 1000 and body["errors_truncated"] is True
    assert body["errors"][0]["line"] == 2 and body["errors"][-1]["line"] == 1001
    assert body["total"] == 1201


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "empty"), (b"\n \n", "empty"), (b"\xff\xfe\x00o", "UTF-8"), (b"product,key\x00", "NUL")],
)
def test_files_that_are_no_csv_are_refused_clearly(
    api_client, setup, content, problem, django_capture_on_commit_callbacks
):
    response = _upload(api_client, setup.pm, content, setup.portfolio, django_capture_on_commit_callbacks)
    if response.status_code == 400:
        assert problem in " ".join(response.json()["file"])
    else:
        body = _status(api_client, response)
        assert body["status"] == "failed" and problem in body["errors"][0]["message"]
    assert not Measurement.objects.filter(kpi__product=setup.nova).exists()


def test_a_file_over_the_size_limit_is_a_400_on_file(api_client, setup, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_MAX_BYTES = 1000
    content = (HEADER + "Nova,revenue,2026-04-01,1,\n" * 100).encode()
    response = _upload(api_client, setup.pm, content, setup.portfolio, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "larger than" in response.json()["file"][0]
    assert not Import.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "marketer"])
def test_a_role_that_may_not_measure_cannot_import(api_client, setup, role, django_capture_on_commit_callbacks):
    content = (HEADER + "Nova,revenue,2026-04-01,1,\n").encode()
    response = _upload(
        api_client, member(setup.portfolio, role), content, setup.portfolio, django_capture_on_commit_callbacks
    )
    assert response.status_code == 403 and not Import.objects.exists()


def test_another_portfolio_is_a_400_on_portfolio(api_client, setup, django_capture_on_commit_callbacks):
    other = ProductFactory().portfolio
    content = (HEADER + "Nova,revenue,2026-04-01,1,\n").encode()
    response = _upload(api_client, setup.pm, content, other, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "portfolio" in response.json()


def test_another_portfolios_import_is_a_404(api_client, setup, django_capture_on_commit_callbacks):
    content = (HEADER + "Nova,revenue,2026-04-01,1,\n").encode()
    url = _upload(api_client, setup.pm, content, setup.portfolio, django_capture_on_commit_callbacks).json()["url"]
    api_client.force_authenticate(member(setup.portfolio, None))
    assert api_client.get(url).status_code == 404


def test_a_kpis_file_needs_no_product_or_key(api_client, setup, django_capture_on_commit_callbacks):
    api_client.force_authenticate(setup.pm)
    content = b"2026-04-01,4\n2026-04-02,6\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/kpis/{setup.nova_signups.id}/imports/",
            {"file": SimpleUploadedFile("signups.csv", content, "text/csv")},
            format="multipart",
        )
    body = _status(api_client, response)
    assert body["status"] == "done" and body["kpi"] == setup.nova_signups.id and body["created"] == 2


def test_the_import_history_lists_a_portfolios_imports_newest_first(
    api_client, setup, django_capture_on_commit_callbacks
):
    for day in ("01", "02"):
        content = (HEADER + f"Nova,revenue,2026-04-{day},1,\n").encode()
        _upload(api_client, setup.pm, content, setup.portfolio, django_capture_on_commit_callbacks)
    results = api_client.get(f"/api/v1/imports/?portfolio={setup.portfolio.id}").json()["results"]
    assert len(results) == 2 and results[0]["id"] > results[1]["id"]


def test_running_an_import_again_after_it_was_written_writes_nothing_twice(
    api_client, setup, django_capture_on_commit_callbacks
):
    content = (HEADER + "Nova,revenue,2026-04-01,1,\n").encode()
    response = _upload(api_client, setup.pm, content, setup.portfolio, django_capture_on_commit_callbacks)
    import_id = response.json()["id"]
    Import.objects.filter(pk=import_id).update(status=Import.Status.IMPORTING)  # as if killed before "done"
    assert services.import_process(import_id=import_id) == "done"
    assert Measurement.objects.filter(kpi=setup.nova_revenue).count() == 1


def test_an_import_killed_before_it_wrote_runs_again_from_the_file(setup, django_capture_on_commit_callbacks):
    upload = Import.objects.create(portfolio=setup.portfolio, status=Import.Status.VALIDATING, total=1, attempts=1)
    ImportFile.objects.create(upload=upload, content=(HEADER + "Nova,revenue,2026-04-01,1,\n").encode())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.import_process(import_id=upload.id) == "done"
    assert Measurement.objects.filter(kpi=setup.nova_revenue).count() == 1
    upload.refresh_from_db()
    assert upload.attempts == 2


def test_an_import_that_keeps_dying_is_failed_after_three_attempts(setup):
    upload = Import.objects.create(portfolio=setup.portfolio, status=Import.Status.VALIDATING, total=1, attempts=3)
    ImportFile.objects.create(upload=upload, content=(HEADER + "Nova,revenue,2026-04-01,1,\n").encode())
    assert services.import_process(import_id=upload.id) == "failed"
    assert "attempts" in Import.objects.get(pk=upload.id).errors[0]["message"]


def test_the_import_list_query_count_does_not_grow_with_imports(api_client, setup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api_client.force_authenticate(setup.pm)
    counts = []
    for n in (3, 30):
        for i in range(n - Import.objects.count()):
            Import.objects.create(portfolio=setup.portfolio, filename=f"{i}.csv", created_by=setup.pm)
        api_client.get("/api/v1/imports/")  # the user's memberships, cached on it
        with CaptureQueriesContext(connection) as queries:
            assert len(api_client.get(f"/api/v1/imports/?portfolio={setup.portfolio.id}").json()["results"]) == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
