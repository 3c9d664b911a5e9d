"""The status book API (API-CONTRACT.md, "Strategic"): the product manager's daily log and the balance of
their time.

- `/api/v1/status-book/`: `id`, `product`, `author` (read-only: the writer's username), `date` (today in the
  portfolio's time zone when left out), `category`, `minutes` (1–1,440), `text`, and read-only `created_at`,
  `updated_at`. Admins and product managers create; only the author or an admin of the portfolio changes or
  deletes an entry (403 before the body is read, nothing changed). Filters `portfolio`, `product`, `author`
  (a username), `category`, `from`/`to` (days, both included); `?search=` in the text; `?ordering=` on
  `date`, `minutes`, `category`, `created_at`, `id` (default newest day first); `?format=csv`.
- `GET /api/v1/status-book/balance/?from=&to=&author=&product=&portfolio=`: the contract's body, plus `from`,
  `to`, `author` (the period and person it is of) and `weeks` (the same figures per ISO week the period
  touches). `author` defaults to the requesting user; the period to the last four weeks ending today in the
  portfolio's time zone (of `product`, else `portfolio`, else the requester's first portfolio); one end alone
  gives the four weeks from or up to it. With nothing logged, `total_minutes` is 0 and each share 0, not
  in range. An author or product the requester cannot see counts as one with nothing logged (as every
  filter: no existence oracle).

The viewsets translate: the rules are products.services.status_book's.
"""

import csv
import io

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from pmflow import access
from pmflow.access import queryset_for_user, require
from pmflow.api import ListOnlyCSV, PortfolioScopedViewSet, csv_list_response
from pmflow.fields import MAX_ID, BoundedIntegerField, StrictStrings
from pmflow.forms import csv_cell
from pmflow.openapi import enum_parameter
from products.api.feedback import FeedbackCSVRenderer
from products.api.filters import IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Portfolio, StatusBookEntry
from products.selectors import product_list_for_user
from products.services import status_book as services

EMPTY_VALUE = "Give a value, or leave the parameter out."
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
# A period's ends: years 1900–2200 (the service's rule; the schema states what it can).
PERIOD_DAY = {"type": "string", "format": "date", "pattern": "^(19[0-9]{2}|2[01][0-9]{2}|2200)-"}


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": "^(19[0-9]{2}|2[0-9]{3})-",
        "description": "The day of the work: from 1900 up to tomorrow in the portfolio's time zone; today there "
        "when left out.",
    }
)
class WorkDayField(serializers.DateField):
    """The years and the latest day are the service's rule; the schema states what it can."""


class StatusBookEntrySerializer(StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user, help_text="It may move to another product of its portfolio.")
    author = serializers.SerializerMethodField()
    date = WorkDayField(required=False)
    category = serializers.ChoiceField(choices=StatusBookEntry.Category.choices)
    minutes = BoundedIntegerField(
        min_value=1, max_value=services.MINUTES_MAX, help_text="Whole minutes, 1 to 1,440 (one day)."
    )

    class Meta:
        model = StatusBookEntry
        fields = ["id", "product", "author", "date", "category", "minutes", "text", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"text": {"max_length": services.TEXT_MAX, "allow_blank": False, "required": True}}

    def get_author(self, entry) -> str:
        """The username of the person who wrote it."""
        return entry.author.get_username()


class StatusBookFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    author = django_filters.CharFilter(field_name="author__username", max_length=150, label="A member's username.")
    category = django_filters.ChoiceFilter(choices=StatusBookEntry.Category.choices)

    class Meta:
        model = StatusBookEntry
        fields = ["portfolio", "product", "author", "category"]


# `from` is a Python keyword: these two are added by name.
StatusBookFilter.base_filters["from"] = django_filters.DateFilter(
    field_name="date", lookup_expr="gte", label="Work on or after this day."
)
StatusBookFilter.base_filters["to"] = django_filters.DateFilter(
    field_name="date", lookup_expr="lte", label="Work on or before this day."
)


