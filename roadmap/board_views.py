"""PLACEHOLDER: being written (issue 9); replace every view and keep the urlpatterns names."""

from django.http import Http404
from django.urls import path


def product_roadmap(request, **kwargs):
    raise Http404


def portfolio_roadmap(request, **kwargs):
    raise Http404


def item_move(request, **kwargs):
    raise Http404


urlpatterns = [
    path("products/<int:product_id>/roadmap/", product_roadmap, name="product-roadmap"),
    path("portfolios/<int:portfolio_id>/roadmap/", portfolio_roadmap, name="portfolio-roadmap"),
    path("roadmap-items/<int:item_id>/move/", item_move, name="roadmap-item-move"),
]
