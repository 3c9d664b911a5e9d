"""/api/v1/status-book/ and its balance: the contract's fields, `author` read-only, the author/admin rule
(403 before the body is read, nothing changed), 404 for another portfolio's, 400 on a foreign product,
conditional writes, filters, search, ordering, CSV, the balance at its boundaries and the cost of a list."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products.models import DomainEvent, Role, StatusBookEntry
from products.services import status_book as services
from tests.factories import PortfolioFactory, ProductFactory, StatusBookEntryFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/status-book/"
BALANCE = f"{URL}balance/"
FIELDS = {"id", "product", "author", "date", "category", "minutes", "text", "created_at", "updated_at"}


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


def client_for(portfolio, role) -> tuple[APIClient, object]:
    user = member(portfolio, role)
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.fixture
def pm(portfolio):
    return client_for(portfolio, Role.PRODUCT_MANAGER)


def _body(product, **extra):
    return {
        "product": product.id,
        "date": "2026-03-02",
        "category": "short_term",
        "minutes": 90,
        "text": "Plan",
        **extra,
    }


def test_a_product_manager_creates_an_entry_and_is_its_author(pm, product):
    client, user = pm
    response = client.post(URL, _body(product, author="someone-else"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == FIELDS
    assert body["author"] == user.username and body["minutes"] == 90 and body["category"] == "short_term"
    assert DomainEvent.objects.filter(verb="status_book_entry.created").count() == 1


def test_the_day_defaults_to_today(pm, product):
    client, _ = pm
    body = _body(product)
    del body["date"]
    response = client.post(URL, body, format="json")
    assert response.json()["date"] == services.today_in(product.portfolio).isoformat()


@pytest.mark.parametrize(
    "field, value",
    [
        ("minutes", 0),
        ("minutes", 1441),
        ("minutes", "1e9999999"),
        ("minutes", True),
        ("text", ""),
        ("text", "a\x00b"),
        ("text", "x" * 5001),
        ("date", "2026-02-30"),
        ("date", "0001-01-01"),
        ("date", "3000-01-01"),
        ("category", "weekly"),
    ],
)
def test_bad_input_is_a_400_on_the_field_and_writes_nothing(pm, product, field, value):
    client, _ = pm
    response = client.post(URL, _body(product, **{field: value}), format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not StatusBookEntry.objects.exists() and not DomainEvent.objects.exists()


def test_a_bare_huge_number_of_minutes_is_a_400(pm, product):
    client, _ = pm
    raw = f'{{"product": {product.id}, "category": "daily", "minutes": 1e9999999, "text": "Plan"}}'
    response = client.post(URL, raw, content_type="application/json")
    assert response.status_code == 400 and "minutes" in response.json()
    assert not StatusBookEntry.objects.exists()


def test_a_product_of_another_portfolio_is_a_400_on_product(pm):
    client, _ = pm
    response = client.post(URL, _body(ProductFactory()), format="json")
    assert response.status_code == 400 and "product" in response.json()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_cannot_create(portfolio, product, role):
    client, _ = client_for(portfolio, role)
    assert client.post(URL, _body(product), format="json").status_code == 403
    assert not StatusBookEntry.objects.exists()


def test_the_author_edits_their_entry_with_if_match(pm, product):
    client, user = pm
    entry = StatusBookEntryFactory(product=product, author=user, minutes=30)
    etag = client.get(f"{URL}{entry.id}/")["ETag"]
    response = client.patch(f"{URL}{entry.id}/", {"minutes": 45}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["minutes"] == 45
    stale = client.patch(f"{URL}{entry.id}/", {"minutes": 60}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    entry.refresh_from_db()
    assert entry.minutes == 45


def test_author_is_read_only(pm, product):
    client, user = pm
    entry = StatusBookEntryFactory(product=product, author=user)
    response = client.patch(f"{URL}{entry.id}/", {"author": "other"}, format="json")
    assert response.status_code == 200 and response.json()["author"] == user.username


def test_an_admin_edits_and_deletes_a_product_managers_entry(portfolio, product, pm):
    _, author = pm
    entry = StatusBookEntryFactory(product=product, author=author)
    admin, _ = client_for(portfolio, Role.ADMIN)
    assert admin.patch(f"{URL}{entry.id}/", {"minutes": 15}, format="json").status_code == 200
    assert admin.delete(f"{URL}{entry.id}/").status_code == 204
    assert not StatusBookEntry.objects.exists()


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_another_product_managers_entry_is_403_before_the_body_is_read(portfolio, product, pm, method):
    _, author = pm
    entry = StatusBookEntryFactory(product=product, author=author, minutes=30)
    other, _ = client_for(portfolio, Role.PRODUCT_MANAGER)
    # A body that would be a 400 if it were read: the 403 comes first.
    response = getattr(other, method)(f"{URL}{entry.id}/", {"minutes": "not a number"}, format="json")
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.minutes == 30 and not DomainEvent.objects.exists()


def test_another_portfolios_entry_is_404(pm):
    client, _ = pm
    entry = StatusBookEntryFactory()
    assert client.get(f"{URL}{entry.id}/").status_code == 404
    assert client.patch(f"{URL}{entry.id}/", {"minutes": 5}, format="json").status_code == 404
    assert client.delete(f"{URL}{entry.id}/").status_code == 404


def test_filters_search_and_ordering(portfolio, product, pm):
    client, user = pm
    other_pm = member(portfolio, Role.PRODUCT_MANAGER)
    sibling = ProductFactory(portfolio=portfolio)
    a = StatusBookEntryFactory(product=product, author=user, date=datetime.date(2026, 3, 2), minutes=30, text="Call")
    b = StatusBookEntryFactory(product=sibling, author=user, date=datetime.date(2026, 3, 9), category="long_term")
    c = StatusBookEntryFactory(product=product, author=other_pm, date=datetime.date(2026, 3, 5), minutes=120)
    StatusBookEntryFactory()  # another portfolio's

    def ids(query):
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [b.id, c.id, a.id]
    assert ids(f"author={user.username}") == [b.id, a.id]
    assert ids(f"product={product.id}") == [c.id, a.id]
    assert ids("category=long_term") == [b.id]
    assert ids("from=2026-03-03&to=2026-03-08") == [c.id]
    assert ids(f"portfolio={portfolio.id}&search=Call") == [a.id]
    assert ids("ordering=-minutes") == [c.id, b.id, a.id]
    assert client.get(f"{URL}?category=weekly").status_code == 400
    assert client.get(f"{URL}?from=").status_code == 400


def test_csv_lists_every_matching_entry(pm, product):
    client, user = pm
    StatusBookEntryFactory(product=product, author=user, text="=HYPERLINK(1)")
    response = client.get(f"{URL}?format=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0] == "id,date,product,author,category,minutes,text"
    assert "Nebula" in lines[1] and user.username in lines[1] and "'=HYPERLINK(1)" in lines[1]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [URL, f"{URL}?search=Entry&ordering=-minutes", f"{URL}?format=csv", BALANCE])
def test_list_and_balance_queries_do_not_grow_with_the_data(url):
    counts = []
    for n in (3, 30):
        portfolio = PortfolioFactory()
        client, user = client_for(portfolio, Role.PRODUCT_MANAGER)
        for i in range(n):
            StatusBookEntryFactory(
                product=ProductFactory(portfolio=portfolio),
                author=user,
                date=services.today_in(portfolio) - datetime.timedelta(days=i % 20),
            )
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts


# --- the balance --------------------------------------------------------------------------------------


def _log(product, author, minutes_by_category, day=None):
    day = day or services.today_in(product.portfolio)
    for category, minutes in minutes_by_category.items():
        StatusBookEntryFactory(product=product, author=author, category=category, minutes=minutes, date=day)


def test_balance_defaults_to_the_requesting_user_and_the_last_four_weeks(pm, product, portfolio):
    client, user = pm
    _log(product, user, {"daily": 60, "short_term": 25, "long_term": 15})
    _log(product, member(portfolio, Role.PRODUCT_MANAGER), {"daily": 500})
    old = services.today_in(portfolio) - datetime.timedelta(days=28)
    _log(product, user, {"long_term": 1000}, day=old)
    body = client.get(BALANCE).json()
    assert body["author"] == user.username
    assert body["to"] == services.today_in(portfolio).isoformat()
    assert body["from"] == (services.today_in(portfolio) - datetime.timedelta(days=27)).isoformat()
    assert body["total_minutes"] == 100
    assert body["daily"] == {"minutes": 60, "share": 60.0, "range": [40, 55], "in_range": False}
    assert body["short_term"] == {"minutes": 25, "share": 25.0, "range": [20, 30], "in_range": True}
    assert body["long_term"] == {"minutes": 15, "share": 15.0, "range": [15, 25], "in_range": True}
    assert len(body["weeks"]) in (4, 5) and sum(week["total_minutes"] for week in body["weeks"]) == 100


def test_balance_of_exactly_40_and_55_percent_is_in_range(pm, product):
    client, user = pm
    _log(product, user, {"daily": 40, "short_term": 35, "long_term": 25})
    body = client.get(BALANCE).json()
    assert body["daily"]["share"] == 40.0 and body["daily"]["in_range"] is True
    other, other_user = client_for(product.portfolio, Role.PRODUCT_MANAGER)
    _log(product, other_user, {"daily": 55, "short_term": 30, "long_term": 15})
    body = other.get(BALANCE).json()
    assert body["daily"]["share"] == 55.0 and body["daily"]["in_range"] is True


def test_balance_39_995_percent_rounds_to_40_and_is_in_range(pm, product):
    client, user = pm
    _log(product, user, {"daily": 1440})
    day = services.today_in(product.portfolio) - datetime.timedelta(days=1)
    # 7999 of 20000 minutes daily: 39.995 %.
    remaining = {"daily": 7999 - 1440, "short_term": 6001, "long_term": 6000}
    for category, minutes in remaining.items():
        while minutes:
            step = min(minutes, 1440)
            StatusBookEntryFactory(product=product, author=user, category=category, minutes=step, date=day)
            minutes -= step
    body = client.get(BALANCE).json()
    assert body["total_minutes"] == 20000
    assert body["daily"]["share"] == 40.0 and body["daily"]["in_range"] is True


def test_balance_with_nothing_logged_is_zero_and_nothing_in_range(pm):
    client, _ = pm
    body = client.get(BALANCE).json()
    assert body["total_minutes"] == 0
    for category in ("daily", "short_term", "long_term"):
        assert body[category]["share"] == 0 and body[category]["in_range"] is False


def test_balance_of_another_member_by_username_and_of_one_product(portfolio, product, pm):
    _, author = pm
    _log(product, author, {"daily": 30, "long_term": 30})
    _log(ProductFactory(portfolio=portfolio), author, {"short_term": 60})
    viewer, _ = client_for(portfolio, Role.VIEWER)
    body = viewer.get(f"{BALANCE}?author={author.username}&product={product.id}").json()
    assert body["author"] == author.username and body["total_minutes"] == 60
    assert body["daily"]["share"] == 50.0 and body["short_term"]["minutes"] == 0


def test_balance_never_counts_another_portfolios_entries(pm):
    client, user = pm
    elsewhere = ProductFactory()
    StatusBookEntryFactory(product=elsewhere, author=user, date=services.today_in(elsewhere.portfolio))
    assert client.get(BALANCE).json()["total_minutes"] == 0
    assert client.get(f"{BALANCE}?product={elsewhere.id}").json()["total_minutes"] == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-03-10&to=2026-03-09", "to"),
        ("from=2025-01-01&to=2026-01-02", "to"),
        ("from=2026-02-30", "from"),
        ("to=", "to"),
        ("author=", "author"),
        ("product=0", "product"),
        ("from=0001-01-01", "from"),
    ],
)
def test_balance_refuses_a_bad_period_with_a_400_on_the_field(pm, query, field):
    client, _ = pm
    response = client.get(f"{BALANCE}?{query}")
    assert response.status_code == 400 and field in response.json(), response.content


def test_balance_takes_366_days(pm):
    client, _ = pm
    assert client.get(f"{BALANCE}?from=2025-01-01&to=2026-01-01").status_code == 200


def test_balance_route_is_not_taken_for_an_entry_id(pm):
    client, _ = pm
    assert client.get(BALANCE).status_code == 200
    assert client.get(f"{URL}balance/?format=csv").status_code == 404
