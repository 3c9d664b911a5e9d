"""Pages: the portfolio's stage gates (every stage's exit criteria in plain words, members read) and a
stage's gate form (admins: a checkbox per criterion type, its parameters, reset to the default)."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse

from pmflow import access
from pmflow.forms import save_with
from products import gates
from products.gate_forms import StageGateForm
from products.models import DomainEvent, Product, Stage, StageGate
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user
from products.services import gates as services


def _leaving(stage: str) -> str:
    """What leaving the stage means, for the heading: "Research → Planning"."""
    if stage == Stage.RETIRED:
        return "Retired → back to an earlier stage"
    if stage == Stage.DECLINE:
        return "Decline → Retired, and retiring from any stage"
    return f"{Stage(stage).label} → {Stage(Stage.values[Stage.order(stage) + 1]).label}"


def _change_words(event: DomainEvent) -> list[str]:
    """What a gate event changed, in words: the criteria added and removed."""
    data = event.data or {}
    now = data.get("criteria") or []
    if event.verb.endswith(".created"):
        return [f"Set: {'; '.join(now) or 'no criteria (an open gate)'}."]
    if event.verb.endswith(".deleted"):
        return [f"Back to the defaults: {'; '.join(data.get('falls_back_to') or []) or 'no criteria'}."]
    before = data.get("criteria_before") or []
    added = [words for words in now if words not in before]
    removed = [words for words in before if words not in now]
    lines = [f"Added: {words}." for words in added] + [f"Removed: {words}." for words in removed]
    return lines or ["No change in words."]


def _readable_history(history: list[DomainEvent]) -> list[DomainEvent]:
    """The gate events in words; the default gates a new portfolio starts with are one entry, not nine."""
    shown = []
    for event in history:
        data = event.data or {}
        stage = data.get("stage")
        if data.get("default") and shown and getattr(shown[-1], "defaults", 0):
            shown[-1].defaults += 1
            continue
        event.defaults = 1 if data.get("default") else 0
        event.stage_label = Stage(stage).label if stage in Stage.values else ""
        event.words = _change_words(event)
        shown.append(event)
    for event in shown:
        if event.defaults:
            event.stage_label, event.words = "", []
    return shown


@page
def stage_gates(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    stored = {gate.stage: gate for gate in StageGate.objects.filter(portfolio=portfolio)}
    counts = dict(
        Product.objects.filter(portfolio=portfolio, archived_at__isnull=True)
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    rows = []
    for stage in Stage.values:
        gate = stored.get(stage)
        criteria = gate.criteria if gate is not None else gates.default_criteria(stage)
        rows.append(
            {
                "stage": stage,
                "label": Stage(stage).label,
                "leaving": _leaving(stage),
                "criteria": gates.describe_criteria(criteria),
                "is_default": criteria == gates.default_criteria(stage),
                "products": counts.get(stage, 0),
                "updated_at": gate.updated_at if gate is not None else None,
            }
        )
    history = list(
        DomainEvent.objects.filter(portfolio=portfolio, object_type="stage_gate")
        .select_related("actor")
        .order_by("-at", "-id")[:20]
    )
    history = _readable_history(history)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Lifecycle", reverse("rule-list", args=[portfolio.id])), ("Stage gates", None)],
        section="rules",
        model=StageGate,
        rows=rows,
        history=history,
        can_write=access.can(request.user, StageGate, portfolio.id),
    )
    return render(request, "products/gates/gate_list.html", context)


@page
def stage_gate_edit(request, portfolio_id: int, stage: str):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    access.require(request.user, StageGate, portfolio.id)
    if stage not in Stage.values:
        raise Http404("No such stage.")
    gate = StageGate.objects.filter(portfolio=portfolio, stage=stage).first()
    criteria = gate.criteria if gate is not None else gates.default_criteria(stage)
    list_url = reverse("stage-gates", args=[portfolio.id])
    if request.method == "POST" and request.POST.get("reset"):
        services.stage_gate_reset(portfolio=portfolio, stage=stage, actor=request.user)
        messages.success(request, f"The {Stage(stage).label} gate is back to the default criteria.")
        return redirect(f"{list_url}#gate-{stage}")
    form = StageGateForm(request.POST or None, criteria=criteria)
    if request.method == "POST":
        saved = save_with(
            request,
            form,
            lambda data: services.stage_gate_set(
                portfolio=portfolio, stage=stage, criteria=form.criteria(), actor=request.user
            ),
        )
        if saved:
            words = "; ".join(c["description"] for c in gates.describe_criteria(saved.criteria))
            messages.success(
                request,
                f"{Stage(stage).label} gate saved: {words}." if words else f"{Stage(stage).label} gate saved: open.",
            )
            return redirect(f"{list_url}#gate-{stage}")
    defaults = gates.default_criteria(stage)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Lifecycle", reverse("rule-list", args=[portfolio.id])),
            ("Stage gates", list_url),
            (f"Leaving {Stage(stage).label}", None),
        ],
        section="rules",
        model=StageGate,
        form=form,
        stage=stage,
        stage_label=Stage(stage).label,
        leaving=_leaving(stage),
        defaults=gates.describe_criteria(defaults),
        is_default=criteria == defaults,
        list_url=list_url,
    )
    return render(request, "products/gates/gate_form.html", context, status=400 if form.errors else 200)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/gates/", stage_gates, name="stage-gates"),
    path("portfolios/<int:portfolio_id>/gates/<slug:stage>/", stage_gate_edit, name="stage-gate-edit"),
]
