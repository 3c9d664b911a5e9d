"""The portfolio-scoped viewset base every API resource builds on."""

from rest_framework import mixins, viewsets


class PortfolioScopedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A viewset whose queryset is limited to the requesting user's portfolios.

    Subclasses give `get_queryset` (a selector scoped to the user) and use the access helpers of
    `products.selectors` for writes, so a foreign object is a 404 and a read-only role a 403.
    """

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
