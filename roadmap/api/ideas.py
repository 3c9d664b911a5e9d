"""The ideas API: concept → evaluated → accepted (a roadmap item) | rejected (API-CONTRACT.md, "Strategic").

`/api/v1/ideas/`: `id`, `product`, `title`, `description`, `insights`, `feedback` (id lists of the same
portfolio); read-only `status`, `feedback_count`, `decision_reason`, `decided_at`, `decided_by`,
`roadmap_item` (the item it became) and its demand: `demand_count`, `demand_weight` (sum of the feedback's
importance), `demand_deal_value`. `?ordering=demand` puts the most wanted first (weight, deal value, count).
`POST …/{id}/evaluate/`, `…/accept/ {"kind"?, "horizon"?, "reason"?}` → 201 `{"roadmap_item": id}`,
`…/reject/ {"reason"}`; on an idea in another status a 409 with its `status`.

The viewset translates: the rules are products.services.ideas' and roadmap.services.ideas'.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import filters as drf_filters
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from pmflow.access import queryset_for_user, require
from pmflow.api import ListOnlyCSV, PortfolioScopedViewSet, csv_list_response, representation_etag
from pmflow.fields import StrictCharField, StrictStrings
from pmflow.openapi import enum_parameter
from products.api.filters import IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.demand import DEMAND_ORDERING
from products.models import Feedback, Idea, MarketInsight
from products.selectors import product_list_for_user
from products.services import ideas as services
from roadmap import idea_selectors as selectors
from roadmap.api.serializers import StaysInProduct
from roadmap.api.views import RoadmapCSVRenderer
from roadmap.models import RoadmapItem
from roadmap.services.ideas import idea_accept


def _scoped(model, *related):
    def selector(user):
        return queryset_for_user(user, model.objects.select_related(*related))

    return selector


@extend_schema_field({"type": "integer", "nullable": True, "readOnly": True})
class RoadmapItemLink(serializers.ReadOnlyField):
    """The id of the roadmap item the idea became (null until it is accepted)."""

    def get_attribute(self, instance):
        item = selectors.roadmap_item_from_prefetch(instance)
        return item.pk if item else None


class IdeaSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    insights = ScopedPrimaryKeyField(
        _scoped(MarketInsight), many=True, required=False, help_text="Market insights of the idea's portfolio."
    )
    feedback = ScopedPrimaryKeyField(
        _scoped(Feedback, "product"), many=True, required=False, help_text="Feedback of the idea's portfolio."
    )
    status = serializers.ChoiceField(choices=Idea.Status.choices, read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    roadmap_item = RoadmapItemLink()
    feedback_count = serializers.IntegerField(source="demand_count", read_only=True)
    demand_count = serializers.IntegerField(read_only=True, help_text="Pieces of feedback behind the idea.")
    demand_weight = serializers.IntegerField(read_only=True, help_text="Their importance (1–5 each), summed.")
    demand_deal_value = serializers.DecimalField(
        max_digits=20, decimal_places=2, read_only=True, help_text="The deal values sales attached, summed."
    )

    class Meta:
        model = Idea
        fields = [
            "id",
            "product",
            "title",
            "description",
            "status",
            "insights",
            "feedback",
            "feedback_count",
            "demand_count",
            "demand_weight",
            "demand_deal_value",
            "decision_reason",
            "decided_at",
            "decided_by",
            "roadmap_item",
            "created_at",
        ]
        read_only_fields = ["decision_reason", "decided_at", "created_at"]
        extra_kwargs = {"description": {"max_length": services.TEXT_MAX}}  # the service's bound, in the schema


@extend_schema_serializer(component_name="IdeaAccept")
class AcceptInput(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=RoadmapItem.Kind.choices, default=RoadmapItem.Kind.FEATURE, help_text="The new item's kind."
    )
    horizon = serializers.ChoiceField(
        choices=RoadmapItem.Horizon.choices, default=RoadmapItem.Horizon.LATER, help_text="The new item's horizon."
    )
    reason = StrictCharField(
        max_length=services.REASON_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why it was accepted (optional; kept with the decision).",
    )


@extend_schema_serializer(component_name="IdeaReject")
class RejectInput(serializers.Serializer):
    reason = StrictCharField(max_length=services.REASON_MAX, help_text="Why it was rejected; kept with the idea.")


class AcceptedIdea(serializers.Serializer):
    roadmap_item = serializers.IntegerField(help_text="The new roadmap item, linked to the idea and its feedback.")


class IdeaConflict(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`wrong_status`.")
    status = serializers.ChoiceField(choices=Idea.Status.choices, help_text="The idea's status.")


WRONG_STATUS = OpenApiResponse(IdeaConflict, description="The idea is not in a status this step starts from.")


class IdeaFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    status = django_filters.ChoiceFilter(choices=Idea.Status.choices)
    insight = IdFilter(field_name="insights", distinct=True)
    feedback = IdFilter(field_name="feedback", distinct=True)
    roadmap_item = IdFilter(field_name="roadmap_items", distinct=True)

    class Meta:
        model = Idea
        fields = ["portfolio", "product", "status", "insight", "feedback", "roadmap_item"]


def _flip(term: str) -> str:
    return term[1:] if term.startswith("-") else f"-{term}"


class IdeaOrdering(drf_filters.OrderingFilter):
    """`?ordering=` on the fields, and `demand` (the most wanted first: weight, deal value, count;
    `-demand` the least)."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        terms = []
        for term in (part.strip() for part in raw.split(",")):
            if term == "demand":
                terms += DEMAND_ORDERING
            elif term == "-demand":
                terms += [_flip(name) for name in DEMAND_ORDERING]
            else:
                terms += self.remove_invalid_fields(queryset, [term], view, request)
        if not terms:
            return self.get_default_ordering(view)
        return [*terms, "-id"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("status", "IdeaStatusEnum"),
            OpenApiParameter(
                "ordering",
                str,
                description="A field (`-` for descending): title, status, created_at, decided_at, demand_count, "
                "demand_weight, demand_deal_value, id; or `demand`: the most wanted first.",
            ),
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: every matching idea, no pages."),
        ],
        responses={(200, "application/json"): IdeaSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class IdeaViewSet(ListOnlyCSV, PortfolioScopedViewSet):
    """Ideas for a product, with the market insights and customer feedback behind them and the demand that
    feedback adds up to; evaluate, accept (a roadmap item that links back) or reject (with a reason)."""

    serializer_class = IdeaSerializer
    filterset_class = IdeaFilter
    search_fields = ["title", "description", "decision_reason"]
    ordering_fields = [
        "title",
        "status",
        "created_at",
        "decided_at",
        "demand_count",
        "demand_weight",
        "demand_deal_value",
        "id",
    ]
    ordering = ["-created_at", "-id"]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, RoadmapCSVRenderer]
    filter_backends = [DjangoFilterBackend, IdeaOrdering, drf_filters.SearchFilter]

    def get_queryset(self):
        return selectors.idea_list_for_user(self.request.user)

    def get_object(self):
        return selectors.idea_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")
        if request.accepted_renderer.format == "csv":
            return csv_list_response(
                self, request, lambda rows: selectors.csv_lines(rows.iterator(chunk_size=500)), "ideas.csv"
            )
        return super().list(request, *args, **kwargs)

    @staticmethod
    def _fields(data: dict) -> dict:
        return {k: v for k, v in data.items() if k in services.IDEA_FIELDS or k in services.LINK_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, Idea, product.portfolio_id)
        idea = services.idea_create(product=product, actor=self.request.user, **self._fields(data))
        serializer.instance = selectors.idea_for_user(self.request.user, idea.pk)

    def perform_update(self, serializer):
        services.idea_update(
            idea_id=serializer.instance.id, actor=self.request.user, **self._fields(dict(serializer.validated_data))
        )

    def perform_destroy(self, instance):
        services.idea_delete(idea_id=instance.id, actor=self.request.user)

    def _answer(self, request, pk):
        data = IdeaSerializer(selectors.idea_for_user(request.user, pk), context={"request": request}).data
        return Response(data, headers={"ETag": representation_etag(data)})

    @extend_schema(request=None, responses={200: IdeaSerializer, 409: WRONG_STATUS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def evaluate(self, request, pk=None):
        """Mark a concept as evaluated. Any other status: 409."""
        idea = selectors.idea_for_user(request.user, pk, write=True)
        services.idea_evaluate(idea_id=idea.id, actor=request.user)
        return self._answer(request, pk)

    @extend_schema(request=AcceptInput, responses={201: AcceptedIdea, 409: WRONG_STATUS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        """Accept a concept or an evaluated idea: a roadmap item of its product (a feature in Later unless
        `kind` and `horizon` say otherwise) with its title and description, linked to the idea and its
        feedback. Accepted or rejected already: 409 (two acceptances at once make one item)."""
        idea = selectors.idea_for_user(request.user, pk, write=True)
        body = AcceptInput(data=request.data)
        body.is_valid(raise_exception=True)
        item = idea_accept(idea_id=idea.id, actor=request.user, **body.validated_data)
        return Response({"roadmap_item": item.id}, status=status.HTTP_201_CREATED)

    @extend_schema(request=RejectInput, responses={200: IdeaSerializer, 409: WRONG_STATUS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        """Reject a concept or an evaluated idea with a `reason` (required, kept with who and when).
        Accepted or rejected already: 409."""
        idea = selectors.idea_for_user(request.user, pk, write=True)
        body = RejectInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.idea_reject(idea_id=idea.id, actor=request.user, **body.validated_data)
        return self._answer(request, pk)


def register(router) -> None:
    router.register("ideas", IdeaViewSet, basename="idea")


urlpatterns: list = []
