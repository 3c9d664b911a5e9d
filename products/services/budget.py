"""The annual marketing plan: a year's marketing budget (by quarter and channel) and sales target (by quarter)
of one product or one product line.

- A plan belongs to exactly one product or one product line (never both, never neither); its portfolio is
  the owner's, set here (a caller never gives it). A product or line may have one plan per year (years
  1900–2200). A page or API call that creates "in" a portfolio passes it: an owner of another portfolio
  is refused on its field. An update never moves a plan to another portfolio.
- Budget lines: at most BUDGET_LINES_MAX rows `{"quarter", "channel", "amount"}`; quarter 1–4, a channel
  of at most 50 characters (free text: the campaign channels are suggested, "trade fairs" is fine), one
  row per quarter and channel (compared without case), an amount of zero or more with at most two
  decimal places, at most AMOUNT_MAX. Sales targets: at most one per quarter `{"quarter", "amount"}`.
  Both are written whole with the plan: an update that gives them replaces every row, in the plan's
  transaction.
- How actuals are counted (campaign spend, revenue) is kpis.budget_actuals'.

Every write runs in one transaction, locks the plan it changes and records one domain event
(`budget_plan.created`, `.updated`, `.deleted`). Bad input is InvalidInput with a message per field
(400; rows named by number); nothing is written.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet

from pmflow.access import READ, WRITE, object_for_user, queryset_for_user
from pmflow.errors import InvalidInput, NotFound
from pmflow.fields import bounded_decimal
from products import events
from products.models import BudgetLine, BudgetPlan, Portfolio, Product, ProductLine, SalesTarget

PLAN_FIELDS = ("product", "product_line", "year")
QUARTERS = (1, 2, 3, 4)
CHANNEL_MAX = 50
BUDGET_LINES_MAX = 200
SALES_TARGETS_MAX = 4
AMOUNT_MAX = Decimal("999999999999.99")  # the columns' 14 digits, 2 places (as campaign budgets)
CENT = Decimal("0.01")
YEARS = (1900, 2200)  # the model's constraint

OWNER_MESSAGE = "Give a product or a product line, not both."
YEAR_MESSAGE = f"A year from {YEARS[0]} to {YEARS[1]}, e.g. 2026."


# --- reads ----------------------------------------------------------------------------------------------


def plans(queryset: QuerySet | None = None) -> QuerySet:
    """Plans with their owner and portfolio joined and their lines and targets prefetched (three queries
    for any number of plans)."""
    queryset = BudgetPlan.objects.all() if queryset is None else queryset
    return queryset.select_related("portfolio", "product", "product_line").prefetch_related(
        Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("quarter", "channel", "id")),
        Prefetch("sales_targets", queryset=SalesTarget.objects.order_by("quarter", "id")),
    )


def budget_plan_list_for_user(user) -> QuerySet:
    return queryset_for_user(user, plans())


def budget_plan_for_user(user, plan_id, *, write: bool = False) -> BudgetPlan:
    """One plan of the user's portfolios: NotFound for missing and foreign alike, NotAllowed for a role
    that may only read it when `write`."""
    return object_for_user(user, plans(), plan_id, action=WRITE if write else READ)


def owner_of(plan: BudgetPlan) -> Product | ProductLine:
    return plan.product if plan.product_id else plan.product_line


def owner_name(plan: BudgetPlan) -> str:
    """ "Insight Hub" or "Analytics (product line)"."""
    return plan.product.name if plan.product_id else f"{plan.product_line.name} (product line)"


def budget_total(plan: BudgetPlan) -> Decimal:
    return sum((line.amount for line in plan.budget_lines.all()), Decimal("0.00"))


def sales_target_total(plan: BudgetPlan) -> Decimal | None:
    """The year's target: the sum of the quarters that have one; None when none has."""
    targets = list(plan.sales_targets.all())
    return sum((target.amount for target in targets), Decimal("0.00")) if targets else None


# --- checks: each adds a message per field to `errors`, none raises ---------------------------------------


def _amount(raw) -> tuple[Decimal | None, str]:
    """A non-negative amount with at most two decimal places, at most AMOUNT_MAX: (value, "") or (None,
    message). Judged on the text before any arithmetic (pmflow.fields.bounded_decimal: `1e9999999`, NaN
    and Infinity cost nothing)."""
    if raw is None or raw == "":
        return None, "an amount (0 or more)"
    try:
        value = bounded_decimal(raw, max_digits=14, decimal_places=2, round_places=False)
    except ValueError as exc:
        return None, str(exc).rstrip(".").lower().replace("a number is required", "an amount (0 or more)")
    if value < 0:
        return None, "zero or more"
    if value > AMOUNT_MAX:
        return None, f"at most {AMOUNT_MAX:,}"
    return value, ""


