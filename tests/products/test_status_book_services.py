"""products.services.status_book: entries (checks, author rule, one event per write), the balance at its
boundaries, periods and the weekly trend."""

import datetime
from decimal import Decimal

import pytest

from pmflow.errors import InvalidInput, NotAllowed
from products.models import DomainEvent, Role, StatusBookEntry
from products.services import status_book as services
from tests.factories import PortfolioFactory, ProductFactory, StatusBookEntryFactory, member

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(name="Acme"), name="Nebula")


@pytest.fixture
def pm(product):
    return member(product.portfolio, Role.PRODUCT_MANAGER)


def _create(product, author, **fields):
    values = {"category": "daily", "minutes": 45, "text": "Pricing call", "date": DAY, **fields}
    return services.status_book_entry_create(product=product, author=author, actor=author, **values)


# --- writes -------------------------------------------------------------------------------------------


def test_create_writes_the_entry_and_one_event(product, pm):
    entry = _create(product, pm)
    assert (entry.author, entry.minutes, entry.category, entry.date) == (pm, 45, "daily", DAY)
    event = DomainEvent.objects.get(verb="status_book_entry.created")
    assert event.object_id == entry.id and event.changes["minutes"] == [None, 45]


def test_create_defaults_the_day_to_today_in_the_portfolios_zone(product, pm):
    entry = services.status_book_entry_create(product=product, author=pm, category="daily", minutes=30, text="Log")
    assert entry.date == services.today_in(product.portfolio)


@pytest.mark.parametrize("minutes", [0, -5, 1441, 10**20, True, 1.5, "60", None])
def test_minutes_outside_one_to_a_day_are_refused(product, pm, minutes):
    with pytest.raises(InvalidInput) as refused:
        _create(product, pm, minutes=minutes)
    assert "minutes" in refused.value.fields and not StatusBookEntry.objects.exists()


@pytest.mark.parametrize("minutes", [1, 1440])
def test_minutes_at_the_ends_are_taken(product, pm, minutes):
    assert _create(product, pm, minutes=minutes).minutes == minutes


@pytest.mark.parametrize(
    "text, message",
    [("", "What did you work on"), ("a\x00b", "NUL"), ("\ud800", "surrogates"), ("x" * 5001, "5,000")],
)
def test_bad_text_is_refused_with_its_reason(product, pm, text, message):
    with pytest.raises(InvalidInput) as refused:
        _create(product, pm, text=text)
    assert message in refused.value.fields["text"]


def test_a_day_after_tomorrow_or_before_1900_is_refused(product, pm):
    later = services.today_in(product.portfolio) + datetime.timedelta(days=2)
    for day in (later, datetime.date(1899, 12, 31)):
        with pytest.raises(InvalidInput) as refused:
            _create(product, pm, date=day)
        assert "date" in refused.value.fields
    assert not StatusBookEntry.objects.exists()


def test_an_unknown_category_is_refused(product, pm):
    with pytest.raises(InvalidInput) as refused:
        _create(product, pm, category="weekly")
    assert "category" in refused.value.fields


def test_an_author_who_does_not_write_in_the_portfolio_is_refused(product):
    for author in (member(product.portfolio, Role.MARKETER), member(product.portfolio, None)):
        with pytest.raises(InvalidInput) as refused:
            _create(product, author)
        assert "author" in refused.value.fields
    assert not DomainEvent.objects.exists()


def test_the_author_updates_their_entry_and_one_event_records_the_change(product, pm):
    entry = _create(product, pm)
    services.status_book_entry_update(entry_id=entry.id, actor=pm, minutes=90, category="long_term")
    entry.refresh_from_db()
    assert (entry.minutes, entry.category) == (90, "long_term")
    event = DomainEvent.objects.get(verb="status_book_entry.updated")
    assert event.changes == {"minutes": [45, 90], "category": ["daily", "long_term"]}


def test_an_admin_updates_and_deletes_another_persons_entry(product, pm):
    admin = member(product.portfolio, Role.ADMIN)
    entry = _create(product, pm)
    services.status_book_entry_update(entry_id=entry.id, actor=admin, minutes=30)
    services.status_book_entry_delete(entry_id=entry.id, actor=admin)
    assert not StatusBookEntry.objects.exists()
    assert DomainEvent.objects.filter(verb="status_book_entry.deleted", actor=admin).count() == 1


def test_another_product_manager_changes_nothing(product, pm):
    other = member(product.portfolio, Role.PRODUCT_MANAGER)
    entry = _create(product, pm)
    events = DomainEvent.objects.count()
    with pytest.raises(NotAllowed):
        services.status_book_entry_update(entry_id=entry.id, actor=other, minutes=30)
    with pytest.raises(NotAllowed):
        services.status_book_entry_delete(entry_id=entry.id, actor=other)
    entry.refresh_from_db()
    assert entry.minutes == 45 and DomainEvent.objects.count() == events


def test_an_author_who_became_a_viewer_no_longer_changes_their_entry(product, pm):
    entry = _create(product, pm)
    pm.memberships.update(role=Role.VIEWER)
    pm.refresh_from_db()
    with pytest.raises(NotAllowed):
        services.status_book_entry_update(entry_id=entry.id, actor=pm, minutes=30)


def test_an_entry_moves_only_to_a_product_of_its_portfolio(product, pm):
    entry = _create(product, pm)
    with pytest.raises(InvalidInput) as refused:
        services.status_book_entry_update(entry_id=entry.id, actor=pm, product=ProductFactory())
    assert "product" in refused.value.fields
    sibling = ProductFactory(portfolio=product.portfolio)
    services.status_book_entry_update(entry_id=entry.id, actor=pm, product=sibling)
    entry.refresh_from_db()
    assert entry.product == sibling


