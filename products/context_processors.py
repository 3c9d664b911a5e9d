from django.db.models import Count, OuterRef, Subquery
from django.utils.functional import cached_property

from products.models import Notification
from products.selectors import portfolio_list_for_user


def portfolio_switcher(request):
    """The user's portfolios for the navigation's switcher, and the one in view.

    Each portfolio carries the user's unread notifications there (a subquery on the user's unread index),
    so the bell's count costs no query of its own on the pages that show the switcher."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or request.path.startswith(("/admin/", "/api/")):
        return {}
    current = request.session.get("portfolio_id")
    unread = (
        Notification.objects.filter(portfolio=OuterRef("pk"), user=user, read_at__isnull=True, in_app=True)
        .order_by()
        .values("portfolio")
        .annotate(count=Count("id"))
        .values("count")
    )
    portfolios = list(portfolio_list_for_user(user).only("id", "name").annotate(unread_notifications=Subquery(unread)))
    request._pmflow_unread_notifications = sum(p.unread_notifications or 0 for p in portfolios)
    return {
        "switcher_portfolios": portfolios,
        "current_portfolio_id": current,
    }


class NotificationBell:
    """The top bar's bell: the unread count (the switcher's, else counted once when a template asks)."""

    def __init__(self, user, known: int | None = None):
        self.user = user
        self.known = known

    @cached_property
    def count(self) -> int:
        if self.known is not None:
            return self.known
        from products.services.notifications import unread_count

        return unread_count(self.user)

    @property
    def badge(self) -> str:
        return "99+" if self.count > 99 else str(self.count)


def notification_bell(request):
    """The bell for the top bar of signed-in pages (not the admin's, not the API's)."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or request.path.startswith(("/admin/", "/api/")):
        return {}
    return {"notification_bell": NotificationBell(user, getattr(request, "_pmflow_unread_notifications", None))}
