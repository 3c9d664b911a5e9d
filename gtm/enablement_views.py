"""Placeholder: replaced by the pages of this area."""

from django.http import Http404
from django.urls import path


def placeholder(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("portfolios/<int:portfolio_id>/assets/", placeholder, name="asset-list"),
    path("portfolios/<int:portfolio_id>/events/", placeholder, name="event-list"),
    path("portfolios/<int:portfolio_id>/press/", placeholder, name="press-list"),
]
