"""The post-launch reviews API (API-CONTRACT.md, "Lifecycle automation and events").

- `/api/v1/launch-reviews/`: one review per launched plan (made when the plan launches; plans launched
  before reviews existed get theirs on the first list read). The contract's `id`, `launch_plan`,
  `window_days` and read-only `kpis: [{"kpi", "key", "before", "after", "change_pct", "expected_change_pct",
  "held"}]`, plus `launch_plan_name`, `product`, `product_name`, `portfolio`, `release`, `launch_date`,
  `before_from` / `after_to` (the first and last day of the two windows), `status` (`waiting` | `complete`),
  `held` (the review as a whole), `items` (the release's items that state an expectation) and, on each KPI,
  `name`, `unit`, `aggregation`, `before_days` / `after_days`, `outcome`, `optimism_pct`, `items`.
  Filters `portfolio`, `product`, `launch_plan`, `release`, `from`/`to` (launch date); `?ordering=`;
  `?format=csv` (one row per review and KPI). Reviews are not created or deleted through the API; admins
  and product managers change `window_days` (7–365) with PATCH or PUT, `If-Match` → 412.
- `GET /api/v1/launch-reviews/accuracy/?portfolio=` (optional `product`): per quarter of launch date,
  `[{"quarter", "reviews", "waiting", "with_expectations", "held", "share", "expectations",
  "optimism_pct"}]`. A portfolio you are not a member of answers as one without reviews: `[]`.

The figures are kpis.reviews's (its docstring defines the windows, held, share and optimism), computed on
every read from the day rollups in a fixed number of queries per page.
"""

import csv
import io

import django_filters
from django.db.models import F
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kpis import reviews as figures
from kpis.api.goals import CSVListMixin
from kpis.models import Aggregation, LaunchReview
from kpis.services import reviews as services
from pmflow import access
from pmflow.api import PortfolioScopedViewSet
from pmflow.fields import MAX_ID, BoundedIntegerField
from pmflow.forms import csv_cell
from products.api.filters import IdFilter, StrictFilterSet

EMPTY_VALUE = "Give a value, or leave the parameter out."
DECIMAL = {"max_digits": None, "coerce_to_string": False, "allow_null": True, "read_only": True}


class ReviewKPISerializer(serializers.Serializer):
    kpi = serializers.IntegerField(
        allow_null=True, help_text="The KPI's id; null for an expectation on a key the product has no KPI for any more."
    )
    key = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    aggregation = serializers.ChoiceField(choices=Aggregation.choices, allow_null=True)
    before = serializers.DecimalField(
        decimal_places=6,
        help_text="The KPI per its aggregation over the `window_days` days before launch day; null without data.",
        **DECIMAL,
    )
    after = serializers.DecimalField(
        decimal_places=6,
        help_text="The same over the `window_days` days from launch day (so far, while `status` is waiting).",
        **DECIMAL,
    )
    before_days = serializers.IntegerField(help_text="Days of the before-window with a measurement.")
    after_days = serializers.IntegerField(help_text="Days of the after-window with a measurement.")
    change_pct = serializers.DecimalField(
        decimal_places=2,
        help_text="(after − before) ÷ |before| × 100; null without both or when before is 0.",
        **DECIMAL,
    )
    expected_change_pct = serializers.DecimalField(
        decimal_places=2,
        help_text="The sum of the expectations of the release's items on this key; null when none states one.",
        **DECIMAL,
    )
    held = serializers.BooleanField(
        allow_null=True,
        help_text="The change reached the expected one in its direction; null without an expectation or data, or "
        "while the window is not over.",
    )
    outcome = serializers.ChoiceField(choices=list(figures.OUTCOMES.items()), help_text="Why `held` is what it is.")
    optimism_pct = serializers.DecimalField(
        decimal_places=2,
        help_text="Expected − change in the expected direction, in percentage points (positive: the planners "
        "expected more than happened); null while not judged.",
        **DECIMAL,
    )
    items = serializers.ListField(child=serializers.IntegerField(), help_text="The items whose expectations add up.")


class ReviewItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    expected_kpi_key = serializers.CharField()
    expected_change_pct = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=False)


