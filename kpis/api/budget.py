"""Budget plans: marketing budget and sales target by quarter, and their actuals (campaign spend, revenue rollups).

- `/api/v1/budget-plans/` (API-CONTRACT.md, "Strategic"): `id`, `product` or `product_line` (exactly one),
  `year`, `budget_lines: [{"quarter", "channel", "amount"}]`, `sales_targets: [{"quarter", "amount"}]`,
  written whole with the plan (a write that gives a list replaces every row of it); read-only `portfolio`
  (the owner's), `budget_total`, `sales_target_total` (null without targets), `created_at`. Filters
  `portfolio`, `product`, `product_line`, `year`; `?search=` on the owner's name; `?ordering=`; `?format=csv`
  (one row per plan with its year's figures).
- `GET /api/v1/budget-plans/{id}/actuals/`: quarters 1–4, `[{"quarter", "budget", "spend", "sales_target",
  "sales_actual", "spend_variance", "sales_variance"}]`; `?format=csv` for a download. How they are counted
  (and what null means) is kpis.budget_actuals'.

Amounts are rounded to cents on the way in (12.345 → 12.34, half even, as every amount of the API); the
rules (one plan per owner and year, one line per quarter and channel, an owner of the portfolio) are
products.services.budget's.
"""

import contextlib
import csv
import io
from collections.abc import Mapping

import django_filters
from django import forms
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound as NotFoundHttp
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from kpis.api.goals import CSVListMixin
from kpis.budget_actuals import ACTUALS_COLUMNS, actuals_csv_rows, figures_of, plan_figures
from pmflow import access
from pmflow.api import PortfolioScopedViewSet, representation_etag
from pmflow.errors import InvalidInput
from pmflow.fields import MAX_ID, BoundedIntegerField, bounded_decimal
from pmflow.forms import csv_cell, csv_download
from products.api.filters import IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import BudgetPlan, Product, ProductLine
from products.selectors import product_line_list_for_user, product_list_for_user
from products.services import budget as services
from roadmap.api.views import RoadmapCSVRenderer

AMOUNT = {"type": "number", "minimum": 0, "maximum": float(services.AMOUNT_MAX)}
TEXT_PATTERN = "^[^\\x00]*\\S[^\\x00]*$"

BUDGET_LINES_SCHEMA = {
    "type": "array",
    "maxItems": services.BUDGET_LINES_MAX,
    "description": "The year's marketing budget by quarter and channel, written as a whole list (it replaces "
    "the plan's lines). One line per quarter and channel (compared without case). Channels are free text; the "
    "campaign channels (email, paid_search, paid_social, social, content, events, pr, partner, other) line up "
    "with the campaigns' spend on the plan's page.",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["quarter", "channel", "amount"],
        "properties": {
            "quarter": {"type": "integer", "minimum": 1, "maximum": 4},
            "channel": {"type": "string", "minLength": 1, "maxLength": services.CHANNEL_MAX, "pattern": TEXT_PATTERN},
            "amount": {**AMOUNT, "description": "Rounded to cents."},
        },
    },
}
SALES_TARGETS_SCHEMA = {
    "type": "array",
    "maxItems": services.SALES_TARGETS_MAX,
    "description": "The sales (revenue) target of each quarter that has one, written as a whole list; at most "
    "one per quarter. A quarter without one has no target (null in the actuals).",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["quarter", "amount"],
        "properties": {
            "quarter": {"type": "integer", "minimum": 1, "maximum": 4},
            "amount": {**AMOUNT, "description": "Rounded to cents."},
        },
    },
}


def _rounded(rows):
    """Each row's `amount` rounded to cents where it is a number the column holds; anything else is left for
    the service to name."""
    if not isinstance(rows, list):
        return rows
    result = []
    for row in rows:
        if isinstance(row, dict) and "amount" in row and not isinstance(row["amount"], bool):
            with contextlib.suppress(ValueError):
                row = {**row, "amount": bounded_decimal(row["amount"], max_digits=14, decimal_places=2)}
        result.append(row)
    return result


def _amount(value) -> float | None:
    return None if value is None else float(value)


class RowsField(serializers.Field):
    """A list of rows checked whole by the service; its messages name the row and the field."""

    clean = None
    field = ""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return type(self).clean(_rounded(data))
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.fields.get(self.field) or str(exc)) from None


@extend_schema_field(BUDGET_LINES_SCHEMA)
class BudgetLinesField(RowsField):
    clean = staticmethod(services.budget_lines_clean)
    field = "budget_lines"

    def to_representation(self, lines):
        return [
            {"quarter": line.quarter, "channel": line.channel, "amount": _amount(line.amount)} for line in lines.all()
        ]


