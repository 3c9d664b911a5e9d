"""KPIs of launch plans and campaigns: the `launch_plan` and `campaign` fields (same product, the campaign of
the KPI's plan), who writes them and their measurements (a marketer: a launch's or a campaign's KPI, never a
product's own), and the marketing figures (cost per lead, ROI, conversion) the panels show."""

import datetime
from decimal import Decimal

import pytest

from kpis import rights
from kpis.launch_figures import cost_per_lead, key_role, overall_values, return_on_investment
from kpis.models import KPI, Import, Measurement
from kpis.services import kpi_save, measurements_ingest
from pmflow.errors import InvalidInput
from products.models import DomainEvent, Role
from tests.factories import (
    CampaignFactory,
    KPIFactory,
    LaunchPlanFactory,
    MeasurementFactory,
    PortfolioFactory,
    ProductFactory,
    member,
)

pytestmark = pytest.mark.django_db

WRITERS = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER]


@pytest.fixture
def launch():
    """A product with a launch plan and one of its campaigns, another plan with its campaign, and a KPI
    of each kind: the product's own, the plan's, the campaign's."""
    portfolio = PortfolioFactory(name="Zephyr", timezone="Europe/Berlin")
    product = ProductFactory(portfolio=portfolio, name="Nebula")
    plan = LaunchPlanFactory(product=product, name="Nova launch", launch_date=datetime.date(2026, 3, 12))
    campaign = CampaignFactory(product=product, launch_plan=plan, name="Eclipse", budget=5000, spend=1200)
    other_plan = LaunchPlanFactory(product=product, name="Later launch")
    other_campaign = CampaignFactory(product=product, launch_plan=other_plan, name="Later campaign")
    loose_campaign = CampaignFactory(product=product, launch_plan=None, name="Always-on")
    product_kpi = KPIFactory(product=product, key="revenue", name="Revenue", unit="EUR")
    plan_kpi = KPIFactory(product=product, key="launch_signups", name="Sign-ups from the launch", launch_plan=plan)
    campaign_kpi = KPIFactory(product=product, key="leads", name="Eclipse leads", launch_plan=plan, campaign=campaign)
    return type(
        "Launch",
        (),
        {
            "portfolio": portfolio,
            "product": product,
            "plan": plan,
            "campaign": campaign,
            "other_plan": other_plan,
            "other_campaign": other_campaign,
            "loose_campaign": loose_campaign,
            "product_kpi": product_kpi,
            "plan_kpi": plan_kpi,
            "campaign_kpi": campaign_kpi,
        },
    )


def _as(api_client, launch, role):
    user = member(launch.portfolio, role)
    api_client.force_authenticate(user)
    return user


def _unchanged():
    return DomainEvent.objects.count(), Measurement.objects.count(), KPI.objects.count()


# --- the fields on the API --------------------------------------------------------------------------


def test_a_kpi_reads_with_its_launch_plan_and_campaign(api_client, launch):
    _as(api_client, launch, Role.VIEWER)
    body = api_client.get(f"/api/v1/kpis/{launch.campaign_kpi.id}/").json()
    assert (body["launch_plan"], body["campaign"]) == (launch.plan.id, launch.campaign.id)
    assert api_client.get(f"/api/v1/kpis/{launch.product_kpi.id}/").json()["launch_plan"] is None


def test_the_list_filters_by_launch_plan(api_client, launch):
    _as(api_client, launch, Role.VIEWER)
    ids = {row["id"] for row in api_client.get(f"/api/v1/kpis/?launch_plan={launch.plan.id}").json()["results"]}
    assert ids == {launch.plan_kpi.id, launch.campaign_kpi.id}


def test_the_list_filters_by_campaign(api_client, launch):
    _as(api_client, launch, Role.VIEWER)
    ids = {row["id"] for row in api_client.get(f"/api/v1/kpis/?campaign={launch.campaign.id}").json()["results"]}
    assert ids == {launch.campaign_kpi.id}


