"""The demo's documents (roadmap.demo_documents.seed_documents): a PRD in three versions with review
comments (one resolved), an interview linked to its feedback, a concept linked to an idea, a beta-test
report, an MRD in review; through the services; nothing added the second time."""

import datetime

import pytest

from products.models import Document, DocumentVersion, DomainEvent, Role
from roadmap.demo_documents import seed_documents
from tests.factories import (
    FeedbackFactory,
    IdeaFactory,
    MembershipFactory,
    PortfolioFactory,
    ProductFactory,
    RoadmapItemFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def portfolio():
    portfolio = PortfolioFactory()
    fieldkit = ProductFactory(portfolio=portfolio, name="FieldKit")
    docflow = ProductFactory(portfolio=portfolio, name="DocFlow")
    FeedbackFactory(product=fieldkit, customer="Kessler Elevators", source="support")
    FeedbackFactory(product=fieldkit, customer="Kessler Elevators", source="beta")
    FeedbackFactory(product=fieldkit, customer="Stadtwerke Ulm", source="interview")
    FeedbackFactory(product=docflow, customer="Alder Bank", source="sales")
    IdeaFactory(product=fieldkit, title="Voice notes that transcribe once back online")
    for title in (
        "Offline-first checklists",
        "Offline sync with conflict resolution",
        "Works 72 hours without a signal",
    ):
        RoadmapItemFactory(product=fieldkit, title=title)
    MembershipFactory(portfolio=portfolio, user=UserFactory(username="priya"), role=Role.PRODUCT_MANAGER)
    return portfolio


@pytest.fixture
def seeded(portfolio):
    seed_documents(portfolio=portfolio, actor=member(portfolio, Role.ADMIN), today=TODAY)
    return {d.kind: d for d in Document.objects.filter(product__portfolio=portfolio)}


def test_the_demo_has_a_document_of_each_research_kind(seeded):
    assert set(seeded) == {"prd", "interview", "concept", "beta_test", "mrd"}


def test_the_prd_has_three_versions_and_is_approved(seeded):
    prd = seeded["prd"]
    assert (prd.version, prd.status) == (3, "approved")
    assert list(DocumentVersion.objects.filter(document=prd).order_by("version").values_list("version", flat=True)) == [
        1,
        2,
        3,
    ]
    assert "# Success metrics" in prd.body and "# Release criteria" in prd.body


def test_the_prd_has_review_comments_one_resolved_by_a_colleague(seeded):
    comments = list(seeded["prd"].comments.order_by("id"))
    assert [(c.version, c.resolved) for c in comments] == [(1, True), (2, False)]
    assert {c.author.username for c in comments} == {"priya"}


def test_the_prd_links_the_roadmap_items_it_specifies(seeded):
    titles = set(seeded["prd"].roadmap_items.values_list("title", flat=True))
    assert "Works 72 hours without a signal" in titles and len(titles) == 3


def test_the_interview_links_its_feedback_and_the_concept_its_idea(seeded):
    assert seeded["interview"].feedback.get().customer == "Stadtwerke Ulm"
    assert seeded["concept"].ideas.get().title.startswith("Voice notes")
    assert seeded["beta_test"].feedback.get().source == "beta"


def test_the_mrd_is_in_review(seeded):
    assert seeded["mrd"].status == "in_review"
    assert seeded["mrd"].comments.count() == 1


def test_every_document_was_written_by_a_service(seeded):
    for document in seeded.values():
        assert DomainEvent.objects.filter(
            object_type="document", object_id=document.id, verb="document.created"
        ).exists()


def test_the_second_run_writes_nothing(portfolio):
    actor = member(portfolio, Role.ADMIN)
    first = seed_documents(portfolio=portfolio, actor=actor, today=TODAY)
    events = DomainEvent.objects.count()
    assert first["documents"] == 5 and first["versions"] == 2 and first["comments"] == 3
    assert not any(seed_documents(portfolio=portfolio, actor=actor, today=TODAY).values())
    assert DomainEvent.objects.count() == events


def test_missing_products_and_links_are_skipped():
    portfolio = PortfolioFactory()
    ProductFactory(portfolio=portfolio, name="DocFlow")
    counts = seed_documents(portfolio=portfolio, actor=member(portfolio, Role.ADMIN), today=TODAY)
    assert (counts["documents"], counts["links"]) == (1, 0)
