"""PLACEHOLDER: being written (issue 9); replace every view and keep the urlpatterns names."""

from django.http import Http404
from django.urls import path


def item_create(request, **kwargs):
    raise Http404


def item_page(request, **kwargs):
    raise Http404


def item_edit(request, **kwargs):
    raise Http404


def item_delete(request, **kwargs):
    raise Http404


def dependency_create(request, **kwargs):
    raise Http404


def dependency_delete(request, **kwargs):
    raise Http404


def item_list(request, **kwargs):
    raise Http404


urlpatterns = [
    path("roadmap-items/new/", item_create, name="roadmap-item-create"),
    path("roadmap-items/<int:item_id>/", item_page, name="roadmap-item-page"),
    path("roadmap-items/<int:item_id>/edit/", item_edit, name="roadmap-item-edit"),
    path("roadmap-items/<int:item_id>/delete/", item_delete, name="roadmap-item-delete"),
    path("roadmap-items/<int:item_id>/dependencies/", dependency_create, name="roadmap-dependency-create"),
    path("roadmap-dependencies/<int:dependency_id>/delete/", dependency_delete, name="roadmap-dependency-delete"),
    path("portfolios/<int:portfolio_id>/roadmap/items/", item_list, name="roadmap-items"),
]
