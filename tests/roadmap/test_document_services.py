"""Document services: versions (+ 1 on a new title or body only, each kept), the archived rule, review
comments, links of the same portfolio (ideas, feedback, roadmap items), bad input, the events, the diff."""

import pytest

from pmflow.errors import InvalidInput, NotFound
from products.models import Document, DocumentComment, DocumentVersion, DomainEvent
from products.services import documents as services
from roadmap.services import documents as roadmap_documents
from tests.factories import (
    DocumentCommentFactory,
    DocumentFactory,
    FeedbackFactory,
    IdeaFactory,
    ProductFactory,
    RoadmapItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(name="Tracker")


@pytest.fixture
def author():
    return UserFactory(username="paula")


def _prd(product, author, **fields):
    fields = {"kind": "prd", "title": "Offline PRD", "body": "# Problem\n\nDrivers lose signal.", **fields}
    return services.document_create(product=product, actor=author, **fields)


def _verbs(document) -> list[str]:
    return list(
        DomainEvent.objects.filter(object_type="document", object_id=document.id)
        .order_by("id")
        .values_list("verb", flat=True)
    )


# --- create -------------------------------------------------------------------------------------------


def test_create_writes_version_one_and_its_row(product, author):
    document = _prd(product, author)
    row = DocumentVersion.objects.get(document=document)
    assert (document.version, document.status, document.updated_by) == (1, "draft", author)
    assert (row.version, row.title, row.body, row.author) == (1, "Offline PRD", document.body, author)


def test_create_records_one_event(product, author):
    document = _prd(product, author)
    event = DomainEvent.objects.get(object_type="document", object_id=document.id)
    assert event.verb == "document.created"
    assert event.changes["version"] == [None, 1]


def test_create_links_ideas_feedback_and_roadmap_items(product, author):
    idea, feedback = IdeaFactory(product=product), FeedbackFactory(product=product)
    item = RoadmapItemFactory(product=product)
    document = roadmap_documents.document_create(
        product=product, actor=author, kind="concept", title="Concept", ideas=[idea], feedback=[feedback],
        roadmap_items=[item, item],
    )  # fmt: skip
    assert list(document.ideas.all()) == [idea]
    assert list(document.feedback.all()) == [feedback]
    assert list(document.roadmap_items.all()) == [item]
    assert DomainEvent.objects.get(object_id=document.id, object_type="document").changes["roadmap_items"] == [
        [],
        [item.id],
    ]


@pytest.mark.parametrize("name", ["ideas", "feedback", "roadmap_items"])
def test_a_link_of_another_portfolio_is_refused_on_its_field(product, author, name):
    factory = {"ideas": IdeaFactory, "feedback": FeedbackFactory, "roadmap_items": RoadmapItemFactory}[name]
    with pytest.raises(InvalidInput) as refused:
        roadmap_documents.document_create(product=product, actor=author, kind="prd", title="T", **{name: [factory()]})
    assert set(refused.value.fields) == {name}
    assert not Document.objects.exists()


def test_bad_roadmap_items_and_a_bad_title_are_reported_together(product, author):
    with pytest.raises(InvalidInput) as refused:
        roadmap_documents.document_create(
            product=product, actor=author, kind="prd", title="", roadmap_items=[RoadmapItemFactory()]
        )
    assert set(refused.value.fields) == {"title", "roadmap_items"}


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"body": "x" * 200_001}, "body"),
        ({"body": "a\x00b"}, "body"),
        ({"body": "lone \ud800 surrogate"}, "body"),
        ({"title": "lone \udfff"}, "title"),
        ({"kind": "memo"}, "kind"),
        ({"status": "published"}, "status"),
        ({"body": 12}, "body"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(product, author, fields, field):
    with pytest.raises(InvalidInput) as refused:
        _prd(product, author, **fields)
    assert field in refused.value.fields
    assert not Document.objects.exists()
    assert not DomainEvent.objects.exists()


def test_a_body_of_200000_characters_is_accepted(product, author):
    assert len(_prd(product, author, body="x" * 200_000).body) == 200_000


def test_the_body_keeps_its_indentation_and_loses_windows_line_endings(product, author):
    document = _prd(product, author, body="    code block\r\nnext line\r\n\r\n")
    assert document.body == "    code block\nnext line"


# --- versions -----------------------------------------------------------------------------------------


def test_a_new_body_makes_the_next_version_and_keeps_both(product, author):
    document = _prd(product, author)
    editor = UserFactory()
    services.document_update(document_id=document.id, actor=editor, body="# Problem\n\nDrivers lose signal daily.")
    document.refresh_from_db()
    assert (document.version, document.updated_by) == (2, editor)
    rows = list(DocumentVersion.objects.filter(document=document).order_by("version").values_list("version", "author"))
    assert rows == [(1, author.id), (2, editor.id)]


def test_a_new_title_makes_the_next_version(product, author):
    document = _prd(product, author)
    services.document_update(document_id=document.id, actor=author, title="Offline mode PRD")
    assert Document.objects.get(pk=document.pk).version == 2


@pytest.mark.parametrize("fields", [{"status": "in_review"}, {"kind": "mrd"}, {"ideas": []}])
def test_status_kind_or_links_alone_keep_the_version(product, author, fields):
    document = _prd(product, author, ideas=[IdeaFactory(product=product)])
    services.document_update(document_id=document.id, actor=author, **fields)
    assert Document.objects.get(pk=document.pk).version == 1
    assert DocumentVersion.objects.filter(document=document).count() == 1


def test_the_same_values_change_nothing_and_record_nothing(product, author):
    document = _prd(product, author)
    services.document_update(document_id=document.id, actor=UserFactory(), title=" Offline PRD ", body=document.body)
    document.refresh_from_db()
    assert (document.version, document.updated_by) == (1, author)
    assert _verbs(document) == ["document.created"]


def test_an_update_records_the_body_by_size_and_the_version(product, author):
    document = _prd(product, author, body="abc")
    services.document_update(document_id=document.id, actor=author, body="abcdef")
    event = DomainEvent.objects.filter(object_type="document", verb="document.updated").get()
    assert event.changes["body"] == ["3 characters", "6 characters"]
    assert event.changes["version"] == [1, 2]


def test_a_document_without_its_version_row_keeps_it_before_the_next(product, author):
    document = DocumentFactory(product=product, title="Old", body="old body")
    services.document_update(document_id=document.id, actor=author, body="new body")
    rows = dict(DocumentVersion.objects.filter(document=document).values_list("version", "body"))
    assert rows == {1: "old body", 2: "new body"}


def test_versions_of_a_factory_document_show_its_current_version(product):
    document = DocumentFactory(product=product, title="Old")
    assert [v.version for v in services.versions_of(document)] == [1]
    assert services.version_of(document, 1).title == "Old"


@pytest.mark.parametrize("number", [0, 3, -1, True, "1"])
def test_a_version_it_does_not_have_is_not_found(product, author, number):
    document = _prd(product, author)
    services.document_update(document_id=document.id, actor=author, title="Second")
    with pytest.raises(NotFound):
        services.version_of(Document.objects.get(pk=document.pk), number)


# --- status and the archived rule ---------------------------------------------------------------------


@pytest.mark.parametrize("status", ["in_review", "approved", "archived"])
def test_a_draft_moves_to_any_status(product, author, status):
    document = _prd(product, author)
    services.document_set_status(document_id=document.id, status=status, actor=author)
    assert Document.objects.get(pk=document.pk).status == status


def test_an_approved_document_moves_back_to_review(product, author):
    document = _prd(product, author, status="approved")
    services.document_set_status(document_id=document.id, status="in_review", actor=author)
    assert Document.objects.get(pk=document.pk).status == "in_review"


@pytest.mark.parametrize(
    "fields", [{"title": "New"}, {"body": "New"}, {"kind": "mrd"}, {"status": "approved"}, {"status": "in_review"}]
)
def test_an_archived_document_refuses_changes_with_409(product, author, fields):
    document = _prd(product, author, status="archived")
    with pytest.raises(services.DocumentArchived) as refused:
        services.document_update(document_id=document.id, actor=author, **fields)
    assert refused.value.status == 409
    assert refused.value.details == {"status": "archived"}
    assert Document.objects.get(pk=document.pk).version == 1


def test_an_archived_document_refuses_new_roadmap_items(product, author):
    document = _prd(product, author, status="archived")
    with pytest.raises(services.DocumentArchived):
        roadmap_documents.document_update(
            document_id=document.id, actor=author, roadmap_items=[RoadmapItemFactory(product=product)]
        )
    assert not document.roadmap_items.exists()


def test_an_archived_document_set_back_to_draft_may_change_at_once(product, author):
    document = _prd(product, author, status="archived")
    services.document_update(document_id=document.id, actor=author, status="draft", title="Revived")
    document.refresh_from_db()
    assert (document.status, document.title, document.version) == ("draft", "Revived", 2)


def test_an_archived_document_accepts_a_write_that_changes_nothing(product, author):
    document = _prd(product, author, status="archived")
    services.document_update(document_id=document.id, actor=author, title="Offline PRD", status="archived")
    assert _verbs(document) == ["document.created"]


def test_an_archived_document_can_be_deleted(product, author):
    document = _prd(product, author, status="archived")
    assert services.document_delete(document_id=document.id, actor=author) == "Offline PRD"
    assert not Document.objects.exists()
    assert _verbs(document) == ["document.created", "document.deleted"]


# --- review comments ----------------------------------------------------------------------------------


def test_a_comment_is_written_on_the_current_version(product, author):
    document = _prd(product, author)
    services.document_update(document_id=document.id, actor=author, body="Second")
    comment = services.document_comment_add(document_id=document.id, body=" Needs metrics ", actor=author)
    assert (comment.version, comment.body, comment.author, comment.resolved) == (2, "Needs metrics", author, False)
    assert _verbs(document)[-1] == "document.commented"


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001, "a\x00", "\ud800"])
def test_a_bad_comment_is_refused(product, author, body):
    document = _prd(product, author)
    with pytest.raises(InvalidInput) as refused:
        services.document_comment_add(document_id=document.id, body=body, actor=author)
    assert set(refused.value.fields) == {"body"}
    assert not DocumentComment.objects.exists()


