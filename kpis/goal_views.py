"""Vision, goals and key results pages (per product and per portfolio)."""

urlpatterns = []
