from kpis.api import goals, strategy, views


def register(router) -> None:
    router.register("kpis", views.KPIViewSet, basename="kpi")
    router.register("imports", views.ImportViewSet, basename="import")
    goals.register(router)


urlpatterns = [*goals.urlpatterns, *strategy.urlpatterns]
