"""Market insight, competitors and their moves: rows of the generated access test (tests/test_access_matrix.py
merges them). The house's insight {insight} "Cosmic insight" concerns {product} and is behind {idea}; its
competitor {competitor} "Rival Corp" made the move {move} "Rival price cut" (a price change, no response yet)
on {product}. Insights and moves are written by admins, product managers and marketers; competitor profiles
by admins and product managers."""

from tests.test_access_matrix import api, page

MANAGERS = frozenset({"admin", "product_manager"})
WRITERS = frozenset({"admin", "product_manager", "marketer"})

INSIGHT_FORM = {
    "title": "Buyers expect SSO",
    "kind": "customer_expectation",
    "impact": "high",
    "observed_on": "2026-03-02",
    "source": "Win/loss interviews Q1",
    "products": "{product}",
    "summary": "Three lost deals named SSO.",
}
COMPETITOR_FORM = {"name": "Upstart Inc", "threat": "medium", "website": "https://upstart.example.com"}
MOVE_FORM = {
    "kind": "launch",
    "happened_on": "2026-03-04",
    "description": "Launched a free tier",
    "products": "{product}",
    "response_status": "none",
}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/insights/": [
        page("GET", "/portfolios/{portfolio}/insights/", "read"),
        page(
            "GET",
            "/portfolios/{portfolio}/insights/?product={product}&kind=trend&impact=medium&since=2000-01-01&q=Cosmic",
            "read",
        ),
        page("GET", "/portfolios/{portfolio}/insights/?format=csv", "read"),
    ],
    "insights/new/": [
        page("GET", "/insights/new/?portfolio={portfolio}&product={product}", WRITERS),
        page("POST", "/insights/new/?portfolio={portfolio}", WRITERS, INSIGHT_FORM),
    ],
    "insights/<int:insight_id>/": [page("GET", "/insights/{insight}/", "read")],
    "insights/<int:insight_id>/edit/": [
        page("GET", "/insights/{insight}/edit/", WRITERS),
        page("POST", "/insights/{insight}/edit/", WRITERS, {**INSIGHT_FORM, "title": "Cosmic insight"}),
    ],
    "insights/<int:insight_id>/delete/": [
        page("GET", "/insights/{insight}/delete/", WRITERS),
        page("POST", "/insights/{insight}/delete/", WRITERS, {}),
    ],
    "portfolios/<int:portfolio_id>/competitors/": [
        page("GET", "/portfolios/{portfolio}/competitors/", "read"),
        page("GET", "/portfolios/{portfolio}/competitors/?product={product}&threat=medium&segment={segment}", "read"),
        page("GET", "/portfolios/{portfolio}/competitors/?format=csv", "read"),
    ],
    "competitors/new/": [
        page("GET", "/competitors/new/?portfolio={portfolio}", MANAGERS),
        page("POST", "/competitors/new/?portfolio={portfolio}", MANAGERS, COMPETITOR_FORM),
    ],
    "competitors/<int:competitor_id>/": [
        page("GET", "/competitors/{competitor}/", "read"),
        page("GET", "/competitors/{competitor}/?response_status=none", "read"),
    ],
    "competitors/<int:competitor_id>/edit/": [
        page("GET", "/competitors/{competitor}/edit/", MANAGERS),
        page(
            "POST",
            "/competitors/{competitor}/edit/",
            MANAGERS,
            {"name": "Rival Corp", "threat": "high", "segments": "{segment}", "pricing": "Per seat"},
        ),
    ],
    "competitors/<int:competitor_id>/delete/": [
        page("GET", "/competitors/{competitor}/delete/", MANAGERS),
        page("POST", "/competitors/{competitor}/delete/", MANAGERS, {}),
    ],
    "competitors/<int:competitor_id>/moves/new/": [
        page("GET", "/competitors/{competitor}/moves/new/?product={product}", WRITERS),
        page("POST", "/competitors/{competitor}/moves/new/", WRITERS, MOVE_FORM),
    ],
    "competitor-moves/<int:move_id>/edit/": [
        page("GET", "/competitor-moves/{move}/edit/", WRITERS),
        page(
            "POST",
            "/competitor-moves/{move}/edit/?from=list",
            WRITERS,
            {
                **MOVE_FORM,
                "competitor": "{competitor}",
                "kind": "price_change",
                "description": "Rival price cut",
                "response_status": "planned",
                "response": "Match for deals over 50 seats",
            },
        ),
    ],
    "competitor-moves/<int:move_id>/delete/": [
        page("GET", "/competitor-moves/{move}/delete/", WRITERS),
        page("POST", "/competitor-moves/{move}/delete/", WRITERS, {}),
    ],
    # --- API ---
    "api/v1/^market-insights/$": [
        api("GET", "/api/v1/market-insights/?search=Cosmic", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/market-insights/?product={product}&idea={idea}&kind=trend&from=2000-01-01",
            "read",
            scoped_list=True,
        ),
        api(
            "POST",
            "/api/v1/market-insights/",
            WRITERS,
            {"portfolio": "{portfolio}", "kind": "trend", "title": "AI copilots", "observed_on": "2026-03-01"},
        ),
    ],
    "api/v1/^market-insights/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/market-insights/{insight}/", "read"),
        api("PATCH", "/api/v1/market-insights/{insight}/", WRITERS, {"impact": "high", "products": ["{product}"]}),
        api("DELETE", "/api/v1/market-insights/{insight}/", WRITERS),
    ],
    "api/v1/^competitors/$": [
        api("GET", "/api/v1/competitors/?search=Rival", "read", scoped_list=True),
        api("GET", "/api/v1/competitors/?portfolio={portfolio}&threat=medium", "read", scoped_list=True),
        api("POST", "/api/v1/competitors/", MANAGERS, {"portfolio": "{portfolio}", "name": "Upstart Inc"}),
    ],
    "api/v1/^competitors/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/competitors/{competitor}/", "read"),
        api("PATCH", "/api/v1/competitors/{competitor}/", MANAGERS, {"threat": "high", "segments": ["{segment}"]}),
        api("DELETE", "/api/v1/competitors/{competitor}/", MANAGERS),
    ],
    "api/v1/^competitor-moves/$": [
        api("GET", "/api/v1/competitor-moves/?search=Rival", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/competitor-moves/?competitor={competitor}&product={product}&response_status=none",
            "read",
            scoped_list=True,
        ),
        api(
            "POST",
            "/api/v1/competitor-moves/",
            WRITERS,
            {"competitor": "{competitor}", "kind": "campaign", "happened_on": "2026-03-05", "description": "Ads"},
        ),
    ],
    "api/v1/^competitor-moves/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/competitor-moves/{move}/", "read"),
        api(
            "PATCH",
            "/api/v1/competitor-moves/{move}/",
            WRITERS,
            {"response_status": "planned", "response": "Match the price"},
        ),
        api("DELETE", "/api/v1/competitor-moves/{move}/", WRITERS),
    ],
}
