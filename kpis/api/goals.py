"""The goals and key results API (API-CONTRACT.md, "Strategic"): key results read their KPI's rollups.

- `/api/v1/goals/`: a product's goals for a period; read-only `progress` (the mean of its key results',
  an unmeasured one counting 0), `health` (its worst key result's), `elapsed` (the share of its period
  gone, in percent) and `key_results` (ids).
- `/api/v1/key-results/`: `kpi` (nullable, a KPI of the same portfolio measuring no other key result)
  and `manual_value` (used only without a KPI); read-only `current_value`, `current_period_start` (the
  KPI period it is of; null for a manual value), `progress`, `health` and `product`.

The rules (how values, progress and health are worked out) are kpis.key_results'; the writes are
products.services.goals' and kpis.services.key_results' (the KPI link). A list works out the values of
a whole page at once: the same number of queries for 5 or 500 key results. `?format=csv` on both lists.
"""

from zoneinfo import ZoneInfo

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from kpis import key_results as values
from kpis.goal_exports import CSV_CHUNK, goal_csv_lines, key_result_csv_lines
from kpis.models import Health
from kpis.selectors import kpi_list_for_user
from kpis.services import key_results as links
from pmflow.access import object_for_user, queryset_for_user, require, roles_by_portfolio
from pmflow.api import ListOnlyCSV, PortfolioScopedViewSet, csv_list_response
from pmflow.fields import BoundedDecimalField, StrictStrings
from products.api.filters import BooleanFilter, IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Goal, KeyResult, Portfolio
from products.selectors import product_list_for_user
from products.services import goals as services
from roadmap.api.serializers import PLAUSIBLE_DATE, StaysInProduct
from roadmap.api.views import RoadmapCSVRenderer


@extend_schema_field({**PLAUSIBLE_DATE, "nullable": False})
class PeriodDayField(serializers.DateField):
    """A required day of the goal's period; the years (1900–2200) are the service's rule."""


def _value_field(**kwargs):
    # The columns' (20, 6), rounded to six places as every value of the API is.
    return BoundedDecimalField(20, 6, round_places=True, **kwargs)


def _goals_of(user):
    return queryset_for_user(user, Goal.objects.select_related("product"))


def _period_zones(user) -> dict:
    rows = Portfolio.objects.filter(pk__in=list(roles_by_portfolio(user))).values_list("id", "timezone")
    return {portfolio_id: ZoneInfo(name) for portfolio_id, name in rows}


# --- goals ----------------------------------------------------------------------------------------------


class GoalListSerializer(serializers.ListSerializer):
    """Works out the values of every goal of a page together (kpis.key_results.goal_values)."""

    def to_representation(self, data):
        goals = list(data.all() if hasattr(data, "all") else data)
        self.child.standings = values.goal_values(goals)[0]
        return super().to_representation(goals)


class GoalSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    period_start = PeriodDayField()
    period_end = PeriodDayField(help_text="On or after `period_start`.")
    progress = serializers.FloatField(
        source="standing.progress",
        read_only=True,
        allow_null=True,
        help_text="0–100: the mean of its key results' progress (one without a value counts 0); null "
        "without key results.",
    )
    health = serializers.ChoiceField(
        source="standing.health",
        choices=Health.choices,
        read_only=True,
        help_text="Its worst key result's health (off_track, at_risk, on_track); no_data while none is judged.",
    )
    elapsed = serializers.FloatField(
        source="standing.elapsed", read_only=True, help_text="The share of the period gone by today, in percent."
    )
    key_results = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Goal
        list_serializer_class = GoalListSerializer
        fields = [
            "id",
            "product",
            "title",
            "description",
            "period_start",
            "period_end",
            "progress",
            "health",
            "elapsed",
            "key_results",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"description": {"max_length": services.TEXT_MAX}}

    def to_representation(self, instance):
        standings = getattr(self, "standings", None)
        if standings is None or instance.pk not in standings:
            standings = values.goal_values([_goal_loaded(instance)])[0]
        instance.standing = standings[instance.pk]
        return super().to_representation(instance)


def _goal_loaded(goal: Goal) -> Goal:
    return values.goals_loaded(Goal.objects.filter(pk=goal.pk)).get()


class GoalFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    period = django_filters.ChoiceFilter(
        choices=[(p, p) for p in values.PERIODS],
        method="filter_period",
        label="current: the period holds today (in the portfolio's time zone); past; upcoming; all.",
    )

    class Meta:
        model = Goal
        fields = ["portfolio", "product", "period"]

    def filter_period(self, queryset, name, value):
        return queryset.filter(values.period_condition(value, _period_zones(self.request.user)))


class CSVListMixin(ListOnlyCSV):
    """`?format=csv` on the list only (every matching row, no pages); elsewhere it is a 404."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, RoadmapCSVRenderer]
    csv_name = ""

    def csv_lines(self, rows):
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")
        if request.accepted_renderer.format == "csv":
            return csv_list_response(self, request, self.csv_lines, f"{self.csv_name}.csv")
        return super().list(request, *args, **kwargs)


def _csv_list(serializer, name: str):
    return extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["json", "csv"], description=f"`csv`: every matching {name}.")
        ],
        responses={(200, "application/json"): serializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )


@extend_schema_view(list=_csv_list(GoalSerializer, "goal"))
class GoalViewSet(CSVListMixin, PortfolioScopedViewSet):
    """A product's goals for a period, with the progress and health of their key results."""

    serializer_class = GoalSerializer
    filterset_class = GoalFilter
    search_fields = ["title", "description"]
    ordering_fields = ["period_start", "period_end", "title", "created_at", "id"]
    ordering = ["-period_start", "title", "id"]
    csv_name = "goals"

    def get_queryset(self):
        return queryset_for_user(self.request.user, values.goals_loaded())

    def get_object(self):
        action = "write" if self.request.method not in permissions.SAFE_METHODS else "read"
        return object_for_user(self.request.user, values.goals_loaded(), self.kwargs["pk"], action=action)

    def csv_lines(self, rows):
        return goal_csv_lines(rows.iterator(chunk_size=CSV_CHUNK))

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.GOAL_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, Goal, product.portfolio_id)
        goal = services.goal_create(product=product, actor=self.request.user, **self._fields(data))
        serializer.instance = object_for_user(self.request.user, values.goals_loaded(), goal.pk)

    def perform_update(self, serializer):
        services.goal_update(
            goal_id=serializer.instance.id, actor=self.request.user, **self._fields(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.goal_delete(goal_id=instance.id, actor=self.request.user)


# --- key results ----------------------------------------------------------------------------------------


class KPIReference(ScopedPrimaryKeyField):
    """The KPI measuring the key result (held by the KPI: `KPI.key_result`), by id."""

    def use_pk_only_optimization(self):
        return False

    def get_attribute(self, instance):
        return values.kpi_of(instance)

    def to_representation(self, value):
        return value.pk


class KeyResultListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        key_results = list(data.all() if hasattr(data, "all") else data)
        self.child.standings = values.key_result_values(key_results)
        return super().to_representation(key_results)


class KeyResultSerializer(StrictStrings, serializers.ModelSerializer):
    goal = ScopedPrimaryKeyField(_goals_of)
    product = serializers.IntegerField(source="goal.product_id", read_only=True, help_text="The goal's product.")
    kpi = KPIReference(
        kpi_list_for_user,
        allow_null=True,
        required=False,
        help_text="The KPI that measures it (of the same portfolio; a KPI measures one key result). Null: "
        "measured by hand (`manual_value`).",
    )
    start_value = _value_field(required=False, help_text="Where it starts (default 0).")
    target_value = _value_field(
        help_text="Where it should be by the end of the goal's period; below the start "
        "for a falling target (churn from 8 to 4)."
    )
    manual_value = _value_field(
        required=False, allow_null=True, help_text="The value reported by hand: used only without a KPI."
    )
    current_value = serializers.DecimalField(
        20 + 8,
        6,
        source="standing.current",
        read_only=True,
        allow_null=True,
        help_text="With a KPI, its latest complete period at its target granularity; without, `manual_value`.",
    )
    current_period_start = serializers.DateField(
        source="standing.period_start",
        read_only=True,
        allow_null=True,
        help_text="The KPI period `current_value` is of; null for a manual value.",
    )
    progress = serializers.FloatField(
        source="standing.progress",
        read_only=True,
        allow_null=True,
        help_text="0–100: (current − start) ÷ (target − start), clamped; null without a value.",
    )
    health = serializers.ChoiceField(
        source="standing.health",
        choices=Health.choices,
        read_only=True,
        help_text="With a KPI that has a target, the KPI's health for that period; else progress against the "
        "share of the goal's period gone (on track up to 10 points behind, at risk up to 25).",
    )

    class Meta:
        model = KeyResult
        list_serializer_class = KeyResultListSerializer
        fields = [
            "id",
            "goal",
            "product",
            "title",
            "kpi",
            "start_value",
            "target_value",
            "manual_value",
            "current_value",
            "current_period_start",
            "progress",
            "health",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "goal" in attrs and attrs["goal"].id != self.instance.goal_id:
            raise serializers.ValidationError({"goal": "A key result cannot move to another goal."})
        return attrs

    def to_representation(self, instance):
        standings = getattr(self, "standings", None)
        if standings is None or instance.pk not in standings:
            loaded = values.key_results_loaded(KeyResult.objects.filter(pk=instance.pk)).get()
            standings = values.key_result_values([loaded])
        instance.standing = standings[instance.pk]
        return super().to_representation(instance)


class KeyResultFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="goal__product__portfolio")
    product = IdFilter(field_name="goal__product")
    goal = IdFilter()
    kpi = IdFilter(field_name="kpi")
    measured = BooleanFilter(method="filter_measured", label="true: measured by a KPI; false: by hand.")
    period = django_filters.ChoiceFilter(
        choices=[(p, p) for p in values.PERIODS],
        method="filter_period",
        label="By the goal's period: current (holds today), past, upcoming, all.",
    )

    class Meta:
        model = KeyResult
        fields = ["portfolio", "product", "goal", "kpi", "measured", "period"]

    def filter_period(self, queryset, name, value):
        return queryset.filter(values.period_condition(value, _period_zones(self.request.user), prefix="goal__"))

    def filter_measured(self, queryset, name, value):
        return queryset.filter(kpi__isnull=not value)


_UNCHANGED = links.UNCHANGED


@extend_schema_view(list=_csv_list(KeyResultSerializer, "key result"))
class KeyResultViewSet(CSVListMixin, PortfolioScopedViewSet):
    """Key results of goals: measured by a KPI (its rollups give the current value, progress and health)
    or by hand (`manual_value`)."""

    serializer_class = KeyResultSerializer
    filterset_class = KeyResultFilter
    search_fields = ["title"]
    ordering_fields = ["title", "start_value", "target_value", "created_at", "id"]
    ordering = ["goal_id", "title", "id"]
    csv_name = "key-results"

    def get_queryset(self):
        return queryset_for_user(self.request.user, values.key_results_loaded())

    def get_object(self):
        action = "write" if self.request.method not in permissions.SAFE_METHODS else "read"
        return object_for_user(self.request.user, values.key_results_loaded(), self.kwargs["pk"], action=action)

    def csv_lines(self, rows):
        return key_result_csv_lines(rows.iterator(chunk_size=CSV_CHUNK))

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: value for name, value in data.items() if name in services.KEY_RESULT_FIELDS}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        goal = data.pop("goal")
        require(self.request.user, KeyResult, goal.product.portfolio_id)
        key_result = links.key_result_save(
            goal=goal, actor=self.request.user, kpi=data.get("kpi", _UNCHANGED), **self._fields(data)
        )
        serializer.instance = object_for_user(self.request.user, values.key_results_loaded(), key_result.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        links.key_result_save(
            key_result_id=serializer.instance.id,
            actor=self.request.user,
            kpi=data.get("kpi", _UNCHANGED),
            **self._fields(data),
        )

    def perform_destroy(self, instance):
        services.key_result_delete(key_result_id=instance.id, actor=self.request.user)


def register(router) -> None:
    router.register("goals", GoalViewSet, basename="goal")
    router.register("key-results", KeyResultViewSet, basename="key-result")


urlpatterns: list = []
