"""The go-to-market API: each module registers its viewsets (and plain routes) beside its serializers."""

from gtm.api import calendar, campaigns, enablement, launches, messaging

MODULES = (launches, messaging, campaigns, enablement, calendar)


def register(router) -> None:
    for module in MODULES:
        module.register(router)


urlpatterns = [pattern for module in MODULES for pattern in module.urlpatterns]
