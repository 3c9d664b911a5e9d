"""The products API: permission matrix (role × own/foreign portfolio), validation, tokens, query counts."""

import pytest
from knox.models import AuthToken

from products.models import LifecycleRule, Membership, Portfolio, Product, ProductLine, Role, Stage, StageTransition
from tests.factories import LifecycleRuleFactory, ProductFactory, ProductLineFactory, UserFactory, member

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER]
MANAGERS = {Role.ADMIN, Role.PRODUCT_MANAGER}
ADMINS = {Role.ADMIN}

READS = [
    "/api/v1/portfolios/{portfolio}/",
    "/api/v1/portfolios/{portfolio}/members/",
    "/api/v1/product-lines/{line}/",
    "/api/v1/products/{product}/",
    "/api/v1/products/{product}/transitions/",
    "/api/v1/lifecycle-rules/{rule}/",
]
LISTS = ["/api/v1/portfolios/", "/api/v1/product-lines/", "/api/v1/products/", "/api/v1/lifecycle-rules/"]


def _url(template, world):
    return template.format(
        portfolio=world.portfolio.id, line=world.line.id, product=world.product.id, rule=world.rule.id
    )


# (method, url, body, who may, success status, model whose row count must not change on refusal)
def _writes(world):
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
        "product-create": ("post", "/api/v1/products/", {"portfolio": world.portfolio.id, "name": "P"}, MANAGERS, 201),
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


WRITE_NAMES = [
    "portfolio-patch",
    "member-add",
    "line-create",
    "line-patch",
    "line-delete",
    "product-create",
    "product-patch",
    "product-delete",
    "transition",
    "rule-create",
    "rule-patch",
    "rule-delete",
]


def _counts():
    return (
        Portfolio.objects.count(),
        Membership.objects.count(),
        ProductLine.objects.count(),
        Product.objects.count(),
        StageTransition.objects.count(),
        LifecycleRule.objects.count(),
    )


def _snapshot():
    return (
        _counts(),
        list(Portfolio.objects.values_list("name", flat=True)),
        list(ProductLine.objects.values_list("description", flat=True)),
        list(Product.objects.values_list("description", "stage")),
        list(LifecycleRule.objects.values_list("is_active", flat=True)),
    )


@pytest.mark.parametrize("template", READS)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_read(api_client, world, role, template):
    api_client.force_authenticate(member(world.portfolio, role))
    assert api_client.get(_url(template, world)).status_code == 200


@pytest.mark.parametrize("template", READS)
def test_another_portfolios_member_gets_404(api_client, world, template):
    api_client.force_authenticate(member(world.portfolio, None))
    assert api_client.get(_url(template, world)).status_code == 404


@pytest.mark.parametrize("template", READS + LISTS + ["/api/v1/me/"])
def test_anonymous_is_refused(api_client, world, template):
    assert api_client.get(_url(template, world)).status_code in (401, 403)


@pytest.mark.parametrize("template", LISTS)
def test_lists_hide_another_portfolios_objects(api_client, world, template):
    api_client.force_authenticate(member(world.portfolio, None))
    ids = {row["id"] for row in api_client.get(template).json()["results"]}
    assert ids.isdisjoint({world.portfolio.id, world.line.id, world.product.id, world.rule.id}) or template.endswith(
        "portfolios/"
    )
    if template.endswith("portfolios/"):
        assert world.portfolio.id not in ids


@pytest.mark.parametrize("name", WRITE_NAMES)
@pytest.mark.parametrize("role", ROLES)
def test_write_matrix_by_role(api_client, world, role, name):
    method, template, body, allowed, success = _writes(world)[name]
    if body == "member":
        body = {"username": UserFactory().username, "role": "viewer"}
    api_client.force_authenticate(member(world.portfolio, role))
    before = _snapshot()
    response = getattr(api_client, method)(_url(template, world), body, format="json")
    if role in allowed:
        assert response.status_code == success, response.content
    else:
        assert response.status_code == 403, response.content
        assert _snapshot() == before


