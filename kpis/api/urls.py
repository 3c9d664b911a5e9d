from kpis.api import analysis, budget, goals, reviews, signals, strategy, views


def register(router) -> None:
    router.register("kpis", views.KPIViewSet, basename="kpi")
    router.register("imports", views.ImportViewSet, basename="import")
    goals.register(router)
    budget.register(router)
    analysis.register(router)
    reviews.register(router)
    signals.register(router)


urlpatterns = [
    *goals.urlpatterns,
    *strategy.urlpatterns,
    *budget.urlpatterns,
    *analysis.urlpatterns,
    *reviews.urlpatterns,
    *signals.urlpatterns,
]
