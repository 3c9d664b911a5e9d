"""Rows of the generated access test (tests/test_access_matrix.py merges them) for the post-launch reviews.

The house's {review} reviews its launched plan {launched_plan} "Zenith launch" of {product}: every member
reads the reviews, their pages and the accuracy; admins and product managers change the window. An outsider's
list and accuracy are empty (a foreign portfolio answers as one without reviews)."""

from tests.test_access_matrix import api, page

MANAGERS = frozenset({"admin", "product_manager"})

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/launch-reviews/": [
        page("GET", "/portfolios/{portfolio}/launch-reviews/", "read"),
        page("GET", "/portfolios/{portfolio}/launch-reviews/?product={product}", "read"),
        page("GET", "/portfolios/{portfolio}/launch-reviews/?format=csv", "read"),
    ],
    "launch-reviews/<int:review_id>/": [page("GET", "/launch-reviews/{review}/", "read")],
    "launch-reviews/<int:review_id>/window/": [
        page("POST", "/launch-reviews/{review}/window/", MANAGERS, {"window_days": "45"}),
    ],
    "launches/<int:plan_id>/review/": [page("GET", "/launches/{launched_plan}/review/", "read")],
    # --- API ---
    "api/v1/^launch-reviews/$": [
        api("GET", "/api/v1/launch-reviews/", "read", scoped_list=True),
        api("GET", "/api/v1/launch-reviews/?portfolio={portfolio}&product={product}", "read", scoped_list=True),
        api("GET", "/api/v1/launch-reviews/?launch_plan={launched_plan}&format=csv", "read", scoped_list=True),
    ],
    "api/v1/^launch-reviews/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/launch-reviews/{review}/", "read"),
        api("PATCH", "/api/v1/launch-reviews/{review}/", MANAGERS, {"window_days": 45}),
        api("PUT", "/api/v1/launch-reviews/{review}/", MANAGERS, {"window_days": 60}),
    ],
    "api/v1/^launch-reviews/accuracy/$": [
        api("GET", "/api/v1/launch-reviews/accuracy/?portfolio={portfolio}", "read", scoped_list=True),
        api(
            "GET", "/api/v1/launch-reviews/accuracy/?portfolio={portfolio}&product={product}", "read", scoped_list=True
        ),
    ],
}
