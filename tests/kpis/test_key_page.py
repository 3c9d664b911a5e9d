"""The portfolio KPI page (kpis.key_views): one key rolled up across products and product lines."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kpis.services import measurements_ingest
from products.models import Role
from tests.factories import KPIFactory, PortfolioFactory, ProductFactory, ProductLineFactory, member

pytestmark = pytest.mark.django_db

RANGE = "granularity=month&from=2026-01-01&to=2026-06-30"


def measure(kpi, items, capture):
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)


@pytest.fixture
def house(django_capture_on_commit_callbacks):
    """Two lines; revenue in three products (Alpha 10 a month, Beta 20, Gamma 30 in line East)."""
    portfolio = PortfolioFactory(name="Acme")
    west, east = (
        ProductLineFactory(portfolio=portfolio, name="West"),
        ProductLineFactory(portfolio=portfolio, name="East"),
    )
    kpis = {}
    for name, line, value in (("Alpha", west, 10), ("Beta", west, 20), ("Gamma", east, 30)):
        product = ProductFactory(portfolio=portfolio, product_line=line, name=name)
        kpis[name] = KPIFactory(product=product, key="revenue", name="Revenue", unit="EUR", target=50)
        items = [{"observed_at": f"2026-{m:02d}-10", "value": value} for m in range(1, 7)]
        measure(kpis[name], items, django_capture_on_commit_callbacks)
    return {"portfolio": portfolio, "west": west, "east": east, "kpis": kpis}


@pytest.fixture
def viewer(client, house):
    client.force_login(member(house["portfolio"], Role.VIEWER))
    return client


def url(house, key="revenue"):
    return f"/portfolios/{house['portfolio'].id}/kpis/{key}/"


def test_page_renders_chart_table_breakdown_and_csv_link(viewer, house):
    response = viewer.get(f"{url(house)}?{RANGE}")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="chart"' in page and "<table" in page
    assert "Jun 2026" in page and "Jan 2026" in page and 'data-label="Value">60<' in page  # 10 + 20 + 30
    assert "Measurements" in page and "Health" in page
    # Breakdown of June: Gamma brings half.
    assert "By product, June 2026" in page and "50.0&nbsp;%" in page and "16.7&nbsp;%" in page
    assert page.index(">Gamma<") < page.index(">Beta<") < page.index(">Alpha<")
    csv = (
        f"/api/v1/rollups/?key=revenue&amp;portfolio={house['portfolio'].id}&amp;granularity=month"
        "&amp;from=2026-01-01&amp;to=2026-06-30&amp;format=csv"
    )
    assert csv in page


def test_csv_link_answers_the_same_rows(viewer, house):
    response = viewer.get(
        f"/api/v1/rollups/?key=revenue&portfolio={house['portfolio'].id}&{RANGE}&format=csv",
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert response.status_code == 200 and lines[0] == "period_start,value,count,target,health"
    assert len(lines) == 7 and lines[-1].startswith("2026-06-01,60,3,")


def test_scope_by_product_line(viewer, house):
    page = viewer.get(f"{url(house)}?product_line={house['west'].id}&{RANGE}").content.decode()
    assert "Revenue across West" in page
    assert 'data-label="Value">30<' in page and 'data-label="Value">60<' not in page  # Alpha + Beta
    assert ">Alpha<" in page and ">Beta<" in page and ">Gamma<" not in page
    assert f"product_line={house['west'].id}" in page


def test_date_range_filters_rows_and_from_counts_its_whole_period(viewer, house):
    page = viewer.get(f"{url(house)}?granularity=month&from=2026-03-15&to=2026-04-30").content.decode()
    assert "Mar 2026" in page and "Apr 2026" in page
    assert "Feb 2026" not in page and "May 2026" not in page
    assert 'value="2026-03-01"' in page  # From moved to the start of its month, and shown


def test_default_range_is_the_last_twelve_periods(client, django_capture_on_commit_callbacks):
    kpi = KPIFactory(key="signups", name="Sign-ups")
    today = timezone.now().date()
    items = [{"observed_at": (today - timedelta(days=days)).isoformat(), "value": 1} for days in (0, 40, 400)]
    measure(kpi, items, django_capture_on_commit_callbacks)
    client.force_login(member(kpi.product.portfolio, Role.VIEWER))
    page = client.get(f"/portfolios/{kpi.product.portfolio_id}/kpis/signups/").content.decode()
    assert "(so far)" in page  # the running month is the latest of the twelve
    assert (today - timedelta(days=400)).strftime("%b %Y") not in page
    assert 'name="from"' in page and 'type="date"' in page


def test_choosing_another_key_goes_to_its_page(viewer, house):
    KPIFactory(product=house["kpis"]["Alpha"].product, key="signups")
    response = viewer.get(f"{url(house)}?key=signups&granularity=week")
    assert response.status_code == 302
    assert response["Location"] == f"{url(house, 'signups')}?granularity=week"


def test_no_data_in_range_says_so(viewer, house):
    response = viewer.get(f"{url(house)}?granularity=month&from=2025-01-01&to=2025-06-30")
    assert response.status_code == 200
    assert b"No Revenue figures from 1 Jan 2025 to 30 Jun 2025" in response.content


def test_kpis_aggregating_differently_are_named(viewer, house):
    gamma = house["kpis"]["Gamma"]
    gamma.aggregation = "avg"
    gamma.save()
    response = viewer.get(f"{url(house)}?{RANGE}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "aggregate differently" in page and "Average" in page and f"/kpis/{gamma.id}/" in page


@pytest.mark.parametrize("case", ["unknown key", "another portfolio's key", "another portfolio", "no portfolio"])
def test_missing_or_foreign_is_404(client, house, case):
    other = KPIFactory(key="churn")
    client.force_login(member(house["portfolio"], Role.ADMIN))
    address = {
        "unknown key": url(house, "nope"),
        "another portfolio's key": url(house, "churn"),
        "another portfolio": f"/portfolios/{other.product.portfolio_id}/kpis/churn/",
        "no portfolio": "/portfolios/999999/kpis/revenue/",
    }[case]
    assert client.get(address).status_code == 404


@pytest.mark.parametrize(
    "query, field_error",
    [
        ("from=2026-13-01", "Enter a date as YYYY-MM-DD."),
        ("from=2026-06-01&to=2026-01-01", "Must not be before From."),
        ("granularity=hour", "Pick day, week, month, quarter or year."),
        ("product_line=999999", "Pick the whole portfolio or one of its product lines."),
        ("key=nope", "Pick one of the portfolio&#x27;s KPIs."),
    ],
)
def test_bad_parameters_rerender_the_form_with_400(viewer, house, query, field_error):
    response = viewer.get(f"{url(house)}?{query}")
    page = response.content.decode()
    assert response.status_code == 400
    assert field_error in page and 'class="errorlist"' in page and 'class="chart"' not in page


def test_another_portfolios_line_is_refused_without_naming_it(viewer, house):
    foreign = ProductLineFactory(name="Secret line")
    response = viewer.get(f"{url(house)}?product_line={foreign.id}")
    assert response.status_code == 400 and b"Secret line" not in response.content


@pytest.mark.parametrize("products", [2, 20])
def test_query_count_does_not_grow_with_products(
    client, products, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    portfolio = PortfolioFactory()
    line = ProductLineFactory(portfolio=portfolio)
    for n in range(products):
        kpi = KPIFactory(product=ProductFactory(portfolio=portfolio, product_line=line), key="revenue", target=5)
        measure(
            kpi,
            [{"observed_at": f"2026-{m:02d}-0{1 + n % 9}", "value": n} for m in (1, 2, 3)],
            django_capture_on_commit_callbacks,
        )
    client.force_login(member(portfolio, Role.VIEWER))
    address = f"/portfolios/{portfolio.id}/kpis/revenue/?{RANGE}"
    client.get(address)  # the first visit also stores the portfolio in the session
    with django_assert_max_num_queries(11):
        assert client.get(address).status_code == 200
    with django_assert_max_num_queries(11):
        assert client.get(f"{address}&product_line={line.id}").status_code == 200


def test_kpi_page_links_to_the_key_page(viewer, house):
    assert url(house) in viewer.get(f"/kpis/{house['kpis']['Alpha'].id}/").content.decode()


def test_an_average_is_broken_down_by_weight(client, django_capture_on_commit_callbacks):
    portfolio = PortfolioFactory()
    for value, days in ((10, (3,)), (20, (3, 4, 5))):
        kpi = KPIFactory(product=ProductFactory(portfolio=portfolio), key="conversion", aggregation="avg")
        items = [{"observed_at": f"2026-05-{d:02d}", "value": value} for d in days]
        measure(kpi, items, django_capture_on_commit_callbacks)
    client.force_login(member(portfolio, Role.VIEWER))
    page = client.get(f"/portfolios/{portfolio.id}/kpis/conversion/?{RANGE}").content.decode()
    assert 'data-label="Value">17.50<' in page  # (10 + 3 × 20) / 4: weighted by count
    assert ">Weight<" in page and "75.0&nbsp;%" in page and "25.0&nbsp;%" in page
