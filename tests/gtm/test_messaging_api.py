"""`/api/v1/messaging/` (API-CONTRACT.md, "Go-to-market"): contract fields, versioning through revise,
the frozen approved version, the status flow and its 409s, roles, bad rows, links to another portfolio,
conditional writes, filters, the diff, and a list whose query count does not grow with it."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gtm.models import Messaging
from gtm.services import messaging as services
from products.models import DomainEvent, Role
from tests.factories import (
    LaunchPlanFactory,
    MessagingFactory,
    PersonaFactory,
    PortfolioFactory,
    ProductFactory,
    SegmentFactory,
    member,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/messaging/"
CONTRACT = {
    "id", "product", "launch_plan", "version", "status", "positioning", "value_proposition", "target_segments",
    "target_personas", "key_messages", "objections", "approved_by", "approved_at",
}  # fmt: skip
MESSAGES = [{"message": "Every launch ready on time", "proof_points": ["Fewer slips"]}]
OBJECTIONS = [{"objection": "We use a spreadsheet", "response": "It cannot tell you what is late."}]


class Setup:
    def __init__(self, client):
        self.portfolio = PortfolioFactory(name="Acme")
        self.product = ProductFactory(portfolio=self.portfolio, name="Nebula")
        self.plan = LaunchPlanFactory(product=self.product, name="Nebula 2.0")
        self.segment = SegmentFactory(portfolio=self.portfolio, name="Mid-market")
        self.persona = PersonaFactory(portfolio=self.portfolio, name="Ops Olga")
        self.manager = member(self.portfolio, Role.PRODUCT_MANAGER)
        self.client = client
        client.force_authenticate(self.manager)

    def body(self, **fields):
        return {
            "product": self.product.id,
            "launch_plan": self.plan.id,
            "positioning": "For launch teams, Nebula is the tracker.",
            "value_proposition": "Every launch on time.",
            "target_segments": [self.segment.id],
            "target_personas": [self.persona.id],
            "key_messages": MESSAGES,
            "objections": OBJECTIONS,
            **fields,
        }

    def create(self, **fields) -> dict:
        response = self.client.post(URL, self.body(**fields), format="json")
        assert response.status_code == 201, response.content
        return response.json()

    def approved(self, **fields) -> dict:
        created = self.create(**fields)
        assert self.client.post(f"{URL}{created['id']}/submit/").status_code == 200
        response = self.client.post(f"{URL}{created['id']}/approve/")
        assert response.status_code == 200, response.content
        return response.json()

    def as_role(self, role):
        user = member(self.portfolio, role)
        self.client.force_authenticate(user)
        return user


@pytest.fixture
def setup(api_client):
    return Setup(api_client)


def snapshot(messaging_id):
    row = Messaging.objects.get(pk=messaging_id)
    return (
        {k: v for k, v in Messaging.objects.filter(pk=messaging_id).values()[0].items()},
        sorted(row.target_segments.values_list("pk", flat=True)),
        sorted(row.target_personas.values_list("pk", flat=True)),
    )


# --- create and read -----------------------------------------------------------------------------------


def test_create_answers_the_contract_fields_as_a_draft_v1(setup):
    data = setup.create()
    assert set(data) >= CONTRACT
    assert (data["version"], data["status"], data["origin"]) == (1, "draft", data["id"])
    assert data["target_segments"] == [setup.segment.id] and data["target_personas"] == [setup.persona.id]
    assert data["key_messages"] == MESSAGES and data["objections"] == OBJECTIONS
    assert data["approved_by"] is None and data["approved_at"] is None and data["created_by"] == setup.manager.username


def test_version_and_status_are_read_only(setup):
    data = setup.create(version=7, status="approved")
    assert (data["version"], data["status"]) == (1, "draft")


def test_create_records_an_event(setup):
    data = setup.create()
    assert DomainEvent.objects.filter(verb="messaging.created", object_id=data["id"]).count() == 1


def test_a_read_carries_an_etag_and_answers_304_to_it(setup):
    data = setup.create()
    first = setup.client.get(f"{URL}{data['id']}/")
    assert first.status_code == 200 and first["ETag"]
    again = setup.client.get(f"{URL}{data['id']}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


# --- links and rows at the boundary --------------------------------------------------------------------


def test_a_launch_plan_of_another_product_is_a_400(setup):
    other = LaunchPlanFactory(product=ProductFactory(portfolio=setup.portfolio))
    response = setup.client.post(URL, setup.body(launch_plan=other.id), format="json")
    assert response.status_code == 400 and "launch_plan" in response.json()
    assert not Messaging.objects.exists()


@pytest.mark.parametrize("field, factory", [("target_segments", SegmentFactory), ("target_personas", PersonaFactory)])
def test_a_segment_or_persona_of_another_portfolio_is_a_400(setup, field, factory):
    foreign = factory()
    response = setup.client.post(URL, setup.body(**{field: [foreign.id]}), format="json")
    assert response.status_code == 400 and field in response.json()
    assert foreign.name not in response.content.decode()
    assert not Messaging.objects.exists()


@pytest.mark.parametrize("field, factory", [("target_segments", SegmentFactory), ("target_personas", PersonaFactory)])
def test_a_segment_or_persona_of_the_users_other_portfolio_is_a_400(setup, field, factory):
    elsewhere = PortfolioFactory()
    from products.models import Membership

    Membership.objects.create(user=setup.manager, portfolio=elsewhere, role=Role.ADMIN)
    response = setup.client.post(URL, setup.body(**{field: [factory(portfolio=elsewhere).id]}), format="json")
    assert response.status_code == 400
    assert response.json()[field] == [f"Choose {field.split('_')[1]} of this portfolio."]


def test_a_launch_plan_of_another_portfolio_is_a_400_that_does_not_name_it(setup):
    foreign = LaunchPlanFactory(name="Secret launch")
    response = setup.client.post(URL, setup.body(launch_plan=foreign.id), format="json")
    assert response.status_code == 400 and "launch_plan" in response.json()
    assert "Secret launch" not in response.content.decode()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("key_messages", {"message": "x"}, 'A list of {"message", "proof_points"} objects.'),
        ("key_messages", [{"message": "x", "proof_points": [], "x": 1}], "Key message 1: unknown field “x”."),
        ("key_messages", [MESSAGES[0], {"message": "y", "proof_points": [1]}], "Key message 2, proof point 1:"),
        ("key_messages", [{"message": "x", "proof_points": ["p"] * 21}], "Key message 1: at most 20 proof points."),
        ("key_messages", [MESSAGES[0]] * 51, "At most 50 key messages."),
        ("key_messages", [{"message": "x" * 2001, "proof_points": []}], "Key message 1: message: at most 2,000"),
        ("key_messages", [{"message": "a\u0000b", "proof_points": []}], "Key message 1: message: a NUL character"),
        ("key_messages", None, "This field may not be null."),
        ("objections", [{"objection": "x"}], "Objection 1: “response” is missing."),
        ("objections", [{"objection": "x", "response": 3}], "Objection 1: response: a text is needed."),
        ("objections", "x", 'A list of {"objection", "response"} objects.'),
    ],
)
def test_bad_rows_are_a_400_naming_the_row_and_write_nothing(setup, field, value, message):
    response = setup.client.post(URL, setup.body(**{field: value}), format="json")
    assert response.status_code == 400
    assert any(text.startswith(message) for text in response.json()[field]), response.json()
    assert not Messaging.objects.exists() and not DomainEvent.objects.exists()


def test_a_lone_surrogate_in_a_row_is_a_400(setup):
    body = json.dumps(setup.body(key_messages=[{"message": "__X__", "proof_points": []}])).replace("__X__", "\\ud800")
    response = setup.client.generic("POST", URL, body.encode(), "application/json")
    assert response.status_code == 400
    assert not Messaging.objects.exists()


def test_a_patch_with_bad_rows_changes_nothing(setup):
    data = setup.create()
    before = snapshot(data["id"])
    response = setup.client.patch(f"{URL}{data['id']}/", {"objections": [{"objection": ""}]}, format="json")
    assert response.status_code == 400 and "objections" in response.json()
    assert snapshot(data["id"]) == before


def test_a_messaging_cannot_move_to_another_product(setup):
    data = setup.create()
    other = ProductFactory(portfolio=setup.portfolio)
    response = setup.client.patch(f"{URL}{data['id']}/", {"product": other.id}, format="json")
    assert response.status_code == 400 and "product" in response.json()


# --- the status flow -----------------------------------------------------------------------------------


def test_submit_then_approve(setup):
    data = setup.create()
    submitted = setup.client.post(f"{URL}{data['id']}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
    approved = setup.client.post(f"{URL}{data['id']}/approve/")
    body = approved.json()
    assert approved.status_code == 200 and body["status"] == "approved"
    assert body["approved_by"] == setup.manager.username and body["approved_at"]
    assert approved["ETag"] == setup.client.get(f"{URL}{data['id']}/")["ETag"]


def test_submitting_an_approved_version_is_a_409(setup):
    data = setup.approved()
    response = setup.client.post(f"{URL}{data['id']}/submit/")
    assert response.status_code == 409 and response.json()["code"] == "wrong_status"


def test_submitting_an_incomplete_draft_is_a_409_with_what_is_missing(setup):
    data = setup.create(key_messages=[], value_proposition="")
    response = setup.client.post(f"{URL}{data['id']}/submit/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "incomplete" and [m["field"] for m in body["missing"]] == [
        "value_proposition",
        "key_messages",
    ]


@pytest.mark.parametrize("reach", ["draft", "approved"])
def test_approving_outside_review_is_a_409(setup, reach):
    data = setup.create() if reach == "draft" else setup.approved()
    response = setup.client.post(f"{URL}{data['id']}/approve/")
    assert response.status_code == 409 and response.json()["status"] == reach


def test_a_marketer_approving_is_a_403_and_changes_nothing(setup):
    data = setup.create()
    setup.client.post(f"{URL}{data['id']}/submit/")
    setup.as_role(Role.MARKETER)
    before = snapshot(data["id"])
    response = setup.client.post(f"{URL}{data['id']}/approve/")
    assert response.status_code == 403
    assert snapshot(data["id"]) == before


def test_a_marketer_writes_submits_and_revises(setup):
    setup.as_role(Role.MARKETER)
    data = setup.create()
    assert setup.client.post(f"{URL}{data['id']}/submit/").status_code == 200
    setup.client.force_authenticate(setup.manager)
    setup.client.post(f"{URL}{data['id']}/approve/")
    setup.as_role(Role.MARKETER)
    assert setup.client.post(f"{URL}{data['id']}/revise/").status_code == 201


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_a_viewer_writes_nothing(setup, method):
    data = setup.create()
    setup.as_role(Role.VIEWER)
    url = URL if method == "post" else f"{URL}{data['id']}/"
    response = getattr(setup.client, method)(url, setup.body() if method != "delete" else None, format="json")
    assert response.status_code == 403
    assert Messaging.objects.count() == 1


def test_editing_a_version_in_review_returns_it_to_draft(setup):
    data = setup.create()
    setup.client.post(f"{URL}{data['id']}/submit/")
    response = setup.client.patch(f"{URL}{data['id']}/", {"positioning": "Sharper."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "draft" and response.json()["submitted_at"] is None


def test_request_changes_sends_it_back_with_the_comment(setup):
    data = setup.create()
    setup.client.post(f"{URL}{data['id']}/submit/")
    response = setup.client.post(f"{URL}{data['id']}/request-changes/", {"comment": "Cite the source."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    assert DomainEvent.objects.get(verb="messaging.changes_requested").data["comment"] == "Cite the source."


@pytest.mark.parametrize("body", [{}, {"comment": ""}, {"comment": 3}, {"comment": "x" * 5001}])
def test_request_changes_without_a_comment_is_a_400(setup, body):
    data = setup.create()
    setup.client.post(f"{URL}{data['id']}/submit/")
    response = setup.client.post(f"{URL}{data['id']}/request-changes/", body, format="json")
    assert response.status_code == 400 and "comment" in response.json()
    assert Messaging.objects.get(pk=data["id"]).status == "in_review"


def test_request_changes_by_a_marketer_is_a_403(setup):
    data = setup.create()
    setup.client.post(f"{URL}{data['id']}/submit/")
    setup.as_role(Role.MARKETER)
    response = setup.client.post(f"{URL}{data['id']}/request-changes/", {"comment": "Mine"}, format="json")
    assert response.status_code == 403


def test_request_changes_on_a_draft_is_a_409(setup):
    data = setup.create()
    response = setup.client.post(f"{URL}{data['id']}/request-changes/", {"comment": "No"}, format="json")
    assert response.status_code == 409


def test_an_action_with_a_stale_if_match_is_a_412_and_does_nothing(setup):
    data = setup.create()
    setup.client.post(f"{URL}{data['id']}/submit/")
    etag = setup.client.get(f"{URL}{data['id']}/")["ETag"]
    setup.client.patch(f"{URL}{data['id']}/", {"positioning": "Changed behind the reviewer's back."}, format="json")
    setup.client.post(f"{URL}{data['id']}/submit/")
    response = setup.client.post(f"{URL}{data['id']}/approve/", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert Messaging.objects.get(pk=data["id"]).status == "in_review"


def test_an_action_with_the_current_if_match_goes_through(setup):
    data = setup.create()
    etag = setup.client.get(f"{URL}{data['id']}/")["ETag"]
    assert setup.client.post(f"{URL}{data['id']}/submit/", HTTP_IF_MATCH=etag).status_code == 200


# --- frozen --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writing_an_approved_version_is_a_409_and_changes_nothing(setup, method):
    data = setup.approved()
    before, events = snapshot(data["id"]), DomainEvent.objects.count()
    body = setup.body(positioning="Changed") if method != "delete" else None
    response = getattr(setup.client, method)(f"{URL}{data['id']}/", body, format="json")
    assert response.status_code == 409 and response.json()["code"] == "frozen"
    assert snapshot(data["id"]) == before and DomainEvent.objects.count() == events


def test_a_stale_if_match_on_a_draft_is_a_412(setup):
    data = setup.create()
    etag = setup.client.get(f"{URL}{data['id']}/")["ETag"]
    setup.client.patch(f"{URL}{data['id']}/", {"positioning": "New"}, format="json")
    response = setup.client.patch(f"{URL}{data['id']}/", {"positioning": "Mine"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert Messaging.objects.get(pk=data["id"]).positioning == "New"


def test_delete_a_draft(setup):
    data = setup.create()
    assert setup.client.delete(f"{URL}{data['id']}/").status_code == 204
    assert not Messaging.objects.exists()
    assert DomainEvent.objects.filter(verb="messaging.deleted").count() == 1


# --- revise --------------------------------------------------------------------------------------------


def test_revise_is_a_201_with_the_next_draft_and_the_same_content(setup):
    first = setup.approved()
    response = setup.client.post(f"{URL}{first['id']}/revise/")
    assert response.status_code == 201
    second = response.json()
    assert response["Location"] == f"{URL}{second['id']}/"
    assert (second["version"], second["status"], second["origin"]) == (2, "draft", first["id"])
    for field in ("product", "launch_plan", "positioning", "value_proposition", "target_segments", "target_personas"):
        assert second[field] == first[field], field
    assert second["key_messages"] == first["key_messages"] and second["objections"] == first["objections"]
    assert second["approved_by"] is None and second["approved_at"] is None


def test_revising_when_a_newer_version_exists_is_a_409_naming_it(setup):
    first = setup.approved()
    second = setup.client.post(f"{URL}{first['id']}/revise/").json()
    response = setup.client.post(f"{URL}{first['id']}/revise/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "newer_version" and body["newer"] == {"id": second["id"], "version": 2, "status": "draft"}
    assert Messaging.objects.count() == 2


def test_revising_a_draft_is_a_409(setup):
    data = setup.create()
    response = setup.client.post(f"{URL}{data['id']}/revise/")
    assert response.status_code == 409 and response.json()["code"] == "wrong_status"


def test_a_viewer_revising_is_a_403(setup):
    first = setup.approved()
    setup.as_role(Role.VIEWER)
    assert setup.client.post(f"{URL}{first['id']}/revise/").status_code == 403
    assert Messaging.objects.count() == 1


# --- another portfolio ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, suffix", [("get", ""), ("patch", ""), ("delete", ""), ("post", "submit/"), ("post", "approve/"),
                       ("post", "revise/"), ("get", "diff/?against=1")]
)  # fmt: skip
def test_another_portfolios_messaging_is_a_404(setup, method, suffix):
    foreign = MessagingFactory(positioning="Secret positioning")
    response = getattr(setup.client, method)(f"{URL}{foreign.id}/{suffix}", {}, format="json")
    assert response.status_code == 404
    assert "Secret" not in response.content.decode()


def test_the_list_shows_nothing_of_another_portfolio(setup):
    MessagingFactory(positioning="Secret positioning")
    setup.create()
    response = setup.client.get(URL)
    assert response.json()["count"] == 1 and "Secret" not in response.content.decode()


# --- filters -------------------------------------------------------------------------------------------


def test_filters_by_product_launch_plan_status_and_portfolio(setup):
    with_plan = setup.create()
    without = setup.create(launch_plan=None)
    other = ProductFactory(portfolio=setup.portfolio)
    elsewhere = setup.create(product=other.id, launch_plan=None, target_segments=[], target_personas=[])
    setup.client.post(f"{URL}{without['id']}/submit/")

    def ids(query):
        response = setup.client.get(URL, query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids({"product": setup.product.id}) == {with_plan["id"], without["id"]}
    assert ids({"launch_plan": setup.plan.id}) == {with_plan["id"]}
    assert ids({"status": "in_review"}) == {without["id"]}
    assert ids({"portfolio": setup.portfolio.id}) == {with_plan["id"], without["id"], elsewhere["id"]}
    assert ids({"portfolio": PortfolioFactory().id}) == set()


def test_latest_lists_only_each_lines_newest_version(setup):
    first = setup.approved()
    second = setup.client.post(f"{URL}{first['id']}/revise/").json()
    alone = setup.create()
    latest = {row["id"] for row in setup.client.get(URL, {"latest": "true"}).json()["results"]}
    older = {row["id"] for row in setup.client.get(URL, {"latest": "false"}).json()["results"]}
    line = {row["id"] for row in setup.client.get(URL, {"origin": first["id"]}).json()["results"]}
    assert latest == {second["id"], alone["id"]} and older == {first["id"]} and line == {first["id"], second["id"]}


@pytest.mark.parametrize("query", [{"status": "bogus"}, {"latest": "maybe"}, {"product": "1e9999999"}, {"latest": ""}])
def test_bad_filters_are_a_400(setup, query):
    response = setup.client.get(URL, query)
    assert response.status_code == 400 and set(query) <= set(response.json())


def test_the_list_costs_the_same_queries_at_ten_times_the_data(setup):
    def fill(n):
        for _ in range(n):
            messaging = MessagingFactory(product=setup.product, launch_plan=setup.plan)
            messaging.target_segments.add(setup.segment)
            messaging.target_personas.add(setup.persona)

    fill(3)
    setup.client.get(URL)  # the member's roles are read once and kept on the user
    with CaptureQueriesContext(connection) as small:
        assert setup.client.get(URL).status_code == 200
    fill(27)
    with CaptureQueriesContext(connection) as large:
        response = setup.client.get(URL)
    assert response.json()["count"] == 30
    assert len(large.captured_queries) == len(small.captured_queries) <= 8


# --- diff ----------------------------------------------------------------------------------------------


def test_diff_against_an_earlier_version(setup):
    first = setup.approved()
    second = setup.client.post(f"{URL}{first['id']}/revise/").json()
    setup.client.patch(
        f"{URL}{second['id']}/",
        {"positioning": "For launch teams, Nebula is the calm tracker.", "target_segments": []},
        format="json",
    )
    response = setup.client.get(f"{URL}{second['id']}/diff/", {"against": first["id"]})
    assert response.status_code == 200
    body = response.json()
    assert body["from"]["id"] == first["id"] and body["to"]["id"] == second["id"] and body["changed"] is True
    assert {"op": "insert", "text": "calm "} in body["fields"]["positioning"]["ops"]
    assert body["fields"]["target_segments"]["removed"] == [{"id": setup.segment.id, "name": "Mid-market"}]
    assert body["fields"]["key_messages"]["changed"] is False


def test_diff_against_another_line_is_a_400(setup):
    one, other = setup.create(), setup.create()
    response = setup.client.get(f"{URL}{one['id']}/diff/", {"against": other["id"]})
    assert response.status_code == 400 and "against" in response.json()


def test_diff_against_another_portfolios_version_is_a_404(setup):
    mine = setup.create()
    foreign = MessagingFactory(positioning="Secret positioning")
    response = setup.client.get(f"{URL}{mine['id']}/diff/", {"against": foreign.id})
    assert response.status_code == 404 and "Secret" not in response.content.decode()


@pytest.mark.parametrize("against", [None, "", "x", "1.5", "-1", "0", "9" * 30])
def test_diff_without_a_usable_against_is_a_400(setup, against):
    mine = setup.create()
    query = {} if against is None else {"against": against}
    response = setup.client.get(f"{URL}{mine['id']}/diff/", query)
    assert response.status_code == 400 and "against" in response.json()


def test_diff_is_readable_by_a_viewer(setup):
    first = setup.approved()
    setup.as_role(Role.VIEWER)
    assert setup.client.get(f"{URL}{first['id']}/diff/", {"against": first["id"]}).status_code == 200


# --- hostile values ------------------------------------------------------------------------------------

HOSTILE = ["a\x00b", "x" * 100_000, 1e308, True, {"a": 1}, [[[[[]]]]]]


@pytest.mark.parametrize(
    "field", ["positioning", "value_proposition", "key_messages", "objections", "target_segments", "launch_plan"]
)
@pytest.mark.parametrize("value", HOSTILE, ids=["nul", "long", "float", "bool", "object", "nested"])
def test_hostile_values_are_a_400_on_the_field(setup, field, value):
    if field in ("key_messages", "objections") and value == [[[[[]]]]]:
        value = [[[[[]]]]]
    response = setup.client.post(URL, setup.body(**{field: value}), format="json")
    assert response.status_code == 400 and field in response.json(), response.content[:300]
    assert not Messaging.objects.exists()


def test_services_and_api_agree_on_the_limits():
    assert (services.MESSAGES_MAX, services.PROOF_POINTS_MAX, services.ROW_TEXT_MAX) == (50, 20, 2000)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_api_writes_and_review_steps_at_once_never_deadlock(attempt):
    """Every write takes the product's lock before the version's (the base class's If-Match lock too)."""
    from rest_framework.test import APIClient

    from tests.gtm.test_messaging_services import run_together

    product = ProductFactory()
    manager = member(product.portfolio, Role.PRODUCT_MANAGER)
    messaging = services.messaging_create(
        product=product, positioning="P", value_proposition="V", key_messages=MESSAGES, objections=OBJECTIONS
    )
    services.messaging_submit(messaging_id=messaging.id)
    other = services.messaging_create(product=product, positioning="Other")

    def call(method, url, body=None):
        client = APIClient()
        client.force_authenticate(manager)
        return getattr(client, method)(url, body, format="json").status_code

    statuses = run_together(
        lambda: call("patch", f"{URL}{messaging.id}/", {"positioning": "Edited"}),
        lambda: call("post", f"{URL}{messaging.id}/approve/"),
        lambda: call("patch", f"{URL}{other.id}/", {"positioning": "Other, edited"}),
        lambda: call("delete", f"{URL}{other.id}/"),
    )
    assert all(isinstance(s, int) and s < 500 for s in statuses), statuses
    assert statuses[0] in (200, 409) and statuses[1] in (200, 409) and statuses[0] != statuses[1]
