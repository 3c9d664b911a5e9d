"""The market API (API-CONTRACT.md, "Strategic"): market insights, competitors and their moves.

- `/api/v1/market-insights/`: the contract's fields, plus read-only `ideas` and `roadmap_items` (the ids
  of those that name the insight; their links are written on the idea and the item). Filters `portfolio`,
  `product`, `kind`, `impact`, `from`/`to` (observed on), `idea`, `roadmap_item`; `?search=` in the title,
  summary and source; `?format=csv`.
- `/api/v1/competitors/`: the contract's fields, plus read-only `move_count`, `open_move_count` (moves
  without a response) and `last_move_on`. Filters `portfolio`, `segment`, `threat`; `?search=`.
- `/api/v1/competitor-moves/`: the contract's fields, plus read-only `competitor_name`. Filters
  `portfolio`, `competitor`, `product`, `kind`, `response_status` (`none`: the moves that need a
  response), `from`/`to` (happened on); `?search=`; `?format=csv`.

The viewsets translate: the rules are products.services.market's (references of the same portfolio, a
unique competitor name, http(s) websites, a planned or done response that says what it is).
"""

import csv
import io

import django_filters
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework_csv.renderers import CSVRenderer

from pmflow.access import queryset_for_user, require
from pmflow.api import ListOnlyCSV, PortfolioScopedViewSet, csv_list_response
from pmflow.fields import StrictCharField, StrictStrings
from pmflow.forms import csv_cell
from pmflow.openapi import enum_parameter
from products.api.filters import IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Competitor, CompetitorMove, Idea, Impact, MarketInsight, Segment
from products.selectors import portfolio_list_for_user, product_list_for_user
from products.services import market as services

# The years the services take (1900 to 2200), stated in the schema.
MARKET_DATE = {
    "type": "string",
    "format": "date",
    "pattern": "^(19[0-9]{2}|2[01][0-9]{2}|2200)-",
    "description": f"Between the years {services.DATE_YEARS[0]} and {services.DATE_YEARS[1]}.",
}
ID_LIST = {"type": "array", "items": {"type": "integer"}, "readOnly": True}


@extend_schema_field(MARKET_DATE)
class MarketDateField(serializers.DateField):
    """A required day; the years are the services' rule, the schema states them."""


def _segments(user):
    return queryset_for_user(user, Segment.objects.all())


def _competitors(user):
    return queryset_for_user(user, Competitor.objects.all())


class StaysInPortfolio:
    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "portfolio" in attrs and attrs["portfolio"].id != self.instance.portfolio_id:
            raise serializers.ValidationError({"portfolio": "It cannot move to another portfolio."})
        return attrs


class MarketCSVRenderer(CSVRenderer):
    """Lets content negotiation accept `?format=csv` on a list, which streams the CSV itself; what this
    renders is an error: one `field,message` row per field (as the roadmap's CSV errors)."""

    def render(self, data, media_type=None, renderer_context=None, writer_opts=None):
        if isinstance(data, dict):
            rows = [
                {"field": field, "message": " ".join(map(str, m)) if isinstance(m, list) else str(m)}
                for field, m in data.items()
            ]
            context = {**(renderer_context or {}), "header": ["field", "message"]}
            return super().render(rows, media_type, context, writer_opts)
        return super().render(data, media_type, renderer_context, writer_opts)


def csv_lines(header: list[str], rows):
    """CSV lines (BOM first, so a spreadsheet reads UTF-8), a chunk at a time for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class CSVListMixin(ListOnlyCSV):
    """`?format=csv` on the list: every matching row, no pages (elsewhere a 404, as any unknown format)."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, MarketCSVRenderer]
    csv_name = ""

    def csv_rows(self, queryset):
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")
        if request.accepted_renderer.format == "csv":
            return csv_list_response(
                self, request, lambda rows: csv_lines(*self.csv_rows(rows)), f"{self.csv_name}.csv"
            )
        return super().list(request, *args, **kwargs)


