"""Portfolio analysis: products by stage, revenue share and trend, and the extend / retire flags.

- `GET /api/v1/portfolio-analysis/?portfolio=` or `?product_line=` (exactly one, else 400): the contract's
  `products: [{"id", "stage", "revenue_share", "revenue_trend"}]` and `flags: [{"kind", "product"?,
  "segment"?, "reason", "evidence"}]`, plus `portfolio`, `product_line`, `as_of` (today in the portfolio's
  time zone), `quarters` (the 4 complete quarters of the share), `total_revenue`, `settings` (the thresholds
  used); each product also `name`, `product_line`, `revenue`; each flag also `basis` (`segment` | `demand` |
  `revenue`: the rule behind it) and `name`. `product` and `segment` are always present, one of them null.
  A portfolio or line you are not a member of answers as an unknown one does: `{"products": [], "flags": []}`
  with the other keys null or empty (the precedent of `/rollups/?portfolio=` and `/calendar/?portfolio=`).
  `ETag` and `If-None-Match` → 304. The definitions are kpis.analysis's.
- `GET`/`PUT`/`PATCH /api/v1/portfolios/{id}/analysis-settings/`: the portfolio's thresholds (made with the
  defaults when first read); admins change them (the role is checked before the body is read); `ETag`,
  `If-Match` → 412. The rules are products.services.analysis_settings's.
"""

from django.db import transaction
from django.urls import path
from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, views
from rest_framework.response import Response

from kpis import analysis
from pmflow import access
from pmflow.access import require
from pmflow.api import StaleObject, representation_etag, request_if_match
from pmflow.fields import MAX_ID, BoundedDecimalField, BoundedIntegerField
from pmflow.openapi import error_response
from products.models import AnalysisSettings, Portfolio, ProductLine, Stage
from products.selectors import portfolio_for_user
from products.services import analysis_settings as settings_services

EMPTY_VALUE = "Give a value, or leave the parameter out."
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
SCOPE_MESSAGE = "Give exactly one of portfolio and product_line."

NOT_MODIFIED = OpenApiResponse(description="Not modified: the ETag in If-None-Match is current (no body).")


STALE = error_response("The thresholds changed since you read them (stale `If-Match`); nothing written.")


class AnalysisQuery(serializers.Serializer):
    portfolio = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    product_line = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def to_internal_value(self, data):
        empty = {name: EMPTY_VALUE for name in self.fields if name in data and data.get(name) == ""}
        if empty:
            raise serializers.ValidationError(empty)
        return super().to_internal_value(data)

    def validate(self, attrs):
        given = [name for name in ("portfolio", "product_line") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError({name: SCOPE_MESSAGE for name in (given or ["portfolio"])})
        return attrs


# --- the answer's schema ------------------------------------------------------------------------------


class AnalysisThresholdsSerializer(serializers.Serializer):
    retire_falling_quarters = serializers.IntegerField()
    extend_segment_min_growth_pct = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    extend_segment_min_priority = serializers.IntegerField()
    extend_demand_min_growth_pct = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)


class AnalysisProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    product_line = serializers.IntegerField(allow_null=True)
    stage = serializers.ChoiceField(choices=Stage.choices)
    revenue = serializers.DecimalField(
        max_digits=None,
        decimal_places=6,
        coerce_to_string=False,
        allow_null=True,
        help_text="The product's revenue over the last 4 complete quarters (its `revenue` KPI's quarter rollups); "
        "null without any of them.",
    )
    revenue_share = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="Percent of the scope's revenue over the last 4 complete quarters, rounded half up to 2 decimals; "
        "null without revenue data (or when the scope's revenue is 0).",
    )
    revenue_trend = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="Change in percent of the last complete quarter on the one before, 2 decimals; null without "
        "both (or when the one before is 0).",
    )


class AnalysisFlagSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=analysis.KIND_CHOICES)
    basis = serializers.ChoiceField(
        choices=analysis.BASIS_CHOICES,
        help_text="The rule behind it: `segment` (a growing, high-priority segment no product serves), `demand` "
        "(a product in growth whose feedback rises) or `revenue` (a product in decline whose revenue falls).",
    )
    product = serializers.IntegerField(allow_null=True, help_text="The product flagged; null for a segment.")
    segment = serializers.IntegerField(allow_null=True, help_text="The segment flagged; null for a product.")
    name = serializers.CharField(help_text="The product's or the segment's name.")
    reason = serializers.CharField(help_text="The flag in a sentence.")
    evidence = serializers.DictField(
        help_text="What raised it, as plain JSON: the quarters and revenue behind a retire flag, the segment's growth "
        "and priority against the thresholds, the feedback counts of the two 90-day windows."
    )


class PortfolioAnalysisSerializer(serializers.Serializer):
    portfolio = serializers.IntegerField(allow_null=True)
    product_line = serializers.IntegerField(allow_null=True, help_text="The line analysed; null for a portfolio.")
    as_of = serializers.DateField(allow_null=True, help_text="Today in the portfolio's time zone.")
    quarters = serializers.ListField(
        child=serializers.CharField(), help_text="The 4 complete quarters of the revenue share, e.g. 2026-Q1."
    )
    total_revenue = serializers.DecimalField(max_digits=None, decimal_places=6, coerce_to_string=False, allow_null=True)
    settings = AnalysisThresholdsSerializer(allow_null=True, help_text="The thresholds the flags were judged with.")
    products = AnalysisProductSerializer(many=True, help_text="By stage (lifecycle order), then name.")
    flags = AnalysisFlagSerializer(
        many=True, help_text="Candidates to extend (segments, then products), then to retire."
    )


def _empty() -> dict:
    return {
        "portfolio": None,
        "product_line": None,
        "as_of": None,
        "quarters": [],
        "total_revenue": None,
        "settings": None,
        **analysis.empty_answer(),
    }


def _held(request, etag: str) -> bool:
    held = parse_etags(request.headers.get("If-None-Match", ""))
    return "*" in held or etag in held or f"W/{etag}" in held


class PortfolioAnalysisView(views.APIView):
    """Products by stage with their revenue share and trend, and the candidates to extend or retire."""

    @extend_schema(
        operation_id="portfolio_analysis_retrieve",
        parameters=[
            OpenApiParameter("portfolio", ID_SCHEMA, description="The portfolio to analyse (or give product_line)."),
            OpenApiParameter(
                "product_line", ID_SCHEMA, description="One product line to analyse (instead of a portfolio)."
            ),
            OpenApiParameter(
                "If-None-Match",
                str,
                OpenApiParameter.HEADER,
                description="The ETag you hold: 304 with no body while the analysis is unchanged.",
            ),
        ],
        responses={200: PortfolioAnalysisSerializer, 304: NOT_MODIFIED},
        description="Revenue from the `revenue` KPI's quarter rollups over the last 4 complete quarters in the "
        "portfolio's time zone. Retire: stage decline, revenue fell in each of the last N complete quarters "
        "(N = retire_falling_quarters) and no goal of the product runs today. Extend: a segment with growth and "
        "priority at or above the thresholds that no product of the scope serves; a product in growth whose "
        "feedback of the last 90 days grew by at least the threshold on the 90 days before (at least one before; "
        "none before and 3 or more now counts as rising). Exactly one of portfolio and product_line (400 "
        "otherwise); one you are not a member of answers as an unknown one: no products, no flags.",
    )
    def get(self, request):
        query = AnalysisQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        member_of = list(access.roles_by_portfolio(request.user))
        portfolio = line = None
        if "product_line" in q:
            line = ProductLine.objects.select_related("portfolio").filter(pk=q["product_line"]).first()
            if line is not None and line.portfolio_id in member_of:
                portfolio = line.portfolio
        else:
            portfolio = Portfolio.objects.filter(pk=q["portfolio"], pk__in=member_of).first()
        if portfolio is None:
            data = PortfolioAnalysisSerializer(_empty()).data
        else:
            data = PortfolioAnalysisSerializer(
                analysis.portfolio_analysis(portfolio=portfolio, product_line=line).as_dict()
            ).data
        etag = representation_etag(data)
        if _held(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})


# --- the thresholds -----------------------------------------------------------------------------------


