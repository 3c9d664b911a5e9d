"""Messaging pages: the lines of a portfolio (newest version of each), one version with its review steps
and version history, the form (create, edit), submit, approve, request changes, revise, delete, and the
diff between two versions.

Every write goes through gtm.services.messaging; a refusal (a frozen version, a wrong status, a newer
version, a draft not ready for review, bad rows) comes back on the page with its status and message,
never as a 500. Editing a version in review sends it back to draft (the service's rule; the form says so).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Subquery
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from gtm import diff
from gtm.messaging_forms import (
    MESSAGES_PREFIX,
    OBJECTIONS_PREFIX,
    KeyMessageForm,
    KeyMessageFormSet,
    MessagingFilter,
    MessagingForm,
    ObjectionForm,
    ObjectionFormSet,
    ProductPick,
    RequestChangesForm,
    fit_rows,
)
from gtm.models import LaunchPlan, Messaging
from gtm.services import messaging as services
from pmflow import access
from pmflow.errors import DomainError, NotFound
from products.models import Membership, Role
from products.pages import page, portfolio_context
from products.selectors import object_history, portfolio_for_user, product_for_user
from roadmap.page_tools import product_list_url, row_id

PER_PAGE = 50
Status = Messaging.Status
FORM_FIELDS = ("launch_plan", "positioning", "value_proposition", "target_segments", "target_personas")


def _list_url(portfolio_id: int, product_id: int | None = None) -> str:
    return product_list_url("messaging-list", portfolio_id, product_id)


def _scope(messaging: Messaging) -> str:
    """What the line is for: a launch's name, or the product's."""
    return messaging.launch_plan.name if messaging.launch_plan_id else f"{messaging.product.name} (whole product)"


def _crumbs(messaging: Messaging, *last) -> list:
    portfolio_id = messaging.product.portfolio_id
    crumbs = [
        ("Messaging", _list_url(portfolio_id)),
        (messaging.product.name, _list_url(portfolio_id, messaging.product_id)),
    ]
    here = (
        f"{messaging.launch_plan.name} · v{messaging.version}" if messaging.launch_plan_id else f"v{messaging.version}"
    )
    if last:
        return [*crumbs, (here, reverse("messaging-page", args=[messaging.id])), *last]
    return [*crumbs, (here, None)]


def _context(request, version: Messaging, **extra) -> dict:
    return portfolio_context(
        request, version.product.portfolio, section="launches", tab="messaging", model=Messaging, **extra
    )


# --- the list ---------------------------------------------------------------------------------------


@page
def messaging_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = MessagingFilter(request.GET or None, portfolio=portfolio)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    product, plan, status = wanted.get("product"), wanted.get("launch_plan"), wanted.get("status")
    lines = Messaging.objects.filter(product__portfolio=portfolio).filter(~services.newer_version_exists())
    if product:
        lines = lines.filter(product=product)
    if plan:
        lines = lines.filter(launch_plan=plan)
    if status:
        lines = lines.filter(status=status)
    approved = Messaging.objects.filter(origin_id=OuterRef("origin_id"), status=Status.APPROVED).order_by("-version")
    lines = (
        lines.annotate(
            approved_version=Subquery(approved.values("version")[:1]),
            last_approved_at=Subquery(approved.values("approved_at")[:1]),
        )
        .select_related("product", "launch_plan")
        .order_by("product__name", "product_id", F("launch_plan__launch_date").asc(nulls_first=True), "origin_id")
    )
    listing = Paginator(lines, PER_PAGE).get_page(request.GET.get("page"))
    can_write = access.can(request.user, Messaging, portfolio.id)
    query = request.GET.copy()
    query.pop("page", None)
    crumbs = [("Messaging", _list_url(portfolio.id) if product else None)]
    if product:
        crumbs.append((product.name, None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        tab="messaging",
        model=Messaging,
        product=product,
        plan=plan,
        status=status,
        status_label=Status(status).label.lower() if status else "",
        filters=filters,
        filtered=bool(product or plan or status),
        listing=listing,
        query=query.urlencode(),
        can_write=can_write,
        pick=ProductPick(portfolio=portfolio) if can_write and not product else None,
    )
    return render(request, "gtm/messaging_list.html", context)


# --- one version ------------------------------------------------------------------------------------


def _changes_requested(history: list) -> dict | None:
    """The reviewer's comment that sent this draft back, when that is the last review step it had."""
    for event in history:
        if event.verb == "messaging.submitted":
            return None
        if event.verb == "messaging.changes_requested":
            return {"comment": event.data.get("comment", ""), "by": event.actor_label, "at": event.at}
    return None


