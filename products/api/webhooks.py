"""The webhooks API (API-CONTRACT.md, "Lifecycle automation and events").

- `/api/v1/webhooks/`: `id`, `portfolio`, `url`, `events`, `secret` (write-only: generated when not given
  and returned once, in the creating answer), `is_active`, `description`; read-only
  `consecutive_failures`, `disabled_at`, `disabled_reason` (set when repeated failure disabled it),
  `created_at`, `last_delivery` (`{status, status_code, event, created_at}` or null). A portfolio's
  admins read and write its hooks; other members get 403 (a hook's address is often a credential).
  `is_active: true` on a disabled hook re-enables it (failures cleared, waiting deliveries sent).
  Filters `portfolio`, `is_active`.
- `GET …/{id}/deliveries/`: the hook's deliveries, newest first: `id`, `event`, `status`
  (`pending` | `delivered` | `failed`), `status_code`, `attempts`, `next_attempt_at`, `delivered_at`,
  `error`, `created_at`, `payload` (exactly what is signed and sent). Filters `status`, `event`.
- `POST …/{id}/test/` → 202 with the queued test delivery (`webhook.test`, tried once).
- `POST …/{id}/rotate-secret/` → 200 `{"secret"}`: a new secret, effective at once, shown once.

The viewset translates; the rules are products.services.webhooks'.
"""

import django_filters
from django.core.validators import RegexValidator
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from pmflow.api import PortfolioScopedViewSet
from pmflow.errors import NotAllowed
from pmflow.fields import SafeJSONField, StrictCharField
from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Webhook, WebhookDelivery
from products.selectors import portfolio_list_for_user
from products.services import webhooks as services
from products.webhook_delivery import MAX_URL_LENGTH

EVENT_CHOICES = [(name, name) for name in services.EVENTS]
DELIVERY_EVENT_CHOICES = [*EVENT_CHOICES, (services.TEST_EVENT, services.TEST_EVENT)]


class LastDeliverySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    status_code = serializers.IntegerField(allow_null=True)
    event = serializers.CharField()
    created_at = serializers.DateTimeField()


class WebhookSerializer(serializers.ModelSerializer):
    """An admin's subscription: the chosen events of one portfolio POSTed, signed, to `url`."""

    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    url = StrictCharField(
        max_length=MAX_URL_LENGTH,
        help_text="http(s) only; it must resolve to public addresses unless WEBHOOK_ALLOW_PRIVATE is on. "
        "No credentials in it: receivers check the signature.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        allow_empty=False,
        min_length=1,
        max_length=len(EVENT_CHOICES),
        help_text="The events to send, at least one.",
    )
    secret = StrictCharField(
        write_only=True,
        required=False,
        min_length=services.SECRET_MIN,
        max_length=services.SECRET_MAX,
        # The service's rule, stated in the schema: printable ASCII without spaces.
        validators=[RegexValidator(r"^[!-~]+$", "A secret is printable ASCII without spaces (letters, digits, -_.~).")],
        help_text="The HMAC key of `X-Pmflow-Signature`. Generated when not given and returned once, in the "
        "creating answer; never shown again (rotate it with `rotate-secret/`).",
    )
    description = StrictCharField(required=False, allow_blank=True, max_length=services.MAX_DESCRIPTION)
    is_active = serializers.BooleanField(
        required=False, help_text="false pauses the hook; true re-enables a paused or disabled one."
    )
    last_delivery = serializers.SerializerMethodField()

    class Meta:
        model = Webhook
        fields = [
            "id",
            "portfolio",
            "url",
            "events",
            "secret",
            "is_active",
            "description",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "last_delivery",
        ]
        read_only_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]

    @extend_schema_field(LastDeliverySerializer(allow_null=True))
    def get_last_delivery(self, webhook) -> dict | None:
        if getattr(webhook, "last_status", None) is None:
            return None
        return {
            "status": webhook.last_status,
            "status_code": webhook.last_status_code,
            "event": webhook.last_event,
            "created_at": serializers.DateTimeField().to_representation(webhook.last_at),
        }

    def validate(self, attrs):
        if self.instance is not None and "portfolio" in attrs and attrs["portfolio"].id != self.instance.portfolio_id:
            raise serializers.ValidationError({"portfolio": "A webhook cannot move to another portfolio."})
        return attrs


