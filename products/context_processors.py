from django.utils.functional import cached_property

from products.selectors import portfolio_list_for_user


def portfolio_switcher(request):
    """The user's portfolios for the navigation's switcher, and the one in view."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or request.path.startswith(("/admin/", "/api/")):
        return {}
    current = request.session.get("portfolio_id")
    return {
        "switcher_portfolios": list(portfolio_list_for_user(user).only("id", "name")),
        "current_portfolio_id": current,
    }


class NotificationBell:
    """The top bar's bell: the unread count, counted once and only when a template asks for it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
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
    return {"notification_bell": NotificationBell(user)}
