"""The strict Content-Security-Policy on every page, and pages that need no exception to it.

The browser half (no violation reported by Chromium) is tests/e2e/test_csp.py.
"""

import time
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import path
from rest_framework.views import APIView

from kpis.models import KPI, Measurement
from pmflow.urls import urlpatterns as pmflow_urlpatterns
from products.models import LifecycleRule, Product, ProductLine, Role
from tests.factories import MembershipFactory, PortfolioFactory, member

pytestmark = pytest.mark.django_db

DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PAGES = {
    "login": "/login/",
    "dashboard": "/portfolios/{portfolio}/",
    "product": "/products/{product}/",
    "kpi": "/kpis/{kpi}/",
    "api docs": "/api/docs/",
}


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy header on {response.request['PATH_INFO']}"
    directives = [part.strip().split(None, 1) for part in header.split(";") if part.strip()]
    return {name_value[0]: (name_value[1:] or [""])[0] for name_value in directives}


class InlineCode(HTMLParser):
    """Collects what the policy would block: inline scripts, <style> blocks, style= and on…= attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
        if tag == "style":
            self.found.append("<style> block")
        if tag == "script" and "src" not in attrs and attrs.get("type", "text/javascript") != "application/json":
            self.found.append("inline <script>")


@pytest.fixture
def signed_in(client, world):
    client.force_login(member(world.portfolio, Role.PRODUCT_MANAGER))
    return client


def _url(name, world):
    return PAGES[name].format(portfolio=world.portfolio.id, product=world.product.id, kpi=world.kpi.id)


def _get(client, world, name):
    if name == "login":
        client.logout()  # a signed-in visitor is sent on from the login page
    response = client.get(_url(name, world))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_the_strict_policy(signed_in, world, name):
    response = _get(signed_in, world, name)
    policy = _policy(response)
    assert policy == DIRECTIVES
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_carry_no_inline_script_or_style(signed_in, world, name):
    response = _get(signed_in, world, name)
    parser = InlineCode()
    parser.feed(response.content.decode())
    assert parser.found == []


def test_login_page_has_the_policy_for_anonymous_visitors(client):
    response = client.get("/login/")
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert _policy(response)["script-src"] == "'self'"


def test_api_docs_load_their_init_script_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert 'src="/api/docs/?script="' in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode() and "/api/schema/" in script.content.decode()


def test_api_docs_style_rules_come_from_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/css/swagger.css" in page and "swagger-ui.css" in page


# --- the portfolio switcher works without JavaScript ---------------------------------------------------


def test_switcher_is_a_get_form_with_a_go_button(signed_in, world):
    page = signed_in.get(_url("dashboard", world)).content.decode()
    assert 'action="/portfolios/switch/"' in page and 'class="switcher-go"' in page
    assert "onchange" not in page


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER])
def test_switch_goes_to_the_chosen_portfolio(client, world, role):
    user = member(world.portfolio, role)
    other = MembershipFactory(user=user, role=Role.VIEWER).portfolio
    client.force_login(user)
    for portfolio in (other, world.portfolio):
        response = client.get(f"/portfolios/switch/?portfolio={portfolio.id}")
        assert response.status_code == 302 and response["Location"] == f"/portfolios/{portfolio.id}/"


def test_switch_to_a_portfolio_you_are_not_in_is_404(client, world):
    client.force_login(member(world.portfolio, Role.ADMIN))
    assert client.get(f"/portfolios/switch/?portfolio={PortfolioFactory().id}").status_code == 404


@pytest.mark.parametrize("query", ["", "?portfolio=", "?portfolio=abc", "?portfolio=999999"])
def test_switch_without_a_portfolio_of_yours_is_404(client, world, query):
    client.force_login(member(world.portfolio, Role.ADMIN))
    assert client.get(f"/portfolios/switch/{query}").status_code == 404


def test_switch_asks_anonymous_visitors_to_log_in(client, world):
    response = client.get(f"/portfolios/switch/?portfolio={world.portfolio.id}")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- the role before the payload (API creates and write actions) ----------------------------------------
# A viewer's body must not be validated at all: a threshold like 1e9999999 once held a web worker for 30 s.

HUGE = "1e9999999"


def _rule_body(portfolio_id, value=HUGE):
    params = {"key": "revenue", "granularity": "week", "comparator": "gte", "value": value, "periods": 2}
    return {
        "portfolio": portfolio_id,
        "name": "Huge",
        "from_stage": "launch",
        "to_stage": "growth",
        "condition_type": "kpi_threshold",
        "params": params,
    }


@pytest.fixture
def viewer_elsewhere_admin(api_client, world):
    """A viewer of the world's portfolio who is admin of another, so "may write it anywhere" holds."""
    user = member(world.portfolio, Role.VIEWER)
    MembershipFactory(user=user, role=Role.ADMIN)
    api_client.force_authenticate(user)
    return api_client


def _timed(call):
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def test_viewer_posting_a_huge_rule_threshold_is_refused_before_validation(viewer_elsewhere_admin, world):
    before = LifecycleRule.objects.count()
    response, seconds = _timed(
        lambda: viewer_elsewhere_admin.post("/api/v1/lifecycle-rules/", _rule_body(world.portfolio.id))
    )
    assert response.status_code == 403
    assert seconds < 0.5
    assert LifecycleRule.objects.count() == before


def test_viewer_posting_a_kpi_with_a_huge_target_is_refused_before_validation(viewer_elsewhere_admin, world):
    body = {"product": world.product.id, "key": "huge", "name": "Huge", "target": HUGE, "target_granularity": "week"}
    response, seconds = _timed(lambda: viewer_elsewhere_admin.post("/api/v1/kpis/", body))
    assert response.status_code == 403
    assert seconds < 0.5
    assert not KPI.objects.filter(key="huge").exists()


