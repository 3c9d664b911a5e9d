"""`GET /api/v1/calendar/`: a portfolio's launch calendar as JSON, or as iCalendar with `format=ics`.

The window is `from`..`to` (both included; by default the current month in the portfolio's time zone;
either end alone gives the rest of its month), at most 13 months long. A portfolio you are not a member
of answers as an unknown one does, an empty calendar: the precedent of every id in a query parameter
(`/rollups/?portfolio=`, the lists' filters), so the parameter tells nothing about what exists.
"""

from django.http import HttpResponse
from django.urls import path
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, views
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from gtm import calendar
from gtm.selectors import today_in
from pmflow.api import representation_etag
from pmflow.fields import MAX_ID
from products.models import Portfolio

EMPTY_VALUE = "Give a value, or leave the parameter out."
KIND_SCHEMA = {"type": "string", "enum": list(calendar.KINDS)}


class ICalendarRenderer(BaseRenderer):
    """`format=ics`: the view renders the calendar itself; errors stay JSON (see `CalendarView`)."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class CalendarQuery(serializers.Serializer):
    portfolio = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    # "from" is a Python keyword: read in to_internal_value below.
    to = serializers.DateField(required=False)
    product = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    kind = serializers.MultipleChoiceField(choices=calendar.KIND_CHOICES, required=False)

    def to_internal_value(self, data):
        names = [*self.fields, "from"]
        empty = {name: EMPTY_VALUE for name in names if name in data and data.get(name) == ""}
        if empty:  # `?to=` is no date and `?product=` no product: not "no filter"
            raise serializers.ValidationError(empty)
        values = super().to_internal_value(data)
        raw = data.get("from")
        if raw is not None:
            try:
                values["from"] = serializers.DateField().run_validation(raw)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"from": exc.detail}) from exc
        return values

    def validate(self, attrs):
        first, last = attrs.get("from"), attrs.get("to")
        if first and last:
            if last < first:
                raise serializers.ValidationError({"to": "Must not be before from."})
            limit = calendar.window_limit(first)
            if last > limit:
                raise serializers.ValidationError(
                    {"to": f"At most {calendar.WINDOW_MONTHS} months after from: {limit.isoformat()} at the latest."}
                )
        return attrs


@extend_schema_field(KIND_SCHEMA)
class KindField(serializers.CharField):
    pass


class CalendarEntrySerializer(serializers.Serializer):
    """One entry (the schema of `calendar.Entry.as_json`)."""

    date = serializers.DateField(help_text="The first day.")
    end_date = serializers.DateField(help_text="The last day, included (equal to `date` for one day).")
    kind = KindField()
    title = serializers.CharField()
    object_id = serializers.IntegerField(help_text="The id of the launch plan, task, campaign, event or press item.")
    product = serializers.IntegerField(allow_null=True, help_text="The product; null for an event (see `products`).")
    products = serializers.ListField(
        child=serializers.IntegerField(), help_text="Every product it concerns: an event may name several."
    )
    status = serializers.CharField(
        allow_null=True,
        help_text="The object's status (a cancelled launch or campaign stays, as `cancelled`); null for events.",
    )
    overdue = serializers.BooleanField(help_text="A launch task due before today that is not done.")
    detail = serializers.CharField(help_text="A line of context: tier, launch and function, channel, location.")
    url = serializers.CharField(help_text="The page of the object (or of its list).")


def _absolute(request):
    return request.build_absolute_uri


class CalendarView(views.APIView):
    """A portfolio's launches, launch tasks, campaigns, events and press items in a window of days."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, ICalendarRenderer]

    def _as_ics(self, request) -> bool:
        renderer = getattr(request, "accepted_renderer", None)
        return renderer is not None and renderer.format == ICalendarRenderer.format

    def handle_exception(self, exc):
        # A refused `format=ics` request answers its error as JSON, as the schema documents.
        if self._as_ics(self.request):
            self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="calendar_list",
        parameters=[
            OpenApiParameter("portfolio", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, required=True),
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="The first day (default: the first of `to`'s month, or of the current month in "
                "the portfolio's time zone).",
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                description=f"The last day, included (default: the end of `from`'s month, or of the current "
                f"month); at most {calendar.WINDOW_MONTHS} months after `from`, less a day.",
            ),
            OpenApiParameter(
                "product",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                description="One product's entries (and the events that name it).",
            ),
            OpenApiParameter("kind", {"type": "array", "items": KIND_SCHEMA}, description="Only these kinds."),
            OpenApiParameter(
                "format",
                {"type": "string", "enum": ["json", "ics"]},
                description="`ics` answers text/calendar (RFC 5545): one all-day event per entry.",
            ),
        ],
        responses={
            (200, "application/json"): CalendarEntrySerializer(many=True),
            (200, "text/calendar"): OpenApiTypes.STR,
        },
    )
    def get(self, request):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or ics.")
        query = CalendarQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        portfolio = Portfolio.objects.filter(pk=q["portfolio"], memberships__user=request.user).first()
        found = []
        if portfolio is not None:
            first, last = _window(portfolio, q.get("from"), q.get("to"))
            found = calendar.entries(
                portfolio,
                first=first,
                last=last,
                today=today_in(portfolio),
                product_id=q.get("product"),
                kinds=q.get("kind"),
            )
        if self._as_ics(request):
            name = calendar.calendar_name(portfolio) if portfolio else "Launch calendar"
            body = calendar.ics(found, name=name, absolute=request.build_absolute_uri)
            return _conditional(request, body, content_type="text/calendar; charset=utf-8")
        data = [entry.as_json() for entry in found]
        etag = representation_etag(data)
        if _held(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})


def _window(portfolio, first, last):
    """The window asked for, its missing ends from the month of the other (or of today)."""
    if first is None and last is None:
        return calendar.month_window(today_in(portfolio))
    if first is None:
        return calendar.month_window(last)[0], last
    if last is None:
        return first, calendar.month_window(first)[1]
    return first, last


def _held(request, etag: str) -> bool:
    held = parse_etags(request.headers.get("If-None-Match", ""))
    return "*" in held or etag in held or f"W/{etag}" in held


def _conditional(request, body: bytes, *, content_type: str) -> HttpResponse:
    etag = representation_etag(body.decode("utf-8"))
    if _held(request, etag):
        response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    return response


def register(router) -> None:
    pass


urlpatterns = [path("calendar/", CalendarView.as_view(), name="api-calendar")]