def test_a_comment_on_an_archived_document_is_refused(product, author):
    document = _prd(product, author, status="archived")
    with pytest.raises(services.DocumentArchived):
        services.document_comment_add(document_id=document.id, body="Late", actor=author)


def test_resolving_and_reopening_a_comment(product, author):
    comment = DocumentCommentFactory(document=_prd(product, author))
    services.document_comment_resolve(comment_id=comment.id, actor=author)
    assert DocumentComment.objects.get(pk=comment.pk).resolved is True
    services.document_comment_resolve(comment_id=comment.id, resolved=False, actor=author)
    assert DocumentComment.objects.get(pk=comment.pk).resolved is False
    assert _verbs(comment.document)[-2:] == ["document.comment_resolved", "document.comment_reopened"]


def test_resolving_a_resolved_comment_records_nothing(product, author):
    comment = DocumentCommentFactory(document=_prd(product, author), resolved=True)
    services.document_comment_resolve(comment_id=comment.id, actor=author)
    assert _verbs(comment.document) == ["document.created"]


def test_resolving_a_missing_comment_is_not_found():
    with pytest.raises(NotFound):
        services.document_comment_resolve(comment_id=987654)


# --- the diff -----------------------------------------------------------------------------------------


def test_the_diff_marks_the_changed_words_of_title_and_body(product, author):
    document = _prd(product, author, body="Drivers lose signal. Maps fail.")
    services.document_update(
        document_id=document.id, actor=author, title="Offline mode PRD", body="Drivers lose signal. Maps load."
    )
    document.refresh_from_db()
    result = services.with_html(
        services.document_diff(services.version_of(document, 1), services.version_of(document, 2))
    )
    assert result["changed"] is True
    assert (result["from"]["version"], result["to"]["version"]) == (1, 2)
    assert "<del>fail</del><ins>load</ins>" in str(result["fields"]["body"]["html"])
    assert "<ins>mode </ins>" in str(result["fields"]["title"]["html"])


def test_the_diff_escapes_the_text(product, author):
    document = _prd(product, author, body="a")
    services.document_update(document_id=document.id, actor=author, body="<script>x</script>")
    document.refresh_from_db()
    result = services.with_html(
        services.document_diff(services.version_of(document, 1), services.version_of(document, 2))
    )
    assert "<script>" not in str(result["fields"]["body"]["html"])
