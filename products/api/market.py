"""The market API: market insights, competitors and their moves."""

urlpatterns = []


def register(router) -> None:
    pass
