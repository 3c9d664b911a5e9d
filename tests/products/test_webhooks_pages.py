"""Webhook pages: the list, the form (with the address guard's messages), a hook's page with the secret
once and its delivery log, test event, re-enable, rotate and delete; fixed queries at 1x and 10x."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products.models import Role, Stage, Webhook, WebhookDelivery
from products.services import webhooks as services
from tests.factories import MembershipFactory, PortfolioFactory, UserFactory, WebhookDeliveryFactory, WebhookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _public_only(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def admin(portfolio):
    user = UserFactory(username="ada")
    MembershipFactory(user=user, portfolio=portfolio, role=Role.ADMIN)
    return user


@pytest.fixture
def browser(client, admin):
    client.force_login(admin)
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


FORM = {
    "url": "https://93.184.216.34/crm/pmflow?token=t0ps3cret",
    "events": ["product.stage_changed", "release.shipped"],
    "description": "CRM sync",
    "is_active": "on",
}


def test_an_empty_list_says_what_webhooks_are_for(browser, portfolio):
    page = _text(browser.get(f"/portfolios/{portfolio.id}/webhooks/"))
    assert "No webhooks yet" in page and "New webhook" in page


def test_the_list_shows_state_host_and_last_delivery(browser, portfolio):
    hook = WebhookFactory(portfolio=portfolio, url="https://93.184.216.34/path/with/token", description="")
    WebhookDeliveryFactory(webhook=hook, status="delivered", status_code=204)
    WebhookFactory(
        portfolio=portfolio,
        description="Old pipeline",
        is_active=False,
        disabled_at=timezone.now(),
        disabled_reason="8 tries to deliver import.finished failed",
    )
    response = browser.get(f"/portfolios/{portfolio.id}/webhooks/")
    page = _text(response)
    assert "https://93.184.216.34/…" in page and "path/with/token" not in response.content.decode()
    assert "Delivered" in page and "204" in page
    assert "Disabled" in page and "8 tries to deliver import.finished failed" in page


def test_creating_shows_the_secret_once_with_how_to_verify_it(browser, portfolio):
    response = browser.post(f"/portfolios/{portfolio.id}/webhooks/new/", FORM)
    hook = Webhook.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{hook.id}/"
    assert hook.events == ["product.stage_changed", "release.shipped"] and hook.description == "CRM sync"
    first = browser.get(f"/webhooks/{hook.id}/").content.decode()
    assert hook.secret in first and "hmac.compare_digest" in first
    assert hook.secret not in browser.get(f"/webhooks/{hook.id}/").content.decode()


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"url": "ftp://93.184.216.34/"}, "Only http:// and https://"),
        ({"url": "https://127.0.0.1/hook"}, "a loopback address: webhooks only go to public addresses"),
        ({"url": "https://10.0.0.8/hook"}, "a private address"),
        ({"events": []}, "Choose at least one event."),
        ({"events": ["product.created"]}, "Select a valid choice"),
    ],
)
def test_the_form_says_what_is_wrong_and_saves_nothing(browser, portfolio, changes, words):
    response = browser.post(f"/portfolios/{portfolio.id}/webhooks/new/", {**FORM, **changes})
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Webhook.objects.exists()


def test_the_form_describes_each_event(browser, portfolio):
    page = _text(browser.get(f"/portfolios/{portfolio.id}/webhooks/new/"))
    for name, meaning in services.EVENTS.items():
        assert name in page and meaning.replace("’", "'")[:30] in page.replace("’", "'")


def test_editing_pauses_the_hook(browser, portfolio, admin):
    hook = services.webhook_create(portfolio=portfolio, actor=admin, url=FORM["url"], events=["release.shipped"])
    response = browser.post(f"/webhooks/{hook.id}/edit/", {**FORM, "is_active": ""})
    assert response.status_code == 302
    hook.refresh_from_db()
    assert not hook.is_active and hook.events == FORM["events"]
    assert "Paused" in _text(browser.get(f"/webhooks/{hook.id}/"))


def test_send_test_event_queues_a_marked_test_delivery(browser, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    response = browser.post(f"/webhooks/{hook.id}/test/", follow=True)
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.event == "webhook.test" and delivery.payload["data"]["test"] is True
    page = _text(response)
    assert "Test event queued" in page and "Test event sent by ada" in page


def test_send_test_event_is_post_only(browser, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    assert browser.get(f"/webhooks/{hook.id}/test/").status_code == 405


def test_a_disabled_hook_says_why_and_can_be_re_enabled(browser, portfolio):
    hook = WebhookFactory(
        portfolio=portfolio, is_active=False, disabled_at=timezone.now(), disabled_reason="8 tries failed; boom",
        consecutive_failures=8,
    )  # fmt: skip
    WebhookDeliveryFactory(webhook=hook, next_attempt_at=timezone.now())
    page = _text(browser.get(f"/webhooks/{hook.id}/"))
    assert "Disabled on" in page and "8 tries failed; boom" in page and "Re-enable" in page
    followed = _text(browser.post(f"/webhooks/{hook.id}/enable/", follow=True))
    assert "is active again; 1 waiting delivery is being sent" in followed
    hook.refresh_from_db()
    assert hook.is_active and hook.disabled_at is None and hook.consecutive_failures == 0


def test_the_log_shows_what_each_delivery_is_about_and_filters_by_status(browser, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    payload = {
        "event": "product.stage_changed",
        "id": 1,
        "created_at": "2026-03-02T10:00:00+00:00",
        "portfolio": portfolio.id,
        "data": {"product": {"id": 1, "name": "Nebula"}, "from_stage": Stage.GROWTH, "to_stage": Stage.MATURITY},
    }
    WebhookDeliveryFactory(webhook=hook, payload=payload, status="delivered", status_code=200, attempts=1)
    WebhookDeliveryFactory(
        webhook=hook, status="pending", attempts=2, error="Connection refused: nothing listens there.",
        next_attempt_at=timezone.now() + timezone.timedelta(minutes=4),
    )  # fmt: skip
    page = _text(browser.get(f"/webhooks/{hook.id}/"))
    assert "Nebula: Growth → Maturity" in page
    assert "Retrying" in page and "Connection refused: nothing listens there." in page
    assert "&quot;to_stage&quot;:&quot;maturity&quot;" in browser.get(f"/webhooks/{hook.id}/").content.decode()
    delivered_only = _text(browser.get(f"/webhooks/{hook.id}/?status=delivered"))
    assert "Nebula" in delivered_only and "Connection refused" not in delivered_only


def test_rotating_asks_first_then_shows_the_new_secret_once(browser, portfolio):
    hook = WebhookFactory(portfolio=portfolio)
    confirm = _text(browser.get(f"/webhooks/{hook.id}/rotate-secret/"))
    assert "The receiver rejects them until it has the new secret" in confirm
    assert Webhook.objects.get(pk=hook.id).secret == hook.secret
    page = browser.post(f"/webhooks/{hook.id}/rotate-secret/", follow=True).content.decode()
    new = Webhook.objects.get(pk=hook.id).secret
    assert new != hook.secret and new in page
    assert new not in browser.get(f"/webhooks/{hook.id}/").content.decode()


def test_delete_says_what_goes_with_it(browser, portfolio):
    hook = WebhookFactory(portfolio=portfolio, description="CRM sync")
    WebhookDeliveryFactory(webhook=hook, status="delivered")
    WebhookDeliveryFactory(webhook=hook)
    confirm = _text(browser.get(f"/webhooks/{hook.id}/delete/"))
    assert "Its log of 2 deliveries is deleted with it." in confirm
    assert "1 delivery not sent yet will never be." in confirm
    response = browser.post(f"/webhooks/{hook.id}/delete/")
    assert response.status_code == 302 and not Webhook.objects.exists()


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.VIEWER])
def test_other_members_get_a_403_that_says_why(client, portfolio, role):
    hook = WebhookFactory(portfolio=portfolio)
    user = UserFactory()
    MembershipFactory(user=user, portfolio=portfolio, role=role)
    client.force_login(user)
    response = client.get(f"/webhooks/{hook.id}/")
    assert response.status_code == 403
    assert hook.secret not in response.content.decode()


def _queries(client, url) -> int:
    client.get(url)  # the first visit stores the portfolio in the session; measure a settled visit
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_for_1_and_10_hooks(browser, portfolio):
    WebhookDeliveryFactory(webhook=WebhookFactory(portfolio=portfolio))
    url = f"/portfolios/{portfolio.id}/webhooks/"
    one = _queries(browser, url)
    for _ in range(9):
        WebhookDeliveryFactory(webhook=WebhookFactory(portfolio=portfolio))
    assert _queries(browser, url) == one <= 6  # session, user, portfolio, roles, the hooks, the switcher


def test_a_hooks_page_costs_the_same_for_5_and_50_deliveries(browser, portfolio):
    hook = WebhookFactory(portfolio=portfolio, created_by=UserFactory())
    for _ in range(5):
        WebhookDeliveryFactory(webhook=hook)
    url = f"/webhooks/{hook.id}/"
    few = _queries(browser, url)
    for _ in range(45):
        WebhookDeliveryFactory(webhook=hook)
    assert _queries(browser, url) == few <= 8  # session, user, hook, roles, count, history, page, switcher
