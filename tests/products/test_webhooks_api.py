"""The webhooks API: the contract's fields, the secret returned once, admins only, 400s with field messages
(the address guard included) that change nothing, deliveries, test events, secret rotation, fixed queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products.models import DomainEvent, Role, Webhook, WebhookDelivery
from tests.factories import MembershipFactory, PortfolioFactory, UserFactory, WebhookDeliveryFactory, WebhookFactory

pytestmark = pytest.mark.django_db

URL = "https://93.184.216.34/pmflow"


@pytest.fixture(autouse=True)
def _public_only(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False


@pytest.fixture
def portfolio():
    return PortfolioFactory()


@pytest.fixture
def admin(portfolio):
    user = UserFactory()
    MembershipFactory(user=user, portfolio=portfolio, role=Role.ADMIN)
    return user


@pytest.fixture
def client(api_client, admin):
    api_client.force_authenticate(admin)
    return api_client


def _create(client, portfolio_, **values):
    body = {"portfolio": portfolio_.id, "url": URL, "events": ["product.stage_changed"], **values}
    return client.post("/api/v1/webhooks/", body, format="json")


def test_create_returns_the_generated_secret_once(client, portfolio):
    response = _create(client, portfolio, description="CRM sync")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert Webhook.objects.get(pk=body["id"]).secret == body["secret"]
    assert {k: body[k] for k in ("portfolio", "url", "events", "is_active", "description", "last_delivery")} == {
        "portfolio": portfolio.id,
        "url": URL,
        "events": ["product.stage_changed"],
        "is_active": True,
        "description": "CRM sync",
        "last_delivery": None,
    }
    again = client.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in again
    assert "secret" not in client.get("/api/v1/webhooks/").json()["results"][0]


def test_a_given_secret_is_kept_and_not_echoed_on_update(client, portfolio):
    hook_id = _create(client, portfolio, secret="my-own-secret-0123").json()["id"]
    assert Webhook.objects.get(pk=hook_id).secret == "my-own-secret-0123"
    response = client.patch(f"/api/v1/webhooks/{hook_id}/", {"secret": "another-secret-4567"}, format="json")
    assert response.status_code == 200 and "secret" not in response.json()
    assert Webhook.objects.get(pk=hook_id).secret == "another-secret-4567"


@pytest.mark.parametrize(
    "values, field",
    [
        ({"url": "https://127.0.0.1/hook"}, "url"),
        ({"url": "https://10.1.2.3/hook"}, "url"),
        ({"url": "http://[::1]:8000/"}, "url"),
        ({"url": "https://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "ftp://93.184.216.34/"}, "url"),
        ({"url": "https://user:pw@93.184.216.34/"}, "url"),
        ({"url": "https://93.184.216.34/" + "x" * 2100}, "url"),
        ({"url": 12}, "url"),
        ({"events": []}, "events"),
        ({"events": ["product.created"]}, "events"),
        ({"events": "product.stage_changed"}, "events"),
        ({"secret": "short"}, "secret"),
        ({"secret": "has spaces, but long enough"}, "secret"),
        ({"description": "x" * 201}, "description"),
        ({"description": "bad \x00"}, "description"),
        ({"is_active": "maybe"}, "is_active"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_writes_nothing(client, portfolio, values, field):
    events = DomainEvent.objects.count()
    response = _create(client, portfolio, **values)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Webhook.objects.count() == 0 and DomainEvent.objects.count() == events


def test_a_private_address_says_why(client, portfolio):
    response = _create(client, portfolio, url="https://192.168.0.10/hook")
    assert response.json()["url"] == [
        "192.168.0.10 a private address: webhooks only go to public addresses (the setting WEBHOOK_ALLOW_PRIVATE "
        "allows others)."
    ]


def test_the_setting_allows_a_local_receiver(client, portfolio, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert _create(client, portfolio, url="http://127.0.0.1:8787/hook").status_code == 201


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER])
def test_other_members_neither_read_nor_write_hooks(api_client, portfolio, role):
    hook = WebhookFactory(portfolio=portfolio)
    user = UserFactory()
    MembershipFactory(user=user, portfolio=portfolio, role=role)
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/webhooks/").status_code == 403
    assert api_client.get(f"/api/v1/webhooks/{hook.id}/").status_code == 403
    assert api_client.get(f"/api/v1/webhooks/{hook.id}/deliveries/").status_code == 403
    assert _create(api_client, portfolio).status_code == 403
    assert hook.secret not in api_client.get(f"/api/v1/webhooks/{hook.id}/").content.decode()


def test_an_admin_elsewhere_sees_only_their_portfolios_hooks(api_client, portfolio, admin):
    mine = WebhookFactory(portfolio=portfolio)
    WebhookFactory()  # another portfolio's
    MembershipFactory(user=admin, role=Role.VIEWER)  # a viewer there: its hooks stay hidden
    api_client.force_authenticate(admin)
    ids = [row["id"] for row in api_client.get("/api/v1/webhooks/").json()["results"]]
    assert ids == [mine.id]


def test_filters_and_ordering(client, portfolio):
    active = WebhookFactory(portfolio=portfolio)
    paused = WebhookFactory(portfolio=portfolio, is_active=False)
    assert [r["id"] for r in client.get("/api/v1/webhooks/?is_active=false").json()["results"]] == [paused.id]
    assert [r["id"] for r in client.get("/api/v1/webhooks/?ordering=-id").json()["results"]] == [paused.id, active.id]
    assert client.get("/api/v1/webhooks/?is_active=perhaps").status_code == 400
    assert client.get("/api/v1/webhooks/?portfolio=").status_code == 400


def test_patch_is_active_true_re_enables_a_disabled_hook(client, portfolio):
    hook = WebhookFactory(
        portfolio=portfolio, is_active=False, disabled_at=timezone.now(), disabled_reason="8 tries failed",
        consecutive_failures=8,
    )  # fmt: skip
    body = client.patch(f"/api/v1/webhooks/{hook.id}/", {"is_active": True}, format="json").json()
    assert (body["is_active"], body["disabled_at"], body["disabled_reason"], body["consecutive_failures"]) == (
        True,
        None,
        "",
        0,
    )


def test_a_stale_if_match_is_a_412(client, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    etag = client.get(f"/api/v1/webhooks/{hook.id}/")["ETag"]
    client.patch(f"/api/v1/webhooks/{hook.id}/", {"description": "first"}, format="json")
    response = client.patch(
        f"/api/v1/webhooks/{hook.id}/", {"description": "second"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412
    assert Webhook.objects.get(pk=hook.id).description == "first"


def test_a_portfolio_id_beyond_any_column_is_a_400(client, portfolio):
    response = _create(client, portfolio, portfolio=10**30)
    assert response.status_code == 400 and "portfolio" in response.json()


def test_a_hook_cannot_move_to_another_portfolio(client, portfolio, admin):
    hook = WebhookFactory(portfolio=portfolio)
    other = PortfolioFactory()
    MembershipFactory(user=admin, portfolio=other, role=Role.ADMIN)
    response = client.patch(f"/api/v1/webhooks/{hook.id}/", {"portfolio": other.id}, format="json")
    assert response.status_code == 400 and "portfolio" in response.json()


def test_the_deliveries_newest_first_with_the_contracts_fields(client, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    older = WebhookDeliveryFactory(webhook=hook, created_at=timezone.now() - timezone.timedelta(hours=1))
    newer = WebhookDeliveryFactory(
        webhook=hook, event="release.shipped", status="failed", status_code=404, attempts=1, error="No such hook."
    )
    WebhookDeliveryFactory()  # another hook's
    rows = client.get(f"/api/v1/webhooks/{hook.id}/deliveries/").json()["results"]
    assert [r["id"] for r in rows] == [newer.id, older.id]
    assert {k: rows[0][k] for k in ("event", "status", "status_code", "attempts", "delivered_at", "error")} == {
        "event": "release.shipped",
        "status": "failed",
        "status_code": 404,
        "attempts": 1,
        "delivered_at": None,
        "error": "No such hook.",
    }
    assert set(rows[0]) >= {"id", "next_attempt_at", "created_at", "payload"}
    failed = client.get(f"/api/v1/webhooks/{hook.id}/deliveries/?status=failed").json()["results"]
    assert [r["id"] for r in failed] == [newer.id]
    assert client.get(f"/api/v1/webhooks/{hook.id}/deliveries/?status=lost").status_code == 400


def test_the_last_delivery_shows_in_the_list(client, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    WebhookDeliveryFactory(webhook=hook, status="delivered", status_code=204)
    last = client.get("/api/v1/webhooks/").json()["results"][0]["last_delivery"]
    assert (last["status"], last["status_code"], last["event"]) == ("delivered", 204, "product.stage_changed")


def test_test_queues_a_test_delivery(client, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    response = client.post(f"/api/v1/webhooks/{hook.id}/test/")
    assert response.status_code == 202
    body = response.json()
    assert (body["event"], body["status"], body["payload"]["data"]["test"]) == ("webhook.test", "pending", True)
    assert WebhookDelivery.objects.get(pk=body["id"]).webhook_id == hook.id


def test_rotate_secret_returns_the_new_one_once(client, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    response = client.post(f"/api/v1/webhooks/{hook.id}/rotate-secret/")
    assert response.status_code == 200
    assert response.json()["secret"] == Webhook.objects.get(pk=hook.id).secret != hook.secret


def test_delete(client, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    assert client.delete(f"/api/v1/webhooks/{hook.id}/").status_code == 204
    assert not Webhook.objects.exists()


def _queries(client, url) -> int:
    client.get(url)  # the user's roles are read once per request object; measure a settled request
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_for_1_and_10_hooks(client, portfolio):
    WebhookDeliveryFactory(webhook=WebhookFactory(portfolio=portfolio))
    one = _queries(client, "/api/v1/webhooks/")
    for _ in range(9):
        WebhookDeliveryFactory(webhook=WebhookFactory(portfolio=portfolio))
    assert _queries(client, "/api/v1/webhooks/") == one <= 2  # a count and the page (the last delivery a subquery)


def test_the_deliveries_cost_the_same_for_5_and_50(client, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    for _ in range(5):
        WebhookDeliveryFactory(webhook=hook)
    url = f"/api/v1/webhooks/{hook.id}/deliveries/"
    few = _queries(client, url)
    for _ in range(45):
        WebhookDeliveryFactory(webhook=hook)
    assert _queries(client, url) == few <= 3  # the hook, a count, the page
