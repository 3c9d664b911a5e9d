"""gtm.services.campaigns: create, update (recording spend), delete; every refusal on its field with nothing
written; links within the product and portfolio; the domain events."""

import datetime
from decimal import Decimal

import pytest

from gtm.models import Campaign
from gtm.services.campaigns import campaign_create, campaign_delete, campaign_update
from pmflow.errors import InvalidInput, NotFound
from products.models import DomainEvent, Role
from tests.factories import (
    CampaignFactory,
    LaunchPlanFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(), name="Nebula")


def fields(**overrides) -> dict:
    base = {
        "name": "Spring webinars",
        "channel": "events",
        "start_date": datetime.date(2026, 3, 1),
        "end_date": datetime.date(2026, 3, 31),
        "budget": D("5000"),
        "spend": D("0"),
    }
    return {**base, **overrides}


def refused(call, **kwargs) -> dict:
    before = (Campaign.objects.count(), DomainEvent.objects.count())
    with pytest.raises(InvalidInput) as caught:
        call(**kwargs)
    assert (Campaign.objects.count(), DomainEvent.objects.count()) == before
    return caught.value.fields


# --- create -------------------------------------------------------------------------------------------


def test_create_records_the_campaign_and_its_event(product):
    actor = member(product.portfolio, Role.MARKETER)
    campaign = campaign_create(product=product, actor=actor, **fields(owner=actor))
    event = DomainEvent.objects.get(verb="campaign.created")
    assert (event.object_id, event.actor, event.portfolio_id) == (campaign.id, actor, product.portfolio_id)
    assert event.changes["budget"] == [None, "5000"]
    assert campaign.status == "planned" and campaign.owner == actor


def test_create_without_money_is_zero_budget_and_spend(product):
    data = fields()
    del data["budget"], data["spend"]
    campaign = campaign_create(product=product, **data)
    assert (campaign.budget, campaign.spend) == (0, 0)


def test_an_end_before_the_start_is_refused_on_end_date(product):
    errors = refused(
        campaign_create,
        product=product,
        **fields(start_date=datetime.date(2026, 3, 10), end_date=datetime.date(2026, 3, 9)),
    )
    assert errors == {"end_date": "On or after the start date."}


def test_a_one_day_campaign_ends_on_its_start(product):
    day = datetime.date(2026, 3, 10)
    assert campaign_create(product=product, **fields(start_date=day, end_date=day)).end_date == day


@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_a_missing_date_is_refused_on_its_field(product, name):
    assert name in refused(campaign_create, product=product, **fields(**{name: None}))


@pytest.mark.parametrize("day", [datetime.date(1899, 12, 31), datetime.date(2201, 1, 1), datetime.date(1, 1, 1)])
def test_dates_outside_1900_to_2200_are_refused(product, day):
    errors = refused(campaign_create, product=product, **fields(start_date=day, end_date=datetime.date(2026, 1, 1)))
    assert "between the years 1900 and 2200" in errors["start_date"]


@pytest.mark.parametrize("name", ["budget", "spend"])
@pytest.mark.parametrize(
    "value, message",
    [
        (D("-0.01"), "Zero or more."),
        (D("10.005"), "At most two decimal places."),
        (D("1000000000000"), "At most 999,999,999,999.99."),
        ("NaN", "An amount."),
        ("Infinity", "An amount."),
        ("-Infinity", "An amount."),
        ("12\x00", "An amount."),
        (True, "An amount."),
    ],
)
def test_bad_money_is_refused_on_its_field(product, name, value, message):
    assert refused(campaign_create, product=product, **fields(**{name: value})) == {name: message}


def test_spend_above_budget_is_allowed(product):
    campaign = campaign_create(product=product, **fields(budget=D("100"), spend=D("250.50")))
    assert campaign.spend > campaign.budget


def test_a_nul_character_in_the_name_is_refused(product):
    assert (
        refused(campaign_create, product=product, **fields(name="Spring\x00"))["name"] == "Text without NUL characters."
    )


