"""`/api/v1/campaigns/`: campaigns with budget and spend (the contract's fields, the owner by username like
roadmap items, read-only `remaining` and `over_budget`), `?format=csv`, and `GET …/budget/`: budget vs
spend per quarter of the start date and per launch plan."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from gtm import budget
from gtm.models import Campaign, LaunchPlan
from gtm.services import campaigns as services
from pmflow.access import queryset_for_user, require
from pmflow.api import ListOnlyCSV, PortfolioScopedViewSet, csv_list_response
from pmflow.fields import MAX_ID, BoundedDecimalField, StrictStrings
from products.api.filters import IdFilter, StrictFilterSet
from products.api.serializers import ScopedPrimaryKeyField
from products.models import Segment
from products.selectors import product_list_for_user
from roadmap.api.serializers import OwnerField, StaysInProduct
from roadmap.api.views import ProductLockedFirst, RoadmapCSVRenderer
from roadmap.services.items import DATE_YEARS, owner_by_username

# The years the services take (1900 to 2200), stated in the schema.
CAMPAIGN_DATE = {
    "type": "string",
    "format": "date",
    "pattern": "^(19[0-9]{2}|2[01][0-9]{2}|2200)-",
    "description": f"Between the years {DATE_YEARS[0]} and {DATE_YEARS[1]}.",
}


YEAR_SCHEMA = {"type": "integer", "minimum": DATE_YEARS[0], "maximum": DATE_YEARS[1]}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


@extend_schema_field(CAMPAIGN_DATE)
class CampaignDateField(serializers.DateField):
    """A campaign's start or end; the years are the service's rule, the schema states them."""


def _plans(user):
    return queryset_for_user(user, LaunchPlan.objects.select_related("product"))


def _segments(user):
    return queryset_for_user(user, Segment.objects.all())


def money_field(**kwargs):
    # The column's 14 digits with 2 places, rounded to them as every amount of the API is (an event's cost,
    # the roadmap's numbers): the schema states no decimal places, so 12.345 is a valid number to send.
    return BoundedDecimalField(14, 2, round_places=True, min_value=0, help_text="≥ 0, rounded to cents.", **kwargs)


class CampaignSerializer(StaysInProduct, StrictStrings, serializers.ModelSerializer):
    product = ScopedPrimaryKeyField(product_list_for_user)
    launch_plan = ScopedPrimaryKeyField(_plans, allow_null=True, required=False)
    segment = ScopedPrimaryKeyField(_segments, allow_null=True, required=False)
    owner = OwnerField()
    start_date = CampaignDateField()
    end_date = CampaignDateField(help_text="On or after `start_date`.")
    budget = money_field(required=False)
    spend = money_field(required=False)
    remaining = serializers.DecimalField(
        24, 2, read_only=True, coerce_to_string=False, help_text="budget − spend (negative when over budget)."
    )
    over_budget = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "product",
            "launch_plan",
            "name",
            "description",
            "channel",
            "segment",
            "owner",
            "start_date",
            "end_date",
            "budget",
            "spend",
            "status",
            "remaining",
            "over_budget",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The service's bounds, stated in the schema.
        extra_kwargs = {"description": {"max_length": 20_000}}

    def get_over_budget(self, campaign) -> bool:
        return campaign.spend > campaign.budget


class BudgetTotal(serializers.Serializer):
    budget = serializers.DecimalField(24, 2, coerce_to_string=False)
    spend = serializers.DecimalField(24, 2, coerce_to_string=False)
    remaining = serializers.DecimalField(24, 2, coerce_to_string=False, help_text="budget − spend")
    over_budget = serializers.BooleanField()
    campaigns = serializers.IntegerField(help_text="How many campaigns count here.")


class BudgetQuarter(BudgetTotal):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class BudgetLaunchPlan(BudgetTotal):
    launch_plan = serializers.IntegerField(allow_null=True, help_text="Null: the campaigns without a launch plan.")
    name = serializers.CharField()


class Budget(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    total = BudgetTotal()
    quarters = BudgetQuarter(many=True)
    launch_plans = BudgetLaunchPlan(many=True)


@extend_schema_field(YEAR_SCHEMA)
class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=DATE_YEARS[0], max_value=DATE_YEARS[1], **kwargs)


class CampaignFilter(StrictFilterSet):
    portfolio = IdFilter(field_name="product__portfolio")
    product = IdFilter()
    launch_plan = IdFilter()
    segment = IdFilter()
    owner = django_filters.CharFilter(field_name="owner__username", max_length=150)
    channel = django_filters.ChoiceFilter(choices=Campaign.Channel.choices)
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices)
    year = YearFilter(field_name="start_date__year", label="Campaigns starting in this year.")

    class Meta:
        model = Campaign
        fields = ["portfolio", "product", "launch_plan", "segment", "owner", "channel", "status", "year"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: every matching campaign, no pages."
            )
        ],
        responses={(200, "application/json"): CampaignSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class CampaignViewSet(ProductLockedFirst, ListOnlyCSV, PortfolioScopedViewSet):
    """Campaigns of a product (optionally of one of its launch plans) with budget and spend. Spend above
    budget is allowed and flagged (`over_budget`)."""

    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    search_fields = ["name"]
    ordering_fields = ["start_date", "end_date", "budget", "spend", "remaining", "name", "created_at", "id"]
    ordering = ["start_date", "name", "id"]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, RoadmapCSVRenderer]

    def get_queryset(self):
        return budget.campaign_list_for_user(self.request.user)

    def get_object(self):
        return budget.campaign_for_user(
            self.request.user, self.kwargs["pk"], write=self.request.method not in permissions.SAFE_METHODS
        )

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format", None) == "":
            raise NotFound("Unknown format: use json or csv.")
        if request.accepted_renderer.format == "csv":
            return csv_list_response(
                self, request, lambda rows: budget.csv_lines(rows.iterator(chunk_size=500)), "campaigns.csv"
            )
        return super().list(request, *args, **kwargs)

    def _fields(self, data: dict, product) -> dict:
        fields = {k: v for k, v in data.items() if k in services.CAMPAIGN_FIELDS}
        if "owner" in fields:
            fields["owner"] = owner_by_username(portfolio_id=product.portfolio_id, username=fields["owner"])
        return fields

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        product = data.pop("product")
        require(self.request.user, Campaign, product.portfolio_id)
        campaign = services.campaign_create(product=product, actor=self.request.user, **self._fields(data, product))
        serializer.instance = budget.campaign_for_user(self.request.user, campaign.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("product", None)
        campaign = serializer.instance
        services.campaign_update(
            campaign_id=campaign.id, actor=self.request.user, **self._fields(data, campaign.product)
        )

    def perform_destroy(self, instance):
        services.campaign_delete(campaign_id=instance.id, actor=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("portfolio", ID_SCHEMA, description="The campaigns of this portfolio."),
            OpenApiParameter("launch_plan", ID_SCHEMA, description="The campaigns of this launch plan."),
            OpenApiParameter("product", ID_SCHEMA),
            OpenApiParameter("segment", ID_SCHEMA),
            OpenApiParameter("owner", str, description="A member's username."),
            OpenApiParameter("channel", str, enum=Campaign.Channel.values),
            OpenApiParameter("status", str, enum=Campaign.Status.values),
            OpenApiParameter(
                "year",
                YEAR_SCHEMA,
                description="The campaigns starting in this year; the quarters are its four.",
            ),
            OpenApiParameter("search", str, description="In the campaigns' names."),
        ],
        responses={200: Budget},
        description="Budget vs spend of the campaigns the filters select (`portfolio`, `launch_plan`, `product`, "
        "`channel`, `status`, `segment`, `year`, `search`): `quarters` by the quarter of each campaign's "
        "`start_date` (with `year`, quarters 1–4 of it, empty ones at zero; without, the quarters that have "
        "campaigns), `launch_plans` by launch date, then the campaigns without one (`launch_plan` null).",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def budget(self, request):
        campaigns = self.filter_queryset(self.get_queryset())
        year = request.query_params.get("year")
        year = int(year) if year else None  # the filter has checked it (a whole year, 1900–2200)
        quarters = budget.budget_vs_spend(campaigns, by="quarter", year=year)
        plans = budget.budget_vs_spend(campaigns, by="launch_plan")
        body = {
            "year": year,
            "total": budget.totals(quarters).as_dict(),
            "quarters": [{"year": r.year, "quarter": r.quarter, **r.as_dict()} for r in quarters],
            "launch_plans": [{"launch_plan": r.launch_plan, "name": r.label, **r.as_dict()} for r in plans],
        }
        return Response(Budget(body).data)


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")


urlpatterns: list = []
