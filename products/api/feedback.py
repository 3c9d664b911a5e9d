"""The customer feedback API (API-CONTRACT.md, "Strategic") and its CSV import.

- `/api/v1/feedback/`: the contract's fields, and read-only `roadmap_items` (the items it feeds: the link
  is the roadmap's, `RoadmapItem.feedback`). Filters `portfolio`, `product`, `source`, `segment`,
  `importance`, `idea`, `roadmap_item`, `from`/`to` (received on or after / before); `?search=` in the text
  and the customer; `?ordering=` on `received_on`, `importance`, `deal_value`, `customer`, `created_at`, `id`
  (default newest first); `?format=csv` (every matching row, no pages).
- `POST /api/v1/feedback/imports/`: multipart `file` (CSV: product (id or name), source, customer, segment,
  text, importance, deal_value, received_on) and `portfolio`; 201 `{"created": n}`, or 400
  `{"errors": [{"line", "column", "message"}], "errors_truncated"}` and nothing written.

The viewsets translate: the rules are products.services.feedback's and products.feedback_import's.
"""

import django_filters
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_csv.renderers import CSVRenderer

from pmflow import access
from pmflow.access import queryset_for_user, require
from pmflow.api import ListOnlyCSV, PortfolioScopedViewSet, csv_list_response
from pmflow.errors import InvalidInput, NotAllowed
from pmflow.errors import NotFound as DomainNotFound
from pmflow.fields import MAX_ID, BoundedDecimalField, BoundedIntegerField, StrictStrings
from pmflow.openapi import enum_parameter
from products import feedback_import
from products.api.filters import IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Feedback, Idea, Segment
from products.selectors import portfolio_for_user, product_list_for_user
from products.services import feedback as services


def _segments(user):
    return queryset_for_user(user, Segment.objects.all())


def _ideas(user):
    return queryset_for_user(user, Idea.objects.select_related("product"))


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": "^(19[0-9]{2}|2[0-9]{3})-",
        "description": "The day it was received: from 1900 up to tomorrow in the portfolio's time zone; "
        "today there when left out.",
    }
)
class ReceivedOnField(serializers.DateField):
    """The years and the latest day are the service's rule; the schema states what it can."""


class FeedbackCSVRenderer(CSVRenderer):
    """Lets content negotiation accept `?format=csv` on the list, which streams the CSV itself; what this
    renders is an error: one `field,message` row per field (as the roadmap's CSV errors)."""

    def render(self, data, media_type=None, renderer_context=None, writer_opts=None):
        if isinstance(data, dict):
            rows = [
                {"field": field, "message": " ".join(map(str, m)) if isinstance(m, list) else str(m)}
                for field, m in data.items()
            ]
            context = {**(renderer_context or {}), "header": ["field", "message"]}
            return super().render(rows, media_type, context, writer_opts)
        return super().render(data, media_type, renderer_context, writer_opts)


