from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import permissions, status, views
from rest_framework.decorators import action
from rest_framework.response import Response

from pmflow import signin
from pmflow.access import require
from pmflow.api import PortfolioScopedViewSet
from pmflow.errors import InvalidInput
from pmflow.openapi import enum_parameter, error_response
from products import services
from products.api import filters
from products.api.serializers import (
    LifecycleRuleSerializer,
    MemberInput,
    MemberSerializer,
    MeSerializer,
    PortfolioSerializer,
    ProductLineSerializer,
    ProductSerializer,
    TokenInput,
    TokenOutput,
    TransitionInput,
    TransitionSerializer,
)
from products.models import LifecycleRule, Product, ProductLine
from products.selectors import (
    lifecycle_rule_for_user,
    lifecycle_rule_list_for_user,
    membership_list,
    portfolio_for_user,
    portfolio_list_for_user,
    product_for_user,
    product_line_for_user,
    product_line_list_for_user,
    product_list_for_user,
    transition_list,
)


class TokenView(views.APIView):
    """POST username and password for a token; DELETE with a token revokes it."""

    permission_classes = [permissions.AllowAny]
    throttle_scope = "token"

    def get_authenticators(self):
        # DELETE needs the token it revokes; POST must work without one (and without a CSRF token).
        return [TokenAuthentication()]

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(
        request=TokenInput,
        responses={
            200: TokenOutput,
            429: error_response(
                "Too many requests from this client, or too many failed sign-ins for this account or client "
                "(locked out: `detail` says for how many minutes); `Retry-After` gives the seconds to wait."
            ),
        },
        parameters=[
            OpenApiParameter(
                "Retry-After", int, OpenApiParameter.HEADER, response=[429], description="Seconds to wait."
            )
        ],
        auth=[],
    )
    def post(self, request):
        body = TokenInput(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(request, **body.validated_data)  # django-axes refuses a locked-out sign-in here
        if user is None:
            if seconds := signin.locked_out(request):
                return Response(
                    {"detail": signin.lockout_message(seconds), "code": "locked_out"},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(seconds)},
                )
            raise InvalidInput(fields={"password": "Wrong username or password."})
        user_logged_in.send(sender=type(user), request=request, user=user)  # as knox does: clears failures
        instance, token = AuthToken.objects.create(user)
        return Response({"token": token, "expiry": instance.expiry}, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if request.auth is None:
            return Response({"detail": "Send the token to revoke in the Authorization header."}, status=401)
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(views.APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        # Not type(request.user): a session login gives the request's lazy user (SimpleLazyObject).
        user = get_user_model().objects.prefetch_related("memberships__portfolio").get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


class PortfolioViewSet(PortfolioScopedViewSet):
    """Portfolios you are a member of; the creator of one becomes its admin."""

    serializer_class = PortfolioSerializer
    create_needs_role = False  # anyone signed in may start a portfolio and becomes its admin
    search_fields = ["name"]
    ordering_fields = ["name", "id", "created_at"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return portfolio_list_for_user(self.request.user)

    def get_object(self):
        return portfolio_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def perform_create(self, serializer):
        serializer.instance = services.portfolio_create(
            name=serializer.validated_data["name"],
            timezone_name=serializer.validated_data.get("timezone", "UTC"),
            creator=self.request.user,
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.portfolio_update(
            portfolio_id=serializer.instance.id,
            actor=self.request.user,
            name=data.get("name"),
            timezone_name=data.get("timezone"),
        )

    @extend_schema(methods=["GET"], responses=MemberSerializer(many=True))
    @extend_schema(methods=["POST"], request=MemberInput, responses={201: MemberSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def members(self, request, pk=None):
        """The portfolio's members; admins add one (or change a role) with `{"username", "role"}`."""
        portfolio = portfolio_for_user(request.user, pk, write=request.method == "POST")
        if request.method == "POST":
            body = MemberInput(data=request.data)
            body.is_valid(raise_exception=True)
            membership = services.membership_set(portfolio=portfolio, actor=request.user, **body.validated_data)
            return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)
        return Response(MemberSerializer(membership_list(portfolio), many=True).data)


class ProductLineViewSet(PortfolioScopedViewSet):
    """Product lines group the products of a portfolio."""

    serializer_class = ProductLineSerializer
    filterset_class = filters.ProductLineFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id", "created_at"]

    def get_queryset(self):
        return product_line_list_for_user(self.request.user)

    def get_object(self):
        write = self.request.method not in permissions.SAFE_METHODS
        return product_line_for_user(self.request.user, self.kwargs["pk"], write=write)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        require(self.request.user, ProductLine, data["portfolio"].id)
        serializer.instance = services.product_line_save(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("portfolio", None)
        serializer.instance = services.product_line_save(
            product_line=serializer.instance, actor=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.product_line_delete(product_line_id=instance.id, actor=self.request.user)


@extend_schema_view(list=extend_schema(parameters=[enum_parameter("stage", "StageEnum", many=True)]))
class ProductViewSet(PortfolioScopedViewSet):
    """Products and their lifecycle stage; the stage changes only through `transition`."""

    serializer_class = ProductSerializer
    filterset_class = filters.ProductFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id", "stage_changed_at", "created_at"]

    def get_queryset(self):
        return product_list_for_user(self.request.user)

    def get_object(self):
        write = self.request.method not in permissions.SAFE_METHODS
        return product_for_user(self.request.user, self.kwargs["pk"], write=write)

    def perform_create(self, serializer):
        data = serializer.validated_data
        require(self.request.user, Product, data["portfolio"].id)
        serializer.instance = services.product_create(
            portfolio=data["portfolio"],
            product_line=data.get("product_line"),
            name=data["name"],
            description=data.get("description", ""),
            vision=data.get("vision", ""),
            actor=self.request.user,
        )

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k in services.catalog.PRODUCT_FIELDS}
        serializer.instance = services.product_update(
            product_id=serializer.instance.id, actor=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.product_delete(product_id=instance.id, actor=self.request.user)

    @extend_schema(
        request=TransitionInput,
        responses={
            200: ProductSerializer,
            409: error_response(
                'A stage gate is not met (`code` "gate_not_met", `unmet`: `[{"type", "message"}]`, the criteria '
                "missed: meet them, or override with a reason), or the product is no longer in `from_stage` "
                '(`code` "stale_stage", `current_stage`).'
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the product to another stage, with a reason; gates apply unless `override` is set."""
        product = product_for_user(request.user, pk, action="transition")
        body = TransitionInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.product_transition(
            product_id=product.id,
            to_stage=data["to_stage"],
            reason=data["reason"],
            override=data["override"],
            expected_stage=data.get("from_stage"),
            actor=request.user,
        )
        return Response(ProductSerializer(product_for_user(request.user, pk), context={"request": request}).data)

    @extend_schema(responses=TransitionSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def transitions(self, request, pk=None):
        """The product's stage ledger, newest first."""
        product = product_for_user(request.user, pk)
        page = self.paginate_queryset(transition_list(product))
        return self.get_paginated_response(TransitionSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(parameters=[enum_parameter("from_stage", "StageEnum"), enum_parameter("to_stage", "StageEnum")])
)
class LifecycleRuleViewSet(PortfolioScopedViewSet):
    """Rules that move a product from one stage to the next when their condition holds (admins write)."""

    serializer_class = LifecycleRuleSerializer
    filterset_class = filters.LifecycleRuleFilter
    search_fields = ["name"]
    ordering_fields = ["name", "id", "from_stage", "created_at"]

    def get_queryset(self):
        return lifecycle_rule_list_for_user(self.request.user)

    def get_object(self):
        write = self.request.method not in permissions.SAFE_METHODS
        return lifecycle_rule_for_user(self.request.user, self.kwargs["pk"], write=write)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        require(self.request.user, LifecycleRule, data["portfolio"].id)
        serializer.instance = services.lifecycle_rule_save(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("portfolio", None)
        serializer.instance = services.lifecycle_rule_save(rule=serializer.instance, actor=self.request.user, **data)

    def perform_destroy(self, instance):
        services.lifecycle_rule_delete(rule_id=instance.id, actor=self.request.user)
