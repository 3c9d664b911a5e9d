"""Vision, goals and key results pages: the portfolio's goals (`portfolio-goals`, the Strategy section's
first page), one product's vision and goals (`product-goals`), and the forms that write them.

Each key result shows its value against its target, a progress bar, its health and, when a KPI
measures it, the KPI's sparkline of its latest complete periods. The values are kpis.key_results'
(one rollup query for the whole page, so a page costs the same for 2 goals or 200). Every write goes
through products.services.goals, and the KPI link through kpis.services.key_results; a refusal comes
back on the form with status 400. The role is checked before a form is read.
"""

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from kpis import key_results as values
from kpis.charts import period_name
from kpis.goal_exports import CSV_CHUNK, key_result_csv_lines
from kpis.goal_forms import PERIOD_LABELS, GoalFilter, GoalForm, KeyResultForm, VisionForm
from kpis.launch_panels import quantity
from kpis.services import key_results as links
from pmflow import access
from pmflow.forms import save_with
from products.models import Goal, KeyResult, Product
from products.pages import page, portfolio_context
from products.selectors import portfolio_for_user, product_for_user
from products.services import goals as services

GOALS_PER_PAGE = 30


# --- shared pieces ----------------------------------------------------------------------------------------


def _strategy_crumb(portfolio_id: int) -> tuple[str, str]:
    return ("Strategy", reverse("portfolio-goals", args=[portfolio_id]))


def _product_crumb(product: Product) -> tuple[str, str]:
    return (product.name, reverse("product-goals", args=[product.id]))


def _goal_url(goal: Goal) -> str:
    return f"{reverse('product-goals', args=[goal.product_id])}#goal-{goal.id}"


def _period_text(goal: Goal) -> str:
    first, last = goal.period_start, goal.period_end
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def _timing(goal: Goal, elapsed, today: date) -> str:
    if today < goal.period_start:
        days = (goal.period_start - today).days
        return f"starts in {days} day{'' if days == 1 else 's'}"
    if today > goal.period_end:
        return "ended"
    return f"{_percent(elapsed)} of the period gone"


def _percent(value) -> str:
    return "—" if value is None else f"{value.normalize():f} %"  # 50 %, 45.5 %


def _mark(goals: list[Goal]) -> None:
    """Attach each goal's and key result's standing and the texts the cards show."""
    standings, kr_values = values.goal_values(goals)
    for goal in goals:
        today = values.today_of(goal.product.portfolio)
        goal.standing = standings[goal.pk]
        goal.period_text = _period_text(goal)
        goal.timing = _timing(goal, goal.standing.elapsed, today)
        goal.progress_text = _percent(goal.standing.progress)
        goal.rows = list(goal.key_results.all())
        for kr in goal.rows:
            standing = kr_values[kr.pk]
            unit = standing.kpi.unit if standing.kpi else ""
            kr.standing = standing
            kr.measuring_kpi = standing.kpi
            kr.value_text = "—" if standing.current is None else quantity(standing.current, unit)
            kr.target_text = quantity(kr.target_value, unit)
            kr.start_text = quantity(kr.start_value, unit)
            kr.progress_text = _percent(standing.progress)
            if standing.period_start is not None:
                kr.period_text = period_name(standing.kpi.target_granularity)(standing.period_start)
            else:
                kr.period_text = ""


def _valid(filters) -> dict:
    if not filters.is_bound:
        return {}
    filters.is_valid()
    return {name: value for name, value in filters.cleaned_data.items() if value not in (None, "")}


