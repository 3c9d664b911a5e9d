"""Campaign pages: the list across products (filters, totals, budget vs spend per quarter, CSV), a
campaign (money, the KPI panels other apps add, history, the weekly "record spend" form), its form and
delete. Every write goes through gtm.services.campaigns; a refusal comes back on its field, never a 500.
"""

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from gtm import budget
from gtm.campaign_forms import CampaignFilter, CampaignForm, SpendForm
from gtm.models import Campaign, LaunchPlan
from gtm.services import campaigns as services
from pmflow import access
from pmflow.forms import save_with
from products.pages import page, panels_for, portfolio_context
from products.selectors import object_history, portfolio_for_user, product_for_user
from roadmap.page_tools import row_id, today_in
from roadmap.release_forms import ProductPick

PER_PAGE = 50
PANELS = "campaign.panels"  # KPIs narrowed to the campaign: kpis registers its panel here (gtm cannot import kpis)


def _list_url(portfolio_id: int, **narrow) -> str:
    url = reverse("campaign-list", args=[portfolio_id])
    query = "&".join(f"{name}={value}" for name, value in narrow.items() if value)
    return f"{url}?{query}" if query else url


def money_figures(campaign) -> dict:
    """Budget, spend and remaining of one campaign, and the bar: `value` of `max` (a bar needs max > 0)."""
    over = campaign.spend > campaign.budget
    if campaign.budget:
        bar_max, bar_value = campaign.budget, min(campaign.spend, campaign.budget)
        percent = int(campaign.spend * 100 / campaign.budget)
    else:
        bar_max, bar_value, percent = Decimal(1), Decimal(1 if campaign.spend else 0), None
    return {
        "budget": campaign.budget,
        "spend": campaign.spend,
        "remaining": campaign.budget - campaign.spend,
        "over": over,
        "over_by": campaign.spend - campaign.budget if over else 0,
        "percent": percent,
        "bar_max": f"{bar_max:f}",
        "bar_value": f"{bar_value:f}",
    }


def timing(campaign, today) -> str:
    """Where the campaign is in its dates, in words (and a status that no longer fits them)."""
    if today < campaign.start_date:
        days = (campaign.start_date - today).days
        return f"starts in {days} day{'s' if days != 1 else ''}"
    if today > campaign.end_date:
        days = (today - campaign.end_date).days
        still = campaign.status in (Campaign.Status.PLANNED, Campaign.Status.ACTIVE)
        return f"ended {days} day{'s' if days != 1 else ''} ago" + (
            f" but still marked {campaign.get_status_display().lower()}" if still else ""
        )
    left = (campaign.end_date - today).days
    return "ends today" if left == 0 else f"running, {left} day{'s' if left != 1 else ''} left"


# --- the list ---------------------------------------------------------------------------------------