@extend_schema_field(SALES_TARGETS_SCHEMA)
class SalesTargetsField(RowsField):
    clean = staticmethod(services.sales_targets_clean)
    field = "sales_targets"

    def to_representation(self, targets):
        return [{"quarter": target.quarter, "amount": _amount(target.amount)} for target in targets.all()]


class BudgetPlanSerializer(serializers.ModelSerializer):
    portfolio = serializers.IntegerField(source="portfolio_id", read_only=True, help_text="The owner's portfolio.")
    product = ScopedPrimaryKeyField(
        product_list_for_user,
        allow_null=True,
        required=False,
        help_text="The product the plan is for; give this or `product_line` (exactly one). On a write, naming one "
        "of them (not null) without the other sets the other to null.",
    )
    product_line = ScopedPrimaryKeyField(
        product_line_list_for_user,
        allow_null=True,
        required=False,
        help_text="The product line the plan is for (its products' campaigns and the line's revenue count).",
    )
    year = BoundedIntegerField(
        min_value=services.YEARS[0], max_value=services.YEARS[1], help_text="One plan per product (or line) and year."
    )
    budget_lines = BudgetLinesField()
    sales_targets = SalesTargetsField()
    budget_total = serializers.SerializerMethodField()
    sales_target_total = serializers.SerializerMethodField()

    class Meta:
        model = BudgetPlan
        fields = [
            "id",
            "portfolio",
            "product",
            "product_line",
            "year",
            "budget_lines",
            "sales_targets",
            "budget_total",
            "sales_target_total",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators = []  # one plan per owner and year is the service's check, with its message on `year`

    def validate(self, attrs):
        """Naming one owner (not null) without the other moves the plan to it: the other becomes null."""
        attrs = super().validate(attrs)
        for given, other in (("product", "product_line"), ("product_line", "product")):
            if attrs.get(given) is not None and other not in attrs:
                attrs[other] = None
        return attrs

    @extend_schema_field({"type": "number", "readOnly": True, "description": "The sum of the budget lines."})
    def get_budget_total(self, plan):
        return _amount(services.budget_total(plan))

    @extend_schema_field(
        {
            "type": "number",
            "nullable": True,
            "readOnly": True,
            "description": "The sum of the quarters' sales targets; null without any.",
        }
    )
    def get_sales_target_total(self, plan):
        return _amount(services.sales_target_total(plan))


class ActualsRowSerializer(serializers.Serializer):
    """One quarter of a plan against what happened (kpis.budget_actuals)."""

    quarter = serializers.IntegerField(min_value=1, max_value=4)
    budget = serializers.FloatField(help_text="The quarter's budget lines added up (0 without any).")
    spend = serializers.FloatField(
        help_text="The spend of the campaigns starting in the quarter (of the product, or of every product of "
        "the line), 0 without any."
    )
    sales_target = serializers.FloatField(allow_null=True, help_text="Null when the plan sets none for the quarter.")
    sales_actual = serializers.FloatField(
        allow_null=True,
        help_text="The quarter's `revenue` rollup (the product's KPI, or the line's combined revenue); null when "
        "there is no revenue data for the quarter (not 0).",
    )
    spend_variance = serializers.FloatField(help_text="spend − budget: positive is over budget.")
    sales_variance = serializers.FloatField(
        allow_null=True, help_text="sales_actual − sales_target: positive is above target; null unless both known."
    )


def _actual_rows(plan: BudgetPlan) -> list[dict]:
    return [
        {name: _amount(value) if name != "quarter" else value for name, value in quarter.as_dict().items()}
        for quarter in figures_of(plan).quarters
    ]


@extend_schema_field({"type": "integer", "minimum": services.YEARS[0], "maximum": services.YEARS[1]})
class YearFilter(django_filters.NumberFilter):
    """A year the plans can have (1900–2200; the schema states the bounds)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=services.YEARS[0], max_value=services.YEARS[1], **kwargs)


class BudgetPlanFilter(StrictFilterSet):
    portfolio = IdFilter()
    product = IdFilter()
    product_line = IdFilter()
    year = YearFilter()

    class Meta:
        model = BudgetPlan
        fields = ["portfolio", "product", "product_line", "year"]


PLAN_CSV_COLUMNS = [
    "id",
    "portfolio",
    "product",
    "product line",
    "year",
    "budget",
    "spend",
    "spend variance",
    "sales target",
    "sales actual",
    "sales variance",
]


def _csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(value) for value in values])
    return buffer.getvalue()


def _plan_csv_lines(rows):
    """One line per plan with its year's figures (plans are few: one per owner and year)."""
    plans = list(rows)
    figures = plan_figures(plans)
    yield "\ufeff" + _csv_line(PLAN_CSV_COLUMNS)
    for plan in plans:
        total = figures[plan.id].total
        yield _csv_line(
            (
                plan.id,
                plan.portfolio.name,
                plan.product.name if plan.product_id else "",
                plan.product_line.name if plan.product_line_id else "",
                plan.year,
                total.budget,
                total.spend,
                total.spend_variance,
                total.sales_target,
                total.sales_actual,
                total.sales_variance,
            )
        )


def actuals_csv(plan: BudgetPlan) -> HttpResponse:
    """The four quarters as a CSV file (the plan page's download is the same file)."""
    return csv_download(f"budget-actuals-{plan.id}-{plan.year}", ACTUALS_COLUMNS, actuals_csv_rows(figures_of(plan)))


def _csv_list():
    return extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: every matching plan.")],
        responses={(200, "application/json"): BudgetPlanSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )


def _id(raw) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    text = str(raw)
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 19) or not 1 <= int(text) <= MAX_ID:
        return None
    return int(text)


