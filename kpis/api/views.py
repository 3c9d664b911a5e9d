import csv
import io
from collections.abc import Mapping
from decimal import Decimal

import django_filters
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.http import parse_etags
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, views
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework_csv.renderers import CSVRenderer

from kpis import imports, rights, services
from kpis.api.serializers import (
    MAX_ID,
    CombinedRollupQuery,
    ImportAccepted,
    ImportSerializer,
    ImportUpload,
    IngestResult,
    KPIImportUpload,
    KPISerializer,
    MeasurementBatch,
    MeasurementBatchAcross,
    MeasurementSerializer,
    RollupQuery,
    RollupRowSerializer,
)
from kpis.models import KPI, Health, Import
from kpis.selectors import (
    import_for_user,
    import_list_for_user,
    kpi_for_user,
    kpi_list_for_user,
    kpis_for_batch,
    measurement_list,
    rollup_series,
    rollups_combined,
)
from pmflow import access
from pmflow.access import require
from pmflow.api import PortfolioScopedViewSet, representation_etag
from pmflow.errors import InvalidInput, NotAllowed
from pmflow.errors import NotFound as DomainNotFound
from pmflow.forms import csv_cell
from pmflow.openapi import enum_parameter
from pmflow.pagination import MeasurementCursorPagination
from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from products.selectors import portfolio_for_user, product_for_user


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


def _csv_lines(data):
    """The rows as CSV lines, one at a time (the response streams them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(RollupCSVRenderer.header)
    for row in data:
        writer.writerow([csv_cell(row[name]) for name in RollupCSVRenderer.header])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def _rollup_response(request, rows: list[dict], filename: str):
    """Rollup rows as JSON or a streamed CSV, with a strong ETag; 304 when `If-None-Match` holds it, so
    a client that polls pays for the query only, not for the transfer."""
    # What RollupRowSerializer gives, built directly: values have their 6 places already (a polled read).
    data = [
        {
            "period_start": row["period_start"].isoformat(),
            "value": float(row["value"]),
            "count": row["count"],
            "target": float(row["target"]) if row["target"] is not None else None,
            "health": row["health"],
        }
        for row in rows
    ]
    as_csv = getattr(request, "accepted_renderer", None) is not None and request.accepted_renderer.format == "csv"
    etag = representation_etag({"csv": as_csv, "rows": data})
    held = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in held or f"W/{etag}" in held or "*" in held:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    if as_csv:
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        response["ETag"] = etag
        return response
    return Response(data, headers={"ETag": etag})


class KPIFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product_line = IdFilter(field_name="product__product_line")
    product = IdFilter()
    launch_plan = IdFilter()
    campaign = IdFilter()
    headline = BooleanFilter()
    # Every health the schema names (HealthEnum): the unjudged ones of rollup rows are never stored,
    # so they match no KPI (an empty page), rather than a 400 for a documented value.
    health = django_filters.ChoiceFilter(choices=Health.choices)

    class Meta:
        model = KPI
        fields = ["product", "launch_plan", "campaign", "key", "health", "aggregation", "direction", "headline"]


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
        if self.request.method in permissions.SAFE_METHODS:
            return kpi_for_user(self.request.user, self.kwargs["pk"])
        # Who may change a KPI depends on the KPI: a marketer writes those of launch plans and campaigns.
        return rights.kpi_for_writing(self.request.user, self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        # The role before the payload, as the base class does, but for the kind of KPI the body asks for:
        # a marketer may create a launch plan's or a campaign's KPI, never a product's own.
        fields = request.data if isinstance(request.data, Mapping) else {}
        if not rights.may_write_somewhere(request.user, fields):
            if rights.may_write_somewhere(request.user, {"launch_plan": True}):
                raise NotAllowed(rights.PRODUCT_LEVEL_REFUSED)
            raise NotAllowed("Your role does not allow creating this in any of your portfolios.")
        self.require_role_for_reference(request.data, KPI, rights.kpi_write_action(fields))
        return mixins.CreateModelMixin.create(self, request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = product_for_user(self.request.user, data.pop("product").id)
        rights.require_kpi_write(
            self.request.user, product.portfolio_id, data, headline_change=bool(data.get("headline"))
        )
        serializer.instance = services.kpi_save(product=product, actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("product", None)
        kpi = serializer.instance
        # What the KPI will be: a marketer may not turn a campaign's KPI into a product's own.
        after = {name: data[name] if name in data else getattr(kpi, f"{name}_id") for name in rights.NARROWING}
        headline_change = "headline" in data and data["headline"] != kpi.headline
        rights.require_kpi_write(self.request.user, kpi.product.portfolio_id, after, headline_change=headline_change)
        serializer.instance = services.kpi_save(kpi=kpi, actor=self.request.user, **data)

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
            kpi = rights.kpi_for_measuring(request.user, pk)
            items = request.data if isinstance(request.data, list) else [request.data]
            result = services.measurements_ingest(kpi_id=kpi.id, items=items, actor=request.user)
            return Response(result, status=status.HTTP_201_CREATED)
        kpi = kpi_for_user(request.user, pk)
        page = self.paginate_queryset(measurement_list(kpi))
        return self.get_paginated_response(MeasurementSerializer(page, many=True).data)

    @extend_schema(request={"multipart/form-data": KPIImportUpload}, responses={202: ImportAccepted})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser], filter_backends=[])
    def imports(self, request, pk=None):
        """A CSV file of this KPI's measurements (observed_at, value, optional external_id); 202 with the
        import's URL, processed like a portfolio's file."""
        kpi = rights.kpi_for_measuring(request.user, pk)
        return _create_import(request, portfolio=kpi.product.portfolio, kpi=kpi)

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
        return _rollup_response(request, rows, f"{kpi.key}-{kpi.product_id}-{q['granularity']}")


class ImportFilter(StrictFilterSet):
    portfolio = IdFilter()
    kpi = IdFilter()
    status = django_filters.ChoiceFilter(choices=Import.Status.choices)

    class Meta:
        model = Import
        fields = ["portfolio", "kpi", "status"]


def _uploaded_content(request) -> tuple[bytes, str]:
    """The uploaded file's bytes (at most the limit + 1, so a larger file is refused without being
    read whole) and name; 400 on `file` when there is none."""
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput(
            fields={"file": "The file is empty or missing: attach a CSV file as `file` (multipart/form-data)."}
        )
    if upload.size is not None and upload.size > imports.max_bytes():
        raise InvalidInput(fields={"file": imports.size_message()})
    return upload.read(imports.max_bytes() + 1), upload.name or ""


def _accepted(upload) -> Response:
    url = reverse("import-detail", kwargs={"pk": upload.id})
    return Response(
        {"id": upload.id, "status": upload.status, "url": url},
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": url},
    )


def _create_import(request, **target):
    content, name = _uploaded_content(request)
    try:
        upload = services.import_create(content=content, filename=name, actor=request.user, source="api", **target)
    except imports.ImportRefused as exc:
        raise InvalidInput(fields={"file": [error["message"] for error in exc.errors]}) from exc
    return _accepted(upload)


@extend_schema_view(
    list=extend_schema(parameters=[enum_parameter("status", "ImportStatusEnum")]),
    create=extend_schema(request={"multipart/form-data": ImportUpload}, responses={202: ImportAccepted}),
)
class ImportViewSet(PortfolioScopedViewSet):
    """CSV imports of measurements: upload a file, then follow its progress and errors."""

    serializer_class = ImportSerializer
    filterset_class = ImportFilter
    ordering_fields = ["created_at", "id"]
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return import_list_for_user(self.request.user)

    def get_object(self):
        return import_for_user(self.request.user, self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        """A portfolio's CSV file (columns product (id or name), key, observed_at, value, optional
        external_id); 202 with the import's URL: a worker checks every row, then imports all or none."""
        if not any(access.can(request.user, KPI, pid, "measure") for pid in access.roles_by_portfolio(request.user)):
            raise NotAllowed("Your role does not allow importing measurements in any of your portfolios.")
        portfolio_id = request.data.get("portfolio")
        if portfolio_id in (None, ""):
            raise InvalidInput(fields={"portfolio": "This field is required."})
        try:
            portfolio = portfolio_for_user(request.user, portfolio_id)
        except DomainNotFound:
            raise InvalidInput(fields={"portfolio": "No such portfolio."}) from None
        require(request.user, KPI, portfolio.id, "measure")
        return _create_import(request, portfolio=portfolio)


