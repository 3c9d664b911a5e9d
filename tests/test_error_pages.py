"""Branded 404, 403 and 500 pages (templates/404.html, 403.html, 500.html), each with a way back home."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path
from django.views import defaults

from pmflow.urls import urlpatterns as pmflow_urlpatterns
from products.models import Role
from tests.factories import PortfolioFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("a bug")


def _forbidden(request):
    raise PermissionDenied


# This module doubles as a URLconf (see @pytest.mark.urls below): the app's URLs plus two that fail.
urlpatterns = [path("test-boom/", _boom), path("test-forbidden/", _forbidden), *pmflow_urlpatterns]


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False  # with DEBUG on, Django shows its technical pages instead


def test_missing_page_renders_the_branded_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert [t.name for t in response.templates][:2] == ["404.html", "base.html"]
    page = response.content.decode()
    assert "Page not found" in page and 'href="/"' in page and "Back to your dashboard" in page
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_another_portfolios_page_is_the_branded_404_for_a_member(client):
    client.force_login(member(PortfolioFactory(), Role.ADMIN))
    response = client.get(f"/portfolios/{PortfolioFactory().id}/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert client.get("/").status_code == 302  # the way back leads somewhere


@pytest.mark.urls(__name__)
def test_permission_denied_renders_the_branded_403(client):
    client.force_login(UserFactory())
    response = client.get("/test-forbidden/")
    assert response.status_code == 403
    assert [t.name for t in response.templates][:2] == ["403.html", "base.html"]
    page = response.content.decode()
    assert "You cannot do that here" in page and 'href="/"' in page


def test_403_view_renders_without_a_signed_in_user(rf):
    response = defaults.permission_denied(rf.get("/somewhere/"), PermissionDenied())
    assert response.status_code == 403 and b"You cannot do that here" in response.content


@pytest.mark.urls(__name__)
def test_an_unhandled_error_renders_the_branded_500():
    client = Client(raise_request_exception=False)
    response = client.get("/test-boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert '<link rel="stylesheet" href="/static/css/pmflow.css">' in page and 'href="/"' in page
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_500_renders_with_no_request_context_and_no_database(rf, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = defaults.server_error(rf.get("/"))
    assert response.status_code == 500 and b"Something went wrong on our side" in response.content
    assert b"{%" not in response.content and b"{{" not in response.content


def test_error_pages_carry_no_inline_style_or_script(client, rf):
    from tests.test_security import InlineCode

    for content in (client.get("/no-such-page/").content, defaults.server_error(rf.get("/")).content):
        parser = InlineCode()
        parser.feed(content.decode())
        assert parser.found == []