@extend_schema_view(list=_csv_list())
class BudgetPlanViewSet(CSVListMixin, PortfolioScopedViewSet):
    """A product's (or product line's) annual marketing plan: the budget by quarter and channel and the
    sales target by quarter; `actuals/` sets them against campaign spend and revenue."""

    serializer_class = BudgetPlanSerializer
    filterset_class = BudgetPlanFilter
    search_fields = ["product__name", "product_line__name"]
    ordering_fields = ["year", "created_at", "id"]
    ordering = ["-year", "id"]
    csv_name = "budget-plans"

    def get_queryset(self):
        return services.budget_plan_list_for_user(self.request.user)

    def get_object(self):
        return services.budget_plan_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def csv_lines(self, rows):
        return _plan_csv_lines(rows)

    def get_renderers(self):
        if self.action == "actuals":  # its own CSV; CSVListMixin keeps CSV to the list elsewhere
            return [renderer() for renderer in self.renderer_classes]
        return super().get_renderers()

    def require_role_for_reference(self, data, model, action: str = access.WRITE) -> None:
        """The plan's portfolio is its owner's: a body naming a product or line of a portfolio where the
        user's role may not write plans is a 403 before anything else is judged."""
        if not isinstance(data, Mapping):
            return
        for name, target in (("product", Product), ("product_line", ProductLine)):
            pk = _id(data.get(name))
            if pk is None:
                continue
            portfolio_id = target.objects.filter(pk=pk).values_list("portfolio_id", flat=True).first()
            if portfolio_id is not None and access.role_in(self.request.user, portfolio_id) is not None:
                access.require(self.request.user, model, portfolio_id, action)

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: data[name] for name in (*services.PLAN_FIELDS, "budget_lines", "sales_targets") if name in data}

    def perform_create(self, serializer):
        data = self._fields(serializer.validated_data)
        owner = data.get("product") or data.get("product_line")
        if owner is not None:
            access.require(self.request.user, BudgetPlan, owner.portfolio_id)
        plan = services.budget_plan_create(actor=self.request.user, **data)
        serializer.instance = services.budget_plan_for_user(self.request.user, plan.pk)

    def perform_update(self, serializer):
        services.budget_plan_update(
            plan_id=serializer.instance.id, actor=self.request.user, **self._fields(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.budget_plan_delete(plan_id=instance.id, actor=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: the four quarters as a file.")
        ],
        responses={(200, "application/json"): ActualsRowSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[JSONRenderer, BrowsableAPIRenderer, RoadmapCSVRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    def actuals(self, request, pk=None):
        """Quarters 1–4 of the plan: budget, campaign spend, sales target, revenue and the variances
        (actual − plan; null where nothing is known)."""
        if request.query_params.get("format", None) == "":
            raise NotFoundHttp("Unknown format: use json or csv.")
        plan = services.budget_plan_for_user(request.user, pk)
        if request.accepted_renderer.format == "csv":
            return actuals_csv(plan)
        rows = _actual_rows(plan)
        return Response(rows, headers={"ETag": representation_etag(rows)})


def register(router) -> None:
    router.register("budget-plans", BudgetPlanViewSet, basename="budget-plan")


urlpatterns: list = []
