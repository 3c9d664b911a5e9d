"""Pending stage suggestions where product managers look (registered into products.pages slots from
ProductsConfig.ready()):

- "dashboard.panels": the portfolio's pending suggestions above the board (product, move, one line of
  why, a Review link), shown only while one is pending; one query however many there are.
- "product.panels": the product's pending suggestions with their evidence, above its other panels.
"""

from django.db.models import Count, Window
from django.urls import reverse

from pmflow import access
from products import lifecycle
from products.models import Stage, StageSuggestion
from products.pages import Fragment, register_fragment

DASHBOARD_LIMIT = 5


def evidence_template(suggestion: StageSuggestion) -> str:
    """The evidence template of the condition type that fired the suggestion ("" when it has none)."""
    condition_type = (suggestion.evidence or {}).get("condition_type") or getattr(suggestion.rule, "condition_type", "")
    kind = lifecycle.condition_types.get(condition_type or "")
    return kind.evidence_template if kind and kind.evidence_template else ""


def dress(suggestion: StageSuggestion) -> StageSuggestion:
    """The suggestion with what the templates show besides its row: its stages' labels, its evidence's
    template and its condition in words (the one line of why)."""
    suggestion.evidence_template = evidence_template(suggestion)
    suggestion.from_label, suggestion.to_label = Stage(suggestion.from_stage).label, Stage(suggestion.to_stage).label
    suggestion.condition = (suggestion.evidence or {}).get("condition", "")
    return suggestion


def _pending():
    return StageSuggestion.objects.filter(status=StageSuggestion.Status.PENDING).select_related("product", "rule")


def dashboard_pending(portfolio, request) -> dict:
    """The newest pending suggestions of the portfolio's products on the board (archived ones left out)
    and how many there are in all, in one query."""
    rows = list(
        _pending()
        .filter(product__portfolio=portfolio, product__archived_at__isnull=True)
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")[:DASHBOARD_LIMIT]
    )
    total = rows[0].total if rows else 0
    return {
        "suggestions": [dress(s) for s in rows],
        "total": total,
        "more": max(total - len(rows), 0),
        "list_url": reverse("suggestion-list", args=[portfolio.id]),
        "can_decide": access.can(request.user, StageSuggestion, portfolio.id, "accept"),
    }


def product_pending(product, request) -> dict:
    """The product's pending suggestions, oldest first (usually one), with their evidence."""
    rows = list(_pending().filter(product=product).order_by("created_at", "id"))
    return {
        "suggestions": [dress(s) for s in rows],
        "can_decide": access.can(request.user, StageSuggestion, product.portfolio_id, "accept"),
    }


register_fragment(
    "dashboard.panels",
    Fragment(
        key="products.suggestions",
        template="products/suggestions/_dashboard_panel.html",
        context=dashboard_pending,
        order=10,
    ),
)
register_fragment(
    "product.panels",
    Fragment(
        key="products.suggestions",
        template="products/suggestions/_product_panel.html",
        context=product_pending,
        order=5,
    ),
)
