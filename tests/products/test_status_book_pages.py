"""Status book pages: the book by day (yours by default), the balance with its bands, flags and weekly
trend, the forms (author or admin only), the dashboard's one-line form, CSV and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import DomainEvent, Role, StatusBookEntry
from products.services import status_book as services
from tests.factories import PortfolioFactory, ProductFactory, StatusBookEntryFactory, member

pytestmark = pytest.mark.django_db
ROLES = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER]


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


@pytest.fixture
def pm(client, portfolio):
    user = member(portfolio, Role.PRODUCT_MANAGER)
    client.force_login(user)
    return user


def _today(portfolio):
    return services.today_in(portfolio)


def _log(product, author, category="daily", minutes=60, days_ago=0, text=None):
    return StatusBookEntryFactory(
        product=product,
        author=author,
        category=category,
        minutes=minutes,
        date=_today(product.portfolio) - datetime.timedelta(days=days_ago),
        **({"text": text} if text else {}),
    )


# --- the book -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_member_reads_the_book_and_the_balance(client, portfolio, product, role):
    client.force_login(member(portfolio, role))
    assert client.get(f"/portfolios/{portfolio.id}/status-book/").status_code == 200
    assert client.get(f"/portfolios/{portfolio.id}/status-book/balance/").status_code == 200


def test_another_portfolios_member_gets_404(client, portfolio):
    client.force_login(member(portfolio, None))
    assert client.get(f"/portfolios/{portfolio.id}/status-book/").status_code == 404
    assert client.get(f"/portfolios/{portfolio.id}/status-book/balance/").status_code == 404


def test_the_book_shows_your_entries_by_day_with_day_totals(client, product, pm):
    _log(product, pm, minutes=45, text="Pricing call")
    _log(product, pm, minutes=30, text="Inbox")
    _log(product, pm, days_ago=1, minutes=90, category="long_term", text="Vision draft")
    _log(product, member(product.portfolio, Role.PRODUCT_MANAGER), text="Someone else's line")
    page = client.get(f"/portfolios/{product.portfolio_id}/status-book/").content.decode()
    assert "Pricing call" in page and "Vision draft" in page and "Someone else" not in page
    assert "1 h 15 min" in page and "1 h 30 min" in page  # the two days' totals
    assert page.index("Pricing call") < page.index("Vision draft")  # newest day first


def test_everyone_and_the_filters(client, portfolio, product, pm):
    other = member(portfolio, Role.PRODUCT_MANAGER)
    _log(product, pm, text="Mine daily")
    _log(ProductFactory(portfolio=portfolio, name="Orbit"), other, category="long_term", text="Theirs long")
    url = f"/portfolios/{portfolio.id}/status-book/"
    everyone = client.get(f"{url}?author=").content.decode()
    assert "Mine daily" in everyone and "Theirs long" in everyone
    theirs = client.get(f"{url}?author={other.username}").content.decode()
    assert "Theirs long" in theirs and "Mine daily" not in theirs
    assert "Mine daily" not in client.get(f"{url}?author=&category=long_term").content.decode()
    assert "Theirs long" not in client.get(f"{url}?author=&product={product.id}").content.decode()
    old = _log(product, pm, days_ago=40, text="Six weeks ago")
    assert "Six weeks ago" not in client.get(url).content.decode()  # the last four weeks by default
    day = old.date.isoformat()
    assert "Six weeks ago" in client.get(f"{url}?from={day}&to={day}").content.decode()


def test_a_period_longer_than_366_days_is_a_field_error(client, product, pm):
    response = client.get(f"/portfolios/{product.portfolio_id}/status-book/?from=2024-01-01&to=2026-01-01")
    assert response.status_code == 400 and "at most 366 days" in response.content.decode()


def test_the_book_csv_lists_the_filtered_entries(client, product, pm):
    _log(product, pm, text="=cmd")
    response = client.get(f"/portfolios/{product.portfolio_id}/status-book/?format=csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "id,date,product,author,category,minutes,text"
    assert len(lines) == 2 and "'=cmd" in lines[1]


def test_edit_links_only_on_lines_you_may_change(client, portfolio, product, pm):
    mine = _log(product, pm)
    theirs = _log(product, member(portfolio, Role.PRODUCT_MANAGER))
    page = client.get(f"/portfolios/{portfolio.id}/status-book/?author=").content.decode()
    assert f"/status-book/{mine.id}/edit/" in page and f"/status-book/{theirs.id}/edit/" not in page


def test_the_empty_book_says_what_to_do(client, product, pm):
    page = client.get(f"/portfolios/{product.portfolio_id}/status-book/").content.decode()
    assert "Nothing logged by you" in page and "Log what you worked on today" in page


# --- the balance --------------------------------------------------------------------------------------


def test_the_balance_flags_too_much_daily_business(client, product, pm):
    _log(product, pm, "daily", 360)
    _log(product, pm, "short_term", 150)
    _log(product, pm, "long_term", 90)
    page = client.get(f"/portfolios/{product.portfolio_id}/status-book/balance/").content.decode()
    assert "60.00 %" in page and "25.00 %" in page and "15.00 %" in page
    assert "Too much daily business: block time for long-term work." in page
    assert "1 of 3 out of the recommended range" in page
    assert page.count('class="share-bar') == 3 and 'class="band"' in page
    assert "share-bar share-out" in page and 'aria-label="Daily business: 60.00 % of the time logged' in page


def test_the_balance_in_range_says_so(client, product, pm):
    for category, minutes in (("daily", 50), ("short_term", 25), ("long_term", 25)):
        _log(product, pm, category, minutes)
    page = client.get(f"/portfolios/{product.portfolio_id}/status-book/balance/").content.decode()
    assert "In balance:" in page and "out of the recommended range" not in page


def test_the_balance_with_nothing_logged_says_nothing_logged(client, product, pm):
    page = client.get(f"/portfolios/{product.portfolio_id}/status-book/balance/").content.decode()
    assert "Nothing logged in this period: every share is 0 and none is in its range." in page
    assert "0.00 %" in page and "▲" not in page


def test_the_balance_of_another_person_and_the_weekly_trend(client, portfolio, product, pm):
    other = member(portfolio, Role.PRODUCT_MANAGER)
    _log(product, other, "long_term", 120)
    _log(product, other, "daily", 120, days_ago=7)
    url = f"/portfolios/{portfolio.id}/status-book/balance/?author={other.username}"
    page = client.get(url).content.decode()
    assert f"Time balance of {other.username}" in page
    week = _today(portfolio).isocalendar()
    assert f"{week[0]}-W{week[1]:02d}" in page
    assert page.count('class="week-bar"') >= 4 and "part-long_term" in page and "part-daily" in page
    assert "Log your work" not in page  # not your own balance


def test_the_balance_csv_has_a_row_per_week(client, product, pm):
    _log(product, pm, "daily", 60)
    response = client.get(f"/portfolios/{product.portfolio_id}/status-book/balance/?format=csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("week,week_start,total_minutes,daily_minutes,daily_share")
    assert len(lines) - 1 in (4, 5) and lines[-1].split(",")[2] == "60"


# --- writing ------------------------------------------------------------------------------------------


def _form(product, **extra):
    return {
        "product": product.id,
        "category": "short_term",
        "minutes": "45",
        "text": "Campaign review",
        "date": _today(product.portfolio).isoformat(),
        **extra,
    }


def test_a_product_manager_logs_a_line_from_the_form(client, product, pm):
    response = client.post(f"/status-book/new/?portfolio={product.portfolio_id}", _form(product))
    assert response.status_code == 302 and response["Location"].endswith(
        f"/portfolios/{product.portfolio_id}/status-book/"
    )
    entry = StatusBookEntry.objects.get()
    assert (entry.author, entry.minutes, entry.category) == (pm, 45, "short_term")


def test_the_dashboards_line_returns_to_the_dashboard_with_a_message(client, product, pm):
    response = client.post(
        f"/status-book/new/?portfolio={product.portfolio_id}", _form(product, return_to="dashboard"), follow=True
    )
    assert response.redirect_chain[-1][0] == f"/portfolios/{product.portfolio_id}/"
    assert "Logged 45 min on Nebula (short-term)" in response.content.decode()


def test_bad_minutes_come_back_on_the_form_with_400(client, product, pm):
    for minutes in ("0", "1441", "1e9999", "NaN"):
        response = client.post(f"/status-book/new/?portfolio={product.portfolio_id}", _form(product, minutes=minutes))
        assert response.status_code == 400 and "Nothing was saved" in response.content.decode()
    future = (_today(product.portfolio) + datetime.timedelta(days=3)).isoformat()
    response = client.post(f"/status-book/new/?portfolio={product.portfolio_id}", _form(product, date=future))
    assert response.status_code == 400 and "Not in the future" in response.content.decode()
    assert not StatusBookEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_cannot_open_or_post_the_form(client, portfolio, product, role):
    client.force_login(member(portfolio, role))
    assert client.get(f"/status-book/new/?portfolio={portfolio.id}").status_code == 403
    assert client.post(f"/status-book/new/?portfolio={portfolio.id}", _form(product)).status_code == 403
    assert not StatusBookEntry.objects.exists()


def test_the_author_edits_and_deletes_their_line(client, product, pm):
    entry = _log(product, pm, minutes=30)
    assert client.get(f"/status-book/{entry.id}/edit/").status_code == 200
    response = client.post(f"/status-book/{entry.id}/edit/", _form(product, minutes="75"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.minutes == 75
    assert client.get(f"/status-book/{entry.id}/delete/").status_code == 200
    assert client.post(f"/status-book/{entry.id}/delete/").status_code == 302
    assert not StatusBookEntry.objects.exists()


def test_another_product_manager_gets_403_and_changes_nothing(client, portfolio, product, pm):
    entry = _log(product, member(portfolio, Role.PRODUCT_MANAGER), minutes=30)
    assert client.get(f"/status-book/{entry.id}/edit/").status_code == 403
    assert client.post(f"/status-book/{entry.id}/edit/", _form(product, minutes="75")).status_code == 403
    assert client.post(f"/status-book/{entry.id}/delete/").status_code == 403
    entry.refresh_from_db()
    assert entry.minutes == 30 and not DomainEvent.objects.exists()


def test_an_admin_edits_a_product_managers_line(client, portfolio, product, pm):
    entry = _log(product, pm, minutes=30)
    client.force_login(member(portfolio, Role.ADMIN))
    assert client.post(f"/status-book/{entry.id}/edit/", _form(product, minutes="20")).status_code == 302
    entry.refresh_from_db()
    assert entry.minutes == 20 and entry.author == pm


# --- the dashboard's one-line form ----------------------------------------------------------------


@pytest.mark.parametrize(
    "role, shown", [(Role.ADMIN, True), (Role.PRODUCT_MANAGER, True), (Role.MARKETER, False), (Role.VIEWER, False)]
)
def test_the_dashboard_shows_the_one_line_form_to_writers(client, portfolio, product, role, shown):
    client.force_login(member(portfolio, role))
    page = client.get(f"/portfolios/{portfolio.id}/").content.decode()
    assert ('class="quick-entry-form"' in page) is shown
    if shown:
        assert f'value="{_today(portfolio).isoformat()}"' in page and 'name="return_to" value="dashboard"' in page


def test_the_one_line_form_leaves_archived_products_out(client, portfolio, product, pm):
    ProductFactory(
        portfolio=portfolio, name="Old Thing", archived_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    )
    page = client.get(f"/portfolios/{portfolio.id}/?archived=on").content.decode()
    assert "Old Thing</option>" not in page


# --- query counts -------------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/portfolios/{p}/status-book/",
        "/portfolios/{p}/status-book/?author=",
        "/portfolios/{p}/status-book/?format=csv",
        "/portfolios/{p}/status-book/balance/",
        "/portfolios/{p}/",
    ],
)
def test_pages_cost_the_same_queries_at_ten_times_the_data(client, path):
    counts = []
    for n in (4, 40):
        portfolio = PortfolioFactory()
        user = member(portfolio, Role.PRODUCT_MANAGER)
        other = member(portfolio, Role.PRODUCT_MANAGER)
        client.force_login(user)
        products = [ProductFactory(portfolio=portfolio) for _ in range(max(n // 4, 1))]
        for i in range(n):
            _log(products[i % len(products)], user if i % 2 else other, ("daily", "short_term")[i % 2], 30, i % 20)
        url = path.format(p=portfolio.id)
        client.get(url)  # the first visit stores the portfolio in the session
        counts.append(_count(client, url))
    assert counts[0] == counts[1], counts
