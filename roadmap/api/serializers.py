from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from pmflow.access import queryset_for_user
from pmflow.fields import BoundedDecimalField, StrictCharField, StrictStrings
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Feedback, Idea, KeyResult
from products.selectors import product_list_for_user
from roadmap.exports import score
from roadmap.models import WEIGHT_INPUTS, Release, RoadmapDependency, RoadmapItem, ScoringWeights


def _scoped(model, *related):
    def selector(user):
        return queryset_for_user(user, model.objects.select_related(*related))

    return selector


class StaysInProduct:
    """An object cannot move to another product once created."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "product" in attrs and attrs["product"].id != self.instance.product_id:
            raise serializers.ValidationError({"product": "It cannot move to another product."})
        return attrs


class ReleaseSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    status = serializers.ChoiceField(choices=Release.Status.choices, read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    done_count = serializers.IntegerField(read_only=True)
    shipped_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Release
        fields = [
            "id",
            "product",
            "version",
            "name",
            "description",
            "target_date",
            "status",
            "shipped_at",
            "shipped_by",
            "ship_reason",
            "item_count",
            "done_count",
            "created_at",
        ]
        read_only_fields = ["shipped_at", "ship_reason", "created_at"]
        validators = []  # (product, version) is checked by the service, with a field-level message


@extend_schema_serializer(component_name="Ship")
class ShipInput(serializers.Serializer):
    override = serializers.BooleanField(
        default=False, help_text="Ship although items are open (admins and product managers; needs a reason)."
    )
    reason = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


class OpenItem(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()


class OpenItems(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    open_items = OpenItem(many=True)


@extend_schema_field({"type": "number", "format": "double", "nullable": True, "readOnly": True})
class ScoreField(serializers.ReadOnlyField):
    def to_representation(self, value):
        return score(value)


@extend_schema_field({"type": "string", "nullable": True, "description": "A member's username."})
class OwnerField(serializers.Field):
    """The owner by username; resolved against the item's portfolio in `validate`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.get_username() if value is not None else None

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data or len(data) > 150 or "\x00" in data:
            raise serializers.ValidationError("A member's username.")
        return data


class RoadmapItemSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    parent = ScopedPrimaryKeyField(_scoped(RoadmapItem, "product"), allow_null=True, required=False)
    release = ScopedPrimaryKeyField(_scoped(Release, "product"), allow_null=True, required=False)
    key_result = ScopedPrimaryKeyField(_scoped(KeyResult, "goal__product"), allow_null=True, required=False)
    ideas = ScopedPrimaryKeyField(_scoped(Idea, "product"), many=True, required=False)
    feedback = ScopedPrimaryKeyField(_scoped(Feedback, "product"), many=True, required=False)
    owner = OwnerField()
    impact = BoundedDecimalField(3, 2, allow_null=True, required=False, help_text="0.25, 0.5, 1, 2 or 3.")
    effort = BoundedDecimalField(8, 2, round_places=True, allow_null=True, required=False, help_text="> 0")
    job_size = BoundedDecimalField(8, 2, round_places=True, allow_null=True, required=False, help_text="> 0")
    rice_score = ScoreField()
    wsjf_score = ScoreField()
    value_effort = ScoreField()
    weighted_score = ScoreField()
    feedback_count = serializers.IntegerField(read_only=True)
    depends_on = serializers.SerializerMethodField()

    class Meta:
        model = RoadmapItem
        fields = [
            "id",
            "product",
            "parent",
            "kind",
            "title",
            "description",
            "status",
            "horizon",
            "rank",
            "release",
            "owner",
            "start_date",
            "end_date",
            "reach",
            "impact",
            "confidence",
            "effort",
            "business_value",
            "time_criticality",
            "risk_reduction",
            "job_size",
            "value",
            "moscow",
            "regulatory",
            "regulation",
            "key_result",
            "ideas",
            "feedback",
            "rice_score",
            "wsjf_score",
            "value_effort",
            "weighted_score",
            "feedback_count",
            "depends_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["rank", "created_at", "updated_at"]
        extra_kwargs = {"confidence": {"max_value": 100}}

    @extend_schema_field({"type": "array", "items": {"type": "integer"}, "readOnly": True})
    def get_depends_on(self, item) -> list[int]:
        return [dependency.depends_on_id for dependency in item.dependencies.all()]


class MoveInput(serializers.Serializer):
    horizon = serializers.ChoiceField(choices=RoadmapItem.Horizon.choices)
    position = serializers.IntegerField(
        min_value=0, max_value=1_000_000, help_text="0-based index of the item in the target column after the move."
    )


class RoadmapDependencySerializer(StrictStrings, serializers.ModelSerializer):
    item = ScopedPrimaryKeyField(_scoped(RoadmapItem, "product"))
    depends_on = ScopedPrimaryKeyField(_scoped(RoadmapItem, "product"))

    class Meta:
        model = RoadmapDependency
        fields = ["id", "item", "depends_on", "kind", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # the service says which pair exists, or which cycle it would close


class ScoringWeightsSerializer(serializers.ModelSerializer):
    portfolio = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ScoringWeights
        fields = ["portfolio", *WEIGHT_INPUTS, "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {
            name: {"min_value": -100, "max_value": 100, "coerce_to_string": False} for name in WEIGHT_INPUTS
        }
