"""The API of sales enablement assets, marketing events and the press plan (API-CONTRACT.md, "Go-to-market").

- `/api/v1/assets/`: JSON with a `url`, or multipart/form-data with an uploaded `file` (and the other
  fields as form fields). The representation's `file` is the address of the permission-checked download
  (`assets/<id>/file/`, never a public media URL), with `file_name` and `file_size`. A file larger than
  ASSET_MAX_BYTES is a 400 on `file`; a request body that cannot hold an acceptable file is refused from
  its Content-Length before it is read.
- `/api/v1/events/` (router basename `marketing-event`: the page `event-list` and the domain events keep
  their names).
- `/api/v1/press-items/`.

The viewsets translate: the rules are gtm.services.enablement's (a link or a file, http(s) links only,
products of the event's portfolio, a launch plan of the same product, an owner who is a member).
"""

from decimal import Decimal

import django_filters
from django.conf import settings
from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.utils import html

from gtm.models import Asset, LaunchPlan, MarketingEvent, PressItem
from gtm.services import enablement as services
from gtm.services.rules import MONEY_MAX, TEXT_MAX, TITLE_MAX
from pmflow import access
from pmflow.access import queryset_for_user, require
from pmflow.api import PortfolioScopedViewSet
from pmflow.errors import InvalidInput, NotAllowed
from pmflow.fields import BoundedDecimalField, BoundedIntegerField, StrictCharField, StrictStrings
from pmflow.openapi import enum_parameter
from pmflow.parsers import JSONParser
from products.api.filters import IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.selectors import portfolio_list_for_user, product_list_for_user
from roadmap.api.serializers import PLAUSIBLE_DATE, OwnerField, PlanDateField, StaysInProduct
from roadmap.services import owner_by_username


def _scoped(model, *related):
    def selector(user):
        return queryset_for_user(user, model.objects.select_related(*related))

    return selector


@extend_schema_field({**PLAUSIBLE_DATE, "nullable": False})
class FirstDayField(serializers.DateField):
    """A required date; the years (1900–2200) are the services' rule, the schema states them."""


class StaysInPortfolio:
    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "portfolio" in attrs and attrs["portfolio"].id != self.instance.portfolio_id:
            raise serializers.ValidationError({"portfolio": "It cannot move to another portfolio."})
        return attrs


# --- assets -------------------------------------------------------------------------------------------


class FormNull:
    """A nullable field of a form body (multipart/form-data), which has no null: the text "null", as
    clients send a null there, is one (as an empty value is)."""

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if value == "null" and html.is_html_input(dictionary):
            return None
        return value


class FormNullKey(FormNull, ScopedPrimaryKeyField):
    pass


class AssetFileField(FormNull, serializers.FileField):
    """An upload on the way in; the permission-checked download address on the way out."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(max_length=None, **kwargs)

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""  # an empty form value is no file (a 400); null removes the stored one
        return super().get_value(dictionary)

    def to_representation(self, value):
        if not value:
            return None
        url = reverse("asset-file", args=[value.instance.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class AssetFileFieldSchema(OpenApiSerializerFieldExtension):
    """`file` is a binary upload in a request and the download address in a response."""

    target_class = AssetFileField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {
                "type": "string",
                "format": "binary",
                "minLength": 1,
                "nullable": True,
                "description": f"The file to store (multipart/form-data), at most {services.size_limit_text()}; "
                "it replaces the asset's file. Null (the text null in a form) removes it (then the asset needs a "
                "`url`).",
            }
        return {
            "type": "string",
            "format": "uri",
            "nullable": True,
            "description": "The address that downloads the file (members of the portfolio only, with the same "
            "session or token); null without a file.",
        }


class AssetSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    launch_plan = FormNullKey(_scoped(LaunchPlan, "product"), allow_null=True, required=False)
    url = StrictCharField(
        max_length=services.URL_MAX,
        required=False,
        allow_blank=True,
        help_text="A link to the asset (http:// or https:// only); an asset has a link, a file or both.",
    )
    file = AssetFileField()
    file_name = serializers.SerializerMethodField()
    file_size = serializers.IntegerField(read_only=True, allow_null=True, help_text="Bytes; null without a file.")

    class Meta:
        model = Asset
        fields = [
            "id",
            "product",
            "launch_plan",
            "title",
            "description",
            "kind",
            "url",
            "file",
            "file_name",
            "file_size",
            "version",
            "audience",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"description": {"max_length": TEXT_MAX}, "version": {"max_length": services.VERSION_MAX}}

    def get_file_name(self, asset) -> str | None:
        return services.file_name(asset) or None


class NoUploadField(AssetFileField):
    """`file` in a JSON body: null removes the stored file; an upload needs multipart/form-data."""


class NoUploadFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NoUploadField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {
                "oneOf": [{"enum": [None]}],
                "nullable": True,
                "description": "Null removes the stored file (the asset then needs a `url`); to upload one, "
                "send multipart/form-data.",
            }
        return AssetFileFieldSchema(self.target).map_serializer_field(auto_schema, direction)


@extend_schema_serializer(component_name="AssetLink")
class AssetLinkSerializer(AssetSerializer):
    """An asset written as JSON (the schema of that body; the view reads it with AssetSerializer)."""

    file = NoUploadField()


ASSET_BODIES = {"application/json": AssetLinkSerializer, "multipart/form-data": AssetSerializer}


def refuse_oversized_body(request) -> None:
    """A body larger than the largest file plus the form fields' limit cannot be an acceptable upload:
    refuse it on `file` from its Content-Length, before any of it is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    limit = services.asset_max_bytes()
    if length > limit + settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        raise InvalidInput(
            fields={"file": f"Files up to {services.size_text(limit)} are accepted; this request is larger."}
        )


class AssetFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    launch_plan = IdFilter()
    kind = django_filters.ChoiceFilter(choices=Asset.Kind.choices)
    audience = django_filters.ChoiceFilter(choices=Asset.Audience.choices)

    class Meta:
        model = Asset
        fields = ["portfolio", "product", "launch_plan", "kind", "audience"]


@extend_schema_view(
    list=extend_schema(
        parameters=[enum_parameter("kind", "AssetKindEnum"), enum_parameter("audience", "AudienceEnum")]
    ),
    create=extend_schema(request=ASSET_BODIES),
    update=extend_schema(request=ASSET_BODIES),
    partial_update=extend_schema(request=ASSET_BODIES),
)
class AssetViewSet(PortfolioScopedViewSet):
    """Sales enablement assets (demo scripts, battle cards, pitch decks, FAQs, datasheets, training): a
    link, an uploaded file (multipart/form-data), or both."""

    serializer_class = AssetSerializer
    filterset_class = AssetFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    search_fields = ["title", "description"]
    ordering_fields = ["title", "kind", "audience", "version", "file_size", "created_at", "updated_at", "id"]
    ordering = ["product_id", "kind", "title", "id"]

    def get_queryset(self):
        return queryset_for_user(self.request.user, services.assets())

    def get_object(self):
        return services.asset_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def create(self, request, *args, **kwargs):
        if not any(access.can(request.user, Asset, pid) for pid in access.roles_by_portfolio(request.user)):
            raise NotAllowed("Your role does not allow creating this in any of your portfolios.")
        refuse_oversized_body(request)
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        self.get_object()  # 404 for missing or foreign, 403 for a reader: before the body is judged
        refuse_oversized_body(request)
        if request.content_type.startswith("multipart/") and not request.data:
            # Django's parser reads a body without a single part (`[]`, a wrong boundary) as an empty form.
            raise InvalidInput("The multipart/form-data body has no parts: send the fields to change.")
        return super().update(request, *args, **kwargs)

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.ASSET_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, Asset, product.portfolio_id)
        asset = services.asset_create(
            product=product, actor=self.request.user, file=data.get("file"), **self._fields(data)
        )
        serializer.instance = services.asset_for_user(self.request.user, asset.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        services.asset_update(
            asset_id=serializer.instance.id,
            actor=self.request.user,
            file=data.get("file", services.UNCHANGED),
            **self._fields(data),
        )

    def perform_destroy(self, instance):
        services.asset_delete(asset_id=instance.id, actor=self.request.user)


# --- events -------------------------------------------------------------------------------------------


class MarketingEventSerializer(StaysInPortfolio, StrictStrings, serializers.ModelSerializer):
    portfolio = ScopedPrimaryKeyField(portfolio_list_for_user)
    products = ScopedPrimaryKeyField(
        product_list_for_user, many=True, required=False, help_text="Products of the event's portfolio."
    )
    start_date = FirstDayField()
    end_date = PlanDateField(
        required=False, allow_null=True, help_text="On or after `start_date`; null or left out: a one-day event."
    )
    # Rounded to the column's two places (12.345 → 12.34, half even), as the roadmap's numbers are.
    cost = BoundedDecimalField(14, 2, round_places=True, min_value=Decimal(0), max_value=MONEY_MAX, required=False)
    leads = BoundedIntegerField(min_value=0, max_value=services.LEADS_MAX, allow_null=True, required=False)
    cost_per_lead = serializers.SerializerMethodField()

    class Meta:
        model = MarketingEvent
        fields = [
            "id",
            "portfolio",
            "products",
            "name",
            "description",
            "kind",
            "start_date",
            "end_date",
            "location",
            "cost",
            "leads",
            "cost_per_lead",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"description": {"max_length": TEXT_MAX}, "location": {"max_length": TITLE_MAX}}

    @extend_schema_field({"type": "number", "nullable": True, "readOnly": True})
    def get_cost_per_lead(self, event):
        value = services.cost_per_lead(event)
        return None if value is None else float(value)


class MarketingEventFilter(StrictFilterSet):
    portfolio = IdFilter()
    product = IdFilter(field_name="products", distinct=True)
    kind = django_filters.ChoiceFilter(choices=MarketingEvent.Kind.choices)

    class Meta:
        model = MarketingEvent
        fields = ["portfolio", "product", "kind"]


# `from` is a Python keyword: these two are added by name. Events that touch the range [from, to].
MarketingEventFilter.base_filters["from"] = django_filters.DateFilter(
    field_name="end_date", lookup_expr="gte", label="Events that end on or after this day."
)
MarketingEventFilter.base_filters["to"] = django_filters.DateFilter(
    field_name="start_date", lookup_expr="lte", label="Events that start on or before this day."
)


@extend_schema_view(list=extend_schema(parameters=[enum_parameter("kind", "MarketingEventKindEnum")]))
class MarketingEventViewSet(PortfolioScopedViewSet):
    """Trade shows, exhibitions, conferences, webinars and meetups of a portfolio, with their cost and the
    leads they brought (and the cost per lead)."""

    serializer_class = MarketingEventSerializer
    filterset_class = MarketingEventFilter
    search_fields = ["name", "description", "location"]
    ordering_fields = ["start_date", "end_date", "name", "cost", "leads", "created_at", "updated_at", "id"]
    ordering = ["start_date", "name", "id"]

    def get_queryset(self):
        return queryset_for_user(self.request.user, services.marketing_events())

    def get_object(self):
        return services.marketing_event_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.EVENT_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        portfolio = data.pop("portfolio")
        require(self.request.user, MarketingEvent, portfolio.id)
        event = services.marketing_event_create(
            portfolio=portfolio, actor=self.request.user, products=data.get("products", []), **self._fields(data)
        )
        serializer.instance = services.marketing_event_for_user(self.request.user, event.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        services.marketing_event_update(
            event_id=serializer.instance.id,
            actor=self.request.user,
            products=data.get("products"),
            **self._fields(data),
        )

    def perform_destroy(self, instance):
        services.marketing_event_delete(event_id=instance.id, actor=self.request.user)


# --- press items --------------------------------------------------------------------------------------


class PressItemSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    launch_plan = ScopedPrimaryKeyField(_scoped(LaunchPlan, "product"), allow_null=True, required=False)
    publish_date = PlanDateField(
        required=False, allow_null=True, help_text="Required once the item is scheduled or published."
    )
    owner = OwnerField()

    class Meta:
        model = PressItem
        fields = [
            "id",
            "product",
            "launch_plan",
            "title",
            "description",
            "kind",
            "channel",
            "publish_date",
            "owner",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"description": {"max_length": TEXT_MAX}}


class PressItemFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    launch_plan = IdFilter()
    owner = django_filters.CharFilter(field_name="owner__username", max_length=150)
    kind = django_filters.ChoiceFilter(choices=PressItem.Kind.choices)
    status = django_filters.ChoiceFilter(choices=PressItem.Status.choices)

    class Meta:
        model = PressItem
        fields = ["portfolio", "product", "launch_plan", "owner", "kind", "status"]


PressItemFilter.base_filters["from"] = django_filters.DateFilter(
    field_name="publish_date", lookup_expr="gte", label="Published on or after this day."
)
PressItemFilter.base_filters["to"] = django_filters.DateFilter(
    field_name="publish_date", lookup_expr="lte", label="Published on or before this day."
)


@extend_schema_view(
    list=extend_schema(
        parameters=[enum_parameter("kind", "PressItemKindEnum"), enum_parameter("status", "PressItemStatusEnum")]
    )
)
class PressItemViewSet(PortfolioScopedViewSet):
    """The press and communication plan: press releases, briefings, posts, newsletters and interviews of
    a product, by publish date, with their channel, owner and status."""

    serializer_class = PressItemSerializer
    filterset_class = PressItemFilter
    search_fields = ["title", "description", "channel"]
    ordering_fields = ["publish_date", "title", "status", "kind", "created_at", "updated_at", "id"]

    def get_queryset(self):
        return queryset_for_user(self.request.user, services.press_items())

    def get_object(self):
        return services.press_item_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    @staticmethod
    def _fields(data: dict, product) -> dict:
        fields = {name: value for name, value in data.items() if name in services.PRESS_FIELDS}
        if "owner" in fields:
            fields["owner"] = owner_by_username(portfolio_id=product.portfolio_id, username=fields["owner"])
        return fields

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, PressItem, product.portfolio_id)
        item = services.press_item_create(product=product, actor=self.request.user, **self._fields(data, product))
        serializer.instance = services.press_item_for_user(self.request.user, item.pk)

    def perform_update(self, serializer):
        item = serializer.instance
        services.press_item_update(
            item_id=item.id, actor=self.request.user, **self._fields(dict(serializer.validated_data), item.product)
        )

    def perform_destroy(self, instance):
        services.press_item_delete(item_id=instance.id, actor=self.request.user)


def register(router) -> None:
    router.register("assets", AssetViewSet, basename="asset")
    router.register("events", MarketingEventViewSet, basename="marketing-event")
    router.register("press-items", PressItemViewSet, basename="press-item")


urlpatterns: list = []
