"""The launch calendar page: the month grid, its filters and navigation, the CSV and .ics of the month."""

import csv
import datetime
import io

import icalendar
import pytest

from gtm import calendar_views
from gtm.selectors import today_in
from tests.factories import (
    CampaignFactory,
    LaunchPlanFactory,
    LaunchTaskFactory,
    MarketingEventFactory,
    PortfolioFactory,
    ProductFactory,
    member,
)
from tests.gtm.test_calendar import month_of_everything

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Zephyr Holdings", timezone="Europe/Berlin")


@pytest.fixture
def reader(client, portfolio):
    client.force_login(member(portfolio, "viewer"))
    return client


def url(portfolio, query="month=2026-03"):
    return f"/portfolios/{portfolio.id}/calendar/?{query}"


def test_the_month_shows_every_kind_with_its_kind_in_words(reader, portfolio):
    month_of_everything(portfolio)
    response = reader.get(url(portfolio))
    assert response.status_code == 200
    page = response.content.decode()
    for title in ("Nova launch", "Brief the press", "Spring push", "Gravity expo", "Announcement"):
        assert title in page
    for kind in ("Launch", "Task", "Campaign", "Event", "Press"):
        assert f'<span class="cal-icon" aria-hidden="true"></span> {kind}' in page
    assert "March 2026" in page


def test_the_grid_runs_monday_to_sunday_over_whole_weeks():
    weeks = calendar_views.month_grid([], D(2026, 3, 1), D(2026, 3, 15))
    assert weeks[0].days[0].date == D(2026, 2, 23) and weeks[-1].days[-1].date == D(2026, 4, 5)
    assert all(len(w.days) == 7 and w.days[0].date.weekday() == 0 for w in weeks)
    assert [d.today for w in weeks for d in w.days].count(True) == 1


def test_a_multi_day_entry_is_one_bar_per_week_it_crosses(portfolio):
    campaign = CampaignFactory(
        product=ProductFactory(portfolio=portfolio), start_date=D(2026, 3, 4), end_date=D(2026, 3, 11)
    )
    found = calendar_views.calendar.entries(portfolio, first=D(2026, 2, 23), last=D(2026, 4, 5), today=D(2026, 3, 15))
    weeks = calendar_views.month_grid(found, D(2026, 3, 1), D(2026, 3, 15))
    bars = [(bar.column, bar.width, bar.from_before, bar.goes_on) for w in weeks for d in w.days for bar in d.bars]
    assert bars == [(3, 5, False, True), (1, 3, True, False)]
    assert all(bar.entry.object_id == campaign.id for w in weeks for d in w.days for bar in d.bars)


def test_overlapping_bars_take_separate_lanes(portfolio):
    product = ProductFactory(portfolio=portfolio)
    CampaignFactory(product=product, start_date=D(2026, 3, 2), end_date=D(2026, 3, 8))
    CampaignFactory(product=product, start_date=D(2026, 3, 4), end_date=D(2026, 3, 5))
    CampaignFactory(product=product, start_date=D(2026, 3, 6), end_date=D(2026, 3, 7))
    found = calendar_views.calendar.entries(portfolio, first=D(2026, 3, 2), last=D(2026, 3, 8), today=D(2026, 3, 1))
    (week,) = [w for w in calendar_views.month_grid(found, D(2026, 3, 1), D(2026, 3, 1)) if w.days[0].date.day == 2]
    assert sorted((b.column, b.lane) for d in week.days for b in d.bars) == [(1, 1), (3, 2), (5, 2)]
    assert week.lanes == 2 and week.rows == 4


def test_bars_carried_into_the_next_week_keep_their_lanes(portfolio):
    product = ProductFactory(portfolio=portfolio)
    longer = CampaignFactory(product=product, start_date=D(2026, 3, 2), end_date=D(2026, 3, 20))
    shorter = CampaignFactory(product=product, start_date=D(2026, 3, 2), end_date=D(2026, 3, 9))
    found = calendar_views.calendar.entries(portfolio, first=D(2026, 3, 2), last=D(2026, 3, 15), today=D(2026, 3, 1))
    weeks = calendar_views.month_grid(found, D(2026, 3, 1), D(2026, 3, 1))
    lanes = [{b.entry.object_id: b.lane for d in w.days for b in d.bars} for w in weeks[1:3]]
    assert lanes == [{longer.id: 1, shorter.id: 2}, {longer.id: 1, shorter.id: 2}]


@pytest.fixture
def mid_march(monkeypatch):
    """The page's today: Sunday 15 March 2026."""
    monkeypatch.setattr(calendar_views, "today_in", lambda portfolio: D(2026, 3, 15))


def test_today_is_highlighted(reader, portfolio, mid_march):
    page = reader.get(url(portfolio, "")).content.decode()
    assert page.count('<span class="cal-today-tag">today</span>') == 2  # the grid and the phone's list
    assert "cal-bg c7 rows-2 today" in page and "March 2026" in page


def test_an_overdue_task_is_marked_in_words(reader, portfolio, mid_march):
    plan = LaunchPlanFactory(product=ProductFactory(portfolio=portfolio), launch_date=D(2026, 3, 20))
    LaunchTaskFactory(launch_plan=plan, title="Late brief", due_date=D(2026, 3, 14))
    page = reader.get(url(portfolio)).content.decode()
    assert "is-overdue" in page and " · overdue" in page


def test_a_task_due_today_is_not_overdue(reader, portfolio, mid_march):
    plan = LaunchPlanFactory(product=ProductFactory(portfolio=portfolio), launch_date=D(2026, 3, 20))
    LaunchTaskFactory(launch_plan=plan, title="Brief today", due_date=D(2026, 3, 15))
    page = reader.get(url(portfolio)).content.decode()
    assert "Brief today" in page and "is-overdue" not in page


