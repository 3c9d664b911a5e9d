"""`/api/v1/messaging/`: messaging and positioning versions, their review (submit, approve, request
changes), revisions and the diff between two versions of a line (API-CONTRACT.md, "Go-to-market").

The rules are gtm.services.messaging's (its docstring lists the ones the contract leaves open); this
module translates HTTP to service calls. Every write on one version, the actions too, honours
`If-Match` (412 and nothing written when the version changed since it was read): a reviewer approves
exactly what they read.
"""

import django_filters
from django.db import transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from gtm import diff
from gtm.models import LaunchPlan, Messaging
from gtm.services import messaging as services
from pmflow.access import queryset_for_user, require
from pmflow.api import PortfolioScopedViewSet, StaleObject, representation_etag, request_if_match
from pmflow.errors import InvalidInput
from pmflow.fields import MAX_ID, StrictCharField, StrictStrings
from pmflow.openapi import enum_parameter, error_response
from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Persona, Product, Segment
from products.selectors import product_list_for_user
from roadmap.api.serializers import StaysInProduct
from roadmap.api.views import ProductLockedFirst

# As pmflow.openapi states text fields: no NUL, and (required) not blank once trimmed.
NO_NUL = "^[^\\x00]*$"
NOT_BLANK = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"
ROW_TEXT = {"type": "string", "maxLength": services.ROW_TEXT_MAX, "pattern": NOT_BLANK, "minLength": 1}


def _scoped(model, *related):
    def selector(user):
        return queryset_for_user(user, model.objects.select_related(*related))

    return selector


class _RowsField(serializers.Field):
    """A JSON list of rows, checked by the service's cleaner: a bad row is a 400 on the field naming it."""

    cleaner = None
    field_name_in_service = ""

    def to_internal_value(self, data):
        try:
            return type(self).cleaner(data)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.fields[self.field_name_in_service]) from None

    def to_representation(self, value):
        return value


@extend_schema_field(
    {
        "type": "array",
        "maxItems": services.MESSAGES_MAX,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["message", "proof_points"],
            "properties": {
                "message": ROW_TEXT,
                "proof_points": {"type": "array", "maxItems": services.PROOF_POINTS_MAX, "items": ROW_TEXT},
            },
        },
        "description": f"At most {services.MESSAGES_MAX} messages, each with at most {services.PROOF_POINTS_MAX} "
        f"proof points; texts of at most {services.ROW_TEXT_MAX:,} characters.",
    }
)
class KeyMessagesField(_RowsField):
    cleaner = staticmethod(services.key_messages_clean)
    field_name_in_service = "key_messages"


@extend_schema_field(
    {
        "type": "array",
        "maxItems": services.OBJECTIONS_MAX,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["objection", "response"],
            "properties": {
                "objection": ROW_TEXT,
                "response": {"type": "string", "maxLength": services.ROW_TEXT_MAX, "pattern": NO_NUL},
            },
        },
        "description": f"At most {services.OBJECTIONS_MAX} objections with the response to each (a draft may "
        "leave a response empty; submitting needs them all).",
    }
)
class ObjectionsField(_RowsField):
    cleaner = staticmethod(services.objections_clean)
    field_name_in_service = "objections"


class MessagingSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    launch_plan = ScopedPrimaryKeyField(
        _scoped(LaunchPlan, "product"),
        allow_null=True,
        required=False,
        help_text="A launch plan of the same product; null: the product's messaging.",
    )
    target_segments = ScopedPrimaryKeyField(_scoped(Segment), many=True, required=False)
    target_personas = ScopedPrimaryKeyField(_scoped(Persona), many=True, required=False)
    key_messages = KeyMessagesField(required=False)
    objections = ObjectionsField(required=False)
    origin = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The id of the line's first version: every version of the line has it."
    )
    status = serializers.ChoiceField(choices=Messaging.Status.choices, read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Messaging
        fields = [
            "id",
            "product",
            "launch_plan",
            "origin",
            "version",
            "status",
            "positioning",
            "value_proposition",
            "target_segments",
            "target_personas",
            "key_messages",
            "objections",
            "submitted_at",
            "approved_by",
            "approved_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "submitted_at", "approved_at", "created_at", "updated_at"]
        extra_kwargs = {  # the service's bounds, stated in the schema
            "positioning": {"max_length": 20_000},
            "value_proposition": {"max_length": 20_000},
        }


@extend_schema_serializer(component_name="RequestChanges")
class RequestChangesInput(serializers.Serializer):
    comment = StrictCharField(
        max_length=services.COMMENT_MAX, help_text="What should change; the author reads it on the version's page."
    )


class NewerVersion(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.CharField()


class MessagingConflict(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`frozen`, `wrong_status`, `newer_version` or `incomplete`.")
    status = serializers.CharField(required=False, help_text="With `wrong_status`: the version's status.")
    newer = NewerVersion(required=False, help_text="With `newer_version`: the newest version of the line.")
    missing = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        required=False,
        help_text='With `incomplete`: `[{"field", "message"}]`, what a reviewer needs.',
    )


@extend_schema_field(
    {
        "type": "object",
        "description": "Per field: `changed`; texts with `old`, `new` and `ops` (`[{op: equal|delete|insert, "
        "text}]`); key messages and objections with `added`, `removed`, `modified` counts and `rows` "
        "(`change`: added|removed|changed|unchanged, `old`, `new`, ops per text; proof points per row); "
        "segments and personas with `added`, `removed`, `unchanged` (`[{id, name}]`); `launch_plan` `old`/`new`.",
        "additionalProperties": True,
    }
)
class DiffFields(serializers.DictField):
    pass


class VersionRef(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Messaging.Status.choices)


@extend_schema_serializer(component_name="MessagingDiff")
class DiffOutput(serializers.Serializer):
    # `from` is a Python keyword: the field is declared under another name and renamed below.
    from_ = VersionRef(help_text="The `against` version.")
    to = VersionRef(help_text="This version.")
    changed = serializers.BooleanField()
    fields = DiffFields()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class MessagingFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    launch_plan = IdFilter()
    origin = IdFilter(help_text="Every version of one line (its first version's id).")
    status = django_filters.ChoiceFilter(choices=Messaging.Status.choices)
    latest = BooleanFilter(
        method="filter_latest", help_text="true: only each line's newest version; false: only older versions."
    )

    class Meta:
        model = Messaging
        fields = ["portfolio", "product", "launch_plan", "origin", "status", "latest"]

    def filter_latest(self, queryset, name, value):
        if value is None:
            return queryset
        newer = services.newer_version_exists()
        return queryset.filter(~newer if value else newer)


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag of the version as you read it; 412 and nothing done when it changed since.",
)
STALE = error_response("The version changed since you read it (stale `If-Match`); nothing done.")


def _conflict(description: str) -> OpenApiResponse:
    return OpenApiResponse(MessagingConflict, description=description)


@extend_schema_view(
    list=extend_schema(parameters=[enum_parameter("status", "MessagingStatusEnum")]),
    update=extend_schema(responses={200: MessagingSerializer, 409: _conflict("The version is approved (frozen).")}),
    partial_update=extend_schema(
        responses={200: MessagingSerializer, 409: _conflict("The version is approved (frozen).")}
    ),
    destroy=extend_schema(responses={204: None, 409: _conflict("The version is approved (frozen).")}),
)
class MessagingViewSet(ProductLockedFirst, PortfolioScopedViewSet):
    """Messaging and positioning of a product (or one of its launches), in versions: a line's versions
    share `origin`. A draft is submitted for review, approved by an admin or a product manager and then
    frozen; `revise` makes the next version. Editing a version in review sends it back to draft.
    `?latest=true` lists each line's newest version only."""

    serializer_class = MessagingSerializer
    filterset_class = MessagingFilter
    search_fields = ["positioning", "value_proposition"]
    ordering_fields = ["version", "created_at", "updated_at", "approved_at", "id"]

    def get_queryset(self):
        return services.messaging_list_for_user(self.request.user)

    def get_object(self):
        return services.messaging_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def locked_object(self):
        instance = super().locked_object()  # the product locked first: the services take them in that order
        if instance.status == Messaging.Status.APPROVED:  # a 409 whatever the body says
            raise services.frozen(instance)
        return instance

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, Messaging, product.portfolio_id)
        messaging = services.messaging_create(product=product, actor=self.request.user, **data)
        serializer.instance = services.messaging_for_user(self.request.user, messaging.pk)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k in services.CONTENT_FIELDS}
        services.messaging_update(messaging_id=serializer.instance.id, actor=self.request.user, **data)

    def perform_destroy(self, instance):
        services.messaging_delete(messaging_id=instance.id, actor=self.request.user)

    # --- actions ----------------------------------------------------------------------------------

    def _acting_on(self, pk, access_action: str) -> Messaging:
        """The version for an action: role first (404/403), then under the locks (product, then the
        version) with a stale `If-Match` refused (412). Call inside the action's transaction."""
        messaging = services.messaging_for_user(self.request.user, pk, action=access_action)
        list(Product.objects.select_for_update().filter(pk=messaging.product_id).values_list("pk"))
        list(Messaging.objects.select_for_update().filter(pk=messaging.pk).values_list("pk"))
        messaging = services.messaging_for_user(self.request.user, pk)
        wanted = request_if_match(self.request)
        if wanted is not None and self.object_etag(messaging) not in wanted:
            raise StaleObject()
        return messaging

    def _answer(self, pk, code=status.HTTP_200_OK) -> Response:
        data = MessagingSerializer(
            services.messaging_for_user(self.request.user, pk), context=self.get_serializer_context()
        ).data
        return Response(data, status=code, headers={"ETag": representation_etag(data)})

    @extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={
            200: MessagingSerializer,
            409: _conflict("Not a draft (`wrong_status`), or not ready for review (`incomplete`, `missing`)."),
            412: STALE,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request, pk=None):
        """Send a draft for review (draft → in_review). It needs a positioning, a value proposition, a key
        message and a response to every objection."""
        with transaction.atomic():
            messaging = self._acting_on(pk, "submit")
            services.messaging_submit(messaging_id=messaging.id, actor=request.user)
        return self._answer(pk)

    @extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={200: MessagingSerializer, 409: _conflict("Not in review (`wrong_status`)."), 412: STALE},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve a version in review (admins and product managers); it is frozen from then on."""
        with transaction.atomic():
            messaging = self._acting_on(pk, "approve")
            services.messaging_approve(messaging_id=messaging.id, actor=request.user)
        return self._answer(pk)

    @extend_schema(
        request=RequestChangesInput,
        parameters=[IF_MATCH],
        responses={200: MessagingSerializer, 409: _conflict("Not in review (`wrong_status`)."), 412: STALE},
    )
    @action(detail=True, methods=["post"], url_path="request-changes", filter_backends=[])
    def request_changes(self, request, pk=None):
        """Send a version in review back to draft with a comment (those who may approve)."""
        services.messaging_for_user(request.user, pk, action="approve")  # the role before the body
        body = RequestChangesInput(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            messaging = self._acting_on(pk, "approve")
            services.messaging_request_changes(
                messaging_id=messaging.id, actor=request.user, comment=body.validated_data["comment"]
            )
        return self._answer(pk)

    @extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={
            201: MessagingSerializer,
            409: _conflict("A newer version exists (`newer_version`, `newer`), or this one is not approved."),
            412: STALE,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def revise(self, request, pk=None):
        """Make the next version of this (approved, newest) version: a draft with the same content,
        `version` + 1, the same `origin`."""
        with transaction.atomic():
            messaging = self._acting_on(pk, "revise")
            revision = services.messaging_revise(messaging_id=messaging.id, actor=request.user)
        response = self._answer(revision.pk, status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/messaging/{revision.pk}/"
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                required=True,
                description="Another version of the same line: the diff goes from it to this version.",
            )
        ],
        responses={200: DiffOutput},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def diff(self, request, pk=None):
        """What changed from version `against` to this one, per field (word-level for texts)."""
        messaging = services.messaging_for_user(request.user, pk)
        raw = request.query_params.get("against", "")
        if not (raw.isascii() and raw.isdigit() and len(raw) < 20 and 0 < int(raw) <= MAX_ID):
            raise InvalidInput(fields={"against": "The id of another version of this messaging."})
        other = services.messaging_for_user(request.user, int(raw))
        if other.origin_id != messaging.origin_id:
            raise InvalidInput(
                fields={"against": "That is a version of another messaging line: compare versions of one line."}
            )
        return Response(diff.messaging_diff(other, messaging))


def register(router) -> None:
    router.register("messaging", MessagingViewSet, basename="messaging")


urlpatterns: list = []
