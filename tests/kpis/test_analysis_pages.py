"""The portfolio analysis page (products by stage, share bars, trends, the share chart, flag cards with their
evidence, CSV) and the thresholds page (admins edit, the others read)."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from products.models import AnalysisSettings, DomainEvent
from tests.factories import (
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
    SegmentFactory,
    member,
)
from tests.kpis.analysis_data import feedback, revenue

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Zephyr Holdings")


@pytest.fixture
def line(portfolio):
    return ProductLineFactory(portfolio=portfolio, name="Analytics")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def data(portfolio, line, today, django_capture_on_commit_callbacks):
    old = ProductFactory(portfolio=portfolio, product_line=line, stage="decline", name="Ledger Classic")
    new = ProductFactory(portfolio=portfolio, product_line=line, stage="growth", name="Insight Hub")
    ProductFactory(portfolio=portfolio, stage="research", name="Huddle")
    revenue(old, [300, 200, 100], django_capture_on_commit_callbacks, today=today)
    revenue(new, [100, 100, 150], django_capture_on_commit_callbacks, today=today)
    feedback(new, recent=6, previous=5, today=today)
    SegmentFactory(portfolio=portfolio, name="Renewable energy installers", growth_pct=Decimal("18.5"), priority=4)
    return old, new


@pytest.fixture
def reader(client, portfolio):
    client.force_login(member(portfolio, "viewer"))
    return client


@pytest.fixture
def admin(client, portfolio):
    client.force_login(member(portfolio, "admin"))
    return client


def url(portfolio, query=""):
    return f"/portfolios/{portfolio.id}/analysis/" + (f"?{query}" if query else "")


def settings_url(portfolio):
    return f"/portfolios/{portfolio.id}/analysis/settings/"


def test_the_products_show_by_stage_with_share_and_trend(reader, portfolio, data):
    page = reader.get(url(portfolio)).content.decode()
    assert page.index("Research") < page.index("Growth") < page.index("Decline")
    assert "Huddle" in page and "no data" in page
    assert ">63.16 %<" in page and ">36.84 %<" in page
    assert "▲ +50 %" in page and "▼ −50 %" in page
    assert 'class="share-chart"' in page and 'class="share-bar"' in page


def test_the_flags_show_as_cards_with_reason_and_evidence(reader, portfolio, data):
    old, new = data
    page = reader.get(url(portfolio)).content.decode()
    assert page.count('class="card flag-card flag-extend"') == 2 and page.count("flag-card flag-retire") == 1
    assert "Renewable energy installers grows 18.5 % a year at priority 4 of 5" in page
    assert "Ledger Classic is in decline and its revenue fell in each of the last 2 complete quarters" in page
    assert 'class="sparkline-chart"' in page and "−33.33 %" in page
    assert f'href="/products/{old.id}/"' in page and "#segment-" in page
    assert f"/portfolios/{portfolio.id}/feedback/?product={new.id}" in page


def test_a_product_line_shows_its_products_only(reader, portfolio, line, data):
    response = reader.get(url(portfolio, f"product_line={line.id}"))
    page = response.content.decode()
    assert response.status_code == 200 and "Portfolio analysis: Analytics" in page
    assert "Huddle" not in page


def test_another_portfolios_line_is_refused_on_the_form(reader, portfolio, data):
    foreign = ProductLineFactory(name="Secret line")
    response = reader.get(url(portfolio, f"product_line={foreign.id}"))
    assert response.status_code == 400
    assert "Secret line" not in response.content.decode() and "Ledger Classic" in response.content.decode()


def test_the_csv_holds_the_products_table(reader, portfolio, data):
    old, _ = data
    response = reader.get(url(portfolio, "format=csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "id", "product", "product_line", "stage", "revenue_last_4_quarters", "revenue_share_pct", "revenue_trend_pct"
    ]  # fmt: skip
    assert [str(old.id), "Ledger Classic", "Analytics", "decline", "600", "63.16", "-50"] in rows
    assert len(rows) == 4


def test_an_empty_portfolio_says_what_to_do(reader, portfolio):
    page = reader.get(url(portfolio)).content.decode()
    assert "No products yet" in page and "No candidates to extend or retire" in page


def test_products_without_revenue_say_how_to_get_it(reader, portfolio):
    ProductFactory(portfolio=portfolio, stage="growth")
    page = reader.get(url(portfolio)).content.decode()
    assert "No revenue data for the last 4 complete quarters" in page and "share-chart" not in page


def test_a_reader_is_told_where_the_thresholds_are_and_an_admin_may_edit_them(client, portfolio, data):
    client.force_login(member(portfolio, "viewer"))
    assert "Edit thresholds" not in client.get(url(portfolio)).content.decode()
    client.force_login(member(portfolio, "admin"))
    assert "Edit thresholds" in client.get(url(portfolio)).content.decode()


def test_another_portfolio_is_404(client, portfolio):
    client.force_login(member(PortfolioFactory(), "admin"))
    assert client.get(url(portfolio)).status_code == 404
    assert client.get(settings_url(portfolio)).status_code == 404


def _more(portfolio, line, today, capture, n, suffix):
    for i in range(n):
        old = ProductFactory(portfolio=portfolio, product_line=line, stage="decline", name=f"Old {suffix}{i}")
        revenue(old, [300, 200, 100], capture, today=today)
        new = ProductFactory(portfolio=portfolio, product_line=line, stage="growth", name=f"New {suffix}{i}")
        revenue(new, [100, 120, 130], capture, today=today)
        feedback(new, recent=3, previous=1, today=today, prefix=f"{suffix}{i}")
        SegmentFactory(portfolio=portfolio, growth_pct=Decimal("30"), priority=5)


@pytest.mark.parametrize("query", ["", "product_line={line}", "format=csv"])
def test_the_page_costs_the_same_queries_for_ten_times_the_data(
    reader, portfolio, line, today, django_capture_on_commit_callbacks, django_assert_max_num_queries, query
):
    query = query.format(line=line.id)
    _more(portfolio, line, today, django_capture_on_commit_callbacks, 1, "a")
    reader.get(url(portfolio, query))  # the thresholds are made on the first read
    with django_assert_max_num_queries(20) as one:
        assert reader.get(url(portfolio, query)).status_code == 200
    _more(portfolio, line, today, django_capture_on_commit_callbacks, 9, "b")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = reader.get(url(portfolio, query))
    assert response.status_code == 200 and "Old b8" in response.content.decode("utf-8-sig")


# --- the thresholds page -------------------------------------------------------------------------------

FORM = {
    "retire_falling_quarters": "3",
    "extend_segment_min_growth_pct": "12.5",
    "extend_segment_min_priority": "3",
    "extend_demand_min_growth_pct": "25",
}


def test_an_admin_saves_the_thresholds(admin, portfolio):
    response = admin.post(settings_url(portfolio), FORM)
    assert response.status_code == 302 and response["Location"] == settings_url(portfolio)
    row = AnalysisSettings.objects.get(portfolio=portfolio)
    assert (row.retire_falling_quarters, row.extend_segment_min_growth_pct) == (3, Decimal("12.5"))
    assert DomainEvent.objects.filter(verb="analysis_settings.updated").count() == 1


def test_the_admins_form_shows_the_current_values_and_what_each_does(admin, portfolio):
    page = admin.get(settings_url(portfolio)).content.decode()
    assert 'name="retire_falling_quarters"' in page and 'value="10"' in page
    assert "A product in decline is a candidate to retire" in page


@pytest.mark.parametrize(
    "field, value",
    [("retire_falling_quarters", "0"), ("retire_falling_quarters", "13"), ("extend_segment_min_growth_pct", "10000"),
     ("extend_segment_min_growth_pct", "NaN"), ("extend_demand_min_growth_pct", "-100.01"),
     ("extend_segment_min_priority", "6"), ("extend_demand_min_growth_pct", "")],
)  # fmt: skip
def test_a_bad_threshold_comes_back_on_the_form_and_nothing_is_saved(admin, portfolio, field, value):
    response = admin.post(settings_url(portfolio), {**FORM, field: value})
    assert response.status_code == 400 and "Nothing was saved" in response.content.decode()
    assert response.context["form"].errors[field]
    assert AnalysisSettings.objects.get(portfolio=portfolio).retire_falling_quarters == 2


def test_the_others_see_the_thresholds_read_only_each_explained(client, portfolio):
    client.force_login(member(portfolio, "product_manager"))
    page = client.get(settings_url(portfolio)).content.decode()
    assert "thresholds-form" not in page and "Only admins of Zephyr Holdings change the thresholds" in page
    assert "Retire: quarters of falling revenue" in page and "(the default)" in page
    assert "A segment of at least this priority" in page


@pytest.mark.parametrize("role", ["product_manager", "marketer", "viewer"])
def test_the_others_may_not_post_and_nothing_is_written(client, portfolio, role):
    client.force_login(member(portfolio, role))
    assert client.post(settings_url(portfolio), FORM).status_code == 403
    assert not DomainEvent.objects.exists() and not AnalysisSettings.objects.exists()
