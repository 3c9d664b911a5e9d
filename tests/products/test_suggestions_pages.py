"""Stage suggestion pages: the portfolio's list, a suggestion's page with its evidence and the decision
forms, accepting and dismissing from the browser (no JavaScript), the dashboard's and the product page's
panels, and what the pages cost at 1× and 10× the data."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpis.services import measurements_ingest
from products.models import Product, Role, Stage, StageSuggestion, StageTransition
from products.services.rules import lifecycle_rules_run
from products.services.suggestions import suggestion_dismiss
from tests.factories import (
    KPIFactory,
    LifecycleRuleFactory,
    PortfolioFactory,
    ProductFactory,
    StageSuggestionFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def pm(client, portfolio):
    user = member(portfolio, Role.PRODUCT_MANAGER)
    client.force_login(user)
    return user


@pytest.fixture
def fired(portfolio, django_capture_on_commit_callbacks):
    """A real suggestion: Nebula's revenue was ≥ 100 on each of 3 days, and a suggest rule saw it."""
    product = ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH, name="Nebula")
    kpi = KPIFactory(product=product, key="revenue", name="Revenue", aggregation="sum", unit="EUR")
    items = [
        {"observed_at": (TODAY - timedelta(days=3 - i)).isoformat(), "value": v} for i, v in enumerate([120, 130, 140])
    ]
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)
    LifecycleRuleFactory(portfolio=portfolio, name="Revenue holds", mode="suggest")
    lifecycle_rules_run(product_id=product.id, today=TODAY)
    return StageSuggestion.objects.get(product=product)


def _page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


# --- the list ------------------------------------------------------------------------------------------


def test_list_shows_pending_ones_with_their_evidence_first(client, portfolio, pm, fired):
    page = _page(client, f"/portfolios/{portfolio.id}/suggestions/")
    assert "Waiting for a decision" in page and "Nebula" in page
    assert "Because revenue stays at or above 100 for 3 days in a row." in page
    assert "140" in page  # the evidence's rows
    assert f'href="/suggestions/{fired.id}/"' in page and "Review and decide" in page
    assert page.index("Waiting for a decision") < page.index("Decided and expired")


def test_list_shows_decided_ones_with_who_and_why(client, portfolio, pm, fired):
    suggestion_dismiss(suggestion_id=fired.id, actor=UserFactory(username="dana"), reason="Launch promo spike")
    page = _page(client, f"/portfolios/{portfolio.id}/suggestions/")
    assert "Dismissed" in page and "dana" in page and "Launch promo spike" in page
    assert "Nothing is waiting." in page


def test_list_says_how_to_get_suggestions_when_no_rule_suggests(client, portfolio, pm):
    page = _page(client, f"/portfolios/{portfolio.id}/suggestions/")
    assert "No active rule suggests moves yet" in page


def test_list_filtered_to_dismissed_leaves_the_pending_section_out(client, portfolio, pm, fired):
    page = _page(client, f"/portfolios/{portfolio.id}/suggestions/?status=dismissed")
    assert "Waiting for a decision" not in page and "Decided and expired" in page


def test_list_filtered_by_product_shows_only_its_suggestions(client, portfolio, pm, fired):
    other = StageSuggestionFactory(product=ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH, name="Orion"))
    page = _page(client, f"/portfolios/{portfolio.id}/suggestions/?product={other.product_id}")
    assert "Orion" in page and f"/suggestions/{fired.id}/" not in page


def test_list_csv_has_a_row_per_suggestion(client, portfolio, pm, fired):
    response = client.get(f"/portfolios/{portfolio.id}/suggestions/?format=csv")
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("id,product,from_stage,to_stage,status,reason")
    assert lines[1].startswith(f"{fired.id},Nebula,launch,growth,pending,")


def test_list_shows_the_lifecycle_tabs(client, portfolio, pm):
    page = _page(client, f"/portfolios/{portfolio.id}/suggestions/")
    assert 'aria-current="page">Suggestions</a>' in page