class LaunchReviewSerializer(serializers.ModelSerializer):
    launch_plan = serializers.IntegerField(source="launch_plan_id", read_only=True)
    launch_plan_name = serializers.CharField(source="launch_plan.name", read_only=True)
    product = serializers.IntegerField(source="launch_plan.product_id", read_only=True)
    product_name = serializers.CharField(source="launch_plan.product.name", read_only=True)
    portfolio = serializers.IntegerField(source="launch_plan.product.portfolio_id", read_only=True)
    release = serializers.IntegerField(source="launch_plan.release_id", read_only=True, allow_null=True)
    launch_date = serializers.DateField(source="launch_plan.launch_date", read_only=True)
    window_days = BoundedIntegerField(
        min_value=services.WINDOW_RANGE[0],
        max_value=services.WINDOW_RANGE[1],
        help_text="Days in each window, before and from launch day (7–365; 30 by default).",
    )
    before_from = serializers.SerializerMethodField()
    after_to = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    held = serializers.SerializerMethodField()
    kpis = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()

    class Meta:
        model = LaunchReview
        fields = [
            "id",
            "launch_plan",
            "launch_plan_name",
            "product",
            "product_name",
            "portfolio",
            "release",
            "launch_date",
            "window_days",
            "before_from",
            "after_to",
            "status",
            "held",
            "kpis",
            "items",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def _result(self, review) -> figures.ReviewResult:
        results = self.context.setdefault("review_results", {})
        if review.pk not in results:
            results[review.pk] = figures.compute_one(review)
        return results[review.pk]

    @extend_schema_field(OpenApiTypes.DATE)
    def get_before_from(self, review):
        """The before-window's first day (launch day − window_days)."""
        return self._result(review).windows.before_start.isoformat()

    @extend_schema_field(OpenApiTypes.DATE)
    def get_after_to(self, review):
        """The after-window's last day (launch day + window_days − 1)."""
        return self._result(review).windows.last_day.isoformat()

    @extend_schema_field(serializers.ChoiceField(choices=figures.STATUS_CHOICES))
    def get_status(self, review) -> str:
        return self._result(review).status

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_held(self, review) -> bool | None:
        return self._result(review).held

    @extend_schema_field(ReviewKPISerializer(many=True))
    def get_kpis(self, review) -> list:
        return ReviewKPISerializer([entry.as_dict() for entry in self._result(review).kpis], many=True).data

    @extend_schema_field(ReviewItemSerializer(many=True))
    def get_items(self, review) -> list:
        return ReviewItemSerializer(self._result(review).items, many=True).data


class LaunchReviewFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="launch_plan__product__portfolio")
    product = IdFilter(field_name="launch_plan__product")
    launch_plan = IdFilter()
    release = IdFilter(field_name="launch_plan__release")

    class Meta:
        model = LaunchReview
        fields = ["portfolio", "product", "launch_plan", "release"]


# `from` is a Python keyword: these two are added by name.
LaunchReviewFilter.base_filters["from"] = django_filters.DateFilter(
    field_name="launch_plan__launch_date", lookup_expr="gte", label="Launched on or after this day."
)
LaunchReviewFilter.base_filters["to"] = django_filters.DateFilter(
    field_name="launch_plan__launch_date", lookup_expr="lte", label="Launched on or before this day."
)

CSV_COLUMNS = [
    "review",
    "launch_plan",
    "launch_plan_name",
    "product",
    "launch_date",
    "window_days",
    "status",
    "review_held",
    "key",
    "kpi",
    "before",
    "after",
    "change_pct",
    "expected_change_pct",
    "held",
    "outcome",
    "optimism_pct",
]
CSV_CHUNK = 200


