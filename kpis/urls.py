from django.urls import path

from kpis import (
    analysis_views,
    budget_views,
    goal_views,
    import_views,
    key_views,
    kpi_views,
    launch_views,
    review_views,
    signal_views,
    strategy_views,
    views,
)

urlpatterns = [
    path("kpis/<int:kpi_id>/", views.kpi_page, name="kpi-page"),
    path("portfolios/<int:portfolio_id>/kpis/<slug:key>/", key_views.key_rollups_page, name="key-rollups-page"),
    path("portfolios/<int:portfolio_id>/imports/", import_views.portfolio_imports, name="portfolio-imports"),
    path("imports/<int:import_id>/", import_views.import_page, name="import-page"),
    path("kpis/new/", kpi_views.kpi_create, name="kpi-create"),
    path("kpis/<int:kpi_id>/edit/", kpi_views.kpi_edit, name="kpi-edit"),
    path("kpis/<int:kpi_id>/delete/", kpi_views.kpi_delete, name="kpi-delete"),
    path("kpis/<int:kpi_id>/measurements/", kpi_views.kpi_measurements, name="kpi-measurements"),
    path("measurements/<int:measurement_id>/correct/", kpi_views.measurement_correct, name="measurement-correct"),
    path("measurements/<int:measurement_id>/delete/", kpi_views.measurement_delete, name="measurement-delete"),
    path("launches/<int:plan_id>/kpis/", launch_views.launch_kpis, name="launch-kpis"),
    *goal_views.urlpatterns,
    *strategy_views.urlpatterns,
    *budget_views.urlpatterns,
    *analysis_views.urlpatterns,
    *review_views.urlpatterns,
    *signal_views.urlpatterns,
]
