"""Budget plans: marketing budget and sales target by quarter, and their actuals (campaign spend, revenue rollups)."""

urlpatterns = []


def register(router) -> None:
    pass
