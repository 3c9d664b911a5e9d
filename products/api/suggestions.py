"""The suggestions API (API-CONTRACT.md, "Lifecycle automation and events"). Issue 13: filled by its owner."""

urlpatterns = []


def register(router) -> None:
    pass
