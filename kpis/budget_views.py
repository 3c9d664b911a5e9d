"""Budget plan pages: budget and sales target against actual spend and revenue.

- `budget-plan-list` (/portfolios/<id>/budget-plans/): the portfolio's plans by year, each with its year's
  budget, spend, target, actual sales and the variances; filtered by year and product or line.
- `budget-plan-page` (/budget-plans/<id>/): the quarterly review page: quarter × (budget, spend, variance,
  target, actual, variance) with the year's totals, the chart (budget vs spend, target vs actual), the
  budget by channel beside the campaigns' spend per channel, the campaigns counted, and `?format=csv`.
- `budget-plan-create` (/budget-plans/new/?portfolio=&product= or &product_line=), `budget-plan-edit` (the
  targets as four fields, the budget as a table of quarter × channel rows: "Add a line" and "Remove" work
  without JavaScript), `budget-plan-delete`.

Every write goes through products.services.budget; a refusal comes back on the form with status 400. The
role is checked before a form is read. The figures are kpis.budget_actuals' (a fixed number of queries for
any number of plans), so the list costs the same for 2 plans or 200.
"""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode

from gtm.budget import money_text
from gtm.models import Campaign
from kpis.budget_actuals import (
    ACTUALS_COLUMNS,
    actuals_csv_rows,
    campaigns_counted,
    plan_figures,
    quarter_of,
)
from kpis.budget_chart import plan_chart
from kpis.budget_forms import (
    CHANNEL_LIST_ID,
    LINES_ABSOLUTE_MAX,
    LINES_PREFIX,
    PlanFilter,
    PlanForm,
    channel_suggestions,
    lines_formset,
    owner_value,
)
from pmflow import access
from pmflow.errors import DomainError, InvalidInput
from pmflow.forms import add_domain_error, csv_download
from products.models import BudgetPlan, Portfolio
from products.pages import page, portfolio_context, portfolio_to_create_in
from products.selectors import object_history, portfolio_for_user
from products.services import budget as services

PER_PAGE = 50
ZERO = Decimal("0.00")


def _list_url(portfolio_id: int, **query) -> str:
    url = reverse("budget-plan-list", args=[portfolio_id])
    query = {name: value for name, value in query.items() if value}
    return f"{url}?{urlencode(query)}" if query else url


def _plan_url(plan: BudgetPlan) -> str:
    return reverse("budget-plan-page", args=[plan.id])


def _new_url(portfolio_id: int, plan_or_owner=None, year=None) -> str:
    query = {"portfolio": portfolio_id}
    if plan_or_owner:
        kind, _, pk = owner_value(plan_or_owner).partition("-")
        query["product" if kind == "product" else "product_line"] = pk
    if year:
        query["year"] = year
    return reverse("budget-plan-create") + "?" + urlencode(query)


def _today(portfolio: Portfolio):
    return timezone.localdate(timezone=portfolio.zone)


def _context(request, portfolio, **extra) -> dict:
    return portfolio_context(
        request,
        portfolio,
        section="desk",
        model=BudgetPlan,
        can_write=access.can(request.user, BudgetPlan, portfolio.id),
        **extra,
    )


def _crumbs(portfolio_id: int, *more) -> list:
    return [("Marketing plans", _list_url(portfolio_id)), *more]


def _owner_filter(plans, owner: str):
    kind, _, pk = owner.partition("-")
    return plans.filter(product_id=pk) if kind == "product" else plans.filter(product_line_id=pk)


def _money(value) -> str:
    return "—" if value is None else money_text(value)


def _signed(value) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + money_text(value)


def _tone(variance, *, good_when_positive: bool) -> str:
    """ "good", "bad" or "" (on plan, or nothing to compare) for a variance's colour."""
    if variance is None or variance == 0:
        return ""
    return "good" if (variance > 0) == good_when_positive else "bad"


