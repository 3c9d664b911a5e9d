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
