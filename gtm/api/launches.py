"""The launch API: launch templates, launch plans (with `launch` and `cancel`) and launch tasks
(API-CONTRACT.md, "Go-to-market"). Views translate HTTP to gtm.services.launches calls; every write
takes the product's lock first (lock order: product → launch plan → its tasks)."""

from collections.abc import Mapping

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.fields import BooleanField
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from gtm import exports
from gtm.api import launch_filters as filters
from gtm.api.launch_serializers import (
    CancelInput,
    LaunchInput,
    LaunchPlanSerializer,
    LaunchPlanUpdateSerializer,
    LaunchTaskSerializer,
    LaunchTemplateSerializer,
    OpenTasks,
)
from gtm.models import LaunchPlan, LaunchTask, LaunchTemplate
from gtm.selectors import (
    launch_plan_for_user,
    launch_plan_list_for_user,
    launch_task_for_user,
    launch_task_list_for_user,
    launch_template_for_user,
    launch_template_list_for_user,
)
from gtm.services import launches as services
from pmflow.access import require
from pmflow.api import ListOnlyCSV, PortfolioScopedViewSet, csv_list_response, representation_etag
from pmflow.openapi import enum_parameter, error_response
from roadmap.api.views import ProductLockedFirst, RoadmapCSVRenderer
from roadmap.services import owner_by_username


def _write(request) -> bool:
    return request.method not in permissions.SAFE_METHODS


def _owner(fields: dict, portfolio_id: int) -> dict:
    if "owner" in fields:
        fields["owner"] = owner_by_username(portfolio_id=portfolio_id, username=fields["owner"])
    return fields


# --- templates -----------------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(parameters=[enum_parameter("tier", "TierEnum")]))
class LaunchTemplateViewSet(PortfolioScopedViewSet):
    """A portfolio's launch checklists, one per kind of launch; a plan made from one copies its tasks,
    each due `offset_days` after the plan's launch date."""

    serializer_class = LaunchTemplateSerializer
    filterset_class = filters.LaunchTemplateFilter
    search_fields = ["name"]
    ordering_fields = ["name", "tier", "created_at", "id"]

    def get_queryset(self):
        return launch_template_list_for_user(self.request.user)

    def get_object(self):
        return launch_template_for_user(self.request.user, self.kwargs["pk"], write=_write(self.request))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        portfolio = data.pop("portfolio")
        require(self.request.user, LaunchTemplate, portfolio.id)
        template = services.launch_template_create(portfolio=portfolio, actor=self.request.user, **data)
        serializer.instance = launch_template_for_user(self.request.user, template.pk)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k in (*services.TEMPLATE_FIELDS, "tasks")}
        services.launch_template_update(template_id=serializer.instance.id, actor=self.request.user, **data)

    def perform_destroy(self, instance):
        services.launch_template_delete(template_id=instance.id, actor=self.request.user)


# --- plans ---------------------------------------------------------------------------------------------


def _asks_override(data) -> bool:
    """Whether the body asks for an override, read before the body is validated (the role comes first)."""
    if not isinstance(data, Mapping):
        return False
    value = data.get("override")
    try:
        return value in BooleanField.TRUE_VALUES
    except TypeError:  # an unhashable value ({} or []): not a yes, the serializer's 400
        return False


