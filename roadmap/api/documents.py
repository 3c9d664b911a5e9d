"""Research and planning documents: Markdown, versions, diffs, review comments, links (API-CONTRACT.md,
"Strategic").

`/api/v1/documents/`: `id`, `product`, `kind`, `title`, `body` (Markdown, at most 200,000 characters),
`status` (any to any, but an archived document only back to draft: anything else on it is a 409 with
`code: archived`), read-only `version` (+ 1 on each change of the title or the body), `updated_by`,
`updated_at`, `created_at`, `open_comments`; `ideas`, `feedback`, `roadmap_items` (id lists of the same
portfolio). Filters `portfolio`, `product`, `kind`, `status`, `idea`, `feedback`, `roadmap_item`,
`updated_by` (a username); `?search=` on title and body; `?ordering=`; `?format=csv`.

- `GET …/{id}/versions/` (newest first, without bodies) and `…/versions/{n}/` (with the body);
- `GET …/{id}/diff/?from=&to=` (default: the previous version to the current one): title and body as
  operations `[{"op": "equal" | "delete" | "insert", "text"}]`, by lines, sentences, then words;
- `GET …/{id}/comments/` and `POST {"body"}` (on the current version); `POST …/comments/{comment_id}/resolve/
  {"resolved": true | false}`.

The viewset translates: the rules are products.services.documents' and roadmap.services.documents'.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import filters as drf_filters
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from pmflow import access
from pmflow.access import queryset_for_user, require
from pmflow.api import ListOnlyCSV, PortfolioScopedViewSet, csv_list_response
from pmflow.errors import InvalidInput
from pmflow.fields import MAX_ID, StrictCharField, StrictStrings
from pmflow.openapi import enum_parameter
from products.api.filters import IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Document, DocumentComment, DocumentVersion, Feedback, Idea
from products.selectors import product_list_for_user
from products.services import documents as services
from roadmap import document_selectors as selectors
from roadmap.api.serializers import StaysInProduct
from roadmap.api.views import RoadmapCSVRenderer
from roadmap.models import RoadmapItem
from roadmap.services import documents as roadmap_services


def _scoped(model, *related):
    def selector(user):
        return queryset_for_user(user, model.objects.select_related(*related))

    return selector


class DocumentSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    body = StrictCharField(
        max_length=services.BODY_MAX,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Markdown (CommonMark with tables; raw HTML is shown as text). Trailing white space and "
        "Windows line endings are dropped.",
    )
    version = serializers.IntegerField(read_only=True, help_text="1, then + 1 on each change of title or body.")
    updated_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who changed it last."
    )
    open_comments = serializers.IntegerField(read_only=True, help_text="Review comments not resolved yet.")
    ideas = ScopedPrimaryKeyField(
        _scoped(Idea, "product"), many=True, required=False, help_text="Ideas of the document's portfolio."
    )
    feedback = ScopedPrimaryKeyField(
        _scoped(Feedback, "product"), many=True, required=False, help_text="Feedback of the document's portfolio."
    )
    roadmap_items = ScopedPrimaryKeyField(
        _scoped(RoadmapItem, "product"),
        many=True,
        required=False,
        help_text="Roadmap items of the document's portfolio.",
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "product",
            "kind",
            "title",
            "body",
            "status",
            "version",
            "updated_by",
            "updated_at",
            "created_at",
            "open_comments",
            "ideas",
            "feedback",
            "roadmap_items",
        ]
        read_only_fields = ["updated_at", "created_at"]
        extra_kwargs = {"title": {"max_length": services.TITLE_MAX}}


class VersionSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = DocumentVersion
        fields = ["version", "title", "author", "at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="DocumentVersionDetail")
class VersionDetailSerializer(VersionSerializer):
    class Meta(VersionSerializer.Meta):
        fields = ["version", "title", "body", "author", "at"]
        read_only_fields = fields


class CommentSerializer(StrictStrings, serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    body = StrictCharField(max_length=services.COMMENT_MAX, help_text="The review comment.")

    class Meta:
        model = DocumentComment
        fields = ["id", "version", "author", "body", "resolved", "created_at"]
        read_only_fields = ["version", "resolved", "created_at"]


@extend_schema_serializer(component_name="DocumentCommentResolve")
class ResolveInput(serializers.Serializer):
    resolved = serializers.BooleanField(default=True, help_text="true resolves the comment; false opens it again.")


class DiffVersion(serializers.Serializer):
    version = serializers.IntegerField()
    title = serializers.CharField()
    author = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()


@extend_schema_field(
    {
        "type": "object",
        "description": "`title` and `body`, each `{changed, old, new, ops}` with `ops` "
        "`[{op: equal|delete|insert, text}]` (equal + delete give the old text, equal + insert the new).",
        "additionalProperties": True,
    }
)
class DiffFields(serializers.DictField):
    pass


@extend_schema_serializer(component_name="DocumentDiff")
class DiffOutput(serializers.Serializer):
    from_ = DiffVersion(help_text="The `from` version.")
    to = DiffVersion(help_text="The `to` version.")
    changed = serializers.BooleanField()
    fields = DiffFields()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class DocumentConflict(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="`archived`.")
    status = serializers.ChoiceField(choices=Document.Status.choices, help_text="The document's status.")


ARCHIVED = OpenApiResponse(DocumentConflict, description="The document is archived: set it back to draft first.")


class DocumentFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    kind = django_filters.ChoiceFilter(choices=Document.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Document.Status.choices)
    idea = IdFilter(field_name="ideas", distinct=True)
    feedback = IdFilter(field_name="feedback", distinct=True)
    roadmap_item = IdFilter(field_name="roadmap_items", distinct=True)
    updated_by = django_filters.CharFilter(field_name="updated_by__username", max_length=150)

    class Meta:
        model = Document
        fields = ["portfolio", "product", "kind", "status", "idea", "feedback", "roadmap_item", "updated_by"]


VERSION_NUMBER = OpenApiParameter(
    "number", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH, description="The version."
)
COMMENT_ID = OpenApiParameter(
    "comment_id",
    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    OpenApiParameter.PATH,
    description="A review comment of this document.",
)


def _version_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, {"type": "integer", "minimum": 1, "maximum": MAX_ID}, description=description)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("kind", "DocumentKindEnum"),
            enum_parameter("status", "DocumentStatusEnum"),
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: every matching document, no pages."
            ),
        ],
        responses={(200, "application/json"): DocumentSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    ),
    update=extend_schema(responses={200: DocumentSerializer, 409: ARCHIVED}),
    partial_update=extend_schema(responses={200: DocumentSerializer, 409: ARCHIVED}),
)
class DocumentViewSet(ListOnlyCSV, PortfolioScopedViewSet):
    """Research and planning documents of a product (interviews, research notes, concept designs, PRD, MRD,
    beta-test reports) in Markdown, with every version kept, review comments and the ideas, feedback and
    roadmap items they relate to."""

    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    search_fields = ["title", "body"]
    ordering_fields = ["title", "kind", "status", "version", "updated_at", "created_at", "open_comments", "id"]
    ordering = ["-updated_at", "-id"]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, RoadmapCSVRenderer]
    filter_backends = [DjangoFilterBackend, drf_filters.OrderingFilter, drf_filters.SearchFilter]

    def get_queryset(self):
        return selectors.document_list_for_user(self.request.user)

    def get_object(self):
        return selectors.document_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")
        if request.accepted_renderer.format == "csv":
            return csv_list_response(
                self, request, lambda rows: selectors.csv_lines(rows.iterator(chunk_size=500)), "documents.csv"
            )
        return super().list(request, *args, **kwargs)

    @staticmethod
    def _fields(data: dict) -> dict:
        names = (*services.DOCUMENT_FIELDS, *services.LINK_FIELDS, "roadmap_items")
        return {name: value for name, value in data.items() if name in names}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, Document, product.portfolio_id)
        document = roadmap_services.document_create(product=product, actor=self.request.user, **self._fields(data))
        serializer.instance = selectors.document_for_user(self.request.user, document.pk)

    def perform_update(self, serializer):
        roadmap_services.document_update(
            document_id=serializer.instance.id, actor=self.request.user, **self._fields(dict(serializer.validated_data))
        )

    def perform_destroy(self, instance):
        services.document_delete(document_id=instance.id, actor=self.request.user)

    # --- versions and the diff ------------------------------------------------------------------------

    @extend_schema(responses={200: VersionSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def versions(self, request, pk=None):
        """The document's versions, newest first: who wrote each and when (the bodies: `…/versions/{n}/`)."""
        document = selectors.document_for_user(request.user, pk)
        page = self.paginate_queryset(services.versions_of(document))
        return self.get_paginated_response(VersionSerializer(page, many=True).data)

    @extend_schema(parameters=[VERSION_NUMBER], responses={200: VersionDetailSerializer})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<number>[0-9]{1,19})",
        url_name="version",
        filter_backends=[],
        pagination_class=None,
    )
    def version(self, request, pk=None, number=None):
        """One version of the document: its title and body as they were, who wrote it and when."""
        document = selectors.document_for_user(request.user, pk)
        row = services.version_of(document, int(number))
        return Response(VersionDetailSerializer(row).data)

    @extend_schema(
        parameters=[
            _version_parameter("from", "The older version (default: the one before `to`)."),
            _version_parameter("to", "The newer version (default: the current one)."),
        ],
        responses={200: DiffOutput},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def diff(self, request, pk=None):
        """What changed between two versions: the title and the body, by lines, sentences, then words."""
        document = selectors.document_for_user(request.user, pk)
        newer = _version_number(request, "to", document, default=document.version)
        older = _version_number(request, "from", document, default=max(newer - 1, 1))
        result = services.document_diff(services.version_of(document, older), services.version_of(document, newer))
        return Response(result)

    # --- review comments ------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: CommentSerializer(many=True)})
    @extend_schema(methods=["POST"], request=CommentSerializer, responses={201: CommentSerializer, 409: ARCHIVED})
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request, pk=None):
        """The review comments, oldest first; POST `{"body"}` adds one on the current version (admins and
        product managers; an archived document takes none: 409)."""
        if request.method == "GET":
            document = selectors.document_for_user(request.user, pk)
            rows = (
                DocumentComment.objects.filter(document=document).select_related("author").order_by("created_at", "id")
            )
            page = self.paginate_queryset(rows)
            return self.get_paginated_response(CommentSerializer(page, many=True).data)
        document = selectors.document_for_user(request.user, pk)
        access.require(request.user, DocumentComment, document.product.portfolio_id)  # before the body
        body = CommentSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        comment = services.document_comment_add(
            document_id=document.id, body=body.validated_data["body"], actor=request.user
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[COMMENT_ID], request=ResolveInput, responses={200: CommentSerializer, 409: ARCHIVED})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"comments/(?P<comment_id>[0-9]{1,19})/resolve",
        url_name="comment-resolve",
        filter_backends=[],
    )
    def resolve(self, request, pk=None, comment_id=None):
        """Resolve a review comment (`{"resolved": false}` opens it again)."""
        document = selectors.document_for_user(request.user, pk)
        access.require(request.user, DocumentComment, document.product.portfolio_id)  # before the body
        if not DocumentComment.objects.filter(pk=int(comment_id), document=document).exists():
            raise NotFound("No such comment on this document.")
        body = ResolveInput(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.document_comment_resolve(
            comment_id=int(comment_id), resolved=body.validated_data["resolved"], actor=request.user
        )
        return Response(CommentSerializer(comment).data)


def _version_number(request, name: str, document: Document, *, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) < 20 and 0 < int(raw) <= document.version):
        raise InvalidInput(fields={name: f"A version of this document: 1 to {document.version}."})
    return int(raw)


def register(router) -> None:
    router.register("documents", DocumentViewSet, basename="document")


urlpatterns: list = []
