"""The status book API: the product manager's daily log and the balance of their time."""

urlpatterns = []


def register(router) -> None:
    pass