class MeasurementBatchView(views.APIView):
    """A batch of measurements across KPIs (billing, analytics and CRM feeds)."""

    schema = BodyRequiredSchema()

    @extend_schema(request=MeasurementBatchAcross, responses={201: IngestResult})
    def post(self, request):
        """Up to 10,000 measurements, each naming its KPI by `kpi` id or by `product` and `key`; all or
        nothing, with per-item errors; a repeated `external_id` (per KPI) updates instead of adding. One
        rollup task follows for all the KPIs touched."""
        # The role first (a viewer's body is never parsed further), then the references, then the values.
        # A marketer measures launch plans' and campaigns' KPIs: one other KPI in the batch refuses it all.
        if not rights.may_measure_somewhere(request.user):
            raise NotAllowed("Your role does not allow adding measurements in any of your portfolios.")
        items = request.data if isinstance(request.data, list) else [request.data]
        services.check_batch_size(items)
        kpi_ids, kpis, errors = kpis_for_batch(request.user, items)
        rights.require_kpi_measure(request.user, kpis.values())
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
            OpenApiParameter(
                "product",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                description="One product's KPI with this key (instead of a portfolio or product line).",
            ),
            *ROLLUP_PARAMETERS,
        ],
        responses=ROLLUP_RESPONSES,
    )
    def get(self, request):
        _refuse_empty_format(request)
        query = CombinedRollupQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        if q.get("product") is not None:  # one product's KPI with this key
            kpi = kpi_list_for_user(request.user).filter(product_id=q["product"], key=q["key"]).first()
            rows = rollup_series(kpi, q["granularity"], q.get("from"), q.get("to")) if kpi else []
        else:
            rows = rollups_combined(
                request.user,
                key=q["key"],
                granularity=q["granularity"],
                portfolio_id=q.get("portfolio"),
                product_line_id=q.get("product_line"),
                first=q.get("from"),
                last=q.get("to"),
            )
        return _rollup_response(request, rows, f"{q['key']}-{q['granularity']}")


__all__ = ["serializers"]
