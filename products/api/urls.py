from django.urls import path

from products.api import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
]


def register(router) -> None:
    router.register("portfolios", views.PortfolioViewSet, basename="portfolio")
    router.register("product-lines", views.ProductLineViewSet, basename="product-line")
    router.register("products", views.ProductViewSet, basename="product")
    router.register("lifecycle-rules", views.LifecycleRuleViewSet, basename="lifecycle-rule")
