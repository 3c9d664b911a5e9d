"""gtm.budget: budget vs spend per quarter of the start date and per launch plan (one query each, checked
against a computation in the test), the chart (accessible, no inline style, overspend flagged) and the CSV."""

import csv
import datetime
import io
import random
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from gtm import budget
from gtm.models import Campaign
from tests.factories import CampaignFactory, LaunchPlanFactory, PortfolioFactory, ProductFactory, SegmentFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def spread():
    """Campaigns over two years and three launch plans (and none), with random money."""
    rng = random.Random(7)
    portfolio = PortfolioFactory()
    products = [ProductFactory(portfolio=portfolio) for _ in range(2)]
    plans = [
        LaunchPlanFactory(product=products[0], name="Spring launch", launch_date=datetime.date(2026, 4, 1)),
        LaunchPlanFactory(product=products[1], name="Autumn launch", launch_date=datetime.date(2026, 10, 1)),
        LaunchPlanFactory(product=products[0], name="Winter launch", launch_date=datetime.date(2025, 12, 1)),
    ]
    rows = []
    for _ in range(40):
        plan = rng.choice([*plans, None])
        product = plan.product if plan else rng.choice(products)
        start = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(730))
        rows.append(
            CampaignFactory(
                product=product,
                launch_plan=plan,
                start_date=start,
                end_date=start + datetime.timedelta(days=rng.randrange(60)),
                budget=D(rng.randrange(0, 5_000_000)) / 100,
                spend=D(rng.randrange(0, 6_000_000)) / 100,
            )
        )
    CampaignFactory(budget=D("999"), spend=D("999"))  # another portfolio's: never counted
    return type("Spread", (), {"portfolio": portfolio, "plans": plans, "campaigns": rows})


def mine(spread):
    return Campaign.objects.filter(product__portfolio=spread.portfolio)


