import pytest

from kpis.services import measurements_ingest
from products.models import Role
from tests.factories import KPIFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpi(django_capture_on_commit_callbacks):
    kpi = KPIFactory(name="Weekly revenue", target=100, target_granularity="month")
    items = [{"observed_at": f"2026-{m:02d}-{d:02d}", "value": d} for m in range(1, 7) for d in (3, 14, 25)]
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)
    return kpi


@pytest.mark.parametrize("granularity", ["day", "week", "month", "quarter", "year"])
def test_kpi_page_renders_chart_table_and_csv_link(client, kpi, granularity):
    client.force_login(member(kpi.product.portfolio, Role.VIEWER))
    response = client.get(f"/kpis/{kpi.id}/?granularity={granularity}")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="chart"' in page and "<table" in page
    assert f"/api/v1/kpis/{kpi.id}/rollups/?granularity={granularity}&amp;format=csv" in page


def test_kpi_page_table_shows_monthly_values(client, kpi):
    client.force_login(member(kpi.product.portfolio, Role.VIEWER))
    page = client.get(f"/kpis/{kpi.id}/?granularity=month").content.decode()
    assert "2026-06-01" in page and ">42<" in page  # 3 + 14 + 25


def test_kpi_page_csv_link_downloads_csv_with_the_session(client, kpi):
    client.force_login(member(kpi.product.portfolio, Role.VIEWER))
    response = client.get(f"/api/v1/kpis/{kpi.id}/rollups/?granularity=month&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert b"".join(response.streaming_content).decode().splitlines()[0] == "period_start,value,count,target,health"


def test_kpi_page_of_another_portfolio_is_404(client, kpi):
    client.force_login(member(kpi.product.portfolio, None))
    assert client.get(f"/kpis/{kpi.id}/").status_code == 404


def test_kpi_page_without_measurements_says_what_to_do(client):
    kpi = KPIFactory()
    client.force_login(member(kpi.product.portfolio, Role.ADMIN))
    assert b"No measurements yet" in client.get(f"/kpis/{kpi.id}/").content


def test_kpi_page_query_count_is_bounded(client, kpi, django_assert_max_num_queries):
    client.force_login(member(kpi.product.portfolio, Role.VIEWER))
    with django_assert_max_num_queries(10):
        assert client.get(f"/kpis/{kpi.id}/?granularity=day").status_code == 200


def test_kpi_page_draws_the_period_in_progress_hollow(client, django_capture_on_commit_callbacks):
    from django.utils import timezone

    kpi = KPIFactory()
    today = timezone.now().date().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=[{"observed_at": today, "value": 5}])
    client.force_login(member(kpi.product.portfolio, Role.VIEWER))
    page = client.get(f"/kpis/{kpi.id}/?granularity=day").content.decode()
    assert 'fill="#fff"' in page and "(so far)" in page
    assert "In progress" in page  # not judged against a whole day's target yet
