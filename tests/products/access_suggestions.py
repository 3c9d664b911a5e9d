"""Stage suggestions: rows of the generated access test (tests/test_access_matrix.py merges them). The
house's suggestion {suggestion} (pending, research → planning) of {product} comes from {suggest_rule}.
Every member reads suggestions; admins and product managers accept or dismiss them."""

from tests.test_access_matrix import api, page

MANAGERS = frozenset({"admin", "product_manager"})

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/suggestions/": [
        page("GET", "/portfolios/{portfolio}/suggestions/", "read"),
        page("GET", "/portfolios/{portfolio}/suggestions/?product={product}&status=pending", "read"),
        page("GET", "/portfolios/{portfolio}/suggestions/?format=csv", "read"),
    ],
    "suggestions/<int:suggestion_id>/": [page("GET", "/suggestions/{suggestion}/", "read")],
    "suggestions/<int:suggestion_id>/accept/": [
        page("POST", "/suggestions/{suggestion}/accept/", MANAGERS, {"reason": "Research is done"})
    ],
    "suggestions/<int:suggestion_id>/dismiss/": [
        page("POST", "/suggestions/{suggestion}/dismiss/", MANAGERS, {"reason": "Not yet"})
    ],
    # --- API ---
    "api/v1/^stage-suggestions/$": [
        api("GET", "/api/v1/stage-suggestions/", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/stage-suggestions/?portfolio={portfolio}&product={product}&rule={suggest_rule}&status=pending",
            "read",
            scoped_list=True,
        ),
        api("GET", "/api/v1/stage-suggestions/?format=csv", "read", scoped_list=True),
    ],
    "api/v1/^stage-suggestions/(?P<pk>[^/.]+)/$": [api("GET", "/api/v1/stage-suggestions/{suggestion}/", "read")],
    "api/v1/^stage-suggestions/(?P<pk>[^/.]+)/accept/$": [
        api("POST", "/api/v1/stage-suggestions/{suggestion}/accept/", MANAGERS, {"reason": "Research is done"})
    ],
    "api/v1/^stage-suggestions/(?P<pk>[^/.]+)/dismiss/$": [
        api("POST", "/api/v1/stage-suggestions/{suggestion}/dismiss/", MANAGERS, {"reason": "Not yet"})
    ],
}
