"""GET /api/v1/calendar/: the window, its defaults and limits, filters, scope, JSON and iCalendar."""

import datetime

import icalendar
import pytest

from gtm.selectors import today_in
from tests.factories import (
    CampaignFactory,
    LaunchPlanFactory,
    MarketingEventFactory,
    PortfolioFactory,
    ProductFactory,
    member,
)
from tests.gtm.test_calendar import month_of_everything

pytestmark = pytest.mark.django_db

D = datetime.date
URL = "/api/v1/calendar/"
MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Zephyr Holdings", timezone="Europe/Berlin")


@pytest.fixture
def reader(api_client, portfolio):
    api_client.force_authenticate(member(portfolio, "viewer"))
    return api_client


def test_the_entries_have_the_contracts_fields(reader, portfolio):
    m = month_of_everything(portfolio)
    response = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}")
    assert response.status_code == 200
    launch = next(e for e in response.json() if e["kind"] == "launch")
    assert launch == {
        "date": "2026-03-10",
        "end_date": "2026-03-10",
        "kind": "launch",
        "title": "Nova launch",
        "object_id": m.plan.id,
        "product": m.product.id,
        "products": [m.product.id],
        "status": m.plan.status,
        "overdue": False,
        "detail": "Tier 1 launch · Alpha",
        "url": f"/launches/{m.plan.id}/",
    }


def test_every_kind_is_listed_with_its_dates(reader, portfolio):
    month_of_everything(portfolio)
    body = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}").json()
    assert [(e["kind"], e["date"], e["end_date"]) for e in body] == [
        ("campaign", "2026-02-20", "2026-04-12"),
        ("launch_task", "2026-03-03", "2026-03-03"),
        ("launch", "2026-03-10", "2026-03-10"),
        ("press_item", "2026-03-10", "2026-03-10"),
        ("event", "2026-03-17", "2026-03-19"),
    ]


def test_an_event_has_product_null_and_its_products_listed(reader, portfolio):
    m = month_of_everything(portfolio)
    event = next(e for e in reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}").json() if e["kind"] == "event")
    assert event["product"] is None and event["products"] == [m.product.id] and event["status"] is None


def test_the_portfolio_is_required(reader):
    response = reader.get(f"{URL}?{MARCH}")
    assert response.status_code == 400 and "portfolio" in response.json()


def test_another_portfolio_is_an_empty_calendar_as_an_unknown_one(reader, portfolio):
    theirs = PortfolioFactory(name="Elsewhere")
    month_of_everything(theirs)
    foreign = reader.get(f"{URL}?portfolio={theirs.id}&{MARCH}")
    unknown = reader.get(f"{URL}?portfolio=999999&{MARCH}")
    assert foreign.status_code == unknown.status_code == 200
    assert foreign.json() == unknown.json() == []


def test_another_portfolios_ics_is_empty_and_unnamed(reader):
    theirs = PortfolioFactory(name="Elsewhere")
    month_of_everything(theirs)
    response = reader.get(f"{URL}?portfolio={theirs.id}&{MARCH}&format=ics")
    assert response.status_code == 200
    parsed = icalendar.Calendar.from_ical(response.content)
    assert parsed.walk("VEVENT") == [] and b"Elsewhere" not in response.content


def test_another_portfolios_product_filters_to_nothing(reader, portfolio):
    month_of_everything(portfolio)
    other = month_of_everything(PortfolioFactory(), suffix=" (theirs)")
    response = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}&product={other.product.id}")
    assert response.status_code == 200 and response.json() == []


def test_the_window_defaults_to_this_month_in_the_portfolios_time_zone(reader, portfolio):
    today = today_in(portfolio)
    first = today.replace(day=1)
    product = ProductFactory(portfolio=portfolio)
    inside = LaunchPlanFactory(product=product, launch_date=first)
    LaunchPlanFactory(product=product, launch_date=first - datetime.timedelta(days=1))
    body = reader.get(f"{URL}?portfolio={portfolio.id}").json()
    assert [e["object_id"] for e in body] == [inside.id]


def test_a_from_alone_runs_to_the_end_of_its_month(reader, portfolio):
    product = ProductFactory(portfolio=portfolio)
    inside = LaunchPlanFactory(product=product, launch_date=D(2026, 3, 31))
    LaunchPlanFactory(product=product, launch_date=D(2026, 4, 1))
    body = reader.get(f"{URL}?portfolio={portfolio.id}&from=2026-03-20").json()
    assert [e["object_id"] for e in body] == [inside.id]


