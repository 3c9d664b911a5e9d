"""The signals API (an extension of API-CONTRACT.md, "Lifecycle automation and events").

- `GET /api/v1/signals/`, `GET /api/v1/signals/{id}/`: read-only; signals are opened and resolved by the
  detector (kpis.signals, kpis.services.signals), never written by a client. Fields `id`, `portfolio`,
  `product`, `kind` (`campaign_low_conversion` | `low_usage_despite_spend` |
  `off_track_after_competitor_move`), `subject_key`, `message`, `evidence` (the rule in words, the facts and
  `series`: the KPI rows behind it), `kpi`, `campaign`, `launch_plan`, `competitor_move` (ids or null),
  `opened_at`, `updated_at` (the evidence's last refresh), `resolved_at`, `is_open`.
- Filters `portfolio`, `product`, `kind`, `open` (true | false), `kpi`, `campaign`, `launch_plan`,
  `competitor_move`; `?ordering=` on `opened_at`, `resolved_at`, `updated_at`, `id` (newest first by default);
  `?search=` in the message; `?format=csv` (every matching signal, the evidence left out).
"""

import django_filters
from django.db.models import BooleanField, Case, Value, When
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from kpis.models import Signal
from pmflow import access
from pmflow.api import PortfolioScopedViewSet
from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from products.api.market import CSVListMixin

CSV_COLUMNS = [
    "id",
    "kind",
    "product",
    "product_name",
    "message",
    "kpi",
    "campaign",
    "launch_plan",
    "competitor_move",
    "opened_at",
    "resolved_at",
    "is_open",
]


def signals_queryset():
    """Signals with what their rows and pages name, and `is_open` as a column (to filter and sort on)."""
    return Signal.objects.select_related(
        "portfolio", "product", "kpi", "campaign", "launch_plan", "competitor_move__competitor"
    ).annotate(
        is_open=Case(
            When(resolved_at__isnull=True, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def signal_csv_rows(signals):
    """The CSV's rows (CSV_COLUMNS), one per signal."""
    for signal in signals:
        yield [
            signal.id,
            signal.kind,
            signal.product_id,
            signal.product.name,
            signal.message,
            signal.kpi_id,
            signal.campaign_id,
            signal.launch_plan_id,
            signal.competitor_move_id,
            signal.opened_at.isoformat(),
            signal.resolved_at.isoformat() if signal.resolved_at else None,
            "true" if signal.resolved_at is None else "false",
        ]


class SignalSerializer(serializers.ModelSerializer):
    is_open = serializers.SerializerMethodField()
    evidence = serializers.JSONField(
        read_only=True,
        help_text="Why it holds: `rule` (in words), the facts (`campaign`, `launch_plan` or `competitor_move`), "
        "`series`: [{`kpi`: {id, key, name, unit}, `granularity`, `rows`: [{period_start, value, target, "
        "health}]}]; when resolved, `resolution` says why.",
    )

    class Meta:
        model = Signal
        fields = [
            "id",
            "portfolio",
            "product",
            "kind",
            "subject_key",
            "message",
            "evidence",
            "kpi",
            "campaign",
            "launch_plan",
            "competitor_move",
            "opened_at",
            "updated_at",
            "resolved_at",
            "is_open",
        ]
        read_only_fields = fields

    def get_is_open(self, signal) -> bool:
        """True while its condition holds (`resolved_at` null)."""
        return signal.resolved_at is None


class SignalFilter(StrictFilterSet):
    portfolio = IdFilter()
    product = IdFilter()
    kpi = IdFilter()
    campaign = IdFilter()
    launch_plan = IdFilter()
    competitor_move = IdFilter()
    kind = django_filters.ChoiceFilter(choices=Signal.Kind.choices)
    open = BooleanFilter(field_name="is_open", label="true: open signals; false: resolved ones.")

    class Meta:
        model = Signal
        fields = ["portfolio", "product", "kind", "open", "kpi", "campaign", "launch_plan", "competitor_move"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: every matching signal (no evidence)."
            )
        ],
        responses={(200, "application/json"): SignalSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class SignalViewSet(CSVListMixin, PortfolioScopedViewSet):
    """Cross-functional signals: where a campaign's conversion, a launch's usage or a KPI after a competitor
    move disagree with plan, each with the KPI rows behind it. Read-only: the detector opens and resolves them."""

    http_method_names = ["get", "head", "options"]
    serializer_class = SignalSerializer
    filterset_class = SignalFilter
    search_fields = ["message"]
    ordering_fields = ["opened_at", "resolved_at", "updated_at", "id"]
    ordering = ["-opened_at", "-id"]
    csv_name = "signals"

    def get_queryset(self):
        return access.queryset_for_user(self.request.user, signals_queryset())

    def csv_rows(self, queryset):
        return CSV_COLUMNS, signal_csv_rows(queryset.iterator(chunk_size=500))


urlpatterns = []


def register(router) -> None:
    router.register("signals", SignalViewSet, basename="api-signal")  # "signal-list" is the page
