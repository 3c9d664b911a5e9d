"""Notifications and their settings: rows of the generated access test (tests/test_access_matrix.py merges
them). The house gives each member their own notification {notification_<role>} ("Nebula notification").
Each person reaches only their own: another member's is the same 404 as a missing one (asserted exactly in
tests/products/test_notifications_api.py and _pages.py), so the rows that name one member's notification
accept 200/302 for its owner and 404 for the other members; the outsider gets 404 and sees no name.
Lists and settings are every signed-in person's own (an outsider sees only their own portfolio)."""

from tests.test_access_matrix import Op, api, page

OWN_OR_404 = (200, 204, 302, 404)


def own(method, url, body=None, *, is_api=False):
    """A call on one member's notification: the owner succeeds, another member gets 404."""
    return Op(method, url, "read", body, api=is_api, ok=OWN_OR_404)


ENDPOINTS = {
    # --- pages ---
    "notifications/": [
        page("GET", "/notifications/", "anyone"),
        page("GET", "/notifications/?show=unread&kind=stage_changed&portfolio={portfolio}", "anyone"),
    ],
    "notifications/settings/": [
        page("GET", "/notifications/settings/", "anyone"),
        page("POST", "/notifications/settings/", "anyone", {"c-{portfolio}-stage_changed-in_app": "on"}),
        page("POST", "/notifications/settings/", "anyone", {"reset": "{portfolio}"}),
    ],
    "notifications/read-all/": [page("POST", "/notifications/read-all/", "anyone", {"portfolio": "{portfolio}"})],
    "notifications/<int:notification_id>/read/": [
        own("POST", "/notifications/{notification_viewer}/read/", {}),
        own("POST", "/notifications/{notification_admin}/read/", {}),
    ],
    "notifications/<int:notification_id>/open/": [
        own("GET", "/notifications/{notification_marketer}/open/"),
        own("GET", "/notifications/{notification_product_manager}/open/"),
    ],
    # --- API ---
    "api/v1/^notifications/$": [
        api("GET", "/api/v1/notifications/", "anyone"),
        api("GET", "/api/v1/notifications/?portfolio={portfolio}&kind=stage_changed&unread=true", "anyone"),
    ],
    "api/v1/^notifications/(?P<pk>[^/.]+)/$": [own("GET", "/api/v1/notifications/{notification_viewer}/", is_api=True)],
    "api/v1/^notifications/(?P<pk>[^/.]+)/read/$": [
        own("POST", "/api/v1/notifications/{notification_admin}/read/", {}, is_api=True),
        own("POST", "/api/v1/notifications/{notification_marketer}/read/", {}, is_api=True),
    ],
    "api/v1/^notifications/read-all/$": [
        api("POST", "/api/v1/notifications/read-all/?portfolio={portfolio}", "anyone")
    ],
    "api/v1/^notification-settings/$": [
        api("GET", "/api/v1/notification-settings/", "anyone"),
        api("GET", "/api/v1/notification-settings/?portfolio={portfolio}&kind=mention", "anyone"),
        # A member sets their own; the outsider's is a 404 (not a portfolio of theirs), nothing written.
        api(
            "POST",
            "/api/v1/notification-settings/",
            "read",
            {"portfolio": "{portfolio}", "kind": "mention", "email": False},
        ),
    ],
}