def test_a_to_alone_starts_at_the_first_of_its_month(reader, portfolio):
    product = ProductFactory(portfolio=portfolio)
    inside = LaunchPlanFactory(product=product, launch_date=D(2026, 3, 1))
    LaunchPlanFactory(product=product, launch_date=D(2026, 2, 28))
    body = reader.get(f"{URL}?portfolio={portfolio.id}&to=2026-03-05").json()
    assert [e["object_id"] for e in body] == [inside.id]


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=tomorrow", "from"),
        ("to=2026-02-30", "to"),
        ("from=0000-01-01", "from"),
        ("to=0000-12-31", "to"),
        ("from=", "from"),
        ("to=", "to"),
        ("from=2026-03-10&to=2026-03-09", "to"),
        ("from=2026-01-01&to=2027-02-01", "to"),
        ("portfolio_extra=1&product=abc", "product"),
        ("product=", "product"),
        ("kind=launch&kind=meeting", "kind"),
        ("kind=", "kind"),
    ],
)
def test_bad_input_is_a_400_on_its_field(reader, portfolio, query, field):
    response = reader.get(f"{URL}?portfolio={portfolio.id}&{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()


def test_a_window_of_thirteen_months_is_answered(reader, portfolio):
    assert reader.get(f"{URL}?portfolio={portfolio.id}&from=2026-01-01&to=2027-01-31").status_code == 200


def test_a_window_too_long_says_how_far_it_may_reach(reader, portfolio):
    response = reader.get(f"{URL}?portfolio={portfolio.id}&from=2026-01-01&to=2027-02-01")
    assert response.json() == {"to": ["At most 13 months after from: 2027-01-31 at the latest."]}


def test_the_kind_filter_takes_several_kinds(reader, portfolio):
    month_of_everything(portfolio)
    body = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}&kind=launch&kind=press_item").json()
    assert {e["kind"] for e in body} == {"launch", "press_item"}


def test_the_product_filter_keeps_that_products_entries(reader, portfolio):
    mine = month_of_everything(portfolio)
    month_of_everything(portfolio, suffix=" B")
    body = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}&product={mine.product.id}").json()
    assert len(body) == 5 and all(mine.product.id in e["products"] for e in body)


def test_a_cancelled_plan_is_listed_as_cancelled(reader, portfolio):
    LaunchPlanFactory(product=ProductFactory(portfolio=portfolio), launch_date=D(2026, 3, 4), status="cancelled")
    (entry,) = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}").json()
    assert entry["status"] == "cancelled"


def test_an_unchanged_calendar_is_a_304_with_its_etag(reader, portfolio):
    month_of_everything(portfolio)
    first = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}")
    again = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_an_empty_format_is_a_404(reader, portfolio):
    assert reader.get(f"{URL}?portfolio={portfolio.id}&format=").status_code == 404


def test_signed_out_is_a_401(api_client, portfolio):
    assert api_client.get(f"{URL}?portfolio={portfolio.id}").status_code == 401


# --- iCalendar ----------------------------------------------------------------------------------------


