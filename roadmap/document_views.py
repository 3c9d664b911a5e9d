"""Research and planning document pages."""

urlpatterns = []
