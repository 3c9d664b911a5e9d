"""The products API: permission matrix (role × own/foreign portfolio), validation, tokens, query counts."""

import pytest
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from products.models import (
    LifecycleRule,
    Membership,
    Portfolio,
    Product,
    ProductLine,
    Role,
    Stage,
    StageTransition,
)
from tests.factories import (
    LifecycleRuleFactory,
    MembershipFactory,
    ProductFactory,
    ProductLineFactory,
    StageTransitionFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER]
MANAGERS = {Role.ADMIN, Role.PRODUCT_MANAGER}
ADMINS = {Role.ADMIN}
PASSWORD = "secret-pass-1"  # UserFactory's

READS = [
    "/api/v1/portfolios/{portfolio}/",
    "/api/v1/portfolios/{portfolio}/members/",
    "/api/v1/product-lines/{line}/",
    "/api/v1/products/{product}/",
    "/api/v1/products/{product}/transitions/",
    "/api/v1/lifecycle-rules/{rule}/",
]
# list url → the world's object it must (or must not) show
LISTS = {
    "/api/v1/portfolios/": "portfolio",
    "/api/v1/product-lines/": "line",
    "/api/v1/products/": "product",
    "/api/v1/lifecycle-rules/": "rule",
}


def _url(template, world):
    return template.format(
        portfolio=world.portfolio.id, line=world.line.id, product=world.product.id, rule=world.rule.id
    )


def _writes(world):
    """name → (method, url, body, roles that may, success status). Body "member" means a fresh user."""
    rule_body = {
        "portfolio": world.portfolio.id,
        "name": "New rule",
        "from_stage": "growth",
        "to_stage": "maturity",
        "condition_type": "kpi_threshold",
        "params": {"key": "revenue", "granularity": "month", "comparator": "lt", "value": 10, "periods": 2},
    }
    return {
        "portfolio-patch": ("patch", "/api/v1/portfolios/{portfolio}/", {"name": "Renamed"}, ADMINS, 200),
        "member-add": ("post", "/api/v1/portfolios/{portfolio}/members/", "member", ADMINS, 201),
        "line-create": (
            "post",
            "/api/v1/product-lines/",
            {"portfolio": world.portfolio.id, "name": "L"},
            MANAGERS,
            201,
        ),
        "line-patch": ("patch", "/api/v1/product-lines/{line}/", {"description": "d"}, MANAGERS, 200),
        "line-delete": ("delete", "/api/v1/product-lines/{line}/", None, MANAGERS, 204),
        "product-create": (
            "post",
            "/api/v1/products/",
            {"portfolio": world.portfolio.id, "name": "P"},
            MANAGERS,
            201,
        ),
        "product-patch": ("patch", "/api/v1/products/{product}/", {"description": "d"}, MANAGERS, 200),
        "product-delete": ("delete", "/api/v1/products/{product}/", None, MANAGERS, 204),
        "transition": (
            "post",
            "/api/v1/products/{product}/transition/",
            {"to_stage": "planning", "reason": "Interviews done"},
            MANAGERS,
            200,
        ),
        "rule-create": ("post", "/api/v1/lifecycle-rules/", rule_body, ADMINS, 201),
        "rule-patch": ("patch", "/api/v1/lifecycle-rules/{rule}/", {"is_active": False}, ADMINS, 200),
        "rule-delete": ("delete", "/api/v1/lifecycle-rules/{rule}/", None, ADMINS, 204),
    }


CREATES = ["line-create", "product-create", "rule-create"]
DETAIL_WRITES = [
    "portfolio-patch",
    "member-add",
    "line-patch",
    "line-delete",
    "product-patch",
    "product-delete",
    "transition",
    "rule-patch",
    "rule-delete",
]
WRITE_NAMES = CREATES + DETAIL_WRITES


def _send(api_client, world, name):
    method, template, body, _, _ = _writes(world)[name]
    if body == "member":
        body = {"username": UserFactory().username, "role": "viewer"}
    return getattr(api_client, method)(_url(template, world), body, format="json")


def _snapshot():
    """Every row and every field the writes above touch."""
    return (
        list(Portfolio.objects.order_by("id").values_list("id", "name", "timezone")),
        list(Membership.objects.order_by("id").values_list("id", "role")),
        list(ProductLine.objects.order_by("id").values_list("id", "description")),
        list(Product.objects.order_by("id").values_list("id", "description", "stage")),
        StageTransition.objects.count(),
        list(LifecycleRule.objects.order_by("id").values_list("id", "is_active")),
    )


