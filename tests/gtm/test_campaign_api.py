"""`/api/v1/campaigns/` (API-CONTRACT.md "Go-to-market"): the contract's fields, filters, ordering, search,
CSV, budget vs spend, 400s that write nothing (dates, money, cross-portfolio links), roles, another
portfolio's campaigns, conditional writes, and a list whose query count does not grow with the data."""

import csv
import datetime
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gtm.models import Campaign
from products.models import DomainEvent, Role
from tests.factories import (
    CampaignFactory,
    LaunchPlanFactory,
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns/"
BUDGET = "/api/v1/campaigns/budget/"
D = Decimal
CONTRACT_FIELDS = {
    "id", "product", "launch_plan", "name", "channel", "segment", "start_date", "end_date", "budget", "spend",
    "status",
}  # fmt: skip


class Setup:
    """A portfolio with a product, its launch plan and segment, a marketer signed in."""

    def __init__(self, client):
        self.portfolio = PortfolioFactory()
        self.product = ProductFactory(portfolio=self.portfolio, name="Nebula")
        self.plan = LaunchPlanFactory(product=self.product, name="Spring launch")
        self.segment = SegmentFactory(portfolio=self.portfolio, name="SMB")
        self.marketer = member(self.portfolio, Role.MARKETER)
        self.client = client
        client.force_authenticate(self.marketer)

    def body(self, **overrides):
        base = {
            "product": self.product.id,
            "launch_plan": self.plan.id,
            "name": "Webinars",
            "channel": "events",
            "segment": self.segment.id,
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "budget": 5000,
            "spend": 0,
        }
        return {**base, **overrides}

    def as_role(self, role):
        self.client.force_authenticate(member(self.portfolio, role))
        return self.client


@pytest.fixture
def setup(api_client):
    return Setup(api_client)


def written():
    return Campaign.objects.count(), DomainEvent.objects.count(), list(Campaign.objects.values_list("spend", "budget"))


def post(client, body):
    return client.post(URL, body, format="json")


def patch(client, pk, body, **headers):
    return client.patch(f"{URL}{pk}/", body, format="json", headers=headers)


# --- create, read, update, delete ---------------------------------------------------------------------


def test_create_answers_the_contract_fields(setup):
    response = post(setup.client, setup.body(owner=setup.marketer.username, description="Spring series"))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) >= CONTRACT_FIELDS
    assert data["budget"] == 5000 and data["spend"] == 0 and data["status"] == "planned"
    assert data["owner"] == setup.marketer.username and data["remaining"] == 5000 and data["over_budget"] is False
    assert DomainEvent.objects.filter(verb="campaign.created", object_id=data["id"]).count() == 1


def test_money_is_json_numbers_and_spend_over_budget_is_flagged(setup):
    campaign = CampaignFactory(product=setup.product, budget=D("1000"), spend=D("1500.25"))
    data = setup.client.get(f"{URL}{campaign.id}/").json()
    assert (data["budget"], data["spend"], data["remaining"], data["over_budget"]) == (1000, 1500.25, -500.25, True)


def test_record_spend_with_a_patch(setup):
    campaign = CampaignFactory(product=setup.product, spend=D("0"))
    response = patch(setup.client, campaign.id, {"spend": "4250.50"})
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.spend == D("4250.50")
    assert DomainEvent.objects.get(verb="campaign.updated").changes == {"spend": ["0", "4250.5"]}


def test_delete_removes_the_campaign(setup):
    campaign = CampaignFactory(product=setup.product)
    assert setup.client.delete(f"{URL}{campaign.id}/").status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert DomainEvent.objects.filter(verb="campaign.deleted").count() == 1


def test_a_campaign_cannot_move_to_another_product(setup):
    campaign = CampaignFactory(product=setup.product)
    other = ProductFactory(portfolio=setup.portfolio)
    response = patch(setup.client, campaign.id, {"product": other.id})
    assert response.status_code == 400 and "product" in response.json()


