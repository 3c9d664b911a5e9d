"""Pages: rendered for each role, 404 for another portfolio's member, no edit controls for readers."""

import pytest

from kpis.services import measurements_ingest
from products import services
from products.models import Role, Stage, StageTransition
from tests.factories import KPIFactory, PortfolioFactory, ProductFactory, ProductLineFactory, UserFactory, member

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER]


@pytest.fixture
def product(django_capture_on_commit_callbacks):
    product = ProductFactory(stage=Stage.RESEARCH, product_line=None)
    kpi = KPIFactory(product=product, name="Revenue", key="revenue", target=100, headline=True)
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(
            kpi_id=kpi.id, items=[{"observed_at": f"2026-0{m}-10", "value": m * 10} for m in range(1, 7)]
        )
    services.product_transition(product_id=product.id, to_stage=Stage.PLANNING, reason="Interviews done", actor=None)
    return product


def test_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_pages_redirect_anonymous_users_to_login(client, product):
    response = client.get(f"/products/{product.id}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_home_redirects_to_the_users_portfolio(client, product):
    client.force_login(member(product.portfolio, Role.VIEWER))
    response = client.get("/")
    assert response["Location"] == f"/portfolios/{product.portfolio_id}/"


def test_home_without_portfolio_says_what_to_do(client):
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert b"Create a portfolio" in response.content


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_shows_products_by_stage_with_headline_kpi(client, product, role):
    client.force_login(member(product.portfolio, role))
    response = client.get(f"/portfolios/{product.portfolio_id}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert product.name in page and "Revenue" in page and "Interviews done" in page
    assert 'class="sparkline"' in page


def test_dashboard_of_another_portfolio_is_404(client, product):
    client.force_login(member(product.portfolio, None))
    assert client.get(f"/portfolios/{product.portfolio_id}/").status_code == 404


def test_dashboard_query_count_does_not_grow_with_products(client, product, django_assert_max_num_queries):
    for _ in range(8):
        KPIFactory(product=ProductFactory(portfolio=product.portfolio, product_line=ProductLineFactory()))
    client.force_login(member(product.portfolio, Role.VIEWER))
    # 13 + the roadmap line's 2 + the launch line's 1 + open signals' 1 + pending suggestions' 1
    with django_assert_max_num_queries(18):
        assert client.get(f"/portfolios/{product.portfolio_id}/").status_code == 200


@pytest.mark.parametrize(
    "role, can_move", [(Role.ADMIN, True), (Role.PRODUCT_MANAGER, True), (Role.MARKETER, False), (Role.VIEWER, False)]
)
def test_product_page_shows_move_form_only_to_roles_that_may_move(client, product, role, can_move):
    client.force_login(member(product.portfolio, role))
    response = client.get(f"/products/{product.id}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="chart"' in page and "Interviews done" in page
    assert ("Move product" in page) is can_move


def test_product_page_of_another_portfolio_is_404(client, product):
    client.force_login(member(product.portfolio, None))
    assert client.get(f"/products/{product.id}/").status_code == 404


def test_product_page_query_count_does_not_grow_with_kpis(client, product, django_assert_max_num_queries):
    for _ in range(6):
        KPIFactory(product=product)
    client.force_login(member(product.portfolio, Role.VIEWER))
    # 14 + the roadmap panel's 2 + the launches panel's 1 + the portfolio's stage gates 1
    # 18 + the product's open signals (kpis.signal_panels) + its pending suggestions (suggestion_panels)
    with django_assert_max_num_queries(20):
        assert client.get(f"/products/{product.id}/").status_code == 200


def test_move_form_moves_the_product(client, product):
    product.description = "Described"
    product.save()
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    response = client.post(
        f"/products/{product.id}/transition/",
        {"from_stage": "planning", "to_stage": "development", "reason": "Plan approved"},
    )
    product.refresh_from_db()
    assert response.status_code == 302 and product.stage == Stage.DEVELOPMENT


def test_move_form_shows_gate_errors_and_changes_nothing(client, product):
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    response = client.post(
        f"/products/{product.id}/transition/", {"from_stage": "planning", "to_stage": "growth", "reason": "Hurry"}
    )
    product.refresh_from_db()
    assert response.status_code == 409
    assert "Skips Development, Launch" in response.content.decode()
    assert product.stage == Stage.PLANNING


def test_refused_move_page_links_its_tabs_to_the_product_page(client, product):
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    response = client.post(
        f"/products/{product.id}/transition/", {"from_stage": "planning", "to_stage": "growth", "reason": "Hurry"}
    )
    # Relative "?granularity=" links would point at the POST-only /transition/ URL (a 405).
    assert f'href="/products/{product.id}/?granularity=week"' in response.content.decode()


def test_move_form_without_reason_is_a_field_error(client, product):
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    count = StageTransition.objects.count()
    response = client.post(f"/products/{product.id}/transition/", {"from_stage": "planning", "to_stage": "development"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert StageTransition.objects.count() == count


def test_move_form_with_stale_stage_says_so_and_changes_nothing(client, product):
    client.force_login(member(product.portfolio, Role.PRODUCT_MANAGER))
    response = client.post(
        f"/products/{product.id}/transition/",
        {"from_stage": "research", "to_stage": "development", "reason": "Old tab"},
        follow=True,
    )
    product.refresh_from_db()
    assert "moved to Planning meanwhile" in response.content.decode()
    assert product.stage == Stage.PLANNING


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_move_form_refuses_readers(client, product, role):
    client.force_login(member(product.portfolio, role))
    client.post(
        f"/products/{product.id}/transition/", {"from_stage": "planning", "to_stage": "development", "reason": "x"}
    )
    product.refresh_from_db()
    assert product.stage == Stage.PLANNING


def test_move_form_of_another_portfolio_is_404(client, product):
    client.force_login(member(product.portfolio, None))
    response = client.post(f"/products/{product.id}/transition/", {"to_stage": "development", "reason": "x"})
    assert response.status_code == 404


def test_portfolio_form_creates_a_portfolio_with_the_user_as_admin(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/portfolios/new/", {"name": "Consumer", "timezone": "Europe/Paris"})
    assert response.status_code == 302
    assert user.memberships.get().role == Role.ADMIN


def test_portfolio_form_refuses_unknown_time_zone(client):
    client.force_login(UserFactory())
    response = client.post("/portfolios/new/", {"name": "Consumer", "timezone": "Mars/Olympus"})
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert not PortfolioFactory._meta.model.objects.filter(name="Consumer").exists()