def _quarter(raw) -> tuple[int | None, str]:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw not in QUARTERS:
        return None, "a quarter from 1 to 4"
    return raw, ""


def _channel(raw) -> tuple[str | None, str]:
    if not isinstance(raw, str):
        return None, "a channel (text)"
    value = raw.strip()
    if "\x00" in value:
        return None, "text without NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None, "text without lone surrogates"
    if not value:
        return None, "a channel, e.g. email or trade fairs"
    if len(value) > CHANNEL_MAX:
        return None, f"at most {CHANNEL_MAX} characters"
    return value, ""


def budget_lines_clean(rows) -> list[dict]:
    """The budget lines, checked and normalised (channel stripped, amount to cents), in quarter and channel
    order. Raises InvalidInput on `budget_lines` naming each bad row (1-based) and its field."""
    if not isinstance(rows, list | tuple):
        raise InvalidInput(fields={"budget_lines": "A list of budget lines: {quarter, channel, amount}."})
    if len(rows) > BUDGET_LINES_MAX:
        raise InvalidInput(fields={"budget_lines": f"At most {BUDGET_LINES_MAX} budget lines."})
    cleaned, problems, seen = [], [], {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(f"Line {number}: an object with quarter, channel and amount.")
            continue
        unknown = set(row) - {"quarter", "channel", "amount"}
        if unknown:
            problems.append(f"Line {number}: unknown field(s) {', '.join(sorted(map(str, unknown)))}.")
            continue
        quarter, quarter_problem = _quarter(row.get("quarter"))
        channel, channel_problem = _channel(row.get("channel"))
        amount, amount_problem = _amount(row.get("amount"))
        found = (("quarter", quarter_problem), ("channel", channel_problem), ("amount", amount_problem))
        errors = {name: problem for name, problem in found if problem}
        if not errors:
            key = (quarter, channel.casefold())
            if key in seen:
                errors["channel"] = f"Q{quarter} {channel} repeats line {seen[key]}: one line per quarter and channel"
            else:
                seen[key] = number
        if errors:
            problems.append(f"Line {number}: " + "; ".join(f"{name}: {problem}" for name, problem in errors.items()))
            continue
        cleaned.append({"quarter": quarter, "channel": channel, "amount": amount})
    if problems:
        raise InvalidInput(fields={"budget_lines": problems})
    return sorted(cleaned, key=lambda row: (row["quarter"], row["channel"].casefold()))


def sales_targets_clean(rows) -> list[dict]:
    """The sales targets, checked: at most one per quarter. Raises InvalidInput on `sales_targets`."""
    if not isinstance(rows, list | tuple):
        raise InvalidInput(fields={"sales_targets": "A list of sales targets: {quarter, amount}."})
    if len(rows) > SALES_TARGETS_MAX:
        raise InvalidInput(fields={"sales_targets": f"At most {SALES_TARGETS_MAX} sales targets, one per quarter."})
    cleaned, problems, seen = [], [], set()
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(f"Target {number}: an object with quarter and amount.")
            continue
        unknown = set(row) - {"quarter", "amount"}
        if unknown:
            problems.append(f"Target {number}: unknown field(s) {', '.join(sorted(map(str, unknown)))}.")
            continue
        quarter, quarter_problem = _quarter(row.get("quarter"))
        amount, amount_problem = _amount(row.get("amount"))
        errors = {name: p for name, p in (("quarter", quarter_problem), ("amount", amount_problem)) if p}
        if not errors and quarter in seen:
            errors["quarter"] = f"Q{quarter} has a target already: one per quarter"
        if errors:
            problems.append(f"Target {number}: " + "; ".join(f"{name}: {problem}" for name, problem in errors.items()))
            continue
        seen.add(quarter)
        cleaned.append({"quarter": quarter, "amount": amount})
    if problems:
        raise InvalidInput(fields={"sales_targets": problems})
    return sorted(cleaned, key=lambda row: row["quarter"])


def _year(fields: dict, errors: dict) -> None:
    if "year" not in fields:
        return
    value = fields["year"]
    if isinstance(value, bool) or not isinstance(value, int) or not YEARS[0] <= value <= YEARS[1]:
        errors["year"] = YEAR_MESSAGE


def _owner(fields: dict, errors: dict, *, portfolio_id: int | None, current: BudgetPlan | None = None) -> None:
    """Exactly one owner (judged on what the plan will have), of `portfolio_id` when given."""
    product = fields.get("product", current.product if current else None)
    line = fields.get("product_line", current.product_line if current else None)
    if "product" in fields and product is not None and not isinstance(product, Product):
        errors["product"] = "Choose a product."
        return
    if "product_line" in fields and line is not None and not isinstance(line, ProductLine):
        errors["product_line"] = "Choose a product line."
        return
    if product is not None and line is not None:
        errors["product_line" if "product_line" in fields and "product" not in fields else "product"] = OWNER_MESSAGE
        return
    if product is None and line is None:
        errors["product"] = "Give the product or the product line the plan is for."
        return
    if portfolio_id is not None:
        if product is not None and product.portfolio_id != portfolio_id:
            errors["product"] = "Choose a product of this portfolio."
        elif line is not None and line.portfolio_id != portfolio_id:
            errors["product_line"] = "Choose a product line of this portfolio."


def _taken(owner_field: str, owner, year, *, exclude: int | None = None) -> bool:
    if owner is None or not isinstance(year, int):
        return False
    rows = BudgetPlan.objects.filter(**{owner_field: owner, "year": year})
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.exists()


def _taken_message(owner, year) -> str:
    what = "This product" if isinstance(owner, Product) else "This product line"
    return f"{what} already has a plan for {year}: edit that one."


def _check_names(fields: dict) -> None:
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"not budget plan fields: {sorted(unknown)}")