@pytest.mark.parametrize("name", WRITE_NAMES)
def test_another_portfolios_admin_cannot_write(api_client, world, name):
    method, template, body, _, _ = _writes(world)[name]
    if body == "member":
        body = {"username": UserFactory().username, "role": "viewer"}
    api_client.force_authenticate(member(world.portfolio, None))  # admin of another portfolio
    before = _snapshot()
    response = getattr(api_client, method)(_url(template, world), body, format="json")
    # Detail writes are 404; creates naming a foreign portfolio find no such portfolio (400).
    assert response.status_code in (400, 404), response.content
    if response.status_code == 400:
        assert "portfolio" in response.json()
    assert _snapshot() == before


# --- the contract's shapes ------------------------------------------------------------------------


def test_me_lists_memberships(api_client, world):
    user = member(world.portfolio, Role.MARKETER)
    api_client.force_authenticate(user)
    body = api_client.get("/api/v1/me/").json()
    assert body["username"] == user.username
    assert body["memberships"] == [
        {"portfolio": world.portfolio.id, "portfolio_name": world.portfolio.name, "role": "marketer"}
    ]


def test_portfolio_creator_becomes_admin(api_client):
    user = UserFactory()
    api_client.force_authenticate(user)
    response = api_client.post("/api/v1/portfolios/", {"name": "Consumer", "timezone": "Asia/Tokyo"}, format="json")
    assert response.status_code == 201
    assert Membership.objects.get(user=user, portfolio_id=response.json()["id"]).role == Role.ADMIN


