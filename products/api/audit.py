"""The audit API (API-CONTRACT.md, "Lifecycle automation and events").

`GET /api/v1/audit/?object_type=&object_id=`: the object's domain events, newest first: `id`, `at`,
`actor` (username, null for the system), `action` (the event's verb, e.g. `product.stage_changed`),
`changes` (`{field: [old, new]}`), plus `object_repr` (the object's name when it happened) and `data`
(what else the service recorded: a rule's description, an override reason). Page-number paging like the
other lists.

`object_type` is any model with an access policy, named as `products.events.object_type_of` names it
(`product`, `kpi`, `lifecycle_rule`, `roadmap_item`, `release`, `launch_plan`, `launch_task`,
`messaging`, `campaign`, …); another is a 400 on `object_type`. The object must be one the user may
read (its portfolio through the model's access policy): a missing one or another portfolio's is a 404.
A deleted object's history stays readable to the members of the portfolio its events belong to.
"""

from django.db.models import Model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound

from pmflow import access
from pmflow.fields import MAX_ID
from pmflow.openapi import error_response, validation_error_response
from products.events import object_type_of
from products.models import DomainEvent

# Values never shown as they were recorded, whatever a service put in an event (a webhook's secret).
HIDDEN = ("secret", "password", "token")


def object_types() -> dict[str, type[Model]]:
    """{object_type: model} for every model with an access policy (registered in the apps' ready())."""
    return {object_type_of(model): model for model in access.policies.models()}


def _hide(values: dict) -> dict:
    if not isinstance(values, dict):
        return values
    return {
        name: "(hidden)" if any(word in str(name).lower() for word in HIDDEN) else value
        for name, value in values.items()
    }


class AuditQuery(serializers.Serializer):
    object_type = serializers.CharField(max_length=64)
    object_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def validate_object_type(self, value):
        if value not in object_types():
            raise serializers.ValidationError(
                f"Unknown object type “{value}”. Use one of {', '.join(sorted(object_types()))}."
            )
        return value


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField(help_text="The username of who did it; null for the system.")
    action = serializers.CharField(
        source="verb", help_text="What happened: the event's verb, e.g. `product.stage_changed`."
    )
    changes = serializers.SerializerMethodField(help_text="`{field: [old, new]}` for the fields that changed.")
    data = serializers.SerializerMethodField(help_text="What else was recorded with the change.")

    class Meta:
        model = DomainEvent
        fields = ["id", "at", "actor", "action", "changes", "object_repr", "data"]
        read_only_fields = fields

    def get_actor(self, event) -> str | None:
        return event.actor.get_username() if event.actor_id else None

    def get_changes(self, event) -> dict:
        return _hide(event.changes)

    def get_data(self, event) -> dict:
        return _hide(event.data)


class AuditViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The change history of one object, from its domain events (the same rows its page shows)."""

    serializer_class = AuditEventSerializer
    filter_backends = []  # the two parameters below are the whole query; no ordering other than newest first

    def get_queryset(self):
        query = AuditQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        object_type, object_id = query.validated_data["object_type"], query.validated_data["object_id"]
        events = DomainEvent.objects.filter(object_type=object_type, object_id=object_id)
        model = object_types()[object_type]
        policy = access.policies.of(model)
        portfolio_id = model._default_manager.filter(pk=object_id).values_list(policy.portfolio, flat=True).first()
        if portfolio_id is None and not model._default_manager.filter(pk=object_id).exists():
            # Deleted: its events say which portfolio it was in; its members may still read them.
            events = events.filter(portfolio_id__in=list(access.roles_by_portfolio(self.request.user)))
            if not events.exists():
                raise NotFound()
        elif access.role_in(self.request.user, portfolio_id) is None:
            raise NotFound()
        return events.select_related("actor").order_by("-at", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "object_type",
                {"type": "string", "enum": sorted(object_types())},
                required=True,
                description="The kind of object, e.g. `product`, `lifecycle_rule`, `launch_plan`.",
            ),
            OpenApiParameter(
                "object_id",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                required=True,
                description="The object's id.",
            ),
        ],
        responses={
            200: AuditEventSerializer(many=True),
            400: validation_error_response("`object_type` unknown or `object_id` not an id."),
            404: error_response("No such object in your portfolios (nor a deleted one's history)."),
        },
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


urlpatterns = []


def register(router) -> None:
    router.register("audit", AuditViewSet, basename="audit")