def test_product_manager_posting_where_they_are_viewer_is_403(api_client, world):
    user = member(world.portfolio, Role.VIEWER)
    own = MembershipFactory(user=user, role=Role.PRODUCT_MANAGER).portfolio
    api_client.force_authenticate(user)
    response = api_client.post("/api/v1/product-lines/", {"portfolio": world.portfolio.id, "name": "Sneaky"})
    assert response.status_code == 403
    assert not ProductLine.objects.filter(name="Sneaky").exists()
    assert api_client.post("/api/v1/product-lines/", {"portfolio": own.id, "name": "Mine"}).status_code == 201


@pytest.mark.parametrize("reference", ["foreign", "unknown"])
def test_a_foreign_or_unknown_reference_stays_a_400_on_its_field(api_client, world, reference):
    user = member(world.portfolio, None)  # admin of another portfolio only
    api_client.force_authenticate(user)
    portfolio_id = world.portfolio.id if reference == "foreign" else 10**9
    response = api_client.post("/api/v1/lifecycle-rules/", _rule_body(portfolio_id, value=5))
    assert response.status_code == 400
    assert list(response.json()) == ["portfolio"]


def test_viewer_posting_huge_measurements_is_refused_before_validation(viewer_elsewhere_admin, world):
    count = Measurement.objects.filter(kpi=world.kpi).count()
    body = [{"observed_at": "2026-03-20", "value": HUGE}] * 1000
    response, seconds = _timed(lambda: viewer_elsewhere_admin.post(f"/api/v1/kpis/{world.kpi.id}/measurements/", body))
    assert response.status_code == 403
    assert seconds < 0.5
    assert Measurement.objects.filter(kpi=world.kpi).count() == count


def test_viewer_posting_a_transition_is_refused_before_the_body_is_read(viewer_elsewhere_admin, world):
    body = {"to_stage": "planning", "reason": "x" * 100_000, "override": "not a boolean"}
    response = viewer_elsewhere_admin.post(f"/api/v1/products/{world.product.id}/transition/", body)
    assert response.status_code == 403
    assert Product.objects.get(pk=world.product.pk).stage == "research"


def test_product_manager_adding_a_member_is_refused_before_the_body_is_read(api_client, world):
    api_client.force_authenticate(member(world.portfolio, Role.PRODUCT_MANAGER))
    response = api_client.post(f"/api/v1/portfolios/{world.portfolio.id}/members/", {"role": "no such role"})
    assert response.status_code == 403


# --- Content-Security-Policy and Permissions-Policy on every response -----------------------------------


class _BoomAPI(APIView):
    def get(self, request):
        raise RuntimeError("a bug in an API view")


def _boom_page(request):
    raise RuntimeError("a bug in a page")


# This module doubles as a URLconf for the sweep (@pytest.mark.urls below): the app's URLs plus two 500s.
urlpatterns = [path("test-boom/", _boom_page), path("api/v1/test-boom/", _BoomAPI.as_view()), *pmflow_urlpatterns]


def _signed_in(client, world, role=Role.PRODUCT_MANAGER):
    client.force_login(member(world.portfolio, role))
    return client


SWEEP = {
    "login page": (200, lambda c, w: c.get("/login/")),
    "dashboard page": (200, lambda c, w: _signed_in(c, w).get(f"/portfolios/{w.portfolio.id}/")),
    "redirect to sign in": (302, lambda c, w: c.get("/")),
    "missing page": (404, lambda c, w: c.get("/no-such-page/")),
    "page error": (500, lambda c, w: c.get("/test-boom/")),
    "healthz": (200, lambda c, w: c.get("/healthz")),
    "static file": (200, lambda c, w: c.get("/static/css/pmflow.css")),
    "api json": (200, lambda c, w: _signed_in(c, w).get("/api/v1/me/")),
    "api schema": (200, lambda c, w: c.get("/api/schema/")),
    "api 401": (401, lambda c, w: c.get("/api/v1/products/")),
    "api 403": (
        403,
        lambda c, w: _signed_in(c, w, Role.VIEWER).patch(
            f"/api/v1/products/{w.product.id}/", '{"name": "x"}', content_type="application/json"
        ),
    ),
    "api 404": (404, lambda c, w: _signed_in(c, w).get("/api/v1/products/999999999/")),
    "api 413": (
        413,
        lambda c, w: _signed_in(c, w).post(
            f"/api/v1/kpis/{w.kpi.id}/measurements/",
            "[" + ",".join(["1"] * 2000) + "]",
            content_type="application/json",
        ),
    ),
    "api error": (500, lambda c, w: _signed_in(c, w).get("/api/v1/test-boom/")),
}
FEATURES_OFF = ["camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth", "hid", "midi"]


@pytest.fixture
def sweep_client(settings, world):
    settings.DEBUG = False  # production error pages
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024  # a 413 without a megabytes-long body
    settings.WHITENOISE_USE_FINDERS = True  # WhiteNoise serves static/ without collectstatic
    return Client(raise_request_exception=False)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("name", SWEEP)
def test_every_response_carries_csp_and_permissions_policy(sweep_client, world, name):
    status, request = SWEEP[name]
    response = request(sweep_client, world)
    assert response.status_code == status
    assert _policy(response)["default-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    permissions = dict(part.strip().split("=", 1) for part in response.headers["Permissions-Policy"].split(","))
    assert {feature: permissions.get(feature) for feature in FEATURES_OFF} == dict.fromkeys(FEATURES_OFF, "()")