def review_csv_lines(reviews):
    """One row per review and KPI, computed a chunk of reviews at a time (a fixed number of queries each)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    chunk: list = []

    def flush():
        results = figures.compute(chunk)
        for review in chunk:
            result = results[review.pk]
            plan = review.launch_plan
            head = [review.pk, plan.id, plan.name, plan.product.name, plan.launch_date, review.window_days]
            held = result.held
            for entry in result.kpis:
                row = [
                    *head,
                    result.status,
                    "" if held is None else str(held).lower(),
                    entry.key,
                    entry.name,
                    entry.before,
                    entry.after,
                    entry.change_pct,
                    entry.expected_change_pct,
                    "" if entry.held is None else str(entry.held).lower(),
                    entry.outcome,
                    entry.optimism_pct,
                ]
                writer.writerow([csv_cell(value) for value in row])

    for review in reviews:
        chunk.append(review)
        if len(chunk) == CSV_CHUNK:
            flush()
            chunk = []
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if chunk:
        flush()
    yield buffer.getvalue()


class AccuracyQuery(serializers.Serializer):
    portfolio = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    product = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def to_internal_value(self, data):
        empty = {name: EMPTY_VALUE for name in self.fields if name in data and data.get(name) == ""}
        if empty:
            raise serializers.ValidationError(empty)
        return super().to_internal_value(data)


class AccuracySerializer(serializers.Serializer):
    quarter = serializers.CharField(help_text="The calendar quarter of the launch dates, e.g. 2026-Q3.")
    reviews = serializers.IntegerField(help_text="Reviews of plans launched in the quarter.")
    waiting = serializers.IntegerField(help_text="Of them, those whose window after launch is not over.")
    with_expectations = serializers.IntegerField(
        help_text="Of them, those that could be judged: complete, with an expectation, every expected KPI with data."
    )
    held = serializers.IntegerField(help_text="Of those, the reviews whose every expectation held.")
    share = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="held ÷ with_expectations in percent (2 decimals); null when none could be judged.",
    )
    expectations = serializers.IntegerField(help_text="KPI expectations judged in the quarter.")
    optimism_pct = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="Their mean of expected − actual change in the expected direction, in percentage points: "
        "positive, planners overestimate; negative, they underestimate. Null without any.",
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: every matching review, one row per KPI."
            )
        ],
        responses={(200, "application/json"): LaunchReviewSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class LaunchReviewViewSet(CSVListMixin, PortfolioScopedViewSet):
    """What each launch did to its product's KPIs over a window before and after launch day, beside the change
    the release's roadmap items expected; admins and product managers set the window."""

    http_method_names = ["get", "put", "patch", "head", "options"]
    serializer_class = LaunchReviewSerializer
    filterset_class = LaunchReviewFilter
    search_fields = ["launch_plan__name", "launch_plan__product__name"]
    ordering_fields = ["launch_date", "window_days", "created_at", "id"]
    ordering = ["-launch_date", "-id"]
    csv_name = "launch-reviews"

    def get_queryset(self):
        queryset = figures.reviews_queryset().annotate(launch_date=F("launch_plan__launch_date"))
        return access.queryset_for_user(self.request.user, queryset)

    def get_object(self):
        write = self.request.method not in permissions.SAFE_METHODS
        return access.object_for_user(
            self.request.user, self.get_queryset(), self.kwargs["pk"], action=access.WRITE if write else access.READ
        )

    def csv_lines(self, rows):
        return review_csv_lines(rows.iterator(chunk_size=CSV_CHUNK))

    def list(self, request, *args, **kwargs):
        services.reviews_backfill(portfolio_ids=list(access.roles_by_portfolio(request.user)))
        return super().list(request, *args, **kwargs)

    def get_serializer(self, *args, **kwargs):
        # A page of reviews is computed at once (a fixed number of queries for the page).
        many = kwargs.get("many")
        if many and args:
            page = list(args[0])
            context = self.get_serializer_context()
            context["review_results"] = figures.compute(page)
            return self.get_serializer_class()(page, *args[1:], context=context, **kwargs)
        return super().get_serializer(*args, **kwargs)

    def perform_update(self, serializer):
        services.review_update(
            review_id=serializer.instance.id,
            actor=self.request.user,
            window_days=serializer.validated_data.get("window_days", serializer.instance.window_days),
        )

    @extend_schema(
        operation_id="launch_reviews_accuracy",
        parameters=[AccuracyQuery],
        responses={200: AccuracySerializer(many=True)},
        description="How often the expectations of a portfolio's launches held, by calendar quarter of launch date, "
        "every quarter from the first launch to the last: a review held when every KPI with an expectation "
        "held. A portfolio you are not a member of answers as one without reviews: [].",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def accuracy(self, request):
        query = AccuracyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        portfolio_id, product_id = query.validated_data["portfolio"], query.validated_data.get("product")
        if access.role_in(request.user, portfolio_id) is None:
            return Response([])
        services.reviews_backfill(portfolio_ids=[portfolio_id])
        reviews = figures.reviews_queryset().filter(launch_plan__product__portfolio_id=portfolio_id)
        if product_id is not None:
            reviews = reviews.filter(launch_plan__product_id=product_id)
        rows = figures.accuracy(figures.compute(reviews, only_expected=True).values())
        return Response(AccuracySerializer(rows, many=True).data)


def register(router) -> None:
    router.register("launch-reviews", LaunchReviewViewSet, basename="launch-review")


urlpatterns: list = []
