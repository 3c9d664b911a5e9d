"""Webhooks: rows of the generated access test (tests/test_access_matrix.py merges them). The house's hook
{webhook} “Orion hook” posts product.stage_changed to https://93.184.216.34/pmflow (a public address, so
saving it passes the address guard without DNS) and has one delivery {delivery}. Only admins see or
change hooks (their addresses and secrets are credentials): other members get 403, pages and API alike.
Nothing here sends: without a broker the tests run tasks in-process, and deliveries are never sent from
a request (they wait for a worker)."""

from tests.test_access_matrix import api, page

ADMINS = frozenset({"admin"})

HOOK_FORM = {
    "url": "https://93.184.216.34/pmflow",
    "events": ["product.stage_changed", "release.shipped"],
    "description": "Orion hook",
    "is_active": "on",
}
HOOK_JSON = {
    "portfolio": "{portfolio}",
    "url": "https://93.184.216.34/hooks/pmflow",
    "events": ["product.stage_changed", "launch_plan.launched"],
    "description": "CRM sync",
}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/webhooks/": [page("GET", "/portfolios/{portfolio}/webhooks/", ADMINS)],
    "portfolios/<int:portfolio_id>/webhooks/new/": [
        page("GET", "/portfolios/{portfolio}/webhooks/new/", ADMINS),
        page("POST", "/portfolios/{portfolio}/webhooks/new/", ADMINS, HOOK_FORM),
    ],
    "webhooks/<int:webhook_id>/": [
        page("GET", "/webhooks/{webhook}/", ADMINS),
        page("GET", "/webhooks/{webhook}/?status=pending&page=1", ADMINS),
    ],
    "webhooks/<int:webhook_id>/edit/": [
        page("GET", "/webhooks/{webhook}/edit/", ADMINS),
        page("POST", "/webhooks/{webhook}/edit/", ADMINS, HOOK_FORM),
    ],
    "webhooks/<int:webhook_id>/test/": [page("POST", "/webhooks/{webhook}/test/", ADMINS)],
    "webhooks/<int:webhook_id>/enable/": [page("POST", "/webhooks/{webhook}/enable/", ADMINS)],
    "webhooks/<int:webhook_id>/rotate-secret/": [
        page("GET", "/webhooks/{webhook}/rotate-secret/", ADMINS),
        page("POST", "/webhooks/{webhook}/rotate-secret/", ADMINS),
    ],
    "webhooks/<int:webhook_id>/delete/": [
        page("GET", "/webhooks/{webhook}/delete/", ADMINS),
        page("POST", "/webhooks/{webhook}/delete/", ADMINS),
    ],
    # --- API ---
    "api/v1/^webhooks/$": [
        api("GET", "/api/v1/webhooks/", ADMINS, scoped_list=True),
        api(
            "GET",
            "/api/v1/webhooks/?portfolio={portfolio}&is_active=true&ordering=-created_at",
            ADMINS,
            scoped_list=True,
        ),
        api("POST", "/api/v1/webhooks/", ADMINS, HOOK_JSON),
    ],
    "api/v1/^webhooks/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/webhooks/{webhook}/", ADMINS),
        api("PATCH", "/api/v1/webhooks/{webhook}/", ADMINS, {"events": ["release.shipped"], "is_active": False}),
        api("PUT", "/api/v1/webhooks/{webhook}/", ADMINS, {**HOOK_JSON, "url": "https://93.184.216.34/pmflow"}),
        api("DELETE", "/api/v1/webhooks/{webhook}/", ADMINS),
    ],
    "api/v1/^webhooks/(?P<pk>[^/.]+)/deliveries/$": [
        api("GET", "/api/v1/webhooks/{webhook}/deliveries/", ADMINS),
        api("GET", "/api/v1/webhooks/{webhook}/deliveries/?status=pending&event=product.stage_changed", ADMINS),
    ],
    "api/v1/^webhooks/(?P<pk>[^/.]+)/test/$": [api("POST", "/api/v1/webhooks/{webhook}/test/", ADMINS, ok=(202,))],
    "api/v1/^webhooks/(?P<pk>[^/.]+)/rotate-secret/$": [
        api("POST", "/api/v1/webhooks/{webhook}/rotate-secret/", ADMINS)
    ],
}
