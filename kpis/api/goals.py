"""The goals and key results API: key results read their KPI's rollups."""

urlpatterns = []


def register(router) -> None:
    pass
