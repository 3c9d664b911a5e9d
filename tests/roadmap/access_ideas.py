"""Ideas: rows of the generated access test (tests/test_access_matrix.py merges them). The house's idea
{idea} "Comet idea" is a concept of {product} with the insight {insight} and the feedback {feedback}
behind it; admins and product managers write ideas and decide, everyone else reads."""

from tests.test_access_matrix import MANAGERS, api, page

IDEA_FORM = {"product": "{product}", "title": "Star map", "description": "Where the stars are."}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/ideas/": [
        page("GET", "/portfolios/{portfolio}/ideas/", "read"),
        page("GET", "/portfolios/{portfolio}/ideas/?product={product}&status=concept&sort=newest", "read"),
        page("GET", "/portfolios/{portfolio}/ideas/?format=csv", "read"),
    ],
    "ideas/new/": [
        page("GET", "/ideas/new/?portfolio={portfolio}&product={product}&feedback={feedback}", MANAGERS),
        page("POST", "/ideas/new/?portfolio={portfolio}", MANAGERS, {**IDEA_FORM, "insights": "{insight}"}),
    ],
    "ideas/<int:idea_id>/": [page("GET", "/ideas/{idea}/", "read")],
    "ideas/<int:idea_id>/edit/": [
        page("GET", "/ideas/{idea}/edit/", MANAGERS),
        page("POST", "/ideas/{idea}/edit/", MANAGERS, {"title": "Comet idea", "feedback": "{feedback}"}),
    ],
    "ideas/<int:idea_id>/delete/": [
        page("GET", "/ideas/{idea}/delete/", MANAGERS),
        page("POST", "/ideas/{idea}/delete/", MANAGERS, {}),
    ],
    "ideas/<int:idea_id>/evaluate/": [page("POST", "/ideas/{idea}/evaluate/", MANAGERS, {})],
    "ideas/<int:idea_id>/accept/": [
        page("GET", "/ideas/{idea}/accept/?kind=initiative", MANAGERS),
        page("POST", "/ideas/{idea}/accept/", MANAGERS, {"kind": "feature", "horizon": "next"}),
    ],
    "ideas/<int:idea_id>/reject/": [
        page("GET", "/ideas/{idea}/reject/", MANAGERS),
        page("POST", "/ideas/{idea}/reject/", MANAGERS, {"reason": "Not now"}),
    ],
    # --- API ---
    "api/v1/^ideas/$": [
        api("GET", "/api/v1/ideas/?search=Comet", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/ideas/?product={product}&status=concept&insight={insight}&feedback={feedback}&ordering=demand",
            "read",
            scoped_list=True,
        ),
        api("GET", "/api/v1/ideas/?format=csv", "read", scoped_list=True),
        api("POST", "/api/v1/ideas/", MANAGERS, {**IDEA_FORM, "insights": ["{insight}"], "feedback": ["{feedback}"]}),
    ],
    "api/v1/^ideas/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/ideas/{idea}/", "read"),
        api("PATCH", "/api/v1/ideas/{idea}/", MANAGERS, {"description": "Charted"}),
        api("DELETE", "/api/v1/ideas/{idea}/", MANAGERS),
    ],
    "api/v1/^ideas/(?P<pk>[^/.]+)/evaluate/$": [api("POST", "/api/v1/ideas/{idea}/evaluate/", MANAGERS, {})],
    "api/v1/^ideas/(?P<pk>[^/.]+)/accept/$": [
        api("POST", "/api/v1/ideas/{idea}/accept/", MANAGERS, {"kind": "feature", "horizon": "now"})
    ],
    "api/v1/^ideas/(?P<pk>[^/.]+)/reject/$": [
        api("POST", "/api/v1/ideas/{idea}/reject/", MANAGERS, {"reason": "Not now"})
    ],
}