def _from_to(filterset, field: str, what: str) -> None:
    # `from` is a Python keyword: these two are added by name.
    filterset.base_filters["from"] = django_filters.DateFilter(
        field_name=field, lookup_expr="gte", label=f"{what} on or after this day."
    )
    filterset.base_filters["to"] = django_filters.DateFilter(
        field_name=field, lookup_expr="lte", label=f"{what} on or before this day."
    )


# --- market insights ----------------------------------------------------------------------------------


class MarketInsightSerializer(StaysInPortfolio, StrictStrings, serializers.ModelSerializer):
    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    products = ScopedPrimaryKeyField(
        product_list_for_user, many=True, required=False, help_text="Products of the insight's portfolio."
    )
    observed_on = MarketDateField()
    source = StrictCharField(
        max_length=services.SOURCE_MAX,
        required=False,
        allow_blank=True,
        help_text="Where it comes from: a report, a link, a call.",
    )
    ideas = serializers.SerializerMethodField()
    roadmap_items = serializers.SerializerMethodField()

    class Meta:
        model = MarketInsight
        fields = [
            "id",
            "portfolio",
            "products",
            "kind",
            "title",
            "summary",
            "source",
            "observed_on",
            "impact",
            "ideas",
            "roadmap_items",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"summary": {"max_length": services.TEXT_MAX}}

    @extend_schema_field({**ID_LIST, "description": "The ideas that name this insight (set on the idea)."})
    def get_ideas(self, insight) -> list[int]:
        return sorted(idea.pk for idea in insight.ideas.all())

    @extend_schema_field({**ID_LIST, "description": "The roadmap items that name this insight (set on the item)."})
    def get_roadmap_items(self, insight) -> list[int]:
        return sorted(item.pk for item in insight.roadmap_items.all())


class MarketInsightFilter(StrictFilterSet):
    portfolio = IdFilter()
    product = IdFilter(field_name="products", distinct=True)
    idea = IdFilter(field_name="ideas", distinct=True, label="Insights an idea names.")
    roadmap_item = IdFilter(field_name="roadmap_items", distinct=True, label="Insights a roadmap item names.")
    kind = django_filters.ChoiceFilter(choices=MarketInsight.Kind.choices)
    impact = django_filters.ChoiceFilter(choices=Impact.choices)

    class Meta:
        model = MarketInsight
        fields = ["portfolio", "product", "idea", "roadmap_item", "kind", "impact"]


_from_to(MarketInsightFilter, "observed_on", "Observed")

INSIGHT_COLUMNS = [
    "id",
    "observed_on",
    "kind",
    "impact",
    "title",
    "summary",
    "source",
    "products",
    "ideas",
    "roadmap_items",
]


