"""The audience API: segments and personas."""

urlpatterns = []


def register(router) -> None:
    pass
