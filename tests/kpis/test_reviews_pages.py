"""Launch review pages: the portfolio's list with accuracy by quarter, one review with its KPIs and items, the
window form (managers only, 400 with the message, nothing changed), the way there from a plan, the panel on
a launched plan's page, and fixed queries at ten times the reviews."""

import pytest
from django.test import Client

from kpis.models import LaunchReview
from products.models import DomainEvent
from tests.factories import KPIFactory, LaunchPlanFactory, PortfolioFactory, ProductFactory, member
from tests.kpis.test_reviews_api import launched_plan, reviewed_launch

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Zephyr Holdings", timezone="UTC")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def browser(portfolio, role="viewer") -> Client:
    client = Client()
    client.force_login(member(portfolio, role))
    return client


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_list_shows_every_launch_and_how_often_estimates_held(
    portfolio, product, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    held, _ = reviewed_launch(product, capture, days_ago=200, expected="10")
    missed, _ = reviewed_launch(product, capture, days_ago=100, expected="30")
    waiting = launched_plan(product, days_ago=3, name="Quasar launch")  # its review is made by this read

    text = page_text(browser(portfolio).get(f"/portfolios/{portfolio.id}/launch-reviews/"))

    assert LaunchReview.objects.filter(launch_plan=waiting).exists()
    for review in (held, missed):
        assert f'href="/launch-reviews/{review.id}/"' in text
    assert "Quasar launch" in text and 'Waiting</span> <span class="muted small nowrap">until' in text
    assert "Expectations held in 1 of 2 judged launches (50 %)" in text
    assert 'class="chart-frame accuracy-chart"' in text
    assert 'aria-current="page">Launch reviews</a>' in text


def test_the_list_narrows_to_one_product_and_downloads_csv(portfolio, product, django_capture_on_commit_callbacks):
    mine, _ = reviewed_launch(product, django_capture_on_commit_callbacks)
    other = ProductFactory(portfolio=portfolio, name="Pulsar")
    theirs, _ = reviewed_launch(other, django_capture_on_commit_callbacks)
    client = browser(portfolio)

    text = page_text(client.get(f"/portfolios/{portfolio.id}/launch-reviews/?product={product.id}"))
    response = client.get(f"/portfolios/{portfolio.id}/launch-reviews/?product={product.id}&format=csv")

    assert f"/launch-reviews/{mine.id}/" in text and f"/launch-reviews/{theirs.id}/" not in text
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Disposition"].endswith(f'launch-reviews-{portfolio.id}-product-{product.id}.csv"')
    assert [line.split(",")[0] for line in body.splitlines()[1:]] == [str(mine.id)]


def test_an_empty_portfolio_says_how_reviews_come(portfolio):
    text = page_text(browser(portfolio).get(f"/portfolios/{portfolio.id}/launch-reviews/"))
    assert "No launches to review yet" in text


def test_a_review_shows_each_kpi_the_items_it_checks_and_the_verdict(
    portfolio, product, django_capture_on_commit_callbacks
):
    review, item = reviewed_launch(product, django_capture_on_commit_callbacks, expected="30")
    KPIFactory(product=product, key="revenue", name="Revenue", unit="EUR")

    text = page_text(browser(portfolio).get(f"/launch-reviews/{review.id}/"))

    assert "0 of 1 expectation held; the planners expected 10 points more than happened on average." in text
    assert "What the planners expected" in text and "The product's other KPIs" in text
    assert f'href="/roadmap-items/{item.id}/"' in text and "+30 %" in text and "+20 %" in text
    assert 'class="review-dumbbell"' in text and "expected" in text
    assert "Missed" in text
    assert 'name="window_days"' not in text  # a viewer reads the window, does not change it


def test_a_review_without_a_release_says_how_to_get_expectations(portfolio, product):
    review = LaunchReview.objects.create(launch_plan=launched_plan(product))
    text = page_text(browser(portfolio).get(f"/launch-reviews/{review.id}/"))
    assert "names no release" in text and "has no KPIs to compare yet" in text


def test_a_product_manager_changes_the_window(portfolio, product, django_capture_on_commit_callbacks):
    review, _ = reviewed_launch(product, django_capture_on_commit_callbacks)
    client = browser(portfolio, "product_manager")
    assert 'name="window_days"' in page_text(client.get(f"/launch-reviews/{review.id}/"))

    response = client.post(f"/launch-reviews/{review.id}/window/", {"window_days": "45"})

    assert response.status_code == 302 and response["Location"] == f"/launch-reviews/{review.id}/"
    review.refresh_from_db()
    assert review.window_days == 45
    assert "Window saved: 45 days" in page_text(client.get(response["Location"]))


@pytest.mark.parametrize("value", ["6", "366", "", "forty", "45.5", "\x00"])
def test_a_bad_window_is_a_400_with_the_message_and_changes_nothing(portfolio, product, value):
    review = LaunchReview.objects.create(launch_plan=launched_plan(product))

    response = browser(portfolio, "admin").post(f"/launch-reviews/{review.id}/window/", {"window_days": value})

    assert response.status_code == 400
    assert "Whole days from 7 to 365." in response.content.decode()
    review.refresh_from_db()
    assert review.window_days == 30 and not DomainEvent.objects.filter(verb="launch_review.updated").exists()


@pytest.mark.parametrize("role", ["marketer", "viewer"])
def test_only_managers_post_the_window(portfolio, product, role):
    review = LaunchReview.objects.create(launch_plan=launched_plan(product))
    response = browser(portfolio, role).post(f"/launch-reviews/{review.id}/window/", {"window_days": "45"})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.window_days == 30


def test_a_plan_leads_to_its_review_made_on_the_first_visit(portfolio, product):
    plan = launched_plan(product)
    client = browser(portfolio)

    response = client.get(f"/launches/{plan.id}/review/")

    review = LaunchReview.objects.get(launch_plan=plan)
    assert response.status_code == 302 and response["Location"] == f"/launch-reviews/{review.id}/"
    assert client.get(f"/launches/{plan.id}/review/")["Location"] == response["Location"]
    assert client.get(f"/launches/{LaunchPlanFactory(product=product).id}/review/").status_code == 404  # not launched


def test_a_launched_plans_page_shows_its_review_and_the_launch_view_links_to_it(
    portfolio, product, django_capture_on_commit_callbacks
):
    review, _ = reviewed_launch(product, django_capture_on_commit_callbacks, expected="10")
    client = browser(portfolio)
    plan = review.launch_plan

    text = page_text(client.get(f"/launches/{plan.id}/"))
    view = page_text(client.get(f"/launches/{plan.id}/kpis/"))
    open_plan = page_text(client.get(f"/launches/{LaunchPlanFactory(product=product).id}/"))

    assert "Launch review" in text and f'href="/launch-reviews/{review.id}/"' in text
    assert "1 of 1 expectation held" in text
    assert f'href="/launches/{plan.id}/review/"' in view
    assert "review-panel" not in open_plan


def test_another_portfolios_review_is_a_404(product):
    review = LaunchReview.objects.create(launch_plan=launched_plan(product))
    client = browser(PortfolioFactory(), "admin")
    assert client.get(f"/launch-reviews/{review.id}/").status_code == 404
    assert client.post(f"/launch-reviews/{review.id}/window/", {"window_days": "45"}).status_code == 404


def _more(portfolio, capture, n, suffix):
    for i in range(n):
        product = ProductFactory(portfolio=portfolio, name=f"Product {suffix}{i}")
        KPIFactory(product=product, key="conversion", aggregation="avg")
        reviewed_launch(product, capture, days_ago=40 + 30 * i)


@pytest.mark.parametrize("which", ["list", "review"])
def test_the_pages_cost_the_same_queries_for_ten_times_the_data(
    portfolio, product, django_capture_on_commit_callbacks, django_assert_max_num_queries, which
):
    capture = django_capture_on_commit_callbacks
    review, _ = reviewed_launch(product, capture)
    _more(portfolio, capture, 1, "a")
    client = browser(portfolio)
    url = f"/portfolios/{portfolio.id}/launch-reviews/" if which == "list" else f"/launch-reviews/{review.id}/"
    client.get(url)
    with django_assert_max_num_queries(20) as one:
        assert client.get(url).status_code == 200
    once = len(one.captured_queries)  # now: the query log keeps only the latest 9,000
    _more(portfolio, capture, 9, "b")
    for i in range(9):  # ten times the KPIs of the reviewed product too
        KPIFactory(product=product, key=f"metric_b{i}", aggregation="sum")
    with django_assert_max_num_queries(once):
        assert client.get(url).status_code == 200