class FeedbackSerializer(StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user, help_text="It may move to another product of its portfolio.")
    segment = ScopedPrimaryKeyField(
        _segments, allow_null=True, required=False, help_text="A segment of the product's portfolio."
    )
    ideas = ScopedPrimaryKeyField(
        _ideas, many=True, required=False, help_text="Ideas of the same portfolio this feedback supports."
    )
    source = serializers.ChoiceField(choices=Feedback.Source.choices, required=False)
    importance = BoundedIntegerField(
        min_value=1, max_value=5, required=False, help_text="1 (nice to have) to 5 (must have); 3 when left out."
    )
    # Rounded to cents (12.345 → 12.34, half even) as every amount of the API is: the schema states no
    # decimal places. The pages and the CSV import refuse a third decimal place instead.
    deal_value = BoundedDecimalField(
        14,
        2,
        round_places=True,
        min_value=0,
        max_value=services.MONEY_MAX,
        allow_null=True,
        required=False,
        help_text="What sales has riding on it (≥ 0, rounded to cents); null when none.",
    )
    received_on = ReceivedOnField(required=False)
    roadmap_items = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = [
            "id",
            "product",
            "source",
            "customer",
            "segment",
            "text",
            "importance",
            "deal_value",
            "received_on",
            "ideas",
            "roadmap_items",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {
            "text": {"max_length": services.TEXT_MAX},
            "customer": {"max_length": services.CUSTOMER_MAX},
        }

    @extend_schema_field(
        {
            "type": "array",
            "items": {"type": "integer"},
            "readOnly": True,
            "description": "The roadmap items this feedback feeds (set on the item: `feedback` of a roadmap item).",
        }
    )
    def get_roadmap_items(self, row) -> list[int]:
        return [item.pk for item in row.roadmap_items.all()]


class FeedbackFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    segment = IdFilter()
    idea = IdFilter(field_name="ideas", distinct=True)
    roadmap_item = IdFilter(field_name="roadmap_items", distinct=True)
    source = django_filters.ChoiceFilter(choices=Feedback.Source.choices)
    importance = django_filters.TypedChoiceFilter(choices=[(str(n), str(n)) for n in range(1, 6)], coerce=int)

    class Meta:
        model = Feedback
        fields = ["portfolio", "product", "segment", "idea", "roadmap_item", "source", "importance"]


# `from` is a Python keyword: these two are added by name.
FeedbackFilter.base_filters["from"] = django_filters.DateFilter(
    field_name="received_on", lookup_expr="gte", label="Received on or after this day."
)
FeedbackFilter.base_filters["to"] = django_filters.DateFilter(
    field_name="received_on", lookup_expr="lte", label="Received on or before this day."
)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("source", "FeedbackSourceEnum"),
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: every matching row, no pages."),
        ],
        responses={(200, "application/json"): FeedbackSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class FeedbackViewSet(ListOnlyCSV, PortfolioScopedViewSet):
    """Customer feedback from interviews, surveys, support, sales, betas and reviews, with its importance,
    the deal value sales attached, and the ideas and roadmap items it feeds."""

    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilter
    search_fields = ["text", "customer"]
    ordering_fields = ["received_on", "importance", "deal_value", "customer", "created_at", "id"]
    ordering = ["-received_on", "-id"]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, FeedbackCSVRenderer]

    def get_queryset(self):
        return queryset_for_user(self.request.user, services.feedback_rows())

    def get_object(self):
        return services.feedback_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")
        if request.accepted_renderer.format == "csv":
            return csv_list_response(
                self, request, lambda rows: feedback_import.csv_lines(rows.iterator(chunk_size=500)), "feedback.csv"
            )
        return super().list(request, *args, **kwargs)

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.FEEDBACK_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, Feedback, product.portfolio_id)
        row = services.feedback_create(
            product=product, actor=self.request.user, ideas=data.get("ideas", []), **self._fields(data)
        )
        serializer.instance = services.feedback_for_user(self.request.user, row.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        services.feedback_update(
            feedback_id=serializer.instance.id, actor=self.request.user, ideas=data.get("ideas"), **self._fields(data)
        )

    def perform_destroy(self, instance):
        services.feedback_delete(feedback_id=instance.id, actor=self.request.user)


# --- the CSV import -----------------------------------------------------------------------------------


class FeedbackImportUpload(serializers.Serializer):
    """The POST body (a multipart form)."""

    portfolio = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    file = serializers.FileField(
        help_text="CSV, UTF-8, at most 2 MB and 5,000 rows: product (id or name), source, customer, segment "
        "(name), text, importance (1–5), deal_value, received_on (YYYY-MM-DD); the header line names them."
    )


class FeedbackImported(serializers.Serializer):
    created = serializers.IntegerField()


# A refused import: the file's errors by line, or a form field's messages (`{"portfolio": […]}`, as every
# 400 of the API). `anyOf`, not `oneOf`: a body of one kind may also fit the other's open object.
IMPORT_REFUSAL = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "detail": {"type": "string"},
                "code": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "line": {
                                "type": "integer",
                                "nullable": True,
                                "description": "1-based; the header is line 1.",
                            },
                            "column": {"type": "string", "nullable": True},
                            "message": {"type": "string"},
                        },
                        "required": ["line", "column", "message"],
                    },
                },
                "errors_truncated": {"type": "boolean", "description": "More than 1,000: the first 1,000."},
            },
            "required": ["detail", "code", "errors", "errors_truncated"],
        },
        {"$ref": "#/components/schemas/ValidationError"},
    ]
}


# The form fields around the file: a body larger than the file's limit plus this cannot hold an acceptable file.
FORM_SLACK = 64 * 1024


def refuse_oversized_body(request) -> None:
    """Refuse a body that cannot hold a file within the limit from its Content-Length, before any of it is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if length > feedback_import.MAX_BYTES + FORM_SLACK:
        raise feedback_import.whole_file_error(feedback_import.size_message(length))


class FeedbackImportView(APIView):
    """Import customer feedback from a CSV file: every row or none."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": FeedbackImportUpload},
        responses={
            201: FeedbackImported,
            400: OpenApiResponse(
                IMPORT_REFUSAL,
                description="Nothing imported: the file's errors by line (`errors`), or a field's (`portfolio`).",
            ),
        },
    )
    def post(self, request):
        """Check every row, then create them all in one transaction (201 `{"created": n}`), or none (400 with
        every error by line and column; the header is line 1)."""
        # The role first (a reader's body is never parsed), then the body's size, then the portfolio.
        if not any(access.can(request.user, Feedback, pid) for pid in access.roles_by_portfolio(request.user)):
            raise NotAllowed("Your role does not allow importing feedback in any of your portfolios.")
        refuse_oversized_body(request)
        portfolio_id = request.data.get("portfolio")
        if portfolio_id in (None, ""):
            raise InvalidInput(fields={"portfolio": "This field is required."})
        try:
            portfolio = portfolio_for_user(request.user, portfolio_id)
        except DomainNotFound:
            raise InvalidInput(fields={"portfolio": "No such portfolio."}) from None
        require(request.user, Feedback, portfolio.id)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(
                fields={"file": "The file is empty or missing: attach a CSV file as `file` (multipart/form-data)."}
            )
        created = feedback_import.feedback_import_file(
            portfolio=portfolio, raw=feedback_import.read_upload(upload), actor=request.user
        )
        return Response({"created": created}, status=status.HTTP_201_CREATED)


urlpatterns = [path("feedback/imports/", FeedbackImportView.as_view(), name="api-feedback-imports")]


def register(router) -> None:
    router.register("feedback", FeedbackViewSet, basename="feedback")