@page
def campaign_list(request, portfolio_id: int):
    portfolio = portfolio_for_user(request.user, portfolio_id)
    in_portfolio = Campaign.objects.filter(product__portfolio=portfolio)
    this_year = today_in(portfolio).year
    years = [day.year for day in in_portfolio.dates("start_date", "year")]
    data = request.GET.copy()
    data.setdefault("year", str(this_year))
    filters = CampaignFilter(data, portfolio=portfolio, years=years, this_year=this_year)
    wanted = filters.wanted()
    product, plan, year = wanted.get("product"), wanted.get("launch_plan"), wanted["year"]
    queryset = in_portfolio
    if product:
        queryset = queryset.filter(product=product)
    if plan:
        queryset = queryset.filter(launch_plan=plan)
    for name in ("channel", "status"):
        if wanted.get(name):
            queryset = queryset.filter(**{name: wanted[name]})
    if year:
        queryset = queryset.filter(start_date__year=year)

    if request.GET.get("format") == "csv":
        rows = budget.campaigns(queryset).order_by("start_date", "name", "id")
        response = StreamingHttpResponse(
            budget.csv_lines(rows.iterator(chunk_size=500)), content_type="text/csv; charset=utf-8"
        )
        suffix = f"-{year}" if year else ""
        response["Content-Disposition"] = f'attachment; filename="campaigns-{portfolio.id}{suffix}.csv"'
        return response

    summary = queryset.order_by().aggregate(
        budget_total=Sum("budget", output_field=budget.TOTAL),
        spend_total=Sum("spend", output_field=budget.TOTAL),
        count=Count("id"),
        over=Count("id", filter=Q(spend__gt=F("budget"))),
    )
    total = budget.BudgetRow(
        key="total",
        label="Total",
        budget=summary["budget_total"] or budget.ZERO,
        spend=summary["spend_total"] or budget.ZERO,
        campaigns=summary["count"],
    )
    chart = budget.budget_chart(
        queryset,
        group="quarter",
        year=year,
        empty_text=f"No campaigns start in {year}." if year else "No campaigns match these filters.",
        summary=False,  # the totals are above it
    )
    listing = Paginator(budget.campaigns(queryset).order_by("start_date", "name", "id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    today = today_in(portfolio)
    for campaign in listing:
        campaign.over = campaign.spend > campaign.budget
        campaign.live = campaign.start_date <= today <= campaign.end_date
    can_write = access.can(request.user, Campaign, portfolio.id)
    query = request.GET.copy()
    query.pop("page", None)
    csv_query = data.copy()
    csv_query.pop("page", None)
    csv_query["format"] = "csv"
    filtered = any(wanted.get(name) for name in ("product", "launch_plan", "channel", "status"))
    crumbs = [("Campaigns", _list_url(portfolio.id) if filtered else None)]
    if product:
        crumbs.append((product.name, None))
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        model=Campaign,
        tab="campaigns",
        product=product,
        plan=plan,
        year=year,
        this_year=this_year,
        filters=filters,
        filtered=filtered,
        listing=listing,
        total=total,
        over_count=summary["over"],
        chart=chart,
        query=query.urlencode(),
        csv_url=f"{reverse('campaign-list', args=[portfolio.id])}?{csv_query.urlencode()}",
        can_write=can_write,
        pick=ProductPick(portfolio=portfolio) if can_write and not product else None,
        any_campaigns=bool(years),
    )
    return render(request, "gtm/campaigns.html", context)


# --- one campaign -----------------------------------------------------------------------------------


def _campaign_page(request, campaign, *, spend_form=None, status=200):
    portfolio = campaign.product.portfolio
    today = today_in(portfolio)
    context = portfolio_context(
        request,
        portfolio,
        crumbs=[
            ("Campaigns", _list_url(portfolio.id)),
            (campaign.product.name, _list_url(portfolio.id, product=campaign.product_id, year="all")),
            (campaign.name, None),
        ],
        section="launches",
        model=Campaign,
        tab="campaigns",
        campaign=campaign,
        product=campaign.product,
        money=money_figures(campaign),
        timing=timing(campaign, today),
        quarter=budget.quarter_label(campaign.start_date.year, (campaign.start_date.month - 1) // 3 + 1),
        can_write=access.can(request.user, Campaign, portfolio.id),
        spend_form=spend_form or SpendForm(initial={"spend": _amount(campaign.spend)}),
        panels=panels_for(campaign, request, slot=PANELS),
        history=object_history("campaign", campaign.id, limit=20, zone=portfolio.zone),
    )
    return render(request, "gtm/campaign_page.html", context, status=status)


def _amount(value) -> str:
    return f"{value:f}".removesuffix(".00")


@page
def campaign_page(request, campaign_id: int):
    return _campaign_page(request, budget.campaign_for_user(request.user, campaign_id))


@page
@require_POST
def campaign_spend(request, campaign_id: int):
    """Record the spend so far (the weekly update): the one number, through the service."""
    campaign = budget.campaign_for_user(request.user, campaign_id, write=True)  # before the form is read
    form = SpendForm(request.POST)
    saved = save_with(
        request, form, lambda data: services.campaign_update(campaign_id=campaign.id, actor=request.user, **data)
    )
    if not saved:
        return _campaign_page(request, campaign, spend_form=form, status=400)
    figures = money_figures(saved)
    spent = budget.money_text(saved.spend)
    if figures["over"]:
        note = f"{budget.money_text(figures['over_by'])} over its budget of {budget.money_text(saved.budget)}."
    elif saved.budget:
        note = f"{figures['percent']} % of its budget of {budget.money_text(saved.budget)}."
    else:
        note = "It has no budget yet."
    messages.success(request, f"Spend recorded: {spent}, {note}")
    return redirect("campaign-page", campaign_id=campaign.id)


# --- create, edit, delete ---------------------------------------------------------------------------


def _form_page(request, product, form, *, campaign=None):
    portfolio = product.portfolio
    title = f"Edit campaign {campaign.name}" if campaign else f"New campaign of {product.name}"
    campaign_url = reverse("campaign-page", args=[campaign.id]) if campaign else None
    crumbs = [
        ("Campaigns", _list_url(portfolio.id)),
        (product.name, _list_url(portfolio.id, product=product.id, year="all")),
    ]
    crumbs += [(campaign.name, campaign_url), ("Edit", None)] if campaign else [("New campaign", None)]
    context = portfolio_context(
        request,
        portfolio,
        crumbs=crumbs,
        section="launches",
        model=Campaign,
        form=form,
        title=title,
        intro=""
        if campaign
        else "Plan it with dates and a budget; record its spend on its page as it runs. Its budget and spend count "
        "in the quarter it starts.",
        submit_label="Save changes" if campaign else "Plan campaign",
        cancel_url=campaign_url or _list_url(portfolio.id, product=product.id),
        delete_url=reverse("campaign-delete", args=[campaign.id]) if campaign else None,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


@page
def campaign_create(request):
    product = product_for_user(request.user, request.GET.get("product"))
    access.require(request.user, Campaign, product.portfolio_id)  # before the form is read
    initial = {"owner": request.user.pk}  # who plans it usually runs it (a member: they may write here)
    plan_id = row_id(request.GET.get("launch_plan"))
    if plan_id is not None:
        plan = LaunchPlan.objects.filter(pk=plan_id, product=product).first()
        if plan is not None:  # another product's (or portfolio's) plan is not offered
            initial.update(launch_plan=plan.id, start_date=plan.launch_date)
    form = CampaignForm(request.POST or None, product=product, initial=initial)
    if campaign := save_with(
        request, form, lambda data: services.campaign_create(product=product, actor=request.user, **data)
    ):
        messages.success(request, f"Campaign “{campaign.name}” planned. Record its spend on this page as it runs.")
        return redirect("campaign-page", campaign_id=campaign.id)
    return _form_page(request, product, form)


@page
def campaign_edit(request, campaign_id: int):
    campaign = budget.campaign_for_user(request.user, campaign_id, write=True)
    form = CampaignForm(request.POST or None, product=campaign.product, initial=CampaignForm.initial_for(campaign))
    if save_with(
        request, form, lambda data: services.campaign_update(campaign_id=campaign.id, actor=request.user, **data)
    ):
        messages.success(request, "Campaign saved.")
        return redirect("campaign-page", campaign_id=campaign.id)
    return _form_page(request, campaign.product, form, campaign=campaign)


@page
def campaign_delete(request, campaign_id: int):
    campaign = budget.campaign_for_user(request.user, campaign_id, write=True)
    portfolio_id = campaign.product.portfolio_id
    back = _list_url(portfolio_id, product=campaign.product_id)
    if request.method == "POST":
        name = services.campaign_delete(campaign_id=campaign.id, actor=request.user)
        messages.success(request, f"Campaign “{name}” deleted.")
        return redirect(back)
    spent = (
        [f"Its spend of {budget.money_text(campaign.spend)} no longer counts in budget vs spend."]
        if campaign.spend
        else []
    )
    context = portfolio_context(
        request,
        campaign.product.portfolio,
        crumbs=[
            ("Campaigns", _list_url(portfolio_id)),
            (campaign.product.name, _list_url(portfolio_id, product=campaign.product_id, year="all")),
            (campaign.name, reverse("campaign-page", args=[campaign.id])),
            ("Delete", None),
        ],
        section="launches",
        model=Campaign,
        title=f"Delete campaign {campaign.name}?",
        consequence_intro="This cannot be undone.",
        consequences=[
            *spent,
            "KPIs narrowed to it stay with the product, no longer narrowed to a campaign.",
            "Its change history stays in the audit log.",
        ],
        alternative="To stop it but keep its numbers, set its status to cancelled instead.",
        confirm_label="Delete campaign",
        cancel_url=reverse("campaign-page", args=[campaign.id]),
    )
    return render(request, "confirm_page.html", context)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/campaigns/", campaign_list, name="campaign-list"),
    path("campaigns/new/", campaign_create, name="campaign-create"),
    path("campaigns/<int:campaign_id>/", campaign_page, name="campaign-page"),
    path("campaigns/<int:campaign_id>/edit/", campaign_edit, name="campaign-edit"),
    path("campaigns/<int:campaign_id>/delete/", campaign_delete, name="campaign-delete"),
    path("campaigns/<int:campaign_id>/spend/", campaign_spend, name="campaign-spend"),
]
