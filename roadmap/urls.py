"""The roadmap's pages: each module keeps its own routes beside its views."""

from roadmap import board_views, document_views, idea_views, item_views, release_views, timeline_views

urlpatterns = [
    *board_views.urlpatterns,
    *item_views.urlpatterns,
    *release_views.urlpatterns,
    *timeline_views.urlpatterns,
    *idea_views.urlpatterns,
    *document_views.urlpatterns,
]
