"""Placeholder: replaced by the pages of this area."""

from django.http import Http404
from django.urls import path


def placeholder(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("portfolios/<int:portfolio_id>/campaigns/", placeholder, name="campaign-list"),
]
