"""The stage gates API: /api/v1/stage-gates/ (admins write, one gate per portfolio and stage, criteria
checked with their paths), its defaults and criterion types, and the transition's 409."""

import pytest

from products.models import DomainEvent, Role, Stage, StageGate
from tests.factories import MembershipFactory, PortfolioFactory, ProductFactory, StageGateFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/stage-gates/"


@pytest.fixture
def portfolio():
    return PortfolioFactory()


@pytest.fixture
def admin_user(portfolio):
    return member(portfolio, Role.ADMIN)


@pytest.fixture
def admin(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    return api_client


def _snapshot():
    return list(StageGate.objects.values_list("id", "stage", "criteria")), DomainEvent.objects.count()


def test_create_stores_normalised_criteria_and_describes_them(admin, portfolio):
    body = {
        "portfolio": portfolio.id,
        "stage": "development",
        "criteria": [{"type": "launch_plan_ready"}, {"type": "has_roadmap_items", "params": {"min": 3}}],
    }
    response = admin.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["stage"], data["criteria"]) == (
        "development",
        [{"type": "has_roadmap_items", "params": {"min": 3}}, {"type": "launch_plan_ready", "params": {}}],
    )
    assert [c["description"] for c in data["criteria_described"]] == [
        "At least 3 roadmap items (not dropped)",
        "A launch plan is at readiness 100 % (every required task done)",
    ]


def test_create_records_a_domain_event_with_the_criteria_in_words(admin, portfolio):
    body = {"portfolio": portfolio.id, "stage": "research", "criteria": [{"type": "has_goal"}]}
    gate_id = admin.post(URL, body, format="json").json()["id"]
    event = DomainEvent.objects.get(object_type="stage_gate", object_id=gate_id)
    assert (event.verb, event.changes, event.data) == (
        "stage_gate.created",
        {"criteria": [None, [{"type": "has_goal", "params": {}}]]},
        {"stage": "research", "criteria": ["The product has a goal"]},
    )


def test_a_second_gate_for_a_stage_is_a_400_on_stage(admin, portfolio):
    StageGateFactory(portfolio=portfolio, stage="research")
    before = _snapshot()
    response = admin.post(URL, {"portfolio": portfolio.id, "stage": "research", "criteria": []}, format="json")
    assert response.status_code == 400
    assert response.json()["stage"] == ["This portfolio has a gate for Research already: change that one."]
    assert _snapshot() == before


def test_moving_a_gate_to_a_taken_stage_is_a_400(admin, portfolio):
    StageGateFactory(portfolio=portfolio, stage="research")
    gate = StageGateFactory(portfolio=portfolio, stage="planning")
    response = admin.patch(f"{URL}{gate.id}/", {"stage": "research"}, format="json")
    assert response.status_code == 400 and "stage" in response.json()


def test_the_same_stage_in_another_portfolio_is_fine(admin, portfolio):
    StageGateFactory(stage="research")
    response = admin.post(URL, {"portfolio": portfolio.id, "stage": "research", "criteria": []}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "criteria, message",
    [
        ([{"type": "has_magic"}], "criteria[0].type: unknown criterion type “has_magic”"),
        ([{"type": "has_roadmap_items", "params": {"min": 0}}], "criteria[0].params.min: a whole number from 1"),
        ([{"type": "has_goal"}, {"type": "has_goal"}], "criteria[1].type: has_goal is criteria[0] already"),
        ({"type": "has_goal"}, "A list of criteria"),
        (None, "This field may not be null."),
        ("\x00", "NUL"),
    ],
)
def test_bad_criteria_are_a_400_with_their_path_and_nothing_is_written(admin, portfolio, criteria, message):
    before = _snapshot()
    response = admin.post(URL, {"portfolio": portfolio.id, "stage": "research", "criteria": criteria}, format="json")
    assert response.status_code == 400
    assert any(message in text for text in response.json()["criteria"]), response.json()
    assert _snapshot() == before


@pytest.mark.parametrize("stage", ["orbit", "", None])
def test_an_unknown_stage_is_a_400(admin, portfolio, stage):
    response = admin.post(URL, {"portfolio": portfolio.id, "stage": stage, "criteria": []}, format="json")
    assert response.status_code == 400 and "stage" in response.json()


def test_update_records_the_change_and_the_words_before_and_after(admin, portfolio):
    gate = StageGateFactory(portfolio=portfolio, stage="research", criteria=[{"type": "has_description", "params": {}}])
    response = admin.patch(f"{URL}{gate.id}/", {"criteria": [{"type": "has_goal"}]}, format="json")
    assert response.status_code == 200, response.content
    event = DomainEvent.objects.get(verb="stage_gate.updated")
    assert event.data == {
        "stage": "research",
        "criteria": ["The product has a goal"],
        "criteria_before": ["The product describes the problem it solves"],
    }


def test_an_update_that_changes_nothing_records_nothing(admin, portfolio):
    gate = StageGateFactory(portfolio=portfolio, stage="research", criteria=[{"type": "has_goal", "params": {}}])
    response = admin.put(
        f"{URL}{gate.id}/",
        {"portfolio": portfolio.id, "stage": "research", "criteria": [{"type": "has_goal"}]},
        format="json",
    )
    assert response.status_code == 200 and not DomainEvent.objects.exists()


