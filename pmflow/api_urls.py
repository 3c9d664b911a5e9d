from django.urls import include, path
from rest_framework.routers import DefaultRouter

from gtm.api.urls import register as register_gtm
from gtm.api.urls import urlpatterns as gtm_urlpatterns
from kpis.api.urls import register as register_kpis
from kpis.api.urls import urlpatterns as kpi_urlpatterns
from kpis.api.views import CombinedRollupsView, MeasurementBatchView
from products.api.urls import register as register_products
from products.api.urls import urlpatterns as product_urlpatterns
from roadmap.api.urls import register as register_roadmap
from roadmap.api.urls import urlpatterns as roadmap_urlpatterns

router = DefaultRouter()
register_products(router)
register_roadmap(router)
register_gtm(router)
register_kpis(router)

urlpatterns = [
    *product_urlpatterns,
    *roadmap_urlpatterns,
    *gtm_urlpatterns,
    *kpi_urlpatterns,
    path("rollups/", CombinedRollupsView.as_view(), name="api-rollups"),
    path("measurements/", MeasurementBatchView.as_view(), name="api-measurements"),
    path("", include(router.urls)),
]
