from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from pmflow import health, signin

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", signin.SignInView.as_view(), name="login"),  # locks out after repeated failures
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", health.healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file (/api/docs/?script=), and our template drops
    # the package's inline <style>: the page runs under the strict CSP with no exception.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("api/v1/", include("pmflow.api_urls")),
    path("", include("products.urls")),
    path("", include("roadmap.urls")),
    path("", include("gtm.urls")),
    path("", include("kpis.urls")),
]

handler404 = "pmflow.exceptions.not_found"
handler500 = "pmflow.server_errors.server_error"  # a lost database connection is a 503