def _csv(name: str, key_results):
    response = StreamingHttpResponse(
        key_result_csv_lines(values.key_results_loaded(key_results).iterator(chunk_size=CSV_CHUNK)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _context(request, portfolio, **extra) -> dict:
    return portfolio_context(
        request,
        portfolio,
        section="strategy",
        model=Goal,
        rule=values.SCHEDULE_RULE,
        can_write=access.can(request.user, Goal, portfolio.id),
        **extra,
    )


# --- the lists --------------------------------------------------------------------------------------------


@page
def portfolio_goals(request, portfolio_id: int):
    """Every product's goals of the portfolio: running today unless `?period=` says otherwise."""
    portfolio = portfolio_for_user(request.user, portfolio_id)
    filters = GoalFilter(request.GET or None, portfolio=portfolio, initial={"period": "current"})
    wanted = _valid(filters)
    product, period = wanted.get("product"), wanted.get("period", "current")
    chosen = Goal.objects.filter(product__portfolio=portfolio)
    if product:
        chosen = chosen.filter(product=product)
    chosen = chosen.filter(values.period_condition(period, {portfolio.id: portfolio.zone}))
    if request.GET.get("format") == "csv":
        return _csv(
            f"key-results-{portfolio.id}", KeyResult.objects.filter(goal__in=chosen).order_by("goal_id", "title", "id")
        )
    ordered = values.goals_loaded(chosen).order_by("product__name", "product_id", "-period_start", "title", "id")
    listing = Paginator(ordered, GOALS_PER_PAGE).get_page(request.GET.get("page"))
    goals = list(listing)
    _mark(goals)
    query = request.GET.copy()
    query.pop("page", None)
    crumbs = [("Strategy", None)] if not wanted else [_strategy_crumb(portfolio.id), ("Goals", None)]
    context = _context(
        request,
        portfolio,
        crumbs=crumbs,
        product=product,
        filters=filters,
        filtered=bool(wanted),
        period=period,
        period_label=PERIOD_LABELS[period],
        listing=listing,
        goals=goals,
        query=query.urlencode(),
        products=list(portfolio.products.filter(archived_at__isnull=True).order_by("name").values("id", "name"))
        if access.can(request.user, Goal, portfolio.id)
        else [],
    )
    return render(request, "kpis/goals/portfolio_goals.html", context)


@page
def product_goals(request, product_id: int):
    """A product's vision, then its goals, the latest period first (running ones unless `?period=`)."""
    product = product_for_user(request.user, product_id)
    portfolio = product.portfolio
    filters = GoalFilter(request.GET or None, initial={"period": "all"})
    wanted = _valid(filters)
    period = wanted.get("period", "all")
    chosen = Goal.objects.filter(product=product).filter(
        values.period_condition(period, {portfolio.id: portfolio.zone})
    )
    if request.GET.get("format") == "csv":
        return _csv(
            f"key-results-{product.id}", KeyResult.objects.filter(goal__in=chosen).order_by("goal_id", "title", "id")
        )
    goals = list(values.goals_loaded(chosen).order_by("-period_start", "title", "id")[: GOALS_PER_PAGE * 4])
    _mark(goals)
    context = _context(
        request,
        portfolio,
        crumbs=[_strategy_crumb(portfolio.id), (product.name, None)],
        product=product,
        filters=filters,
        filtered=bool(wanted),
        period=period,
        period_label=PERIOD_LABELS[period],
        goals=goals,
        has_any=bool(goals) or Goal.objects.filter(product=product).exists(),
    )
    return render(request, "kpis/goals/product_goals.html", context)


# --- goals ------------------------------------------------------------------------------------------------


def _goal_form_page(request, product: Product, form: GoalForm, *, goal: Goal | None = None):
    portfolio = product.portfolio
    crumbs = [_strategy_crumb(portfolio.id), _product_crumb(product), (goal.title if goal else "New goal", None)]
    context = _context(
        request,
        portfolio,
        crumbs=crumbs,
        form=form,
        title=f"Edit “{goal.title}”" if goal else f"New goal for {product.name}",
        intro="" if goal else "A goal for a period (a quarter, a year); give it key results next.",
        submit_label="Save changes" if goal else "Add goal",
        cancel_url=_goal_url(goal) if goal else reverse("product-goals", args=[product.id]),
        delete_url=reverse("goal-delete", args=[goal.id]) if goal else None,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


def _this_year(portfolio) -> dict:
    today = values.today_of(portfolio)
    return {"period_start": date(today.year, 1, 1), "period_end": date(today.year, 12, 31)}


@page
def goal_create(request, product_id: int):
    product = product_for_user(request.user, product_id)
    access.require(request.user, Goal, product.portfolio_id)  # before the form is read
    form = GoalForm(request.POST if request.method == "POST" else None, initial=_this_year(product.portfolio))
    if goal := save_with(request, form, lambda data: services.goal_create(product=product, actor=request.user, **data)):
        messages.success(request, f"“{goal.title}” added. Next: give it key results.")
        return redirect(_goal_url(goal))
    return _goal_form_page(request, product, form)


def _goal_for_user(user, goal_id, *, write: bool = False) -> Goal:
    queryset = Goal.objects.select_related("product__portfolio")
    return access.object_for_user(user, queryset, goal_id, action=access.WRITE if write else access.READ)


@page
def goal_edit(request, goal_id: int):
    goal = _goal_for_user(request.user, goal_id, write=True)
    form = GoalForm(request.POST if request.method == "POST" else None, initial=GoalForm.initial_for(goal))
    if save_with(request, form, lambda data: services.goal_update(goal_id=goal.id, actor=request.user, **data)):
        messages.success(request, "Goal saved.")
        return redirect(_goal_url(goal))
    return _goal_form_page(request, goal.product, form, goal=goal)


@page
def goal_delete(request, goal_id: int):
    goal = _goal_for_user(request.user, goal_id, write=True)
    back = reverse("product-goals", args=[goal.product_id])
    if request.method == "POST":
        title = services.goal_delete(goal_id=goal.id, actor=request.user)
        messages.success(request, f"“{title}” deleted.")
        return redirect(back)
    count = goal.key_results.count()
    consequences = [f"The goal “{goal.title}” of {goal.product.name} ({_period_text(goal)}) is deleted."]
    if count:
        consequences.append(
            f"Its {count} key result{'' if count == 1 else 's'} go with it; their KPIs and measurements stay."
        )
    context = _context(
        request,
        goal.product.portfolio,
        crumbs=[
            _strategy_crumb(goal.product.portfolio_id),
            _product_crumb(goal.product),
            (goal.title, reverse("goal-edit", args=[goal.id])),
            ("Delete", None),
        ],
        title=f"Delete “{goal.title}”?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        alternative="To keep it for the record, leave it: goals whose period has ended move out of the current view.",
        confirm_label="Delete goal",
        cancel_url=_goal_url(goal),
    )
    return render(request, "confirm_page.html", context)


# --- key results ------------------------------------------------------------------------------------------


def _key_result_form_page(request, goal: Goal, form: KeyResultForm, *, key_result: KeyResult | None = None):
    product = goal.product
    crumbs = [
        _strategy_crumb(product.portfolio_id),
        _product_crumb(product),
        (goal.title, _goal_url(goal)),
        (key_result.title if key_result else "New key result", None),
    ]
    context = _context(
        request,
        product.portfolio,
        crumbs=crumbs,
        form=form,
        title=f"Edit “{key_result.title}”" if key_result else f"New key result for “{goal.title}”",
        intro="Link a KPI and its rollups give the current value, progress and health: nothing typed twice. "
        "Without one, report the value by hand.",
        submit_label="Save changes" if key_result else "Add key result",
        cancel_url=_goal_url(goal),
        delete_url=reverse("key-result-delete", args=[key_result.id]) if key_result else None,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


def _key_result_fields(data: dict) -> dict:
    return {name: data[name] for name in services.KEY_RESULT_FIELDS if name in data}


@page
def key_result_create(request, goal_id: int):
    goal = _goal_for_user(request.user, goal_id)
    access.require(request.user, KeyResult, goal.product.portfolio_id)  # before the form is read
    form = KeyResultForm(request.POST if request.method == "POST" else None, product=goal.product)
    if key_result := save_with(
        request,
        form,
        lambda data: links.key_result_save(
            goal=goal, actor=request.user, kpi=data.get("kpi"), **_key_result_fields(data)
        ),
    ):
        messages.success(request, f"Key result “{key_result.title}” added.")
        return redirect(_goal_url(goal))
    return _key_result_form_page(request, goal, form)


@page
def key_result_edit(request, key_result_id: int):
    key_result = access.object_for_user(
        request.user,
        KeyResult.objects.select_related("goal__product__portfolio", "kpi"),
        key_result_id,
        action=access.WRITE,
    )
    goal = key_result.goal
    form = KeyResultForm(
        request.POST if request.method == "POST" else None,
        product=goal.product,
        key_result=key_result,
        initial=KeyResultForm.initial_for(key_result, values.kpi_of(key_result)),
    )
    if save_with(
        request,
        form,
        lambda data: links.key_result_save(
            key_result_id=key_result.id, actor=request.user, kpi=data.get("kpi"), **_key_result_fields(data)
        ),
    ):
        messages.success(request, "Key result saved.")
        return redirect(_goal_url(goal))
    return _key_result_form_page(request, goal, form, key_result=key_result)


@page
def key_result_delete(request, key_result_id: int):
    key_result = access.object_for_user(
        request.user,
        KeyResult.objects.select_related("goal__product__portfolio", "kpi"),
        key_result_id,
        action=access.WRITE,
    )
    goal = key_result.goal
    if request.method == "POST":
        title = services.key_result_delete(key_result_id=key_result.id, actor=request.user)
        messages.success(request, f"Key result “{title}” deleted.")
        return redirect(_goal_url(goal))
    consequences = [
        f"“{key_result.title}” leaves the goal “{goal.title}”; the goal's progress is worked out without it."
    ]
    if kpi := values.kpi_of(key_result):
        consequences.append(f"The KPI “{kpi.name}” and its measurements stay; it measures no key result then.")
    context = _context(
        request,
        goal.product.portfolio,
        crumbs=[
            _strategy_crumb(goal.product.portfolio_id),
            _product_crumb(goal.product),
            (goal.title, _goal_url(goal)),
            ("Delete key result", None),
        ],
        title=f"Delete “{key_result.title}”?",
        consequence_intro="This cannot be undone.",
        consequences=consequences,
        confirm_label="Delete key result",
        cancel_url=_goal_url(goal),
    )
    return render(request, "confirm_page.html", context)


# --- the vision -------------------------------------------------------------------------------------------


@page
def product_vision(request, product_id: int):
    product = product_for_user(request.user, product_id, write=True)
    form = VisionForm(request.POST if request.method == "POST" else None, initial={"vision": product.vision})
    back = reverse("product-goals", args=[product.id])
    if save_with(
        request,
        form,
        lambda data: services.product_vision_set(product_id=product.id, actor=request.user, vision=data["vision"]),
    ):
        messages.success(request, "Vision saved.")
        return redirect(back)
    context = _context(
        request,
        product.portfolio,
        crumbs=[_strategy_crumb(product.portfolio_id), _product_crumb(product), ("Vision", None)],
        form=form,
        title=f"The vision of {product.name}",
        intro="One paragraph everyone can repeat: who it is for, the need it meets, and why this product.",
        submit_label="Save vision",
        cancel_url=back,
    )
    return render(request, "form_page.html", context, status=400 if form.errors else 200)


urlpatterns = [
    path("portfolios/<int:portfolio_id>/goals/", portfolio_goals, name="portfolio-goals"),
    path("products/<int:product_id>/goals/", product_goals, name="product-goals"),
    path("products/<int:product_id>/goals/new/", goal_create, name="goal-create"),
    path("products/<int:product_id>/vision/", product_vision, name="product-vision"),
    path("goals/<int:goal_id>/edit/", goal_edit, name="goal-edit"),
    path("goals/<int:goal_id>/delete/", goal_delete, name="goal-delete"),
    path("goals/<int:goal_id>/key-results/new/", key_result_create, name="key-result-create"),
    path("key-results/<int:key_result_id>/edit/", key_result_edit, name="key-result-edit"),
    path("key-results/<int:key_result_id>/delete/", key_result_delete, name="key-result-delete"),
]
