"""Pages: webhook_views (issue 13). Filled by its owner."""

urlpatterns = []
