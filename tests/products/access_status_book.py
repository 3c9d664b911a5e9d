"""The status book: rows of the generated access test (tests/test_access_matrix.py merges them). The house's
entry {entry} ("Nebula log line" on {product}) was written by its product manager: only that author and the
admins change it, so a marketer, a viewer and (were there one) another product manager get 403."""

from tests.test_access_matrix import api, page

WRITERS = frozenset({"admin", "product_manager"})

ENTRY_FORM = {
    "product": "{product}",
    "category": "long_term",
    "minutes": "45",
    "text": "Vision workshop",
    "date": "2026-03-02",
}
ENTRY_JSON = {
    "product": "{product}",
    "category": "long_term",
    "minutes": 45,
    "text": "Vision workshop",
    "date": "2026-03-02",
}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/status-book/": [
        page("GET", "/portfolios/{portfolio}/status-book/", "read"),
        page(
            "GET",
            "/portfolios/{portfolio}/status-book/?author=&product={product}&category=daily&from=2026-01-01"
            "&to=2026-12-31&search=Nebula",
            "read",
        ),
        page("GET", "/portfolios/{portfolio}/status-book/?author=&from=2026-02-01&to=2026-03-31&format=csv", "read"),
    ],
    "portfolios/<int:portfolio_id>/status-book/balance/": [
        page("GET", "/portfolios/{portfolio}/status-book/balance/", "read"),
        page("GET", "/portfolios/{portfolio}/status-book/balance/?from=2026-02-01&to=2026-03-31&format=csv", "read"),
    ],
    "status-book/new/": [
        page("GET", "/status-book/new/?portfolio={portfolio}", WRITERS),
        page("POST", "/status-book/new/?portfolio={portfolio}", WRITERS, ENTRY_FORM),
        page("POST", "/status-book/new/?portfolio={portfolio}", WRITERS, {**ENTRY_FORM, "return_to": "dashboard"}),
    ],
    "status-book/<int:entry_id>/edit/": [
        page("GET", "/status-book/{entry}/edit/", WRITERS),
        page("POST", "/status-book/{entry}/edit/", WRITERS, {**ENTRY_FORM, "text": "Nebula log line, again"}),
    ],
    "status-book/<int:entry_id>/delete/": [
        page("GET", "/status-book/{entry}/delete/", WRITERS),
        page("POST", "/status-book/{entry}/delete/", WRITERS, {}),
    ],
    # --- API ---
    "api/v1/^status-book/$": [
        api("GET", "/api/v1/status-book/?search=Nebula", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/status-book/?portfolio={portfolio}&product={product}&category=daily&from=2026-01-01"
            "&to=2026-12-31&ordering=-minutes",
            "read",
            scoped_list=True,
        ),
        api("GET", "/api/v1/status-book/?format=csv", "read", scoped_list=True),
        api("POST", "/api/v1/status-book/", WRITERS, ENTRY_JSON),
    ],
    "api/v1/^status-book/balance/$": [
        api("GET", "/api/v1/status-book/balance/", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/status-book/balance/?from=2026-02-01&to=2026-03-31&product={product}&portfolio={portfolio}",
            "read",
            scoped_list=True,
        ),
    ],
    "api/v1/^status-book/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/status-book/{entry}/", "read"),
        api("PATCH", "/api/v1/status-book/{entry}/", WRITERS, {"minutes": 30}),
        api("PUT", "/api/v1/status-book/{entry}/", WRITERS, ENTRY_JSON),
        api("DELETE", "/api/v1/status-book/{entry}/", WRITERS),
    ],
}