def _present(figures) -> None:
    """The texts and tones the templates show, on each quarter and the year (see kpis.budget_actuals)."""
    for row in [*figures.quarters, figures.total]:
        row.texts = {
            "budget": _money(row.budget),
            "spend": _money(row.spend),
            "spend_variance": _signed(row.spend_variance),
            "sales_target": _money(row.sales_target),
            "sales_actual": _money(row.sales_actual),
            "sales_variance": _signed(row.sales_variance),
        }
        if row.spend_variance > 0:
            row.texts["spend_note"] = f"▲ {money_text(row.spend_variance)} over budget"
        elif row.spend_variance < 0:
            row.texts["spend_note"] = f"{money_text(-row.spend_variance)} of the budget left"
        else:
            row.texts["spend_note"] = "on budget" if row.budget else "no budget, no spend"
        if row.sales_variance is None:
            row.texts["sales_note"] = "nothing to compare yet"
        elif row.sales_variance < 0:
            row.texts["sales_note"] = f"▼ {money_text(-row.sales_variance)} below target"
        else:
            row.texts["sales_note"] = f"{money_text(row.sales_variance)} above target"
        row.spend_tone = _tone(row.spend_variance, good_when_positive=False)
        row.sales_tone = _tone(row.sales_variance, good_when_positive=True)


# --- the list ---------------------------------------------------------------------------------------------


@page
def budget_plan_list(request, portfolio_id: int):
    """The portfolio's plans, the latest year first, each with its year's figures."""
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = PlanFilter(request.GET or None, portfolio=portfolio)
    wanted = filters.wanted()
    chosen = BudgetPlan.objects.filter(portfolio=portfolio)
    if "year" in wanted:
        chosen = chosen.filter(year=wanted["year"])
    if "owner" in wanted:
        chosen = _owner_filter(chosen, wanted["owner"])
    ordered = services.plans(chosen).order_by("-year", "product_line__name", "product__name", "id")
    listing = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    plans = list(listing)
    figures = plan_figures(plans)
    rows = [figures[plan.id] for plan in plans]
    years: dict[int, list] = defaultdict(list)
    for row in rows:
        row.name = services.owner_name(row.plan)
        _present(row)
        years[row.plan.year].append(row)
    query = request.GET.copy()
    query.pop("page", None)
    today = _today(portfolio)
    context = _context(
        request,
        portfolio,
        crumbs=[("Marketing plans", None)],
        filters=filters,
        filtered=bool(wanted),
        listing=listing,
        years=sorted(years.items(), reverse=True),
        query=query.urlencode(),
        new_url=_new_url(portfolio.id, wanted.get("owner"), wanted.get("year") or today.year),
        this_year=today.year,
        has_any=bool(plans) or BudgetPlan.objects.filter(portfolio=portfolio).exists(),
    )
    return render(request, "kpis/budget/plan_list.html", context)


# --- the review page --------------------------------------------------------------------------------------


def _channel_rows(plan: BudgetPlan, campaigns: list[Campaign]) -> list[dict]:
    """The budget by channel (each quarter and the year) beside the spend of the campaigns of that channel
    (a line named like a campaign channel, by code or name, lines up with it). Campaign channels with spend
    but no budget line come last, as unplanned."""
    labels = dict(Campaign.Channel.choices)
    spend: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for campaign in campaigns:
        spend[campaign.channel] += campaign.spend
    matched = set()
    rows: dict[str, dict] = {}
    for line in plan.budget_lines.all():
        key = line.channel.casefold()
        row = rows.setdefault(key, {"channel": line.channel, "quarters": [ZERO] * 4, "spend": None, "code": None})
        row["quarters"][line.quarter - 1] += line.amount
    for row in rows.values():
        for code, label in labels.items():
            if row["channel"].casefold() in (code.casefold(), label.casefold(), code.replace("_", " ")):
                row["code"] = code
                row["spend"] = spend.get(code, ZERO)
                matched.add(code)
    result = sorted(rows.values(), key=lambda row: -sum(row["quarters"]))
    for code, amount in spend.items():
        if code not in matched and amount:
            result.append(
                {
                    "channel": labels.get(code, code),
                    "quarters": [ZERO] * 4,
                    "spend": amount,
                    "code": code,
                    "unplanned": True,
                }
            )
    for row in result:
        row["total"] = sum(row["quarters"], ZERO)
        row["over"] = row["spend"] is not None and row["spend"] > row["total"]
    return result


