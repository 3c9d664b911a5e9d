"""Placeholder: replaced by the pages of this area."""

from django.http import Http404
from django.urls import path


def placeholder(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("portfolios/<int:portfolio_id>/launches/", placeholder, name="launch-board"),
    path("launches/<int:plan_id>/", placeholder, name="launch-plan-page"),
    path("portfolios/<int:portfolio_id>/launch-templates/", placeholder, name="launch-template-list"),
]
