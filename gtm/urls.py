"""Go-to-market pages: each module keeps its own routes beside its views."""

from gtm import calendar_views, launch_views, marketing_views, messaging_views

urlpatterns = [
    *launch_views.urlpatterns,
    *messaging_views.urlpatterns,
    *marketing_views.urlpatterns,
    *calendar_views.urlpatterns,
]