def _messaging_page(
    request, messaging: Messaging, *, refusal: DomainError | None = None, changes_form=None, status=200
):
    portfolio = messaging.product.portfolio
    versions = services.line_versions(messaging)
    newest = versions[0]
    previous = next((v for v in versions if v.version < messaging.version), None)
    can_write = access.can(request.user, Messaging, portfolio.id)
    can_approve = access.can(request.user, Messaging, portfolio.id, "approve")
    approvers = []
    if not can_approve:
        approvers = [
            f"{m.user.get_username()} ({Role(m.role).label.lower()})"
            for m in Membership.objects.filter(portfolio=portfolio, role__in=[Role.ADMIN, Role.PRODUCT_MANAGER])
            .select_related("user")
            .order_by("role", "user__username")[:10]
        ]
    history = object_history("messaging", messaging.id, limit=20, zone=portfolio.zone)
    newer = None
    if refusal is not None and isinstance(refusal.details.get("newer"), dict):
        newer = refusal.details["newer"]
    context = _context(
        request,
        messaging,
        crumbs=_crumbs(messaging),
        messaging=messaging,
        product=messaging.product,
        scope=_scope(messaging),
        versions=versions,
        newest=newest,
        is_newest=newest.pk == messaging.pk,
        previous=previous,
        can_write=can_write,
        can_approve=can_approve,
        approvers=approvers,
        changes_form=changes_form or RequestChangesForm(),
        changes_requested=_changes_requested(history) if messaging.status == Status.DRAFT else None,
        refusal=refusal,
        refusal_missing=(refusal.details.get("missing") or []) if refusal is not None else [],
        refusal_newer=newer,
        history=history,
    )
    return render(request, "gtm/messaging_page.html", context, status=status)


@page
def messaging_page(request, messaging_id: int):
    return _messaging_page(request, services.messaging_for_user(request.user, messaging_id))


def _step(request, messaging_id: int, access_action: str, service, done: str):
    """A review step from the page: the role first, then the service; its refusal on the page."""
    messaging = services.messaging_for_user(request.user, messaging_id, action=access_action)
    try:
        service(messaging_id=messaging.id, actor=request.user)
    except DomainError as exc:
        return _messaging_page(request, messaging, refusal=exc, status=exc.status)
    messages.success(request, done.format(version=messaging.version))
    return redirect("messaging-page", messaging_id=messaging.id)


@page
@require_POST
def messaging_submit(request, messaging_id: int):
    return _step(
        request,
        messaging_id,
        "submit",
        services.messaging_submit,
        "Version {version} is in review. An admin or a product manager approves it or asks for changes.",
    )


@page
@require_POST
def messaging_approve(request, messaging_id: int):
    return _step(
        request,
        messaging_id,
        "approve",
        services.messaging_approve,
        "Version {version} is approved and frozen: from now on, changes go in a revision.",
    )


@page
@require_POST
def messaging_request_changes(request, messaging_id: int):
    messaging = services.messaging_for_user(request.user, messaging_id, action="approve")  # before the body
    form = RequestChangesForm(request.POST)
    if not form.is_valid():
        return _messaging_page(request, messaging, changes_form=form, status=400)
    try:
        services.messaging_request_changes(
            messaging_id=messaging.id, actor=request.user, comment=form.cleaned_data["comment"]
        )
    except DomainError as exc:
        fields = getattr(exc, "fields", None) or {}
        if "comment" in fields:
            form.add_error("comment", fields["comment"])
            return _messaging_page(request, messaging, changes_form=form, status=exc.status)
        return _messaging_page(request, messaging, refusal=exc, status=exc.status)
    messages.success(request, f"Version {messaging.version} is back in draft with your comment.")
    return redirect("messaging-page", messaging_id=messaging.id)


@page
@require_POST
def messaging_revise(request, messaging_id: int):
    messaging = services.messaging_for_user(request.user, messaging_id, action="revise")
    try:
        revision = services.messaging_revise(messaging_id=messaging.id, actor=request.user)
    except DomainError as exc:
        return _messaging_page(request, messaging, refusal=exc, status=exc.status)
    messages.success(
        request,
        f"Version {revision.version} is a new draft with the content of version {messaging.version}: "
        "change what you need, then submit it for review.",
    )
    return redirect("messaging-edit", messaging_id=revision.id)


# --- create, edit, delete ---------------------------------------------------------------------------


def _with_one_more_row(data, prefix: str, limit: int):
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    data[key] = str(min((row_id(data.get(key)) or 0) + 1, limit))
    return data


