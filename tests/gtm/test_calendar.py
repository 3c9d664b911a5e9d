"""gtm.calendar: which entries a window holds, with which dates, and in how many queries."""

import datetime

import pytest

from gtm import calendar
from tests.factories import (
    CampaignFactory,
    LaunchPlanFactory,
    LaunchTaskFactory,
    MarketingEventFactory,
    PortfolioFactory,
    PressItemFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
MARCH = (D(2026, 3, 1), D(2026, 3, 31))
TODAY = D(2026, 3, 15)


def month_of_everything(portfolio, product=None, *, suffix=""):
    """One object of each kind in March 2026 (and a campaign spanning it, an event naming the product)."""
    product = product or ProductFactory(portfolio=portfolio, name=f"Alpha{suffix}")
    plan = LaunchPlanFactory(product=product, name=f"Nova launch{suffix}", launch_date=D(2026, 3, 10), tier=1)
    task = LaunchTaskFactory(launch_plan=plan, title=f"Brief the press{suffix}", due_date=D(2026, 3, 3))
    campaign = CampaignFactory(
        product=product, name=f"Spring push{suffix}", start_date=D(2026, 2, 20), end_date=D(2026, 4, 12)
    )
    event = MarketingEventFactory(
        portfolio=portfolio, name=f"Gravity expo{suffix}", start_date=D(2026, 3, 17), end_date=D(2026, 3, 19)
    )
    event.products.add(product)
    press = PressItemFactory(product=product, title=f"Announcement{suffix}", publish_date=D(2026, 3, 10))
    return type(
        "Month",
        (),
        {"product": product, "plan": plan, "task": task, "campaign": campaign, "event": event, "press": press},
    )


def collect(portfolio, first=MARCH[0], last=MARCH[1], **kwargs):
    return calendar.entries(portfolio, first=first, last=last, today=kwargs.pop("today", TODAY), **kwargs)


def by_kind(found):
    return {(e.kind, e.object_id): e for e in found}


def test_each_kind_appears_with_its_dates():
    portfolio = PortfolioFactory()
    m = month_of_everything(portfolio)
    found = by_kind(collect(portfolio))
    assert {(k, e.date, e.end_date) for (k, _), e in found.items()} == {
        ("launch", D(2026, 3, 10), D(2026, 3, 10)),
        ("launch_task", D(2026, 3, 3), D(2026, 3, 3)),
        ("campaign", D(2026, 2, 20), D(2026, 4, 12)),
        ("event", D(2026, 3, 17), D(2026, 3, 19)),
        ("press_item", D(2026, 3, 10), D(2026, 3, 10)),
    }
    assert found[("launch", m.plan.id)].title == "Nova launch"
    assert found[("launch_task", m.task.id)].product_id == m.product.id


def test_entries_are_ordered_by_date_then_kind():
    portfolio = PortfolioFactory()
    month_of_everything(portfolio)
    assert [e.kind for e in collect(portfolio)] == ["campaign", "launch_task", "launch", "press_item", "event"]


def test_a_campaign_spanning_the_whole_window_is_in_it():
    portfolio = PortfolioFactory()
    campaign = CampaignFactory(
        product=ProductFactory(portfolio=portfolio), start_date=D(2026, 1, 1), end_date=D(2026, 12, 31)
    )
    assert [e.object_id for e in collect(portfolio)] == [campaign.id]


@pytest.mark.parametrize(
    "start, end, inside",
    [
        (D(2026, 2, 1), D(2026, 2, 28), False),  # ends the day before
        (D(2026, 2, 1), D(2026, 3, 1), True),  # ends on the first day
        (D(2026, 3, 31), D(2026, 4, 30), True),  # starts on the last day
        (D(2026, 4, 1), D(2026, 4, 30), False),  # starts the day after
    ],
)
def test_a_range_is_in_the_window_when_it_overlaps_it_by_a_day(start, end, inside):
    portfolio = PortfolioFactory()
    MarketingEventFactory(portfolio=portfolio, start_date=start, end_date=end)
    assert bool(collect(portfolio)) is inside


@pytest.mark.parametrize("day, inside", [(D(2026, 2, 28), False), (D(2026, 3, 1), True), (D(2026, 3, 31), True)])
def test_a_single_day_is_in_the_window_on_its_edges(day, inside):
    portfolio = PortfolioFactory()
    PressItemFactory(product=ProductFactory(portfolio=portfolio), publish_date=day)
    assert bool(collect(portfolio)) is inside


def test_undated_tasks_and_press_items_are_not_on_the_calendar():
    portfolio = PortfolioFactory()
    product = ProductFactory(portfolio=portfolio)
    LaunchTaskFactory(launch_plan=LaunchPlanFactory(product=product, launch_date=D(2027, 1, 1)), due_date=None)
    PressItemFactory(product=product, publish_date=None)
    found = collect(portfolio, first=D(1900, 1, 1), last=D(2200, 12, 31), kinds=["launch_task", "press_item"])
    assert found == []


def test_a_cancelled_plan_is_marked_cancelled_and_its_tasks_leave_the_calendar():
    portfolio = PortfolioFactory()
    plan = LaunchPlanFactory(
        product=ProductFactory(portfolio=portfolio), launch_date=D(2026, 3, 10), status="cancelled", name="Called off"
    )
    LaunchTaskFactory(launch_plan=plan, due_date=D(2026, 3, 5))
    found = collect(portfolio)
    assert [(e.kind, e.status, e.cancelled) for e in found] == [("launch", "cancelled", True)]
    assert found[0].summary == "Launch (cancelled): Called off"


def test_a_cancelled_campaign_is_marked_cancelled():
    portfolio = PortfolioFactory()
    CampaignFactory(
        product=ProductFactory(portfolio=portfolio),
        start_date=D(2026, 3, 1),
        end_date=D(2026, 3, 2),
        status="cancelled",
    )
    assert [e.cancelled for e in collect(portfolio)] == [True]


def test_another_portfolios_objects_never_appear():
    mine, theirs = PortfolioFactory(), PortfolioFactory()
    month_of_everything(mine)
    other = month_of_everything(theirs, suffix=" (theirs)")
    found = collect(mine)
    assert len(found) == 5
    assert not any("theirs" in e.title for e in found)
    assert other.event.id not in {e.object_id for e in found if e.kind == "event"}


def test_the_product_filter_keeps_its_entries_and_the_events_that_name_it():
    portfolio = PortfolioFactory()
    mine = month_of_everything(portfolio)
    other = month_of_everything(portfolio, suffix=" B")
    found = collect(portfolio, product_id=mine.product.id)
    assert {(e.kind, e.object_id) for e in found} == {
        ("launch", mine.plan.id),
        ("launch_task", mine.task.id),
        ("campaign", mine.campaign.id),
        ("event", mine.event.id),
        ("press_item", mine.press.id),
    }
    assert ("event", other.event.id) not in {(e.kind, e.object_id) for e in found}  # ids of kinds may repeat


def test_the_kind_filter_keeps_those_kinds():
    portfolio = PortfolioFactory()
    month_of_everything(portfolio)
    assert {e.kind for e in collect(portfolio, kinds=["launch", "event"])} == {"launch", "event"}


def test_an_event_has_no_single_product_and_lists_every_product_it_names():
    portfolio = PortfolioFactory()
    alpha = ProductFactory(portfolio=portfolio, name="Alpha")
    beta = ProductFactory(portfolio=portfolio, name="Beta")
    event = MarketingEventFactory(portfolio=portfolio, start_date=D(2026, 3, 2), end_date=D(2026, 3, 2))
    event.products.add(beta, alpha)
    (entry,) = collect(portfolio)
    assert entry.product_id is None
    assert entry.as_json()["products"] == [alpha.id, beta.id]
    assert entry.product_names == "Alpha, Beta"


def test_a_task_due_before_today_and_not_done_is_overdue():
    portfolio = PortfolioFactory()
    plan = LaunchPlanFactory(product=ProductFactory(portfolio=portfolio), launch_date=D(2026, 4, 1))
    late = LaunchTaskFactory(launch_plan=plan, due_date=D(2026, 3, 14), status="doing")
    done = LaunchTaskFactory(launch_plan=plan, due_date=D(2026, 3, 14), status="done")
    due_today = LaunchTaskFactory(launch_plan=plan, due_date=D(2026, 3, 15))
    overdue = {e.object_id: e.overdue for e in collect(portfolio, kinds=["launch_task"])}
    assert overdue == {late.id: True, done.id: False, due_today.id: False}


def test_each_entry_links_to_the_page_of_its_object():
    portfolio = PortfolioFactory()
    m = month_of_everything(portfolio)
    urls = {e.kind: e.url for e in collect(portfolio)}
    assert urls["launch"] == f"/launches/{m.plan.id}/"
    assert urls["launch_task"] == f"/launches/{m.plan.id}/#task-{m.task.id}"
    assert not any(url.startswith("/api/") for url in urls.values())


def test_the_uid_names_the_object_type_and_id():
    portfolio = PortfolioFactory()
    m = month_of_everything(portfolio)
    uids = {e.uid for e in collect(portfolio)}
    assert f"launch_plan-{m.plan.id}@pmflow" in uids and f"event-{m.event.id}@pmflow" in uids


def test_the_queries_do_not_grow_with_the_entries(django_assert_max_num_queries):
    portfolio = PortfolioFactory()
    for n in range(10):
        month_of_everything(portfolio, suffix=f" {n}")
    with django_assert_max_num_queries(6):
        found = collect(portfolio)
    assert len(found) == 50


@pytest.mark.parametrize(
    "first, limit",
    [
        (D(2026, 1, 1), D(2027, 1, 31)),
        (D(2026, 1, 31), D(2027, 2, 27)),
        (D(9999, 1, 1), D(9999, 12, 31)),
    ],
)
def test_a_window_reaches_thirteen_months_less_a_day(first, limit):
    assert calendar.window_limit(first) == limit


def test_the_feed_covers_three_months_back_to_twelve_ahead():
    assert calendar.feed_window(D(2026, 3, 15)) == (D(2025, 12, 1), D(2027, 3, 31))