# --- bad input: 400 on the field, nothing written ---------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"start_date": "2026-03-10", "end_date": "2026-03-09"}, "end_date"),
        ({"budget": -1}, "budget"),
        ({"spend": -0.01}, "spend"),
        ({"budget": 1e15}, "budget"),
        ({"budget": "1e9999999"}, "budget"),
        ({"budget": "NaN"}, "budget"),
        ({"spend": "Infinity"}, "spend"),
        ({"spend": "-Infinity"}, "spend"),
        ({"budget": True}, "budget"),
        ({"budget": "12\x00"}, "budget"),
        ({"name": "Webinars\x00"}, "name"),
        ({"name": 12}, "name"),
        ({"name": ""}, "name"),
        ({"channel": "radio"}, "channel"),
        ({"status": "paused"}, "status"),
        ({"start_date": "1899-12-31"}, "start_date"),
        ({"end_date": "2201-01-01"}, "end_date"),
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"start_date": None}, "start_date"),
        ({"owner": "nobody-here"}, "owner"),
        ({"launch_plan": 1.5}, "launch_plan"),
        ({"segment": True}, "segment"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_writes_nothing(setup, overrides, field):
    before = written()
    response = post(setup.client, setup.body(**overrides))
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert written() == before


@pytest.mark.parametrize(
    "body",
    [
        {"end_date": "2026-01-01"},
        {"budget": -5},
        {"spend": "NaN"},
        {"start_date": "2026-04-01"},  # after the stored end
    ],
)
def test_a_bad_patch_is_a_400_and_changes_nothing(setup, body):
    campaign = CampaignFactory(
        product=setup.product,
        start_date=datetime.date(2026, 3, 1),
        end_date=datetime.date(2026, 3, 31),
        spend=D("10"),
    )
    before = written()
    response = patch(setup.client, campaign.id, body)
    assert response.status_code == 400, response.json()
    assert written() == before


def test_amounts_are_rounded_to_cents_as_every_amount_of_the_api(setup):
    response = post(setup.client, setup.body(budget="12.3456", spend=1.005e1))
    assert response.status_code == 201, response.content
    assert response.json()["budget"] == 12.35
    assert round(response.json()["spend"], 2) == response.json()["spend"]


def test_an_owner_who_is_not_a_member_is_a_400(setup):
    UserFactory(username="stranger")
    response = post(setup.client, setup.body(owner="stranger"))
    assert response.status_code == 400 and "owner" in response.json()


def test_a_launch_plan_of_another_product_is_a_400_on_it(setup):
    other_plan = LaunchPlanFactory(product=ProductFactory(portfolio=setup.portfolio))
    before = written()
    response = post(setup.client, setup.body(launch_plan=other_plan.id))
    assert response.status_code == 400
    assert response.json() == {"launch_plan": ["Choose a launch plan of the same product."]}
    assert written() == before


def test_a_launch_plan_of_another_portfolio_is_a_400_that_names_nothing(setup):
    foreign = LaunchPlanFactory(name="Secret launch")
    response = post(setup.client, setup.body(launch_plan=foreign.id))
    assert response.status_code == 400 and "launch_plan" in response.json()
    assert "Secret" not in response.content.decode()


def test_a_segment_of_another_portfolio_of_mine_is_a_400(setup):
    elsewhere = PortfolioFactory()
    member_there = SegmentFactory(portfolio=elsewhere, name="Other SMB")
    MembershipFactory(portfolio=elsewhere, user=setup.marketer, role=Role.MARKETER)
    before = written()
    response = post(setup.client, setup.body(segment=member_there.id))
    assert response.status_code == 400
    assert response.json() == {"segment": ["Choose a segment of this portfolio."]}
    assert written() == before


def test_a_product_of_another_portfolio_is_a_400(setup):
    response = post(setup.client, setup.body(product=ProductFactory(name="Hidden").id, launch_plan=None))
    assert response.status_code == 400 and "product" in response.json()
    assert "Hidden" not in response.content.decode()


# --- roles and other portfolios ---------------------------------------------------------------------------


@pytest.mark.parametrize("role, status", [("admin", 201), ("product_manager", 201), ("marketer", 201), ("viewer", 403)])
def test_create_by_role(setup, role, status):
    response = post(setup.as_role(role), setup.body())
    assert response.status_code == status


@pytest.mark.parametrize("role, status", [("admin", 200), ("product_manager", 200), ("marketer", 200), ("viewer", 403)])
def test_update_by_role(setup, role, status):
    campaign = CampaignFactory(product=setup.product, spend=D("1"))
    assert patch(setup.as_role(role), campaign.id, {"spend": 2}).status_code == status
    campaign.refresh_from_db()
    assert campaign.spend == (D("2") if status == 200 else D("1"))


def test_a_viewer_reads_but_a_bad_body_is_still_a_403(setup):
    campaign = CampaignFactory(product=setup.product)
    client = setup.as_role("viewer")
    assert client.get(f"{URL}{campaign.id}/").status_code == 200
    assert patch(client, campaign.id, {"spend": "NaN"}).status_code == 403
    assert client.delete(f"{URL}{campaign.id}/").status_code == 403


def test_another_portfolios_campaign_is_a_404_everywhere(setup):
    foreign = CampaignFactory(name="Secret push")
    before = written()
    assert setup.client.get(f"{URL}{foreign.id}/").status_code == 404
    assert patch(setup.client, foreign.id, {"spend": 1}).status_code == 404
    assert setup.client.delete(f"{URL}{foreign.id}/").status_code == 404
    assert written() == before
    assert setup.client.get(URL).json()["count"] == 0
    assert setup.client.get(f"{URL}?search=Secret").json()["count"] == 0
    assert "Secret" not in "".join(x.decode() for x in setup.client.get(f"{URL}?format=csv").streaming_content)


# --- filters, ordering, search, CSV -----------------------------------------------------------------------


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_filters(setup):
    other = ProductFactory(portfolio=setup.portfolio)
    a = CampaignFactory(product=setup.product, launch_plan=setup.plan, channel="email", segment=setup.segment)
    b = CampaignFactory(product=setup.product, channel="pr", status="active", start_date=datetime.date(2025, 5, 1))
    c = CampaignFactory(product=other, channel="email", status="done")
    get = setup.client.get
    assert set(ids(get(f"{URL}?product={setup.product.id}"))) == {a.id, b.id}
    assert ids(get(f"{URL}?launch_plan={setup.plan.id}")) == [a.id]
    assert set(ids(get(f"{URL}?channel=email"))) == {a.id, c.id}
    assert ids(get(f"{URL}?status=active")) == [b.id]
    assert ids(get(f"{URL}?segment={setup.segment.id}")) == [a.id]
    assert set(ids(get(f"{URL}?portfolio={setup.portfolio.id}"))) == {a.id, b.id, c.id}
    assert ids(get(f"{URL}?year=2025")) == [b.id]


@pytest.mark.parametrize(
    "query", ["status=paused", "channel=radio", "product=abc", "year=3000", "year=", "portfolio=-1"]
)
def test_a_bad_filter_is_a_400(setup, query):
    assert setup.client.get(f"{URL}?{query}").status_code == 400


def test_ordering_by_start_budget_and_spend(setup):
    a = CampaignFactory(product=setup.product, start_date=datetime.date(2026, 5, 1), budget=D(300), spend=D(1))
    b = CampaignFactory(product=setup.product, start_date=datetime.date(2026, 1, 1), budget=D(100), spend=D(3))
    c = CampaignFactory(product=setup.product, start_date=datetime.date(2026, 3, 1), budget=D(200), spend=D(2))
    get = setup.client.get
    assert ids(get(URL)) == [b.id, c.id, a.id]
    assert ids(get(f"{URL}?ordering=-budget")) == [a.id, c.id, b.id]
    assert ids(get(f"{URL}?ordering=spend")) == [a.id, c.id, b.id]
    assert ids(get(f"{URL}?ordering=-start_date")) == [a.id, c.id, b.id]


def test_search_by_name(setup):
    hit = CampaignFactory(product=setup.product, name="Spring webinars")
    CampaignFactory(product=setup.product, name="Search ads")
    assert ids(setup.client.get(f"{URL}?search=webinar")) == [hit.id]


def test_csv_streams_every_matching_campaign_with_the_columns(setup):
    CampaignFactory(
        product=setup.product,
        launch_plan=setup.plan,
        segment=setup.segment,
        name="Webinars",
        owner=setup.marketer,
        budget=D("1000"),
        spend=D("1250"),
        start_date=datetime.date(2026, 3, 1),
        end_date=datetime.date(2026, 3, 2),
    )
    CampaignFactory(product=setup.product, name="Other", channel="pr")
    response = setup.client.get(f"{URL}?format=csv&channel=email")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0] == [
        "id", "product", "launch plan", "name", "channel", "segment", "status", "start", "end", "budget", "spend",
        "remaining", "owner",
    ]  # fmt: skip
    assert [row[3] for row in rows[1:]] == ["Webinars"]
    assert rows[1][1:] == [
        "Nebula", "Spring launch", "Webinars", "email", "SMB", "planned", "2026-03-01", "2026-03-02", "1000", "1250",
        "-250", setup.marketer.username,
    ]  # fmt: skip