def _editor(request, product, *, messaging: Messaging | None = None, launch_plan: LaunchPlan | None = None):
    """The form of a new line (`messaging` None) or of a version; saves through the service."""
    posted = request.method == "POST"
    data = request.POST if posted else None
    adding = request.POST.get("add") if posted else None
    if adding == MESSAGES_PREFIX:
        data = _with_one_more_row(data, MESSAGES_PREFIX, KeyMessageFormSet.absolute_max)
    elif adding == OBJECTIONS_PREFIX:
        data = _with_one_more_row(data, OBJECTIONS_PREFIX, ObjectionFormSet.absolute_max)
    if messaging is not None:
        initial = MessagingForm.initial_for(messaging)
        message_rows = [KeyMessageForm.initial_for(row) for row in messaging.key_messages]
        objection_rows = [ObjectionForm.initial_for(row) for row in messaging.objections]
    else:
        initial = {"launch_plan": launch_plan.pk if launch_plan else None}
        message_rows = objection_rows = []
    form = MessagingForm(data, product=product, initial=initial)
    key_messages = KeyMessageFormSet(data, prefix=MESSAGES_PREFIX, initial=message_rows)
    objections = ObjectionFormSet(data, prefix=OBJECTIONS_PREFIX, initial=objection_rows)
    row_errors: dict = {}
    status = 200
    if adding:
        formset = key_messages if adding == MESSAGES_PREFIX else objections
        if formset.forms:
            first = "message" if adding == MESSAGES_PREFIX else "objection"
            formset.forms[-1].fields[first].widget.attrs["autofocus"] = True
    elif posted:
        if form.is_valid() and key_messages.is_valid() and objections.is_valid():
            fields = {name: form.cleaned_data[name] for name in FORM_FIELDS}
            fields.update(key_messages=key_messages.rows(), objections=objections.rows())
            try:
                if messaging is None:
                    saved = services.messaging_create(product=product, actor=request.user, **fields)
                else:
                    was = messaging.status
                    saved = services.messaging_update(messaging_id=messaging.id, actor=request.user, **fields)
            except DomainError as exc:
                status = exc.status
                problems = getattr(exc, "fields", None) or {}
                if not problems:
                    form.add_error(None, exc.message)
                for name, found in problems.items():
                    if name in ("key_messages", "objections"):
                        row_errors[name] = found if isinstance(found, list) else [found]
                    else:
                        form.add_error(name if name in form.fields else None, found)
            else:
                if messaging is None:
                    note = "Messaging saved as a draft, version 1. Submit it for review when it is ready."
                elif was == Status.IN_REVIEW and saved.status == Status.DRAFT:
                    note = "Changes saved. It is a draft again: submit it for review once more."
                else:
                    note = "Changes saved."
                messages.success(request, note)
                return redirect("messaging-page", messaging_id=saved.id)
        else:
            status = 400
    fit_rows(form, ("positioning", "value_proposition"))
    for row in key_messages.forms:
        fit_rows(row, ("proof_points",))
    for row in objections.forms:
        fit_rows(row, ("objection", "response"), per_line=45)
    portfolio = product.portfolio
    if messaging is not None:
        crumbs = _crumbs(messaging, ("Edit", None))
        title = f"Edit messaging v{messaging.version}"
        cancel_url = reverse("messaging-page", args=[messaging.id])
    else:
        crumbs = [
            ("Messaging", _list_url(portfolio.id)),
            (product.name, _list_url(portfolio.id, product.id)),
            ("New messaging", None),
        ]
        title = f"New messaging for {product.name}"
        cancel_url = _list_url(portfolio.id, product.id)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        tab="messaging",
        model=Messaging,
        title=title,
        product=product,
        messaging=messaging,
        form=form,
        key_messages=key_messages,
        objections=objections,
        row_errors=row_errors,
        cancel_url=cancel_url,
        limits={
            "messages": services.MESSAGES_MAX,
            "objections": services.OBJECTIONS_MAX,
            "proof_points": services.PROOF_POINTS_MAX,
        },
    )
    return render(request, "gtm/messaging_form.html", context, status=status)


@page
def messaging_create(request):
    product = product_for_user(request.user, request.GET.get("product"))
    access.require(request.user, Messaging, product.portfolio_id)  # before the form is read
    plan = None
    if request.GET.get("launch_plan"):
        plan = LaunchPlan.objects.filter(pk=row_id(request.GET["launch_plan"]) or 0, product=product).first()
        if plan is None:
            raise NotFound()
    return _editor(request, product, launch_plan=plan)


