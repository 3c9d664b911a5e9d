"""Go-to-market pages: each module keeps its own routes beside its views."""

from gtm import calendar_views, campaign_views, enablement_views, launch_views, messaging_views

urlpatterns = [
    *launch_views.urlpatterns,
    *messaging_views.urlpatterns,
    *campaign_views.urlpatterns,
    *enablement_views.urlpatterns,
    *calendar_views.urlpatterns,
]