def test_every_bad_field_is_reported_at_once(product):
    errors = refused(
        campaign_create,
        product=product,
        **fields(name="", channel="radio", budget=D("-1"), end_date=datetime.date(2026, 2, 1)),
    )
    assert set(errors) == {"name", "channel", "budget", "end_date"}


def test_a_launch_plan_of_another_product_is_refused(product):
    other = ProductFactory(portfolio=product.portfolio)
    plan = LaunchPlanFactory(product=other)
    assert refused(campaign_create, product=product, **fields(launch_plan=plan)) == {
        "launch_plan": "Choose a launch plan of the same product."
    }


def test_a_segment_of_another_portfolio_is_refused(product):
    segment = SegmentFactory()  # another portfolio's
    assert refused(campaign_create, product=product, **fields(segment=segment)) == {
        "segment": "Choose a segment of this portfolio."
    }


def test_an_owner_who_is_not_a_member_is_refused(product):
    stranger = UserFactory(username="stranger")
    assert refused(campaign_create, product=product, **fields(owner=stranger)) == {
        "owner": "stranger is not a member of this portfolio."
    }


def test_unknown_fields_are_a_programming_error(product):
    with pytest.raises(TypeError):
        campaign_create(product=product, **fields(product_id=3))


# --- update -------------------------------------------------------------------------------------------


def test_recording_spend_changes_only_spend_and_records_it(product):
    campaign = CampaignFactory(product=product, budget=D("5000"), spend=D("1200"))
    campaign_update(campaign_id=campaign.id, spend=D("4250.75"))
    campaign.refresh_from_db()
    assert campaign.spend == D("4250.75")
    event = DomainEvent.objects.get(verb="campaign.updated")
    assert event.changes == {"spend": ["1200", "4250.75"]}
    assert event.data["over_budget"] is False


def test_an_update_that_changes_nothing_records_nothing(product):
    campaign = CampaignFactory(product=product, spend=D("1200"))
    campaign_update(campaign_id=campaign.id, spend=D("1200.00"))
    assert not DomainEvent.objects.filter(verb="campaign.updated").exists()


def test_moving_the_start_after_the_stored_end_is_refused(product):
    campaign = CampaignFactory(
        product=product, start_date=datetime.date(2026, 3, 1), end_date=datetime.date(2026, 3, 31)
    )
    errors = refused(campaign_update, campaign_id=campaign.id, start_date=datetime.date(2026, 4, 1))
    assert errors == {"end_date": "On or after the start date."}
    campaign.refresh_from_db()
    assert campaign.start_date == datetime.date(2026, 3, 1)


def test_a_negative_spend_update_writes_nothing(product):
    campaign = CampaignFactory(product=product, spend=D("1200"))
    assert refused(campaign_update, campaign_id=campaign.id, spend=D("-5")) == {"spend": "Zero or more."}
    campaign.refresh_from_db()
    assert campaign.spend == D("1200")


def test_update_of_a_missing_campaign_is_not_found():
    with pytest.raises(NotFound):
        campaign_update(campaign_id=987654, spend=D("1"))


def test_update_refuses_a_launch_plan_of_another_portfolio(product):
    campaign = CampaignFactory(product=product)
    plan = LaunchPlanFactory()  # another portfolio's product
    assert "launch_plan" in refused(campaign_update, campaign_id=campaign.id, launch_plan=plan)


# --- delete -------------------------------------------------------------------------------------------


def test_delete_removes_it_and_records_the_event(product):
    campaign = CampaignFactory(product=product, name="Old push", spend=D("300"))
    assert campaign_delete(campaign_id=campaign.id) == "Old push"
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    event = DomainEvent.objects.get(verb="campaign.deleted")
    assert (event.object_id, event.data["spend"]) == (campaign.id, "300.00")


def test_deleting_a_missing_campaign_is_not_found():
    with pytest.raises(NotFound):
        campaign_delete(campaign_id=987654)