def test_product_stage_is_read_only(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    response = api_client.patch(f"/api/v1/products/{world.product.id}/", {"stage": "retired"}, format="json")
    world.product.refresh_from_db()
    assert response.status_code == 200 and world.product.stage == Stage.RESEARCH


def test_created_product_starts_in_ideation_with_a_ledger_row(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    response = api_client.post(
        "/api/v1/products/",
        {"portfolio": world.portfolio.id, "product_line": world.line.id, "name": "New"},
        format="json",
    )
    body = response.json()
    assert (response.status_code, body["stage"]) == (201, "ideation")
    transitions = api_client.get(f"/api/v1/products/{body['id']}/transitions/").json()["results"]
    assert [(t["from_stage"], t["to_stage"]) for t in transitions] == [("", "ideation")]


def test_transition_returns_the_moved_product_and_lists_the_move(api_client, world):
    user = member(world.portfolio, Role.PRODUCT_MANAGER)
    api_client.force_authenticate(user)
    response = api_client.post(
        f"/api/v1/products/{world.product.id}/transition/", {"to_stage": "planning", "reason": "Go"}, format="json"
    )
    assert response.json()["stage"] == "planning"
    latest = api_client.get(f"/api/v1/products/{world.product.id}/transitions/").json()["results"][0]
    assert (latest["from_stage"], latest["to_stage"], latest["actor"], latest["reason"]) == (
        "research",
        "planning",
        user.username,
        "Go",
    )


# --- validation: 400 with field messages, nothing written -------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"to_stage": "orbit", "reason": "x"}, "to_stage"),
        ({"to_stage": "planning", "reason": ""}, "reason"),
        ({"to_stage": "planning"}, "reason"),
        ({"to_stage": "research", "reason": "x"}, "to_stage"),
    ],
)
def test_transition_bad_input_is_400_and_writes_nothing(api_client, world, body, field):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    before = _snapshot()
    response = api_client.post(f"/api/v1/products/{world.product.id}/transition/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert _snapshot() == before


def test_transition_gate_not_met_is_409_with_unmet_criteria(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    before = _snapshot()
    response = api_client.post(
        f"/api/v1/products/{world.product.id}/transition/", {"to_stage": "development", "reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["unmet"] == ["Skips Planning: move one stage at a time."]
    assert _snapshot() == before


def test_transition_override_moves_and_marks_the_ledger(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    response = api_client.post(
        f"/api/v1/products/{world.product.id}/transition/",
        {"to_stage": "development", "reason": "Board decision", "override": True},
        format="json",
    )
    assert response.status_code == 200
    assert StageTransition.objects.filter(product=world.product).latest("at").override is True


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


def test_duplicate_product_name_is_a_field_error(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    response = api_client.post(
        "/api/v1/products/", {"portfolio": world.portfolio.id, "name": world.product.name}, format="json"
    )
    assert response.status_code == 400 and "name" in response.json()


def test_unknown_time_zone_is_a_field_error(api_client):
    api_client.force_authenticate(UserFactory())
    response = api_client.post("/api/v1/portfolios/", {"name": "X", "timezone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400 and "timezone" in response.json()
    assert not Portfolio.objects.exists()


def test_member_with_unknown_username_is_a_field_error(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.ADMIN))
    before = _snapshot()
    response = api_client.post(
        f"/api/v1/portfolios/{world.portfolio.id}/members/", {"username": "ghost", "role": "viewer"}, format="json"
    )
    assert response.status_code == 400 and "username" in response.json()
    assert _snapshot() == before


@pytest.mark.parametrize(
    "change, field",
    [
        ({"condition_type": "moon_phase"}, "condition_type"),
        ({"params": {"key": "revenue", "comparator": "about", "value": 1}}, "params.comparator"),
        ({"to_stage": "launch"}, "to_stage"),
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


# --- tokens ----------------------------------------------------------------------------------------


def test_token_authenticates_a_rest_client(api_client, world):
    user = member(world.portfolio, Role.VIEWER)
    token = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": "secret-pass-1"}).json()[
        "token"
    ]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/me/").json()["username"] == user.username


def test_token_is_stored_hashed(api_client):
    user = UserFactory()
    token = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": "secret-pass-1"}).json()[
        "token"
    ]
    stored = AuthToken.objects.get(user=user)
    assert token not in (stored.digest, stored.token_key) and len(stored.digest) == 128


def test_wrong_password_gets_no_token(api_client):
    user = UserFactory()
    response = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": "nope"})
    assert response.status_code == 400 and "password" in response.json()
    assert not AuthToken.objects.exists()


def test_revoked_token_no_longer_works(api_client):
    user = UserFactory()
    token = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": "secret-pass-1"}).json()[
        "token"
    ]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.delete("/api/v1/auth/token/").status_code == 204
    assert api_client.get("/api/v1/me/").status_code == 401


# --- query counts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [*LISTS, "/api/v1/products/{product}/transitions/", "/api/v1/portfolios/{portfolio}/members/", "/api/v1/me/"],
)
def test_list_query_count_does_not_grow_with_rows(api_client, world, template, django_assert_max_num_queries):
    user = member(world.portfolio, Role.ADMIN)
    for _ in range(6):
        product = ProductFactory(portfolio=world.portfolio, product_line=ProductLineFactory(portfolio=world.portfolio))
        LifecycleRuleFactory(portfolio=world.portfolio)
        member(world.portfolio, Role.VIEWER)
        StageTransition.objects.create(
            product=world.product, from_stage="research", to_stage="research", at=product.created_at, reason="seed"
        )
    api_client.force_authenticate(user)
    with django_assert_max_num_queries(5):
        assert api_client.get(_url(template, world)).status_code == 200


@pytest.mark.parametrize(
    "template", ["/api/v1/product-lines/{line}/", "/api/v1/products/{product}/", "/api/v1/lifecycle-rules/{rule}/"]
)
def test_objects_cannot_move_to_another_portfolio(api_client, world, template):
    user = member(world.portfolio, Role.ADMIN)
    other = Portfolio.objects.create(name="Other")
    Membership.objects.create(user=user, portfolio=other, role=Role.ADMIN)
    api_client.force_authenticate(user)
    before = _snapshot()
    response = api_client.patch(_url(template, world), {"portfolio": other.id}, format="json")
    assert response.status_code == 400 and "portfolio" in response.json()
    assert _snapshot()[1:] == before[1:]
