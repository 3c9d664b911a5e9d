from django.apps import AppConfig


class RoadmapConfig(AppConfig):
    """Technical product management: roadmap items, releases, prioritisation, dependencies."""

    name = "roadmap"
    verbose_name = "Roadmap"

    def ready(self):
        # roadmap sits right of products: it plugs its facts into the products' registries.
        from pmflow.access import policies
        from products.models import Role
        from roadmap import conditions, handlers, panels  # noqa: F401
        from roadmap import gates as _gates  # noqa: F401  (stage gate criteria)
        from roadmap.models import Release, RoadmapDependency, RoadmapItem, ScoringWeights

        managers = {Role.ADMIN, Role.PRODUCT_MANAGER}
        policies.register(RoadmapItem, portfolio="product__portfolio", write=managers, actions={"move": managers})
        policies.register(Release, portfolio="product__portfolio", write=managers, actions={"ship": managers})
        policies.register(RoadmapDependency, portfolio="item__product__portfolio", write=managers)
        policies.register(ScoringWeights, portfolio="portfolio", write={Role.ADMIN})
