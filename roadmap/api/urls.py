from roadmap.api import documents, ideas, views


def register(router) -> None:
    router.register("roadmap-items", views.RoadmapItemViewSet, basename="roadmap-item")
    router.register("releases", views.ReleaseViewSet, basename="release")
    router.register("roadmap-dependencies", views.RoadmapDependencyViewSet, basename="roadmap-dependency")
    router.register("scoring-weights", views.ScoringWeightsViewSet, basename="scoring-weights")
    ideas.register(router)
    documents.register(router)


urlpatterns = [*ideas.urlpatterns, *documents.urlpatterns]
