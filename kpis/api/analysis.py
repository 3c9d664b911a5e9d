"""Portfolio analysis: products by stage, revenue share and trend, and the extend / retire flags."""

urlpatterns = []


def register(router) -> None:
    pass
