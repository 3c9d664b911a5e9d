from django.urls import path

from products.api import audience, feedback, market, status_book, views

MODULES = (market, audience, feedback, status_book)

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
