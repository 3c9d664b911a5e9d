from decimal import Decimal

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from pmflow.access import queryset_for_user
from pmflow.fields import BoundedDecimalField, StrictCharField, StrictStrings
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Feedback, Idea, KeyResult, MarketInsight
from products.selectors import product_list_for_user
from roadmap.exports import score
from roadmap.models import WEIGHT_INPUTS, Release, RoadmapDependency, RoadmapItem, ScoringWeights
from roadmap.services.dependencies import WEIGHT_MAX, WEIGHT_MIN
from roadmap.services.items import (
    DATE_YEARS,
    EXPECTED_CHANGE_RANGE,
    IMPACT_MESSAGE,
    LINK_FIELDS,
    REACH_MAX,
    SMALL_SCORE_MAX,
    SMALL_SCORES,
)


def _scoped(model, *related):
    def selector(user):
        return queryset_for_user(user, model.objects.select_related(*related))

    return selector


# The years the services take (roadmap.services.items.DATE_YEARS, 1900 to 2200), stated in the schema.
PLAUSIBLE_DATE = {
    "type": "string",
    "format": "date",
    "nullable": True,
    "pattern": "^(19[0-9]{2}|2[01][0-9]{2}|2200)-",
    "description": f"Between the years {DATE_YEARS[0]} and {DATE_YEARS[1]}.",
}


@extend_schema_field(PLAUSIBLE_DATE)
class PlanDateField(serializers.DateField):
    """A date of a plan; the years are the services' rule, the schema states them."""


class StaysInProduct:
    """An object cannot move to another product once created."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "product" in attrs and attrs["product"].id != self.instance.product_id:
            raise serializers.ValidationError({"product": "It cannot move to another product."})
        return attrs


class ReleaseSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    target_date = PlanDateField(allow_null=True, required=False)
    status = serializers.ChoiceField(choices=Release.Status.choices, read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    done_count = serializers.IntegerField(read_only=True)
    shipped_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

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
        extra_kwargs = {"description": {"max_length": 20_000}}  # the service's bound, stated in the schema
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
    code = serializers.CharField(help_text="`open_items`, or `already_shipped` (then without the list).")
    open_items = OpenItem(many=True, required=False, help_text="The items neither done nor dropped.")


@extend_schema_field({"type": "number", "format": "double", "nullable": True, "readOnly": True})
class ScoreField(serializers.ReadOnlyField):
    def to_representation(self, value):
        return score(value)


IMPACTS = [Decimal(value) for value, _ in RoadmapItem.IMPACTS]


# One exact number per variant: OpenAPI 3.0 has no const, and a client generator takes no enum of floats.
@extend_schema_field(
    {
        "oneOf": [{"type": "number", "minimum": float(v), "maximum": float(v)} for v in IMPACTS] + [{"enum": [None]}],
        "description": "RICE impact: " + IMPACT_MESSAGE[4:],
    }
)
class ImpactField(BoundedDecimalField):
    def __init__(self, **kwargs):
        super().__init__(3, 2, allow_null=True, required=False, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value is not None and value not in IMPACTS:
            raise serializers.ValidationError(IMPACT_MESSAGE)
        return value


@extend_schema_field(
    {"type": "string", "nullable": True, "minLength": 1, "maxLength": 150, "description": "A member's username."}
)
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
    insights = ScopedPrimaryKeyField(
        _scoped(MarketInsight), many=True, required=False, help_text="Market insights of the item's portfolio."
    )
    start_date = PlanDateField(allow_null=True, required=False)
    end_date = PlanDateField(allow_null=True, required=False)
    owner = OwnerField()
    impact = ImpactField()
    # More than 0: with two decimal places (rounded) the least is 0.01.
    effort = BoundedDecimalField(
        8, 2, round_places=True, allow_null=True, required=False, min_value=Decimal("0.01"), help_text="> 0"
    )
    job_size = BoundedDecimalField(
        8, 2, round_places=True, allow_null=True, required=False, min_value=Decimal("0.01"), help_text="> 0"
    )
    expected_kpi_key = StrictCharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The key of a KPI of the item's product this item should move after launch (with "
        "`expected_change_pct`: both or neither; empty: no expectation). The post-launch review of its release's "
        "launch compares it with what happened.",
    )
    expected_change_pct = BoundedDecimalField(
        8,
        2,
        round_places=True,
        allow_null=True,
        required=False,
        min_value=EXPECTED_CHANGE_RANGE[0],
        max_value=EXPECTED_CHANGE_RANGE[1],
        help_text="The change in that KPI expected over the review window, in percent (negative: a fall); "
        "rounded to 2 decimals.",
    )
    rice_score = ScoreField()
    wsjf_score = ScoreField()
    value_effort = ScoreField()
    weighted_score = ScoreField()
    feedback_count = serializers.IntegerField(read_only=True)
    # The demand behind the item (products.demand): how many pieces of feedback, the sum of their importance,
    # the sum of their deal values; `?ordering=-demand` puts the most wanted first.
    demand_count = serializers.IntegerField(read_only=True, help_text="Pieces of feedback linked (usable as reach).")
    demand_weight = serializers.IntegerField(read_only=True, help_text="The sum of their importance (1–5 each).")
    demand_deal_value = serializers.DecimalField(
        20, 2, read_only=True, help_text="The sum of the deal values sales attached to them (0 without any)."
    )
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
            "expected_kpi_key",
            "expected_change_pct",
            *LINK_FIELDS,
            "rice_score",
            "wsjf_score",
            "value_effort",
            "weighted_score",
            "feedback_count",
            "demand_count",
            "demand_weight",
            "demand_deal_value",
            "depends_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["rank", "created_at", "updated_at"]
        # The services' bounds (roadmap.services.items.item_clean), stated in the schema.
        extra_kwargs = {
            "confidence": {"max_value": 100},
            "reach": {"max_value": REACH_MAX},
            "description": {"max_length": 20_000},
            **{name: {"max_value": SMALL_SCORE_MAX} for name in SMALL_SCORES},
        }

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
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Null: the defaults, never set.")

    class Meta:
        model = ScoringWeights
        fields = ["portfolio", *WEIGHT_INPUTS, "updated_at"]
        read_only_fields = ["updated_at"]

    def build_standard_field(self, field_name, model_field):
        if field_name in WEIGHT_INPUTS:  # −100…100, rounded to the column's two places (70.866 → 70.87)
            return BoundedDecimalField, {
                "max_digits": 6,
                "decimal_places": 2,
                "round_places": True,
                "min_value": Decimal(WEIGHT_MIN),  # the service's range
                "max_value": Decimal(WEIGHT_MAX),
                "required": False,
            }
        return super().build_standard_field(field_name, model_field)