def test_a_gate_stays_in_its_portfolio(admin, admin_user, portfolio):
    other = PortfolioFactory()
    MembershipFactory(portfolio=other, user=admin_user, role=Role.ADMIN)
    gate = StageGateFactory(portfolio=portfolio)
    response = admin.patch(f"{URL}{gate.id}/", {"portfolio": other.id}, format="json")
    assert response.status_code == 400 and "portfolio" in response.json()


def test_delete_brings_the_default_back(admin, portfolio):
    gate = StageGateFactory(portfolio=portfolio, stage="research", criteria=[])
    product = ProductFactory(portfolio=portfolio, stage="research", description="")
    assert admin.delete(f"{URL}{gate.id}/").status_code == 204
    assert DomainEvent.objects.get(verb="stage_gate.deleted").data["falls_back_to"] == [
        "One stage at a time, forward",
        "The product describes the problem it solves",
    ]
    response = admin.post(
        f"/api/v1/products/{product.id}/transition/", {"to_stage": "planning", "reason": "x"}, format="json"
    )
    assert response.status_code == 409


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER])
def test_only_admins_write_gates(api_client, portfolio, role):
    api_client.force_authenticate(member(portfolio, role))
    gate = StageGateFactory(portfolio=portfolio)
    assert api_client.get(f"{URL}{gate.id}/").status_code == 200
    response = api_client.patch(f"{URL}{gate.id}/", {"criteria": []}, format="json")
    assert response.status_code == 403
    gate.refresh_from_db()
    assert gate.criteria == [{"type": "has_description", "params": {}}]


def test_list_filters_by_portfolio_and_stage(admin, admin_user, portfolio):
    StageGateFactory(portfolio=portfolio, stage="research")
    wanted = StageGateFactory(portfolio=portfolio, stage="planning")
    elsewhere = StageGateFactory(stage="planning")
    MembershipFactory(portfolio=elsewhere.portfolio, user=admin_user, role=Role.VIEWER)
    rows = admin.get(URL, {"portfolio": portfolio.id, "stage": "planning"}).json()["results"]
    assert [row["id"] for row in rows] == [wanted.id]
    assert admin.get(URL, {"stage": "moon"}).status_code == 400


def test_list_shows_only_the_users_portfolios(admin, portfolio):
    StageGateFactory(stage="research")
    mine = StageGateFactory(portfolio=portfolio, stage="research")
    assert [row["id"] for row in admin.get(URL).json()["results"]] == [mine.id]


def test_defaults_list_every_stage_in_order(admin):
    rows = admin.get(f"{URL}defaults/").json()
    assert [row["stage"] for row in rows] == Stage.values
    development = rows[Stage.order("development")]
    assert [c["type"] for c in development["criteria"]] == ["one_stage_forward", "has_description", "kpi_with_target"]


def test_criterion_types_say_their_params(admin):
    rows = {row["type"]: row for row in admin.get(f"{URL}criterion-types/").json()}
    assert rows["has_roadmap_items"]["params"] == [
        {"name": "min", "label": "At least", "default": 1, "minimum": 1, "maximum": 1000}
    ]
    assert rows["one_stage_forward"]["about_the_move"] is True


def test_a_gate_read_carries_an_etag_and_a_stale_if_match_is_a_412(admin, portfolio):
    gate = StageGateFactory(portfolio=portfolio)
    etag = admin.get(f"{URL}{gate.id}/")["ETag"]
    assert admin.patch(f"{URL}{gate.id}/", {"criteria": []}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    stale = admin.patch(f"{URL}{gate.id}/", {"criteria": [{"type": "has_goal"}]}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412


# --- the transition's refusal -------------------------------------------------------------------------


def test_a_refused_move_is_a_409_with_the_unmet_criteria(api_client, portfolio):
    api_client.force_authenticate(member(portfolio, Role.PRODUCT_MANAGER))
    product = ProductFactory(portfolio=portfolio, stage="development")
    StageGateFactory(portfolio=portfolio, stage="development", criteria=[{"type": "release_shipped", "params": {}}])
    response = api_client.post(
        f"/api/v1/products/{product.id}/transition/", {"to_stage": "launch", "reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The stage gate is not met: give an override reason or meet the criteria.",
        "code": "gate_not_met",
        "unmet": [{"type": "release_shipped", "message": "No release of the product has shipped."}],
    }


def test_an_overridden_move_shows_the_unmet_list_in_the_ledger(api_client, portfolio):
    api_client.force_authenticate(member(portfolio, Role.PRODUCT_MANAGER))
    product = ProductFactory(portfolio=portfolio, stage="development")
    StageGateFactory(portfolio=portfolio, stage="development", criteria=[{"type": "release_shipped", "params": {}}])
    api_client.post(
        f"/api/v1/products/{product.id}/transition/",
        {"to_stage": "launch", "reason": "Launch event booked", "override": True},
        format="json",
    )
    row = api_client.get(f"/api/v1/products/{product.id}/transitions/").json()["results"][0]
    unmet = [{"type": "release_shipped", "message": "No release of the product has shipped."}]
    assert (row["override"], row["unmet_criteria"], row["evidence"]) == (True, unmet, {"unmet": unmet})
