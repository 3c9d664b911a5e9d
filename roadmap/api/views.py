from django.db import transaction
from django.utils.http import parse_etags
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import filters as drf_filters
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework_csv.renderers import CSVRenderer

from pmflow.access import WRITE, object_for_user, require, roles_by_portfolio
from pmflow.api import (
    ConditionalRequestsSchema,
    ListOnlyCSV,
    PortfolioScopedViewSet,
    StaleObject,
    csv_list_response,
    representation_etag,
    request_if_match,
)
from pmflow.openapi import enum_parameter
from products.demand import DEMAND_ORDERING
from products.models import Portfolio, Product
from products.selectors import portfolio_for_user, portfolio_list_for_user
from roadmap import exports, services
from roadmap.api import filters
from roadmap.api.serializers import (
    MoveInput,
    OpenItems,
    ReleaseSerializer,
    RoadmapDependencySerializer,
    RoadmapItemSerializer,
    ScoringWeightsSerializer,
    ShipInput,
)
from roadmap.models import Release, RoadmapDependency, RoadmapItem, ScoringWeights
from roadmap.scoring import SCORES, score_ordering
from roadmap.selectors import (
    dependency_for_user,
    dependency_list_for_user,
    release_for_user,
    release_list_for_user,
    roadmap_item_for_user,
    roadmap_item_list_for_user,
    roadmap_items,
)
from roadmap.services.items import LINK_FIELDS


class RoadmapCSVRenderer(CSVRenderer):
    """Lets content negotiation accept `?format=csv` on the list, which streams the CSV itself; what this
    renders is an error: one `field,message` row per field (as the KPI rollups' CSV errors)."""

    def render(self, data, media_type=None, renderer_context=None, writer_opts=None):
        if isinstance(data, dict):
            rows = [
                {"field": field, "message": " ".join(map(str, m)) if isinstance(m, list) else str(m)}
                for field, m in data.items()
            ]
            context = {**(renderer_context or {}), "header": ["field", "message"]}
            return super().render(rows, media_type, context, writer_opts)
        return super().render(data, media_type, renderer_context, writer_opts)


