"""The documents API (API-CONTRACT.md, "Strategic"): contract fields, versions (+ 1 on a new title or body),
the archived rule as a 409, links of the same portfolio, review comments, versions and the diff, roles
before the body, another portfolio's documents, conditional writes, filters, search, the CSV, and query
counts that do not grow with the list."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from products.models import Document, DocumentComment, DocumentVersion, DomainEvent, Role
from products.services import documents as services
from roadmap.services import documents as roadmap_documents
from tests.factories import (
    DocumentCommentFactory,
    DocumentFactory,
    FeedbackFactory,
    IdeaFactory,
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    RoadmapItemFactory,
    member,
)

pytestmark = pytest.mark.django_db

DOCS = "/api/v1/documents/"
CONTRACT = {
    "id", "product", "kind", "title", "body", "status", "version", "updated_by", "updated_at", "ideas", "feedback",
    "roadmap_items",
}  # fmt: skip


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Tracker")


def client_for(portfolio, role) -> APIClient:
    client = APIClient()
    client.force_authenticate(member(portfolio, role))
    return client


@pytest.fixture
def manager(portfolio):
    return client_for(portfolio, Role.PRODUCT_MANAGER)


def _prd(product, **fields):
    fields = {"kind": "prd", "title": "Offline PRD", "body": "# Problem\n\nDrivers lose signal.", **fields}
    return services.document_create(product=product, **fields)


def _body(product, **fields):
    return {"product": product.id, "kind": "prd", "title": "Offline PRD", "body": "# Problem", **fields}


# --- create, read, change -----------------------------------------------------------------------------


def test_create_answers_the_contract_fields_at_version_one(manager, product):
    response = manager.post(DOCS, _body(product), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) >= CONTRACT
    assert (data["version"], data["status"], data["open_comments"]) == (1, "draft", 0)
    assert data["updated_by"] is not None
    assert DocumentVersion.objects.filter(document_id=data["id"], version=1).exists()


def test_create_links_ideas_feedback_and_roadmap_items(manager, product):
    idea, feedback, item = (
        IdeaFactory(product=product),
        FeedbackFactory(product=product),
        RoadmapItemFactory(product=product),
    )
    body = _body(product, ideas=[idea.id], feedback=[feedback.id], roadmap_items=[item.id])
    data = manager.post(DOCS, body, format="json").json()
    assert (data["ideas"], data["feedback"], data["roadmap_items"]) == ([idea.id], [feedback.id], [item.id])


def test_the_body_keeps_its_leading_indentation(manager, product):
    data = manager.post(DOCS, _body(product, body="    indented code"), format="json").json()
    assert data["body"] == "    indented code"


def test_a_new_body_is_the_next_version(manager, product):
    document = _prd(product)
    data = manager.patch(f"{DOCS}{document.id}/", {"body": "# Problem\n\nMore."}, format="json").json()
    assert data["version"] == 2


def test_a_status_change_keeps_the_version(manager, product):
    document = _prd(product)
    data = manager.patch(f"{DOCS}{document.id}/", {"status": "in_review"}, format="json").json()
    assert (data["status"], data["version"]) == ("in_review", 1)


def test_changing_an_archived_document_is_a_409_naming_its_status(manager, product):
    document = _prd(product, status="archived")
    response = manager.patch(f"{DOCS}{document.id}/", {"title": "New"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "archived"
    assert response.json()["status"] == "archived"
    assert Document.objects.get(pk=document.pk).title == "Offline PRD"


def test_an_archived_document_set_back_to_draft_is_editable(manager, product):
    document = _prd(product, status="archived")
    response = manager.patch(f"{DOCS}{document.id}/", {"status": "draft", "title": "New"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("draft", 2)


def test_put_with_the_same_values_changes_nothing(manager, product):
    document = _prd(product)
    read = manager.get(f"{DOCS}{document.id}/").json()
    body = {name: read[name] for name in ("product", "kind", "title", "body", "status", "ideas", "feedback")}
    assert manager.put(f"{DOCS}{document.id}/", body, format="json").json()["version"] == 1


def test_a_stale_if_match_is_a_412_and_writes_nothing(manager, product):
    document = _prd(product)
    etag = manager.get(f"{DOCS}{document.id}/")["ETag"]
    services.document_update(document_id=document.id, title="Changed meanwhile")
    response = manager.patch(f"{DOCS}{document.id}/", {"body": "Mine"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert Document.objects.get(pk=document.pk).body.startswith("# Problem")


def test_the_current_etag_lets_the_write_through(manager, product):
    document = _prd(product)
    etag = manager.get(f"{DOCS}{document.id}/")["ETag"]
    assert (
        manager.patch(f"{DOCS}{document.id}/", {"body": "Mine"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    )


def test_delete_removes_it_with_its_versions(manager, product):
    document = _prd(product)
    assert manager.delete(f"{DOCS}{document.id}/").status_code == 204
    assert not DocumentVersion.objects.exists()


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"body": "x" * 200_001}, "body"),
        ({"body": "a\x00b"}, "body"),
        ({"kind": "memo"}, "kind"),
        ({"status": "published"}, "status"),
        ({"ideas": [True]}, "ideas"),
        ({"roadmap_items": "1"}, "roadmap_items"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_writes_nothing(manager, product, fields, field):
    response = manager.post(DOCS, _body(product, **fields), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Document.objects.exists()
    assert not DomainEvent.objects.exists()


def test_a_lone_surrogate_is_a_400(manager, product):
    raw = '{"product": PRODUCT, "kind": "prd", "title": "T", "body": "\\ud800"}'.replace("PRODUCT", str(product.id))
    response = manager.post(DOCS, raw, content_type="application/json")
    assert response.status_code == 400
    assert not Document.objects.exists()


@pytest.mark.parametrize("name", ["ideas", "feedback", "roadmap_items"])
def test_a_link_of_another_portfolio_is_a_400_on_its_field(manager, product, name):
    factory = {"ideas": IdeaFactory, "feedback": FeedbackFactory, "roadmap_items": RoadmapItemFactory}[name]
    response = manager.post(DOCS, _body(product, **{name: [factory().id]}), format="json")
    assert response.status_code == 400
    assert name in response.json()


def test_a_link_of_the_users_other_portfolio_is_a_400_on_its_field(manager, product):
    other = ProductFactory()
    client = APIClient()
    user = member(product.portfolio, Role.ADMIN)
    MembershipFactory(user=user, portfolio=other.portfolio, role=Role.ADMIN)
    client.force_authenticate(user)
    response = client.post(DOCS, _body(product, roadmap_items=[RoadmapItemFactory(product=other).id]), format="json")
    assert response.status_code == 400
    assert response.json()["roadmap_items"] == ["Choose roadmap items of this portfolio."]


def test_a_document_stays_with_its_product(manager, product, portfolio):
    document = _prd(product)
    other = ProductFactory(portfolio=portfolio)
    response = manager.patch(f"{DOCS}{document.id}/", {"product": other.id}, format="json")
    assert response.status_code == 400


# --- roles and portfolios -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected", [(Role.ADMIN, 201), (Role.PRODUCT_MANAGER, 201), (Role.MARKETER, 403), (Role.VIEWER, 403)]
)
def test_admins_and_product_managers_write_documents(portfolio, product, role, expected):
    assert client_for(portfolio, role).post(DOCS, _body(product), format="json").status_code == expected


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_a_reader_is_refused_before_the_body_is_read(portfolio, product, role):
    document = _prd(product)
    client = client_for(portfolio, role)
    assert client.patch(f"{DOCS}{document.id}/", "{not json", content_type="application/json").status_code == 403
    assert (
        client.post(f"{DOCS}{document.id}/comments/", "{not json", content_type="application/json").status_code == 403
    )


def test_another_portfolios_document_is_a_404_everywhere(product):
    document = _prd(product)
    comment = DocumentCommentFactory(document=document)
    stranger = client_for(PortfolioFactory(), Role.ADMIN)
    for url in ("", "versions/", "versions/1/", "diff/", "comments/"):
        assert stranger.get(f"{DOCS}{document.id}/{url}").status_code == 404
    assert stranger.patch(f"{DOCS}{document.id}/", {"title": "x"}, format="json").status_code == 404
    assert stranger.post(f"{DOCS}{document.id}/comments/", {"body": "x"}, format="json").status_code == 404
    assert stranger.post(f"{DOCS}{document.id}/comments/{comment.id}/resolve/", {}, format="json").status_code == 404
    assert stranger.get(DOCS).json()["count"] == 0


# --- versions and the diff ----------------------------------------------------------------------------


def _three_versions(product):
    document = _prd(product, body="Drivers lose signal. Maps fail.")
    services.document_update(document_id=document.id, body="Drivers lose signal. Maps load.")
    services.document_update(document_id=document.id, title="Offline mode PRD")
    return document


def test_versions_list_newest_first_without_bodies(manager, product):
    document = _three_versions(product)
    data = manager.get(f"{DOCS}{document.id}/versions/").json()
    assert [row["version"] for row in data["results"]] == [3, 2, 1]
    assert "body" not in data["results"][0]


def test_one_version_has_its_body(manager, product):
    document = _three_versions(product)
    data = manager.get(f"{DOCS}{document.id}/versions/1/").json()
    assert (data["version"], data["body"], data["title"]) == (1, "Drivers lose signal. Maps fail.", "Offline PRD")


@pytest.mark.parametrize("number", ["0", "4", "99999999999999999999"])
def test_a_version_it_does_not_have_is_a_404(manager, product, number):
    document = _three_versions(product)
    assert manager.get(f"{DOCS}{document.id}/versions/{number}/").status_code == 404


def test_the_diff_defaults_to_the_previous_version(manager, product):
    document = _three_versions(product)
    data = manager.get(f"{DOCS}{document.id}/diff/").json()
    assert (data["from"]["version"], data["to"]["version"]) == (2, 3)
    assert data["fields"]["title"]["changed"] is True
    assert data["fields"]["body"]["changed"] is False


def test_the_diff_between_any_two_versions_shows_the_changed_words(manager, product):
    document = _three_versions(product)
    data = manager.get(f"{DOCS}{document.id}/diff/?from=1&to=2").json()
    ops = data["fields"]["body"]["ops"]
    assert {"op": "delete", "text": "fail"} in ops
    assert {"op": "insert", "text": "load"} in ops


@pytest.mark.parametrize("query", ["from=0", "from=4", "to=x", "from=1.5", "to=-1"])
def test_a_bad_version_in_the_diff_is_a_400_on_its_name(manager, product, query):
    document = _three_versions(product)
    response = manager.get(f"{DOCS}{document.id}/diff/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == {query.split("=")[0]}


# --- review comments ----------------------------------------------------------------------------------


def test_a_comment_is_added_on_the_current_version(manager, product):
    document = _three_versions(product)
    response = manager.post(f"{DOCS}{document.id}/comments/", {"body": "Name the KPIs"}, format="json")
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["resolved"]) == (3, False)
    assert manager.get(f"{DOCS}{document.id}/").json()["open_comments"] == 1


def test_comments_list_oldest_first(manager, product):
    document = _prd(product)
    first, second = DocumentCommentFactory(document=document), DocumentCommentFactory(document=document)
    ids = [row["id"] for row in manager.get(f"{DOCS}{document.id}/comments/").json()["results"]]
    assert ids == [first.id, second.id]


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "x" * 10_001}, {"body": "a\x00"}])
def test_a_bad_comment_is_a_400(manager, product, body):
    document = _prd(product)
    response = manager.post(f"{DOCS}{document.id}/comments/", body, format="json")
    assert response.status_code == 400
    assert "body" in response.json()
    assert not DocumentComment.objects.exists()


def test_a_comment_on_an_archived_document_is_a_409(manager, product):
    document = _prd(product, status="archived")
    assert manager.post(f"{DOCS}{document.id}/comments/", {"body": "x"}, format="json").status_code == 409


def test_resolving_and_reopening_a_comment(manager, product):
    comment = DocumentCommentFactory(document=_prd(product))
    url = f"{DOCS}{comment.document_id}/comments/{comment.id}/resolve/"
    assert manager.post(url, {}, format="json").json()["resolved"] is True
    assert manager.post(url, {"resolved": False}, format="json").json()["resolved"] is False


def test_resolving_a_comment_of_another_document_is_a_404(manager, product):
    comment = DocumentCommentFactory(document=_prd(product))
    other = _prd(product, title="Other")
    response = manager.post(f"{DOCS}{other.id}/comments/{comment.id}/resolve/", {}, format="json")
    assert response.status_code == 404
    assert DocumentComment.objects.get(pk=comment.pk).resolved is False


# --- filters, search, CSV -----------------------------------------------------------------------------


def test_search_finds_title_and_body(manager, product):
    _prd(product, title="Offline mode")
    _prd(product, title="Other", body="Works offline too")
    _prd(product, title="Dark mode", body="Night")
    titles = {row["title"] for row in manager.get(f"{DOCS}?search=offline").json()["results"]}
    assert titles == {"Offline mode", "Other"}


def test_filters_by_link_kind_and_status(manager, product):
    idea, feedback, item = (
        IdeaFactory(product=product),
        FeedbackFactory(product=product),
        RoadmapItemFactory(product=product),
    )
    linked = roadmap_documents.document_create(
        product=product, kind="concept", title="Linked", ideas=[idea], feedback=[feedback], roadmap_items=[item]
    )
    _prd(product, title="Plain", status="in_review")
    for query in (f"idea={idea.id}", f"feedback={feedback.id}", f"roadmap_item={item.id}", "kind=concept"):
        assert [row["id"] for row in manager.get(f"{DOCS}?{query}").json()["results"]] == [linked.id], query
    assert [row["title"] for row in manager.get(f"{DOCS}?status=in_review").json()["results"]] == ["Plain"]


@pytest.mark.parametrize("query", ["kind=memo", "status=done", "idea=x", "product=-1"])
def test_a_bad_filter_is_a_400(manager, query):
    assert manager.get(f"{DOCS}?{query}").status_code == 400


def test_ordering_by_title(manager, product):
    _prd(product, title="B")
    _prd(product, title="A")
    assert [row["title"] for row in manager.get(f"{DOCS}?ordering=title").json()["results"]] == ["A", "B"]


def test_the_csv_lists_every_matching_document(manager, product):
    document = roadmap_documents.document_create(
        product=product, kind="prd", title="=Formula", ideas=[IdeaFactory(product=product)]
    )
    response = manager.get(f"{DOCS}?format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(row["id"], row["title"], row["version"]) for row in rows] == [(str(document.id), "'=Formula", "1")]


def test_csv_is_the_lists_only(manager, product):
    assert manager.get(f"{DOCS}{_prd(product).id}/?format=csv").status_code == 404


# --- the cost of a list -------------------------------------------------------------------------------


def _fill(portfolio, n: int) -> None:
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        idea, feedback = IdeaFactory(product=product), FeedbackFactory(product=product)
        item = RoadmapItemFactory(product=product)
        for status in ("draft", "approved"):
            document = roadmap_documents.document_create(
                product=product, kind="prd", title=f"{status} doc", status=status, ideas=[idea], feedback=[feedback],
                roadmap_items=[item],
            )  # fmt: skip
            services.document_update(document_id=document.id, body="second version")
            services.document_comment_add(document_id=document.id, body="A comment")
            DocumentFactory(product=product)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
@pytest.mark.parametrize(
    "url", [DOCS, f"{DOCS}?status=approved&search=doc", f"{DOCS}?ordering=-open_comments", f"{DOCS}?format=csv"]
)
def test_list_queries_do_not_grow_with_the_data(url, role):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        client = client_for(portfolio, role)
        _fill(portfolio, n)
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts


def test_versions_and_comments_queries_do_not_grow(portfolio, product):
    client = client_for(portfolio, Role.VIEWER)
    client.get(DOCS)  # the role is looked up once per user
    counts = []
    for n in (1, 10):
        document = _prd(product, title=f"n{n}")
        for i in range(n):
            services.document_update(document_id=document.id, body=f"version {i}")
            services.document_comment_add(
                document_id=document.id, body=f"comment {i}", actor=member(portfolio, Role.ADMIN)
            )
        counts.append(
            (_queries(client, f"{DOCS}{document.id}/versions/"), _queries(client, f"{DOCS}{document.id}/comments/"))
        )
    assert counts[0] == counts[1], counts
