from django.apps import AppConfig


class RoadmapConfig(AppConfig):
    """Technical product management: roadmap items, releases, prioritisation (coming next)."""

    name = "roadmap"
