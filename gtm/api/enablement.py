"""Placeholder: replaced by this area's API."""


def register(router) -> None:
    pass


urlpatterns: list = []
