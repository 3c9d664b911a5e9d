"""GET /api/v1/portfolio-analysis/ and /api/v1/portfolios/{id}/analysis-settings/: the contract's shape,
exactly one scope, another portfolio's answered as an unknown one, ETags, the thresholds by admins only."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kpis.analysis import complete_quarters
from products.models import AnalysisSettings, DomainEvent
from tests.factories import (
    FeedbackFactory,
    PortfolioFactory,
    ProductFactory,
    ProductLineFactory,
    SegmentFactory,
    member,
)
from tests.kpis.analysis_data import feedback, revenue

pytestmark = pytest.mark.django_db
URL = "/api/v1/portfolio-analysis/"


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Zephyr Holdings")


@pytest.fixture
def line(portfolio):
    return ProductLineFactory(portfolio=portfolio, name="Quasar Line")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def data(portfolio, line, today, django_capture_on_commit_callbacks):
    old = ProductFactory(portfolio=portfolio, product_line=line, stage="decline", name="Ledger")
    new = ProductFactory(portfolio=portfolio, product_line=line, stage="growth", name="Hub")
    revenue(old, [300, 200, 100], django_capture_on_commit_callbacks, today=today)
    revenue(new, [100, 100, 100], django_capture_on_commit_callbacks, today=today)
    feedback(new, recent=6, previous=5, today=today)
    SegmentFactory(portfolio=portfolio, name="Installers", growth_pct=Decimal("18.5"), priority=4)
    return old, new


def as_member(api_client, portfolio, role="viewer"):
    api_client.force_authenticate(member(portfolio, role))
    return api_client


def test_the_answer_has_the_contracts_products_and_flags(api_client, portfolio, data):
    old, new = data
    body = as_member(api_client, portfolio).get(URL, {"portfolio": portfolio.id}).json()
    assert body["products"] == [
        {"id": new.id, "name": "Hub", "product_line": new.product_line_id, "stage": "growth", "revenue": 300.0,
         "revenue_share": 33.33, "revenue_trend": 0.0},
        {"id": old.id, "name": "Ledger", "product_line": old.product_line_id, "stage": "decline", "revenue": 600.0,
         "revenue_share": 66.67, "revenue_trend": -50.0},
    ]  # fmt: skip
    assert [(f["kind"], f["basis"], f["product"], f["name"]) for f in body["flags"]] == [
        ("extend", "segment", None, "Installers"),
        ("extend", "demand", new.id, "Hub"),
        ("retire", "revenue", old.id, "Ledger"),
    ]
    retire = body["flags"][2]
    assert retire["segment"] is None and retire["reason"].startswith("Ledger is in decline")
    assert [q["revenue"] for q in retire["evidence"]["quarters"]] == [300, 200, 100]


def test_the_answer_says_what_it_was_judged_on(api_client, portfolio, data, today):
    body = as_member(api_client, portfolio).get(URL, {"portfolio": portfolio.id}).json()
    last = complete_quarters(today, 1)[0]
    assert body["portfolio"] == portfolio.id and body["product_line"] is None
    assert body["as_of"] == today.isoformat() and len(body["quarters"]) == 4
    assert body["quarters"][-1] == f"{last.year}-Q{(last.month - 1) // 3 + 1}"
    assert body["total_revenue"] == 900.0
    assert body["settings"] == {
        "retire_falling_quarters": 2,
        "extend_segment_min_growth_pct": 10.0,
        "extend_segment_min_priority": 4,
        "extend_demand_min_growth_pct": 20.0,
    }


def test_a_product_line_is_analysed_alone(api_client, portfolio, line, data):
    other = ProductFactory(portfolio=portfolio, stage="growth", name="Elsewhere")
    body = as_member(api_client, portfolio).get(URL, {"product_line": line.id}).json()
    assert body["product_line"] == line.id and other.id not in [p["id"] for p in body["products"]]
    assert len(body["products"]) == 2


@pytest.mark.parametrize(
    "query, field",
    [({}, "portfolio"), ({"portfolio": 1, "product_line": 1}, "portfolio"), ({"portfolio": ""}, "portfolio"),
     ({"product_line": "x"}, "product_line"), ({"portfolio": 0}, "portfolio"), ({"portfolio": 2**63}, "portfolio")],
)  # fmt: skip
def test_exactly_one_valid_scope_or_400(api_client, portfolio, query, field):
    response = as_member(api_client, portfolio).get(URL, query)
    assert response.status_code == 400 and field in response.json()


def test_another_portfolio_answers_as_an_unknown_one(api_client, portfolio, data):
    stranger = as_member(api_client, PortfolioFactory())
    for query in ({"portfolio": portfolio.id}, {"product_line": data[0].product_line_id}, {"portfolio": 999999}):
        response = stranger.get(URL, query)
        assert response.status_code == 200
        assert response.json()["products"] == [] and response.json()["flags"] == []
        assert "Ledger" not in response.content.decode() and "Installers" not in response.content.decode()
    assert not AnalysisSettings.objects.filter(portfolio=portfolio).exists()


def test_an_unchanged_analysis_is_304_for_its_etag(api_client, portfolio, data):
    client = as_member(api_client, portfolio)
    etag = client.get(URL, {"portfolio": portfolio.id})["ETag"]
    response = client.get(URL, {"portfolio": portfolio.id}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def _tenfold(portfolio, line, today, capture, n, suffix=""):
    for i in range(n):
        product = ProductFactory(portfolio=portfolio, product_line=line, stage="decline", name=f"Old {suffix}{i}")
        revenue(product, [300, 200, 100], capture, today=today)
        growing = ProductFactory(portfolio=portfolio, product_line=line, stage="growth", name=f"New {suffix}{i}")
        feedback(growing, recent=4, previous=1, today=today, prefix=f"N{suffix}{i}")
        SegmentFactory(portfolio=portfolio, growth_pct=Decimal("30"), priority=5)


@pytest.mark.parametrize("scope", ["portfolio", "product_line"])
def test_the_api_costs_the_same_queries_for_ten_times_the_data(
    api_client, portfolio, line, today, django_capture_on_commit_callbacks, django_assert_max_num_queries, scope
):
    client = as_member(api_client, portfolio)
    query = {scope: portfolio.id if scope == "portfolio" else line.id}
    _tenfold(portfolio, line, today, django_capture_on_commit_callbacks, 1)
    client.get(URL, query)  # the thresholds are made on the first read
    with django_assert_max_num_queries(12) as one:
        assert client.get(URL, query).status_code == 200
    _tenfold(portfolio, line, today, django_capture_on_commit_callbacks, 9, suffix="x")
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get(URL, query).json()
    assert len(body["products"]) == 20


# --- the thresholds ------------------------------------------------------------------------------------


def settings_url(portfolio):
    return f"/api/v1/portfolios/{portfolio.id}/analysis-settings/"


FULL = {
    "retire_falling_quarters": 3,
    "extend_segment_min_growth_pct": 12.5,
    "extend_segment_min_priority": 3,
    "extend_demand_min_growth_pct": 25,
}


def test_every_member_reads_the_thresholds(api_client, portfolio):
    response = as_member(api_client, portfolio, "marketer").get(settings_url(portfolio))
    assert response.status_code == 200 and response["ETag"]
    assert response.json() == {
        "portfolio": portfolio.id,
        "retire_falling_quarters": 2,
        "extend_segment_min_growth_pct": 10.0,
        "extend_segment_min_priority": 4,
        "extend_demand_min_growth_pct": 20.0,
    }


def test_an_admin_puts_every_threshold(api_client, portfolio):
    response = as_member(api_client, portfolio, "admin").put(settings_url(portfolio), FULL, format="json")
    assert response.status_code == 200 and response.json() == {"portfolio": portfolio.id, **FULL}
    assert AnalysisSettings.objects.get(portfolio=portfolio).extend_segment_min_growth_pct == Decimal("12.5")


def test_a_put_without_every_threshold_is_400(api_client, portfolio):
    response = as_member(api_client, portfolio, "admin").put(
        settings_url(portfolio), {"retire_falling_quarters": 3}, format="json"
    )
    assert response.status_code == 400 and "extend_segment_min_priority" in response.json()


def test_an_admin_patches_one_threshold(api_client, portfolio):
    response = as_member(api_client, portfolio, "admin").patch(
        settings_url(portfolio), {"extend_segment_min_priority": 5}, format="json"
    )
    assert response.status_code == 200 and response.json()["extend_segment_min_priority"] == 5
    assert response.json()["retire_falling_quarters"] == 2


@pytest.mark.parametrize(
    "body",
    [{"retire_falling_quarters": 13}, {"extend_segment_min_priority": 0}, {"extend_demand_min_growth_pct": "NaN"},
     {"extend_segment_min_growth_pct": 10000}, {"extend_segment_min_growth_pct": "1e9999999"},
     {"retire_falling_quarters": "two"}],
)  # fmt: skip
def test_a_bad_threshold_is_400_with_its_field_and_nothing_written(api_client, portfolio, body):
    response = as_member(api_client, portfolio, "admin").patch(settings_url(portfolio), body, format="json")
    assert response.status_code == 400 and list(response.json()) == list(body)
    assert not DomainEvent.objects.filter(verb="analysis_settings.updated").exists()


@pytest.mark.parametrize("role", ["product_manager", "marketer", "viewer"])
def test_only_admins_change_them_checked_before_the_body(api_client, portfolio, role):
    response = as_member(api_client, portfolio, role).patch(
        settings_url(portfolio), {"retire_falling_quarters": "bad"}, format="json"
    )
    assert response.status_code == 403
    assert not DomainEvent.objects.exists()


def test_another_portfolios_thresholds_are_404(api_client, portfolio):
    client = as_member(api_client, PortfolioFactory(), "admin")
    assert client.get(settings_url(portfolio)).status_code == 404
    assert client.patch(settings_url(portfolio), FULL, format="json").status_code == 404
    assert not AnalysisSettings.objects.filter(portfolio=portfolio).exists()


def test_a_stale_if_match_is_412_and_changes_nothing(api_client, portfolio):
    client = as_member(api_client, portfolio, "admin")
    etag = client.get(settings_url(portfolio))["ETag"]
    client.patch(settings_url(portfolio), {"retire_falling_quarters": 4}, format="json")
    response = client.patch(settings_url(portfolio), {"retire_falling_quarters": 6}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert AnalysisSettings.objects.get(portfolio=portfolio).retire_falling_quarters == 4


def test_a_current_if_match_writes(api_client, portfolio):
    client = as_member(api_client, portfolio, "admin")
    etag = client.get(settings_url(portfolio))["ETag"]
    response = client.put(settings_url(portfolio), FULL, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_unchanged_thresholds_are_304(api_client, portfolio):
    client = as_member(api_client, portfolio)
    etag = client.get(settings_url(portfolio))["ETag"]
    assert client.get(settings_url(portfolio), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_new_thresholds_change_the_flags(api_client, portfolio, data):
    admin = as_member(api_client, portfolio, "admin")
    admin.patch(settings_url(portfolio), {"extend_segment_min_growth_pct": 18.51}, format="json")
    flags = admin.get(URL, {"portfolio": portfolio.id}).json()["flags"]
    assert "segment" not in [f["basis"] for f in flags]


def test_a_day_in_the_future_is_not_feedback_yet(api_client, portfolio, today):
    product = ProductFactory(portfolio=portfolio, stage="growth")
    for _ in range(3):
        FeedbackFactory(product=product, received_on=today + datetime.timedelta(days=3))
    assert as_member(api_client, portfolio).get(URL, {"portfolio": portfolio.id}).json()["flags"] == []
