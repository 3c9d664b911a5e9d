from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"

    def ready(self):
        # kpis sits right of products: it plugs its facts into the products' registries.
        from kpis import conditions, gates, panels  # noqa: F401
