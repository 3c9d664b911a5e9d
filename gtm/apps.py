from django.apps import AppConfig


class GtmConfig(AppConfig):
    """Go-to-market: launch plans, messaging, campaigns (coming next)."""

    name = "gtm"
    verbose_name = "Go-to-market"
