"""Budget plan pages: budget and sales target against actual spend and revenue."""

urlpatterns = []
