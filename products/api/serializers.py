import math

from django.contrib.auth import get_user_model
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS, ManyRelatedField

from pmflow.fields import SafeJSONField, StrictCharField, StrictStrings
from products import services
from products.lifecycle import condition_types
from products.models import (
    LifecycleRule,
    Membership,
    Portfolio,
    Product,
    ProductLine,
    Role,
    Stage,
    StageTransition,
)
from products.selectors import portfolio_list_for_user, product_line_list_for_user


class IdList(ManyRelatedField):
    """A list of ids: an object (`{}`) is not one (DRF iterated its keys and took it for `[]`)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key limited to the requesting user's portfolios: anything else "does not exist".

    The id is a whole number: `true` and `1.5` named row 1, and a bare `1e9999999` (infinity once
    parsed) was an OverflowError, a 500."""

    def __init__(self, selector, **kwargs):
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.selector(self.context["request"].user)

    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null for every relation; in a JSON body that is a string where the schema says an
        # integer or null (a form's empty select, multipart, still means none).
        if data == "" and not isinstance(getattr(self.root, "initial_data", None), QueryDict):
            self.fail("incorrect_type", data_type="str")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, float) and not (math.isfinite(data) and data.is_integer())):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)

    @classmethod
    def many_init(cls, *args, **kwargs):
        child = cls(*args, **kwargs)
        return IdList(child_relation=child, **{k: v for k, v in kwargs.items() if k in MANY_RELATION_KWARGS})


class InPortfolio(StrictStrings, serializers.ModelSerializer):
    """An object that stays in its portfolio and whose name is unique there (field-level messages)."""

    name_taken = "This name is taken in the portfolio."

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance and "portfolio" in attrs and attrs["portfolio"].id != self.instance.portfolio_id:
            raise serializers.ValidationError({"portfolio": "It cannot move to another portfolio."})
        portfolio = attrs.get("portfolio") or self.instance.portfolio
        name = attrs.get("name", getattr(self.instance, "name", None))
        clash = self.Meta.model.objects.filter(portfolio=portfolio, name=name)
        if self.instance:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"name": self.name_taken})
        return attrs


# Request bodies are named after what they ask for (`TokenRequest`, `MemberRequest`, `TransitionRequest`):
# with COMPONENT_SPLIT_REQUEST drf-spectacular appends "Request" to the component name.
@extend_schema_serializer(component_name="Token")
class TokenInput(serializers.Serializer):
    # Bounded: a 100,000-character password was hashed before it was refused.
    username = StrictCharField(max_length=150)
    password = StrictCharField(style={"input_type": "password"}, trim_whitespace=False, max_length=4096)


@extend_schema_serializer(component_name="Token")
class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class MembershipBrief(serializers.ModelSerializer):
    portfolio_name = serializers.CharField(source="portfolio.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["portfolio", "portfolio_name", "role"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipBrief(many=True, read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "memberships"]


class PortfolioSerializer(StrictStrings, serializers.ModelSerializer):
    class Meta:
        model = Portfolio
        fields = ["id", "name", "timezone", "created_at"]
        read_only_fields = ["created_at"]


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "role", "created_at"]


