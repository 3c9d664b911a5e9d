"""Document pages: the list (search, filters, badges, empty states, CSV), a document's page (sanitised
Markdown, status buttons, comments), the forms (templates, errors, the archived rule, the preview), the
versions and the diff; roles before forms; query counts that do not grow with the list or the page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.document_templates import INTERVIEW_GUIDE, PRD
from products.models import Document, DocumentComment, DomainEvent, Role
from products.services import documents as services
from roadmap.services import documents as roadmap_documents
from tests.factories import (
    DocumentCommentFactory,
    FeedbackFactory,
    IdeaFactory,
    PortfolioFactory,
    ProductFactory,
    RoadmapItemFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Acme")


@pytest.fixture
def product(portfolio):
    return ProductFactory(portfolio=portfolio, name="Tracker")


def client_for(portfolio, role) -> Client:
    client = Client()
    client.force_login(member(portfolio, role))
    return client


@pytest.fixture
def manager(portfolio):
    return client_for(portfolio, Role.PRODUCT_MANAGER)


@pytest.fixture
def viewer(portfolio):
    return client_for(portfolio, Role.VIEWER)


def _prd(product, **fields):
    fields = {"kind": "prd", "title": "Offline PRD", "body": "# Problem\n\nDrivers lose signal.", **fields}
    return services.document_create(product=product, **fields)


def _list(portfolio, query=""):
    return reverse("document-list", args=[portfolio.id]) + query


# --- the list -----------------------------------------------------------------------------------------


def test_the_list_shows_kind_status_version_and_who_changed_it(manager, portfolio, product):
    author = member(portfolio, Role.PRODUCT_MANAGER)
    services.document_create(product=product, kind="mrd", title="Market MRD", status="in_review", actor=author)
    html = manager.get(_list(portfolio)).content.decode()
    assert "Market MRD" in html
    assert 'class="doc-kind doc-kind-mrd">MRD<' in html
    assert 'class="doc-status doc-status-in_review">In review<' in html
    assert f"by {author.username}" in html


def test_search_finds_title_and_text(manager, portfolio, product):
    _prd(product, title="Offline mode")
    _prd(product, title="Other", body="Works offline too")
    _prd(product, title="Dark mode", body="Night")
    html = manager.get(_list(portfolio, "?search=OFFLINE")).content.decode()
    assert "Offline mode" in html and "Other" in html and "Dark mode" not in html


@pytest.mark.parametrize("name", ["idea", "feedback", "roadmap_item"])
def test_a_link_narrows_the_list_and_says_so(manager, portfolio, product, name):
    idea, feedback, item = (
        IdeaFactory(product=product),
        FeedbackFactory(product=product),
        RoadmapItemFactory(product=product),
    )
    roadmap_documents.document_create(
        product=product, kind="concept", title="Linked one", ideas=[idea], feedback=[feedback], roadmap_items=[item]
    )
    _prd(product, title="Unlinked one")
    target = {"idea": idea, "feedback": feedback, "roadmap_item": item}[name]
    html = manager.get(_list(portfolio, f"?{name}={target.id}")).content.decode()
    assert "Linked one" in html and "Unlinked one" not in html
    assert "Linked to" in html


def test_filters_by_kind_and_status(manager, portfolio, product):
    _prd(product, title="The PRD")
    _prd(product, title="The MRD", kind="mrd", status="approved")
    html = manager.get(_list(portfolio, "?kind=mrd&status=approved")).content.decode()
    assert "The MRD" in html and "The PRD" not in html


def test_a_bad_filter_is_ignored(manager, portfolio, product):
    _prd(product)
    response = manager.get(_list(portfolio, "?kind=memo&status=x&product=abc&idea=99999999"))
    assert response.status_code == 200
    assert "Offline PRD" in response.content.decode()


def test_the_empty_list_offers_the_templates_to_writers(manager, portfolio, product):
    html = manager.get(_list(portfolio)).content.decode()
    assert "No documents yet" in html
    assert "template=prd" in html and "template=interview_guide" in html


def test_the_empty_list_tells_readers_who_writes(viewer, portfolio, product):
    html = viewer.get(_list(portfolio)).content.decode()
    assert "Admins and product managers write documents" in html
    assert reverse("document-create") not in html


def test_the_csv_downloads_every_matching_document(manager, portfolio, product):
    _prd(product, title="The PRD")
    response = manager.get(_list(portfolio, "?format=csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,product,kind,title,status,version")
    assert "The PRD" in text


# --- one document -------------------------------------------------------------------------------------


def test_the_page_renders_the_markdown(viewer, product):
    document = _prd(product, body="# Problem\n\n**Drivers** lose signal.\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    html = viewer.get(reverse("document-page", args=[document.id])).content.decode()
    assert "<h2>Problem</h2>" in html
    assert "<strong>Drivers</strong>" in html
    assert "<table>" in html


def test_the_page_neutralises_scripts_and_dangerous_links(viewer, product):
    body = "<script>alert('x')</script>\n\n[click](javascript:alert(1))\n\n<img src=x onerror=alert(1)>"
    html = viewer.get(reverse("document-page", args=[_prd(product, body=body).id])).content.decode()
    assert "<script>alert" not in html
    assert 'href="javascript' not in html
    assert "<img src=x" not in html


def test_a_reader_sees_no_buttons(viewer, product):
    document = _prd(product)
    html = viewer.get(reverse("document-page", args=[document.id])).content.decode()
    assert reverse("document-edit", args=[document.id]) not in html
    assert reverse("document-status", args=[document.id]) not in html
    assert reverse("document-comment", args=[document.id]) not in html


def test_a_writer_sees_the_status_moves(manager, product):
    document = _prd(product)
    html = manager.get(reverse("document-page", args=[document.id])).content.decode()
    assert "Send for review" in html and "Approve" in html and "Archive" in html


def test_an_archived_document_offers_only_back_to_draft(manager, product):
    document = _prd(product, status="archived")
    html = manager.get(reverse("document-page", args=[document.id])).content.decode()
    assert "Back to draft" in html
    assert "Approve</button>" not in html
    assert reverse("document-comment", args=[document.id]) not in html


def test_the_status_button_moves_the_document(manager, product):
    document = _prd(product)
    response = manager.post(reverse("document-status", args=[document.id]), {"status": "approved"})
    assert response.status_code == 302
    assert Document.objects.get(pk=document.pk).status == "approved"


def test_a_status_an_archived_document_may_not_take_says_why(manager, product):
    document = _prd(product, status="archived")
    response = manager.post(reverse("document-status", args=[document.id]), {"status": "approved"}, follow=True)
    assert "set it back to draft" in response.content.decode()
    assert Document.objects.get(pk=document.pk).status == "archived"


def test_adding_a_comment(manager, product):
    document = _prd(product)
    response = manager.post(reverse("document-comment", args=[document.id]), {"body": "Name the KPIs"})
    assert response.status_code == 302
    assert DocumentComment.objects.get().body == "Name the KPIs"


def test_an_empty_comment_comes_back_with_its_error(manager, product):
    document = _prd(product)
    response = manager.post(reverse("document-comment", args=[document.id]), {"body": ""})
    assert response.status_code == 400
    assert 'id="comment_body_error"' in response.content.decode()


def test_resolving_a_comment_from_the_page(manager, product):
    comment = DocumentCommentFactory(document=_prd(product))
    url = reverse("document-comment-resolve", args=[comment.document_id, comment.id])
    manager.post(url, {"resolved": "true"})
    assert DocumentComment.objects.get(pk=comment.pk).resolved is True
    manager.post(url, {"resolved": "false"})
    assert DocumentComment.objects.get(pk=comment.pk).resolved is False


def test_resolving_a_comment_of_another_document_is_a_404(manager, product):
    comment = DocumentCommentFactory(document=_prd(product))
    other = _prd(product, title="Other")
    assert manager.post(reverse("document-comment-resolve", args=[other.id, comment.id]), {}).status_code == 404


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_may_not_comment_or_move_the_status(portfolio, product, role):
    document = _prd(product)
    client = client_for(portfolio, role)
    assert client.post(reverse("document-comment", args=[document.id]), {"body": "x"}).status_code == 403
    assert client.post(reverse("document-status", args=[document.id]), {"status": "approved"}).status_code == 403
    assert not DomainEvent.objects.exclude(verb="document.created").exists()


def test_another_portfolios_document_is_a_404(product):
    document = _prd(product)
    stranger = client_for(PortfolioFactory(), Role.ADMIN)
    for name in ("document-page", "document-versions", "document-diff", "document-edit"):
        assert stranger.get(reverse(name, args=[document.id])).status_code == 404


# --- create and edit ----------------------------------------------------------------------------------


def test_the_prd_template_fills_the_form(manager, portfolio, product):
    html = manager.get(f"{reverse('document-create')}?portfolio={portfolio.id}&template=prd").content.decode()
    assert "Success metrics" in html and "Release criteria" in html and "Non-goals" in html
    assert '<option value="prd" selected>' in html


def test_the_interview_guide_template_fills_the_form(manager, portfolio, product):
    url = f"{reverse('document-create')}?portfolio={portfolio.id}&template=interview_guide"
    html = manager.get(url).content.decode()
    assert "Screener" in html and "Warm-up" in html and "Wrap-up" in html
    assert '<option value="interview" selected>' in html


def test_the_templates_have_their_sections():
    for heading in ("# Problem", "# Users", "# Goals", "## Non-goals", "# Requirements", "# Success metrics",
                    "# Open questions", "# Release criteria"):  # fmt: skip
        assert heading in PRD
    assert "KPI" in PRD
    for heading in ("# Goals", "# Screener", "# Warm-up", "# Questions by topic", "# Wrap-up", "# Notes"):
        assert heading in INTERVIEW_GUIDE


def test_an_unknown_template_gives_an_empty_form(manager, portfolio, product):
    response = manager.get(f"{reverse('document-create')}?portfolio={portfolio.id}&template=nope")
    assert response.status_code == 200
    assert "Success metrics" not in response.content.decode()


def test_creating_a_document_with_links(manager, portfolio, product):
    feedback, item = FeedbackFactory(product=product), RoadmapItemFactory(product=product)
    response = manager.post(
        f"{reverse('document-create')}?portfolio={portfolio.id}",
        {"product": product.id, "kind": "interview", "title": "Interview: Acme fleet", "body": "# Notes",
         "status": "draft", "feedback": [feedback.id], "roadmap_items": [item.id]},
    )  # fmt: skip
    document = Document.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("document-page", args=[document.id])
    assert list(document.feedback.all()) == [feedback] and list(document.roadmap_items.all()) == [item]


def test_create_and_preview_comes_back_to_the_form_with_the_rendered_text(manager, portfolio, product):
    response = manager.post(
        f"{reverse('document-create')}?portfolio={portfolio.id}",
        {"product": product.id, "kind": "prd", "title": "T", "body": "**bold**", "status": "draft", "preview": "1"},
        follow=True,
    )
    html = response.content.decode()
    assert 'id="preview"' in html and "<strong>bold</strong>" in html


def test_a_bad_form_comes_back_with_field_errors(manager, portfolio, product):
    response = manager.post(
        f"{reverse('document-create')}?portfolio={portfolio.id}",
        {"product": product.id, "kind": "prd", "title": "", "body": "a\x00b", "status": "draft"},
    )
    assert response.status_code == 400
    assert not Document.objects.exists()


def test_editing_the_text_makes_the_next_version(manager, product):
    document = _prd(product)
    response = manager.post(
        reverse("document-edit", args=[document.id]),
        {"kind": "prd", "title": "Offline PRD", "body": "# Problem\n\nRevised.", "status": "draft"},
        follow=True,
    )
    assert "Saved as version 2." in response.content.decode()
    assert Document.objects.get(pk=document.pk).version == 2


def test_saving_the_form_unchanged_keeps_the_version(manager, product):
    document = _prd(product, body="    code\n\ntext")
    form = manager.get(reverse("document-edit", args=[document.id])).context["form"]
    data = {name: form.initial[name] for name in ("kind", "title", "body", "status")}
    manager.post(reverse("document-edit", args=[document.id]), {**data, "body": data["body"].replace("\n", "\r\n")})
    assert Document.objects.get(pk=document.pk).version == 1


def test_the_edit_page_of_an_archived_document_sends_back_to_its_page(manager, product):
    document = _prd(product, status="archived")
    response = manager.get(reverse("document-edit", args=[document.id]))
    assert response.status_code == 302 and response["Location"] == reverse("document-page", args=[document.id])


def test_posting_an_edit_of_an_archived_document_is_a_409_on_the_form(manager, product):
    document = _prd(product, status="archived")
    response = manager.post(
        reverse("document-edit", args=[document.id]),
        {"kind": "prd", "title": "Changed", "body": "x", "status": "archived"},
    )
    assert response.status_code == 409
    assert "set it back to draft" in response.content.decode()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_readers_may_not_open_the_forms(portfolio, product, role):
    document = _prd(product)
    client = client_for(portfolio, role)
    assert client.get(f"{reverse('document-create')}?portfolio={portfolio.id}").status_code == 403
    assert client.get(reverse("document-edit", args=[document.id])).status_code == 403
    assert client.post(reverse("document-delete", args=[document.id])).status_code == 403


def test_delete_says_what_goes_and_deletes(manager, portfolio, product):
    document = roadmap_documents.document_create(
        product=product, kind="prd", title="Gone", feedback=[FeedbackFactory(product=product)]
    )
    html = manager.get(reverse("document-delete", args=[document.id])).content.decode()
    assert "1 piece of feedback" in html
    response = manager.post(reverse("document-delete", args=[document.id]))
    assert response["Location"] == reverse("document-list", args=[portfolio.id])
    assert not Document.objects.exists()


# --- versions and the diff ----------------------------------------------------------------------------


def _three_versions(product):
    document = _prd(product, body="Drivers lose signal. Maps fail.")
    services.document_update(document_id=document.id, body="Drivers lose signal. Maps load.")
    services.document_update(document_id=document.id, title="Offline mode PRD")
    return document


def test_the_versions_page_lists_them_with_their_diffs(viewer, product):
    document = _three_versions(product)
    html = viewer.get(reverse("document-versions", args=[document.id])).content.decode()
    for number in (1, 2, 3):
        assert reverse("document-version", args=[document.id, number]) in html
    assert "?from=1&amp;to=2" in html


def test_an_old_version_renders_as_it_was(viewer, product):
    document = _three_versions(product)
    html = viewer.get(reverse("document-version", args=[document.id, 1])).content.decode()
    assert "Maps fail." in html and "An older version" in html


def test_a_version_it_does_not_have_is_a_404(viewer, product):
    document = _three_versions(product)
    assert viewer.get(reverse("document-version", args=[document.id, 4])).status_code == 404


def test_the_diff_marks_what_changed(viewer, product):
    document = _three_versions(product)
    html = viewer.get(reverse("document-diff", args=[document.id]) + "?from=1&to=2").content.decode()
    assert "<del>fail</del><ins>load</ins>" in html


def test_the_diff_defaults_to_the_last_change(viewer, product):
    document = _three_versions(product)
    html = viewer.get(reverse("document-diff", args=[document.id])).content.decode()
    assert "Changes from v2 to v3" in html


def test_the_diff_of_a_single_version_says_there_is_nothing_yet(viewer, product):
    document = _prd(product)
    html = viewer.get(reverse("document-diff", args=[document.id])).content.decode()
    assert "nothing to compare yet" in html


@pytest.mark.parametrize("query", ["?from=0", "?from=9", "?to=x"])
def test_a_bad_version_in_the_diff_is_a_400_that_says_which(viewer, product, query):
    document = _three_versions(product)
    response = viewer.get(reverse("document-diff", args=[document.id]) + query)
    assert response.status_code == 400
    assert "1 to 3" in response.content.decode()


# --- the cost of a page -------------------------------------------------------------------------------


def _fill(portfolio, n: int):
    author = member(portfolio, Role.PRODUCT_MANAGER)
    documents = []
    for _ in range(n):
        product = ProductFactory(portfolio=portfolio)
        idea, feedback, item = (
            IdeaFactory(product=product),
            FeedbackFactory(product=product),
            RoadmapItemFactory(product=product),
        )
        document = roadmap_documents.document_create(
            product=product, kind="prd", title="A PRD", body="# Problem\n\nText.", ideas=[idea], feedback=[feedback],
            roadmap_items=[item], actor=author,
        )  # fmt: skip
        services.document_update(document_id=document.id, body="# Problem\n\nMore text.", actor=author)
        services.document_comment_add(document_id=document.id, body="A comment", actor=author)
        documents.append(document)
    return documents


def _queries(client, url) -> int:
    client.get(url)  # the session and the role settle on the first request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", ["", "?search=PRD&kind=prd&status=draft", "?format=csv"])
def test_list_queries_do_not_grow_with_the_data(query):
    counts = []
    for n in (1, 10):
        portfolio = PortfolioFactory()
        _fill(portfolio, n)
        counts.append(_queries(client_for(portfolio, Role.VIEWER), _list(portfolio, query)))
    assert counts[0] == counts[1], counts


def test_page_queries_do_not_grow_with_comments_links_and_versions(portfolio, product):
    client = client_for(portfolio, Role.PRODUCT_MANAGER)
    author = member(portfolio, Role.PRODUCT_MANAGER)
    counts = []
    for n in (1, 10):
        document = _prd(product, title=f"n{n}", actor=author)
        links = {"ideas": [], "feedback": [], "roadmap_items": []}
        for i in range(n):
            services.document_update(document_id=document.id, body=f"version {i}", actor=author)
            services.document_comment_add(document_id=document.id, body=f"comment {i}", actor=author)
            links["ideas"].append(IdeaFactory(product=product))
            links["feedback"].append(FeedbackFactory(product=product))
            links["roadmap_items"].append(RoadmapItemFactory(product=product))
        roadmap_documents.document_update(document_id=document.id, actor=author, **links)
        counts.append(
            tuple(
                _queries(client, reverse(name, args=[document.id]))
                for name in ("document-page", "document-versions", "document-diff")
            )
        )
    assert counts[0] == counts[1], counts
