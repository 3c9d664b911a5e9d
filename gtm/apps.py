from django.apps import AppConfig


class GtmConfig(AppConfig):
    """Go-to-market: launch plans and their checklists, messaging, campaigns, sales enablement, events,
    press and the launch calendar."""

    name = "gtm"
    verbose_name = "Go-to-market"

    def ready(self):
        # gtm sits right of products and roadmap: it plugs its facts into their registries.
        from gtm import conditions, handlers, panels  # noqa: F401
        from gtm import gates as _gates  # noqa: F401  (stage gate criteria)
        from gtm.models import (
            Asset,
            CalendarFeed,
            Campaign,
            LaunchPlan,
            LaunchTask,
            LaunchTemplate,
            LaunchTemplateTask,
            MarketingEvent,
            Messaging,
            PressItem,
        )
        from pmflow.access import policies
        from products.models import Role

        handlers.connect_file_cleanup()

        managers = {Role.ADMIN, Role.PRODUCT_MANAGER}
        # Marketers write all of go-to-market; only managers approve messaging or override readiness.
        writers = {Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER}
        policies.register(LaunchTemplate, portfolio="portfolio", write=writers)
        policies.register(LaunchTemplateTask, portfolio="template__portfolio", write=writers)
        policies.register(
            LaunchPlan,
            portfolio="product__portfolio",
            write=writers,
            actions={"launch": writers, "override": managers, "cancel": writers},
        )
        policies.register(LaunchTask, portfolio="launch_plan__product__portfolio", write=writers)
        policies.register(
            Messaging,
            portfolio="product__portfolio",
            write=writers,
            actions={"submit": writers, "approve": managers, "revise": writers},
        )
        policies.register(Campaign, portfolio="product__portfolio", write=writers)
        policies.register(Asset, portfolio="product__portfolio", write=writers)
        policies.register(MarketingEvent, portfolio="portfolio", write=writers)
        policies.register(PressItem, portfolio="product__portfolio", write=writers)
        # A subscription is the member's own: every member, viewers too, may make one to read the calendar.
        policies.register(CalendarFeed, portfolio="portfolio", write=set(Role.values))
