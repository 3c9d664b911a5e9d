"""The strategy overview of a product, and search across insights, ideas and feedback."""

urlpatterns = []