@page
def budget_plan_page(request, plan_id: int):
    plan = services.budget_plan_for_user(request.user, plan_id)
    portfolio = plan.portfolio
    figures = plan_figures([plan])[plan.id]
    _present(figures)
    today = _today(portfolio)
    for row in figures.quarters:  # the quarter holding today: its figures are "so far"
        row.in_progress = today.year == plan.year and quarter_of(today) == row.quarter
    if request.GET.get("format") == "csv":
        name = services.owner_name(plan).replace(" (product line)", "")
        return csv_download(f"marketing-plan-{name}-{plan.year}", ACTUALS_COLUMNS, actuals_csv_rows(figures))
    campaigns = list(campaigns_counted(plan))
    for campaign in campaigns:
        campaign.quarter = quarter_of(campaign.start_date)
    siblings = dict(
        BudgetPlan.objects.filter(
            product_id=plan.product_id, product_line_id=plan.product_line_id, year__in=[plan.year - 1, plan.year + 1]
        ).values_list("year", "id")
    )
    name = services.owner_name(plan)
    context = _context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio.id, (f"{name} {plan.year}", None)),
        plan=plan,
        name=name,
        figures=figures,
        panels=plan_chart(figures),
        channels=_channel_rows(plan, campaigns),
        campaigns=campaigns,
        is_line=bool(plan.product_line_id),
        previous_id=siblings.get(plan.year - 1),
        next_id=siblings.get(plan.year + 1),
        next_new_url=_new_url(portfolio.id, plan, plan.year + 1),
        today=today,
        history=object_history("budget_plan", plan.id, limit=20, zone=portfolio.zone),
    )
    return render(request, "kpis/budget/plan_page.html", context)


# --- create and edit --------------------------------------------------------------------------------------


def _row_id(raw) -> int | None:
    text = str(raw or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def _with_one_more_row(data: QueryDict) -> QueryDict:
    data = data.copy()
    key = f"{LINES_PREFIX}-TOTAL_FORMS"
    data[key] = str(min((_row_id(data.get(key)) or 0) + 1, LINES_ABSOLUTE_MAX))
    return data


def _initial_lines(plan: BudgetPlan | None) -> list[dict]:
    if plan is None:
        return []
    return [
        {"quarter": line.quarter, "channel": line.channel, "amount": line.amount} for line in plan.budget_lines.all()
    ]


def _form_page(request, portfolio: Portfolio, *, plan: BudgetPlan | None, initial: dict):
    """The plan's form: owner and year, the four targets, the budget lines' table. Saves on "Save"; "Add a
    line" comes back with one more row (nothing saved)."""
    posted = request.method == "POST"
    adding = posted and "add" in request.POST
    data = request.POST if posted else None
    if adding:
        data = _with_one_more_row(data)
        # Nothing is saved yet: the plan's fields come back as typed, without errors.
        typed = {name: data.get(name, "") for name in PlanForm.base_fields}
        form = PlanForm(None, portfolio=portfolio, initial=typed)
    else:
        form = PlanForm(data, portfolio=portfolio, initial=initial)
    formset = lines_formset(data, lines=_initial_lines(plan))
    status = 200
    lines_errors: list = []
    if adding:
        if formset.forms:
            formset.forms[-1].fields["channel"].widget.attrs["autofocus"] = True
    elif posted:
        form_ok, lines_ok = form.is_valid(), formset.is_valid()
        if form_ok and lines_ok:
            fields = {**form.chosen_owner(), "year": form.cleaned_data["year"]}
            try:
                if plan is None:
                    saved = services.budget_plan_create(
                        portfolio=portfolio,
                        actor=request.user,
                        budget_lines=formset.rows(),
                        sales_targets=form.sales_targets(),
                        **fields,
                    )
                else:
                    saved = services.budget_plan_update(
                        plan_id=plan.id,
                        actor=request.user,
                        budget_lines=formset.rows(),
                        sales_targets=form.sales_targets(),
                        **fields,
                    )
            except InvalidInput as exc:
                problems = dict(exc.fields)
                for name in ("budget_lines",):
                    if name in problems:
                        found = problems.pop(name)
                        lines_errors = found if isinstance(found, list) else [found]
                if "sales_targets" in problems:
                    form.add_error(None, problems.pop("sales_targets"))
                if "product" in problems or "product_line" in problems:
                    form.add_error("owner", problems.pop("product", None) or problems.pop("product_line"))
                if problems or not exc.fields:
                    add_domain_error(form, InvalidInput(exc.message, fields=problems))
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"Plan saved: {services.owner_name(saved)} {saved.year}.")
                return redirect(reverse("budget-plan-page", args=[saved.id]))
        else:
            lines_errors = list(formset.non_form_errors())
        status = 400
    title = f"Edit the {plan.year} plan of {services.owner_name(plan)}" if plan else "New marketing plan"
    crumbs = _crumbs(
        portfolio.id,
        *([(f"{services.owner_name(plan)} {plan.year}", _plan_url(plan))] if plan else []),
        ("Edit" if plan else "New plan", None),
    )
    context = _context(
        request,
        portfolio,
        crumbs=crumbs,
        plan=plan,
        form=form,
        formset=formset,
        lines_errors=lines_errors,
        title=title,
        channel_list_id=CHANNEL_LIST_ID,
        channel_suggestions=channel_suggestions(),
        line_limit=services.BUDGET_LINES_MAX,
        show_errors=not adding,
        cancel_url=_plan_url(plan) if plan else _list_url(portfolio.id),
        delete_url=reverse("budget-plan-delete", args=[plan.id]) if plan else None,
    )
    return render(request, "kpis/budget/plan_form.html", context, status=status)


