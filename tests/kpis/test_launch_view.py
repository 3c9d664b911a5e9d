"""The shared PM + marketing view of one launch (/launches/<plan>/kpis/) and the KPI panels of a launch plan
and a campaign: before and after launch day, the campaigns' figures, the summary sentence, who sees what,
and a query count that does not grow with the KPIs and campaigns."""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from kpis.launch_figures import Window, before_after
from kpis.services import measurements_ingest
from products.models import Role
from products.pages import panels_for
from tests.factories import CampaignFactory, KPIFactory, LaunchPlanFactory, PortfolioFactory, ProductFactory, member

pytestmark = pytest.mark.django_db

LAUNCH = datetime.date(2025, 9, 11)  # a Thursday: its week (from Monday 8 Sep) is half before, half after
START = datetime.date(2025, 5, 5)  # a Monday, well before the widest window
END = datetime.date(2026, 1, 4)  # a Sunday, long before today: no week is in progress


def _days():
    day = START
    while day <= END:
        yield day
        day += datetime.timedelta(days=1)


def _daily_items(value_of):
    return [{"observed_at": day.isoformat(), "value": str(value_of(i, day))} for i, day in enumerate(_days())]


def _ingest(kpi, items, capture):
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)


def _sales(i, day):  # sign-ups a day: noisy, higher after launch
    return 40 + (i * 37) % 11 + (12 if day >= LAUNCH else 0)


def _users(i, day):  # weekly active users, a gauge: rises through the launch
    return 1000 + 3 * i + (150 if day >= LAUNCH else 0)


@pytest.fixture
def retro(django_capture_on_commit_callbacks):
    """A launched plan with a headline gauge, a sum KPI, and three campaigns with their figures."""
    portfolio = PortfolioFactory(name="Zephyr", timezone="UTC")
    product = ProductFactory(portfolio=portfolio, name="Nebula")
    plan = LaunchPlanFactory(product=product, name="Nova launch", launch_date=LAUNCH)
    users = KPIFactory(
        product=product,
        key="weekly_active_users",
        name="Weekly active users",
        unit="users",
        aggregation="last",
        headline=True,
    )
    signups = KPIFactory(product=product, key="signups", name="Sign-ups", unit="sign-ups", aggregation="sum")
    _ingest(users, _daily_items(_users), django_capture_on_commit_callbacks)
    _ingest(signups, _daily_items(_sales), django_capture_on_commit_callbacks)
    campaigns = [
        CampaignFactory(product=product, launch_plan=plan, name="Eclipse", budget=20000, spend=18000),
        CampaignFactory(product=product, launch_plan=plan, name="Comet", budget=20000, spend=16000),
        CampaignFactory(product=product, launch_plan=plan, name="Photon", budget=10000, spend=8000),
    ]
    # Attributed revenue: 2.4 × spend each, so the ROI is 1.4 overall; leads and conversion on Eclipse.
    for campaign, revenue in zip(campaigns, (43200, 38400, 19200), strict=True):
        kpi = KPIFactory(
            product=product,
            key=f"{campaign.name.lower()}_revenue",
            name=f"{campaign.name} revenue",
            unit="EUR",
            campaign=campaign,
            launch_plan=plan,
        )
        _ingest(kpi, [{"observed_at": "2025-09-20", "value": revenue}], django_capture_on_commit_callbacks)
    leads = KPIFactory(product=product, key="eclipse_leads", name="Eclipse leads", campaign=campaigns[0])
    _ingest(
        leads,
        [{"observed_at": "2025-09-15", "value": 500}, {"observed_at": "2025-09-22", "value": 220}],
        django_capture_on_commit_callbacks,
    )
    conversion = KPIFactory(
        product=product,
        key="eclipse_conversion_rate",
        name="Eclipse conversion",
        unit="%",
        aggregation="avg",
        campaign=campaigns[0],
        launch_plan=plan,
    )
    _ingest(
        conversion,
        [{"observed_at": "2025-09-15", "value": "3"}, {"observed_at": "2025-09-22", "value": "4"}],
        django_capture_on_commit_callbacks,
    )
    return type(
        "Retro",
        (),
        {
            "portfolio": portfolio,
            "product": product,
            "plan": plan,
            "users": users,
            "signups": signups,
            "campaigns": campaigns,
            "leads": leads,
            "conversion": conversion,
        },
    )


# --- before and after, computed independently -------------------------------------------------------