def ics(reader, portfolio, query=MARCH):
    response = reader.get(f"{URL}?portfolio={portfolio.id}&{query}&format=ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response


def test_the_ics_has_one_all_day_event_per_entry(reader, portfolio):
    month_of_everything(portfolio)
    events = icalendar.Calendar.from_ical(ics(reader, portfolio).content).walk("VEVENT")
    assert len(events) == 5
    dates = {str(e["uid"]): (e["dtstart"].dt, e["dtend"].dt) for e in events}
    campaign = next(v for k, v in dates.items() if k.startswith("campaign-"))
    assert campaign == (D(2026, 2, 20), D(2026, 4, 13))  # DTEND the day after the last, exclusive
    launch = next(v for k, v in dates.items() if k.startswith("launch_plan-"))
    assert launch == (D(2026, 3, 10), D(2026, 3, 11))
    assert all(type(start) is D and type(end) is D for start, end in dates.values())


def test_the_ics_uids_are_unique_and_stable(reader, portfolio):
    month_of_everything(portfolio)
    first = [str(e["uid"]) for e in icalendar.Calendar.from_ical(ics(reader, portfolio).content).walk("VEVENT")]
    again = [str(e["uid"]) for e in icalendar.Calendar.from_ical(ics(reader, portfolio).content).walk("VEVENT")]
    assert len(set(first)) == len(first) == 5 and first == again
    assert all(uid.endswith("@pmflow") for uid in first)


def test_the_ics_summary_says_the_kind(reader, portfolio):
    m = month_of_everything(portfolio)
    events = icalendar.Calendar.from_ical(ics(reader, portfolio).content).walk("VEVENT")
    summaries = {str(e["summary"]) for e in events}
    assert summaries == {
        "Launch: Nova launch",
        "Due: Brief the press",
        "Campaign: Spring push",
        f"Event: {m.event.name}",
        "Press: Announcement",
    }


def test_the_ics_round_trips_a_title_with_commas_semicolons_newlines_and_emoji(reader, portfolio):
    title = 'Launch, part 2; the "big" one\nnext line 🚀 \\ done'
    CampaignFactory(
        product=ProductFactory(portfolio=portfolio), name=title, start_date=D(2026, 3, 1), end_date=D(2026, 3, 2)
    )
    response = ics(reader, portfolio)
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == f"Campaign: {title}"
    assert b"\r\n" in response.content and b"\n" not in response.content.replace(b"\r\n", b"")


def test_the_ics_lines_are_folded(reader, portfolio):
    CampaignFactory(
        product=ProductFactory(portfolio=portfolio), name="x" * 190, start_date=D(2026, 3, 1), end_date=D(2026, 3, 1)
    )
    lines = ics(reader, portfolio).content.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75


def test_the_ics_names_the_calendar_after_the_portfolio(reader, portfolio):
    parsed = icalendar.Calendar.from_ical(ics(reader, portfolio).content)
    assert icalendar.vText.from_ical(str(parsed["X-WR-CALNAME"])) == "Zephyr Holdings · launch calendar"


def test_the_ics_links_each_event_to_its_page(reader, portfolio):
    m = month_of_everything(portfolio)
    events = icalendar.Calendar.from_ical(ics(reader, portfolio).content).walk("VEVENT")
    launch = next(e for e in events if str(e["uid"]).startswith("launch_plan-"))
    assert str(launch["url"]) == f"http://testserver/launches/{m.plan.id}/"
    assert f"http://testserver/launches/{m.plan.id}/" in str(launch["description"])
    assert "Tier 1 launch · Alpha" in str(launch["description"])


def test_a_cancelled_plan_is_a_cancelled_ics_event(reader, portfolio):
    LaunchPlanFactory(
        product=ProductFactory(portfolio=portfolio), launch_date=D(2026, 3, 4), status="cancelled", name="Off"
    )
    (event,) = icalendar.Calendar.from_ical(ics(reader, portfolio).content).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED" and str(event["summary"]) == "Launch (cancelled): Off"


def test_a_bad_ics_request_answers_its_error_as_json(reader, portfolio):
    response = reader.get(f"{URL}?portfolio={portfolio.id}&from=nope&format=ics")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json") and "from" in response.json()


# --- queries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", ["", "&format=ics"])
def test_the_queries_do_not_grow_with_the_entries(reader, portfolio, django_assert_max_num_queries, extra):
    month_of_everything(portfolio)
    with django_assert_max_num_queries(8) as one:
        assert len(reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}{extra}").content) > 0
    for n in range(9):
        month_of_everything(portfolio, suffix=f" {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}{extra}")
    assert response.status_code == 200
    if not extra:
        assert len(response.json()) == 50


def test_events_across_many_products_cost_no_more_queries(reader, portfolio, django_assert_max_num_queries):
    products = [ProductFactory(portfolio=portfolio) for _ in range(10)]
    for n in range(10):
        event = MarketingEventFactory(portfolio=portfolio, start_date=D(2026, 3, n + 1), end_date=D(2026, 3, n + 2))
        event.products.add(*products)
    with django_assert_max_num_queries(8):
        body = reader.get(f"{URL}?portfolio={portfolio.id}&{MARCH}").json()
    assert len(body) == 10 and all(len(e["products"]) == 10 for e in body)
