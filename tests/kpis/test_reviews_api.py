"""/api/v1/launch-reviews/: the contract's fields, filters, the window by managers only (ETag, If-Match, 400s),
the reviews of plans launched before reviews existed, CSV, accuracy by quarter, and fixed queries."""

import datetime

import pytest

from kpis.models import LaunchReview
from kpis.services import measurements_ingest
from products.models import DomainEvent
from tests.factories import (
    KPIFactory,
    LaunchPlanFactory,
    PortfolioFactory,
    ProductFactory,
    ReleaseFactory,
    RoadmapItemFactory,
    member,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/launch-reviews/"
TODAY = datetime.date.today()


def launched_plan(product, *, days_ago=60, release=None, **extra):
    return LaunchPlanFactory(
        product=product,
        launch_date=TODAY - datetime.timedelta(days=days_ago),
        release=release,
        status="launched",
        launched_at=datetime.datetime.now(datetime.UTC),
        **extra,
    )


def reviewed_launch(product, capture, *, days_ago=60, before="100", after="120", expected="10", key="signups"):
    """A launched plan of `product` with its review, a sum KPI `key` measured once in each window, and one
    item of its release expecting `expected` % (None: no expectation)."""
    kpi = product.kpis.filter(key=key).first() or KPIFactory(product=product, key=key, name="Sign-ups", headline=True)
    release = ReleaseFactory(product=product)
    item = None
    if expected is not None:
        item = RoadmapItemFactory(
            product=product, release=release, title="Onboarding", expected_kpi_key=key, expected_change_pct=expected
        )
    plan = launched_plan(product, days_ago=days_ago, release=release)
    launch = plan.launch_date
    items = [
        {"observed_at": f"{launch - datetime.timedelta(days=3)}T12:00:00Z", "value": before},
        {"observed_at": f"{launch + datetime.timedelta(days=2)}T12:00:00Z", "value": after},
    ]
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)
    review = LaunchReview.objects.create(launch_plan=plan)
    return review, item


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Zephyr Holdings", timezone="UTC")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def problems(response) -> dict:
    """The field messages of a 400, whether the serializer or the service gave it."""
    assert response.status_code == 400, response.content
    body = response.json()
    return body.get("fields", body)


def client_as(api_client, portfolio, role="viewer"):
    api_client.force_authenticate(member(portfolio, role))
    return api_client


def test_a_review_has_the_contracts_fields_and_its_kpis(
    api_client, portfolio, product, django_capture_on_commit_callbacks
):
    review, item = reviewed_launch(product, django_capture_on_commit_callbacks)

    body = client_as(api_client, portfolio).get(f"{URL}{review.id}/").json()

    plan = review.launch_plan
    assert {k: body[k] for k in ("id", "launch_plan", "window_days", "product", "launch_date", "status", "held")} == {
        "id": review.id,
        "launch_plan": plan.id,
        "window_days": 30,
        "product": product.id,
        "launch_date": plan.launch_date.isoformat(),
        "status": "complete",
        "held": True,
    }
    assert body["before_from"] == (plan.launch_date - datetime.timedelta(days=30)).isoformat()
    assert body["after_to"] == (plan.launch_date + datetime.timedelta(days=29)).isoformat()
    [entry] = body["kpis"]
    assert {k: entry[k] for k in ("key", "before", "after", "change_pct", "expected_change_pct", "held")} == {
        "key": "signups",
        "before": 100,
        "after": 120,
        "change_pct": 20,
        "expected_change_pct": 10,
        "held": True,
    }
    assert entry["kpi"] == product.kpis.get().id and entry["outcome"] == "held" and entry["optimism_pct"] == -10
    assert entry["items"] == [item.id]
    assert body["items"] == [
        {"id": item.id, "title": "Onboarding", "expected_kpi_key": "signups", "expected_change_pct": 10}
    ]


