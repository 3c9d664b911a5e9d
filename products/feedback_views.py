"""Customer feedback pages (list, form, CSV import)."""

urlpatterns = []