@page
def messaging_edit(request, messaging_id: int):
    messaging = services.messaging_for_user(request.user, messaging_id, write=True)
    if messaging.status == Status.APPROVED:
        refusal = services.frozen(messaging)
        if request.method == "POST":
            return _messaging_page(request, messaging, refusal=refusal, status=refusal.status)
        messages.info(request, refusal.message)
        return redirect("messaging-page", messaging_id=messaging.id)
    return _editor(request, messaging.product, messaging=messaging)


@page
def messaging_delete(request, messaging_id: int):
    messaging = services.messaging_for_user(request.user, messaging_id, write=True)
    if messaging.status == Status.APPROVED:
        refusal = services.frozen(messaging)
        return _messaging_page(request, messaging, refusal=refusal, status=refusal.status)
    portfolio_id = messaging.product.portfolio_id
    if request.method == "POST":
        try:
            deleted = services.messaging_delete(messaging_id=messaging.id, actor=request.user)
        except DomainError as exc:
            return _messaging_page(request, messaging, refusal=exc, status=exc.status)
        previous = (
            Messaging.objects.filter(origin_id=deleted.origin_id, version__lt=deleted.version)
            .order_by("-version")
            .first()
        )
        if previous is not None:
            messages.success(request, f"Draft v{deleted.version} deleted; v{previous.version} is the newest version.")
            return redirect("messaging-page", messaging_id=previous.id)
        messages.success(request, f"Messaging of {_scope(deleted)} deleted.")
        return redirect(_list_url(portfolio_id, deleted.product_id))
    first = messaging.version == 1
    context = _context(
        request,
        messaging,
        crumbs=_crumbs(messaging, ("Delete", None)),
        title=f"Delete messaging v{messaging.version} of {_scope(messaging)}?",
        consequence_intro="This cannot be undone.",
        consequences=[
            "Its positioning, value proposition, key messages and objections go with it."
            if first
            else f"The line keeps its earlier versions; v{messaging.version - 1} becomes the newest.",
        ],
        alternative="To keep it, edit it instead."
        if messaging.status == Status.DRAFT
        else "It is in review: to change it instead, edit it (it goes back to draft).",
        confirm_label=f"Delete v{messaging.version}",
        cancel_url=reverse("messaging-page", args=[messaging.id]),
    )
    return render(request, "confirm_page.html", context)


# --- the diff ---------------------------------------------------------------------------------------


@page
def messaging_diff(request, messaging_id: int):
    messaging = services.messaging_for_user(request.user, messaging_id)
    versions = services.line_versions(messaging)
    others = [v for v in versions if v.pk != messaging.pk]
    raw = request.GET.get("against")
    problem, status, against = "", 200, None
    if raw:
        against_id = row_id(raw)
        if against_id is None:
            raise NotFound()
        against = services.messaging_for_user(request.user, against_id)
        if against.origin_id != messaging.origin_id:
            problem, status, against = (
                "That is a version of another messaging line: pick a version of this one.",
                400,
                None,
            )
    elif others:
        earlier = [v for v in others if v.version < messaging.version]
        pick = earlier[0] if earlier else others[-1]
        against = services.messaging_for_user(request.user, pick.pk)
    result = diff.with_html(diff.messaging_diff(against, messaging)) if against is not None else None
    context = _context(
        request,
        messaging,
        crumbs=_crumbs(messaging, ("Changes", None)),
        messaging=messaging,
        product=messaging.product,
        scope=_scope(messaging),
        against=against,
        others=others,
        result=result,
        fields=result["fields"] if result else None,
        audience_changed=bool(
            result
            and (result["fields"]["target_segments"]["changed"] or result["fields"]["target_personas"]["changed"])
        ),
        problem=problem,
    )
    return render(request, "gtm/messaging_diff.html", context, status=status)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/messaging/", messaging_list, name="messaging-list"),
    path("messaging/new/", messaging_create, name="messaging-create"),
    path("messaging/<int:messaging_id>/", messaging_page, name="messaging-page"),
    path("messaging/<int:messaging_id>/edit/", messaging_edit, name="messaging-edit"),
    path("messaging/<int:messaging_id>/delete/", messaging_delete, name="messaging-delete"),
    path("messaging/<int:messaging_id>/submit/", messaging_submit, name="messaging-submit"),
    path("messaging/<int:messaging_id>/approve/", messaging_approve, name="messaging-approve"),
    path("messaging/<int:messaging_id>/request-changes/", messaging_request_changes, name="messaging-request-changes"),
    path("messaging/<int:messaging_id>/revise/", messaging_revise, name="messaging-revise"),
    path("messaging/<int:messaging_id>/diff/", messaging_diff, name="messaging-diff"),
]
