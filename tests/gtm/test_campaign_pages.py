"""The campaign pages: the list (filters, totals, chart, CSV), a campaign (money, overspend, the panel slot,
history, record spend), its form (create, edit), delete; roles, other portfolios, query counts."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gtm.campaign_views import PANELS
from gtm.models import Campaign
from products import pages
from products.models import DomainEvent, Role
from tests.factories import (
    CampaignFactory,
    LaunchPlanFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db

D = Decimal
THIS_YEAR = timezone.localdate().year


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme", timezone="UTC")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Nebula")


@pytest.fixture
def plan(product):
    return LaunchPlanFactory(product=product, name="Spring launch", launch_date=datetime.date(THIS_YEAR, 4, 1))


@pytest.fixture
def marketer(client, portfolio):
    user = member(portfolio, Role.MARKETER)
    client.force_login(user)
    return user


def as_role(client, portfolio, role):
    user = member(portfolio, role)
    client.force_login(user)
    return user


def text(response) -> str:
    return response.content.decode()


def day(month: int, dom: int = 1, year: int = THIS_YEAR) -> datetime.date:
    return datetime.date(year, month, dom)


def written():
    return Campaign.objects.count(), DomainEvent.objects.count(), list(Campaign.objects.values_list("spend", "name"))


FORM = {
    "name": "Spring webinars",
    "channel": "events",
    "status": "planned",
    "start_date": f"{THIS_YEAR}-03-01",
    "end_date": f"{THIS_YEAR}-03-31",
    "budget": "5,000",
    "spend": "",
}


# --- the list ---------------------------------------------------------------------------------------


def test_the_list_shows_this_years_campaigns_by_start_date(client, portfolio, product, marketer):
    late = CampaignFactory(product=product, name="Autumn push", start_date=day(9), end_date=day(10))
    early = CampaignFactory(product=product, name="New year mail", start_date=day(1), end_date=day(2))
    CampaignFactory(
        product=product, name="Old one", start_date=day(5, year=THIS_YEAR - 1), end_date=day(6, year=THIS_YEAR - 1)
    )
    page = text(client.get(f"/portfolios/{portfolio.id}/campaigns/"))
    order = re.findall(r'<td class="stack-title"><a href="/campaigns/(\d+)/"', page)
    assert order == [str(early.id), str(late.id)]
    assert "Old one" not in page


def test_all_years_shows_every_campaign(client, portfolio, product, marketer):
    CampaignFactory(
        product=product, name="Old one", start_date=day(5, year=THIS_YEAR - 1), end_date=day(6, year=THIS_YEAR - 1)
    )
    assert "Old one" in text(client.get(f"/portfolios/{portfolio.id}/campaigns/?year=all"))


def test_the_list_filters_by_product_plan_channel_and_status(client, portfolio, product, plan, marketer):
    other = ProductFactory(portfolio=portfolio, name="Quasar")
    CampaignFactory(product=product, launch_plan=plan, name="Plan mail", channel="email", start_date=day(3))
    CampaignFactory(product=product, name="Loose PR", channel="pr", status="active", start_date=day(3))
    CampaignFactory(product=other, name="Quasar mail", channel="email", status="done", start_date=day(3))
    url = f"/portfolios/{portfolio.id}/campaigns/"

    def names(query):
        return re.findall(
            r'<td class="stack-title"><a href="/campaigns/\d+/">([^<]+)</a>', text(client.get(url + query))
        )

    assert names(f"?product={product.id}") == ["Loose PR", "Plan mail"] or set(names(f"?product={product.id}")) == {
        "Loose PR",
        "Plan mail",
    }
    assert names(f"?launch_plan={plan.id}") == ["Plan mail"]
    assert set(names("?channel=email")) == {"Plan mail", "Quasar mail"}
    assert names("?status=active") == ["Loose PR"]


@pytest.mark.parametrize("query", ["product=²", "product=99999999999999999999", "year=1e9", "status=x\x00", "page=-1"])
def test_absurd_filters_are_left_out_not_a_500(client, portfolio, product, marketer, query):
    CampaignFactory(product=product, start_date=day(3))
    assert client.get(f"/portfolios/{portfolio.id}/campaigns/?{query}").status_code == 200


def test_the_list_totals_and_flags_overspend(client, portfolio, product, marketer):
    CampaignFactory(product=product, name="Overrun", budget=D("1000"), spend=D("1500"), start_date=day(2))
    CampaignFactory(product=product, name="Thrifty", budget=D("4000"), spend=D("500"), start_date=day(5))
    page = text(client.get(f"/portfolios/{portfolio.id}/campaigns/"))
    tiles = page[page.index('class="campaign-totals"') : page.index("</ul>", page.index('class="campaign-totals"'))]
    assert "5,000" in tiles and "2,000" in tiles and "3,000" in tiles
    assert "Campaigns over budget" in tiles
    assert page.count('class="over-budget"') == 1
    assert "▲ over budget" in page


def test_the_list_draws_budget_vs_spend_per_quarter_of_the_chosen_year(client, portfolio, product, marketer):
    CampaignFactory(
        product=product, budget=D("1000"), spend=D("1500"), start_date=day(2, year=2025), end_date=day(3, year=2025)
    )
    CampaignFactory(
        product=product, budget=D("4000"), spend=D("100"), start_date=day(11, year=2025), end_date=day(12, year=2025)
    )
    page = text(client.get(f"/portfolios/{portfolio.id}/campaigns/?year=2025"))
    assert "Budget vs spend per quarter, 2025" in page
    table = page[page.index('<div class="visually-hidden"><table>') :]
    for label in ("Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025"):
        assert f'<th scope="row">{label}</th>' in table
    assert "yes, by 500" in table  # Q1 is over budget
    assert "▲ over by 500" in page
    assert 'style="' not in page


def test_the_list_downloads_its_campaigns_as_csv(client, portfolio, product, plan, marketer):
    CampaignFactory(product=product, launch_plan=plan, name="Plan mail", start_date=day(3), budget=D(10), spend=D(12))
    CampaignFactory(product=product, name="Other year", start_date=day(3, year=THIS_YEAR - 1))
    response = client.get(f"/portfolios/{portfolio.id}/campaigns/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"campaigns-{portfolio.id}-{THIS_YEAR}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "product", "launch plan", "name"]
    assert [(r[2], r[3], r[11]) for r in rows[1:]] == [("Spring launch", "Plan mail", "-2")]


def test_the_csv_link_keeps_the_filters(client, portfolio, product, marketer):
    CampaignFactory(product=product, start_date=day(3))
    page = text(client.get(f"/portfolios/{portfolio.id}/campaigns/?channel=email&page=1"))
    link = re.search(r'href="([^"]*format=csv[^"]*)"', page).group(1)
    assert "channel=email" in link and f"year={THIS_YEAR}" in link and "page=" not in link


def test_an_empty_portfolio_says_what_to_do(client, portfolio, product, marketer):
    page = text(client.get(f"/portfolios/{portfolio.id}/campaigns/"))
    assert "No campaigns yet" in page and "New campaign" in page


def test_a_viewer_sees_the_list_without_new_campaign(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/portfolios/{portfolio.id}/campaigns/"))
    assert "New campaign" not in page and "Read only" in page


def test_a_marketer_is_not_read_only_here(client, portfolio, product, marketer):
    assert "Read only" not in text(client.get(f"/portfolios/{portfolio.id}/campaigns/"))


def test_another_portfolios_list_is_a_404(client, portfolio, marketer):
    foreign = CampaignFactory(name="Secret push")
    response = client.get(f"/portfolios/{foreign.product.portfolio_id}/campaigns/")
    assert response.status_code == 404 and "Secret" not in text(response)


def _fill(product, plan, segment, owner, n):
    for i in range(n):
        CampaignFactory(
            product=product,
            launch_plan=plan if i % 2 else None,
            segment=segment,
            owner=owner,
            start_date=day(1 + i % 12),
            end_date=day(1 + i % 12, 20),
            spend=D(6000) if i % 3 == 0 else D(10),
        )


def test_list_page_queries_do_not_grow_with_the_data(client, portfolio, product, plan, marketer):
    segment = SegmentFactory(portfolio=portfolio)
    url = f"/portfolios/{portfolio.id}/campaigns/"
    client.get(url)  # what the first request of a session reads once
    counts = []
    for n in (5, 45):  # 1× and 10× the data (50 on the page)
        _fill(product, plan, segment, marketer, n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20, counts


def test_campaign_page_queries_do_not_grow_with_its_history(client, portfolio, product, plan, marketer):
    from gtm.services.campaigns import campaign_update

    campaign = CampaignFactory(product=product, launch_plan=plan, owner=marketer)
    client.get(f"/campaigns/{campaign.id}/")  # what the first request of a session reads once
    counts = []
    for n in (2, 20):
        for i in range(n):
            campaign_update(campaign_id=campaign.id, actor=marketer, spend=D(100 + len(counts) * 1000 + i))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/campaigns/{campaign.id}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- one campaign -----------------------------------------------------------------------------------


def test_the_campaign_page_shows_money_and_the_bar(client, portfolio, product, plan, marketer):
    campaign = CampaignFactory(product=product, launch_plan=plan, name="Webinars", budget=D("4000"), spend=D("1000"))
    page = text(client.get(f"/campaigns/{campaign.id}/"))
    assert "Webinars" in page and "Spring launch" in page
    assert '<progress max="4000.00" value="1000.00"' in page
    assert "25 % of budget spent" in page
    assert "3,000" in page  # remaining
    assert "over budget" not in page.lower().replace("spend over budget", "")


def test_overspend_is_flagged_on_the_campaign_page(client, portfolio, product, marketer):
    campaign = CampaignFactory(product=product, budget=D("1000"), spend=D("1250.50"))
    page = text(client.get(f"/campaigns/{campaign.id}/"))
    assert "▲ over budget" in page and "Over budget by" in page and "250.50" in page
    assert "Spend is above budget." in page
    assert "125 % of budget spent" in page


def test_a_campaign_without_budget_has_a_bar_too(client, portfolio, product, marketer):
    campaign = CampaignFactory(product=product, budget=D("0"), spend=D("20"))
    page = text(client.get(f"/campaigns/{campaign.id}/"))
    assert '<progress max="1" value="1"' in page and "spent without a budget" in page


def test_the_campaign_page_renders_the_panels_registered_for_campaigns(
    client, portfolio, product, marketer, settings, tmp_path
):
    # kpis registers the KPIs of a campaign into this slot (gtm cannot import kpis): a stand-in panel here.
    (tmp_path / "_test_panel.html").write_text('<section class="card test-panel">{{ panel.title }}</section>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(tmp_path)]}]
    campaign = CampaignFactory(product=product, name="Webinars")
    seen = []

    def context(obj, request):
        seen.append(obj.id)
        return {"title": f"KPIs of {obj.name}"}

    pages.register_fragment(PANELS, pages.Fragment(key="test-kpis", template="_test_panel.html", context=context))
    try:
        page = text(client.get(f"/campaigns/{campaign.id}/"))
    finally:
        pages._slots[PANELS] = [f for f in pages.fragments(PANELS) if f.key != "test-kpis"]
    assert seen == [campaign.id]
    assert '<section class="card test-panel">KPIs of Webinars</section>' in page


def test_the_campaign_page_shows_its_history(client, portfolio, product, marketer):
    from gtm.services.campaigns import campaign_create, campaign_update

    campaign = campaign_create(
        product=product, actor=marketer, name="Webinars", start_date=day(3), end_date=day(4), budget=D(100)
    )
    campaign_update(campaign_id=campaign.id, actor=marketer, spend=D("42"))
    page = text(client.get(f"/campaigns/{campaign.id}/"))
    history = page[page.index('class="history"') :]
    assert "0 → 42" in history


def test_another_portfolios_campaign_is_a_404(client, portfolio, marketer):
    foreign = CampaignFactory(name="Secret push")
    for url in (f"/campaigns/{foreign.id}/", f"/campaigns/{foreign.id}/edit/", f"/campaigns/{foreign.id}/delete/"):
        response = client.get(url)
        assert response.status_code == 404 and "Secret" not in text(response)
    before = written()
    assert client.post(f"/campaigns/{foreign.id}/spend/", {"spend": "1"}).status_code == 404
    assert client.post(f"/campaigns/{foreign.id}/delete/").status_code == 404
    assert written() == before


# --- record spend -------------------------------------------------------------------------------------


def test_record_spend_saves_the_number_and_says_where_it_stands(client, portfolio, product, marketer):
    campaign = CampaignFactory(product=product, budget=D("5000"), spend=D("0"))
    response = client.post(f"/campaigns/{campaign.id}/spend/", {"spend": "4,250.50"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.spend == D("4250.50")
    assert "Spend recorded: 4,250.50, 85 % of its budget of 5,000." in text(response)
    assert DomainEvent.objects.get(verb="campaign.updated").actor == marketer


def test_record_spend_above_budget_is_saved_and_flagged(client, portfolio, product, marketer):
    campaign = CampaignFactory(product=product, budget=D("1000"), spend=D("0"))
    response = client.post(f"/campaigns/{campaign.id}/spend/", {"spend": "1200"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.spend == D("1200")
    assert "200 over its budget of 1,000" in text(response)


@pytest.mark.parametrize(
    "value, message",
    [
        ("-5", "Zero or more."),
        ("10.005", "At most 2 decimal places."),
        ("NaN", "A finite number is required."),
        ("Infinity", "A finite number is required."),
        ("1e9999999", "Out of range"),
        ("99999999999999", "Out of range"),
        ("12\x00", "A number is required."),
        ("", "Type the total spend so far"),
    ],
)
def test_bad_spend_is_a_field_error_and_writes_nothing(client, portfolio, product, marketer, value, message):
    campaign = CampaignFactory(product=product, spend=D("7"))
    before = written()
    response = client.post(f"/campaigns/{campaign.id}/spend/", {"spend": value})
    assert response.status_code == 400
    assert message in text(response)
    assert written() == before


def test_record_spend_is_post_only(client, portfolio, product, marketer):
    campaign = CampaignFactory(product=product)
    assert client.get(f"/campaigns/{campaign.id}/spend/").status_code == 405


@pytest.mark.parametrize("role, status", [("admin", 302), ("product_manager", 302), ("marketer", 302), ("viewer", 403)])
def test_record_spend_by_role(client, portfolio, product, role, status):
    campaign = CampaignFactory(product=product, spend=D("1"))
    as_role(client, portfolio, role)
    assert client.post(f"/campaigns/{campaign.id}/spend/", {"spend": "2"}).status_code == status
    campaign.refresh_from_db()
    assert campaign.spend == (D("2") if status == 302 else D("1"))


def test_a_viewer_sees_no_spend_form(client, portfolio, product):
    campaign = CampaignFactory(product=product)
    as_role(client, portfolio, Role.VIEWER)
    page = text(client.get(f"/campaigns/{campaign.id}/"))
    assert "Record spend" not in page and "Edit" not in page.split("<main")[1].split("Budget and spend")[0]


# --- create, edit, delete -------------------------------------------------------------------------------


def test_create_from_a_launch_plan_preselects_it(client, portfolio, product, plan, marketer):
    page = text(client.get(f"/campaigns/new/?product={product.id}&launch_plan={plan.id}"))
    assert f'<option value="{plan.id}" selected>' in page
    assert f'value="{plan.launch_date:%Y-%m-%d}"' in page


def test_create_ignores_another_products_plan_in_the_query(client, portfolio, product, marketer):
    foreign_plan = LaunchPlanFactory(name="Secret launch")
    page = text(client.get(f"/campaigns/new/?product={product.id}&launch_plan={foreign_plan.id}"))
    assert "Secret" not in page


def test_create_saves_through_the_service(client, portfolio, product, plan, marketer):
    segment = SegmentFactory(portfolio=portfolio)
    body = {**FORM, "launch_plan": plan.id, "segment": segment.id, "owner": marketer.id}
    response = client.post(f"/campaigns/new/?product={product.id}", body)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.id}/"
    assert (campaign.budget, campaign.spend, campaign.launch_plan, campaign.owner) == (D("5000"), 0, plan, marketer)
    assert DomainEvent.objects.filter(verb="campaign.created").count() == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"end_date": f"{THIS_YEAR}-02-01"}, "On or after the start date."),
        ({"budget": "-1"}, "Zero or more."),
        ({"budget": "1.999"}, "At most 2 decimal places."),
        ({"spend": "NaN"}, "A finite number is required."),
        ({"start_date": "1899-12-31"}, "between the years 1900 and 2200"),
        ({"start_date": ""}, "Give the campaign a start date."),
        ({"name": ""}, "This field is required."),
        ({"name": "Spring\x00"}, "Null characters are not allowed."),
    ],
)
def test_create_refusals_are_field_errors_and_write_nothing(client, portfolio, product, marketer, overrides, message):
    before = written()
    response = client.post(f"/campaigns/new/?product={product.id}", {**FORM, **overrides})
    assert response.status_code == 400
    assert message in text(response)
    assert written() == before


def test_create_refuses_a_launch_plan_of_another_product(client, portfolio, product, marketer):
    other_plan = LaunchPlanFactory(product=ProductFactory(portfolio=portfolio))
    before = written()
    response = client.post(f"/campaigns/new/?product={product.id}", {**FORM, "launch_plan": other_plan.id})
    assert response.status_code == 400 and written() == before


def test_create_refuses_a_segment_of_another_portfolio(client, portfolio, product, marketer):
    foreign = SegmentFactory(name="Secret segment")
    before = written()
    response = client.post(f"/campaigns/new/?product={product.id}", {**FORM, "segment": foreign.id})
    assert response.status_code == 400 and written() == before
    assert "Secret" not in text(response)


def test_a_viewer_cannot_open_the_form(client, portfolio, product):
    as_role(client, portfolio, Role.VIEWER)
    assert client.get(f"/campaigns/new/?product={product.id}").status_code == 403
    assert client.post(f"/campaigns/new/?product={product.id}", FORM).status_code == 403
    assert Campaign.objects.count() == 0


def test_edit_shows_the_money_as_typed_and_saves(client, portfolio, product, marketer):
    campaign = CampaignFactory(product=product, budget=D("5000.00"), spend=D("1200.50"))
    page = text(client.get(f"/campaigns/{campaign.id}/edit/"))
    assert 'value="5000"' in page and 'value="1200.50"' in page
    body = {**FORM, "name": "Renamed", "budget": "6000", "spend": "1200.50"}
    assert client.post(f"/campaigns/{campaign.id}/edit/", body).status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.budget) == ("Renamed", D("6000"))


def test_delete_asks_then_deletes(client, portfolio, product, marketer):
    campaign = CampaignFactory(product=product, name="Webinars", spend=D("300"))
    page = text(client.get(f"/campaigns/{campaign.id}/delete/"))
    assert "Delete campaign Webinars?" in page and "300" in page
    response = client.post(f"/campaigns/{campaign.id}/delete/")
    assert response.status_code == 302 and f"/portfolios/{portfolio.id}/campaigns/" in response["Location"]
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("role, status", [("admin", 302), ("product_manager", 302), ("marketer", 302), ("viewer", 403)])
def test_delete_by_role(client, portfolio, product, role, status):
    campaign = CampaignFactory(product=product)
    as_role(client, portfolio, role)
    assert client.post(f"/campaigns/{campaign.id}/delete/").status_code == status
    assert Campaign.objects.filter(pk=campaign.pk).exists() == (status == 403)


def test_the_form_shows_the_dates_error_with_the_other_fields_errors(client, portfolio, product, marketer):
    body = {**FORM, "start_date": f"{THIS_YEAR}-05-10", "end_date": f"{THIS_YEAR}-05-01", "budget": "10.005"}
    page = text(client.post(f"/campaigns/new/?product={product.id}", body))
    assert "On or after the start date." in page and "At most 2 decimal places." in page
    assert not Campaign.objects.exists()


def test_a_new_campaign_is_owned_by_who_plans_it_unless_changed(client, portfolio, product, marketer):
    page = text(client.get(f"/campaigns/new/?product={product.id}"))
    assert f'<option value="{marketer.id}" selected>' in page