class AnalysisSettingsSerializer(serializers.Serializer):
    portfolio = serializers.IntegerField(read_only=True, source="portfolio_id")
    retire_falling_quarters = BoundedIntegerField(
        min_value=settings_services.QUARTERS_RANGE[0],
        max_value=settings_services.QUARTERS_RANGE[1],
        help_text=settings_services.EXPLANATIONS["retire_falling_quarters"],
    )
    extend_segment_min_growth_pct = BoundedDecimalField(
        max_digits=6,
        decimal_places=2,
        round_places=True,
        min_value=settings_services.PERCENT_RANGE[0],
        max_value=settings_services.PERCENT_RANGE[1],
        coerce_to_string=False,
        help_text=settings_services.EXPLANATIONS["extend_segment_min_growth_pct"],
    )
    extend_segment_min_priority = BoundedIntegerField(
        min_value=settings_services.PRIORITY_RANGE[0],
        max_value=settings_services.PRIORITY_RANGE[1],
        help_text=settings_services.EXPLANATIONS["extend_segment_min_priority"],
    )
    extend_demand_min_growth_pct = BoundedDecimalField(
        max_digits=6,
        decimal_places=2,
        round_places=True,
        min_value=settings_services.PERCENT_RANGE[0],
        max_value=settings_services.PERCENT_RANGE[1],
        coerce_to_string=False,
        help_text=settings_services.EXPLANATIONS["extend_demand_min_growth_pct"],
    )


PORTFOLIO_PK = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The portfolio's id.")


class AnalysisSettingsView(views.APIView):
    """A portfolio's thresholds for the portfolio analysis; admins change them."""

    serializer_class = AnalysisSettingsSerializer

    @extend_schema(
        operation_id="portfolio_analysis_settings_retrieve",
        parameters=[
            PORTFOLIO_PK,
            OpenApiParameter(
                "If-None-Match",
                str,
                OpenApiParameter.HEADER,
                description="The ETag you hold: 304 with no body while the thresholds are unchanged.",
            ),
        ],
        responses={200: AnalysisSettingsSerializer, 304: NOT_MODIFIED},
        description="The thresholds (the defaults until an admin changes them).",
    )
    def get(self, request, id):
        portfolio = portfolio_for_user(request.user, id)
        data = AnalysisSettingsSerializer(settings_services.analysis_settings_of(portfolio)).data
        etag = representation_etag(data)
        if _held(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    def _write(self, request, id, *, partial: bool):
        portfolio = portfolio_for_user(request.user, id)
        require(request.user, AnalysisSettings, portfolio.id)  # the role before the body is read
        body = AnalysisSettingsSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            # If-Match under the portfolio's lock (the lock the service takes).
            list(Portfolio.objects.select_for_update().filter(pk=portfolio.pk).values_list("pk"))
            wanted = request_if_match(request)
            if wanted is not None:
                current = AnalysisSettingsSerializer(settings_services.analysis_settings_of(portfolio)).data
                if representation_etag(current) not in wanted:
                    raise StaleObject()
            row = settings_services.analysis_settings_update(
                portfolio=portfolio, actor=request.user, **dict(body.validated_data)
            )
        data = AnalysisSettingsSerializer(row).data
        return Response(data, headers={"ETag": representation_etag(data)})

    @extend_schema(
        operation_id="portfolio_analysis_settings_update",
        parameters=[PORTFOLIO_PK, OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        request=AnalysisSettingsSerializer,
        responses={200: AnalysisSettingsSerializer, 412: STALE},
        description="Set every threshold (each is required). Admins only; a stale `If-Match` is 412.",
    )
    def put(self, request, id):
        return self._write(request, id, partial=False)

    @extend_schema(
        operation_id="portfolio_analysis_settings_partial_update",
        parameters=[PORTFOLIO_PK, OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        request=AnalysisSettingsSerializer,
        responses={200: AnalysisSettingsSerializer, 412: STALE},
        description="Change some thresholds; the others keep theirs. Admins only; a stale `If-Match` is 412.",
    )
    def patch(self, request, id):
        return self._write(request, id, partial=True)


def register(router) -> None:
    pass


urlpatterns = [
    path("portfolio-analysis/", PortfolioAnalysisView.as_view(), name="api-portfolio-analysis"),
    path(
        "portfolios/<int:id>/analysis-settings/",
        AnalysisSettingsView.as_view(),
        name="api-portfolio-analysis-settings",
    ),
]
