"""Segment and persona pages (the product × segment matrix, journey maps)."""

urlpatterns = []
