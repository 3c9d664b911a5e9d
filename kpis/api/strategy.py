"""`GET /api/v1/strategy/search/?portfolio=&q=`: search a portfolio's market insights, ideas, feedback,
competitors and personas (the search page's results, kpis.strategy_search).

Each kind lists at most 20 rows (`id`, `title`, `snippet`; ideas and feedback also their `product`), and
`counts` says how many match in all. A portfolio you are not a member of answers as an unknown one does,
with nothing found: the precedent of every id in a query parameter (`/calendar/?portfolio=`).
"""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, views
from rest_framework.response import Response

from kpis import strategy_search as search
from pmflow.fields import MAX_ID
from products.models import Portfolio

EMPTY_VALUE = "Give a value, or leave the parameter out."
# Some text that is not only whitespace, and no NUL character (DRF refuses it).
Q_PATTERN = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"


class SearchQuery(serializers.Serializer):
    portfolio = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    # Measured as sent (not trimmed first), as the schema's maxLength is.
    q = serializers.CharField(max_length=search.MAX_QUERY_CHARS, trim_whitespace=False)

    def validate_q(self, value):
        problem = search.query_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        if not search.terms_of(value):
            raise serializers.ValidationError("Give a word to search for.")
        return value


class HitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    snippet = serializers.CharField(help_text="A plain-text excerpt around the first word found (may be empty).")


class ProductHitSerializer(HitSerializer):
    product = serializers.IntegerField()


class CountsSerializer(serializers.Serializer):
    insights = serializers.IntegerField()
    ideas = serializers.IntegerField()
    feedback = serializers.IntegerField()
    competitors = serializers.IntegerField()
    personas = serializers.IntegerField()


class SearchResultSerializer(serializers.Serializer):
    insights = HitSerializer(many=True)
    ideas = ProductHitSerializer(many=True)
    feedback = ProductHitSerializer(many=True)
    competitors = HitSerializer(many=True)
    personas = HitSerializer(many=True)
    counts = CountsSerializer(help_text="How many of each kind match in all (each list holds at most 20).")


class StrategySearchView(views.APIView):
    """Search a portfolio's strategy: every word of `q` must appear in a searched field of the row."""

    @extend_schema(
        operation_id="strategy_search",
        parameters=[
            OpenApiParameter("portfolio", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, required=True),
            OpenApiParameter(
                "q",
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": search.MAX_QUERY_CHARS,
                    "pattern": "^[^\\x00]*[^\\x00\\s][^\\x00]*$",
                },
                required=True,
                description="The words to find (at most 8 are used): insights by title, summary and source; "
                "ideas by title and description; feedback by text and customer; competitors by name; personas "
                "by name, goals and pains.",
            ),
        ],
        responses={200: SearchResultSerializer},
    )
    def get(self, request):
        empty = {name: EMPTY_VALUE for name in ("portfolio",) if request.query_params.get(name, None) == ""}
        if empty:
            raise serializers.ValidationError(empty)
        query = SearchQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        portfolio = Portfolio.objects.filter(
            pk=query.validated_data["portfolio"], memberships__user=request.user
        ).first()
        found = search.strategy_search(portfolio, query.validated_data["q"]) if portfolio else {}
        body = {kind.key: [hit.as_json() for hit in found[kind.key].hits] if found else [] for kind in search.KINDS}
        body["counts"] = {kind.key: found[kind.key].total if found else 0 for kind in search.KINDS}
        return Response(body)


def register(router) -> None:
    pass


urlpatterns = [path("strategy/search/", StrategySearchView.as_view(), name="api-strategy-search")]