@page
def budget_plan_create(request):
    portfolio = portfolio_to_create_in(request, BudgetPlan)  # the role, before the form is read
    initial = {"year": _today(portfolio).year}
    if product_id := _row_id(request.GET.get("product")):
        initial["owner"] = f"product-{product_id}"
    elif line_id := _row_id(request.GET.get("product_line")):
        initial["owner"] = f"line-{line_id}"
    if year := _row_id(request.GET.get("year")):
        initial["year"] = year
    return _form_page(request, portfolio, plan=None, initial=initial)


@page
def budget_plan_edit(request, plan_id: int):
    plan = services.budget_plan_for_user(request.user, plan_id, write=True)  # before the form is read
    return _form_page(request, plan.portfolio, plan=plan, initial=PlanForm.initial_for(plan))


@page
def budget_plan_delete(request, plan_id: int):
    plan = services.budget_plan_for_user(request.user, plan_id, write=True)
    portfolio = plan.portfolio
    if request.method == "POST":
        name = services.budget_plan_delete(plan_id=plan.id, actor=request.user)
        messages.success(request, f"The plan {name} is deleted.")
        return redirect(_list_url(portfolio.id))
    name = services.owner_name(plan)
    lines, targets = len(plan.budget_lines.all()), len(plan.sales_targets.all())
    consequences = [f"The {plan.year} marketing plan of {name} is deleted."]
    if lines or targets:
        line_words = f"{lines} budget line{'' if lines == 1 else 's'}"
        target_words = f"{targets} sales target{'' if targets == 1 else 's'}"
        consequences.append(f"Its {line_words} and {target_words} go with it.")
    consequences.append("Campaigns and revenue stay as they are: only the plan they were compared with goes.")
    context = _context(
        request,
        portfolio,
        crumbs=_crumbs(portfolio.id, (f"{name} {plan.year}", _plan_url(plan)), ("Delete", None)),
        title=f"Delete the {plan.year} plan of {name}?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        confirm_label="Delete plan",
        cancel_url=_plan_url(plan),
    )
    return render(request, "confirm_page.html", context)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/budget-plans/", budget_plan_list, name="budget-plan-list"),
    path("budget-plans/new/", budget_plan_create, name="budget-plan-create"),
    path("budget-plans/<int:plan_id>/", budget_plan_page, name="budget-plan-page"),
    path("budget-plans/<int:plan_id>/edit/", budget_plan_edit, name="budget-plan-edit"),
    path("budget-plans/<int:plan_id>/delete/", budget_plan_delete, name="budget-plan-delete"),
]