def csv_lines(rows):
    """CSV lines (BOM first, so a spreadsheet reads UTF-8), a chunk at a time for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(services.CSV_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(value) for value in services.csv_row(row)])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- the balance --------------------------------------------------------------------------------------


class StatusBookBalanceQuery(serializers.Serializer):
    # "from" is a Python keyword: read in to_internal_value below.
    to = serializers.DateField(required=False)
    author = serializers.CharField(required=False, max_length=150)
    product = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    portfolio = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def to_internal_value(self, data):
        names = [*self.fields, "from"]
        empty = {name: EMPTY_VALUE for name in names if name in data and data.get(name) == ""}
        if empty:
            raise serializers.ValidationError(empty)
        values = super().to_internal_value(data)
        raw = data.get("from")
        if raw is not None:
            try:
                values["from"] = serializers.DateField().run_validation(raw)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"from": exc.detail}) from exc
        return values


class StatusBookCategoryBalance(serializers.Serializer):
    minutes = serializers.IntegerField(help_text="Minutes logged in this category.")
    share = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        help_text="Percent of all minutes logged, rounded half up to 2 decimals; 0 with nothing logged.",
    )
    range = serializers.ListField(
        child=serializers.IntegerField(), min_length=2, max_length=2, help_text="The recommended share: [low, high]."
    )
    in_range = serializers.BooleanField(
        help_text="The rounded share is within the range, both ends included; false with nothing logged."
    )


class StatusBookFigures(serializers.Serializer):
    total_minutes = serializers.IntegerField()
    daily = StatusBookCategoryBalance(help_text="Daily business, recommended 40–55 %.")
    short_term = StatusBookCategoryBalance(help_text="Short-term work, recommended 20–30 %.")
    long_term = StatusBookCategoryBalance(help_text="Long-term work, recommended 15–25 %.")


class StatusBookWeekBalance(StatusBookFigures):
    week_start = serializers.DateField(help_text="The Monday of the ISO week.")
    week = serializers.CharField(help_text="The ISO week, e.g. 2026-W11.")


class StatusBookBalanceSerializer(StatusBookFigures):
    # "from" is a Python keyword: added by name below.
    to = serializers.DateField(help_text="The last day of the period, included.")
    author = serializers.CharField(help_text="Whose entries: a username.")
    weeks = StatusBookWeekBalance(many=True, help_text="The same figures for each ISO week the period touches.")


StatusBookBalanceSerializer._declared_fields["from"] = serializers.DateField(help_text="The first day of the period.")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("category", "StatusBookCategoryEnum"),
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: every matching row, no pages."),
        ],
        responses={
            (200, "application/json"): StatusBookEntrySerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
)
class StatusBookViewSet(ListOnlyCSV, PortfolioScopedViewSet):
    """The product status book: what a product manager worked on, for which product, how long, and whether
    it was daily business, short-term or long-term work. Only its author or an admin changes an entry."""

    serializer_class = StatusBookEntrySerializer
    filterset_class = StatusBookFilter
    search_fields = ["text"]
    ordering_fields = ["date", "minutes", "category", "created_at", "id"]
    ordering = ["-date", "-id"]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, FeedbackCSVRenderer]

    def get_queryset(self):
        return queryset_for_user(self.request.user, services.entry_rows())

    def get_object(self):
        return services.entry_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")
        if request.accepted_renderer.format == "csv":
            return csv_list_response(
                self, request, lambda rows: csv_lines(rows.iterator(chunk_size=500)), "status-book.csv"
            )
        return super().list(request, *args, **kwargs)

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.ENTRY_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, StatusBookEntry, product.portfolio_id)
        entry = services.status_book_entry_create(
            product=product, author=self.request.user, actor=self.request.user, **self._fields(data)
        )
        serializer.instance = services.entry_for_user(self.request.user, entry.pk)

    def perform_update(self, serializer):
        services.status_book_entry_update(
            entry_id=serializer.instance.id, actor=self.request.user, **self._fields(dict(serializer.validated_data))
        )

    def perform_destroy(self, instance):
        services.status_book_entry_delete(entry_id=instance.id, actor=self.request.user)

    # --- the balance ----------------------------------------------------------------------------------

    def _zone_portfolio(self, query: dict):
        """The portfolio whose time zone says what "today" is."""
        portfolios = Portfolio.objects.filter(pk__in=list(access.roles_by_portfolio(self.request.user)))
        if "product" in query:
            found = portfolios.filter(products=query["product"]).first()
            if found is not None:
                return found
        if "portfolio" in query:
            found = portfolios.filter(pk=query["portfolio"]).first()
            if found is not None:
                return found
        return portfolios.order_by("id").first()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from",
                PERIOD_DAY,
                description="The first day (default: four weeks before `to`, or the last four weeks ending today "
                "in the portfolio's time zone).",
            ),
            OpenApiParameter(
                "to",
                PERIOD_DAY,
                description=f"The last day, included, on or after `from` (default: four weeks after `from`, or "
                f"today); a period of at most {services.PERIOD_MAX_DAYS} days.",
            ),
            OpenApiParameter(
                "author",
                {"type": "string", "minLength": 1, "maxLength": 150},
                description="Whose balance: a member's username (default: yours). Reads are open.",
            ),
            OpenApiParameter("product", ID_SCHEMA, description="Only the work on this product."),
            OpenApiParameter(
                "portfolio",
                ID_SCHEMA,
                description="Only the work in this portfolio (its time zone says what today is).",
            ),
        ],
        responses={200: StatusBookBalanceSerializer},
        description="The split of a person's logged time over a period against the recommended balance: daily "
        "business 40–55 %, short-term 20–30 %, long-term 15–25 %. Shares in percent of `total_minutes`, rounded "
        "half up to 2 decimals; `in_range` includes both ends and is judged on the rounded share. Nothing logged: "
        "`total_minutes` 0, every share 0 and no `in_range` true. `weeks`: the same per ISO week.",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def balance(self, request):
        query = StatusBookBalanceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        portfolio = self._zone_portfolio(q)
        today = services.today_in(portfolio) if portfolio else timezone.localdate()
        first, last = services.period_of(q.get("from"), q.get("to"), today=today)
        author = q.get("author", request.user.get_username())
        entries = self.get_queryset().filter(author__username=author)
        if "product" in q:
            entries = entries.filter(product_id=q["product"])
        if "portfolio" in q:
            entries = entries.filter(product__portfolio_id=q["portfolio"])
        entries = services.entries_in(entries, first=first, last=last)
        figures = services.balance(entries)
        weeks = services.weekly_trend(entries, first=first, last=last)
        body = {
            "from": first,
            "to": last,
            "author": author,
            **figures.as_dict(),
            "weeks": [week.as_dict() for week in weeks],
        }
        return Response(StatusBookBalanceSerializer(body).data)


def register(router) -> None:
    router.register("status-book", StatusBookViewSet, basename="status-book")


urlpatterns: list = []
