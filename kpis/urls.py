from django.urls import path

from kpis import views

urlpatterns = [path("kpis/<int:kpi_id>/", views.kpi_page, name="kpi-page")]