# --- writes ---------------------------------------------------------------------------------------------


def _write_rows(plan: BudgetPlan, lines: list[dict] | None, targets: list[dict] | None) -> None:
    if lines is not None:
        BudgetLine.objects.filter(plan=plan).delete()
        BudgetLine.objects.bulk_create(BudgetLine(plan=plan, **row) for row in lines)
    if targets is not None:
        SalesTarget.objects.filter(plan=plan).delete()
        SalesTarget.objects.bulk_create(SalesTarget(plan=plan, **row) for row in targets)


def _total(rows: list[dict]) -> Decimal:
    return sum((row["amount"] for row in rows), Decimal("0.00"))


def _line_texts(rows: list[dict]) -> list[str]:
    return [f"Q{row['quarter']} {row['channel']}: {row['amount']}" for row in rows]


def budget_plan_create(
    *,
    year,
    product: Product | None = None,
    product_line: ProductLine | None = None,
    budget_lines=(),
    sales_targets=(),
    portfolio: Portfolio | None = None,
    actor=None,
) -> BudgetPlan:
    """A year's plan for `product` or `product_line` (exactly one), with its budget lines and sales targets.
    `portfolio`, when given, is where the caller creates it: an owner of another portfolio is refused.

    Raises InvalidInput: both or neither owner, an owner of another portfolio, a year outside 1900–2200 or
    already planned for this owner, a bad budget line or target (named by row).
    """
    fields = {"product": product, "product_line": product_line, "year": year}
    errors: dict = {}
    _owner(fields, errors, portfolio_id=portfolio.id if portfolio is not None else None)
    _year(fields, errors)
    for name, clean, rows in (
        ("budget_lines", budget_lines_clean, budget_lines),
        ("sales_targets", sales_targets_clean, sales_targets),
    ):
        try:
            fields[name] = clean(rows)
        except InvalidInput as exc:
            errors.update(exc.fields)
    owner_field = "product" if product is not None else "product_line"
    owner = product if product is not None else product_line
    if not errors and _taken(owner_field, owner, year):
        errors["year"] = _taken_message(owner, year)
    if errors:
        raise InvalidInput(fields=errors)
    lines, targets = fields.pop("budget_lines"), fields.pop("sales_targets")
    try:
        with transaction.atomic():
            plan = BudgetPlan.objects.create(portfolio_id=owner.portfolio_id, **fields)
            _write_rows(plan, lines, targets)
            events.record(
                portfolio_id=plan.portfolio_id,
                actor=actor,
                verb="budget_plan.created",
                obj=plan,
                changes={
                    owner_field: [None, owner.pk],
                    "year": [None, plan.year],
                    "budget": [None, _total(lines)],
                    "sales_target": [None, _total(targets) if targets else None],
                },
                data={"budget_lines": _line_texts(lines), "sales_targets": _line_texts_targets(targets)},
            )
    except IntegrityError as exc:  # a plan for the same owner and year committed meanwhile
        raise InvalidInput(fields={"year": _taken_message(owner, year)}) from exc
    return plan


