"""Idea pages: from concept to an accepted roadmap item or a rejection.

- `idea-list` (/portfolios/<id>/ideas/): the portfolio's ideas with the demand behind each (feedback count,
  importance, deal value), counts per status on top, filters by status and product, the most wanted or the
  newest first, and the CSV (`?format=csv`).
- `idea-page` (/ideas/<id>/): the description, the market insights and the feedback behind it with its
  demand, the decision (who, when, why) and the history, and the next steps by status: evaluate, accept (a
  roadmap item: kind and horizon), reject (a reason); once accepted, a link to the item.
- `idea-create`, `idea-edit`, `idea-delete`; `idea-evaluate` (POST), `idea-accept`, `idea-reject` (POST
  forms, and pages of their own on GET).

Every write goes through products.services.ideas or roadmap.services.ideas; the role is checked before a
form is read. A step the idea's status no longer allows (someone decided meanwhile) says so on the idea's
page; bad input comes back on the form with status 400.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode

from pmflow import access
from pmflow.errors import DomainError
from pmflow.forms import add_domain_error, save_with
from products import events
from products.models import DomainEvent, Feedback, Idea, MarketInsight
from products.pages import page, portfolio_context, portfolio_to_create_in
from products.selectors import portfolio_for_user, product_for_user
from products.services import ideas as services
from roadmap import idea_selectors as selectors
from roadmap.idea_forms import AcceptForm, IdeaFilter, IdeaForm, RejectForm
from roadmap.page_tools import row_id
from roadmap.services.ideas import idea_accept

PER_PAGE = 50
SHOWN_LINKS = 100  # insights and feedback listed on an idea's page
HISTORY_LENGTH = 30
STATUS_HINTS = {
    Idea.Status.CONCEPT: "Not looked at yet.",
    Idea.Status.EVALUATED: "Looked at, waiting for a decision.",
    Idea.Status.ACCEPTED: "On the roadmap.",
    Idea.Status.REJECTED: "Decided against, with a reason.",
}


def _list_url(portfolio_id: int, **query) -> str:
    url = reverse("idea-list", args=[portfolio_id])
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def _idea_url(idea: Idea) -> str:
    return reverse("idea-page", args=[idea.id])


def _crumbs(portfolio_id: int, idea: Idea | None = None, *tail) -> list:
    crumbs = [("Ideas", _list_url(portfolio_id))]
    if idea is not None:
        crumbs.append((idea.title, _idea_url(idea) if tail else None))
    return [*crumbs, *tail]


def _valid(filters) -> dict:
    """The filter values that are valid (a bad one is ignored, not a 500 or an empty page)."""
    if not filters.is_bound:
        return {}
    filters.is_valid()
    return {name: value for name, value in filters.cleaned_data.items() if value not in (None, "")}


# --- the list -----------------------------------------------------------------------------------------


@page
def idea_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = IdeaFilter(request.GET or None, portfolio=portfolio)
    wanted = _valid(filters)
    product, status = wanted.get("product"), wanted.get("status")
    # `?ordering=demand` (the API's word) works here too
    sort = wanted.get("sort") or (
        request.GET.get("ordering") if request.GET.get("ordering") in selectors.ORDERINGS else "demand"
    )
    mine = Idea.objects.filter(product__portfolio=portfolio)
    if product:
        mine = mine.filter(product=product)
    listed = selectors.ideas(mine.filter(status=status) if status else mine).order_by(*selectors.ORDERINGS[sort])
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(
            selectors.csv_lines(listed.iterator(chunk_size=500)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="ideas-{portfolio.id}.csv"'
        return response
    by_status = dict(mine.order_by().values_list("status").annotate(n=Count("id")))
    counts = [
        {
            "status": value,
            "label": label,
            "count": by_status.get(value, 0),
            "hint": STATUS_HINTS[value],
            "url": _list_url(portfolio.id, product=product.id if product else None, status=value, sort=sort),
            "current": status == value,
        }
        for value, label in Idea.Status.choices
    ]
    listing = Paginator(listed, PER_PAGE).get_page(request.GET.get("page"))
    for idea in listing:
        idea.roadmap_item = selectors.roadmap_item_from_prefetch(idea)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    crumbs = [("Ideas", _list_url(portfolio.id) if product else None)]
    if product:
        crumbs.append((product.name, None))
    can_write = access.can(request.user, Idea, portfolio.id)
    new_query = {"portfolio": portfolio.id, **({"product": product.id} if product else {})}
    new_url = f"{reverse('idea-create')}?{urlencode(new_query)}"
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        model=Idea,
        tab="ideas",
        product=product,
        filters=filters,
        filtered=bool(product or status),
        status=status,
        sort=sort,
        counts=counts,
        total=sum(by_status.values()),
        all_url=_list_url(portfolio.id, product=product.id if product else None, sort=sort),
        listing=listing,
        query=query.urlencode(),
        csv_url=f"{reverse('idea-list', args=[portfolio.id])}?{urlencode({**query.dict(), 'format': 'csv'})}",
        can_write=can_write,
        new_url=new_url,
        has_products=portfolio.products.exists() if can_write else False,
    )
    return render(request, "roadmap/ideas/list.html", context)


# --- one idea -----------------------------------------------------------------------------------------


def _history(idea: Idea, zone) -> list[DomainEvent]:
    """The idea's events, newest first, with their changes in words (products.selectors.object_history,
    but `feedback`, a reverse relation of Idea that events.readable_changes cannot label, is renamed, and
    the links are counted)."""
    history = list(
        DomainEvent.objects.filter(object_type="idea", object_id=idea.id)
        .select_related("actor")
        .order_by("-at", "-id")[:HISTORY_LENGTH]
    )
    for event in history:
        event.changes = {LINK_LABELS.get(name, name): _counted(pair) for name, pair in event.changes.items()}
        event.readable = events.readable_changes(event, zone)
    return history


LINK_LABELS = {"feedback": "linked feedback", "insights": "linked insights"}


def _counted(pair):
    """[[1, 2], [1, 2, 7]] → ["2", "3"]: a list of linked ids as how many (ids say nothing on a page)."""
    if isinstance(pair, list) and any(isinstance(side, list) for side in pair):
        return [str(len(side)) if isinstance(side, list) else side for side in pair]
    return pair


def _idea_page(request, idea: Idea, *, accept_form=None, reject_form=None, status=200):
    portfolio = idea.product.portfolio
    insights = list(MarketInsight.objects.filter(ideas=idea).order_by("-observed_on", "title", "id")[:SHOWN_LINKS])
    feedback = list(
        Feedback.objects.filter(ideas=idea)
        .select_related("product", "segment")
        .order_by("-importance", "-received_on", "-id")[:SHOWN_LINKS]
    )
    history = _history(idea, portfolio.zone)
    is_open = idea.status in services.OPEN
    can_write = access.can(request.user, Idea, portfolio.id)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio.id, idea),
        section="strategy",
        model=Idea,
        tab="ideas",
        idea=idea,
        product=idea.product,
        insights=insights,
        feedback=feedback,
        more_feedback=idea.demand_count > len(feedback),
        roadmap_item=selectors.roadmap_item_from_prefetch(idea),
        history=history,
        can_write=can_write,
        can_evaluate=can_write and idea.status == Idea.Status.CONCEPT,
        can_decide=can_write and is_open,
        accept_form=accept_form or AcceptForm(),
        reject_form=reject_form or RejectForm(),
        status_hint=STATUS_HINTS[idea.status],
    )
    return render(request, "roadmap/ideas/page.html", context, status=status)


@page
def idea_page(request, idea_id: int):
    return _idea_page(request, selectors.idea_for_user(request.user, idea_id))


# --- create, edit, delete -----------------------------------------------------------------------------


def _form_page(request, portfolio, form: IdeaForm, *, idea: Idea | None = None, back: str):
    crumbs = _crumbs(portfolio.id, idea, ("Edit", None)) if idea else _crumbs(portfolio.id, None, ("New idea", None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="strategy",
        model=Idea,
        form=form,
        idea=idea,
        title=f"Edit “{idea.title}”" if idea else "New idea",
        submit_label="Save changes" if idea else "Add idea",
        cancel_url=back,
        delete_url=reverse("idea-delete", args=[idea.id]) if idea else None,
    )
    return render(request, "roadmap/ideas/form.html", context, status=400 if form.errors else 200)


@page
def idea_create(request):
    product = None
    if request.GET.get("product"):
        product = product_for_user(request.user, request.GET.get("product"))
        portfolio = product.portfolio
        access.require(request.user, Idea, portfolio.id)  # before the form is read
    else:
        portfolio = portfolio_to_create_in(request, Idea)
    initial = {"product": product}
    if feedback_id := row_id(request.GET.get("feedback")):
        initial["feedback"] = list(Feedback.objects.filter(pk=feedback_id, product__portfolio=portfolio))
    if insight_id := row_id(request.GET.get("insight")):
        initial["insights"] = list(MarketInsight.objects.filter(pk=insight_id, portfolio=portfolio))
    form = IdeaForm(request.POST if request.method == "POST" else None, portfolio=portfolio, initial=initial)
    if idea := save_with(
        request,
        form,
        lambda data: services.idea_create(product=data["product"], actor=request.user, **IdeaForm.service_fields(data)),
    ):
        messages.success(request, f"“{idea.title}” is a new idea of {idea.product.name}.")
        return redirect(_idea_url(idea))
    back = _list_url(portfolio.id, product=product.id if product else None)
    return _form_page(request, portfolio, form, back=back)


@page
def idea_edit(request, idea_id: int):
    idea = selectors.idea_for_user(request.user, idea_id, write=True)
    portfolio = idea.product.portfolio
    form = IdeaForm(
        request.POST if request.method == "POST" else None,
        portfolio=portfolio,
        idea=idea,
        initial=IdeaForm.initial_for(idea),
    )
    if save_with(
        request,
        form,
        lambda data: services.idea_update(idea_id=idea.id, actor=request.user, **IdeaForm.service_fields(data)),
    ):
        messages.success(request, "Idea saved.")
        return redirect(_idea_url(idea))
    return _form_page(request, portfolio, form, idea=idea, back=_idea_url(idea))


@page
def idea_delete(request, idea_id: int):
    idea = selectors.idea_for_user(request.user, idea_id, write=True)
    portfolio = idea.product.portfolio
    back = _list_url(portfolio.id, product=idea.product_id)
    if request.method == "POST":
        title = services.idea_delete(idea_id=idea.id, actor=request.user)
        messages.success(request, f"“{title}” deleted.")
        return redirect(back)
    consequences = [f"“{idea.title}” leaves the ideas of {idea.product.name}, with its decision and description."]
    links = []
    if count := len(idea.insights.all()):
        links.append(f"{count} market insight{'s' if count != 1 else ''}")
    if idea.demand_count:
        links.append(f"{idea.demand_count} piece{'s' if idea.demand_count != 1 else ''} of feedback")
    if links:
        consequences.append(f"Its links to {' and '.join(links)} go; the insights and feedback themselves stay.")
    if item := selectors.roadmap_item_from_prefetch(idea):
        consequences.append(f"The roadmap item “{item.title}” made from it stays, without the link back.")
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio.id, idea, ("Delete", None)),
        section="strategy",
        model=Idea,
        title=f"Delete “{idea.title}”?",
        consequence_intro="This cannot be undone; its history stays in the audit log.",
        consequences=consequences,
        alternative="To say no to it instead, reject it with a reason: the idea and why stay on record."
        if idea.status in services.OPEN
        else "",
        confirm_label="Delete idea",
        cancel_url=_idea_url(idea),
    )
    return render(request, "confirm_page.html", context)


# --- the steps ----------------------------------------------------------------------------------------


def _closed(request, idea: Idea):
    """The idea was decided meanwhile: say so on its page."""
    messages.info(request, f"Nothing to do: “{idea.title}” is already {idea.get_status_display().lower()}.")
    return redirect(_idea_url(idea))


@page
def idea_evaluate(request, idea_id: int):
    idea = selectors.idea_for_user(request.user, idea_id, write=True)
    if request.method != "POST":
        return redirect(_idea_url(idea))
    try:
        services.idea_evaluate(idea_id=idea.id, actor=request.user)
    except services.WrongIdeaStatus as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, f"“{idea.title}” is evaluated: accept it onto the roadmap or reject it.")
    return redirect(_idea_url(idea))


def _step_page(request, idea: Idea, template: str, form, label: str):
    portfolio = idea.product.portfolio
    context = portfolio_context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio.id, idea, (label, None)),
        section="strategy",
        model=Idea,
        idea=idea,
        form=form,
        feedback_count=idea.demand_count,
    )
    return render(request, template, context, status=400 if form.errors else 200)


@page
def idea_accept_view(request, idea_id: int):
    idea = selectors.idea_for_user(request.user, idea_id, write=True)
    if idea.status not in services.OPEN:
        return _closed(request, idea)
    if request.method == "POST":
        form = AcceptForm(request.POST)
    else:  # a GET form: ?kind=…&horizon=… fill it in
        initial = {name: request.GET[name] for name in ("kind", "horizon") if name in request.GET}
        form = AcceptForm(initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = idea_accept(idea_id=idea.id, actor=request.user, **form.cleaned_data)
        except services.WrongIdeaStatus:
            return _closed(request, Idea.objects.get(pk=idea.pk))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"“{idea.title}” is accepted: it is on the roadmap as a {item.get_kind_display().lower()} in "
                f"{item.get_horizon_display()}, with the feedback behind it.",
            )
            return redirect(reverse("roadmap-item-page", args=[item.id]))
    if request.method == "POST" and request.POST.get("from") == "page":
        return _idea_page(request, idea, accept_form=form, status=400)
    return _step_page(request, idea, "roadmap/ideas/accept.html", form, "Accept")


@page
def idea_reject_view(request, idea_id: int):
    idea = selectors.idea_for_user(request.user, idea_id, write=True)
    if idea.status not in services.OPEN:
        return _closed(request, idea)
    form = RejectForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.idea_reject(idea_id=idea.id, actor=request.user, reason=form.cleaned_data["reason"])
        except services.WrongIdeaStatus:
            return _closed(request, Idea.objects.get(pk=idea.pk))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{idea.title}” is rejected; the reason is kept with it.")
            return redirect(_idea_url(idea))
    if request.method == "POST" and request.POST.get("from") == "page":
        return _idea_page(request, idea, reject_form=form, status=400)
    return _step_page(request, idea, "roadmap/ideas/reject.html", form, "Reject")


urlpatterns = [
    path("portfolios/<int:portfolio_id>/ideas/", idea_list, name="idea-list"),
    path("ideas/new/", idea_create, name="idea-create"),
    path("ideas/<int:idea_id>/", idea_page, name="idea-page"),
    path("ideas/<int:idea_id>/edit/", idea_edit, name="idea-edit"),
    path("ideas/<int:idea_id>/delete/", idea_delete, name="idea-delete"),
    path("ideas/<int:idea_id>/evaluate/", idea_evaluate, name="idea-evaluate"),
    path("ideas/<int:idea_id>/accept/", idea_accept_view, name="idea-accept"),
    path("ideas/<int:idea_id>/reject/", idea_reject_view, name="idea-reject"),
]
