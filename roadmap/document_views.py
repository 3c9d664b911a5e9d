"""Research and planning document pages (the product manager's desk).

- `document-list` (/portfolios/<id>/documents/): search in titles and texts, filters by product, kind and
  status (and by a linked idea, piece of feedback or roadmap item: `?idea=`, `?feedback=`,
  `?roadmap_item=`, which the pages of those link to), kind and status badges, who changed each last and
  when, open review comments; the CSV (`?format=csv`).
- `document-page` (/documents/<id>/): the rendered text, the status with its change buttons, the links,
  the review comments (add, resolve, reopen) and the history; `document-status`, `document-comment`,
  `document-comment-resolve` are its POST forms.
- `document-create` (/documents/new/?portfolio=&product=&template=prd|interview_guide), `document-edit`
  (the Markdown text with a cheat-sheet beside it; "Save and preview" comes back to the form with the
  saved text rendered), `document-delete`.
- `document-versions`, `document-version` (/documents/<id>/versions/<n>/), `document-diff`
  (/documents/<id>/diff/?from=&to=).

Every write goes through products.services.documents or roadmap.services.documents; the role is checked
before a form is read. An archived document refuses changes (the service's 409): its page says so and
offers "Back to draft".
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from pmflow import access
from pmflow.errors import DomainError, NotFound
from pmflow.forms import add_domain_error, save_with
from products import events
from products.document_templates import TEMPLATES, template_for
from products.markdown import render_markdown
from products.models import Document, DocumentComment, DomainEvent, Feedback, Idea
from products.pages import page, portfolio_context, portfolio_to_create_in
from products.selectors import portfolio_for_user, product_for_user
from products.services import documents as services
from roadmap import document_selectors as selectors
from roadmap.document_forms import CommentForm, DiffPick, DocumentFilter, DocumentForm, StatusForm
from roadmap.models import RoadmapItem
from roadmap.page_tools import row_id
from roadmap.services import documents as roadmap_services

PER_PAGE = 50
VERSIONS_PER_PAGE = 50
HISTORY_LENGTH = 30
Status = Document.Status
STATUS_HINTS = {
    Status.DRAFT: "Being written.",
    Status.IN_REVIEW: "Open for review comments.",
    Status.APPROVED: "Agreed; changes still make new versions.",
    Status.ARCHIVED: "No longer current; read-only until set back to draft.",
}
STATUS_ACTIONS = {
    Status.DRAFT: "Back to draft",
    Status.IN_REVIEW: "Send for review",
    Status.APPROVED: "Approve",
    Status.ARCHIVED: "Archive",
}


def _list_url(portfolio_id: int, **query) -> str:
    url = reverse("document-list", args=[portfolio_id])
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def _page_url(document: Document) -> str:
    return reverse("document-page", args=[document.id])


def _crumbs(portfolio_id: int, document: Document | None = None, *tail) -> list:
    crumbs = [("Documents", _list_url(portfolio_id))]
    if document is not None:
        crumbs.append((document.title, _page_url(document) if tail else None))
    return [*crumbs, *tail]


def _context(request, portfolio, **extra) -> dict:
    return portfolio_context(request, portfolio, section="desk", tab="documents", model=Document, **extra)


def _valid(filters) -> dict:
    """The filter values that are valid (a bad one is ignored, not a 500 or an empty page)."""
    if not filters.is_bound:
        return {}
    filters.is_valid()
    return {name: value for name, value in filters.cleaned_data.items() if value not in (None, "")}


# --- the list -----------------------------------------------------------------------------------------


@page
def document_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = DocumentFilter(request.GET or None, portfolio=portfolio)
    wanted = _valid(filters)
    mine = Document.objects.filter(product__portfolio=portfolio)
    scope = mine
    if product := wanted.get("product"):
        scope = scope.filter(product=product)
    if search := wanted.get("search"):
        scope = scope.filter(Q(title__icontains=search) | Q(body__icontains=search))
    for name, relation in (("idea", "ideas"), ("feedback", "feedback"), ("roadmap_item", "roadmap_items")):
        if wanted.get(name):
            scope = scope.filter(**{relation: wanted[name]})
    if kind := wanted.get("kind"):
        scope = scope.filter(kind=kind)
    status = wanted.get("status")
    listed = selectors.documents(scope.filter(status=status) if status else scope).order_by("-updated_at", "-id")
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(
            selectors.csv_lines(listed.iterator(chunk_size=500)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="documents-{portfolio.id}.csv"'
        return response
    by_status = dict(scope.order_by().values_list("status").annotate(n=Count("id")))
    base = {
        k: v for k, v in request.GET.items() if k in ("search", "product", "kind", "idea", "feedback", "roadmap_item")
    }
    counts = [
        {
            "status": value,
            "label": label,
            "count": by_status.get(value, 0),
            "hint": STATUS_HINTS[value],
            "url": _list_url(portfolio.id, **base, status=value),
            "current": status == value,
        }
        for value, label in Status.choices
    ]
    listing = Paginator(listed, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    link = _link_named(wanted)
    can_write = access.can(request.user, Document, portfolio.id)
    new_query = {"portfolio": portfolio.id, **({"product": product.id} if product else {})}
    new_url = f"{reverse('document-create')}?{urlencode(new_query)}"
    context = _context(
        request,
        portfolio,
        crumbs=[("Documents", _list_url(portfolio.id) if wanted else None), *([(link, None)] if link else [])],
        filters=filters,
        filtered=bool(wanted),
        link=link,
        status=status,
        counts=counts,
        total=sum(by_status.values()),
        all_url=_list_url(portfolio.id, **base),
        listing=listing,
        query=query.urlencode(),
        csv_url=f"{reverse('document-list', args=[portfolio.id])}?{urlencode({**query.dict(), 'format': 'csv'})}",
        can_write=can_write,
        new_url=new_url,
        templates=[{"label": t["label"], "url": f"{new_url}&template={name}"} for name, t in TEMPLATES.items()],
        has_products=portfolio.products.exists() if can_write else False,
    )
    return render(request, "roadmap/documents/list.html", context)


def _link_named(wanted: dict) -> str:
    """What the list is narrowed to by a link, in words ("Linked to the idea “Offline mode”")."""
    if idea := wanted.get("idea"):
        return f"Linked to the idea “{idea.title}”"
    if feedback := wanted.get("feedback"):
        return f"Linked to feedback from {feedback.customer or feedback.get_source_display().lower()}"
    if item := wanted.get("roadmap_item"):
        return f"Linked to the roadmap item “{item.title}”"
    return ""


# --- one document -------------------------------------------------------------------------------------

LINK_LABELS = {"ideas": "linked ideas", "feedback": "linked feedback", "roadmap_items": "linked roadmap items"}


def _history(document: Document, zone) -> list[DomainEvent]:
    """The document's events, newest first, with their changes in words (as products.selectors.
    object_history, but links are counted: ids say nothing on a page; yes/no for true/false)."""
    history = list(
        DomainEvent.objects.filter(object_type="document", object_id=document.id)
        .select_related("actor")
        .order_by("-at", "-id")[:HISTORY_LENGTH]
    )
    for event in history:
        event.changes = {LINK_LABELS.get(name, name): _plain(pair) for name, pair in event.changes.items()}
        event.readable = events.readable_changes(event, zone)
    return history


def _plain(pair):
    """[[1, 2], [1, 2, 7]] → ["2", "3"]; [False, True] → ["no", "yes"]."""
    if not isinstance(pair, list):
        return pair
    return [
        str(len(side)) if isinstance(side, list) else ("yes" if side else "no") if isinstance(side, bool) else side
        for side in pair
    ]


def _document_page(request, document: Document, *, comment_form=None, status=200):
    portfolio = document.product.portfolio
    can_write = access.can(request.user, Document, portfolio.id)
    can_comment = access.can(request.user, DocumentComment, portfolio.id)
    archived = document.status == Status.ARCHIVED
    comments = list(
        DocumentComment.objects.filter(document=document).select_related("author").order_by("created_at", "id")
    )
    ideas = list(Idea.objects.filter(documents=document).select_related("product").order_by("title", "id"))
    feedback = list(
        Feedback.objects.filter(documents=document).select_related("product", "segment").order_by("-received_on", "-id")
    )
    items = list(RoadmapItem.objects.filter(documents=document).select_related("product").order_by("title", "id"))
    history = _history(document, portfolio.zone)
    moves = [
        {"status": value, "label": STATUS_ACTIONS[value]}
        for value in Status.values
        if value != document.status and (not archived or value == Status.DRAFT)
    ]
    context = _context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio.id, document),
        document=document,
        product=document.product,
        rendered=render_markdown(document.body),
        comments=comments,
        open_count=sum(1 for comment in comments if not comment.resolved),
        ideas=ideas,
        feedback=feedback,
        items=items,
        history=history,
        can_write=can_write,
        can_comment=can_comment and not archived,
        can_resolve=can_comment and not archived,
        archived=archived,
        moves=moves if can_write else [],
        status_hint=STATUS_HINTS[document.status],
        comment_form=comment_form or CommentForm(),
    )
    return render(request, "roadmap/documents/page.html", context, status=status)


@page
def document_page(request, document_id: int):
    return _document_page(request, selectors.document_for_user(request.user, document_id))


@page
@require_POST
def document_status(request, document_id: int):
    document = selectors.document_for_user(request.user, document_id, write=True)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose draft, in review, approved or archived.")
        return redirect(_page_url(document))
    try:
        services.document_set_status(document_id=document.id, status=form.cleaned_data["status"], actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        label = Status(form.cleaned_data["status"]).label.lower()
        messages.success(request, f"“{document.title}” is {label}." if label != "draft" else "Back to draft.")
    return redirect(_page_url(document))


@page
@require_POST
def document_comment(request, document_id: int):
    document = selectors.document_for_user(request.user, document_id)
    access.require(request.user, DocumentComment, document.product.portfolio_id)  # before the form is read
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.document_comment_add(document_id=document.id, body=form.cleaned_data["body"], actor=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Comment added on version {document.version}.")
            return redirect(f"{_page_url(document)}#comments")
    return _document_page(request, document, comment_form=form, status=400)


@page
@require_POST
def document_comment_resolve(request, document_id: int, comment_id: int):
    document = selectors.document_for_user(request.user, document_id)
    access.require(request.user, DocumentComment, document.product.portfolio_id)  # before the form is read
    if not DocumentComment.objects.filter(pk=comment_id, document=document).exists():
        raise NotFound()
    resolved = request.POST.get("resolved", "true") != "false"
    try:
        services.document_comment_resolve(comment_id=comment_id, resolved=resolved, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Comment resolved." if resolved else "Comment open again.")
    return redirect(f"{_page_url(document)}#comment-{comment_id}")


# --- create, edit, delete -----------------------------------------------------------------------------


def _form_page(request, portfolio, form: DocumentForm, *, document=None, back: str, template=None, preview=None):
    crumbs = (
        _crumbs(portfolio.id, document, ("Edit", None))
        if document
        else _crumbs(portfolio.id, None, ("New document", None))
    )
    status = 200
    if form.errors:
        status = 409 if document is not None and document.status == Status.ARCHIVED else 400
    context = _context(
        request,
        portfolio,
        crumbs=crumbs,
        form=form,
        document=document,
        template=template,
        templates=[] if document else [{"name": name, "label": t["label"]} for name, t in TEMPLATES.items()],
        template_base=_template_base(request),
        preview=preview,
        title=f"Edit “{document.title}”"
        if document
        else (f"New document from the {template['label']} template" if template else "New document"),
        submit_label="Save" if document else "Create document",
        cancel_url=back,
        delete_url=reverse("document-delete", args=[document.id]) if document else None,
    )
    return render(request, "roadmap/documents/form.html", context, status=status)


def _template_base(request) -> str:
    query = {k: v for k, v in request.GET.items() if k in ("portfolio", "product")}
    return f"{reverse('document-create')}?{urlencode(query)}" if query else f"{reverse('document-create')}?"


def _after_save(request, document: Document):
    if "preview" in request.POST:
        return redirect(f"{reverse('document-edit', args=[document.id])}?preview=1#preview")
    return redirect(_page_url(document))


@page
def document_create(request):
    product = None
    if request.GET.get("product"):
        product = product_for_user(request.user, request.GET.get("product"))
        portfolio = product.portfolio
        access.require(request.user, Document, portfolio.id)  # before the form is read
    else:
        portfolio = portfolio_to_create_in(request, Document)
    template = template_for(request.GET.get("template"))
    initial: dict = {"product": product, "status": Status.DRAFT}
    if template:
        initial |= {"kind": template["kind"], "title": template["title"], "body": template["body"]}
    for name, model, relation in (("idea", Idea, "ideas"), ("feedback", Feedback, "feedback")):
        if pk := row_id(request.GET.get(name)):
            initial[relation] = list(model.objects.filter(pk=pk, product__portfolio=portfolio))
    if pk := row_id(request.GET.get("roadmap_item")):
        initial["roadmap_items"] = list(RoadmapItem.objects.filter(pk=pk, product__portfolio=portfolio))
    form = DocumentForm(request.POST if request.method == "POST" else None, portfolio=portfolio, initial=initial)
    if document := save_with(
        request,
        form,
        lambda data: roadmap_services.document_create(
            product=data["product"], actor=request.user, **DocumentForm.service_fields(data)
        ),
    ):
        messages.success(request, f"“{document.title}” is saved as version 1.")
        return _after_save(request, document)
    back = _list_url(portfolio.id, product=product.id if product else None)
    return _form_page(request, portfolio, form, back=back, template=template)


@page
def document_edit(request, document_id: int):
    document = selectors.document_for_user(request.user, document_id, write=True)
    portfolio = document.product.portfolio
    if request.method != "POST" and document.status == Status.ARCHIVED:
        messages.info(request, f"“{document.title}” is archived: set it back to draft to change it.")
        return redirect(_page_url(document))
    form = DocumentForm(
        request.POST if request.method == "POST" else None,
        portfolio=portfolio,
        document=document,
        initial=DocumentForm.initial_for(document),
    )
    version = document.version
    if saved := save_with(
        request,
        form,
        lambda data: roadmap_services.document_update(
            document_id=document.id, actor=request.user, **DocumentForm.service_fields(data)
        ),
    ):
        if saved.version != version:
            messages.success(request, f"Saved as version {saved.version}.")
        else:
            messages.success(request, "Saved.")
        return _after_save(request, saved)
    preview = render_markdown(document.body) if request.method != "POST" and request.GET.get("preview") else None
    return _form_page(request, portfolio, form, document=document, back=_page_url(document), preview=preview)


@page
def document_delete(request, document_id: int):
    document = selectors.document_for_user(request.user, document_id, write=True)
    portfolio = document.product.portfolio
    back = _list_url(portfolio.id)
    if request.method == "POST":
        title = services.document_delete(document_id=document.id, actor=request.user)
        messages.success(request, f"“{title}” deleted.")
        return redirect(back)
    comments = document.comments.count()
    consequences = [
        f"“{document.title}” leaves the documents of {document.product.name}, with its "
        f"{document.version} version{'s' if document.version != 1 else ''}"
        + (f" and {comments} review comment{'s' if comments != 1 else ''}." if comments else ".")
    ]
    links = []
    for count, one, many in (
        (len(document.ideas.all()), "idea", "ideas"),
        (len(document.feedback.all()), "piece of feedback", "pieces of feedback"),
        (len(document.roadmap_items.all()), "roadmap item", "roadmap items"),
    ):
        if count:
            links.append(f"{count} {one if count == 1 else many}")
    if links:
        consequences.append(f"Its links to {', '.join(links)} go; those stay.")
    context = _context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio.id, document, ("Delete", None)),
        title=f"Delete “{document.title}”?",
        consequence_intro="This cannot be undone; its history stays in the audit log.",
        consequences=consequences,
        alternative="To keep it on record but out of the way, archive it instead (from its page)."
        if document.status != Status.ARCHIVED
        else "",
        confirm_label="Delete document",
        cancel_url=_page_url(document),
    )
    return render(request, "confirm_page.html", context)


# --- versions and the diff ----------------------------------------------------------------------------


@page
def document_versions(request, document_id: int):
    document = selectors.document_for_user(request.user, document_id)
    portfolio = document.product.portfolio
    listing = Paginator(services.versions_of(document), VERSIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = _context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio.id, document, ("Versions", None)),
        document=document,
        listing=listing,
        pick=DiffPick(latest=document.version, initial={"from": max(document.version - 1, 1), "to": document.version}),
    )
    return render(request, "roadmap/documents/versions.html", context)


@page
def document_version(request, document_id: int, number: int):
    document = selectors.document_for_user(request.user, document_id)
    portfolio = document.product.portfolio
    version = services.version_of(document, number)
    context = _context(
        request,
        portfolio,
        crumbs=_crumbs(
            portfolio.id, document, ("Versions", reverse("document-versions", args=[document.id])), (f"v{number}", None)
        ),
        document=document,
        version=version,
        rendered=render_markdown(version.body),
        is_current=number == document.version,
    )
    return render(request, "roadmap/documents/version.html", context)


def _number(raw, latest: int, default: int) -> int | None:
    """A version number from the query (`default` when absent); None when it is not one of 1…latest."""
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) < 20 and 0 < int(raw) <= latest):
        return None
    return int(raw)


@page
def document_diff(request, document_id: int):
    document = selectors.document_for_user(request.user, document_id)
    portfolio = document.product.portfolio
    newer = _number(request.GET.get("to"), document.version, document.version)
    older = _number(request.GET.get("from"), document.version, max((newer or document.version) - 1, 1))
    problem, result = "", None
    if newer is None or older is None:
        problem = f"Pick two versions of this document: 1 to {document.version}."
    elif document.version > 1 or older != newer:
        result = services.with_html(
            services.document_diff(services.version_of(document, older), services.version_of(document, newer))
        )
    pick = DiffPick(latest=document.version, initial={"from": older or 1, "to": newer or document.version})
    context = _context(
        request,
        portfolio,
        crumbs=_crumbs(
            portfolio.id, document, ("Versions", reverse("document-versions", args=[document.id])), ("Changes", None)
        ),
        document=document,
        result=result,
        problem=problem,
        pick=pick,
        older=older,
        newer=newer,
    )
    return render(request, "roadmap/documents/diff.html", context, status=400 if problem else 200)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/documents/", document_list, name="document-list"),
    path("documents/new/", document_create, name="document-create"),
    path("documents/<int:document_id>/", document_page, name="document-page"),
    path("documents/<int:document_id>/edit/", document_edit, name="document-edit"),
    path("documents/<int:document_id>/delete/", document_delete, name="document-delete"),
    path("documents/<int:document_id>/status/", document_status, name="document-status"),
    path("documents/<int:document_id>/comments/", document_comment, name="document-comment"),
    path(
        "documents/<int:document_id>/comments/<int:comment_id>/resolve/",
        document_comment_resolve,
        name="document-comment-resolve",
    ),
    path("documents/<int:document_id>/versions/", document_versions, name="document-versions"),
    path("documents/<int:document_id>/versions/<int:number>/", document_version, name="document-version"),
    path("documents/<int:document_id>/diff/", document_diff, name="document-diff"),
]
