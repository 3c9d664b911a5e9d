"""Market insight and competitor pages."""

urlpatterns = []