# --- a suggestion's page -------------------------------------------------------------------------------


def test_suggestion_page_shows_the_full_evidence_and_both_forms_to_a_product_manager(client, pm, fired):
    page = _page(client, f"/suggestions/{fired.id}/")
    assert "Move Nebula to Growth?" in page
    assert "Revenue (EUR)" in page and "120" in page and "130" in page and "140" in page
    assert f'action="/suggestions/{fired.id}/accept/"' in page and f'action="/suggestions/{fired.id}/dismiss/"' in page
    assert "The stage gate does not apply" in page


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_see_the_evidence_and_who_decides(client, portfolio, fired, role):
    client.force_login(member(portfolio, role))
    page = _page(client, f"/suggestions/{fired.id}/")
    assert "140" in page and "Admins and product managers accept or dismiss suggestions" in page
    assert "/accept/" not in page and "/dismiss/" not in page


def test_another_portfolios_member_gets_404(client, fired):
    client.force_login(member(PortfolioFactory(), Role.ADMIN))
    _page(client, f"/suggestions/{fired.id}/", status=404)


def test_release_evidence_links_the_release(client, portfolio, pm):
    from tests.factories import ReleaseFactory

    product = ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH)
    release = ReleaseFactory(product=product, version="2.0")
    suggestion = StageSuggestionFactory(
        product=product,
        evidence={
            "condition_type": "release_shipped",
            "condition": "a release of the product ships",
            "release": {
                "id": release.id,
                "version": "2.0",
                "name": "",
                "shipped_at": "2026-03-01T10:00:00+00:00",
                "items": 4,
                "done": 3,
            },
        },
    )
    page = _page(client, f"/suggestions/{suggestion.id}/")
    assert f'href="/releases/{release.id}/"' in page and "3 of 4 items done" in page


# --- deciding -------------------------------------------------------------------------------------------


def test_accepting_moves_the_product_and_its_history_names_the_suggestion(client, pm, fired):
    response = client.post(f"/suggestions/{fired.id}/accept/", {"reason": "Finance agrees"})
    assert response.status_code == 302 and response["Location"] == f"/products/{fired.product_id}/"
    assert Product.objects.get(pk=fired.product_id).stage == Stage.GROWTH
    page = _page(client, f"/products/{fired.product_id}/")
    assert "moved from Launch to Growth" in page
    assert f'Accepted suggestion: <a href="/suggestions/{fired.id}/">' in page
    assert "Finance agrees" in page and pm.username in page


def test_accepting_twice_shows_why_with_409_and_moves_once(client, pm, fired):
    client.post(f"/suggestions/{fired.id}/accept/", {})
    response = client.post(f"/suggestions/{fired.id}/accept/", {})
    assert response.status_code == 409
    assert f"already accepted by {pm.username}" in response.content.decode()
    assert StageTransition.objects.filter(product=fired.product).count() == 1


def test_dismissing_without_a_reason_is_a_400_with_the_message(client, pm, fired):
    response = client.post(f"/suggestions/{fired.id}/dismiss/", {"reason": "  "})
    assert response.status_code == 400
    assert "Say why you dismiss it" in response.content.decode()
    fired.refresh_from_db()
    assert fired.status == "pending"


