"""The ideas API: concept → evaluated → accepted (a roadmap item) | rejected."""

urlpatterns = []


def register(router) -> None:
    pass
