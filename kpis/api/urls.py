from kpis.api import analysis, budget, goals, strategy, views


def register(router) -> None:
    router.register("kpis", views.KPIViewSet, basename="kpi")
    router.register("imports", views.ImportViewSet, basename="import")
    goals.register(router)
    budget.register(router)
    analysis.register(router)


urlpatterns = [*goals.urlpatterns, *strategy.urlpatterns, *budget.urlpatterns, *analysis.urlpatterns]