def expected_by_quarter(campaigns, year=None):
    sums = defaultdict(lambda: [D(0), D(0), 0])
    for c in campaigns:
        if year is None or c.start_date.year == year:
            key = (c.start_date.year, (c.start_date.month - 1) // 3 + 1)
            sums[key][0] += c.budget
            sums[key][1] += c.spend
            sums[key][2] += 1
    return sums


def test_per_quarter_matches_an_independent_sum(spread, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = budget.budget_vs_spend(mine(spread), by="quarter")
    expected = expected_by_quarter(spread.campaigns)
    assert [(r.year, r.quarter) for r in rows] == sorted(expected)
    for row in rows:
        assert [row.budget, row.spend, row.campaigns] == expected[(row.year, row.quarter)]
        assert row.remaining == row.budget - row.spend
        assert row.over == (row.spend > row.budget)


def test_per_quarter_of_a_year_has_its_four_quarters(spread):
    rows = budget.budget_vs_spend(mine(spread), by="quarter", year=2026)
    expected = expected_by_quarter(spread.campaigns, year=2026)
    assert [r.label for r in rows] == ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"]
    for row in rows:
        assert [row.budget, row.spend, row.campaigns] == expected.get((2026, row.quarter), [0, 0, 0])


def test_a_quarter_without_campaigns_is_zero():
    product = ProductFactory()
    CampaignFactory(product=product, start_date=datetime.date(2026, 2, 1), budget=D(10), spend=D(4))
    rows = budget.budget_vs_spend(Campaign.objects.all(), by="quarter", year=2026)
    assert [(r.budget, r.spend, r.campaigns) for r in rows[1:]] == [(0, 0, 0)] * 3


def test_a_campaign_counts_in_the_quarter_it_starts_even_when_it_ends_in_the_next():
    CampaignFactory(
        start_date=datetime.date(2026, 3, 31), end_date=datetime.date(2026, 5, 1), budget=D(100), spend=D(10)
    )
    rows = budget.budget_vs_spend(Campaign.objects.all(), by="quarter", year=2026)
    assert [row.budget for row in rows] == [100, 0, 0, 0]


def test_per_launch_plan_matches_an_independent_sum(spread, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = budget.budget_vs_spend(mine(spread), by="launch_plan")
    expected = defaultdict(lambda: [D(0), D(0), 0])
    for c in spread.campaigns:
        expected[c.launch_plan_id][0] += c.budget
        expected[c.launch_plan_id][1] += c.spend
        expected[c.launch_plan_id][2] += 1
    for row in rows:
        assert [row.budget, row.spend, row.campaigns] == expected[row.launch_plan]
    # By launch date, the campaigns without a plan last.
    by_date = sorted((p for p in spread.plans if p.id in expected), key=lambda p: p.launch_date)
    assert [r.launch_plan for r in rows] == [p.id for p in by_date] + ([None] if None in expected else [])
    assert rows[-1].label == "No launch plan"


def test_totals_add_up(spread):
    rows = budget.budget_vs_spend(mine(spread), by="quarter")
    total = budget.totals(rows)
    assert total.budget == sum(c.budget for c in spread.campaigns)
    assert total.spend == sum(c.spend for c in spread.campaigns)
    assert total.campaigns == len(spread.campaigns)


def test_grouping_by_anything_else_is_an_error():
    with pytest.raises(ValueError):
        budget.budget_vs_spend(Campaign.objects.all(), by="channel")


# --- the chart ----------------------------------------------------------------------------------------


def chart_html(chart) -> str:
    return render_to_string("gtm/_budget_chart.html", {"chart": chart})


@pytest.fixture
def over_and_under():
    product = ProductFactory(name="Nebula")
    over = CampaignFactory(product=product, name="Webinars", budget=D("1000"), spend=D("1500"))
    under = CampaignFactory(product=product, name="Search ads", budget=D("4000"), spend=D("1200.50"))
    return over, under


@pytest.mark.parametrize("group", ["campaign", "quarter", "launch_plan"])
def test_a_chart_costs_one_query(over_and_under, group, django_assert_num_queries):
    with django_assert_num_queries(1):
        budget.budget_chart(Campaign.objects.all(), group=group)


def test_the_chart_is_an_accessible_svg_without_inline_style(over_and_under):
    html = chart_html(budget.budget_chart(Campaign.objects.all(), group="campaign"))
    assert "style=" not in html and "<script" not in html
    assert html.count('role="img"') == len(budget.SIZES)
    assert re.search(r"<title id=\"[^\"]+-title\">Budget vs spend per campaign</title>", html)
    assert 'aria-labelledby="' in html
    # The numbers are a table too, for screen readers.
    table = html[html.index("<table>") : html.index("</table>")]
    assert "<caption>Budget vs spend per campaign</caption>" in table
    assert "Webinars" in table and "1,500" in table and "yes, by 500" in table


def test_spend_over_budget_is_drawn_in_the_warning_colour_with_a_marker(over_and_under):
    over, under = over_and_under
    chart = budget.budget_chart(Campaign.objects.all(), group="campaign")
    html = str(chart.svgs[1])
    assert html.count('class="bar bar-spend over"') == 1
    assert f'fill="{budget.OVER_COLOUR}"' in html
    assert "▲ over by 500" in html
    assert "Webinars: budget 1,000, spend 1,500, over budget by 500" in html
    assert "Search ads: budget 4,000, spend 1,200.50, 2,799.50 remaining" in html
    assert [row.label for row in chart.over_rows] == ["Webinars"]


def test_campaign_and_launch_plan_labels_link_to_their_pages(over_and_under):
    over, _ = over_and_under
    plan = LaunchPlanFactory(product=over.product, name="Big launch")
    Campaign.objects.filter(pk=over.pk).update(launch_plan=plan)
    campaigns = str(budget.budget_chart(Campaign.objects.all(), group="campaign").svgs[0])
    assert f'href="/campaigns/{over.id}/"' in campaigns
    plans = budget.budget_chart(Campaign.objects.all(), group="launch_plan")
    assert [row.label for row in plans.rows] == ["Big launch", "No launch plan"]


def test_an_empty_chart_says_so_and_draws_nothing():
    html = chart_html(budget.budget_chart(Campaign.objects.none(), group="quarter", year=2031))
    assert "No campaigns start in 2031." in html and "<svg" not in html.replace("legend-mark", "")


def test_long_labels_are_shortened_in_the_drawing_but_whole_in_the_table():
    name = "A very long campaign name that goes on and on about the spring product launch in Europe"
    CampaignFactory(name=name)
    chart = budget.budget_chart(Campaign.objects.all(), group="campaign")
    for svg in chart.svgs:
        label = re.search(r'class="budget-label"[^>]*>([^<]*)</text>', str(svg)).group(1)
        assert label.endswith("…") and name.startswith(label[:-1])
    assert f'<th scope="row">{name}</th>' in chart_html(chart)


def test_money_reads_as_people_write_it():
    assert budget.money_text(D("12000.00")) == "12,000"
    assert budget.money_text(D("1234.5")) == "1,234.50"
    assert budget.money_text(D("-300")) == "−300"
    assert budget.short_money(D("2500")) == "2.5k" and budget.short_money(D("3000000")) == "3M"


def test_nice_ticks_start_at_zero_and_cover_the_top():
    ticks = budget.nice_ticks(D("58000"))
    assert ticks[0] == 0 and ticks[-1] >= 58000 and len(ticks) <= 7


# --- CSV ----------------------------------------------------------------------------------------------


def test_csv_has_the_columns_and_a_row_per_campaign():
    segment = SegmentFactory(name="SMB")
    product = ProductFactory(portfolio=segment.portfolio, name="Nebula")
    plan = LaunchPlanFactory(product=product, name="=Spring")
    CampaignFactory(
        product=product,
        launch_plan=plan,
        segment=segment,
        name="Webinars",
        channel="events",
        start_date=datetime.date(2026, 3, 1),
        end_date=datetime.date(2026, 3, 31),
        budget=D("1000"),
        spend=D("1500.50"),
    )
    text = "".join(budget.csv_lines(budget.campaigns(Campaign.objects.all())))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == budget.CSV_COLUMNS
    assert rows[0] == [
        "id",
        "product",
        "launch plan",
        "name",
        "channel",
        "segment",
        "status",
        "start",
        "end",
        "budget",
        "spend",
        "remaining",
        "owner",
    ]
    assert rows[1][1:] == [
        "Nebula",
        "'=Spring",  # no formula a spreadsheet would run
        "Webinars",
        "events",
        "SMB",
        "planned",
        "2026-03-01",
        "2026-03-31",
        "1000",
        "1500.5",
        "-500.5",
        "",
    ]