@extend_schema_serializer(component_name="Member")
class MemberInput(serializers.Serializer):
    username = StrictCharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class ProductLineSerializer(InPortfolio):
    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    name_taken = "A product line with this name exists in the portfolio."

    class Meta:
        model = ProductLine
        fields = ["id", "portfolio", "name", "description", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # uniqueness is checked in validate(), with a field-level message


class ProductSerializer(InPortfolio):
    name_taken = "A product with this name exists in the portfolio."
    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    product_line = ScopedPrimaryKeyField(product_line_list_for_user, allow_null=True, required=False)
    stage = serializers.ChoiceField(choices=Stage.choices, read_only=True)
    vision = StrictCharField(
        max_length=services.catalog.VISION_MAX,
        required=False,
        allow_blank=True,
        help_text="Where the product is heading: for whom, what need, why us.",
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "portfolio",
            "product_line",
            "name",
            "description",
            "vision",
            "stage",
            "stage_changed_at",
            "created_at",
        ]
        read_only_fields = ["stage_changed_at", "created_at"]
        validators = []  # uniqueness is checked in validate(), with a field-level message

    def validate(self, attrs):
        attrs = super().validate(attrs)
        portfolio = attrs.get("portfolio") or self.instance.portfolio
        line = attrs.get("product_line", getattr(self.instance, "product_line", None))
        if line is not None and line.portfolio_id != portfolio.id:
            raise serializers.ValidationError({"product_line": "The product line belongs to another portfolio."})
        return attrs


@extend_schema_serializer(component_name="Transition")
class TransitionInput(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    reason = StrictCharField(max_length=5000)
    override = serializers.BooleanField(default=False)
    from_stage = serializers.ChoiceField(
        choices=Stage.choices,
        required=False,
        help_text="The stage you believe the product is in; 409 if it moved meanwhile.",
    )


class TransitionSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    # "" on the ledger's first row, written when the product is created.
    from_stage = serializers.ChoiceField(choices=Stage.choices, allow_blank=True, read_only=True)
    rule = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = StageTransition
        fields = [
            "id",
            "from_stage",
            "to_stage",
            "at",
            "actor",
            "rule",
            "reason",
            "override",
            "unmet_criteria",
            "evidence",
        ]
        read_only_fields = fields

    def get_actor(self, move) -> str | None:
        return move.actor.get_username() if move.actor_id else None


@extend_schema_field({"type": "object", "additionalProperties": True})
class RuleParamsField(SafeJSONField):
    """A rule's params: an object (the service refuses anything else, null included)."""


class LifecycleRuleSerializer(InPortfolio):
    name_taken = "A rule with this name exists in the portfolio."
    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    condition_type = StrictCharField(
        max_length=40,
        help_text="What must hold: `kpi_threshold`, `kpi_growth`, `launch_plan_launched`, `release_shipped`, "
        "`all_of`, `any_of` (and any other type an installed app registers; an unknown one is a 400).",
    )
    params = RuleParamsField(
        help_text="The condition's parameters, an object whose shape depends on `condition_type`:\n\n"
        '- `kpi_threshold`: `{"key": "weekly_active_users", "granularity": "week", "comparator": '
        '"gte", "value": 1500, "periods": 4}`: the KPI\'s rollup beyond `value` in each of `periods` '
        'consecutive complete periods. `value` may be `"target"`: the KPI\'s own target for one period '
        "(none set: never holds).\n"
        "- `kpi_growth`: same keys; `value` is the change from one period to the next in percent (e.g. 5, "
        "-2.5) and `periods` the number of consecutive changes (so `periods` + 1 consecutive complete "
        "periods). A change from zero or a negative value has no percentage and never holds.\n"
        "- `launch_plan_launched`, `release_shipped`: `{}`.\n"
        '- `all_of` / `any_of`: `{"conditions": [{"condition_type": …, "params": {…}}, …]}`, 1-10 '
        "parts, nested at most 3 deep; errors name the part, e.g. `params.conditions[1].params.key`.\n\n"
        "`granularity`: day, week, month, quarter, year; `comparator`: gt, gte, lt, lte. At most 8 levels "
        "deep and 20,000 characters."
    )
    description = serializers.SerializerMethodField()

    class Meta:
        model = LifecycleRule
        fields = [
            "id",
            "portfolio",
            "name",
            "from_stage",
            "to_stage",
            "condition_type",
            "params",
            "mode",
            "is_active",
            "description",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators = []  # uniqueness is checked in validate(), with a field-level message
        extra_kwargs = {
            "mode": {
                "help_text": "`auto`: the product moves as soon as the condition holds (actor null, the rule's "
                "evidence on the transition). `suggest`: a pending stage suggestion is created instead, which an "
                "admin or product manager accepts or dismisses (`/api/v1/stage-suggestions/`)."
            }
        }

    def get_description(self, rule) -> str:
        """The condition in plain words, e.g. “weekly active users stay above their target for 4 weeks in a row”."""
        kind = condition_types.get(rule.condition_type)
        return kind.describe(rule.params) if kind else ""

    def validate(self, attrs):
        merged = {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("condition_type", "params", "from_stage", "to_stage")
        }
        attrs["params"] = services.lifecycle_rule_clean(**{**merged, "params": merged["params"] or {}})
        return super().validate(attrs)
