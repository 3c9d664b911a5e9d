"""Serializers of launch templates, launch plans and launch tasks (API-CONTRACT.md, "Go-to-market").

They translate: the checks and the writes are gtm.services.launches' (a bad template task list, a
release of another product, an owner who is not a member are its 400s on the field)."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from gtm.models import Function, LaunchPlan, LaunchTask, LaunchTemplate, Tier
from gtm.selectors import is_overdue, launch_plan_list_for_user, launch_template_list_for_user, today_in
from gtm.services.launches import OFFSET_RANGE, REASON_MAX, TEMPLATE_TASKS_MAX, template_tasks_clean
from gtm.services.rules import TEXT_MAX, TITLE_MAX
from pmflow.access import queryset_for_user
from pmflow.errors import InvalidInput
from pmflow.fields import StrictCharField, StrictStrings
from products.api.serializers import ScopedPrimaryKeyField
from products.selectors import portfolio_list_for_user, product_list_for_user
from roadmap.api.serializers import PLAUSIBLE_DATE, OwnerField, PlanDateField
from roadmap.models import Release


def _scoped(model, *related):
    def selector(user):
        return queryset_for_user(user, model.objects.select_related(*related))

    return selector


class StaysInPortfolio:
    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "portfolio" in attrs and attrs["portfolio"].id != self.instance.portfolio_id:
            raise serializers.ValidationError({"portfolio": "It cannot move to another portfolio."})
        return attrs


class StaysInProduct:
    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "product" in attrs and attrs["product"].id != self.instance.product_id:
            raise serializers.ValidationError({"product": "It cannot move to another product."})
        return attrs


class StaysInPlan:
    def validate(self, attrs):
        attrs = super().validate(attrs)
        plan = attrs.get("launch_plan")
        if self.instance is not None and plan is not None and plan.id != self.instance.launch_plan_id:
            raise serializers.ValidationError({"launch_plan": "It cannot move to another launch plan."})
        return attrs


@extend_schema_field({k: v for k, v in PLAUSIBLE_DATE.items() if k != "nullable"})
class LaunchDateField(serializers.DateField):
    """The launch day: required (it can move later); the years are the services' rule."""


@extend_schema_field(
    {"type": "string", "nullable": True, "minLength": 1, "maxLength": 150, "description": "A member's username."}
)
class MemberField(OwnerField):
    """An owner by username (resolved against the portfolio's members by the view); the schema states its
    bounds, which OwnerField checks."""


def tier_field(**kwargs):
    return serializers.ChoiceField(choices=Tier.choices, required=False, **kwargs)


# --- templates -----------------------------------------------------------------------------------------

TEMPLATE_TASK_SCHEMA = {
    "type": "array",
    "maxItems": TEMPLATE_TASKS_MAX,
    "description": "The checklist, written as a whole list (it replaces the template's tasks). A plan made "
    "from the template gets each task due `offset_days` after its launch date (negative: before).",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "function"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX, "pattern": "^[^\\x00]*\\S[^\\x00]*$"},
            "function": {"$ref": "#/components/schemas/FunctionEnum"},
            "offset_days": {"type": "integer", "minimum": OFFSET_RANGE[0], "maximum": OFFSET_RANGE[1], "default": 0},
            "required": {"type": "boolean", "default": True},
        },
    },
}


@extend_schema_field(TEMPLATE_TASK_SCHEMA)
class TemplateTasksField(serializers.Field):
    """A template's task list, checked whole by the service (`template_tasks_clean`): its messages name
    the row and the field."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, tasks):
        return [
            {"title": t.title, "function": t.function, "offset_days": t.offset_days, "required": t.required}
            for t in tasks.all()
        ]

    def to_internal_value(self, data):
        try:
            return template_tasks_clean(data)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.fields.get("tasks") or str(exc)) from None


class LaunchTemplateSerializer(StaysInPortfolio, StrictStrings, serializers.ModelSerializer):
    """A portfolio's checklist for launches of one tier."""

    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    tier = tier_field()
    tasks = TemplateTasksField()

    class Meta:
        model = LaunchTemplate
        fields = ["id", "portfolio", "name", "tier", "description", "tasks", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"description": {"max_length": TEXT_MAX}}
        validators = []  # (portfolio, name) is the service's check, with its message on `name`


# --- plans ---------------------------------------------------------------------------------------------


class LaunchPlanSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    """A planned launch of a product, its readiness and how it ended (launched or cancelled)."""

    product = ScopedPrimaryKeyField(product_list_for_user)
    release = ScopedPrimaryKeyField(_scoped(Release, "product"), allow_null=True, required=False)
    template = ScopedPrimaryKeyField(
        launch_template_list_for_user,
        write_only=True,
        required=False,
        allow_null=True,
        help_text="On create only: copy this template's tasks, each due `offset_days` after the launch date; "
        "the tier defaults to the template's.",
    )
    launch_date = LaunchDateField()
    tier = tier_field(help_text="Defaults to the template's tier, or 2.")
    owner = MemberField()
    status = serializers.ChoiceField(
        choices=LaunchPlan.Status.choices,
        read_only=True,
        help_text="`ready` exactly while readiness is 100; `launched` and `cancelled` through their actions.",
    )
    readiness = serializers.IntegerField(
        read_only=True, min_value=0, max_value=100, help_text="Required tasks done ÷ required tasks, rounded down."
    )
    launched_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who launched it (username)."
    )
    task_count = serializers.IntegerField(read_only=True, source="task_total")
    done_count = serializers.IntegerField(read_only=True, source="task_done")
    required_count = serializers.IntegerField(read_only=True, source="required_total")
    required_done_count = serializers.IntegerField(read_only=True, source="required_done")

    class Meta:
        model = LaunchPlan
        fields = [
            "id",
            "product",
            "release",
            "template",
            "name",
            "description",
            "tier",
            "launch_date",
            "owner",
            "status",
            "readiness",
            "launched_at",
            "launched_by",
            "launch_reason",
            "cancelled_at",
            "cancel_reason",
            "task_count",
            "done_count",
            "required_count",
            "required_done_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "launched_at",
            "launch_reason",
            "cancelled_at",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"description": {"max_length": TEXT_MAX}}


class LaunchPlanUpdateSerializer(LaunchPlanSerializer):
    """A plan as PUT and PATCH take it: a template applies when the plan is created only."""

    class Meta(LaunchPlanSerializer.Meta):
        fields = [name for name in LaunchPlanSerializer.Meta.fields if name != "template"]

    def validate(self, attrs):
        if isinstance(self.initial_data, Mapping) and "template" in self.initial_data:
            raise serializers.ValidationError({"template": "A template applies when the plan is created only."})
        return super().validate(attrs)


@extend_schema_serializer(component_name="Launch")
class LaunchInput(serializers.Serializer):
    override = serializers.BooleanField(
        default=False,
        help_text="Launch although required tasks are open (admins and product managers; needs a reason).",
    )
    reason = StrictCharField(max_length=REASON_MAX, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="LaunchCancel")
class CancelInput(serializers.Serializer):
    reason = StrictCharField(max_length=REASON_MAX, help_text="Why the launch is cancelled; kept with the plan.")


class OpenTask(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    function = serializers.ChoiceField(choices=Function.choices)
    status = serializers.ChoiceField(choices=LaunchTask.Status.choices)


class OpenTasks(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`open_tasks`, or `plan_closed` (launched or cancelled: no list).")
    open_tasks = OpenTask(many=True, required=False, help_text="The required tasks not done.")


# --- tasks ---------------------------------------------------------------------------------------------


class LaunchTaskSerializer(StaysInPlan, StrictStrings, serializers.ModelSerializer):
    """One task of a launch plan's checklist."""

    launch_plan = ScopedPrimaryKeyField(launch_plan_list_for_user)
    owner = MemberField()
    due_date = PlanDateField(allow_null=True, required=False)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = LaunchTask
        fields = [
            "id",
            "launch_plan",
            "title",
            "description",
            "function",
            "owner",
            "due_date",
            "status",
            "blocked_reason",
            "required",
            "overdue",
            "position",
            "done_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["position", "done_at", "created_at", "updated_at"]
        extra_kwargs = {
            "description": {"max_length": TEXT_MAX},
            "blocked_reason": {
                "max_length": REASON_MAX,
                "help_text": "Required when the status is `blocked`; cleared when the task leaves it.",
            },
        }

    @extend_schema_field(
        {"type": "boolean", "readOnly": True, "description": "Due before the portfolio's today and not done."}
    )
    def get_overdue(self, task) -> bool:
        portfolio = task.launch_plan.product.portfolio
        todays = self.context.setdefault("todays", {})
        if portfolio.id not in todays:
            todays[portfolio.id] = today_in(portfolio)
        return is_overdue(task, todays[portfolio.id])
