"""PLACEHOLDER: being written (issue 9); replace every view and keep the urlpatterns names."""

from django.http import Http404
from django.urls import path


def timeline(request, **kwargs):
    raise Http404


def matrix(request, **kwargs):
    raise Http404


urlpatterns = [
    path("portfolios/<int:portfolio_id>/roadmap/timeline/", timeline, name="roadmap-timeline"),
    path("portfolios/<int:portfolio_id>/roadmap/matrix/", matrix, name="roadmap-matrix"),
]