def expected_before_after(value_of, aggregation: str, weeks: int) -> tuple[Decimal, Decimal]:
    """From the raw daily values, without the rollups: each ISO week's value (its sum, or its last day's
    value), the `weeks` weeks that end before launch day and the `weeks` that start after it, averaged."""
    by_week = defaultdict(list)
    for i, day in enumerate(_days()):
        by_week[day - datetime.timedelta(days=day.weekday())].append(Decimal(value_of(i, day)))
    value = {week: (sum(v) if aggregation == "sum" else v[-1]) for week, v in by_week.items()}
    before = sorted(w for w in value if w + datetime.timedelta(days=6) < LAUNCH)[-weeks:]
    after = sorted(w for w in value if w >= LAUNCH)[:weeks]
    assert len(before) == len(after) == weeks

    def mean(ws):
        return (sum(value[w] for w in ws) / len(ws)).quantize(Decimal("0.000001"), ROUND_HALF_UP)

    return mean(before), mean(after)


@pytest.mark.parametrize("weeks", [4, 8, 13])
def test_before_and_after_of_a_sum_kpi_match_the_raw_values(retro, weeks):
    comparison = before_after([retro.signups], Window(LAUNCH, weeks), zone=retro.portfolio.zone)[retro.signups.id]
    assert (comparison.before, comparison.after) == expected_before_after(_sales, "sum", weeks)
    assert (comparison.before_weeks, comparison.after_weeks) == (weeks, weeks)