def test_a_cancelled_launch_is_marked_in_words(reader, portfolio):
    LaunchPlanFactory(
        product=ProductFactory(portfolio=portfolio), launch_date=D(2026, 3, 5), status="cancelled", name="Off"
    )
    page = reader.get(url(portfolio)).content.decode()
    assert "is-cancelled" in page and " · cancelled" in page


def test_the_month_links_to_the_previous_and_next_months(reader, portfolio):
    page = reader.get(url(portfolio, "month=2026-01&product=")).content.decode()
    assert "month=2025-12" in page and "month=2026-02" in page


def test_the_default_month_is_this_one_in_the_portfolios_time_zone(reader, portfolio):
    today = today_in(portfolio)
    page = reader.get(url(portfolio, "")).content.decode()
    assert f"{today:%B %Y}" in page


@pytest.mark.parametrize("month", ["2026-13", "March", "0000-01", "1899-12", "2201-01", "2026-3"])
def test_a_bad_month_is_a_400_with_its_message_and_this_month_shown(reader, portfolio, month):
    response = reader.get(url(portfolio, f"month={month}"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="errorlist"' in page and f"{today_in(portfolio):%B %Y}" in page


def test_the_product_filter_narrows_the_month(reader, portfolio):
    mine = month_of_everything(portfolio)
    month_of_everything(portfolio, suffix=" other")
    page = reader.get(url(portfolio, f"month=2026-03&product={mine.product.id}")).content.decode()
    assert "Nova launch<" in page and "Nova launch other" not in page


def test_the_kind_filter_narrows_the_month(reader, portfolio):
    month_of_everything(portfolio)
    page = reader.get(url(portfolio, "month=2026-03&kind=launch&kind=event")).content.decode()
    assert "Nova launch" in page and "Gravity expo" in page
    assert "Spring push" not in page and "Brief the press" not in page


def test_another_portfolios_product_is_a_404(reader, portfolio):
    other = ProductFactory()
    assert reader.get(url(portfolio, f"month=2026-03&product={other.id}")).status_code == 404


def test_another_portfolios_calendar_is_a_404(client, portfolio):
    client.force_login(member(PortfolioFactory(), "admin"))
    assert client.get(url(portfolio)).status_code == 404


def test_another_portfolios_objects_never_appear_on_the_page(reader, portfolio):
    month_of_everything(portfolio)
    month_of_everything(PortfolioFactory(), suffix=" (theirs)")
    page = reader.get(url(portfolio)).content.decode()
    assert "(theirs)" not in page


def test_an_empty_month_says_what_to_do(reader, portfolio):
    page = reader.get(url(portfolio)).content.decode()
    assert "Nothing on the calendar in March 2026" in page and "launch plan" in page


def test_the_subscribe_box_offers_an_address(reader, portfolio):
    page = reader.get(url(portfolio)).content.decode()
    assert "Subscribe in your calendar app" in page and "Make my feed address" in page


# --- downloads -------------------------------------------------------------------------------------------


def test_the_csv_has_the_months_entries(reader, portfolio):
    m = month_of_everything(portfolio)
    month_of_everything(PortfolioFactory(), suffix=" (theirs)")
    response = reader.get(url(portfolio, "month=2026-03&format=csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["date", "end_date", "kind", "title", "product", "status", "url"]
    assert ["2026-03-10", "2026-03-10", "launch", "Nova launch", "Alpha", m.plan.status] == rows[3][:6]
    assert rows[3][6] == f"http://testserver/launches/{m.plan.id}/"
    assert len(rows) == 6 and not any("(theirs)" in cell for row in rows for cell in row)


def test_the_csv_lists_an_events_products(reader, portfolio):
    event = MarketingEventFactory(portfolio=portfolio, start_date=D(2026, 3, 2), end_date=D(2026, 3, 3))
    event.products.add(
        ProductFactory(portfolio=portfolio, name="Beta"), ProductFactory(portfolio=portfolio, name="Alpha")
    )
    rows = list(
        csv.reader(io.StringIO(reader.get(url(portfolio, "month=2026-03&format=csv")).content.decode("utf-8-sig")))
    )
    assert rows[1][2:6] == ["event", event.name, "Alpha, Beta", ""]


def test_the_csv_keeps_formulas_out(reader, portfolio):
    LaunchPlanFactory(product=ProductFactory(portfolio=portfolio), launch_date=D(2026, 3, 2), name="=HYPERLINK(1)")
    body = reader.get(url(portfolio, "month=2026-03&format=csv")).content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body


def test_the_ics_download_has_the_months_entries(reader, portfolio):
    month_of_everything(portfolio)
    month_of_everything(PortfolioFactory(), suffix=" (theirs)")
    response = reader.get(url(portfolio, "month=2026-03&format=ics"))
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="calendar-' in response["Content-Disposition"]
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 5 and not any("(theirs)" in str(e["summary"]) for e in events)


# --- queries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["month=2026-03", "month=2026-03&format=csv", "month=2026-03&format=ics"])
def test_the_page_costs_the_same_queries_for_ten_times_the_entries(
    reader, portfolio, django_assert_max_num_queries, query
):
    month_of_everything(portfolio)
    with django_assert_max_num_queries(16) as one:
        assert reader.get(url(portfolio, query)).status_code == 200
    for n in range(9):
        month_of_everything(portfolio, suffix=f" {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = reader.get(url(portfolio, query))
    assert response.status_code == 200