def test_dismissing_returns_to_the_list_with_a_message(client, portfolio, pm, fired):
    response = client.post(f"/suggestions/{fired.id}/dismiss/", {"reason": "Promo spike"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/portfolios/{portfolio.id}/suggestions/"
    page = response.content.decode()
    assert "Dismissed: Nebula stays in Launch." in page and "Promo spike" in page
    fired.refresh_from_db()
    assert (fired.status, fired.decided_by) == ("dismissed", pm)


def test_a_dismissed_suggestions_page_says_who_and_why(client, pm, fired):
    client.post(f"/suggestions/{fired.id}/dismiss/", {"reason": "Promo spike"})
    page = _page(client, f"/suggestions/{fired.id}/")
    assert f"Dismissed by {pm.username}" in page and "Promo spike" in page and "/accept/" not in page


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
@pytest.mark.parametrize("action", ["accept", "dismiss"])
def test_readers_cannot_decide(client, portfolio, fired, role, action):
    client.force_login(member(portfolio, role))
    assert client.post(f"/suggestions/{fired.id}/{action}/", {"reason": "x"}).status_code == 403
    fired.refresh_from_db()
    assert fired.status == "pending"


def test_deciding_needs_a_post(client, pm, fired):
    assert client.get(f"/suggestions/{fired.id}/accept/").status_code == 405


# --- panels ---------------------------------------------------------------------------------------------


def test_dashboard_shows_pending_suggestions_with_a_review_link(client, portfolio, pm, fired):
    page = _page(client, f"/portfolios/{portfolio.id}/")
    assert "Suggested stage moves" in page
    assert "Because revenue stays at or above 100 for 3 days in a row" in page
    assert f'href="/suggestions/{fired.id}/"' in page


def test_dashboard_has_no_panel_when_nothing_is_pending(client, portfolio, pm, fired):
    suggestion_dismiss(suggestion_id=fired.id, actor=pm, reason="No")
    assert "Suggested stage moves" not in _page(client, f"/portfolios/{portfolio.id}/")


def test_dashboard_leaves_archived_products_out(client, portfolio, pm, fired):
    Product.objects.filter(pk=fired.product_id).update(archived_at=timezone.now())
    assert "Suggested stage moves" not in _page(client, f"/portfolios/{portfolio.id}/")


def test_dashboard_shows_five_and_counts_the_rest(client, portfolio, pm):
    for _ in range(7):
        StageSuggestionFactory(product=ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH))
    page = _page(client, f"/portfolios/{portfolio.id}/")
    assert page.count("Review<span") == 5 and "And 2 more" in page


def test_product_page_shows_its_pending_suggestion(client, pm, fired):
    page = _page(client, f"/products/{fired.product_id}/")
    assert "A rule suggests a move" in page and f'href="/suggestions/{fired.id}/"' in page
    assert "Revenue (EUR)" in page


def test_product_page_has_no_suggestion_panel_after_the_decision(client, pm, fired):
    suggestion_dismiss(suggestion_id=fired.id, actor=pm, reason="No")
    assert "A rule suggests a move" not in _page(client, f"/products/{fired.product_id}/")


# --- cost -----------------------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/portfolios/{p}/suggestions/",
        "/portfolios/{p}/suggestions/?status=dismissed",
        "/portfolios/{p}/suggestions/?format=csv",
        "/portfolios/{p}/",
        "/suggestions/{s}/",
        "/products/{product}/",
    ],
)
def test_pages_cost_the_same_queries_at_ten_times_the_data(client, path):
    counts = []
    for n in (3, 30):
        portfolio = PortfolioFactory()
        rule = LifecycleRuleFactory(portfolio=portfolio, mode="suggest")
        user = member(portfolio, Role.PRODUCT_MANAGER)
        client.force_login(user)
        product = ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH)
        for i in range(n):
            StageSuggestionFactory(
                product=product if i < 2 else ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH),
                rule=rule if i % 3 else LifecycleRuleFactory(portfolio=portfolio, mode="suggest"),
                status="dismissed" if i % 2 else "pending",
                decided_by=user if i % 2 else None,
                decision_reason="No" if i % 2 else "",
                evidence={"condition_type": "release_shipped", "condition": "a release of the product ships"},
            )
        url = path.format(
            p=portfolio.id, s=StageSuggestion.objects.filter(product=product).first().id, product=product.id
        )
        client.get(url)  # the first visit stores the portfolio in the session
        counts.append(_count(client, url))
    assert counts[0] == counts[1], counts
