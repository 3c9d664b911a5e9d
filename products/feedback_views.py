"""Customer feedback pages: the portfolio's feedback (filters, newest first, CSV), one piece of feedback with
the ideas and roadmap items it feeds and its history, its form and deletion, and the CSV import (with a
template file to fill in).

Every write goes through products.services.feedback; a refusal (a day in the future, a deal value with
more than two decimal places, a segment of another portfolio, a bad row of a file) comes back on the
form with status 400, never as a 500. The role is checked before a form or file is read.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode

from pmflow import access
from pmflow.forms import csv_download, save_with
from products import feedback_import
from products.feedback_forms import FeedbackFilter, FeedbackForm, ImportForm
from products.models import Feedback
from products.pages import page, portfolio_context
from products.selectors import object_history, portfolio_for_user, product_for_user
from products.services import feedback as services

PER_PAGE = 50
HISTORY_LENGTH = 20
SHOWN_ERRORS = 200  # of an import's, on the page (the API lists up to 1,000)


def _list_url(portfolio_id: int, **query) -> str:
    url = reverse("feedback-list", args=[portfolio_id])
    query = {name: value for name, value in query.items() if value}
    return f"{url}?{urlencode(query)}" if query else url


def _strategy_crumb(portfolio_id: int) -> tuple[str, str]:
    return ("Feedback", reverse("feedback-list", args=[portfolio_id]))


def money(value) -> str:
    """36,000 or 1,250.50: as a deal reads."""
    if value is None:
        return ""
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def _mark(row: Feedback) -> None:
    row.deal_label = money(row.deal_value)
    row.importance_label = services.IMPORTANCE_WORDS.get(row.importance, "")


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


def _filtered(portfolio, wanted: dict):
    rows = services.feedback_rows().filter(product__portfolio=portfolio)
    for name in ("product", "source", "segment", "importance"):
        if name in wanted:
            rows = rows.filter(**{name: wanted[name]})
    if "idea" in wanted:
        rows = rows.filter(ideas=wanted["idea"])
    if "roadmap_item" in wanted:
        rows = rows.filter(roadmap_items=wanted["roadmap_item"])
    if "received_from" in wanted:
        rows = rows.filter(received_on__gte=wanted["received_from"])
    if "received_to" in wanted:
        rows = rows.filter(received_on__lte=wanted["received_to"])
    if "search" in wanted:
        rows = rows.filter(Q(text__icontains=wanted["search"]) | Q(customer__icontains=wanted["search"]))
    return rows


@page
def feedback_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = FeedbackFilter(request.GET or None, portfolio=portfolio)
    wanted = filters.wanted()
    rows = _filtered(portfolio, wanted).order_by("-received_on", "-id")
    product = wanted.get("product")
    if request.GET.get("format") == "csv":
        name = f"feedback-{portfolio.id}" + (f"-{product.id}" if product else "")
        return csv_download(
            name,
            feedback_import.CSV_COLUMNS,
            (feedback_import.csv_row(row) for row in rows.iterator(chunk_size=500)),
        )
    listing = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    for row in listing:
        _mark(row)
    totals = rows.order_by().aggregate(count=Count("id"), weight=Sum("importance"), deal_value=Sum("deal_value"))
    can_write = access.can(request.user, Feedback, portfolio.id)
    crumbs = [("Feedback", _list_url(portfolio.id) if product else None)]
    if product:
        crumbs.append((product.name, None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        tab="feedback",
        model=Feedback,
        product=product,
        filters=filters,
        filtered=bool(wanted),
        listing=listing,
        query=_query_without_page(request),
        totals={
            "count": totals["count"],
            "weight": totals["weight"] or 0,
            "deal_value": money(totals["deal_value"]) or "0",
        },
        can_write=can_write,
        new_url=reverse("feedback-create")
        + "?"
        + urlencode({"portfolio": portfolio.id, **({"product": product.id} if product else {})}),
    )
    return render(request, "products/feedback/list.html", context)


@page
def feedback_page(request, feedback_id: int):
    row = services.feedback_for_user(request.user, feedback_id)
    portfolio = row.product.portfolio
    _mark(row)
    history = object_history("feedback", row.id, limit=HISTORY_LENGTH, zone=portfolio.zone)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            _strategy_crumb(portfolio.id),
            (row.product.name, _list_url(portfolio.id, product=row.product_id)),
            (row.customer or f"Feedback {row.id}", None),
        ],
        section="strategy",
        tab="feedback",
        model=Feedback,
        row=row,
        product=row.product,
        ideas=list(row.ideas.all()),
        roadmap_items=list(row.roadmap_items.all()),
        history=history,
        can_write=access.can(request.user, Feedback, portfolio.id),
    )
    return render(request, "products/feedback/page.html", context)


def _form_page(request, portfolio, form: FeedbackForm, *, row: Feedback | None = None):
    back = reverse("feedback-page", args=[row.id]) if row else _list_url(portfolio.id)
    crumbs = [_strategy_crumb(portfolio.id)]
    crumbs += [(row.customer or f"Feedback {row.id}", back), ("Edit", None)] if row else [("New", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        tab="feedback",
        model=Feedback,
        form=form,
        row=row,
        title="Edit feedback" if row else "Record customer feedback",
        submit_label="Save changes" if row else "Add feedback",
        cancel_url=back,
        delete_url=reverse("feedback-delete", args=[row.id]) if row else None,
        import_url=None if row else reverse("feedback-import", args=[portfolio.id]),
    )
    return render(request, "products/feedback/form.html", context, status=400 if form.errors else 200)


@page
def feedback_create(request):
    """`?portfolio=` (or `?product=`, whose portfolio it is) says where; the role is checked before the form."""
    product = None
    if request.GET.get("product"):
        product = product_for_user(request.user, request.GET.get("product"))
        portfolio = product.portfolio
    else:
        portfolio = portfolio_for_user(
            request.user, request.GET.get("portfolio") or request.session.get("portfolio_id")
        )
    access.require(request.user, Feedback, portfolio.id)
    initial = {"product": product.id} if product else {}
    form = FeedbackForm(request.POST if request.method == "POST" else None, portfolio=portfolio, initial=initial)
    if row := save_with(
        request,
        form,
        lambda data: services.feedback_create(actor=request.user, **FeedbackForm.service_fields(data)),
    ):
        messages.success(request, "Feedback recorded.")
        return redirect("feedback-page", feedback_id=row.id)
    return _form_page(request, portfolio, form)


@page
def feedback_edit(request, feedback_id: int):
    row = services.feedback_for_user(request.user, feedback_id, write=True)
    portfolio = row.product.portfolio
    form = FeedbackForm(
        request.POST if request.method == "POST" else None,
        portfolio=portfolio,
        row=row,
        initial=FeedbackForm.initial_for(row),
    )
    if save_with(
        request,
        form,
        lambda data: services.feedback_update(
            feedback_id=row.id, actor=request.user, **FeedbackForm.service_fields(data)
        ),
    ):
        messages.success(request, "Feedback saved.")
        return redirect("feedback-page", feedback_id=row.id)
    return _form_page(request, portfolio, form, row=row)


@page
def feedback_delete(request, feedback_id: int):
    row = services.feedback_for_user(request.user, feedback_id, write=True)
    portfolio = row.product.portfolio
    back = _list_url(portfolio.id, product=row.product_id)
    if request.method == "POST":
        services.feedback_delete(feedback_id=row.id, actor=request.user)
        messages.success(request, "Feedback deleted.")
        return redirect(back)
    who = f"from {row.customer} " if row.customer else ""
    consequences = [f"The feedback {who}of {row.received_on:%Y-%m-%d} about {row.product.name} is deleted."]
    ideas, items = list(row.ideas.all()), list(row.roadmap_items.all())
    if ideas or items:
        consequences.append(
            f"It no longer counts in the demand of {len(ideas)} idea{'s' if len(ideas) != 1 else ''} and "
            f"{len(items)} roadmap item{'s' if len(items) != 1 else ''}."
        )
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            _strategy_crumb(portfolio.id),
            (row.customer or f"Feedback {row.id}", reverse("feedback-page", args=[row.id])),
            ("Delete", None),
        ],
        section="strategy",
        model=Feedback,
        title="Delete this feedback?",
        consequence_intro="This cannot be undone; its history stays in the audit log.",
        consequences=consequences,
        alternative="If only its importance changed, edit it instead.",
        confirm_label="Delete feedback",
        cancel_url=reverse("feedback-page", args=[row.id]),
    )
    return render(request, "confirm_page.html", context)


def _template_download(portfolio) -> HttpResponse:
    return csv_download("feedback-template", list(feedback_import.COLUMNS), feedback_import.template_rows(portfolio))


@page
def feedback_import_page(request, portfolio_id: int):
    """The import form; `?format=csv` downloads the template. A POST imports every row or none."""
    portfolio = portfolio_for_user(request.user, portfolio_id)
    can_import = access.can(request.user, Feedback, portfolio.id)
    if request.GET.get("format") == "csv":
        return _template_download(portfolio)
    form = ImportForm()
    refusal = None
    status = 200
    if request.method == "POST":
        access.require(request.user, Feedback, portfolio.id)  # before the file is read
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                created = feedback_import.feedback_import_file(
                    portfolio=portfolio,
                    raw=feedback_import.read_upload(form.cleaned_data["file"]),
                    actor=request.user,
                )
            except feedback_import.ImportRefused as exc:
                refusal = {
                    "errors": exc.errors[:SHOWN_ERRORS],
                    "count": len(exc.errors),
                    "more": exc.truncated or len(exc.errors) > SHOWN_ERRORS,
                }
            else:
                messages.success(request, f"{created:,} piece{'s' if created != 1 else ''} of feedback imported.")
                return redirect(_list_url(portfolio.id))
        status = 400
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[_strategy_crumb(portfolio.id), ("Import", None)],
        section="strategy",
        tab="feedback",
        model=Feedback,
        form=form,
        refusal=refusal,
        can_import=can_import,
        columns=feedback_import.COLUMNS,
        sources=services.SOURCES,
        max_rows=feedback_import.MAX_ROWS,
        max_mb=f"{feedback_import.MAX_BYTES / 1024 / 1024:g}",
        template_url=reverse("feedback-import", args=[portfolio.id]) + "?format=csv",
        segments=list(portfolio.segments.order_by("name").values_list("name", flat=True)[:20]),
    )
    return render(request, "products/feedback/import.html", context, status=status)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/feedback/", feedback_list, name="feedback-list"),
    path("portfolios/<int:portfolio_id>/feedback/import/", feedback_import_page, name="feedback-import"),
    path("feedback/new/", feedback_create, name="feedback-create"),
    path("feedback/<int:feedback_id>/", feedback_page, name="feedback-page"),
    path("feedback/<int:feedback_id>/edit/", feedback_edit, name="feedback-edit"),
    path("feedback/<int:feedback_id>/delete/", feedback_delete, name="feedback-delete"),
]
