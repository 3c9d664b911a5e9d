"""The import pages: a portfolio's history with its upload form, and one import's progress and errors."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kpis.models import Import, Measurement
from tests.factories import KPIFactory, ProductFactory, member

pytestmark = pytest.mark.django_db
GOOD = b"product,key,observed_at,value\nNova,revenue,2026-04-01,10\n"


@pytest.fixture
def nova(world):
    product = ProductFactory(portfolio=world.portfolio, name="Nova")
    world.nova = KPIFactory(product=product, key="revenue")
    return world


def _upload(client, portfolio, content, capture):
    with capture(execute=True):
        return client.post(
            f"/portfolios/{portfolio.id}/imports/", {"file": SimpleUploadedFile("feed.csv", content, "text/csv")}
        )


def test_uploading_a_file_goes_to_its_page_which_shows_it_done(client, nova, django_capture_on_commit_callbacks):
    client.force_login(member(nova.portfolio, "product_manager"))
    response = _upload(client, nova.portfolio, GOOD, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200 and "Done" in text and "<progress" not in text
    assert "1 row imported: 1 added, 0 updated" in text and Measurement.objects.filter(kpi=nova.nova).count() == 1


def test_a_failed_import_lists_its_problems_by_line_and_column(client, nova, django_capture_on_commit_callbacks):
    client.force_login(member(nova.portfolio, "admin"))
    content = b"product,key,observed_at,value\nNova,revenue,2026-04-01,ten\nNope,revenue,2026-04-01,1\n"
    response = _upload(client, nova.portfolio, content, django_capture_on_commit_callbacks)
    text = client.get(response["Location"]).content.decode()
    assert "Nothing was imported: the file has 2 problems" in text and "<progress" not in text
    assert "Upload a corrected file" in text
    assert "Line </span>2<" in text and "Line </span>3<" in text and "No product “Nope”" in text


def test_an_unfinished_import_page_carries_what_the_progress_bar_polls(client, nova):
    client.force_login(member(nova.portfolio, "viewer"))
    upload = Import.objects.create(portfolio=nova.portfolio, status="validating", total=200, processed=50)
    text = client.get(f"/imports/{upload.id}/").content.decode()
    assert f'data-import-url="/api/v1/imports/{upload.id}/"' in text and 'data-finished="false"' in text
    assert 'value="25"' in text and "Checking rows" in text and '"processed">50<' in text


def test_a_large_failed_import_shows_the_first_100_problems_and_says_so(client, nova):
    errors = [{"line": n, "column": "value", "message": "A number is required."} for n in range(2, 1002)]
    upload = Import.objects.create(
        portfolio=nova.portfolio, status="failed", total=5000, errors=errors, errors_truncated=True
    )
    client.force_login(member(nova.portfolio, "viewer"))
    text = client.get(f"/imports/{upload.id}/").content.decode()
    assert text.count('class="problem"') == 100 and "The first 100 of 1,000+ are shown" in text
    assert "Upload a corrected file" not in text  # a viewer cannot


def test_an_empty_file_is_refused_on_the_form(client, nova, django_capture_on_commit_callbacks):
    client.force_login(member(nova.portfolio, "product_manager"))
    response = _upload(client, nova.portfolio, b"", django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode() or response.context["form"].errors


def test_a_viewer_sees_the_history_but_no_upload_form(client, nova):
    Import.objects.create(portfolio=nova.portfolio, filename="march.csv", status="done", total=3, created=3)
    client.force_login(member(nova.portfolio, "viewer"))
    text = client.get(f"/portfolios/{nova.portfolio.id}/imports/").content.decode()
    assert "march.csv" in text and "Upload and import" not in text


def test_the_history_query_count_does_not_grow_with_imports(client, nova, django_assert_max_num_queries):
    client.force_login(member(nova.portfolio, "viewer"))
    for n in range(30):
        Import.objects.create(portfolio=nova.portfolio, filename=f"{n}.csv", kpi=nova.nova if n % 2 else None)
    with django_assert_max_num_queries(12):
        assert client.get(f"/portfolios/{nova.portfolio.id}/imports/").status_code == 200


def test_another_portfolios_import_page_is_a_404(client, nova):
    upload = Import.objects.create(portfolio=nova.portfolio, filename="secret.csv")
    client.force_login(member(nova.portfolio, None))
    assert client.get(f"/imports/{upload.id}/").status_code == 404
