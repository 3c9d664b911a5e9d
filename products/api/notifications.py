"""The notifications API (API-CONTRACT.md, "Lifecycle automation and events").

- `GET /api/v1/notifications/`: the requesting user's notifications (those shown in the app, of the
  portfolios they are a member of), newest first: `id`, `kind`, `title`, `url`, `read_at`, `created_at`,
  plus `portfolio` and `body`. Filters `kind`, `portfolio`, `unread` (true: only unread; false: only read);
  `?ordering=created_at|-created_at`. `GET …/{id}/` one of them (another person's is 404, like a missing one).
- `POST …/{id}/read/` marks it read → 200 with it (already read: unchanged).
- `POST …/read-all/` marks all read (`?portfolio=`, `?kind=` narrow it) → 200 `{"marked": n}`.
- `GET /api/v1/notification-settings/`: every portfolio of the user × every kind, with the channels in
  force: `portfolio`, `kind`, `in_app`, `email`, `digest`, `is_default` (no choice made: the defaults).
  Filters `portfolio`, `kind`. Not paged (a few rows per portfolio).
- `POST /api/v1/notification-settings/` `{"portfolio", "kind", "in_app"?, "email"?, "digest"?}`: sets the
  channels given for that portfolio and kind (an upsert: the others keep what is in force) → 200 with
  the row. A portfolio the user is not a member of: 404.
"""

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pmflow.api import ConditionalRequestsSchema, PortfolioScopedViewSet
from pmflow.fields import MAX_ID
from pmflow.openapi import enum_parameter
from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from products.models import Notification
from products.services import notifications as services


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "portfolio", "read_at", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "url": {"help_text": "The page of what it is about (a path in this app)."},
            "read_at": {"help_text": "When it was marked read; null while unread."},
        }


class NotificationFilter(StrictFilterSet):
    portfolio = IdFilter()
    kind = django_filters.ChoiceFilter(choices=Notification.Kind.choices)
    unread = BooleanFilter(method="filter_unread", label="true: only unread ones; false: only read ones.")

    class Meta:
        model = Notification
        fields = ["portfolio", "kind", "unread"]

    def filter_unread(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(read_at__isnull=value)


class ReadAllQuery(serializers.Serializer):
    portfolio = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    kind = serializers.ChoiceField(choices=Notification.Kind.choices, required=False)


@extend_schema_view(list=extend_schema(parameters=[enum_parameter("kind", "NotificationKindEnum")]))
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your notifications: what happened in your portfolios that concerns you (stage changes, suggestions,
    launch tasks due and overdue, KPIs off track, mentions, signals, disabled webhooks)."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    schema = ConditionalRequestsSchema()
    retrieve = PortfolioScopedViewSet.retrieve

    def get_queryset(self) -> QuerySet[Notification]:
        return services.notifications_for_user(self.request.user)

    def get_object(self):
        return services.notification_for_user(self.request.user, self.kwargs["pk"])

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark it read (already read: unchanged)."""
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter("portfolio", int, description="Only this portfolio's."),
            enum_parameter("kind", "NotificationKindEnum", description="Only this kind."),
        ],
        responses={200: inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[], pagination_class=None)
    def read_all(self, request):
        """Mark all your unread notifications read (of one portfolio, of one kind)."""
        query = ReadAllQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        marked = services.notifications_mark_all_read(
            user=request.user,
            portfolio_id=query.validated_data.get("portfolio"),
            kind=query.validated_data.get("kind"),
        )
        return Response({"marked": marked})


# --- settings -----------------------------------------------------------------------------------------


class NotificationSettingSerializer(serializers.Serializer):
    portfolio = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=Notification.Kind.choices)
    in_app = serializers.BooleanField(required=False, help_text="Under the bell and on the notifications page.")
    email = serializers.BooleanField(required=False, help_text="One e-mail at once.")
    digest = serializers.BooleanField(required=False, help_text="Listed in the daily digest e-mail.")
    is_default = serializers.BooleanField(read_only=True, help_text="No choice made: the kind's defaults apply.")

    def to_internal_value(self, data):
        # Only true or false: "yes", 1 or "" would be guessed at by DRF's BooleanField.
        if isinstance(data, dict):
            errors = {
                name: ["true or false."]
                for name in services.CHANNELS
                if name in data and not isinstance(data[name], bool)
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class NotificationSettingFilter(serializers.Serializer):
    portfolio = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    kind = serializers.ChoiceField(choices=Notification.Kind.choices, required=False)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("portfolio", int, description="Only this portfolio's."),
            enum_parameter("kind", "NotificationKindEnum", description="Only this kind."),
        ],
        responses={200: NotificationSettingSerializer(many=True)},
    ),
    create=extend_schema(
        request=NotificationSettingSerializer,
        responses={
            200: NotificationSettingSerializer,
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="Not a portfolio of yours."),
        },
    ),
)
class NotificationSettingViewSet(viewsets.GenericViewSet):
    """How you hear of each kind of news in each of your portfolios: in the app, by e-mail at once, in the
    daily digest. The list has every portfolio × kind (the defaults where you chose nothing); POST sets
    the channels you give for one portfolio and kind."""

    serializer_class = NotificationSettingSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Notification.objects.none()  # rows are built by the service (defaults have none)

    def list(self, request):
        query = NotificationSettingFilter(data=request.query_params)
        query.is_valid(raise_exception=True)
        grid = services.settings_grid(
            request.user,
            portfolio_id=query.validated_data.get("portfolio"),
            kind=query.validated_data.get("kind"),
        )
        return Response(NotificationSettingSerializer(grid, many=True).data)

    def create(self, request):
        body = NotificationSettingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = services.notification_setting_set(
            user=request.user,
            portfolio_id=data["portfolio"],
            kind=data["kind"],
            **{name: data[name] for name in services.CHANNELS if name in data},
        )
        return Response(NotificationSettingSerializer(row).data, status=status.HTTP_200_OK)


urlpatterns = []


def register(router) -> None:
    router.register("notifications", NotificationViewSet, basename="notification")
    router.register("notification-settings", NotificationSettingViewSet, basename="notification-setting")