class CreatedWebhookSerializer(WebhookSerializer):
    """The creating answer: the hook with its secret, this once."""

    secret = serializers.CharField(read_only=True, help_text="Keep it now: it is not shown again.")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = serializers.ChoiceField(choices=DELIVERY_EVENT_CHOICES, read_only=True)
    payload = SafeJSONField(read_only=True, help_text="Exactly what is signed and POSTed.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook",
            "event",
            "status",
            "status_code",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "error",
            "created_at",
            "payload",
        ]
        read_only_fields = fields


class WebhookFilter(StrictFilterSet):
    portfolio = IdFilter()
    is_active = BooleanFilter()

    class Meta:
        model = Webhook
        fields = ["portfolio", "is_active"]


class DeliveryFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event = django_filters.ChoiceFilter(choices=DELIVERY_EVENT_CHOICES)

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]


WEBHOOK_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The webhook's id.")
SecretOutput = inline_serializer("WebhookSecret", fields={"secret": serializers.CharField()})


class WebhookViewSet(PortfolioScopedViewSet):
    """Webhooks: the contract's events of a portfolio POSTed to an admin's URL, signed with
    `X-Pmflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 with the secret over "<t>.<raw body>">`.
    A delivery is `{"event", "id", "created_at", "portfolio", "data"}` (`id`: the same for every try and
    every hook of the event: de-duplicate on it); tried again with exponential backoff on network errors,
    5xx, 408 and 429 (at most WEBHOOK_MAX_ATTEMPTS tries), after which the hook is disabled and its
    admins told. Only a portfolio's admins see and change its hooks."""

    serializer_class = WebhookSerializer
    filterset_class = WebhookFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["portfolio_id", "id"]
    filter_backends = [DjangoFilterBackend, OrderingFilter]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema: the model each action lists
            return (WebhookDelivery if self.action == "deliveries" else Webhook).objects.none()
        if not services.admin_portfolio_ids(self.request.user):
            raise NotAllowed(services.ONLY_ADMINS)
        return services.webhooks_for_user(self.request.user)

    def get_object(self):
        webhook = services.webhook_for_user(self.request.user, self.kwargs["pk"])
        return services.webhooks_for_user(self.request.user).get(pk=webhook.pk)

    @extend_schema(responses={201: CreatedWebhookSerializer})
    def create(self, request, *args, **kwargs):
        super().create(request, *args, **kwargs)
        return Response(self._created, status=status.HTTP_201_CREATED)

    def perform_create(self, serializer):
        data = serializer.validated_data
        services.require_admin(self.request.user, data["portfolio"].id)
        webhook = services.webhook_create(
            portfolio=data["portfolio"],
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            secret=data.get("secret"),
            is_active=data.get("is_active", True),
            actor=self.request.user,
        )
        serializer.instance = self.get_queryset().get(pk=webhook.pk)
        # The creating answer carries the secret, this once.
        self._created = CreatedWebhookSerializer(serializer.instance, context=self.get_serializer_context()).data

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.webhook_update(
            webhook_id=serializer.instance.id,
            actor=self.request.user,
            url=data.get("url"),
            events=data.get("events"),
            description=data.get("description"),
            is_active=data.get("is_active"),
            secret=data.get("secret"),
        )

    def perform_destroy(self, instance):
        services.webhook_delete(webhook_id=instance.id, actor=self.request.user)

    @extend_schema(parameters=[WEBHOOK_ID], responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=DeliveryFilter, filter_backends=[DjangoFilterBackend])
    def deliveries(self, request, pk=None):
        """The hook's deliveries, newest first: each try counted, the last answer kept."""
        webhook = services.webhook_for_user(request.user, pk)
        rows = self.filter_queryset(WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-id"))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def test(self, request, pk=None):
        """Queue a test event (`webhook.test`, `data.test: true`) to the hook, a paused or disabled one
        too; it is tried once and changes nothing about the hook. Follow it in `deliveries/`."""
        webhook = services.webhook_for_user(request.user, pk)
        delivery = services.webhook_test(webhook_id=webhook.id, actor=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: SecretOutput})
    @action(detail=True, methods=["post"], url_path="rotate-secret", filter_backends=[], pagination_class=None)
    def rotate_secret(self, request, pk=None):
        """A new generated secret, effective at once (deliveries from now on are signed with it); this
        answer is the only place it is shown."""
        webhook = services.webhook_for_user(request.user, pk)
        rotated = services.webhook_rotate_secret(webhook_id=webhook.id, actor=request.user)
        return Response({"secret": rotated.secret})


urlpatterns = []


def register(router) -> None:
    router.register("webhooks", WebhookViewSet, basename="webhook")