def test_the_list_filters_by_portfolio_product_and_plan(
    api_client, portfolio, product, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first, _ = reviewed_launch(product, capture, days_ago=90)
    other = ProductFactory(portfolio=portfolio)
    second, _ = reviewed_launch(other, capture, days_ago=40)
    elsewhere, _ = reviewed_launch(ProductFactory(), capture)
    client = client_as(api_client, portfolio)

    def ids(**query):
        return [row["id"] for row in client.get(URL, query).json()["results"]]

    assert ids() == [second.id, first.id]  # the latest launch first
    assert ids(product=product.id) == [first.id]
    assert ids(launch_plan=second.launch_plan_id) == [second.id]
    assert ids(portfolio=elsewhere.launch_plan.product.portfolio_id) == []
    assert ids(ordering="launch_date") == [first.id, second.id]
    assert client.get(URL, {"product": ""}).status_code == 400


def test_a_plan_launched_before_reviews_existed_gets_its_review_on_the_first_read(api_client, portfolio, product):
    plan = launched_plan(product)
    LaunchPlanFactory(product=product)  # not launched: no review
    client = client_as(api_client, portfolio)

    rows = client.get(URL).json()["results"]
    again = client.get(URL).json()["results"]

    assert [row["launch_plan"] for row in rows] == [plan.id] == [row["launch_plan"] for row in again]
    assert DomainEvent.objects.filter(verb="launch_review.created", object_id=rows[0]["id"]).count() == 1


def test_a_product_manager_changes_the_window_and_the_figures_follow(
    api_client, portfolio, product, django_capture_on_commit_callbacks
):
    review, _ = reviewed_launch(product, django_capture_on_commit_callbacks, days_ago=60)
    client = client_as(api_client, portfolio, "product_manager")
    etag = client.get(f"{URL}{review.id}/")["ETag"]

    response = client.patch(f"{URL}{review.id}/", {"window_days": 2}, HTTP_IF_MATCH=etag)
    assert response.status_code == 400 and "window_days" in problems(response)
    response = client.patch(f"{URL}{review.id}/", {"window_days": 7}, HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["window_days"] == 7 and response["ETag"] != etag
    # The measurement 3 days before launch is still in a 7-day window; the one 2 days after too.
    assert (body["kpis"][0]["before"], body["kpis"][0]["after"]) == (100, 120)
    review.refresh_from_db()
    assert review.window_days == 7 and review.computed_at is not None and review.results[0]["key"] == "signups"
    event = DomainEvent.objects.get(verb="launch_review.updated", object_id=review.id)
    assert event.changes == {"window_days": [30, 7]}
    assert client.patch(f"{URL}{review.id}/", {"window_days": 14}, HTTP_IF_MATCH=etag).status_code == 412


@pytest.mark.parametrize("value", [6, 366, "thirty", 1.5, True, None, -30, 10**30])
def test_a_window_out_of_bounds_is_a_400_on_the_field_and_changes_nothing(api_client, portfolio, product, value):
    review = LaunchReview.objects.create(launch_plan=launched_plan(product))
    client = client_as(api_client, portfolio, "admin")

    response = client.patch(f"{URL}{review.id}/", {"window_days": value}, format="json")

    assert response.status_code == 400 and "window_days" in problems(response)
    review.refresh_from_db()
    assert review.window_days == 30
    assert not DomainEvent.objects.filter(verb="launch_review.updated").exists()


@pytest.mark.parametrize("role", ["marketer", "viewer"])
def test_only_managers_change_the_window(api_client, portfolio, product, role):
    review = LaunchReview.objects.create(launch_plan=launched_plan(product))
    response = client_as(api_client, portfolio, role).patch(f"{URL}{review.id}/", {"window_days": 45})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.window_days == 30


def test_reviews_are_not_created_or_deleted_through_the_api(api_client, portfolio, product):
    review = LaunchReview.objects.create(launch_plan=launched_plan(product))
    client = client_as(api_client, portfolio, "admin")
    assert client.post(URL, {"launch_plan": review.launch_plan_id}).status_code == 405
    assert client.delete(f"{URL}{review.id}/").status_code == 405


def test_another_portfolios_review_is_a_404(api_client, product):
    review = LaunchReview.objects.create(launch_plan=launched_plan(product))
    client = client_as(api_client, PortfolioFactory(), "admin")
    assert client.get(f"{URL}{review.id}/").status_code == 404
    assert client.patch(f"{URL}{review.id}/", {"window_days": 45}).status_code == 404


def test_the_csv_has_a_row_per_review_and_kpi(api_client, portfolio, product, django_capture_on_commit_callbacks):
    review, _ = reviewed_launch(product, django_capture_on_commit_callbacks)
    KPIFactory(product=product, key="revenue", name="Revenue")

    response = client_as(api_client, portfolio).get(URL, {"format": "csv"})

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("review,launch_plan,launch_plan_name,product,launch_date,window_days,status")
    assert len(lines) == 3
    assert lines[1].startswith(f"{review.id},{review.launch_plan_id},")
    assert ",signups,Sign-ups,100,120,20,10,true,held,-10" in lines[1]


def test_accuracy_is_by_quarter_and_a_foreign_portfolio_is_empty(
    api_client, portfolio, product, django_capture_on_commit_callbacks
):
    reviewed_launch(product, django_capture_on_commit_callbacks, expected="30")  # +20 % against +30 %: missed
    client = client_as(api_client, portfolio)

    [row] = client.get(f"{URL}accuracy/", {"portfolio": portfolio.id}).json()

    launch = TODAY - datetime.timedelta(days=60)
    assert row == {
        "quarter": f"{launch.year}-Q{(launch.month - 1) // 3 + 1}",
        "reviews": 1,
        "waiting": 0,
        "with_expectations": 1,
        "held": 0,
        "share": 0,
        "expectations": 1,
        "optimism_pct": 10,
    }
    assert client.get(f"{URL}accuracy/", {"portfolio": PortfolioFactory().id}).json() == []
    assert "portfolio" in problems(client.get(f"{URL}accuracy/"))
    assert "portfolio" in problems(client.get(f"{URL}accuracy/", {"portfolio": ""}))
    assert client.get(f"{URL}accuracy/", {"portfolio": portfolio.id, "product": "x"}).status_code == 400


def _more(portfolio, capture, n, suffix):
    for i in range(n):
        product = ProductFactory(portfolio=portfolio, name=f"Product {suffix}{i}")
        KPIFactory(product=product, key="revenue", aggregation="avg")
        reviewed_launch(product, capture, days_ago=40 + i)
        launched_plan(product, days_ago=5, name=f"Waiting {suffix}{i}")  # its review is made by the first read


@pytest.mark.parametrize("path", ["", "accuracy/?portfolio={portfolio}", "?format=csv"])
def test_the_list_and_accuracy_cost_the_same_queries_for_ten_times_the_reviews(
    api_client, portfolio, django_capture_on_commit_callbacks, django_assert_max_num_queries, path
):
    client = client_as(api_client, portfolio)
    url = URL + path.format(portfolio=portfolio.id)
    _more(portfolio, django_capture_on_commit_callbacks, 1, "a")
    client.get(url)  # the first read makes the missing reviews
    with django_assert_max_num_queries(12) as one:
        assert client.get(url).status_code == 200
    once = len(one.captured_queries)  # now: the query log keeps only the latest 9,000
    _more(portfolio, django_capture_on_commit_callbacks, 9, "b")
    client.get(url)
    with django_assert_max_num_queries(once):
        response = client.get(url)
    assert response.status_code == 200
    if path == "":
        assert response.json()["count"] == 20
