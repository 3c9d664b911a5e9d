"""The scoring weights API: conditional requests as on every object, one query for the list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products.models import DomainEvent, Role
from roadmap.models import ScoringWeights
from tests.factories import MembershipFactory, PortfolioFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    portfolio = PortfolioFactory()
    client = APIClient()
    client.force_login(member(portfolio, Role.ADMIN))
    return client, portfolio


def test_a_stale_if_match_on_the_weights_is_a_412_and_writes_nothing(admin_client):
    client, portfolio = admin_client
    url = f"/api/v1/scoring-weights/{portfolio.id}/"
    etag = client.get(url).headers["ETag"]
    assert client.patch(url, {"effort": -3}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    events = DomainEvent.objects.count()
    response = client.patch(url, {"effort": -4}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert ScoringWeights.objects.get(portfolio=portfolio).effort == -3
    assert DomainEvent.objects.count() == events


def test_the_weights_answer_304_to_their_current_etag(admin_client):
    client, portfolio = admin_client
    url = f"/api/v1/scoring-weights/{portfolio.id}/"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_etag_after_a_write_is_the_one_the_next_read_gives(admin_client):
    client, portfolio = admin_client
    url = f"/api/v1/scoring-weights/{portfolio.id}/"
    written = client.patch(url, {"value": 5}, format="json").headers["ETag"]
    assert client.get(url).headers["ETag"] == written


def test_the_weights_list_costs_the_same_for_ten_times_the_portfolios():
    user = member(PortfolioFactory(), Role.VIEWER)
    client = APIClient()
    client.force_login(user)
    client.get("/api/v1/scoring-weights/")
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/scoring-weights/").json()) == 1
    for _ in range(9):
        MembershipFactory(user=user, role=Role.VIEWER)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/scoring-weights/").json()) == 10
    assert len(many) == len(few)