class ScoreOrdering(drf_filters.OrderingFilter):
    """`?ordering=` where items without a score sort last in either direction."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        terms = []
        for term in ordering:
            name = term.lstrip("-")
            if name == "demand":  # as on ideas: `demand` the most wanted first (weight, deal value, count)
                terms += [t.lstrip("-") if term.startswith("-") else t for t in DEMAND_ORDERING]
                continue
            terms.append(score_ordering(name, descending=term.startswith("-")) if name in SCORES else term)
        return queryset.order_by(*terms, "id")


class ProductLockedFirst:
    """Writes lock the product before the object (lock order: product → its items, releases, plans…).

    The base class locks the object for the If-Match check and the service then locks the product,
    while a move holds the product and rewrites the column's ranks: each waited for the other
    (PostgreSQL killed one, a 503)."""

    def lock_first(self, instance) -> None:
        list(Product.objects.select_for_update().filter(pk=instance.product_id).values_list("pk"))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("kind", "RoadmapItemKindEnum"),
            enum_parameter("status", "RoadmapItemStatusEnum"),
            enum_parameter("horizon", "HorizonEnum"),
            enum_parameter("moscow", "MoscowEnum"),
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: every matching item, no pages."),
            OpenApiParameter(
                "ordering",
                str,
                description="A field (`-` for descending): rank, title, created_at, updated_at, start_date, end_date, "
                "id, the scores (items without one last), demand_count, demand_weight, demand_deal_value; or "
                "`demand`: the most wanted first (weight, then deal value, then count; `-demand` the least).",
            ),
        ],
        responses={(200, "application/json"): RoadmapItemSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class RoadmapItemViewSet(ProductLockedFirst, ListOnlyCSV, PortfolioScopedViewSet):
    """Roadmap items (initiative > feature > requirement) with their scores, computed on every read."""

    serializer_class = RoadmapItemSerializer
    filterset_class = filters.RoadmapItemFilter
    search_fields = ["title", "description", "regulation"]
    ordering_fields = [
        "rank",
        "title",
        "created_at",
        "updated_at",
        "start_date",
        "end_date",
        "id",
        *SCORES,
        "demand",
        "demand_count",
        "demand_weight",
        "demand_deal_value",
    ]
    ordering = ["product_id", "horizon", "rank", "id"]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, RoadmapCSVRenderer]
    filter_backends = [DjangoFilterBackend, ScoreOrdering, drf_filters.SearchFilter]

    def get_queryset(self):
        return roadmap_item_list_for_user(self.request.user)

    def get_object(self):
        return roadmap_item_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def write_check(self):
        # The access check alone: the full read (scores, demand, links) costs ~4× as much; it follows the lock.
        return object_for_user(
            self.request.user, RoadmapItem.objects.only("id", "product_id"), self.kwargs["pk"], action=WRITE
        )

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")  # DRF would quietly answer JSON
        if request.accepted_renderer.format == "csv":
            return csv_list_response(
                self, request, lambda rows: exports.csv_lines(rows.iterator(chunk_size=500)), "roadmap.csv"
            )
        return super().list(request, *args, **kwargs)

    def _fields(self, data: dict, product) -> dict:
        fields = {k: v for k, v in data.items() if k in services.ITEM_FIELDS or k in LINK_FIELDS}
        if "owner" in fields:
            fields["owner"] = services.owner_by_username(portfolio_id=product.portfolio_id, username=fields["owner"])
        return fields

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, RoadmapItem, product.portfolio_id)
        item = services.roadmap_item_create(product=product, actor=self.request.user, **self._fields(data, product))
        serializer.instance = roadmap_items().get(pk=item.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("product", None)
        item = serializer.instance
        services.roadmap_item_update(item_id=item.id, actor=self.request.user, **self._fields(data, item.product))

    def perform_destroy(self, instance):
        services.roadmap_item_delete(item_id=instance.id, actor=self.request.user)

    @extend_schema(request=MoveInput, responses={200: RoadmapItemSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def move(self, request, pk=None):
        """Put the item at `position` (0-based, after the move) of the `horizon` column of its product;
        the ranks of both columns stay 0…n−1, also under concurrent moves."""
        item = roadmap_item_for_user(request.user, pk, action="move")
        body = MoveInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.roadmap_item_move(item_id=item.id, actor=request.user, **body.validated_data)
        data = RoadmapItemSerializer(roadmap_item_for_user(request.user, pk), context={"request": request}).data
        return Response(data, headers={"ETag": representation_etag(data)})


@extend_schema_view(list=extend_schema(parameters=[enum_parameter("status", "ReleaseStatusEnum")]))
class ReleaseViewSet(ProductLockedFirst, PortfolioScopedViewSet):
    """Releases of a product: version, target date, the items in it and how many are done."""

    serializer_class = ReleaseSerializer
    filterset_class = filters.ReleaseFilter
    search_fields = ["version", "name", "description"]
    ordering_fields = ["target_date", "version", "shipped_at", "created_at", "id"]

    def get_queryset(self):
        return release_list_for_user(self.request.user)

    def get_object(self):
        return release_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, Release, product.portfolio_id)
        release = services.release_create(product=product, actor=self.request.user, **data)
        serializer.instance = release_for_user(self.request.user, release.pk)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k in services.RELEASE_FIELDS}
        services.release_update(release_id=serializer.instance.id, actor=self.request.user, **data)

    def perform_destroy(self, instance):
        services.release_delete(release_id=instance.id, actor=self.request.user)

    @extend_schema(
        request=ShipInput,
        responses={
            200: ReleaseSerializer,
            409: OpenApiResponse(
                OpenItems,
                description="Items in it are neither done nor dropped (`open_items`), or it has already shipped.",
            ),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def ship(self, request, pk=None):
        """Mark the release shipped. With open items it is a 409 listing them, unless `override` with a
        `reason` (kept with the release)."""
        release = release_for_user(request.user, pk, action="ship")
        body = ShipInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.release_ship(release_id=release.id, actor=request.user, **body.validated_data)
        data = ReleaseSerializer(release_for_user(request.user, pk), context={"request": request}).data
        return Response(data, headers={"ETag": representation_etag(data)})


@extend_schema_view(list=extend_schema(parameters=[enum_parameter("kind", "RoadmapDependencyKindEnum")]))
class RoadmapDependencyViewSet(PortfolioScopedViewSet):
    """`item` depends on `depends_on`. A `blocks` edge that would close a cycle is a 400 naming it
    (`cycle`: the ids in order, first = last). To change an edge's kind, delete it and add another."""

    serializer_class = RoadmapDependencySerializer
    filterset_class = filters.DependencyFilter
    ordering_fields = ["id", "created_at"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        return dependency_list_for_user(self.request.user)

    def get_object(self):
        return dependency_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        require(self.request.user, RoadmapDependency, data["item"].product.portfolio_id)
        dependency = services.dependency_create(
            item=data["item"], depends_on=data["depends_on"], kind=data.get("kind", "blocks"), actor=self.request.user
        )
        serializer.instance = dependency

    def perform_destroy(self, instance):
        services.dependency_delete(dependency_id=instance.id, actor=self.request.user)


# The path says {id} (drf-spectacular names a pk path variable `id`): it is the portfolio's id, not the row's.
PORTFOLIO_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The portfolio's id.")


class ScoringWeightsViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Each portfolio's weights for the weighted score (by portfolio id); admins change them.

    weighted_score = Σ weight × input ÷ Σ |weight| over the inputs with a non-zero weight; a negative
    weight counts against an item (effort). Until an admin sets them, a portfolio has the defaults."""

    serializer_class = ScoringWeightsSerializer
    schema = ConditionalRequestsSchema()  # ETag, If-Match → 412, If-None-Match → 304, as on every object
    pagination_class = None
    filter_backends = []
    lookup_url_kwarg = "pk"

    def get_queryset(self):
        return ScoringWeights.objects.filter(portfolio__in=list(roles_by_portfolio(self.request.user)))

    def _weights(self, portfolio):
        return services.scoring_weights_of(portfolio)

    def list(self, request, *args, **kwargs):
        portfolios = list(portfolio_list_for_user(request.user))
        saved = {row.portfolio_id: row for row in ScoringWeights.objects.filter(portfolio__in=portfolios)}
        rows = [saved.get(portfolio.id) or ScoringWeights(portfolio=portfolio) for portfolio in portfolios]
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(parameters=[PORTFOLIO_PK])
    def retrieve(self, request, pk=None):
        portfolio = portfolio_for_user(request.user, pk)
        data = self.get_serializer(self._weights(portfolio)).data
        etag = representation_etag(data)
        held = parse_etags(request.headers.get("If-None-Match", ""))
        if "*" in held or etag in held or f"W/{etag}" in held:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    @extend_schema(parameters=[PORTFOLIO_PK])
    def update(self, request, pk=None, partial=False):
        portfolio = portfolio_for_user(request.user, pk)
        require(request.user, ScoringWeights, portfolio.id)  # the role before the body is read
        with transaction.atomic():
            # If-Match under the portfolio's row lock (the lock the service takes), as every object write.
            list(Portfolio.objects.select_for_update().filter(pk=portfolio.pk).values_list("pk"))
            current = self._weights(portfolio)
            wanted = request_if_match(request)
            if wanted is not None and representation_etag(self.get_serializer(current).data) not in wanted:
                raise StaleObject()
            serializer = self.get_serializer(current, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            services.scoring_weights_save(portfolio=portfolio, actor=request.user, **serializer.validated_data)
            data = self.get_serializer(self._weights(portfolio)).data
        return Response(data, headers={"ETag": representation_etag(data)})

    @extend_schema(parameters=[PORTFOLIO_PK])
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)