@pytest.mark.parametrize("weeks", [4, 8, 13])
def test_before_and_after_of_a_gauge_match_the_raw_values(retro, weeks):
    comparison = before_after([retro.users], Window(LAUNCH, weeks), zone=retro.portfolio.zone)[retro.users.id]
    before, after = expected_before_after(_users, "last", weeks)
    assert (comparison.before, comparison.after) == (before, after)
    assert comparison.change_pct == ((after - before) / before * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def test_the_launch_week_counts_on_neither_side():
    window = Window(LAUNCH, 2)
    assert window.straddle == datetime.date(2025, 9, 8)
    assert window.before == [datetime.date(2025, 8, 25), datetime.date(2025, 9, 1)]
    assert window.after == [datetime.date(2025, 9, 15), datetime.date(2025, 9, 22)]


def test_a_monday_launch_week_is_the_first_week_after():
    window = Window(datetime.date(2025, 9, 8), 2)
    assert window.straddle is None
    assert window.after[0] == datetime.date(2025, 9, 8)
    assert window.before[-1] == datetime.date(2025, 9, 1)


def test_the_week_in_progress_is_not_averaged(django_capture_on_commit_callbacks):
    today = datetime.date(2025, 9, 24)  # a Wednesday, two weeks after launch
    kpi = KPIFactory(aggregation="sum")
    items = [{"observed_at": f"2025-{m:02d}-{d:02d}", "value": 10} for m, d in [(8, 25), (9, 1), (9, 15), (9, 22)]]
    _ingest(kpi, items, django_capture_on_commit_callbacks)
    comparison = before_after([kpi], Window(LAUNCH, 2), zone=kpi.product.portfolio.zone, today=today)[kpi.id]
    assert (comparison.before_weeks, comparison.after_weeks) == (2, 1)  # 22 Sep is still running


def test_a_kpi_that_fell_the_wrong_way_is_marked(retro, django_capture_on_commit_callbacks):
    churn = KPIFactory(product=retro.product, key="churn", direction="lower_is_better", aggregation="sum")
    _ingest(churn, _daily_items(lambda i, day: 5 if day >= LAUNCH else 3), django_capture_on_commit_callbacks)
    comparison = before_after([churn], Window(LAUNCH, 8), zone=retro.portfolio.zone)[churn.id]
    assert comparison.change_pct > 0 and comparison.improved is False


# --- the page -------------------------------------------------------------------------------------


def _get(client, retro, role=Role.VIEWER, query=""):
    client.force_login(member(retro.portfolio, role))
    return client.get(f"/launches/{retro.plan.id}/kpis/{query}")


def test_the_summary_says_how_adoption_moved_and_what_the_campaigns_spent(client, retro):
    page = _get(client, retro).content.decode()
    before, after = expected_before_after(_users, "last", 8)
    users = f"{(after - before) / before * 100:.0f}"
    sales_before, sales_after = expected_before_after(_sales, "sum", 8)
    sales = f"{(sales_after - sales_before) / sales_before * 100:.0f}"
    assert (
        f"Weekly active users rose {users} % in the 8 weeks after launch; "
        "the 3 campaigns spent €42,000 of €50,000 with an ROI of 1.4." in page
    ), sales  # revenue is not a KPI of this product: only the lead KPI is named


def test_the_summary_names_revenue_beside_the_lead_kpi(client, retro, django_capture_on_commit_callbacks):
    revenue = KPIFactory(product=retro.product, key="revenue", name="Revenue", unit="EUR", aggregation="sum")
    _ingest(revenue, _daily_items(lambda i, day: 800 if day >= LAUNCH else 1000), django_capture_on_commit_callbacks)
    page = _get(client, retro).content.decode()
    assert "and revenue fell 20 % in the 8 weeks after launch" in page


def test_the_summary_of_a_launch_still_ahead_says_when(client, retro):
    retro.plan.launch_date = datetime.date.today() + datetime.timedelta(days=20)
    retro.plan.save()
    page = _get(client, retro).content.decode()
    day = retro.plan.launch_date
    assert f"Nova launch launches on {day.day} {day:%B} {day.year}: the after figures start" in page


def test_each_product_kpi_shows_its_before_after_and_change(client, retro):
    page = _get(client, retro, query="?weeks=4").content.decode()
    before, after = expected_before_after(_sales, "sum", 4)
    change = ((after - before) / before * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert f"{before.quantize(Decimal('0.01')).normalize():,f} sign-ups" in page
    assert f"+{change} %" in page
    assert "4 of 4 weeks" in page


def test_the_chart_marks_launch_day(client, retro):
    page = _get(client, retro).content.decode()
    assert 'class="launch-line"' in page and "Launch 11 Sep" in page
    assert "<script" not in page.split("</main>")[0].split("<main")[1]
    assert 'style="' not in page  # the CSP refuses inline styles


def test_the_campaign_table_gives_spend_leads_cost_per_lead_conversion_and_roi(client, retro):
    page = _get(client, retro).content.decode()
    eclipse = page.split("Eclipse <span")[1].split("</tr>")[0]
    assert "€20,000" in eclipse and "€18,000" in eclipse
    assert ">720<" in eclipse  # 500 + 220 leads
    assert "€25.00" in eclipse  # 18,000 ÷ 720
    assert "3.5 %" in eclipse  # the mean of 3 and 4
    assert ">1.4<" in eclipse  # (43,200 − 18,000) ÷ 18,000
    comet = page.split("Comet <span")[1].split("</tr>")[0]
    assert comet.count("no data") == 3  # leads, cost per lead, conversion


def test_a_campaign_with_nothing_spent_has_no_roi(client, retro):
    retro.campaigns[2].spend = 0
    retro.campaigns[2].save()
    page = _get(client, retro).content.decode()
    assert "no spend" in page.split("Photon <span")[1].split("</tr>")[0]


def test_a_window_outside_the_choices_falls_back_to_8_weeks(client, retro):
    page = _get(client, retro, query="?weeks=5").content.decode()
    assert '<a href="?weeks=8" aria-current="page">' in page


def test_the_csv_has_every_kpis_weeks_with_their_side(client, retro):
    response = _get(client, retro, query="?weeks=4&format=csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "key,kpi,campaign,week_start,side,value,health"
    signups = [line for line in lines if line.startswith("signups,")]
    assert len(signups) == 9  # 4 before, the launch week, 4 after
    assert sum(",before," in line for line in signups) == 4 and sum(",launch_week," in line for line in signups) == 1


def test_a_product_without_kpis_says_what_to_do(client):
    plan = LaunchPlanFactory(launch_date=LAUNCH)
    client.force_login(member(plan.product.portfolio, Role.MARKETER))
    page = client.get(f"/launches/{plan.id}/kpis/").content.decode()
    assert "has no KPIs yet to compare" in page and "No campaigns are part of this launch yet" in page


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER, Role.VIEWER])
def test_every_member_sees_the_view(client, retro, role):
    response = _get(client, retro, role)
    assert response.status_code == 200
    shows_add = "Add a KPI for this launch" in response.content.decode()
    assert shows_add == (role != Role.VIEWER)


def test_a_marketer_is_not_told_the_page_is_read_only(client, retro):
    assert "Read only" not in _get(client, retro, Role.MARKETER).content.decode()


def test_another_portfolios_member_gets_404(client, retro):
    client.force_login(member(PortfolioFactory(), Role.ADMIN))
    response = client.get(f"/launches/{retro.plan.id}/kpis/")
    assert response.status_code == 404 and "Nova launch" not in response.content.decode()


def test_anonymous_is_sent_to_the_login(client, retro):
    response = client.get(f"/launches/{retro.plan.id}/kpis/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- query counts at 1× and 10× ----------------------------------------------------------------------


def _crowd(product, plan, n: int, capture) -> None:
    """n product KPIs and n campaigns, each with a leads and a revenue KPI, all with weekly values."""
    weekly = [{"observed_at": (START + datetime.timedelta(weeks=w)).isoformat(), "value": 10 + w} for w in range(0, 30)]
    for i in range(n):
        _ingest(KPIFactory(product=product, key=f"adoption_{i}"), weekly, capture)
        campaign = CampaignFactory(product=product, launch_plan=plan, name=f"Campaign {i}")
        for role in ("leads", "revenue"):
            kpi = KPIFactory(product=product, key=f"c{i}_{role}", campaign=campaign, launch_plan=plan)
            _ingest(kpi, weekly[:3], capture)


def _count(run) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


@pytest.fixture
def crowds(django_capture_on_commit_callbacks):
    small, large = (LaunchPlanFactory(launch_date=LAUNCH) for _ in range(2))
    _crowd(small.product, small, 1, django_capture_on_commit_callbacks)
    _crowd(large.product, large, 10, django_capture_on_commit_callbacks)
    return small, large


def test_the_view_costs_the_same_queries_at_10x(crowds, django_assert_max_num_queries):
    counts = []
    for plan in crowds:
        client = Client()
        client.force_login(member(plan.product.portfolio, Role.MARKETER))
        url = f"/launches/{plan.id}/kpis/"
        client.get(url)  # the session's first write
        counts.append(_count(lambda url=url, client=client: client.get(url)))
        with django_assert_max_num_queries(13):  # 12, and the launch's signals (kpis.signal_panels)
            assert client.get(url).status_code == 200
    assert counts[0] == counts[1]


def _panel_html(plan_or_campaign, user, slot):
    request = RequestFactory().get("/")
    request.user = user
    return "".join(
        render_to_string(p["template"], {"panel": p}) for p in panels_for(plan_or_campaign, request, slot=slot)
    )


def test_the_launch_panel_costs_the_same_queries_at_10x(crowds, django_assert_max_num_queries):
    small, large = crowds
    small_user, large_user = (member(plan.product.portfolio, Role.VIEWER) for plan in crowds)
    small_count = _count(lambda: _panel_html(small, small_user, "launch_plan.panels"))
    assert _count(lambda: _panel_html(large, large_user, "launch_plan.panels")) == small_count
    with django_assert_max_num_queries(8):
        _panel_html(large, large_user, "launch_plan.panels")


# --- the panels ----------------------------------------------------------------------------------------


def test_the_launch_panel_shows_the_plans_kpis_and_each_campaigns_figures(retro, django_capture_on_commit_callbacks):
    trials = KPIFactory(product=retro.product, key="trials", name="Trials started", launch_plan=retro.plan)
    _ingest(trials, [{"observed_at": "2025-09-15", "value": 40}], django_capture_on_commit_callbacks)
    html = _panel_html(retro.plan, member(retro.portfolio, Role.VIEWER), "launch_plan.panels")
    assert "Trials started" in html
    eclipse = html.split('aria-label="Eclipse"')[1].split("</article>")[0]
    assert "€18,000" in eclipse and "€25.00" in eclipse and "3.5 %" in eclipse and ">1.4<" in eclipse
    assert "Eclipse conversion" in eclipse and "sparkline" in eclipse
    assert f"/launches/{retro.plan.id}/kpis/" in html


def test_the_launch_panel_offers_writers_a_preselected_new_kpi(retro):
    html = _panel_html(retro.plan, member(retro.portfolio, Role.MARKETER), "launch_plan.panels")
    assert f"/kpis/new/?product={retro.product.id}&amp;launch_plan={retro.plan.id}" in html
    eclipse = retro.campaigns[0]
    assert f"launch_plan={retro.plan.id}&amp;campaign={eclipse.id}" in html


def test_the_launch_panel_offers_a_viewer_no_new_kpi(retro):
    html = _panel_html(retro.plan, member(retro.portfolio, Role.VIEWER), "launch_plan.panels")
    assert "/kpis/new/" not in html


def test_the_launch_panel_without_kpis_or_campaigns_says_what_to_do():
    plan = LaunchPlanFactory()
    html = _panel_html(plan, member(plan.product.portfolio, Role.MARKETER), "launch_plan.panels")
    assert "No KPIs of this launch yet" in html and "No campaigns in this launch yet" in html


def test_the_campaign_panel_shows_its_figures_and_kpis(retro):
    html = _panel_html(retro.campaigns[0], member(retro.portfolio, Role.PRODUCT_MANAGER), "campaign.panels")
    assert "€25.00" in html and ">1.4<" in html and "Eclipse leads" in html
    assert f"campaign={retro.campaigns[0].id}" in html


def test_the_campaign_panel_of_a_campaign_without_kpis_says_no_data():
    campaign = CampaignFactory()
    html = _panel_html(campaign, member(campaign.product.portfolio, Role.VIEWER), "campaign.panels")
    assert html.count("no data") >= 4 and "No KPIs of this campaign yet" in html