@extend_schema_view(
    list=extend_schema(
        parameters=[enum_parameter("status", "LaunchPlanStatusEnum"), enum_parameter("tier", "TierEnum")]
    ),
    update=extend_schema(request=LaunchPlanUpdateSerializer, responses={200: LaunchPlanSerializer}),
    partial_update=extend_schema(request=LaunchPlanUpdateSerializer, responses={200: LaunchPlanSerializer}),
)
class LaunchPlanViewSet(ProductLockedFirst, PortfolioScopedViewSet):
    """Launch plans of a product: launch date, tier, owner, and a readiness computed from the required
    tasks of their checklist (`status` is `ready` exactly while it is 100)."""

    serializer_class = LaunchPlanSerializer
    filterset_class = filters.LaunchPlanFilter
    search_fields = ["name"]
    ordering_fields = ["launch_date", "readiness", "name", "created_at", "id"]
    ordering = ["launch_date", "id"]

    def get_queryset(self):
        return launch_plan_list_for_user(self.request.user)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return LaunchPlanUpdateSerializer
        return LaunchPlanSerializer

    def get_object(self):
        return launch_plan_for_user(self.request.user, self.kwargs["pk"], write=_write(self.request))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        template = data.pop("template", None)
        require(self.request.user, LaunchPlan, product.portfolio_id)
        fields = _owner({k: v for k, v in data.items() if k in services.PLAN_FIELDS}, product.portfolio_id)
        plan = services.launch_plan_create(product=product, actor=self.request.user, template=template, **fields)
        serializer.instance = launch_plan_for_user(self.request.user, plan.pk)

    def perform_update(self, serializer):
        plan = serializer.instance
        data = {k: v for k, v in serializer.validated_data.items() if k in services.PLAN_FIELDS}
        services.launch_plan_update(plan_id=plan.id, actor=self.request.user, **_owner(data, plan.product.portfolio_id))

    def perform_destroy(self, instance):
        services.launch_plan_delete(plan_id=instance.id, actor=self.request.user)

    def _answer(self, request, pk):
        data = LaunchPlanSerializer(launch_plan_for_user(request.user, pk), context={"request": request}).data
        return Response(data, headers={"ETag": representation_etag(data)})

    @extend_schema(
        request=LaunchInput,
        responses={
            200: LaunchPlanSerializer,
            403: error_response("Your role may not launch, or may launch but not override (marketers)."),
            409: OpenApiResponse(
                OpenTasks,
                description="Required tasks are not done (`open_tasks` lists them), or the plan is already "
                "launched or cancelled (`plan_closed`).",
            ),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def launch(self, request, pk=None):
        """Launch the plan now. With required tasks open it is a 409 listing them, unless `override` with
        a `reason` (admins and product managers; the reason is kept with the plan)."""
        plan = launch_plan_for_user(request.user, pk, action="launch")
        if _asks_override(request.data):
            require(request.user, LaunchPlan, plan.access_portfolio_id, "override")
        body = LaunchInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.launch_plan_launch(plan_id=plan.id, actor=request.user, **body.validated_data)
        return self._answer(request, pk)

    @extend_schema(
        request=CancelInput,
        responses={
            200: LaunchPlanSerializer,
            409: OpenApiResponse(OpenTasks, description="Already launched or cancelled (`plan_closed`)."),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        """Cancel the plan with a `reason` (kept with it). Its tasks stay as they are."""
        plan = launch_plan_for_user(request.user, pk, action="cancel")
        body = CancelInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.launch_plan_cancel(plan_id=plan.id, actor=request.user, **body.validated_data)
        return self._answer(request, pk)


# --- tasks ---------------------------------------------------------------------------------------------


class PlanLockedFirst:
    """Task writes lock their plan before the task (lock order: product → plan → its tasks): the base
    class locks the task for the If-Match check, the service then the plan, while a launch-date move
    holds the plan and rewrites its tasks' due dates."""

    def lock_first(self, instance) -> None:
        list(LaunchPlan.objects.select_for_update().filter(pk=instance.launch_plan_id).values_list("pk"))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            enum_parameter("status", "LaunchTaskStatusEnum"),
            enum_parameter("function", "FunctionEnum"),
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: every matching task, no pages."),
        ],
        responses={(200, "application/json"): LaunchTaskSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class LaunchTaskViewSet(PlanLockedFirst, ListOnlyCSV, PortfolioScopedViewSet):
    """The checklist of launch plans: who does what by when, by function. A required task's status moves
    its plan's readiness; `blocked` needs a `blocked_reason`."""

    serializer_class = LaunchTaskSerializer
    filterset_class = filters.LaunchTaskFilter
    search_fields = ["title"]
    ordering_fields = ["due_date", "position", "title", "status", "created_at", "id"]
    ordering = ["launch_plan_id", "position", "id"]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, RoadmapCSVRenderer]

    def get_queryset(self):
        return launch_task_list_for_user(self.request.user)

    def get_object(self):
        return launch_task_for_user(self.request.user, self.kwargs["pk"], write=_write(self.request))

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")
        if request.accepted_renderer.format == "csv":
            return csv_list_response(
                self, request, lambda rows: exports.task_csv_lines(rows.iterator(chunk_size=500)), "launch-tasks.csv"
            )
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        plan = data.pop("launch_plan")
        portfolio_id = plan.product.portfolio_id
        require(self.request.user, LaunchTask, portfolio_id)
        fields = _owner({k: v for k, v in data.items() if k in services.TASK_FIELDS}, portfolio_id)
        task = services.launch_task_create(launch_plan=plan, actor=self.request.user, **fields)
        serializer.instance = launch_task_for_user(self.request.user, task.pk)

    def perform_update(self, serializer):
        task = serializer.instance
        data = {k: v for k, v in serializer.validated_data.items() if k in services.TASK_FIELDS}
        services.launch_task_update(
            task_id=task.id, actor=self.request.user, **_owner(data, task.launch_plan.product.portfolio_id)
        )

    def perform_destroy(self, instance):
        services.launch_task_delete(task_id=instance.id, actor=self.request.user)


def register(router) -> None:
    router.register("launch-templates", LaunchTemplateViewSet, basename="launch-template")
    router.register("launch-plans", LaunchPlanViewSet, basename="launch-plan")
    router.register("launch-tasks", LaunchTaskViewSet, basename="launch-task")


urlpatterns: list = []