def insight_csv_row(insight) -> list:
    return [
        insight.id,
        insight.observed_on.isoformat(),
        insight.kind,
        insight.impact,
        insight.title,
        insight.summary,
        insight.source,
        "; ".join(product.name for product in insight.products.all()),
        insight.idea_count,
        insight.roadmap_item_count,
    ]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("kind", "MarketInsightKindEnum"),
            enum_parameter("impact", "ImpactEnum"),
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: every matching insight, no pages."
            ),
        ],
        responses={(200, "application/json"): MarketInsightSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class MarketInsightViewSet(CSVListMixin, PortfolioScopedViewSet):
    """What the portfolio saw in the market (competition, trends, customer expectations, regulation), with
    its source, day and impact, the products it concerns, and the ideas and roadmap items that name it."""

    serializer_class = MarketInsightSerializer
    filterset_class = MarketInsightFilter
    search_fields = ["title", "summary", "source"]
    ordering_fields = ["observed_on", "title", "kind", "created_at", "id"]
    ordering = ["-observed_on", "-id"]
    csv_name = "market-insights"

    def get_queryset(self):
        return queryset_for_user(self.request.user, self._insights())

    @staticmethod
    def _insights():
        # The ids of the ideas and items that name each insight: two queries for a page of any length.
        return services.market_insights().prefetch_related(
            Prefetch("ideas", queryset=Idea.objects.only("id")),
            Prefetch("roadmap_items", queryset=MarketInsight.roadmap_items.rel.related_model.objects.only("id")),
        )

    def get_object(self):
        return services.market_insight_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def csv_rows(self, queryset):
        rows = queryset.prefetch_related(None).prefetch_related(services.products_by_name())
        return INSIGHT_COLUMNS, (insight_csv_row(insight) for insight in rows.iterator(chunk_size=500))

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.INSIGHT_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        portfolio = data.pop("portfolio")
        require(self.request.user, MarketInsight, portfolio.id)
        insight = services.market_insight_create(
            portfolio=portfolio, actor=self.request.user, products=data.get("products", []), **self._fields(data)
        )
        serializer.instance = self.get_queryset().get(pk=insight.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        services.market_insight_update(
            insight_id=serializer.instance.id,
            actor=self.request.user,
            products=data.get("products"),
            **self._fields(data),
        )

    def perform_destroy(self, instance):
        services.market_insight_delete(insight_id=instance.id, actor=self.request.user)


# --- competitors --------------------------------------------------------------------------------------


class CompetitorSerializer(StaysInPortfolio, StrictStrings, serializers.ModelSerializer):
    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    segments = ScopedPrimaryKeyField(
        _segments, many=True, required=False, help_text="Segments of the competitor's portfolio it competes in."
    )
    website = StrictCharField(
        max_length=services.WEBSITE_MAX,
        required=False,
        allow_blank=True,
        help_text="An http:// or https:// address.",
    )
    move_count = serializers.IntegerField(read_only=True, help_text="How many moves are recorded.")
    open_move_count = serializers.IntegerField(read_only=True, help_text="How many of them have no response yet.")
    last_move_on = serializers.DateField(read_only=True, allow_null=True, help_text="The day of the latest move.")

    class Meta:
        model = Competitor
        fields = [
            "id",
            "portfolio",
            "name",
            "website",
            "segments",
            "strengths",
            "weaknesses",
            "pricing",
            "threat",
            "move_count",
            "open_move_count",
            "last_move_on",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {name: {"max_length": services.TEXT_MAX} for name in ("strengths", "weaknesses", "pricing")}
        validators = []  # a taken name is the service's 400, on `name`


class CompetitorFilter(StrictFilterSet):
    portfolio = IdFilter()
    segment = IdFilter(field_name="segments", distinct=True)
    threat = django_filters.ChoiceFilter(choices=Impact.choices)

    class Meta:
        model = Competitor
        fields = ["portfolio", "segment", "threat"]


@extend_schema_view(list=extend_schema(parameters=[enum_parameter("threat", "ImpactEnum")]))
class CompetitorViewSet(PortfolioScopedViewSet):
    """Competitor profiles (segments, strengths, weaknesses, pricing, threat) with how many moves each made
    and how many of those still have no response."""

    serializer_class = CompetitorSerializer
    filterset_class = CompetitorFilter
    search_fields = ["name", "strengths", "weaknesses", "pricing"]
    ordering_fields = ["name", "move_count", "open_move_count", "last_move_on", "created_at", "id"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return queryset_for_user(self.request.user, services.competitors())

    def get_object(self):
        return services.competitor_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.COMPETITOR_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        portfolio = data.pop("portfolio")
        require(self.request.user, Competitor, portfolio.id)
        competitor = services.competitor_create(
            portfolio=portfolio, actor=self.request.user, segments=data.get("segments", []), **self._fields(data)
        )
        serializer.instance = services.competitor_for_user(self.request.user, competitor.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        services.competitor_update(
            competitor_id=serializer.instance.id,
            actor=self.request.user,
            segments=data.get("segments"),
            **self._fields(data),
        )

    def perform_destroy(self, instance):
        services.competitor_delete(competitor_id=instance.id, actor=self.request.user)


# --- competitor moves ---------------------------------------------------------------------------------


class CompetitorMoveSerializer(StrictStrings, serializers.ModelSerializer):
    competitor = ScopedPrimaryKeyField(_competitors, help_text="Another competitor of the same portfolio on a change.")
    competitor_name = serializers.CharField(source="competitor.name", read_only=True)
    products = ScopedPrimaryKeyField(
        product_list_for_user, many=True, required=False, help_text="Products of the competitor's portfolio."
    )
    happened_on = MarketDateField()
    response = StrictCharField(
        max_length=services.TEXT_MAX,
        required=False,
        allow_blank=True,
        help_text="Our response; required once `response_status` is planned or done.",
    )

    class Meta:
        model = CompetitorMove
        fields = [
            "id",
            "competitor",
            "competitor_name",
            "kind",
            "happened_on",
            "description",
            "products",
            "response",
            "response_status",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"description": {"max_length": services.TEXT_MAX}}


class CompetitorMoveFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="competitor__portfolio")
    competitor = IdFilter()
    product = IdFilter(field_name="products", distinct=True)
    kind = django_filters.ChoiceFilter(choices=CompetitorMove.Kind.choices)
    response_status = django_filters.ChoiceFilter(
        choices=CompetitorMove.ResponseStatus.choices, label="`none`: the moves that still need a response."
    )

    class Meta:
        model = CompetitorMove
        fields = ["portfolio", "competitor", "product", "kind", "response_status"]


_from_to(CompetitorMoveFilter, "happened_on", "Happened")

MOVE_COLUMNS = [
    "id",
    "happened_on",
    "competitor",
    "kind",
    "description",
    "products",
    "response_status",
    "response",
]


def move_csv_row(move) -> list:
    return [
        move.id,
        move.happened_on.isoformat(),
        move.competitor.name,
        move.kind,
        move.description,
        "; ".join(product.name for product in move.products.all()),
        move.response_status,
        move.response,
    ]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("kind", "CompetitorMoveKindEnum"),
            enum_parameter("response_status", "ResponseStatusEnum"),
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: every matching move, no pages."),
        ],
        responses={
            (200, "application/json"): CompetitorMoveSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
)
class CompetitorMoveViewSet(CSVListMixin, PortfolioScopedViewSet):
    """What competitors did (launches, price changes, campaigns, partnerships), newest first, with our
    response and its status; `?response_status=none` lists the moves that still need one."""

    serializer_class = CompetitorMoveSerializer
    filterset_class = CompetitorMoveFilter
    search_fields = ["description", "response", "competitor__name"]
    ordering_fields = ["happened_on", "kind", "response_status", "created_at", "id"]
    ordering = ["-happened_on", "-id"]
    csv_name = "competitor-moves"

    def get_queryset(self):
        return queryset_for_user(self.request.user, services.competitor_moves())

    def get_object(self):
        return services.competitor_move_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def csv_rows(self, queryset):
        return MOVE_COLUMNS, (move_csv_row(move) for move in queryset.iterator(chunk_size=500))

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.MOVE_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        competitor = data.pop("competitor")
        require(self.request.user, CompetitorMove, competitor.portfolio_id)
        move = services.competitor_move_create(
            competitor=competitor, actor=self.request.user, products=data.get("products", []), **self._fields(data)
        )
        serializer.instance = services.competitor_move_for_user(self.request.user, move.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        services.competitor_move_update(
            move_id=serializer.instance.id,
            actor=self.request.user,
            products=data.get("products"),
            **self._fields(data),
        )

    def perform_destroy(self, instance):
        services.competitor_move_delete(move_id=instance.id, actor=self.request.user)


def register(router) -> None:
    router.register("market-insights", MarketInsightViewSet, basename="market-insight")
    router.register("competitors", CompetitorViewSet, basename="competitor")
    router.register("competitor-moves", CompetitorMoveViewSet, basename="competitor-move")


urlpatterns: list = []