def test_csv_is_for_the_list_only(setup):
    campaign = CampaignFactory(product=setup.product)
    assert setup.client.get(f"{URL}{campaign.id}/?format=csv").status_code == 404


# --- budget vs spend ---------------------------------------------------------------------------------------


def test_budget_per_quarter_and_launch_plan_matches_an_independent_sum(setup):
    other_plan = LaunchPlanFactory(product=setup.product, name="Autumn launch", launch_date=datetime.date(2026, 9, 1))
    setup.plan.launch_date = datetime.date(2026, 4, 1)
    setup.plan.save()
    made = []
    for i, (month, plan, b, s) in enumerate(
        [
            (1, setup.plan, "1000", "900"),
            (2, None, "500.50", "700"),
            (5, setup.plan, "2000", "2500.25"),
            (9, other_plan, "3000", "100"),
            (12, None, "0", "40"),
        ]
    ):
        made.append(
            CampaignFactory(
                product=setup.product,
                launch_plan=plan,
                name=f"C{i}",
                start_date=datetime.date(2026, month, 15),
                end_date=datetime.date(2026, month, 28),
                budget=D(b),
                spend=D(s),
            )
        )
    CampaignFactory(product=setup.product, start_date=datetime.date(2025, 6, 1), budget=D(99), spend=D(99))
    CampaignFactory(start_date=datetime.date(2026, 2, 1), budget=D(77), spend=D(77))  # another portfolio's
    data = setup.client.get(f"{BUDGET}?portfolio={setup.portfolio.id}&year=2026").json()

    quarters = defaultdict(lambda: [D(0), D(0), 0])
    plans = defaultdict(lambda: [D(0), D(0), 0])
    for c in made:
        for key, sums in (((c.start_date.month - 1) // 3 + 1, quarters), (c.launch_plan_id, plans)):
            sums[key][0] += c.budget
            sums[key][1] += c.spend
            sums[key][2] += 1
    assert data["year"] == 2026
    assert [q["quarter"] for q in data["quarters"]] == [1, 2, 3, 4]
    for q in data["quarters"]:
        budget, spend, count = quarters[q["quarter"]]
        assert (D(str(q["budget"])), D(str(q["spend"])), q["campaigns"]) == (budget, spend, count)
        assert D(str(q["remaining"])) == budget - spend and q["over_budget"] == (spend > budget)
    assert [p["launch_plan"] for p in data["launch_plans"]] == [setup.plan.id, other_plan.id, None]
    for p in data["launch_plans"]:
        budget, spend, count = plans[p["launch_plan"]]
        assert (D(str(p["budget"])), D(str(p["spend"])), p["campaigns"]) == (budget, spend, count)
    assert data["launch_plans"][-1]["name"] == "No launch plan"
    assert D(str(data["total"]["budget"])) == sum(c.budget for c in made)
    assert data["total"]["campaigns"] == len(made)


def test_budget_of_one_launch_plan(setup):
    CampaignFactory(product=setup.product, launch_plan=setup.plan, start_date=datetime.date(2026, 2, 1), budget=10)
    CampaignFactory(product=setup.product, launch_plan=setup.plan, start_date=datetime.date(2026, 8, 1), budget=20)
    CampaignFactory(product=setup.product, start_date=datetime.date(2026, 2, 1), budget=40)
    data = setup.client.get(f"{BUDGET}?launch_plan={setup.plan.id}").json()
    assert data["year"] is None
    assert [(q["year"], q["quarter"], q["budget"]) for q in data["quarters"]] == [(2026, 1, 10), (2026, 3, 20)]
    assert [(p["name"], p["budget"]) for p in data["launch_plans"]] == [("Spring launch", 30)]


def test_budget_of_another_portfolio_is_empty(setup):
    foreign = CampaignFactory(name="Secret push", budget=D(50))
    data = setup.client.get(f"{BUDGET}?portfolio={foreign.product.portfolio_id}").json()
    assert data["total"]["campaigns"] == 0 and data["launch_plans"] == [] and data["quarters"] == []


@pytest.mark.parametrize("query", ["year=abc", "year=1800", "portfolio=x", "launch_plan=1.5"])
def test_budget_refuses_bad_parameters(setup, query):
    assert setup.client.get(f"{BUDGET}?{query}").status_code == 400


def test_a_viewer_reads_the_budget(setup):
    assert setup.as_role("viewer").get(f"{BUDGET}?portfolio={setup.portfolio.id}").status_code == 200


# --- conditional writes ------------------------------------------------------------------------------------


def test_a_stale_if_match_is_a_412_and_writes_nothing(setup):
    campaign = CampaignFactory(product=setup.product, spend=D("1"))
    etag = setup.client.get(f"{URL}{campaign.id}/").headers["ETag"]
    assert patch(setup.client, campaign.id, {"spend": 2}, **{"If-Match": etag}).status_code == 200
    before = written()
    assert patch(setup.client, campaign.id, {"spend": 3}, **{"If-Match": etag}).status_code == 412
    assert written() == before


def test_the_etag_of_a_patch_is_the_next_read(setup):
    campaign = CampaignFactory(product=setup.product)
    response = patch(setup.client, campaign.id, {"spend": 5})
    assert response.headers["ETag"] == setup.client.get(f"{URL}{campaign.id}/").headers["ETag"]


def test_if_none_match_is_a_304(setup):
    campaign = CampaignFactory(product=setup.product)
    etag = setup.client.get(f"{URL}{campaign.id}/").headers["ETag"]
    assert setup.client.get(f"{URL}{campaign.id}/", headers={"If-None-Match": etag}).status_code == 304


# --- query counts ------------------------------------------------------------------------------------------


def _fill(setup, n):
    for i in range(n):
        CampaignFactory(
            product=setup.product,
            launch_plan=setup.plan,
            segment=setup.segment,
            owner=setup.marketer,
            start_date=datetime.date(2026, 1 + i % 12, 1),
            end_date=datetime.date(2026, 1 + i % 12, 20),
        )


@pytest.mark.parametrize("url", [URL, f"{URL}?format=csv", f"{BUDGET}?year=2026"])
def test_list_queries_do_not_grow_with_the_data(setup, url):
    counts = []
    setup.client.get(URL)  # the user's roles, read once and kept for the requests after
    for n in (3, 27):  # 1× and 10× the data
        _fill(setup, n)
        with CaptureQueriesContext(connection) as queries:
            response = setup.client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3, counts
