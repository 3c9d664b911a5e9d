"""Stage gate pages: every stage's exit criteria (members read), a stage's gate form (admins), the history,
the product page's move preview and refusal, and their query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products import services
from products.models import DomainEvent, Role, Stage, StageGate
from products.services import gates as gate_services
from tests.factories import (
    GoalFactory,
    KPIFactory,
    LaunchPlanFactory,
    MarketInsightFactory,
    PortfolioFactory,
    ProductFactory,
    RoadmapItemFactory,
    StageGateFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

EVERY_CRITERION = [
    {"type": "one_stage_forward", "params": {}},
    {"type": "has_description", "params": {}},
    {"type": "has_market_insight", "params": {}},
    {"type": "has_goal", "params": {}},
    {"type": "has_roadmap_items", "params": {"min": 50}},
    {"type": "release_shipped", "params": {}},
    {"type": "launch_plan_ready", "params": {}},
    {"type": "kpi_with_target", "params": {}},
]


@pytest.fixture
def portfolio():
    return PortfolioFactory()


@pytest.fixture
def admin(client, portfolio):
    user = member(portfolio, Role.ADMIN)
    client.force_login(user)
    return user


def gates_url(portfolio, stage=""):
    return f"/portfolios/{portfolio.id}/gates/{stage + '/' if stage else ''}"


# --- the gates page -----------------------------------------------------------------------------------


def test_the_page_shows_every_stage_with_its_default_criteria_in_words(client, portfolio, admin):
    page = client.get(gates_url(portfolio)).content.decode()
    for stage in Stage.values:
        assert f'id="gate-{stage}"' in page
    assert "Development → Launch" in page and "A KPI of the product has a target" in page
    assert "Decline → Retired, and retiring from any stage" in page
    assert page.count('<span class="tag">default</span>') == len(Stage.values)


def test_a_portfolio_gate_shows_as_changed_and_an_empty_one_as_open(client, portfolio, admin):
    StageGateFactory(portfolio=portfolio, stage="development", criteria=[{"type": "launch_plan_ready", "params": {}}])
    StageGateFactory(portfolio=portfolio, stage="research", criteria=[])
    page = client.get(gates_url(portfolio)).content.decode()
    assert "A launch plan is at readiness 100 %" in page
    assert page.count("changed</span>") == 1 and page.count("open gate</span>") == 1
    assert "any move out of Research goes through" in page


def test_the_page_counts_the_products_in_each_stage(client, portfolio, admin):
    ProductFactory.create_batch(2, portfolio=portfolio, stage="planning")
    assert "2 products in Planning" in client.get(gates_url(portfolio)).content.decode()


@pytest.mark.parametrize("role, edits", [(Role.ADMIN, True), (Role.PRODUCT_MANAGER, False), (Role.VIEWER, False)])
def test_members_read_the_gates_and_admins_get_edit_links(client, portfolio, role, edits):
    client.force_login(member(portfolio, role))
    page = client.get(gates_url(portfolio)).content.decode()
    assert (f'href="{gates_url(portfolio, "research")}"' in page) is edits
    assert ("Admins edit the gates." in page) is not edits


def test_the_lifecycle_tabs_mark_the_gates_tab(client, portfolio, admin):
    page = client.get(gates_url(portfolio)).content.decode()
    assert f'href="{gates_url(portfolio)}" aria-current="page">Stage gates' in page


def test_the_gates_page_query_count_does_not_grow(client, portfolio, admin, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            ProductFactory(portfolio=portfolio, stage=Stage.values[i % 9])
        for stage in Stage.values[: min(n, 9)]:
            StageGateFactory(portfolio=portfolio, stage=stage, criteria=[])
        for i in range(n):
            gate_services.stage_gate_set(
                portfolio=portfolio, stage="research", criteria=EVERY_CRITERION[: 1 + i % 8], actor=admin
            )

    grow(1)
    client.get(gates_url(portfolio))
    with CaptureQueriesContext(connection) as once:
        assert client.get(gates_url(portfolio)).status_code == 200
    grow(10)
    with django_assert_max_num_queries(len(once)):
        assert client.get(gates_url(portfolio)).status_code == 200
    assert len(once) <= 9


# --- a stage's gate form ------------------------------------------------------------------------------


def test_the_form_ticks_the_current_criteria(client, portfolio, admin):
    page = client.get(gates_url(portfolio, "development")).content.decode()
    assert 'name="kpi_with_target" id="id_kpi_with_target" checked' in page
    assert 'name="has_goal" id="id_has_goal"' in page and 'name="has_goal" id="id_has_goal" checked' not in page
    assert 'name="has_roadmap_items__min" value="1"' in page


def test_saving_the_form_writes_the_gate_and_its_event(client, portfolio, admin):
    form = {
        "one_stage_forward": "on",
        "launch_plan_ready": "on",
        "has_roadmap_items": "on",
        "has_roadmap_items__min": "3",
    }
    response = client.post(gates_url(portfolio, "development"), form)
    assert response.status_code == 302 and response["Location"].endswith("#gate-development")
    gate = StageGate.objects.get(portfolio=portfolio, stage="development")
    assert gate.criteria == [
        {"type": "one_stage_forward", "params": {}},
        {"type": "has_roadmap_items", "params": {"min": 3}},
        {"type": "launch_plan_ready", "params": {}},
    ]
    assert DomainEvent.objects.filter(verb="stage_gate.created", object_id=gate.id).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Development gate saved: One stage at a time, forward; At least 3 roadmap items" in page
    assert "Set: One stage at a time, forward; At least 3 roadmap items" in page  # the history


def test_saving_nothing_ticked_opens_the_gate(client, portfolio, admin):
    client.post(gates_url(portfolio, "research"), {"has_roadmap_items__min": "1"})
    assert StageGate.objects.get(portfolio=portfolio, stage="research").criteria == []


def test_a_change_shows_what_was_added_and_removed(client, portfolio, admin):
    client.post(gates_url(portfolio, "research"), {"one_stage_forward": "on", "has_description": "on"})
    client.post(gates_url(portfolio, "research"), {"one_stage_forward": "on", "has_goal": "on"})
    page = client.get(gates_url(portfolio)).content.decode()
    assert "Added: The product has a goal." in page
    assert "Removed: The product describes the problem it solves." in page


@pytest.mark.parametrize("value", ["0", "1001", "2.5", "many", "1e9999999", "9" * 30, "a\x00b", "x" * 100_000])
def test_a_bad_minimum_is_a_400_with_its_field_and_writes_nothing(client, portfolio, admin, value):
    events = DomainEvent.objects.count()
    form = {"has_roadmap_items": "on", "has_roadmap_items__min": value}
    response = client.post(gates_url(portfolio, "planning"), form)
    assert response.status_code == 400
    assert response.context["form"].errors["has_roadmap_items__min"]
    assert not StageGate.objects.exists() and DomainEvent.objects.count() == events


def test_an_empty_minimum_takes_the_default(client, portfolio, admin):
    client.post(gates_url(portfolio, "planning"), {"has_roadmap_items": "on", "has_roadmap_items__min": ""})
    assert StageGate.objects.get(stage="planning").criteria == [{"type": "has_roadmap_items", "params": {"min": 1}}]


def test_reset_to_default_writes_the_default_criteria(client, portfolio, admin):
    StageGateFactory(portfolio=portfolio, stage="growth", criteria=[])
    page = client.get(gates_url(portfolio, "growth")).content.decode()
    assert "Reset to default" in page
    response = client.post(gates_url(portfolio, "growth"), {"reset": "1"})
    assert response.status_code == 302
    assert [c["type"] for c in StageGate.objects.get(stage="growth").criteria] == [
        "one_stage_forward",
        "has_description",
        "kpi_with_target",
    ]
    assert DomainEvent.objects.filter(verb="stage_gate.updated").count() == 1


def test_a_default_gate_offers_no_reset(client, portfolio, admin):
    assert "Reset to default" not in client.get(gates_url(portfolio, "growth")).content.decode()


def test_an_unknown_stage_is_a_404(client, portfolio, admin):
    assert client.get(gates_url(portfolio, "orbit")).status_code == 404


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER])
def test_only_admins_edit_a_gate(client, portfolio, role):
    client.force_login(member(portfolio, role))
    assert client.get(gates_url(portfolio, "research")).status_code == 403
    assert client.post(gates_url(portfolio, "research"), {"reset": "1"}).status_code == 403
    assert not StageGate.objects.exists()


def test_the_default_gates_of_a_new_portfolio_are_one_history_entry(client):
    user = UserFactory()
    portfolio = services.portfolio_create(name="New", creator=user)
    client.force_login(user)
    page = client.get(gates_url(portfolio)).content.decode()
    assert "The default gates</strong> set for 9 stages, as the portfolio was created" in page
    assert "<strong>Ideation gate</strong>" not in page


def test_a_new_portfolio_has_the_default_gates_as_rows():
    portfolio = services.portfolio_create(name="New", creator=UserFactory())
    gates = dict(StageGate.objects.filter(portfolio=portfolio).values_list("stage", "criteria"))
    assert list(gates) == Stage.values
    assert gates["development"] == [
        {"type": "one_stage_forward", "params": {}},
        {"type": "has_description", "params": {}},
        {"type": "kpi_with_target", "params": {}},
    ]
    assert DomainEvent.objects.filter(portfolio=portfolio, verb="stage_gate.created").count() == len(Stage.values)


# --- the product page: the gate before the move, the refusal, the override -------------------------


def test_the_move_preview_shows_the_portfolios_own_gate(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, stage="development")
    KPIFactory(product=product, target=10)
    StageGateFactory(portfolio=portfolio, stage="development", criteria=[{"type": "release_shipped", "params": {}}])
    page = client.get(f"/products/{product.id}/").content.decode()
    assert "Gate to Launch:</strong> not met yet" in page
    assert "No release of the product has shipped." in page
    assert f'href="{gates_url(portfolio)}#gate-development"' in page


def test_a_missing_description_names_the_first_move_the_default_gates_refuse_for_it(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, stage="ideation", description="")
    page = client.get(f"/products/{product.id}/").content.decode()
    assert "say what problem it solves</a> (a move to Planning needs one)." in page


def test_a_missing_description_names_the_portfolios_own_gate_that_asks_for_it(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, stage="ideation", description="")
    StageGateFactory(portfolio=portfolio, stage="ideation", criteria=[{"type": "has_description", "params": {}}])
    page = client.get(f"/products/{product.id}/").content.decode()
    assert "say what problem it solves</a> (a move to Research needs one)." in page


def test_a_missing_description_names_no_move_when_no_gate_asks_for_one(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, stage="ideation", description="")
    for stage in Stage.values:
        StageGateFactory(portfolio=portfolio, stage=stage, criteria=[])
    page = client.get(f"/products/{product.id}/").content.decode()
    assert "say what problem it solves</a>.</p>" in page


def test_a_refused_move_lists_the_unmet_criteria_and_says_how_to_override(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, stage="development")
    StageGateFactory(portfolio=portfolio, stage="development", criteria=[{"type": "has_goal", "params": {}}])
    response = client.post(
        f"/products/{product.id}/transition/", {"from_stage": "development", "to_stage": "launch", "reason": "Now"}
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "<li>The product has no goal that says what it should achieve.</li>" in page
    assert "tick “Override the stage gate” and say why" in page


def test_an_overridden_move_shows_its_unmet_criteria_in_the_stage_history(client, portfolio, admin):
    product = ProductFactory(portfolio=portfolio, stage="development")
    StageGateFactory(portfolio=portfolio, stage="development", criteria=[{"type": "has_goal", "params": {}}])
    client.post(
        f"/products/{product.id}/transition/",
        {"from_stage": "development", "to_stage": "launch", "reason": "Board call", "override": "on"},
    )
    page = client.get(f"/products/{product.id}/").content.decode()
    assert "gate overridden" in page and "Unmet gate criteria (1)" in page
    assert "<li>The product has no goal that says what it should achieve.</li>" in page
    assert "{&#x27;unmet&#x27;" not in page  # not again as raw evidence


def test_the_move_preview_query_count_does_not_grow_with_the_facts(client, portfolio, django_assert_max_num_queries):
    """Every criterion type in every gate: each fact is asked once, whatever there is of it."""
    client.force_login(member(portfolio, Role.PRODUCT_MANAGER))
    product = ProductFactory(portfolio=portfolio, stage="research")
    for stage in Stage.values:
        StageGateFactory(portfolio=portfolio, stage=stage, criteria=EVERY_CRITERION)

    def grow(n):
        for i in range(n):
            KPIFactory(product=product, key=f"k{KPIFactory._meta.model.objects.count()}", target=i)
            RoadmapItemFactory(product=product)
            LaunchPlanFactory(product=product)
            GoalFactory(product=product)
            MarketInsightFactory(portfolio=portfolio).products.add(product)

    grow(1)
    client.get(f"/products/{product.id}/")
    with CaptureQueriesContext(connection) as once:
        assert client.get(f"/products/{product.id}/").status_code == 200
    grow(9)
    with django_assert_max_num_queries(len(once)):
        page = client.get(f"/products/{product.id}/").content.decode()
    assert "The roadmap needs at least 50 items (not dropped); it has only 10." in page


# --- the admin ----------------------------------------------------------------------------------------


def test_the_admin_writes_a_gate_through_the_service(client, portfolio):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/products/stagegate/add/",
        {"portfolio": portfolio.id, "stage": "launch", "criteria": '[{"type": "has_roadmap_items"}]'},
    )
    assert response.status_code == 302, response.content[:2000]
    gate = StageGate.objects.get(portfolio=portfolio, stage="launch")
    assert gate.criteria == [{"type": "has_roadmap_items", "params": {"min": 1}}]
    assert DomainEvent.objects.filter(verb="stage_gate.created", object_id=gate.id).exists()


def test_the_admin_shows_bad_criteria_on_the_form(client, portfolio):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/products/stagegate/add/",
        {"portfolio": portfolio.id, "stage": "launch", "criteria": '[{"type": "has_magic"}]'},
    )
    assert response.status_code == 200 and "unknown criterion type “has_magic”" in response.content.decode()
    assert not StageGate.objects.exists()
