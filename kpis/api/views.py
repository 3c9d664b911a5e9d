from decimal import Decimal

import django_filters
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, views
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework_csv.renderers import CSVRenderer

from kpis import services
from kpis.api.serializers import (
    MAX_ID,
    CombinedRollupQuery,
    IngestResult,
    KPISerializer,
    MeasurementBatch,
    MeasurementBatchAcross,
    MeasurementSerializer,
    RollupQuery,
    RollupRowSerializer,
)
from kpis.models import KPI, Health
from kpis.selectors import (
    kpi_for_user,
    kpi_list_for_user,
    kpis_for_batch,
    measurement_list,
    require_measure,
    rollup_series,
    rollups_combined,
)
from pmflow import access
from pmflow.access import require
from pmflow.api import PortfolioScopedViewSet
from pmflow.errors import NotAllowed
from pmflow.openapi import enum_parameter
from pmflow.pagination import MeasurementCursorPagination
from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from products.selectors import product_for_user


class RollupCSVRenderer(CSVRenderer):
    header = ["period_start", "value", "count", "target", "health"]

    def render(self, data, media_type=None, renderer_context=None, writer_opts=None):
        if isinstance(data, dict):  # an error body: one row per field with its messages, never a blank row
            rows = [
                {"field": field, "message": " ".join(map(str, m)) if isinstance(m, list) else str(m)}
                for field, m in data.items()
            ]
            context = {**(renderer_context or {}), "header": ["field", "message"]}
            return super().render(rows, media_type, context, writer_opts)
        # Values as the JSON gives them (1597.52), not the database's six places (1597.520000).
        rows = [{k: format(v.normalize(), "f") if isinstance(v, Decimal) else v for k, v in r.items()} for r in data]
        return super().render(rows, media_type, renderer_context or {}, writer_opts)


ROLLUP_RENDERERS = [JSONRenderer, BrowsableAPIRenderer, RollupCSVRenderer]
ROLLUP_PARAMETERS = [
    enum_parameter("granularity", "GranularityEnum", description="Default `day`."),
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("to", OpenApiTypes.DATE),
    enum_parameter("format", "RollupFormatEnum"),
]
ROLLUP_RESPONSES = {
    (200, "application/json"): RollupRowSerializer(many=True),
    (200, "text/csv"): OpenApiTypes.STR,
}


class BodyRequiredSchema(AutoSchema):
    """drf-spectacular cannot tell that a one-of body (an object or a list) is required; it is."""

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body is not None:
            body["required"] = True
        return body


def _refuse_empty_format(request) -> None:
    """`?format=` names no format: a 404 as an unknown one is (DRF would quietly answer JSON)."""
    if request.query_params.get("format", None) == "":
        raise NotFound("Unknown format: use json or csv.")


def _csv_download(response: Response, request, filename: str) -> Response:
    if getattr(request, "accepted_renderer", None) and request.accepted_renderer.format == "csv":
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


class KPIFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product_line = IdFilter(field_name="product__product_line")
    product = IdFilter()
    headline = BooleanFilter()
    # Every health the schema names (HealthEnum): the unjudged ones of rollup rows are never stored,
    # so they match no KPI (an empty page), rather than a 400 for a documented value.
    health = django_filters.ChoiceFilter(choices=Health.choices)

    class Meta:
        model = KPI
        fields = ["product", "key", "health", "aggregation", "direction", "headline"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("aggregation", "AggregationEnum"),
            enum_parameter("direction", "DirectionEnum"),
            enum_parameter("health", "HealthEnum"),
        ]
    )
)
class KPIViewSet(PortfolioScopedViewSet):
    """KPIs of products, their measurements and rollups."""

    serializer_class = KPISerializer
    filterset_class = KPIFilter
    search_fields = ["name", "key"]
    ordering_fields = ["name", "key", "id", "created_at", "health"]

    def get_queryset(self):
        return kpi_list_for_user(self.request.user)

    def get_object(self):
        return kpi_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = product_for_user(self.request.user, data.pop("product").id)
        require(self.request.user, KPI, product.portfolio_id)
        serializer.instance = services.kpi_save(product=product, actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("product", None)
        serializer.instance = services.kpi_save(kpi=serializer.instance, actor=self.request.user, **data)

    def perform_destroy(self, instance):
        services.kpi_delete(kpi_id=instance.id, actor=self.request.user)

    @extend_schema(
        methods=["GET"],
        responses=MeasurementSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1},
                description="Results per page, 500 unless given; at most 10000 (a larger number gives that many).",
            )
        ],
    )
    @extend_schema(
        methods=["POST"],
        request=MeasurementBatch,
        responses={201: IngestResult},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=MeasurementCursorPagination,
        filter_backends=[],
        schema=BodyRequiredSchema(),
    )
    def measurements(self, request, pk=None):
        """GET: measurements newest first, in cursor pages. POST: one measurement or a list of up to 10,000,
        all or nothing; the rollups are updated after the commit."""
        if request.method == "POST":
            kpi = kpi_for_user(request.user, pk, action="measure")
            items = request.data if isinstance(request.data, list) else [request.data]
            result = services.measurements_ingest(kpi_id=kpi.id, items=items, actor=request.user)
            return Response(result, status=status.HTTP_201_CREATED)
        kpi = kpi_for_user(request.user, pk)
        page = self.paginate_queryset(measurement_list(kpi))
        return self.get_paginated_response(MeasurementSerializer(page, many=True).data)

    @extend_schema(parameters=ROLLUP_PARAMETERS, responses=ROLLUP_RESPONSES)
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=ROLLUP_RENDERERS,
        pagination_class=None,
        filter_backends=[],
    )
    def rollups(self, request, pk=None):
        """The KPI aggregated by period, with its target and health; `format=csv` for a download."""
        _refuse_empty_format(request)
        kpi = kpi_for_user(request.user, pk)
        query = RollupQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        rows = rollup_series(kpi, q["granularity"], q.get("from"), q.get("to"))
        response = Response(RollupRowSerializer(rows, many=True).data)
        return _csv_download(response, request, f"{kpi.key}-{kpi.product_id}-{q['granularity']}")


class MeasurementBatchView(views.APIView):
    """A batch of measurements across KPIs (billing, analytics and CRM feeds)."""

    schema = BodyRequiredSchema()

    @extend_schema(request=MeasurementBatchAcross, responses={201: IngestResult})
    def post(self, request):
        """Up to 10,000 measurements, each naming its KPI by `kpi` id or by `product` and `key`; all or
        nothing, with per-item errors; a repeated `external_id` (per KPI) updates instead of adding. One
        rollup task follows for all the KPIs touched."""
        # The role first (a viewer's body is never parsed further), then the references, then the values.
        if not any(access.can(request.user, KPI, pid, "measure") for pid in access.roles_by_portfolio(request.user)):
            raise NotAllowed("Your role does not allow adding measurements in any of your portfolios.")
        items = request.data if isinstance(request.data, list) else [request.data]
        services.check_batch_size(items)
        kpi_ids, kpis, errors = kpis_for_batch(request.user, items)
        require_measure(request.user, kpis.values())
        result = services.measurements_ingest_batch(
            kpis=kpis, kpi_ids=kpi_ids, items=items, actor=request.user, reference_errors=errors
        )
        return Response(result, status=status.HTTP_201_CREATED)


class CombinedRollupsView(views.APIView):
    """A KPI key combined across the products of a portfolio or product line."""

    renderer_classes = ROLLUP_RENDERERS

    @extend_schema(
        parameters=[
            OpenApiParameter("key", {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"}, required=True),
            OpenApiParameter("portfolio", {"type": "integer", "minimum": 1, "maximum": MAX_ID}),
            OpenApiParameter("product_line", {"type": "integer", "minimum": 1, "maximum": MAX_ID}),
            *ROLLUP_PARAMETERS,
        ],
        responses=ROLLUP_RESPONSES,
    )
    def get(self, request):
        _refuse_empty_format(request)
        query = CombinedRollupQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        rows = rollups_combined(
            request.user,
            key=q["key"],
            granularity=q["granularity"],
            portfolio_id=q.get("portfolio"),
            product_line_id=q.get("product_line"),
            first=q.get("from"),
            last=q.get("to"),
        )
        response = Response(RollupRowSerializer(rows, many=True).data)
        return _csv_download(response, request, f"{q['key']}-{q['granularity']}")


__all__ = ["serializers"]