def test_a_filter_by_another_portfolios_plan_is_an_empty_page(api_client, launch):
    foreign = LaunchPlanFactory()
    KPIFactory(product=foreign.product, launch_plan=foreign)
    _as(api_client, launch, Role.ADMIN)
    assert api_client.get(f"/api/v1/kpis/?launch_plan={foreign.id}").json()["count"] == 0


@pytest.mark.parametrize("role", WRITERS)
def test_a_writer_creates_a_kpi_of_a_campaign_of_the_plan(api_client, launch, role):
    _as(api_client, launch, role)
    body = {"product": launch.product.id, "key": "conversion_rate", "name": "Conversion", "unit": "%"}
    response = api_client.post(
        "/api/v1/kpis/", {**body, "launch_plan": launch.plan.id, "campaign": launch.campaign.id}, format="json"
    )
    assert response.status_code == 201, response.json()
    kpi = KPI.objects.get(pk=response.json()["id"])
    assert (kpi.launch_plan_id, kpi.campaign_id) == (launch.plan.id, launch.campaign.id)


def test_a_kpi_of_a_campaign_alone_needs_no_plan(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    body = {
        "product": launch.product.id,
        "key": "always_on_leads",
        "name": "Leads",
        "campaign": launch.loose_campaign.id,
    }
    assert api_client.post("/api/v1/kpis/", body, format="json").status_code == 201


def test_creating_the_kpi_records_its_plan_and_campaign_in_the_event(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    body = {"product": launch.product.id, "key": "trials", "name": "Trials", "launch_plan": launch.plan.id}
    kpi_id = api_client.post("/api/v1/kpis/", body, format="json").json()["id"]
    api_client.patch(f"/api/v1/kpis/{kpi_id}/", {"campaign": launch.campaign.id}, format="json")
    event = DomainEvent.objects.filter(verb="kpi.updated", object_id=kpi_id).get()
    assert event.changes == {"campaign": [None, launch.campaign.id]}


# --- same product, same plan: 400 on the field, nothing written ------------------------------------


def _refused_on(response, field: str) -> list[str]:
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    return response.json()[field]


def test_a_launch_plan_of_another_product_is_a_400_on_the_field(api_client, launch):
    elsewhere = LaunchPlanFactory(product=ProductFactory(portfolio=launch.portfolio))
    _as(api_client, launch, Role.PRODUCT_MANAGER)
    before = _unchanged()
    body = {"product": launch.product.id, "key": "x", "name": "X", "launch_plan": elsewhere.id}
    assert _refused_on(api_client.post("/api/v1/kpis/", body, format="json"), "launch_plan") == [
        "Not a launch plan of this KPI's product."
    ]
    assert _unchanged() == before


def test_a_campaign_of_another_product_is_a_400_on_the_field(api_client, launch):
    elsewhere = CampaignFactory(product=ProductFactory(portfolio=launch.portfolio))
    _as(api_client, launch, Role.MARKETER)
    body = {"product": launch.product.id, "key": "x", "name": "X", "campaign": elsewhere.id}
    _refused_on(api_client.post("/api/v1/kpis/", body, format="json"), "campaign")
    assert not KPI.objects.filter(key="x").exists()


def test_another_portfolios_launch_plan_is_a_400_that_does_not_name_it(api_client, launch):
    foreign = LaunchPlanFactory(name="Secret launch")
    _as(api_client, launch, Role.PRODUCT_MANAGER)
    body = {"product": launch.product.id, "key": "x", "name": "X", "launch_plan": foreign.id}
    response = api_client.post("/api/v1/kpis/", body, format="json")
    _refused_on(response, "launch_plan")
    assert "Secret launch" not in response.content.decode()


def test_another_portfolios_campaign_is_a_400_on_the_field(api_client, launch):
    foreign = CampaignFactory(name="Secret campaign")
    _as(api_client, launch, Role.MARKETER)
    body = {
        "product": launch.product.id,
        "key": "x",
        "name": "X",
        "campaign": foreign.id,
        "launch_plan": launch.plan.id,
    }
    response = api_client.post("/api/v1/kpis/", body, format="json")
    _refused_on(response, "campaign")
    assert "Secret campaign" not in response.content.decode()


def test_a_campaign_of_another_plan_than_the_kpis_is_a_400_on_campaign(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    body = {
        "product": launch.product.id,
        "key": "x",
        "name": "X",
        "launch_plan": launch.plan.id,
        "campaign": launch.other_campaign.id,
    }
    message = _refused_on(api_client.post("/api/v1/kpis/", body, format="json"), "campaign")
    assert "another launch plan" in message[0]


def test_a_campaign_of_no_plan_on_a_plans_kpi_is_a_400_on_campaign(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    response = api_client.patch(
        f"/api/v1/kpis/{launch.plan_kpi.id}/", {"campaign": launch.loose_campaign.id}, format="json"
    )
    _refused_on(response, "campaign")
    launch.plan_kpi.refresh_from_db()
    assert launch.plan_kpi.campaign_id is None


def test_moving_a_campaigns_kpi_to_another_plan_is_a_400_on_campaign(api_client, launch):
    _as(api_client, launch, Role.PRODUCT_MANAGER)
    response = api_client.patch(
        f"/api/v1/kpis/{launch.campaign_kpi.id}/", {"launch_plan": launch.other_plan.id}, format="json"
    )
    _refused_on(response, "campaign")
    launch.campaign_kpi.refresh_from_db()
    assert launch.campaign_kpi.launch_plan_id == launch.plan.id


def test_the_service_refuses_a_plan_of_another_product(launch):
    elsewhere = LaunchPlanFactory(product=ProductFactory(portfolio=launch.portfolio))
    with pytest.raises(InvalidInput) as refused:
        kpi_save(kpi=launch.plan_kpi, launch_plan=elsewhere)
    assert set(refused.value.fields) == {"launch_plan"}
    launch.plan_kpi.refresh_from_db()
    assert launch.plan_kpi.launch_plan_id == launch.plan.id


# --- a marketer's rights on the API -----------------------------------------------------------------


def test_a_marketer_creates_a_launch_plans_kpi(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    body = {"product": launch.product.id, "key": "trials", "name": "Trials", "launch_plan": launch.plan.id}
    assert api_client.post("/api/v1/kpis/", body, format="json").status_code == 201


def test_a_marketer_may_not_create_a_products_own_kpi(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    before = _unchanged()
    response = api_client.post(
        "/api/v1/kpis/", {"product": launch.product.id, "key": "trials", "name": "Trials"}, format="json"
    )
    assert response.status_code == 403
    assert "launch plan or a campaign" in response.json()["detail"]
    assert _unchanged() == before


def test_a_marketers_refused_create_is_decided_before_the_body_is_read(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    response = api_client.post("/api/v1/kpis/", {"product": launch.product.id, "key": "not a slug!"}, format="json")
    assert response.status_code == 403  # not a 400 on key: the role is checked first


def test_a_viewer_may_not_create_a_launch_plans_kpi(api_client, launch):
    _as(api_client, launch, Role.VIEWER)
    body = {"product": launch.product.id, "key": "trials", "name": "Trials", "launch_plan": launch.plan.id}
    assert api_client.post("/api/v1/kpis/", body, format="json").status_code == 403
    assert not KPI.objects.filter(key="trials").exists()


def test_a_marketer_edits_a_launch_plans_kpi(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    response = api_client.patch(f"/api/v1/kpis/{launch.plan_kpi.id}/", {"unit": "trials"}, format="json")
    assert response.status_code == 200
    launch.plan_kpi.refresh_from_db()
    assert launch.plan_kpi.unit == "trials"


def test_a_marketer_may_not_turn_a_plans_kpi_into_a_products_own(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    before = _unchanged()
    response = api_client.patch(f"/api/v1/kpis/{launch.plan_kpi.id}/", {"launch_plan": None}, format="json")
    assert response.status_code == 403
    launch.plan_kpi.refresh_from_db()
    assert launch.plan_kpi.launch_plan_id == launch.plan.id
    assert _unchanged() == before


def test_a_marketer_may_take_a_campaigns_kpi_off_its_plan_while_it_keeps_the_campaign(api_client, launch):
    # Still a campaign's KPI: theirs to write.
    _as(api_client, launch, Role.MARKETER)
    response = api_client.patch(f"/api/v1/kpis/{launch.campaign_kpi.id}/", {"launch_plan": None}, format="json")
    assert response.status_code == 200, response.json()


def test_a_product_manager_may_turn_a_plans_kpi_into_a_products_own(api_client, launch):
    _as(api_client, launch, Role.PRODUCT_MANAGER)
    assert (
        api_client.patch(f"/api/v1/kpis/{launch.plan_kpi.id}/", {"launch_plan": None}, format="json").status_code == 200
    )


def test_a_marketer_may_not_edit_a_products_own_kpi(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    response = api_client.patch(
        f"/api/v1/kpis/{launch.product_kpi.id}/", {"launch_plan": launch.plan.id}, format="json"
    )
    assert response.status_code == 403
    launch.product_kpi.refresh_from_db()
    assert launch.product_kpi.launch_plan_id is None


def test_a_marketer_may_not_make_a_plans_kpi_the_products_headline(api_client, launch):
    launch.product_kpi.headline = True
    launch.product_kpi.save()
    _as(api_client, launch, Role.MARKETER)
    response = api_client.patch(f"/api/v1/kpis/{launch.plan_kpi.id}/", {"headline": True}, format="json")
    assert response.status_code == 403
    assert KPI.objects.get(headline=True).id == launch.product_kpi.id


def test_a_marketer_deletes_a_campaigns_kpi(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    assert api_client.delete(f"/api/v1/kpis/{launch.campaign_kpi.id}/").status_code == 204
    assert not KPI.objects.filter(pk=launch.campaign_kpi.id).exists()


def test_a_marketer_may_not_delete_a_products_own_kpi(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    assert api_client.delete(f"/api/v1/kpis/{launch.product_kpi.id}/").status_code == 403
    assert KPI.objects.filter(pk=launch.product_kpi.id).exists()


def test_a_marketer_of_another_portfolio_gets_404_for_a_plans_kpi(api_client, launch):
    api_client.force_authenticate(member(PortfolioFactory(), Role.MARKETER))
    assert api_client.patch(f"/api/v1/kpis/{launch.plan_kpi.id}/", {"unit": "x"}, format="json").status_code == 404


# --- a marketer's measurements ----------------------------------------------------------------------


def test_a_marketer_adds_measurements_to_a_plans_kpi(api_client, launch, django_capture_on_commit_callbacks):
    _as(api_client, launch, Role.MARKETER)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/kpis/{launch.plan_kpi.id}/measurements/",
            [{"observed_at": "2026-03-02", "value": 3}],
            format="json",
        )
    assert response.status_code == 201
    assert launch.plan_kpi.measurements.count() == 1


def test_a_marketer_may_not_add_measurements_to_a_products_own_kpi(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    before = _unchanged()
    response = api_client.post(
        f"/api/v1/kpis/{launch.product_kpi.id}/measurements/",
        [{"observed_at": "2026-03-02", "value": 3}],
        format="json",
    )
    assert response.status_code == 403
    assert _unchanged() == before


def test_a_viewer_may_not_add_measurements_to_a_plans_kpi(api_client, launch):
    _as(api_client, launch, Role.VIEWER)
    response = api_client.post(
        f"/api/v1/kpis/{launch.plan_kpi.id}/measurements/", {"observed_at": "2026-03-02", "value": 3}, format="json"
    )
    assert response.status_code == 403


def test_a_marketers_batch_of_launch_kpis_is_written(api_client, launch, django_capture_on_commit_callbacks):
    _as(api_client, launch, Role.MARKETER)
    body = [
        {"kpi": launch.plan_kpi.id, "observed_at": "2026-03-02", "value": 3},
        {"product": launch.product.id, "key": "leads", "observed_at": "2026-03-02", "value": 9},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 2, "updated": 0}


def test_a_marketers_batch_naming_a_products_own_kpi_is_refused_whole(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    before = _unchanged()
    body = [
        {"kpi": launch.plan_kpi.id, "observed_at": "2026-03-02", "value": 3},
        {"kpi": launch.product_kpi.id, "observed_at": "2026-03-02", "value": 5},
    ]
    response = api_client.post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 403
    assert str(launch.product_kpi.id) in response.json()["detail"]
    assert _unchanged() == before


def test_a_marketers_batch_naming_a_products_kpi_by_key_is_refused(api_client, launch):
    _as(api_client, launch, Role.MARKETER)
    body = [{"product": launch.product.id, "key": "revenue", "observed_at": "2026-03-02", "value": 5}]
    assert api_client.post("/api/v1/measurements/", body, format="json").status_code == 403
    assert Measurement.objects.count() == 0


def test_a_viewers_batch_is_refused_before_its_body_is_read(api_client, launch):
    _as(api_client, launch, Role.VIEWER)
    assert api_client.post("/api/v1/measurements/", [{"kpi": "junk"}], format="json").status_code == 403


def test_a_marketer_imports_a_campaigns_kpi_file(api_client, launch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _as(api_client, launch, Role.MARKETER)
    upload = SimpleUploadedFile("leads.csv", b"observed_at,value\n2026-03-02,3\n", "text/csv")
    response = api_client.post(f"/api/v1/kpis/{launch.campaign_kpi.id}/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202
    assert Import.objects.filter(kpi=launch.campaign_kpi).exists()


def test_a_marketer_may_not_import_into_a_products_own_kpi(api_client, launch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _as(api_client, launch, Role.MARKETER)
    upload = SimpleUploadedFile("revenue.csv", b"observed_at,value\n2026-03-02,3\n", "text/csv")
    response = api_client.post(f"/api/v1/kpis/{launch.product_kpi.id}/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 403
    assert not Import.objects.exists()


# --- the pages --------------------------------------------------------------------------------------


def test_a_marketer_opens_the_new_kpi_form_for_a_plan(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    response = client.get(f"/kpis/new/?product={launch.product.id}&launch_plan={launch.plan.id}")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{launch.plan.id}" selected>' in page
    assert 'name="headline"' not in page  # the product's headline is not a marketer's to pick
    assert "Read only" not in page


def test_a_marketer_may_not_open_the_form_of_a_products_own_kpi(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    assert client.get(f"/kpis/new/?product={launch.product.id}").status_code == 403


def test_a_marketer_creates_a_campaigns_kpi_on_the_page(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    form = {
        "name": "Eclipse revenue",
        "key": "eclipse_revenue",
        "unit": "EUR",
        "direction": "higher_is_better",
        "aggregation": "sum",
        "target_granularity": "month",
        "tolerance_pct": "10",
        "launch_plan": launch.plan.id,
        "campaign": launch.campaign.id,
    }
    url = f"/kpis/new/?product={launch.product.id}&launch_plan={launch.plan.id}&campaign={launch.campaign.id}"
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    kpi = KPI.objects.get(key="eclipse_revenue")
    assert (kpi.launch_plan_id, kpi.campaign_id) == (launch.plan.id, launch.campaign.id)


def test_a_marketers_form_without_plan_or_campaign_is_a_field_error(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    form = {
        "name": "Trials",
        "key": "trials",
        "direction": "higher_is_better",
        "aggregation": "sum",
        "target_granularity": "month",
        "tolerance_pct": "10",
    }
    response = client.post(f"/kpis/new/?product={launch.product.id}&launch_plan={launch.plan.id}", form)
    assert response.status_code == 400
    assert "Pick a launch plan or a campaign" in response.content.decode()
    assert not KPI.objects.filter(key="trials").exists()


def test_the_form_offers_only_the_products_plans(client, launch):
    elsewhere = LaunchPlanFactory(product=ProductFactory(portfolio=launch.portfolio), name="Other product's launch")
    client.force_login(member(launch.portfolio, Role.PRODUCT_MANAGER))
    page = client.get(f"/kpis/new/?product={launch.product.id}").content.decode()
    assert "Nova launch" in page and "Other product&#x27;s launch" not in page and elsewhere.name not in page


def test_a_marketer_edits_a_plans_kpi_on_the_page(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    assert client.get(f"/kpis/{launch.plan_kpi.id}/edit/").status_code == 200


def test_a_marketer_may_not_edit_a_products_own_kpi_on_the_page(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    assert client.get(f"/kpis/{launch.product_kpi.id}/edit/").status_code == 403


def test_a_marketer_adds_a_value_to_a_campaigns_kpi_on_its_page(client, launch, django_capture_on_commit_callbacks):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/kpis/{launch.campaign_kpi.id}/measurements/",
            {"action": "single", "observed_at": "2026-03-02", "value": "12"},
        )
    assert response.status_code == 302
    assert launch.campaign_kpi.measurements.get().value == 12


def test_a_marketer_may_not_add_a_value_to_a_products_own_kpi_on_its_page(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    response = client.post(
        f"/kpis/{launch.product_kpi.id}/measurements/", {"action": "single", "observed_at": "2026-03-02", "value": "1"}
    )
    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_a_marketer_corrects_a_campaign_kpis_value(client, launch):
    measurement = MeasurementFactory(kpi=launch.campaign_kpi, value=5)
    client.force_login(member(launch.portfolio, Role.MARKETER))
    response = client.post(
        f"/measurements/{measurement.id}/correct/",
        {f"m{measurement.id}-observed_at": "2026-03-03", f"m{measurement.id}-value": "7"},
    )
    assert response.status_code == 302
    measurement.refresh_from_db()
    assert measurement.value == 7


def test_a_marketer_may_not_delete_a_products_own_kpis_value(client, launch):
    measurement = MeasurementFactory(kpi=launch.product_kpi, value=5)
    client.force_login(member(launch.portfolio, Role.MARKETER))
    assert client.post(f"/measurements/{measurement.id}/delete/").status_code == 403
    assert Measurement.objects.filter(pk=measurement.id).exists()


def test_the_measurements_page_lets_a_marketer_write_a_campaigns_kpi(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    page = client.get(f"/kpis/{launch.campaign_kpi.id}/measurements/").content.decode()
    assert 'name="action" value="single"' in page and "Read only" not in page


# --- the access layer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, action",
    [
        ({}, "write"),
        ({"launch_plan": None, "campaign": None}, "write"),
        ({"launch_plan": 3}, "write_gtm"),
        ({"campaign": "7"}, "write_gtm"),
        ({"campaign_id": 7}, "write_gtm"),
        ({"launch_plan": ""}, "write"),
    ],
)
def test_the_write_action_follows_the_fields(fields, action):
    assert rights.kpi_write_action(fields) == action


def test_the_measure_action_follows_the_kpi(launch):
    assert rights.kpi_measure_action(launch.product_kpi) == "measure"
    assert rights.kpi_measure_action(launch.campaign_kpi) == "measure_gtm"


# --- the marketing figures --------------------------------------------------------------------------


def test_cost_per_lead_is_spend_over_leads():
    assert cost_per_lead(spend=Decimal(1200), leads=Decimal(48)).value == Decimal(25)


def test_cost_per_lead_with_no_leads_says_so():
    figure = cost_per_lead(spend=Decimal(1200), leads=Decimal(0))
    assert (figure.value, figure.note) == (None, "no leads")


def test_cost_per_lead_without_leads_data_is_no_data():
    assert cost_per_lead(spend=Decimal(1200), leads=None).note == "no data"


def test_cost_per_lead_with_nothing_spent_is_zero():
    assert cost_per_lead(spend=Decimal(0), leads=Decimal(10)).value == 0


def test_roi_is_revenue_less_spend_over_spend():
    assert return_on_investment(revenue=Decimal(3000), spend=Decimal(1200)).value == Decimal("1.5")


def test_roi_of_a_loss_is_negative():
    assert return_on_investment(revenue=Decimal(600), spend=Decimal(1200)).value == Decimal("-0.5")


def test_roi_with_nothing_spent_is_undefined():
    figure = return_on_investment(revenue=Decimal(3000), spend=Decimal(0))
    assert (figure.value, figure.note) == (None, "no spend")


def test_roi_without_revenue_data_is_no_data():
    assert return_on_investment(revenue=None, spend=Decimal(1200)).note == "no data"


@pytest.mark.parametrize(
    "key, role",
    [
        ("leads", "leads"),
        ("eclipse_leads", "leads"),
        ("leads_eclipse", "leads"),
        ("revenue", "revenue"),
        ("attributed_revenue", "revenue"),
        ("conversion_rate", "conversion"),
        ("spring_conversion_rate", "conversion"),
        ("mql", None),
        ("leadsy", None),
    ],
)
def test_a_campaign_kpis_key_gives_its_role(key, role):
    assert key_role(key) == role


@pytest.mark.parametrize(
    "aggregation, expected",
    [("sum", Decimal(60)), ("avg", Decimal(20)), ("last", Decimal(30)), ("min", Decimal(10)), ("max", Decimal(30))],
)
def test_a_kpis_overall_value_follows_its_aggregation_across_years(
    launch, aggregation, expected, django_capture_on_commit_callbacks
):
    kpi = KPIFactory(product=launch.product, aggregation=aggregation)
    items = [
        {"observed_at": "2025-12-30", "value": 10},
        {"observed_at": "2026-01-05", "value": 20},
        {"observed_at": "2026-02-10", "value": 30},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)
    assert overall_values([kpi]) == {kpi.id: expected}


def test_a_kpi_without_measurements_has_no_overall_value(launch):
    assert overall_values([launch.plan_kpi]) == {launch.plan_kpi.id: None}


def test_a_campaigns_kpi_page_offers_a_marketer_its_edit_and_values(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    page = client.get(f"/kpis/{launch.campaign_kpi.id}/").content.decode()
    assert "Edit KPI" in page and "Add or correct values" in page and "Read only" not in page


def test_a_products_own_kpi_page_is_read_only_for_a_marketer(client, launch):
    client.force_login(member(launch.portfolio, Role.MARKETER))
    page = client.get(f"/kpis/{launch.product_kpi.id}/").content.decode()
    assert "Edit KPI" not in page and "Read only" in page


def test_product_page_charts_only_the_products_own_kpis(client):
    from tests.factories import CampaignFactory, KPIFactory, MembershipFactory, UserFactory

    campaign = CampaignFactory()
    product = campaign.product
    KPIFactory(product=product, key="revenue", name="Own revenue")
    KPIFactory(product=product, key="email_leads", name="Campaign leads", campaign=campaign)
    user = UserFactory()
    MembershipFactory(portfolio=product.portfolio, user=user, role="viewer")
    client.force_login(user)
    page = client.get(f"/products/{product.id}/").content.decode()
    assert "Own revenue" in page
    assert "Campaign leads" not in page
    assert "1 more KPI measures this product's launches and campaigns" in page


def test_dashboard_card_headline_is_never_a_campaign_kpi():
    from kpis.panels import headline_cards
    from tests.factories import CampaignFactory, KPIFactory

    campaign = CampaignFactory()
    KPIFactory(product=campaign.product, key="a_leads", name="Alpha leads", campaign=campaign)
    assert headline_cards([campaign.product]) == {}
