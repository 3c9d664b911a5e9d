"""Pages: stage suggestions.

- `/portfolios/<id>/suggestions/` (the Lifecycle tabs' "Suggestions"): the pending ones first, each with
  its evidence and what deciding means, then the decided and expired ones with who decided, when and why;
  filters product and status; `?format=csv`.
- `/suggestions/<id>/`: one suggestion with its full evidence (the condition type's evidence template: the
  periods that fired it, or the plan or the release), the Accept (an optional note) and Dismiss (a reason)
  forms for admins and product managers, a plain explanation for the others, and its history.
- `POST /suggestions/<id>/accept/`, `…/dismiss/`: the decisions (products.services.suggestions).

The dashboard's and the product page's panels are in products.suggestion_panels.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from pmflow import access
from pmflow.errors import Conflict, InvalidInput
from pmflow.forms import csv_download
from products.models import Product, Stage, StageSuggestion
from products.pages import page, portfolio_context
from products.selectors import object_history, portfolio_for_user
from products.services import suggestions as services
from products.suggestion_panels import dress

DECIDED_PAGE_SIZE = 25


class AcceptForm(forms.Form):
    reason = forms.CharField(
        label="Note",
        required=False,
        max_length=services.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the decision and added to the move's reason in the stage history.",
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="Why not?",
        max_length=services.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required. It stays with the suggestion; the same evidence will not suggest the move again.",
        error_messages={"required": "Say why you dismiss it: the next person reading it needs to know."},
    )


class SuggestionFilter(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, empty_label="All products")
    status = forms.ChoiceField(choices=[("", "Any status"), *StageSuggestion.Status.choices], required=False)

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(portfolio=portfolio).order_by("name")


def _suggestions(portfolio):
    return StageSuggestion.objects.filter(product__portfolio=portfolio).select_related("product", "rule", "decided_by")


@page
def suggestion_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = SuggestionFilter(request.GET or None, portfolio=portfolio)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    rows = _suggestions(portfolio)
    if wanted.get("product"):
        rows = rows.filter(product=wanted["product"])
    if wanted.get("status"):
        rows = rows.filter(status=wanted["status"])
    if request.GET.get("format") == "csv":
        zone = portfolio.zone
        return csv_download(
            f"stage-suggestions-{portfolio.id}",
            [
                "id",
                "product",
                "from_stage",
                "to_stage",
                "status",
                "reason",
                "rule",
                "created_at",
                "decided_by",
                "decided_at",
                "decision_reason",
            ],
            (
                (
                    s.id,
                    s.product.name,
                    s.from_stage,
                    s.to_stage,
                    s.status,
                    s.reason,
                    s.rule.name if s.rule_id else "",
                    s.created_at.astimezone(zone).isoformat(),
                    s.decided_by.get_username() if s.decided_by_id else "",
                    s.decided_at.astimezone(zone).isoformat() if s.decided_at else "",
                    s.decision_reason,
                )
                for s in rows.order_by("-created_at", "-id").iterator(chunk_size=500)
            ),
        )
    pending = [dress(s) for s in rows.filter(status=StageSuggestion.Status.PENDING).order_by("-created_at", "-id")]
    decided = Paginator(
        rows.exclude(status=StageSuggestion.Status.PENDING).order_by("-decided_at", "-created_at", "-id"),
        DECIDED_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    for suggestion in decided:
        dress(suggestion)
    query = request.GET.copy()
    query.pop("page", None)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Lifecycle", reverse("rule-list", args=[portfolio.id])), ("Suggestions", None)],
        section="rules",
        model=StageSuggestion,
        filters=filters,
        filtered=bool(wanted.get("product") or wanted.get("status")),
        pending=pending,
        decided=decided,
        query=query.urlencode(),
        can_decide=access.can(request.user, StageSuggestion, portfolio.id, "accept"),
        has_suggest_rules=portfolio.lifecycle_rules.filter(mode="suggest", is_active=True).exists(),
    )
    return render(request, "products/suggestions/suggestion_list.html", context)


def _suggestion_page(request, suggestion, *, accept_form=None, dismiss_form=None, status=200, problem=""):
    portfolio = suggestion.product.portfolio
    can_decide = access.can(request.user, StageSuggestion, portfolio.id, "accept")
    others = list(
        StageSuggestion.objects.filter(product=suggestion.product)
        .exclude(pk=suggestion.pk)
        .select_related("rule", "decided_by")
        .order_by("-created_at", "-id")[:10]
    )
    for other in others:
        dress(other)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Suggestions", reverse("suggestion-list", args=[portfolio.id])),
            (f"{suggestion.product.name}: {suggestion.from_label} → {suggestion.to_label}", None),
        ],
        section="rules",
        model=StageSuggestion,
        suggestion=suggestion,
        product=suggestion.product,
        can_decide=can_decide,
        accept_form=accept_form or AcceptForm(),
        dismiss_form=dismiss_form or DismissForm(),
        problem=problem,
        others=others,
        history=object_history("stage_suggestion", suggestion.id, limit=20, zone=portfolio.zone),
    )
    return render(request, "products/suggestions/suggestion_page.html", context, status=status)


def _suggestion_for(request, suggestion_id: int, action: str = access.READ) -> StageSuggestion:
    suggestion = access.object_for_user(
        request.user,
        StageSuggestion.objects.select_related("product__portfolio", "rule", "decided_by", "transition"),
        suggestion_id,
        action=action,
    )
    return dress(suggestion)


@page
def suggestion_page(request, suggestion_id: int):
    return _suggestion_page(request, _suggestion_for(request, suggestion_id))


@page
@require_POST
def suggestion_accept(request, suggestion_id: int):
    suggestion = _suggestion_for(request, suggestion_id, action="accept")  # 403 before the form is read
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _suggestion_page(request, suggestion, accept_form=form, status=400)
    try:
        move = services.suggestion_accept(
            suggestion_id=suggestion.id, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except InvalidInput as exc:
        for field, message in exc.fields.items():
            form.add_error(field if field in form.fields else None, message)
        return _suggestion_page(request, suggestion, accept_form=form, status=400)
    except Conflict as exc:
        return _suggestion_page(request, _suggestion_for(request, suggestion_id), status=409, problem=exc.message)
    messages.success(
        request,
        f"{suggestion.product.name} moved from {Stage(move.from_stage).label} to {Stage(move.to_stage).label}: "
        "the move names the suggestion in the stage history.",
    )
    return redirect("product-page", product_id=suggestion.product_id)


@page
@require_POST
def suggestion_dismiss(request, suggestion_id: int):
    suggestion = _suggestion_for(request, suggestion_id, action="dismiss")  # 403 before the form is read
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _suggestion_page(request, suggestion, dismiss_form=form, status=400)
    try:
        services.suggestion_dismiss(suggestion_id=suggestion.id, actor=request.user, reason=form.cleaned_data["reason"])
    except InvalidInput as exc:
        for field, message in exc.fields.items():
            form.add_error(field if field in form.fields else None, message)
        return _suggestion_page(request, suggestion, dismiss_form=form, status=400)
    except Conflict as exc:
        return _suggestion_page(request, _suggestion_for(request, suggestion_id), status=409, problem=exc.message)
    messages.success(
        request,
        f"Dismissed: {suggestion.product.name} stays in {suggestion.from_label}. "
        "The same evidence will not suggest the move again.",
    )
    return redirect("suggestion-list", portfolio_id=suggestion.product.portfolio_id)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/suggestions/", suggestion_list, name="suggestion-list"),
    path("suggestions/<int:suggestion_id>/", suggestion_page, name="suggestion-page"),
    path("suggestions/<int:suggestion_id>/accept/", suggestion_accept, name="suggestion-accept"),
    path("suggestions/<int:suggestion_id>/dismiss/", suggestion_dismiss, name="suggestion-dismiss"),
]