# --- the balance --------------------------------------------------------------------------------------


def _balance(daily=0, short_term=0, long_term=0):
    return services.balance_from({"daily": daily, "short_term": short_term, "long_term": long_term})


def test_shares_exactly_at_the_lower_and_upper_ends_are_in_range():
    low = _balance(daily=40, short_term=35, long_term=25)
    assert low["daily"].share == Decimal("40.00") and low["daily"].in_range
    assert low["long_term"].share == Decimal("25.00") and low["long_term"].in_range
    high = _balance(daily=55, short_term=30, long_term=15)
    assert [s.in_range for s in high.shares] == [True, True, True]


def test_a_share_just_outside_the_range_is_flagged():
    result = _balance(daily=5501, short_term=2999, long_term=1500)
    assert result["daily"].share == Decimal("55.01") and not result["daily"].in_range
    assert result["daily"].direction == "above"
    assert result["daily"].advice == "Too much daily business: block time for long-term work."
    assert result.out_of_range == [result["daily"]]


def test_39_995_rounds_half_up_to_40_00_and_is_in_range():
    result = _balance(daily=7999, short_term=6001, long_term=6000)  # 7999 / 20000 = 39.995 %
    assert result.total_minutes == 20000
    assert result["daily"].share == Decimal("40.00") and result["daily"].in_range


def test_39_994_rounds_down_and_is_below_the_range():
    result = _balance(daily=19997, short_term=15001, long_term=15002)  # 19997 / 50000 = 39.994 %
    assert result["daily"].share == Decimal("39.99") and not result["daily"].in_range
    assert result["daily"].direction == "below"


def test_nothing_logged_gives_zero_shares_none_in_range():
    result = _balance()
    assert result.as_dict() == {
        "total_minutes": 0,
        "daily": {"minutes": 0, "share": Decimal("0.00"), "range": [40, 55], "in_range": False},
        "short_term": {"minutes": 0, "share": Decimal("0.00"), "range": [20, 30], "in_range": False},
        "long_term": {"minutes": 0, "share": Decimal("0.00"), "range": [15, 25], "in_range": False},
    }
    assert result.out_of_range == [] and {s.direction for s in result.shares} == {"none"}


def test_the_balance_of_entries_is_one_query(product, pm, django_assert_num_queries):
    for category, minutes in (("daily", 120), ("short_term", 60), ("long_term", 60), ("daily", 0 + 60)):
        StatusBookEntryFactory(product=product, author=pm, category=category, minutes=minutes)
    with django_assert_num_queries(1):
        result = services.balance(StatusBookEntry.objects.filter(author=pm))
    assert result.total_minutes == 300 and result["daily"].share == Decimal("60.00")


def test_the_weekly_trend_covers_every_iso_week_of_the_period_in_one_query(product, pm, django_assert_num_queries):
    StatusBookEntryFactory(product=product, author=pm, date=datetime.date(2026, 3, 2), minutes=60)  # Monday W10
    StatusBookEntryFactory(product=product, author=pm, date=datetime.date(2026, 3, 8), category="long_term")  # Sun
    StatusBookEntryFactory(product=product, author=pm, date=datetime.date(2026, 3, 18), minutes=30)  # W12
    rows = StatusBookEntry.objects.filter(author=pm)
    with django_assert_num_queries(1):
        weeks = services.weekly_trend(rows, first=datetime.date(2026, 3, 4), last=datetime.date(2026, 3, 20))
    assert [w.label for w in weeks] == ["2026-W10", "2026-W11", "2026-W12"]
    assert weeks[0].balance.total_minutes == 120 and weeks[0].balance["daily"].share == Decimal("50.00")
    assert weeks[1].balance.total_minutes == 0
    assert weeks[2].balance["daily"].share == Decimal("100.00")


# --- periods ------------------------------------------------------------------------------------------

TODAY = datetime.date(2026, 3, 16)


def test_the_default_period_is_the_last_four_weeks_ending_today():
    assert services.period_of(None, None, today=TODAY) == (datetime.date(2026, 2, 17), TODAY)


def test_one_end_alone_gives_four_weeks_from_or_up_to_it():
    assert services.period_of(None, datetime.date(2026, 1, 28), today=TODAY) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 1, 28),
    )
    assert services.period_of(datetime.date(2026, 1, 1), None, today=TODAY)[1] == datetime.date(2026, 1, 28)


def test_a_period_of_366_days_is_taken_and_367_refused():
    first = datetime.date(2025, 1, 1)
    assert services.period_of(first, first + datetime.timedelta(days=365), today=TODAY)
    with pytest.raises(InvalidInput) as refused:
        services.period_of(first, first + datetime.timedelta(days=366), today=TODAY)
    assert "366" in refused.value.fields["to"]


def test_to_before_from_is_refused():
    with pytest.raises(InvalidInput) as refused:
        services.period_of(TODAY, TODAY - datetime.timedelta(days=1), today=TODAY)
    assert "to" in refused.value.fields


def test_the_first_days_of_the_calendar_are_refused_without_overflowing():
    with pytest.raises(InvalidInput):
        services.period_of(None, datetime.date(1, 1, 5), today=TODAY)
    with pytest.raises(InvalidInput):
        services.period_of(datetime.date(9999, 12, 30), None, today=TODAY)
