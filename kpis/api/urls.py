from kpis.api import views


def register(router) -> None:
    router.register("kpis", views.KPIViewSet, basename="kpi")
    router.register("imports", views.ImportViewSet, basename="import")
