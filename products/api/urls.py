from django.urls import path

from products.api import (
    audience,
    audit,
    feedback,
    gates,
    market,
    notifications,
    status_book,
    suggestions,
    views,
    webhooks,
)

MODULES = (market, audience, feedback, status_book, suggestions, gates, notifications, webhooks, audit)

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *[pattern for module in MODULES for pattern in module.urlpatterns],
]


def register(router) -> None:
    router.register("portfolios", views.PortfolioViewSet, basename="portfolio")
    router.register("product-lines", views.ProductLineViewSet, basename="product-line")
    router.register("products", views.ProductViewSet, basename="product")
    router.register("lifecycle-rules", views.LifecycleRuleViewSet, basename="lifecycle-rule")
    for module in MODULES:
        module.register(router)
