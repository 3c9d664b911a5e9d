"""The portfolio-scoped viewset base every API resource builds on."""

from rest_framework import mixins, viewsets

from pmflow import access
from pmflow.errors import NotAllowed


class PortfolioScopedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A viewset whose queryset is limited to the requesting user's portfolios.

    Subclasses give `get_queryset` (a selector scoped to the user) and use the access lookups of
    `pmflow.access` for writes, so a foreign object is a 404 and a read-only role a 403. Updates and
    deletes look the object up (with the write check) before they read the body; creates refuse a
    user who may write this kind of object in none of their portfolios before parsing the payload,
    then check the portfolio the payload names.
    """

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    create_needs_role = True  # False where anyone signed in may create (a new portfolio)

    def create(self, request, *args, **kwargs):
        model = self.get_queryset().model
        portfolios = access.roles_by_portfolio(request.user)
        if self.create_needs_role and not any(access.can(request.user, model, pid) for pid in portfolios):
            raise NotAllowed("Your role does not allow creating this in any of your portfolios.")
        return super().create(request, *args, **kwargs)
