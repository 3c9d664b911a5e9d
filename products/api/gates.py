"""The stage gates API (API-CONTRACT.md, "Lifecycle automation and events").

- `/api/v1/stage-gates/`: `id`, `portfolio`, `stage` (the stage being left), `criteria: [{"type",
  "params"}]`; read-only `criteria_described` (`[{"type", "label", "description"}]`: the criteria in plain
  words) and `updated_at`. Admins write; one gate per portfolio and stage (a second is a 400 on `stage`).
  The list shows the stored rows: a stage without a row has the default criteria
  (`GET …/defaults/`), a row with `[]` is an open gate, deleting a row brings the defaults back.
  Filters `portfolio`, `stage`.
- `GET …/defaults/`: every stage's default criteria; `GET …/criterion-types/`: the types a gate may name,
  with their parameters.

A person's move that misses a criterion is a 409 on `POST /api/v1/products/{id}/transition/` with
`code` "gate_not_met" and `unmet: [{"type", "message"}]` (the `Error` body). The viewset translates: the rules are
products.gates' and products.services.gates'.
"""

import django_filters
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from pmflow.access import object_for_user, queryset_for_user, require
from pmflow.api import PortfolioScopedViewSet
from pmflow.errors import InvalidInput
from pmflow.fields import SafeJSONField, StrictStrings
from pmflow.openapi import enum_parameter
from products import gates
from products.api.filters import IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Stage, StageGate
from products.selectors import portfolio_list_for_user
from products.services import gates as services


class CriteriaField(SafeJSONField):
    """A gate's criteria: `[{"type", "params"}]` (checked by products.gates.criteria_clean)."""


class CriteriaFieldSchema(OpenApiSerializerFieldExtension):
    """The criteria as the registered types allow them: one object schema per type (its `params`), built
    when the schema is (the apps register their types at start-up)."""

    target_class = CriteriaField

    def map_serializer_field(self, auto_schema, direction):
        variants = []
        for kind in gates.ordered_types():
            params = {
                "type": "object",
                "properties": {
                    spec.name: {
                        "type": "integer",
                        "minimum": spec.minimum,
                        "maximum": spec.maximum,
                        "default": spec.default,
                        "description": spec.help_text or spec.label,
                    }
                    for spec in kind.params
                },
                "additionalProperties": False,
            }
            variants.append(
                {
                    "type": "object",
                    "title": kind.key,
                    "description": kind.words({spec.name: spec.default for spec in kind.params}),
                    "properties": {"type": {"type": "string", "enum": [kind.key]}, "params": params},
                    "required": ["type"] if direction == "request" else ["type", "params"],
                    "additionalProperties": False,
                }
            )
        return {
            "type": "array",
            "maxItems": len(variants),
            "items": {"oneOf": variants},
            "description": "Each criterion type at most once; stored in the registry's order with every "
            "parameter filled in. `[]`: an open gate.",
        }


class CriterionDescribedSerializer(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()


class StageGateSerializer(StrictStrings, serializers.ModelSerializer):
    """The exit criteria of one stage in a portfolio."""

    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    stage = serializers.ChoiceField(choices=Stage.choices, help_text="The stage being left.")
    criteria = CriteriaField(help_text="What a person's move out of the stage must meet.")
    criteria_described = serializers.SerializerMethodField()

    class Meta:
        model = StageGate
        fields = ["id", "portfolio", "stage", "criteria", "criteria_described", "updated_at"]
        read_only_fields = ["updated_at"]
        validators = []  # one gate per portfolio and stage: the service's 400 on `stage`

    @extend_schema_field(CriterionDescribedSerializer(many=True))
    def get_criteria_described(self, gate) -> list[dict]:
        return gates.describe_criteria(gate.criteria)

    def validate_criteria(self, value):
        try:
            return gates.criteria_clean(value)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.fields["criteria"]) from exc

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "portfolio" in attrs and attrs["portfolio"].id != self.instance.portfolio_id:
            raise serializers.ValidationError({"portfolio": "It cannot move to another portfolio."})
        portfolio = attrs.get("portfolio") or getattr(self.instance, "portfolio", None)
        stage = attrs.get("stage")
        if portfolio is not None and stage is not None:
            clash = StageGate.objects.filter(portfolio=portfolio, stage=stage)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError({"stage": services.taken_message(stage)})
        return attrs


class StageGateFilter(StrictFilterSet):
    portfolio = IdFilter()
    stage = django_filters.ChoiceFilter(choices=Stage.choices)

    class Meta:
        model = StageGate
        fields = ["portfolio", "stage"]


class DefaultGateSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices, help_text="The stage being left.")
    criteria = CriteriaField()
    criteria_described = CriterionDescribedSerializer(many=True)


class CriterionParamSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    default = serializers.IntegerField()
    minimum = serializers.IntegerField()
    maximum = serializers.IntegerField()


class CriterionTypeSerializer(serializers.Serializer):
    type = serializers.CharField(source="key")
    label = serializers.CharField()
    description = serializers.SerializerMethodField()
    params = CriterionParamSerializer(many=True)
    about_the_move = serializers.BooleanField(
        help_text="Judges the move itself (its direction), so it applies to moves back too."
    )

    def get_description(self, kind) -> str:
        return kind.words({spec.name: spec.default for spec in kind.params})


@extend_schema_view(list=extend_schema(parameters=[enum_parameter("stage", "StageEnum")]))
class StageGateViewSet(PortfolioScopedViewSet):
    """The exit criteria of a portfolio's stages: what a person's move out of `stage` must meet (unless
    overridden with a reason). A stage without a row has the default criteria (`defaults/`); `[]` is an
    open gate; deleting a row brings the defaults back. Rule moves and accepted suggestions are not gated.
    Admins write."""

    serializer_class = StageGateSerializer
    filterset_class = StageGateFilter
    ordering_fields = ["id", "updated_at"]
    ordering = ["portfolio_id", "id"]

    def get_queryset(self):
        return queryset_for_user(self.request.user, StageGate.objects.all())

    def get_object(self):
        write = self.request.method not in permissions.SAFE_METHODS
        return object_for_user(self.request.user, StageGate, self.kwargs["pk"], action="write" if write else "read")

    def perform_create(self, serializer):
        data = serializer.validated_data
        require(self.request.user, StageGate, data["portfolio"].id)
        serializer.instance = services.stage_gate_save(
            actor=self.request.user, portfolio=data["portfolio"], stage=data["stage"], criteria=data["criteria"]
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.stage_gate_save(
            actor=self.request.user, gate=serializer.instance, stage=data.get("stage"), criteria=data.get("criteria")
        )

    def perform_destroy(self, instance):
        services.stage_gate_delete(gate_id=instance.id, actor=self.request.user)

    @extend_schema(responses=DefaultGateSerializer(many=True))
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def defaults(self, request):
        """Every stage's default criteria: what a stage without a row in its portfolio asks."""
        rows = [
            {
                "stage": stage,
                "criteria": gates.default_criteria(stage),
                "criteria_described": gates.describe_criteria(gates.default_criteria(stage)),
            }
            for stage in Stage.values
        ]
        return Response(DefaultGateSerializer(rows, many=True).data)

    @extend_schema(responses=CriterionTypeSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="criterion-types", filter_backends=[], pagination_class=None)
    def criterion_types(self, request):
        """The criterion types a gate may name, with their parameters."""
        return Response(CriterionTypeSerializer(gates.ordered_types(), many=True).data)


urlpatterns = []


def register(router) -> None:
    router.register("stage-gates", StageGateViewSet, basename="stage-gate")
