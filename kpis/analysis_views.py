"""Portfolio analysis pages and the analysis thresholds."""

urlpatterns = []