def _token(api_client, user) -> str:
    response = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


# --- reads: every role of the portfolio, another portfolio's member, anonymous ------------------------


@pytest.mark.parametrize("template", READS)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_read(api_client, world, role, template):
    api_client.force_authenticate(member(world.portfolio, role))
    assert api_client.get(_url(template, world)).status_code == 200


@pytest.mark.parametrize("template", LISTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_its_portfolios_objects_in_lists(api_client, world, role, template):
    api_client.force_authenticate(member(world.portfolio, role))
    ids = [row["id"] for row in api_client.get(template).json()["results"]]
    assert ids == [getattr(world, LISTS[template]).id]


@pytest.mark.parametrize("template", READS)
def test_another_portfolios_member_gets_404(api_client, world, outsider, template):
    api_client.force_authenticate(outsider)
    assert api_client.get(_url(template, world)).status_code == 404


@pytest.mark.parametrize("template", LISTS)
def test_lists_show_only_the_users_own_portfolios_objects(api_client, world, outsider, template):
    own = outsider.memberships.get().portfolio
    mine = {
        "portfolio": own,
        "line": ProductLineFactory(portfolio=own),
        "product": ProductFactory(portfolio=own),
        "rule": LifecycleRuleFactory(portfolio=own),
    }
    api_client.force_authenticate(outsider)
    ids = [row["id"] for row in api_client.get(template).json()["results"]]
    assert ids == [mine[LISTS[template]].id]


@pytest.mark.parametrize("template", [*READS, *LISTS, "/api/v1/me/"])
def test_anonymous_cannot_read(api_client, world, template):
    # Token authentication comes first, so the refusal is a 401 that asks for a token.
    response = api_client.get(_url(template, world))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("name", WRITE_NAMES)
def test_anonymous_cannot_write(api_client, world, name):
    before = _snapshot()
    assert _send(api_client, world, name).status_code == 401
    assert _snapshot() == before


def test_anonymous_cannot_create_a_portfolio(api_client):
    response = api_client.post("/api/v1/portfolios/", {"name": "X"}, format="json")
    assert response.status_code == 401 and not Portfolio.objects.exists()


# --- writes: the role matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", WRITE_NAMES)
@pytest.mark.parametrize("role", ROLES)
def test_write_matrix_by_role(api_client, world, role, name):
    _, _, _, allowed, success = _writes(world)[name]
    api_client.force_authenticate(member(world.portfolio, role))
    before = _snapshot()
    response = _send(api_client, world, name)
    if role in allowed:
        assert response.status_code == success, response.content
        assert _snapshot() != before
    else:
        assert response.status_code == 403, response.content
        assert _snapshot() == before


@pytest.mark.parametrize("name", DETAIL_WRITES)
def test_another_portfolios_admin_gets_404_on_writes(api_client, world, outsider, name):
    api_client.force_authenticate(outsider)
    before = _snapshot()
    assert _send(api_client, world, name).status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize("name", CREATES)
def test_another_portfolios_admin_cannot_create_in_it(api_client, world, outsider, name):
    api_client.force_authenticate(outsider)
    before = _snapshot()
    response = _send(api_client, world, name)
    # The portfolio is not among the user's: as a field of the body it "does not exist".
    assert response.status_code == 400 and "portfolio" in response.json(), response.content
    assert _snapshot() == before


# --- the contract's shapes ------------------------------------------------------------------------


def test_me_lists_memberships(api_client, world):
    user = member(world.portfolio, Role.MARKETER)
    api_client.force_authenticate(user)
    body = api_client.get("/api/v1/me/").json()
    assert (body["id"], body["username"]) == (user.id, user.username)
    assert body["memberships"] == [
        {"portfolio": world.portfolio.id, "portfolio_name": world.portfolio.name, "role": "marketer"}
    ]


def test_portfolio_creator_becomes_admin(api_client):
    user = UserFactory()
    api_client.force_authenticate(user)
    response = api_client.post("/api/v1/portfolios/", {"name": "Consumer", "timezone": "Asia/Tokyo"})
    assert response.status_code == 201
    assert Membership.objects.get(user=user, portfolio_id=response.json()["id"]).role == Role.ADMIN


def test_created_portfolio_has_the_contract_fields(api_client):
    api_client.force_authenticate(UserFactory())
    body = api_client.post("/api/v1/portfolios/", {"name": "Consumer"}, format="json").json()
    assert (body["name"], body["timezone"]) == ("Consumer", "UTC") and isinstance(body["id"], int)


def test_members_lists_usernames_and_roles(api_client, world):
    viewer = member(world.portfolio, Role.VIEWER)
    api_client.force_authenticate(viewer)
    rows = api_client.get(f"/api/v1/portfolios/{world.portfolio.id}/members/").json()
    assert [(row["username"], row["role"]) for row in rows] == [(viewer.username, "viewer")]


def test_posting_an_existing_member_changes_their_role(api_client, world):
    viewer = member(world.portfolio, Role.VIEWER)
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    response = api_client.post(
        f"/api/v1/portfolios/{world.portfolio.id}/members/",
        {"username": viewer.username, "role": "marketer"},
        format="json",
    )
    assert response.status_code == 201
    assert Membership.objects.get(user=viewer).role == Role.MARKETER


def test_product_stage_is_read_only_on_update(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    response = api_client.patch(f"/api/v1/products/{world.product.id}/", {"stage": "retired"}, format="json")
    world.product.refresh_from_db()
    assert response.status_code == 200 and world.product.stage == Stage.RESEARCH


def test_product_stage_is_read_only_on_create(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    response = api_client.post(
        "/api/v1/products/",
        {"portfolio": world.portfolio.id, "name": "New", "stage": "growth"},
        format="json",
    )
    assert response.status_code == 201 and Product.objects.get(name="New").stage == Stage.IDEATION


def test_a_product_is_created_with_its_vision(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    response = api_client.post(
        "/api/v1/products/",
        {"portfolio": world.portfolio.id, "name": "New", "vision": "Approvals without e-mail."},
        format="json",
    )
    assert (response.status_code, Product.objects.get(name="New").vision) == (201, "Approvals without e-mail.")


def test_created_product_starts_in_ideation_with_a_ledger_row(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    response = api_client.post(
        "/api/v1/products/",
        {"portfolio": world.portfolio.id, "product_line": world.line.id, "name": "New"},
        format="json",
    )
    body = response.json()
    assert (response.status_code, body["stage"], body["product_line"]) == (201, "ideation", world.line.id)
    transitions = api_client.get(f"/api/v1/products/{body['id']}/transitions/").json()["results"]
    assert [(t["from_stage"], t["to_stage"]) for t in transitions] == [("", "ideation")]


def test_products_filter_by_stage(api_client, world):
    ProductFactory(portfolio=world.portfolio, stage=Stage.GROWTH)
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    response = api_client.get(f"/api/v1/products/?stage=research&portfolio={world.portfolio.id}")
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [world.product.id]


def test_transition_returns_the_moved_product_and_lists_the_move(api_client, world):
    user = member(world.portfolio, Role.PRODUCT_MANAGER)
    api_client.force_authenticate(user)
    response = api_client.post(
        f"/api/v1/products/{world.product.id}/transition/",
        {"to_stage": "planning", "reason": "Go"},
        format="json",
    )
    assert (response.status_code, response.json()["stage"]) == (200, "planning")
    latest = api_client.get(f"/api/v1/products/{world.product.id}/transitions/").json()["results"][0]
    assert (latest["from_stage"], latest["to_stage"], latest["actor"], latest["reason"]) == (
        "research",
        "planning",
        user.username,
        "Go",
    )


def test_system_transition_lists_no_actor(api_client, world):
    StageTransitionFactory(product=world.product, actor=None, evidence={"rule": "Ready"})
    api_client.force_authenticate(member(world.portfolio, Role.VIEWER))
    latest = api_client.get(f"/api/v1/products/{world.product.id}/transitions/").json()["results"][0]
    assert (latest["actor"], latest["evidence"]) == (None, {"rule": "Ready"})


def test_lifecycle_rule_params_are_normalised_and_described(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    body = {
        "portfolio": world.portfolio.id,
        "name": "Growing",
        "from_stage": "launch",
        "to_stage": "growth",
        "condition_type": "kpi_threshold",
        "params": {
            "key": " revenue ",
            "granularity": "month",
            "comparator": "gte",
            "value": "1000",
            "periods": 3,
        },
    }
    created = api_client.post("/api/v1/lifecycle-rules/", body, format="json").json()
    assert created["params"]["key"] == "revenue" and created["params"]["value"] == 1000
    assert created["description"] == "revenue stays at or above 1,000 for 3 months in a row"


# --- validation: 400 with field messages, nothing written -------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"to_stage": "orbit", "reason": "x"}, "to_stage"),
        ({"to_stage": "planning", "reason": ""}, "reason"),
        ({"to_stage": "planning", "reason": "   "}, "reason"),
        ({"to_stage": "planning"}, "reason"),
        ({"to_stage": "research", "reason": "x"}, "to_stage"),
    ],
)
def test_transition_bad_input_is_400_and_writes_nothing(api_client, world, body, field):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    before = _snapshot()
    response = api_client.post(f"/api/v1/products/{world.product.id}/transition/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert _snapshot() == before


def test_transition_gate_not_met_is_409_with_unmet_criteria(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    before = _snapshot()
    response = api_client.post(
        f"/api/v1/products/{world.product.id}/transition/",
        {"to_stage": "development", "reason": "x"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["unmet"] == [
        {"type": "one_stage_forward", "message": "Skips Planning: move one stage at a time."}
    ]
    assert _snapshot() == before


def test_transition_override_with_reason_moves_and_marks_the_ledger(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    response = api_client.post(
        f"/api/v1/products/{world.product.id}/transition/",
        {"to_stage": "development", "reason": "Board decision", "override": True},
        format="json",
    )
    move = StageTransition.objects.filter(product=world.product).latest("at", "id")
    assert (response.status_code, response.json()["stage"]) == (200, "development")
    unmet = [{"type": "one_stage_forward", "message": "Skips Planning: move one stage at a time."}]
    assert (move.override, move.reason, move.unmet_criteria, move.evidence) == (
        True,
        "Board decision",
        unmet,
        {"unmet": unmet},
    )


def test_transition_override_without_reason_is_400(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    before = _snapshot()
    response = api_client.post(
        f"/api/v1/products/{world.product.id}/transition/",
        {"to_stage": "development", "reason": "", "override": True},
        format="json",
    )
    assert response.status_code == 400 and "reason" in response.json()
    assert _snapshot() == before


def test_transition_with_stale_from_stage_is_409_and_writes_nothing(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    before = _snapshot()
    response = api_client.post(
        f"/api/v1/products/{world.product.id}/transition/",
        {"to_stage": "planning", "reason": "x", "from_stage": "ideation"},
        format="json",
    )
    assert response.status_code == 409 and response.json()["current_stage"] == "research"
    assert _snapshot() == before


def test_transition_with_current_from_stage_moves(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    response = api_client.post(
        f"/api/v1/products/{world.product.id}/transition/",
        {"to_stage": "planning", "reason": "x", "from_stage": "research"},
        format="json",
    )
    assert (response.status_code, response.json()["stage"]) == (200, "planning")


def test_product_line_of_another_portfolio_is_a_field_error(api_client, world):
    user = member(world.portfolio, Role.ADMIN)
    other_line = ProductLineFactory()
    Membership.objects.create(user=user, portfolio=other_line.portfolio, role=Role.ADMIN)
    api_client.force_authenticate(user)
    before = _snapshot()
    response = api_client.post(
        "/api/v1/products/",
        {"portfolio": world.portfolio.id, "product_line": other_line.id, "name": "X"},
        format="json",
    )
    assert response.status_code == 400 and "product_line" in response.json()
    assert _snapshot() == before


def test_product_line_the_user_cannot_see_is_a_field_error(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    hidden_line = ProductLineFactory()
    before = _snapshot()
    response = api_client.post(
        "/api/v1/products/",
        {"portfolio": world.portfolio.id, "product_line": hidden_line.id, "name": "X"},
        format="json",
    )
    assert response.status_code == 400 and "product_line" in response.json()
    assert _snapshot() == before


def test_moving_a_product_to_another_portfolios_line_is_a_field_error(api_client, world):
    user = member(world.portfolio, Role.ADMIN)
    other_line = ProductLineFactory()
    Membership.objects.create(user=user, portfolio=other_line.portfolio, role=Role.ADMIN)
    api_client.force_authenticate(user)
    before = _snapshot()
    response = api_client.patch(f"/api/v1/products/{world.product.id}/", {"product_line": other_line.id})
    assert response.status_code == 400 and "product_line" in response.json()
    assert _snapshot() == before


def test_duplicate_product_name_is_a_field_error(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = api_client.post(
        "/api/v1/products/", {"portfolio": world.portfolio.id, "name": world.product.name}, format="json"
    )
    assert response.status_code == 400 and "name" in response.json()
    assert _snapshot() == before


def test_unknown_time_zone_on_create_is_a_field_error(api_client):
    api_client.force_authenticate(UserFactory())
    response = api_client.post("/api/v1/portfolios/", {"name": "X", "timezone": "Mars/Olympus"})
    assert response.status_code == 400 and "timezone" in response.json()
    assert (Portfolio.objects.count(), Membership.objects.count()) == (0, 0)


def test_unknown_time_zone_on_update_is_a_field_error(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = api_client.patch(f"/api/v1/portfolios/{world.portfolio.id}/", {"timezone": "Europe/Gotham"})
    assert response.status_code == 400 and "timezone" in response.json()
    assert _snapshot() == before


@pytest.mark.parametrize(
    "body, field", [({"username": "ghost", "role": "viewer"}, "username"), ({"role": "owner"}, "role")]
)
def test_bad_member_is_a_field_error(api_client, world, body, field):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    body = {"username": UserFactory().username, **body}
    before = _snapshot()
    response = api_client.post(f"/api/v1/portfolios/{world.portfolio.id}/members/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert _snapshot() == before


def test_the_last_admin_cannot_step_down(api_client, world):
    admin = member(world.portfolio, Role.ADMIN)
    api_client.force_authenticate(admin)
    before = _snapshot()
    response = api_client.post(
        f"/api/v1/portfolios/{world.portfolio.id}/members/", {"username": admin.username, "role": "viewer"}
    )
    assert response.status_code == 409
    assert _snapshot() == before


@pytest.mark.parametrize(
    "change, field",
    [
        ({"condition_type": "moon_phase"}, "condition_type"),
        ({"params": {"key": "revenue", "comparator": "about", "value": 1}}, "params.comparator"),
        ({"params": {"key": "revenue", "comparator": "gte", "value": "lots"}}, "params.value"),
        ({"params": {"key": "revenue", "comparator": "gte", "value": 1, "periods": 0}}, "params.periods"),
        ({"params": {"comparator": "gte", "value": 1}}, "params.key"),
        ({"params": ["revenue"]}, "params"),
        ({"to_stage": "launch"}, "to_stage"),
        ({"from_stage": "orbit"}, "from_stage"),
    ],
)
def test_bad_lifecycle_rule_is_a_field_error(api_client, world, change, field):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    body = {
        "portfolio": world.portfolio.id,
        "name": "Bad",
        "from_stage": "launch",
        "to_stage": "growth",
        "condition_type": "kpi_threshold",
        "params": {"key": "revenue", "granularity": "day", "comparator": "gte", "value": 1, "periods": 1},
        **change,
    }
    before = _snapshot()
    response = api_client.post("/api/v1/lifecycle-rules/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert _snapshot() == before


def test_bad_params_on_lifecycle_rule_update_are_a_field_error(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = api_client.patch(
        f"/api/v1/lifecycle-rules/{world.rule.id}/", {"params": {"key": "revenue", "comparator": "about"}}
    )
    assert response.status_code == 400 and "params.comparator" in response.json()
    assert _snapshot() == before


@pytest.mark.parametrize(
    "template",
    ["/api/v1/product-lines/{line}/", "/api/v1/products/{product}/", "/api/v1/lifecycle-rules/{rule}/"],
)
def test_objects_cannot_move_to_another_portfolio(api_client, world, template):
    user = member(world.portfolio, Role.ADMIN)
    other = Portfolio.objects.create(name="Other")
    Membership.objects.create(user=user, portfolio=other, role=Role.ADMIN)
    api_client.force_authenticate(user)
    before = _snapshot()
    response = api_client.patch(_url(template, world), {"portfolio": other.id}, format="json")
    assert response.status_code == 400 and "portfolio" in response.json()
    assert _snapshot() == before


def test_session_writes_need_the_csrf_token(world):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = browser.post("/api/v1/products/", {"portfolio": world.portfolio.id, "name": "P"})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert _snapshot() == before


# --- tokens ----------------------------------------------------------------------------------------


def test_token_authenticates_a_rest_client(api_client, world):
    user = member(world.portfolio, Role.VIEWER)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {_token(api_client, user)}")
    assert api_client.get("/api/v1/me/").json()["username"] == user.username


def test_token_is_stored_as_a_digest_only(api_client):
    user = UserFactory()
    token = _token(api_client, user)
    row = AuthToken.objects.filter(user=user).values().get()
    assert row["digest"] == hash_token(token)
    assert not any(token in str(value) for value in row.values())


def test_wrong_password_gets_no_token(api_client):
    user = UserFactory()
    response = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": "nope"})
    assert response.status_code == 400 and "password" in response.json()
    assert not AuthToken.objects.exists()


def test_token_is_issued_without_csrf_to_a_browser_with_a_session(world):
    user = member(world.portfolio, Role.VIEWER)
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


def test_delete_revokes_the_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {_token(api_client, UserFactory())}")
    assert api_client.delete("/api/v1/auth/token/").status_code == 204
    assert not AuthToken.objects.exists()


def test_revoked_token_no_longer_works(api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {_token(api_client, UserFactory())}")
    api_client.delete("/api/v1/auth/token/")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_revoking_one_token_keeps_the_others(api_client):
    user = UserFactory()
    first, second = _token(api_client, user), _token(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    api_client.delete("/api/v1/auth/token/")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api_client.get("/api/v1/me/").status_code == 200


def test_revoking_without_a_token_is_401(api_client):
    _token(api_client, UserFactory())
    assert api_client.delete("/api/v1/auth/token/").status_code == 401
    assert AuthToken.objects.count() == 1


def test_a_made_up_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 64)
    assert api_client.get("/api/v1/me/").status_code == 401


# --- query counts ------------------------------------------------------------------------------------


@pytest.fixture
def crowded(world):
    """Six more of everything in the world's portfolio, so an N+1 shows as six extra queries.

    Returns an admin of the world's portfolio who is also a member of six other portfolios.
    """
    admin = member(world.portfolio, Role.ADMIN)
    for _ in range(6):
        ProductFactory(portfolio=world.portfolio, product_line=ProductLineFactory(portfolio=world.portfolio))
        LifecycleRuleFactory(portfolio=world.portfolio)
        member(world.portfolio, Role.VIEWER)
        MembershipFactory(user=admin, role=Role.VIEWER)
        StageTransitionFactory(product=world.product)  # each by another user
    return admin


# Today each takes 3 queries (4 for transitions); the bound leaves room for 2 more, while an N+1 over the
# six extra rows would add at least six.
@pytest.mark.parametrize(
    "template, most",
    [
        ("/api/v1/portfolios/", 5),
        ("/api/v1/product-lines/", 5),
        ("/api/v1/products/", 5),
        ("/api/v1/lifecycle-rules/", 5),
        ("/api/v1/products/{product}/transitions/", 6),
        ("/api/v1/portfolios/{portfolio}/members/", 5),
        ("/api/v1/me/", 5),
    ],
)
def test_list_query_count_does_not_grow_with_rows(
    api_client, world, crowded, template, most, django_assert_max_num_queries
):
    api_client.force_authenticate(crowded)
    with django_assert_max_num_queries(most):
        response = api_client.get(_url(template, world))
    body = response.json()
    assert len(body if isinstance(body, list) else body.get("results", body.get("memberships"))) >= 6


# --- a browser session (not a token) -----------------------------------------------------------------


def test_me_answers_a_session_login_with_the_memberships(world):
    # A session login hands DRF the request's lazy user (a SimpleLazyObject), not a User instance.
    user = member(world.portfolio, Role.PRODUCT_MANAGER)
    browser = APIClient()
    browser.force_login(user)
    response = browser.get("/api/v1/me/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["username"]) == (user.id, user.username)
    assert body["memberships"] == [
        {"portfolio": world.portfolio.id, "portfolio_name": world.portfolio.name, "role": "product_manager"}
    ]
