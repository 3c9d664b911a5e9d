"""Lifecycle rules in plain words: listed, created and edited with a form that builds `params`."""

from django.contrib import messages
from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import redirect, render
from django.urls import reverse

from pmflow import access
from pmflow.forms import csv_download, save_with
from products import services
from products.forms import LifecycleRuleForm
from products.models import LifecycleRule, Stage, StageSuggestion
from products.pages import page, portfolio_context
from products.selectors import lifecycle_rule_for_user, object_history, portfolio_for_user
from products.services.rules import describe


@page
def rule_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    pending = StageSuggestion.objects.filter(rule=OuterRef("pk"), status=StageSuggestion.Status.PENDING)
    rules = portfolio.lifecycle_rules.annotate(
        moves=Count("transitions"),
        pending=Subquery(pending.values("rule").annotate(n=Count("id")).values("n")[:1]),
    )
    # Active rules first, then along the lifecycle (the stage they move from), then by name.
    rules = sorted(rules, key=lambda rule: (not rule.is_active, Stage.order(rule.from_stage), rule.name))
    rows = [(rule, describe(rule), rule.moves) for rule in rules]
    if request.GET.get("format") == "csv":
        return csv_download(
            f"lifecycle-rules-{portfolio.id}",
            ["id", "name", "rule", "condition_type", "mode", "is_active", "moves_made"],
            [(r.id, r.name, text, r.condition_type, r.mode, r.is_active, n) for r, text, n in rows],
        )
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Lifecycle rules", None)],
        section="rules",
        rows=rows,
        can_write=access.can(request.user, LifecycleRule, portfolio.id),
    )
    return render(request, "products/rule_list.html", context)


def _refresh(request) -> bool:
    """The "Show its fields" button: re-render for the newly chosen condition types, save nothing."""
    return request.method == "POST" and "refresh" in request.POST


def _form_page(request, portfolio, form, *, rule=None):
    title = f"Edit rule “{rule.name}”" if rule else "New lifecycle rule"
    rules_url = reverse("rule-list", args=[portfolio.id])
    history = object_history("lifecycle_rule", rule.id, limit=20, zone=portfolio.zone) if rule else []
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[("Lifecycle rules", rules_url), (title, None)],
        section="rules",
        form=form,
        title=title,
        rules_url=rules_url,
        rule=rule,
        history=history,
        moves=rule.transitions.count() if rule else 0,
    )
    return render(request, "products/rule_form.html", context, status=400 if form.errors else 200)


def _save(request, portfolio, form, rule=None):
    saved = save_with(
        request,
        form,
        lambda data: services.lifecycle_rule_save(
            portfolio=portfolio, rule=rule, actor=request.user, **form.rule_fields()
        ),
    )
    if not saved:
        return None
    messages.success(request, f"Rule saved: {describe(saved)}. It is checked now and after every KPI update.")
    return redirect("rule-list", portfolio_id=portfolio.id)


@page
def rule_create(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    access.require(request.user, LifecycleRule, portfolio.id)
    initial = {"from_stage": "launch", "to_stage": "growth", "is_active": True}
    if request.GET.get("condition_type"):
        initial["condition_type"] = request.GET["condition_type"]
    form = LifecycleRuleForm(request.POST or None, portfolio=portfolio, initial=initial, refresh=_refresh(request))
    if not form.refresh and (done := _save(request, portfolio, form)):
        return done
    return _form_page(request, portfolio, form)


@page
def rule_edit(request, rule_id: int):
    rule = lifecycle_rule_for_user(request.user, rule_id, write=True)
    initial = {
        name: getattr(rule, name)
        for name in ("name", "from_stage", "to_stage", "condition_type", "mode", "is_active", "params")
    }
    form = LifecycleRuleForm(request.POST or None, portfolio=rule.portfolio, initial=initial, refresh=_refresh(request))
    if not form.refresh and (done := _save(request, rule.portfolio, form, rule)):
        return done
    return _form_page(request, rule.portfolio, form, rule=rule)


@page
def rule_delete(request, rule_id: int):
    rule = lifecycle_rule_for_user(request.user, rule_id, write=True)
    if request.method == "POST":
        services.lifecycle_rule_delete(rule_id=rule.id, actor=request.user)
        messages.success(request, f"Rule “{rule.name}” deleted. The moves it made stay in the stage history.")
        return redirect("rule-list", portfolio_id=rule.portfolio_id)
    moves = rule.transitions.count()
    context = portfolio_context(
        request,
        rule.portfolio,
        crumbs=[("Lifecycle rules", reverse("rule-list", args=[rule.portfolio_id])), ("Delete", None)],
        section="rules",
        title=f"Delete the rule “{rule.name}”?",
        consequences=[describe(rule), f"The {moves} move(s) it made stay in the stage history."],
        consequence_intro="It will no longer move products:",
        alternative="Or edit it and untick Active to pause it.",
        confirm_label="Delete rule",
        cancel_url=reverse("rule-list", args=[rule.portfolio_id]),
    )
    return render(request, "confirm_page.html", context)
