"""The customer feedback API (and its CSV import)."""

urlpatterns = []


def register(router) -> None:
    pass
