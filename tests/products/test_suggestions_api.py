"""/api/v1/stage-suggestions/: the contract's fields, filters, ordering, CSV, accept (200 with the
transition whose evidence names the suggestion; 409 the second time) and dismiss (reason required), roles
refused before the body is read, and the list's cost at 1× and 10× the data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products.models import DomainEvent, Product, Role, Stage, StageTransition
from tests.factories import (
    LifecycleRuleFactory,
    PortfolioFactory,
    ProductFactory,
    StageSuggestionFactory,
    member,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/stage-suggestions/"
CONTRACT = {
    "id",
    "product",
    "rule",
    "from_stage",
    "to_stage",
    "reason",
    "evidence",
    "status",
    "created_at",
    "decided_by",
    "decision_reason",
}
EVIDENCE = {
    "rule": "Shipped, so planning",
    "condition": "a release of the product ships",
    "condition_type": "release_shipped",
    "release": {"id": 7, "version": "1.0", "name": "", "shipped_at": "2026-03-01T10:00:00+00:00"},
}


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def suggestion(portfolio):
    product = ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH, name="Nebula")
    return StageSuggestionFactory(product=product, evidence=EVIDENCE, reason="Shipped, so growing: …")


def client_for(portfolio, role):
    user = member(portfolio, role)
    client = APIClient()
    client.force_authenticate(user)
    return client, user


def test_list_has_the_contracts_fields_and_the_extensions(portfolio, suggestion):
    client, _ = client_for(portfolio, Role.VIEWER)
    row = client.get(URL).json()["results"][0]
    assert set(row) >= CONTRACT
    assert row["product_name"] == "Nebula" and row["rule_name"] == suggestion.rule.name
    assert (row["status"], row["decided_by"], row["transition"]) == ("pending", None, None)
    assert row["evidence"] == EVIDENCE


def test_another_portfolios_suggestions_are_not_listed_nor_found(suggestion):
    client, _ = client_for(PortfolioFactory(), Role.ADMIN)
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{suggestion.id}/").status_code == 404
    assert client.post(f"{URL}{suggestion.id}/accept/", {}, format="json").status_code == 404


def test_filters_by_status_product_rule_and_portfolio(portfolio, suggestion):
    other = StageSuggestionFactory(product=ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH), status="dismissed")
    client, _ = client_for(portfolio, Role.VIEWER)

    def ids(query):
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("status=pending") == [suggestion.id]
    assert ids(f"product={other.product_id}") == [other.id]
    assert ids(f"rule={suggestion.rule_id}") == [suggestion.id]
    assert set(ids(f"portfolio={portfolio.id}")) == {suggestion.id, other.id}
    assert ids(f"portfolio={PortfolioFactory().id}") == []


@pytest.mark.parametrize("query", ["status=maybe", "status=", "product=abc", "product=99999999999999999999"])
def test_a_bad_filter_is_a_400_on_it(portfolio, suggestion, query):
    client, _ = client_for(portfolio, Role.VIEWER)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_newest_first_and_ordering_by_created_at(portfolio, suggestion):
    older = StageSuggestionFactory(
        product=ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH),
        created_at=suggestion.created_at.replace(year=2025),
    )
    client, _ = client_for(portfolio, Role.VIEWER)
    assert [r["id"] for r in client.get(URL).json()["results"]] == [suggestion.id, older.id]
    assert [r["id"] for r in client.get(f"{URL}?ordering=created_at").json()["results"]] == [older.id, suggestion.id]


def test_csv_lists_every_matching_suggestion_without_evidence(portfolio, suggestion):
    client, _ = client_for(portfolio, Role.VIEWER)
    response = client.get(f"{URL}?format=csv&status=pending")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = text.strip().splitlines()
    assert header.startswith("id,product,product_name,rule,rule_name,from_stage,to_stage,status")
    assert row.startswith(f"{suggestion.id},{suggestion.product_id},Nebula,") and "release" not in row


def test_retrieve_has_an_etag_and_answers_304(portfolio, suggestion):
    client, _ = client_for(portfolio, Role.VIEWER)
    first = client.get(f"{URL}{suggestion.id}/")
    again = client.get(f"{URL}{suggestion.id}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert first.status_code == 200 and again.status_code == 304


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_suggestions_are_not_written_directly(portfolio, suggestion, method):
    client, _ = client_for(portfolio, Role.ADMIN)
    target = URL if method == "post" else f"{URL}{suggestion.id}/"
    assert getattr(client, method)(target, {"reason": "x"}, format="json").status_code == 405


# --- accept --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRODUCT_MANAGER])
def test_accept_answers_the_transition_whose_evidence_names_the_suggestion(portfolio, suggestion, role):
    client, user = client_for(portfolio, role)
    response = client.post(f"{URL}{suggestion.id}/accept/", {"reason": "Sales agree"}, format="json")
    assert response.status_code == 200, response.json()
    move = response.json()
    assert set(move) == {
        "id",
        "from_stage",
        "to_stage",
        "at",
        "actor",
        "rule",
        "reason",
        "override",
        "unmet_criteria",
        "evidence",
    }
    assert (move["from_stage"], move["to_stage"], move["actor"]) == ("launch", "growth", user.username)
    assert move["rule"] == suggestion.rule_id and move["evidence"]["suggestion"] == suggestion.id
    assert Product.objects.get(pk=suggestion.product_id).stage == Stage.GROWTH
    row = client.get(f"{URL}{suggestion.id}/").json()
    assert (row["status"], row["decided_by"], row["decision_reason"], row["transition"]) == (
        "accepted",
        user.username,
        "Sales agree",
        move["id"],
    )


def test_accept_without_a_body_works(portfolio, suggestion):
    client, _ = client_for(portfolio, Role.PRODUCT_MANAGER)
    assert client.post(f"{URL}{suggestion.id}/accept/").status_code == 200


def test_accepting_twice_is_a_409_and_one_transition(portfolio, suggestion):
    client, user = client_for(portfolio, Role.PRODUCT_MANAGER)
    assert client.post(f"{URL}{suggestion.id}/accept/", {}, format="json").status_code == 200
    second = client.post(f"{URL}{suggestion.id}/accept/", {}, format="json")
    assert second.status_code == 409
    body = second.json()
    assert body["status"] == "accepted" and f"already accepted by {user.username}" in body["detail"]
    assert StageTransition.objects.filter(product=suggestion.product).count() == 1


@pytest.mark.parametrize("status", ["dismissed", "expired"])
def test_accepting_a_decided_suggestion_is_a_409(portfolio, status):
    decided = StageSuggestionFactory(product=ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH), status=status)
    client, _ = client_for(portfolio, Role.ADMIN)
    response = client.post(f"{URL}{decided.id}/accept/", {}, format="json")
    assert response.status_code == 409 and response.json()["status"] == status
    assert not StageTransition.objects.exists()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
@pytest.mark.parametrize("action", ["accept", "dismiss"])
def test_readers_are_refused_before_the_body_is_read(portfolio, suggestion, role, action):
    client, _ = client_for(portfolio, role)
    response = client.post(f"{URL}{suggestion.id}/{action}/", "{not json", content_type="application/json")
    assert response.status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.status == "pending" and not DomainEvent.objects.exists()


@pytest.mark.parametrize("body", [{"reason": 12}, {"reason": "x" * 2001}, {"reason": "a\x00b"}])
def test_accept_with_a_bad_note_is_a_400_on_reason_and_moves_nothing(portfolio, suggestion, body):
    client, _ = client_for(portfolio, Role.ADMIN)
    response = client.post(f"{URL}{suggestion.id}/accept/", body, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert not StageTransition.objects.exists()


# --- dismiss -------------------------------------------------------------------------------------------


def test_dismiss_keeps_the_reason_and_answers_the_suggestion(portfolio, suggestion):
    client, user = client_for(portfolio, Role.PRODUCT_MANAGER)
    response = client.post(f"{URL}{suggestion.id}/dismiss/", {"reason": "A one-off spike"}, format="json")
    assert response.status_code == 200, response.json()
    row = response.json()
    assert (row["status"], row["decided_by"], row["decision_reason"]) == ("dismissed", user.username, "A one-off spike")
    assert row["decided_at"] is not None
    assert Product.objects.get(pk=suggestion.product_id).stage == Stage.LAUNCH


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}, {"reason": ["x"]}])
def test_dismiss_without_a_reason_is_a_400_and_changes_nothing(portfolio, suggestion, body):
    client, _ = client_for(portfolio, Role.ADMIN)
    response = client.post(f"{URL}{suggestion.id}/dismiss/", body, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    suggestion.refresh_from_db()
    assert suggestion.status == "pending" and not DomainEvent.objects.exists()


@pytest.mark.parametrize("action", ["accept", "dismiss"])
def test_a_lone_surrogate_in_the_reason_is_a_400(portfolio, suggestion, action):
    client, _ = client_for(portfolio, Role.ADMIN)
    response = client.post(
        f"{URL}{suggestion.id}/{action}/", '{"reason": "bad \\ud800 text"}', content_type="application/json"
    )
    assert response.status_code == 400 and "surrogate" in response.json()["detail"]  # the JSON parser's
    suggestion.refresh_from_db()
    assert suggestion.status == "pending"


def test_dismissing_a_dismissed_suggestion_is_a_409(portfolio, suggestion):
    client, _ = client_for(portfolio, Role.ADMIN)
    client.post(f"{URL}{suggestion.id}/dismiss/", {"reason": "No"}, format="json")
    assert client.post(f"{URL}{suggestion.id}/dismiss/", {"reason": "No"}, format="json").status_code == 409


# --- cost ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?status=dismissed", "?format=csv"])
def test_the_list_costs_the_same_queries_at_ten_times_the_data(query):
    counts = []
    for n in (3, 30):
        portfolio = PortfolioFactory()
        rule = LifecycleRuleFactory(portfolio=portfolio, mode="suggest")
        decider = member(portfolio, Role.PRODUCT_MANAGER)
        for i in range(n):
            StageSuggestionFactory(
                product=ProductFactory(portfolio=portfolio, stage=Stage.LAUNCH),
                rule=rule,
                status="dismissed" if i % 2 else "pending",
                decided_by=decider if i % 2 else None,
            )
        client, _ = client_for(portfolio, Role.VIEWER)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{URL}{query}")
            if query == "?format=csv":
                b"".join(response.streaming_content)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] and counts[0] <= 6, counts
