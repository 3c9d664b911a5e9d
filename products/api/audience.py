"""The audience API: segments and personas (API-CONTRACT.md, "Strategic").

- `/api/v1/segments/`: `id`, `portfolio`, `name` (unique in the portfolio), `description`, `size`,
  `growth_pct`, `priority` (1–5), `products` (ids of the portfolio's products that serve it); read-only
  `persona_count`. Filters `portfolio`, `product` (segments it serves), `priority`, `served` (false: the
  segments no product serves yet); `?format=csv` on the list.
- `/api/v1/personas/`: `id`, `portfolio`, `name`, `segment` (nullable, the same portfolio), `goals`,
  `pains`, `journey`: at most 12 `JourneyStage` objects in order, each exactly `stage` (required, ≤ 200
  characters), `touchpoints`, `pains`, `opportunities` (≤ 2,000 characters each). Filter `portfolio`,
  `segment`.

The viewsets translate: the rules are products.services.audience's.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework_csv.renderers import CSVRenderer

from pmflow.access import queryset_for_user, require
from pmflow.api import ListOnlyCSV, PortfolioScopedViewSet, csv_list_response
from pmflow.fields import BoundedDecimalField, BoundedIntegerField, StrictCharField, StrictStrings
from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from products.api.serializers import InPortfolio, ScopedPrimaryKeyField
from products.models import Persona, Segment
from products.selectors import portfolio_list_for_user, product_list_for_user
from products.services import audience as services

# --- the journey: a named stage object, a bounded list ---------------------------------------------------


class JourneyList(serializers.ListSerializer):
    """The stages in order; a stored row missing a key reads as an empty text (rows written before the
    rule)."""

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > services.JOURNEY_STAGES_MAX:
            raise serializers.ValidationError(
                [f"At most {services.JOURNEY_STAGES_MAX} stages; this has {len(data)}."], code="max_length"
            )
        return super().to_internal_value(data)

    def to_representation(self, data):
        rows = data if isinstance(data, list) else []
        return [
            {key: str(row.get(key) or "") for key in services.JOURNEY_KEYS} for row in rows if isinstance(row, dict)
        ]


class JourneyStageSerializer(serializers.Serializer):
    """One stage of a customer journey: exactly these four texts, no other key."""

    stage = StrictCharField(max_length=services.STAGE_NAME_MAX, help_text="The stage's name, e.g. Awareness.")
    touchpoints = StrictCharField(
        max_length=services.STAGE_TEXT_MAX, allow_blank=True, help_text="Where the persona meets us at this stage."
    )
    pains = StrictCharField(max_length=services.STAGE_TEXT_MAX, allow_blank=True, help_text="What goes wrong there.")
    opportunities = StrictCharField(
        max_length=services.STAGE_TEXT_MAX, allow_blank=True, help_text="What we could do better there."
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key)[:40] for key in data if key not in services.JOURNEY_KEYS)
            if unknown:
                keys = ", ".join(services.JOURNEY_KEYS)
                raise serializers.ValidationError({name: [f"Not a field of a stage (use {keys})."] for name in unknown})
        return dict(super().to_internal_value(data))

    class Meta:
        list_serializer_class = JourneyList


class JourneyStageSchema(OpenApiSerializerExtension):
    """The stage object admits no other key: the schema says so (`additionalProperties: false`)."""

    target_class = JourneyStageSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        return schema


class JourneyListSchema(OpenApiSerializerFieldExtension):
    """The journey: an array of `JourneyStage`, at most 12."""

    target_class = JourneyList

    def map_serializer_field(self, auto_schema, direction):
        component = auto_schema.resolve_serializer(self.target.child, direction)
        return {
            "type": "array",
            "items": component.ref,
            "maxItems": services.JOURNEY_STAGES_MAX,
            "description": f"The customer journey, stage by stage in order (at most {services.JOURNEY_STAGES_MAX}); "
            "written whole.",
        }


# --- segments -------------------------------------------------------------------------------------------


class SegmentCSVRenderer(CSVRenderer):
    """Lets content negotiation accept `?format=csv` on the list, which streams the CSV itself; what this
    renders is an error: one `field,message` row per field."""

    def render(self, data, media_type=None, renderer_context=None, writer_opts=None):
        if isinstance(data, dict):
            rows = [
                {"field": field, "message": " ".join(map(str, m)) if isinstance(m, list) else str(m)}
                for field, m in data.items()
            ]
            context = {**(renderer_context or {}), "header": ["field", "message"]}
            return super().render(rows, media_type, context, writer_opts)
        return super().render(data, media_type, renderer_context, writer_opts)


class SegmentSerializer(InPortfolio):
    """A market segment: who the portfolio's products serve, how many, how fast it grows, how much it
    matters (1–5), and which products serve it."""

    name_taken = services.NAME_TAKEN
    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    size = BoundedIntegerField(
        min_value=0,
        max_value=services.SIZE_MAX,
        allow_null=True,
        required=False,
        help_text="Potential customers or accounts; null: unknown.",
    )
    growth_pct = BoundedDecimalField(
        6,
        2,
        round_places=True,
        min_value=-services.GROWTH_MAX,
        max_value=services.GROWTH_MAX,
        allow_null=True,
        required=False,
        help_text="Yearly growth in percent (rounded to two places); null: unknown.",
    )
    priority = serializers.IntegerField(min_value=1, max_value=5, required=False, help_text="1 (low) to 5 (high).")
    products = ScopedPrimaryKeyField(
        product_list_for_user,
        many=True,
        required=False,
        help_text="The products of the segment's portfolio that serve it; none: a growth opportunity.",
    )
    persona_count = serializers.IntegerField(read_only=True, help_text="Personas in this segment.")

    class Meta:
        model = Segment
        fields = [
            "id",
            "portfolio",
            "name",
            "description",
            "size",
            "growth_pct",
            "priority",
            "products",
            "persona_count",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"description": {"max_length": services.TEXT_MAX}}
        validators = []  # uniqueness is checked in validate(), with a field-level message

    def validate(self, attrs):
        attrs = super().validate(attrs)
        portfolio = attrs.get("portfolio") or self.instance.portfolio
        if any(product.portfolio_id != portfolio.id for product in attrs.get("products", ())):
            raise serializers.ValidationError({"products": "Choose products of this portfolio."})
        return attrs


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 5})
class PriorityFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=5, **kwargs)


class SegmentFilter(StrictFilterSet):
    portfolio = IdFilter()
    product = IdFilter(field_name="products", distinct=True, label="Segments this product serves.")
    priority = PriorityFilter(label="Segments of this priority (1–5).")
    served = BooleanFilter(method="filter_served", label="true: a product serves it; false: none does yet.")

    class Meta:
        model = Segment
        fields = ["portfolio", "product", "priority", "served"]

    def filter_served(self, queryset, name, value):
        if value is None:
            return queryset
        served = Exists(Segment.products.through.objects.filter(segment_id=OuterRef("pk")))
        return queryset.filter(served if value else ~served)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: every matching segment, no pages."
            )
        ],
        responses={(200, "application/json"): SegmentSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class SegmentViewSet(ListOnlyCSV, PortfolioScopedViewSet):
    """Market segments of a portfolio: size, growth and priority, and the products that serve each."""

    serializer_class = SegmentSerializer
    filterset_class = SegmentFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "size", "growth_pct", "priority", "persona_count", "created_at", "id"]
    ordering = ["-priority", "name", "id"]

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, SegmentCSVRenderer]

    def get_queryset(self):
        return queryset_for_user(self.request.user, services.segments_with_counts())

    def get_object(self):
        write = self.request.method not in permissions.SAFE_METHODS
        return services.segment_for_user(self.request.user, self.kwargs["pk"], write=write)

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")
        if request.accepted_renderer.format == "csv":
            return csv_list_response(
                self, request, lambda rows: services.segment_csv_lines(rows.iterator(chunk_size=500)), "segments.csv"
            )
        return super().list(request, *args, **kwargs)

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.SEGMENT_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        portfolio = data.pop("portfolio")
        require(self.request.user, Segment, portfolio.id)
        segment = services.segment_create(
            portfolio=portfolio, actor=self.request.user, products=data.get("products", []), **self._fields(data)
        )
        serializer.instance = services.segment_for_user(self.request.user, segment.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        services.segment_update(
            segment_id=serializer.instance.id,
            actor=self.request.user,
            products=data.get("products"),
            **self._fields(data),
        )

    def perform_destroy(self, instance):
        services.segment_delete(segment_id=instance.id, actor=self.request.user)


# --- personas -------------------------------------------------------------------------------------------


def _segments(user):
    return queryset_for_user(user, Segment.objects.all())


class PersonaSerializer(StrictStrings, serializers.ModelSerializer):
    """A typical buyer or user: goals, pains and the customer journey, stage by stage."""

    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    segment = ScopedPrimaryKeyField(
        _segments, allow_null=True, required=False, help_text="A segment of the persona's portfolio; null: none."
    )
    journey = JourneyStageSerializer(many=True, required=False)

    class Meta:
        model = Persona
        fields = ["id", "portfolio", "name", "segment", "goals", "pains", "journey", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"goals": {"max_length": services.TEXT_MAX}, "pains": {"max_length": services.TEXT_MAX}}

    def validate(self, attrs):
        if self.instance is not None and "portfolio" in attrs and attrs["portfolio"].id != self.instance.portfolio_id:
            raise serializers.ValidationError({"portfolio": "It cannot move to another portfolio."})
        portfolio = attrs.get("portfolio") or self.instance.portfolio
        segment = attrs.get("segment")
        if segment is not None and segment.portfolio_id != portfolio.id:
            raise serializers.ValidationError({"segment": "Choose a segment of this portfolio."})
        return attrs


class PersonaFilter(StrictFilterSet):
    portfolio = IdFilter()
    segment = IdFilter()

    class Meta:
        model = Persona
        fields = ["portfolio", "segment"]


class PersonaViewSet(PortfolioScopedViewSet):
    """Personas of a portfolio: goals, pains and their customer journey, stage by stage."""

    serializer_class = PersonaSerializer
    filterset_class = PersonaFilter
    search_fields = ["name", "goals", "pains"]
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return queryset_for_user(self.request.user, services.personas())

    def get_object(self):
        write = self.request.method not in permissions.SAFE_METHODS
        return services.persona_for_user(self.request.user, self.kwargs["pk"], write=write)

    @staticmethod
    def _fields(data: dict) -> dict:
        fields = {name: value for name, value in data.items() if name in services.PERSONA_FIELDS}
        if "journey" in fields:
            fields["journey"] = [dict(row) for row in fields["journey"]]
        return fields

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        portfolio = data.pop("portfolio")
        require(self.request.user, Persona, portfolio.id)
        persona = services.persona_create(portfolio=portfolio, actor=self.request.user, **self._fields(data))
        serializer.instance = services.persona_for_user(self.request.user, persona.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        services.persona_update(persona_id=serializer.instance.id, actor=self.request.user, **self._fields(data))

    def perform_destroy(self, instance):
        services.persona_delete(persona_id=instance.id, actor=self.request.user)


def register(router) -> None:
    router.register("segments", SegmentViewSet, basename="segment")
    router.register("personas", PersonaViewSet, basename="persona")


urlpatterns: list = []
