from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"

    def ready(self):
        # kpis sits right of products: it plugs its facts into the products' registries.
        import kpis.review_handlers  # noqa: F401  (post-launch reviews)
        import kpis.signal_panels  # noqa: F401  (cross-functional signals: panels, handlers, signal_open)
        from kpis import conditions, gates, handlers, launch_panels, panels  # noqa: F401
        from kpis.models import (
            KPI,
            Import,
            ImportFile,
            KeyRollup,
            LaunchReview,
            Measurement,
            PendingRollup,
            Rollup,
            Signal,
        )
        from pmflow.access import policies
        from products.models import Role

        managers = {Role.ADMIN, Role.PRODUCT_MANAGER}
        # A KPI narrowed to a launch plan or a campaign is go-to-market data: marketers write it and its
        # measurements too (kpis.rights picks the action for a KPI; a product's own KPI stays with managers).
        gtm_writers = {Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER}
        policies.register(
            KPI,
            portfolio="product__portfolio",
            write=managers,
            actions={"measure": managers, "write_gtm": gtm_writers, "measure_gtm": gtm_writers},
        )
        policies.register(Measurement, portfolio="kpi__product__portfolio", write=managers)
        policies.register(Rollup, portfolio="kpi__product__portfolio", write=set())
        policies.register(PendingRollup, portfolio="kpi__product__portfolio", write=set())
        policies.register(KeyRollup, portfolio="portfolio", write=set())
        # Imports: every member sees the portfolio's history; those who may measure upload.
        policies.register(Import, portfolio="portfolio", write=managers)
        policies.register(ImportFile, portfolio="upload__portfolio", write=set())
        # Post-launch reviews: product managers set the window; signals are written by the detector only.
        policies.register(LaunchReview, portfolio="launch_plan__product__portfolio", write=managers)
        policies.register(Signal, portfolio="portfolio", write=set())