def _line_texts_targets(rows: list[dict]) -> list[str]:
    return [f"Q{row['quarter']}: {row['amount']}" for row in rows]


def _locked_plan(plan_id: int) -> BudgetPlan:
    plan = (
        BudgetPlan.objects.select_for_update(of=("self",))
        .select_related("product", "product_line")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise NotFound()
    return plan


def _current_lines(plan: BudgetPlan) -> list[dict]:
    rows = BudgetLine.objects.filter(plan=plan).values("quarter", "channel", "amount")
    return sorted(rows, key=lambda row: (row["quarter"], row["channel"].casefold()))


def _current_targets(plan: BudgetPlan) -> list[dict]:
    return list(SalesTarget.objects.filter(plan=plan).order_by("quarter").values("quarter", "amount"))


def budget_plan_update(*, plan_id: int, actor=None, budget_lines=None, sales_targets=None, **fields) -> BudgetPlan:
    """Change a plan: its owner (within its portfolio; a product or a line, exactly one afterwards), year,
    and, when given, its budget lines and sales targets, each replaced whole. One `budget_plan.updated`
    event with every change; nothing written when nothing changed.

    Raises NotFound, and InvalidInput as `budget_plan_create` (an owner of another portfolio included).
    """
    _check_names(fields)
    fields = dict(fields)
    errors: dict = {}
    _year(fields, errors)
    lines = targets = None
    if budget_lines is not None:
        try:
            lines = budget_lines_clean(budget_lines)
        except InvalidInput as exc:
            errors.update(exc.fields)
    if sales_targets is not None:
        try:
            targets = sales_targets_clean(sales_targets)
        except InvalidInput as exc:
            errors.update(exc.fields)
    try:
        with transaction.atomic():
            plan = _locked_plan(plan_id)
            _owner(fields, errors, portfolio_id=plan.portfolio_id, current=plan)
            if not errors:
                product = fields.get("product", plan.product)
                owner = product if product is not None else fields.get("product_line", plan.product_line)
                owner_field = "product" if product is not None else "product_line"
                year = fields.get("year", plan.year)
                if _taken(owner_field, owner, year, exclude=plan.pk):
                    errors["year"] = _taken_message(owner, year)
            if errors:
                raise InvalidInput(fields=errors)
            before = events.snapshot(plan, fields)
            for name, value in fields.items():
                setattr(plan, name, value)
            changes = events.changes_between(before, events.snapshot(plan, fields))
            if changes:
                plan.save(update_fields=list(changes))
            data = {}
            old_lines = _current_lines(plan) if lines is not None else None
            old_targets = _current_targets(plan) if targets is not None else None
            if lines is not None and old_lines != lines:
                _write_rows(plan, lines, None)
                if _total(old_lines) != _total(lines):
                    changes["budget"] = [_total(old_lines), _total(lines)]
                changes["budget_lines"] = [len(old_lines), len(lines)]
                data["budget_lines"] = _line_texts(lines)
            if targets is not None and old_targets != targets:
                _write_rows(plan, None, targets)
                old_total = _total(old_targets) if old_targets else None
                new_total = _total(targets) if targets else None
                if old_total != new_total:
                    changes["sales_target"] = [old_total, new_total]
                changes["sales_targets"] = [len(old_targets), len(targets)]
                data["sales_targets"] = _line_texts_targets(targets)
            if changes:
                events.record(
                    portfolio_id=plan.portfolio_id,
                    actor=actor,
                    verb="budget_plan.updated",
                    obj=plan,
                    changes=changes,
                    data=data,
                )
    except IntegrityError as exc:
        raise InvalidInput(fields={"year": "This owner already has a plan for that year: edit that one."}) from exc
    return plan


def budget_plan_delete(*, plan_id: int, actor=None) -> str:
    """Delete a plan with its budget lines and sales targets (campaigns and revenue stay). Returns its
    name ("Insight Hub 2026")."""
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        lines, targets = _current_lines(plan), _current_targets(plan)
        name = f"{owner_name(plan)} {plan.year}"
        events.record(
            portfolio_id=plan.portfolio_id,
            actor=actor,
            verb="budget_plan.deleted",
            obj=plan,
            object_repr=name,
            data={
                "product": plan.product_id,
                "product_line": plan.product_line_id,
                "year": plan.year,
                "budget": str(_total(lines)),
                "sales_target": str(_total(targets)) if targets else None,
            },
        )
        plan.delete()
    return name
