"""The stage suggestions API (API-CONTRACT.md, "Lifecycle automation and events").

- `GET /api/v1/stage-suggestions/`, `GET …/{id}/`: read-only rows written by `suggest` rules: `id`,
  `product`, `rule`, `from_stage`, `to_stage`, `reason`, `evidence`, `status` (`pending` | `accepted` |
  `dismissed` | `expired`), `created_at`, `decided_by` (username or null), `decision_reason`; extensions
  `product_name`, `rule_name`, `decided_at`, `transition` (the move an accepted one made). Filters
  `portfolio`, `product`, `rule`, `status`; `?ordering=` on `created_at`, `decided_at`, `id` (newest first);
  `?format=csv` (every matching suggestion, the evidence left out).
- `POST …/{id}/accept/ {"reason"?}` (admin, product manager): 200 with the transition, in the shape of
  `GET /api/v1/products/{id}/transitions/`, whose evidence names the suggestion; not gated. 409 when it
  is not pending (accepted twice, dismissed, expired) or the product left the stage.
- `POST …/{id}/dismiss/ {"reason"}` (admin, product manager): 200 with the suggestion; the reason is
  required (400); 409 when not pending.

A marketer or viewer is refused (403) before the body is read. The rules are
products.services.suggestions'.
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pmflow.access import object_for_user, queryset_for_user
from pmflow.api import ConditionalRequestsSchema, PortfolioScopedViewSet
from pmflow.fields import StrictCharField
from pmflow.openapi import enum_parameter, validation_error_response
from products.api.filters import IdFilter, StrictFilterSet
from products.api.market import CSVListMixin
from products.api.serializers import TransitionSerializer
from products.models import Stage, StageSuggestion
from products.services import suggestions as services

CSV_COLUMNS = [
    "id",
    "product",
    "product_name",
    "rule",
    "rule_name",
    "from_stage",
    "to_stage",
    "status",
    "reason",
    "created_at",
    "decided_by",
    "decided_at",
    "decision_reason",
    "transition",
]


def suggestions_queryset():
    return StageSuggestion.objects.select_related("product", "rule", "decided_by")


def _iso(value):
    return value.isoformat() if value else None


def suggestion_csv_rows(suggestions):
    for s in suggestions:
        yield [
            s.id,
            s.product_id,
            s.product.name,
            s.rule_id,
            s.rule.name if s.rule_id else None,
            s.from_stage,
            s.to_stage,
            s.status,
            s.reason,
            _iso(s.created_at),
            s.decided_by.get_username() if s.decided_by_id else None,
            _iso(s.decided_at),
            s.decision_reason,
            s.transition_id,
        ]


class StageSuggestionSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    rule = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The suggest rule (null once the rule is deleted)."
    )
    rule_name = serializers.SerializerMethodField()
    evidence = serializers.JSONField(
        read_only=True,
        help_text="What fired the rule, as an automatic move records it: `rule`, `condition` (in words), "
        "`condition_type`, and the condition's facts (`kpi` and `rollups`, `launch_plan`, `release`, `parts`).",
    )
    decided_by = serializers.SerializerMethodField()
    transition = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The move an accepted suggestion made."
    )

    class Meta:
        model = StageSuggestion
        fields = [
            "id",
            "product",
            "product_name",
            "rule",
            "rule_name",
            "from_stage",
            "to_stage",
            "reason",
            "evidence",
            "status",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "transition",
        ]
        read_only_fields = fields

    def get_rule_name(self, suggestion) -> str | None:
        return suggestion.rule.name if suggestion.rule_id else None

    def get_decided_by(self, suggestion) -> str | None:
        """The username of who accepted or dismissed it."""
        return suggestion.decided_by.get_username() if suggestion.decided_by_id else None


class SuggestionAcceptInput(serializers.Serializer):
    reason = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=services.MAX_REASON,
        trim_whitespace=True,
        help_text="An optional note: kept as the decision's reason and added to the move's.",
    )


class SuggestionDismissInput(serializers.Serializer):
    reason = StrictCharField(
        max_length=services.MAX_REASON,
        help_text="Why not (required): kept with the suggestion, shown to everyone.",
    )


class StageSuggestionFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    rule = IdFilter()
    status = django_filters.ChoiceFilter(choices=StageSuggestion.Status.choices)

    class Meta:
        model = StageSuggestion
        fields = ["portfolio", "product", "rule", "status"]


NOT_PENDING = OpenApiResponse(
    inline_serializer(
        "SuggestionNotPending",
        fields={
            "detail": serializers.CharField(),
            "code": serializers.CharField(help_text="`conflict`."),
            "status": serializers.ChoiceField(
                choices=StageSuggestion.Status.choices, required=False, help_text="What the suggestion is now."
            ),
            "current_stage": serializers.ChoiceField(
                choices=Stage.choices, required=False, help_text="Where the product is now."
            ),
        },
    ),
    description="Not pending any more (`status` says what it is: accepted, dismissed or expired), or the "
    "product left the stage (`current_stage`); nothing changed.",
)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("status", "StageSuggestionStatusEnum"),
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: every matching suggestion (no evidence)."
            ),
        ],
        responses={
            (200, "application/json"): StageSuggestionSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
)
class StageSuggestionViewSet(CSVListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Moves `suggest` rules propose, with their evidence. Admins and product managers accept them (the
    product moves: the rule's move, not gated, by the accepting person) or dismiss them with a reason (a
    dismissed suggestion stays away until the evidence changes); a pending one expires when the product
    leaves the stage first."""

    serializer_class = StageSuggestionSerializer
    filterset_class = StageSuggestionFilter
    ordering_fields = ["created_at", "decided_at", "id"]
    ordering = ["-created_at", "-id"]
    schema = ConditionalRequestsSchema()
    retrieve = PortfolioScopedViewSet.retrieve
    csv_name = "stage-suggestions"

    def get_queryset(self):
        return queryset_for_user(self.request.user, suggestions_queryset())

    def get_object(self):
        return object_for_user(self.request.user, suggestions_queryset(), self.kwargs["pk"])

    def csv_rows(self, queryset):
        return CSV_COLUMNS, suggestion_csv_rows(queryset.iterator(chunk_size=500))

    @extend_schema(
        request=SuggestionAcceptInput,
        responses={200: TransitionSerializer, 409: NOT_PENDING},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        """Accept: the product moves as the rule says, with you as the mover and the suggestion named in the
        move's evidence. Not gated (the rule is the evidence). 409 when it is not pending any more."""
        suggestion = object_for_user(request.user, StageSuggestion, pk, action="accept")
        body = SuggestionAcceptInput(data=request.data)
        body.is_valid(raise_exception=True)
        move = services.suggestion_accept(
            suggestion_id=suggestion.id, actor=request.user, reason=body.validated_data.get("reason", "")
        )
        move = type(move).objects.select_related("actor", "rule").get(pk=move.pk)
        return Response(TransitionSerializer(move).data)

    @extend_schema(
        request=SuggestionDismissInput,
        responses={
            200: StageSuggestionSerializer,
            400: validation_error_response("No reason given (`reason`)."),
            409: NOT_PENDING,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def dismiss(self, request, pk=None):
        """Dismiss with a reason: it does not come back for the same evidence (new evidence in the same stay
        in the stage makes a new one). 409 when it is not pending any more."""
        suggestion = object_for_user(request.user, StageSuggestion, pk, action="dismiss")
        body = SuggestionDismissInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.suggestion_dismiss(
            suggestion_id=suggestion.id, actor=request.user, reason=body.validated_data["reason"]
        )
        return Response(StageSuggestionSerializer(self.get_object()).data)


urlpatterns = []


def register(router) -> None:
    router.register("stage-suggestions", StageSuggestionViewSet, basename="stage-suggestion")
