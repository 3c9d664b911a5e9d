"""Status book pages: write a line, the balance of daily, short-term and long-term work."""

urlpatterns = []
