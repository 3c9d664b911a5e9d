"""Signal pages and panels: the signals page (open, resolved lately, evidence, filters, CSV), one signal's page,
the dashboard's lines, the launch plan, campaign, product and launch-view panels; fixed queries."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products.models import Role
from tests.factories import (
    CampaignFactory,
    CompetitorFactory,
    CompetitorMoveFactory,
    KPIFactory,
    LaunchPlanFactory,
    PortfolioFactory,
    ProductFactory,
    SignalFactory,
    member,
)

pytestmark = pytest.mark.django_db


def _series(kpi, *values):
    return {
        "kpi": {"id": kpi.id, "key": kpi.key, "name": kpi.name, "unit": kpi.unit},
        "granularity": "week",
        "rows": [
            {"period_start": f"2026-03-0{2 + i}", "value": v, "target": 5.0, "health": "off_track"}
            for i, v in enumerate(values)
        ],
    }


@pytest.fixture
def world():
    portfolio = PortfolioFactory(name="Acme")
    product = ProductFactory(portfolio=portfolio, name="Pulse Alerts")
    plan = LaunchPlanFactory(product=product, name="Pulse 1.2", status="launched", launched_at=timezone.now())
    campaign = CampaignFactory(product=product, launch_plan=plan, name="Paid search: alerts")
    conversion = KPIFactory(
        product=product, campaign=campaign, key="paid_search_conversion_rate", name="Conversion", unit="%"
    )
    open_signal = SignalFactory(
        product=product,
        campaign=campaign,
        launch_plan=plan,
        kpi=conversion,
        message="“Paid search: alerts” brings traffic but conversion stayed off track.",
        evidence={"rule": "A campaign's conversion KPI was off track…", "series": [_series(conversion, 3.2, 3.1)]},
    )
    move = CompetitorMoveFactory(
        competitor=CompetitorFactory(portfolio=portfolio, name="Flowdesk"), kind="price_change"
    )
    resolved = SignalFactory(
        product=product,
        kind="off_track_after_competitor_move",
        subject_key="kpi:9:move:9",
        competitor_move=move,
        message="Weekly active users turned off track after Flowdesk's price change.",
        evidence={"rule": "r", "resolution": "The condition no longer holds: the KPI is no longer off track."},
        resolved_at=timezone.now() - timedelta(days=2),
    )
    return portfolio, product, plan, campaign, conversion, open_signal, resolved


def reader(portfolio, role=Role.VIEWER):
    client = Client()
    client.force_login(member(portfolio, role))
    return client


def test_the_page_shows_open_signals_with_their_evidence_and_links(world):
    portfolio, product, plan, campaign, conversion, open_signal, _ = world
    response = reader(portfolio).get(f"/portfolios/{portfolio.id}/signals/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "brings traffic but conversion stayed off track." in html
    assert "Traffic without conversions" in html and f'id="signal-{open_signal.id}"' in html
    assert f'href="/kpis/{conversion.id}/"' in html  # the KPI behind it
    assert f'href="/campaigns/{campaign.id}/"' in html and f'href="/launches/{plan.id}/"' in html
    assert '<td class="num">3.2</td>' in html and "Off track" in html and "(%)" in html
    assert 'aria-current="page">Signals</a>' in html  # the Lifecycle tab


def test_resolved_signals_show_why_and_link_the_move(world):
    portfolio, *_, resolved = world
    html = reader(portfolio).get(f"/portfolios/{portfolio.id}/signals/").content.decode()
    assert "The condition no longer holds: the KPI is no longer off track." in html
    assert f"/competitors/{resolved.competitor_move.competitor_id}/#move-{resolved.competitor_move_id}" in html


def test_signals_resolved_long_ago_show_only_when_asked(world):
    portfolio, *_, resolved = world
    resolved.resolved_at = timezone.now() - timedelta(days=40)
    resolved.save()
    client = reader(portfolio)
    assert "turned off track after Flowdesk" not in client.get(f"/portfolios/{portfolio.id}/signals/").content.decode()
    html = client.get(f"/portfolios/{portfolio.id}/signals/?resolved=all").content.decode()
    assert "turned off track after Flowdesk" in html


def test_the_filters_narrow_by_product_and_kind(world):
    portfolio, product, *_ = world
    other = ProductFactory(portfolio=portfolio, name="Ledger")
    SignalFactory(product=other, message="Ledger's own signal")
    client = reader(portfolio)
    html = client.get(f"/portfolios/{portfolio.id}/signals/?product={product.id}").content.decode()
    assert "Ledger's own signal" not in html and "brings traffic" in html
    html = client.get(f"/portfolios/{portfolio.id}/signals/?kind=off_track_after_competitor_move").content.decode()
    assert "brings traffic" not in html and "turned off track after Flowdesk" in html


@pytest.mark.parametrize("query", ["product=abc", "product=99999999999999999999", "kind=loud", "page=x", "resolved=0"])
def test_odd_filter_values_show_everything(world, query):
    portfolio, *_ = world
    response = reader(portfolio).get(f"/portfolios/{portfolio.id}/signals/?{query}")
    assert response.status_code == 200 and "brings traffic" in response.content.decode()


def test_without_signals_the_page_says_what_raises_one():
    portfolio = ProductFactory().portfolio
    html = reader(portfolio).get(f"/portfolios/{portfolio.id}/signals/").content.decode()
    assert "Nothing flagged." in html and "How signals are found" in html


def test_resolved_signals_come_fifty_a_page(world):
    portfolio, product, *_ = world
    for index in range(55):
        SignalFactory(product=product, subject_key=f"old:{index}", resolved_at=timezone.now() - timedelta(hours=index))
    client = reader(portfolio)
    html = client.get(f"/portfolios/{portfolio.id}/signals/").content.decode()
    assert "Page 1 of 2" in html
    assert "Page 2 of 2" in client.get(f"/portfolios/{portfolio.id}/signals/?page=2").content.decode()


def test_the_csv_lists_what_the_filters_match(world):
    portfolio, product, *_, open_signal, resolved = world
    response = reader(portfolio).get(f"/portfolios/{portfolio.id}/signals/?format=csv&kind=campaign_low_conversion")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "kind", "product"]
    assert [row[0] for row in rows[1:]] == [str(open_signal.id)]


def test_another_portfolios_page_and_signal_are_404(world):
    portfolio, *_, open_signal, _ = world
    outsider = reader(ProductFactory().portfolio, Role.ADMIN)
    assert outsider.get(f"/portfolios/{portfolio.id}/signals/").status_code == 404
    assert outsider.get(f"/signals/{open_signal.id}/").status_code == 404


def test_one_signals_page_opens_its_evidence(world):
    portfolio, *_, open_signal, _ = world
    response = reader(portfolio).get(f"/signals/{open_signal.id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<details class="signal-evidence" open>' in html and '<td class="num">3.1</td>' in html
    assert "Open</span>" in html


def test_a_kpi_gone_since_is_named_without_a_link(world):
    portfolio, _, _, _, conversion, open_signal, _ = world
    conversion.delete()
    html = reader(portfolio).get(f"/signals/{open_signal.id}/").content.decode()
    assert "Conversion" in html and f"/kpis/{conversion.id}/" not in html


# --- panels -----------------------------------------------------------------------------------------------


def test_the_dashboard_lists_open_signals_one_line_each(world):
    portfolio, product, *_, open_signal, resolved = world
    html = reader(portfolio).get(f"/portfolios/{portfolio.id}/").content.decode()
    assert 'class="card signal-dashboard"' in html
    assert f'href="/signals/{open_signal.id}/"' in html and f'href="/signals/{resolved.id}/"' not in html
    assert f'href="/portfolios/{portfolio.id}/signals/"' in html


def test_the_dashboard_counts_what_it_does_not_show(world):
    portfolio, product, *_ = world
    for index in range(7):
        SignalFactory(product=product, subject_key=f"more:{index}")
    html = reader(portfolio).get(f"/portfolios/{portfolio.id}/").content.decode()
    assert "2 more open signals" in html and html.count('class="signal-line ') == 6


def test_the_dashboard_shows_no_panel_without_open_signals():
    portfolio = ProductFactory().portfolio
    assert "signal-dashboard" not in reader(portfolio).get(f"/portfolios/{portfolio.id}/").content.decode()


def test_the_launch_plan_page_shows_the_signals_of_the_plan_and_its_campaigns(world):
    portfolio, product, plan, campaign, _, open_signal, _ = world
    other = SignalFactory(
        product=product, campaign=CampaignFactory(product=product, launch_plan=plan), subject_key="c2"
    )
    elsewhere = SignalFactory(product=product, subject_key="elsewhere", message="Not this launch")
    html = reader(portfolio).get(f"/launches/{plan.id}/").content.decode()
    assert f'id="signal-{open_signal.id}"' in html and f'id="signal-{other.id}"' in html
    assert f'id="signal-{elsewhere.id}"' not in html


def test_a_plan_without_signals_says_what_would_flag_it():
    plan = LaunchPlanFactory()
    html = reader(plan.product.portfolio).get(f"/launches/{plan.id}/").content.decode()
    assert "Nothing flagged. pmflow flags this launch" in html


def test_the_shared_launch_view_shows_the_launchs_signals(world):
    portfolio, _, plan, _, _, open_signal, _ = world
    html = reader(portfolio).get(f"/launches/{plan.id}/kpis/").content.decode()
    assert f'id="signal-{open_signal.id}"' in html


def test_the_campaign_page_shows_its_signals(world):
    portfolio, _, _, campaign, _, open_signal, _ = world
    html = reader(portfolio, Role.MARKETER).get(f"/campaigns/{campaign.id}/").content.decode()
    assert f'id="signal-{open_signal.id}"' in html


def test_the_product_page_shows_open_signals_only(world):
    portfolio, product, *_, open_signal, resolved = world
    html = reader(portfolio).get(f"/products/{product.id}/").content.decode()
    assert f'href="/signals/{open_signal.id}/"' in html and f'href="/signals/{resolved.id}/"' not in html
    assert f"All signals of {product.name}" in html


def test_a_product_without_open_signals_has_no_panel():
    product = ProductFactory()
    assert "signal-dashboard" not in reader(product.portfolio).get(f"/products/{product.id}/").content.decode()


# --- queries ----------------------------------------------------------------------------------------------


def _crowd(n: int):
    portfolio = PortfolioFactory()
    for index in range(n):
        product = ProductFactory(portfolio=portfolio)
        plan = LaunchPlanFactory(product=product)
        campaign = CampaignFactory(product=product, launch_plan=plan)
        kpi = KPIFactory(product=product, campaign=campaign)
        SignalFactory(
            product=product, campaign=campaign, launch_plan=plan, kpi=kpi, evidence={"series": [_series(kpi, 1)]}
        )
        move = CompetitorMoveFactory(competitor=CompetitorFactory(portfolio=portfolio))
        SignalFactory(
            product=product,
            kind="off_track_after_competitor_move",
            competitor_move=move,
            kpi=kpi,
            subject_key=f"move:{index}",
            resolved_at=timezone.now(),
            evidence={"series": [_series(kpi, 2)]},
        )
    return portfolio


def _queries(client, url) -> int:
    client.get(url)  # the session's first write
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("path", ["/portfolios/{id}/signals/", "/portfolios/{id}/"])
def test_the_signals_page_and_dashboard_cost_the_same_queries_at_ten_times_the_signals(path):
    counts = []
    for portfolio in (_crowd(2), _crowd(20)):
        counts.append(_queries(reader(portfolio), path.format(id=portfolio.id)))
    assert counts[0] == counts[1], counts
    assert counts[0] <= (12 if "signals" in path else 20), counts


def test_a_launch_plans_panel_costs_the_same_queries_at_ten_times_the_signals():
    counts = []
    for n in (2, 20):
        plan = LaunchPlanFactory()
        for _ in range(n):
            campaign = CampaignFactory(product=plan.product, launch_plan=plan)
            kpi = KPIFactory(product=plan.product, campaign=campaign)
            SignalFactory(product=plan.product, campaign=campaign, kpi=kpi, evidence={"series": [_series(kpi, 1)]})
        counts.append(_queries(reader(plan.product.portfolio), f"/launches/{plan.id}/"))
    assert counts[0] == counts[1], counts
