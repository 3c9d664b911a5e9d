"""PLACEHOLDER: being written (issue 9); replace every view and keep the urlpatterns names."""

from django.http import Http404
from django.urls import path


def release_list(request, **kwargs):
    raise Http404


def release_create(request, **kwargs):
    raise Http404


def release_page(request, **kwargs):
    raise Http404


def release_edit(request, **kwargs):
    raise Http404


def release_delete(request, **kwargs):
    raise Http404


def release_ship(request, **kwargs):
    raise Http404


def scoring_weights(request, **kwargs):
    raise Http404


urlpatterns = [
    path("portfolios/<int:portfolio_id>/releases/", release_list, name="release-list"),
    path("releases/new/", release_create, name="release-create"),
    path("releases/<int:release_id>/", release_page, name="release-page"),
    path("releases/<int:release_id>/edit/", release_edit, name="release-edit"),
    path("releases/<int:release_id>/delete/", release_delete, name="release-delete"),
    path("releases/<int:release_id>/ship/", release_ship, name="release-ship"),
    path("portfolios/<int:portfolio_id>/scoring/", scoring_weights, name="scoring-weights"),
]
