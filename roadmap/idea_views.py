"""Idea pages: from concept to an accepted roadmap item or a rejection."""

urlpatterns = []
