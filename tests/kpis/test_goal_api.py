"""/api/v1/goals/ and /api/v1/key-results/: values from the KPI's rollups, the KPI link's rules as 400s,
roles, filters, CSV, conditional writes and the cost of a list."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from kpis.models import KPI, Rollup
from products.models import DomainEvent, Goal, KeyResult, Role
from tests.factories import (
    GoalFactory,
    KeyResultFactory,
    KPIFactory,
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    member,
)

pytestmark = pytest.mark.django_db

GOALS, KEY_RESULTS = "/api/v1/goals/", "/api/v1/key-results/"


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def client_for(portfolio, role):
    user = member(portfolio, role)
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.fixture
def manager(portfolio):
    return client_for(portfolio, Role.PRODUCT_MANAGER)[0]


def this_year_goal(product, **fields) -> Goal:
    year = timezone.localdate().year
    defaults = {"period_start": datetime.date(year, 1, 1), "period_end": datetime.date(year, 12, 31)}
    return GoalFactory(product=product, **{**defaults, **fields})


def complete_month(kpi, value):
    """A rollup of the month before this one: the latest complete month."""
    start = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    value = Decimal(str(value))
    Rollup.objects.create(
        kpi=kpi,
        granularity="month",
        period_start=start,
        value=value,
        count=1,
        total=value,
        minimum=value,
        maximum=value,
        last_observed_at=timezone.now(),
    )
    return start


# --- goals ----------------------------------------------------------------------------------------------


def test_a_goal_is_created(manager, product):
    body = {"product": product.id, "title": "Grow", "period_start": "2026-01-01", "period_end": "2026-12-31"}
    response = manager.post(GOALS, body)
    assert response.status_code == 201, response.data
    data = response.json()
    assert data["title"] == "Grow" and data["progress"] is None and data["health"] == "no_data"
    assert data["key_results"] == [] and DomainEvent.objects.filter(verb="goal.created").count() == 1


def test_a_goal_shows_the_mean_progress_and_worst_health_of_its_key_results(manager, product):
    goal = this_year_goal(product)
    KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=100)
    KeyResultFactory(goal=goal, start_value=0, target_value=100, manual_value=None)
    data = manager.get(f"{GOALS}{goal.id}/").json()
    assert data["progress"] == 50 and 0 <= data["elapsed"] <= 100 and len(data["key_results"]) == 2


def test_a_goal_ending_before_it_starts_is_a_400_on_period_end(manager, product):
    body = {"product": product.id, "title": "Grow", "period_start": "2026-06-01", "period_end": "2026-05-31"}
    response = manager.post(GOALS, body)
    assert response.status_code == 400 and "period_end" in response.json()
    assert not Goal.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "a\x00b"),
        ("title", "x" * 201),
        ("description", "x" * 10_001),
        ("period_start", "2026-02-30"),
        ("period_start", "1800-01-01"),
        ("period_end", None),
    ],
)
def test_bad_goal_input_is_a_400_on_the_field(manager, product, field, value):
    body = {"product": product.id, "title": "Grow", "period_start": "2026-01-01", "period_end": "2026-12-31"}
    response = manager.post(GOALS, {**body, field: value})
    assert response.status_code == 400 and field in response.json()
    assert not Goal.objects.exists() and not DomainEvent.objects.exists()


def test_a_goal_cannot_move_to_another_product(manager, product):
    goal = this_year_goal(product)
    other = ProductFactory(portfolio=product.portfolio)
    response = manager.patch(f"{GOALS}{goal.id}/", {"product": other.id})
    assert response.status_code == 400 and "product" in response.json()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_cannot_write_goals_even_with_a_broken_body(portfolio, product, role):
    client, _ = client_for(portfolio, role)
    goal = this_year_goal(product)
    assert client.post(GOALS, {"product": "x"}).status_code == 403
    assert client.patch(f"{GOALS}{goal.id}/", {"title": 12}).status_code == 403
    assert client.delete(f"{GOALS}{goal.id}/").status_code == 403
    assert client.get(f"{GOALS}{goal.id}/").status_code == 200


def test_another_portfolios_goal_is_a_404_and_its_product_a_400(manager):
    foreign = GoalFactory()
    assert manager.get(f"{GOALS}{foreign.id}/").status_code == 404
    assert manager.patch(f"{GOALS}{foreign.id}/", {"title": "Mine"}).status_code == 404
    body = {"product": foreign.product_id, "title": "x", "period_start": "2026-01-01", "period_end": "2026-12-31"}
    response = manager.post(GOALS, body)
    assert response.status_code == 400 and "product" in response.json()


def test_a_stale_if_match_is_a_412_and_changes_nothing(manager, product):
    goal = this_year_goal(product, title="Grow")
    etag = manager.get(f"{GOALS}{goal.id}/")["ETag"]
    assert manager.patch(f"{GOALS}{goal.id}/", {"title": "Grow more"}, HTTP_IF_MATCH=etag).status_code == 200
    response = manager.patch(f"{GOALS}{goal.id}/", {"title": "Third"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412 and Goal.objects.get(pk=goal.pk).title == "Grow more"


def test_the_period_filter_picks_goals_running_today(manager, product):
    running = this_year_goal(product, title="Running")
    GoalFactory(product=product, title="Over", period_start="2000-01-01", period_end="2000-12-31")
    GoalFactory(product=product, title="Ahead", period_start="2190-01-01", period_end="2190-12-31")
    titles = {
        p: [g["title"] for g in manager.get(f"{GOALS}?period={p}").json()["results"]]
        for p in ("current", "past", "upcoming")
    }
    assert titles == {"current": [running.title], "past": ["Over"], "upcoming": ["Ahead"]}
    assert manager.get(f"{GOALS}?period=all").json()["count"] == 3
    assert manager.get(f"{GOALS}?period=soon").status_code == 400


def test_goals_filter_by_product_and_portfolio_and_search(manager, product, portfolio):
    this_year_goal(product, title="Grow adoption")
    this_year_goal(ProductFactory(portfolio=portfolio), title="Cut churn")
    assert manager.get(f"{GOALS}?product={product.id}").json()["count"] == 1
    assert manager.get(f"{GOALS}?portfolio={portfolio.id}").json()["count"] == 2
    assert [g["title"] for g in manager.get(f"{GOALS}?search=churn").json()["results"]] == ["Cut churn"]


def test_goals_as_csv(manager, product):
    goal = this_year_goal(product, title="=Grow")
    KeyResultFactory(goal=goal, start_value=0, target_value=10, manual_value=5)
    health = manager.get(f"{GOALS}{goal.id}/").json()["health"]
    response = manager.get(f"{GOALS}?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "id,product,product_name,title,period_start,period_end,progress,health"
    assert lines[1] == f"{goal.id},{product.id},Nebula,'=Grow,{goal.period_start},{goal.period_end},50,{health}"


# --- key results ----------------------------------------------------------------------------------------


def test_a_key_result_measured_by_a_kpi_reads_its_latest_complete_month(manager, product):
    goal = this_year_goal(product)
    churn = KPIFactory(product=product, aggregation="avg", direction="lower_is_better", target=4, name="Churn")
    month = complete_month(churn, 6)
    body = {"goal": goal.id, "title": "Churn to 4 %", "kpi": churn.id, "start_value": 8, "target_value": 4}
    response = manager.post(KEY_RESULTS, body)
    assert response.status_code == 201, response.data
    data = response.json()
    assert data["kpi"] == churn.id and data["current_value"] == 6 and data["progress"] == 50
    assert data["health"] == "off_track" and data["current_period_start"] == month.isoformat()
    assert data["product"] == product.id
    assert KPI.objects.get(pk=churn.pk).key_result_id == data["id"]


def test_a_key_result_without_a_kpi_takes_its_manual_value(manager, product):
    goal = this_year_goal(product)
    body = {"goal": goal.id, "title": "NPS", "start_value": 20, "target_value": 40, "manual_value": 30}
    data = manager.post(KEY_RESULTS, body).json()
    assert data["kpi"] is None and data["current_value"] == 30 and data["progress"] == 50
    assert data["current_period_start"] is None


def test_a_kpi_measuring_another_key_result_is_a_400_naming_it(manager, product):
    goal = this_year_goal(product)
    taken = KPIFactory(product=product, name="WAU", key_result=KeyResultFactory(goal=goal, title="Weekly actives"))
    response = manager.post(KEY_RESULTS, {"goal": goal.id, "title": "x", "kpi": taken.id, "target_value": 1})
    assert response.status_code == 400
    assert "Weekly actives" in response.json()["kpi"][0]
    assert KeyResult.objects.count() == 1


def test_a_kpi_of_another_portfolio_is_a_400_on_kpi(manager, product):
    goal = this_year_goal(product)
    response = manager.post(KEY_RESULTS, {"goal": goal.id, "title": "x", "kpi": KPIFactory().id, "target_value": 1})
    assert response.status_code == 400 and "kpi" in response.json()


def test_a_kpi_of_the_users_other_portfolio_is_a_400_on_kpi(portfolio, product):
    client, user = client_for(portfolio, Role.PRODUCT_MANAGER)
    elsewhere = KPIFactory()
    MembershipFactory(user=user, portfolio=elsewhere.product.portfolio, role=Role.ADMIN)
    goal = this_year_goal(product)
    response = client.post(KEY_RESULTS, {"goal": goal.id, "title": "x", "kpi": elsewhere.id, "target_value": 1})
    assert response.status_code == 400 and response.json()["kpi"] == ["Choose a KPI of this portfolio."]


def test_patching_kpi_moves_and_null_unlinks(manager, product):
    key_result = KeyResultFactory(goal=this_year_goal(product))
    first, second = KPIFactory(product=product), KPIFactory(product=product)
    assert manager.patch(f"{KEY_RESULTS}{key_result.id}/", {"kpi": first.id}).json()["kpi"] == first.id
    assert manager.patch(f"{KEY_RESULTS}{key_result.id}/", {"kpi": second.id}).json()["kpi"] == second.id
    assert KPI.objects.get(pk=first.pk).key_result is None
    assert manager.patch(f"{KEY_RESULTS}{key_result.id}/", {"kpi": None}).json()["kpi"] is None
    assert not KPI.objects.filter(key_result__isnull=False).exists()


def test_a_key_result_cannot_move_to_another_goal(manager, product):
    key_result = KeyResultFactory(goal=this_year_goal(product))
    response = manager.patch(f"{KEY_RESULTS}{key_result.id}/", {"goal": this_year_goal(product).id})
    assert response.status_code == 400 and "goal" in response.json()


@pytest.mark.parametrize(
    "field, value",
    [
        ("target_value", "NaN"),
        ("target_value", "1e9999999"),
        ("target_value", 10**20),
        ("start_value", "Infinity"),
        ("manual_value", "six"),
        ("title", ""),
    ],
)
def test_bad_key_result_input_is_a_400_on_the_field(manager, product, field, value):
    goal = this_year_goal(product)
    body = {"goal": goal.id, "title": "NPS", "start_value": 20, "target_value": 40, field: value}
    response = manager.post(KEY_RESULTS, body)
    assert response.status_code == 400 and field in response.json()
    assert not KeyResult.objects.exists() and not DomainEvent.objects.exists()


def test_a_lone_surrogate_in_a_title_is_a_400(manager, product):
    goal = this_year_goal(product)
    body = '{"goal": GOAL, "title": "a\\ud800b", "target_value": 4}'.replace("GOAL", str(goal.id))
    response = manager.post(KEY_RESULTS, body, content_type="application/json")
    assert response.status_code == 400 and not KeyResult.objects.exists()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_cannot_write_key_results(portfolio, product, role):
    client, _ = client_for(portfolio, role)
    key_result = KeyResultFactory(goal=this_year_goal(product))
    assert client.post(KEY_RESULTS, {"goal": "x"}).status_code == 403
    assert client.patch(f"{KEY_RESULTS}{key_result.id}/", {"kpi": "x"}).status_code == 403
    assert client.get(f"{KEY_RESULTS}{key_result.id}/").status_code == 200


def test_key_results_filter_by_goal_kpi_measured_and_period(manager, product):
    goal = this_year_goal(product)
    kpi = KPIFactory(product=product)
    measured = KeyResultFactory(goal=goal, title="Measured")
    KPI.objects.filter(pk=kpi.pk).update(key_result=measured)
    KeyResultFactory(goal=goal, title="By hand")
    KeyResultFactory(goal=GoalFactory(product=product, period_start="2000-01-01", period_end="2000-12-31"))

    def titles(query):
        return sorted(r["title"] for r in manager.get(f"{KEY_RESULTS}?{query}").json()["results"])

    assert titles(f"goal={goal.id}") == ["By hand", "Measured"]
    assert titles(f"kpi={kpi.id}") == ["Measured"]
    assert titles("measured=true") == ["Measured"] and titles("measured=false&period=current") == ["By hand"]
    assert titles(f"product={product.id}&period=current") == ["By hand", "Measured"]


def test_key_results_as_csv(manager, product):
    goal = this_year_goal(product, title="Grow")
    kpi = KPIFactory(product=product, name="Revenue", target=100)
    complete_month(kpi, 50)
    key_result = KeyResultFactory(goal=goal, title="Revenue 100", start_value=0, target_value=100)
    KPI.objects.filter(pk=kpi.pk).update(key_result=key_result)
    response = manager.get(f"{KEY_RESULTS}?format=csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,goal,goal_title,product,title,kpi,kpi_name,start_value,target_value")
    assert lines[1].startswith(f"{key_result.id},{goal.id},Grow,{product.id},Revenue 100,{kpi.id},Revenue,0,100,,50,")


def test_csv_is_for_lists_only(manager, product):
    key_result = KeyResultFactory(goal=this_year_goal(product))
    assert manager.get(f"{KEY_RESULTS}{key_result.id}/?format=csv").status_code == 404


# --- cost -----------------------------------------------------------------------------------------------


def _fill(portfolio, n):
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        goal = this_year_goal(product)
        kpi = KPIFactory(product=product, target=10, target_granularity="month")
        complete_month(kpi, 5)
        measured = KeyResultFactory(goal=goal)
        KPI.objects.filter(pk=kpi.pk).update(key_result=measured)
        KeyResultFactory(goal=goal, manual_value=3)


@pytest.mark.parametrize("url", [GOALS, KEY_RESULTS, f"{GOALS}?format=csv", f"{KEY_RESULTS}?format=csv&period=current"])
def test_lists_cost_the_same_at_ten_times_the_data(url):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        client, _ = client_for(portfolio, Role.VIEWER)
        _fill(portfolio, n)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            if "csv" in url:
                b"".join(response.streaming_content)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
