"""Vision, goals and key results: rows of the generated access test (tests/test_access_matrix.py merges them).
The house's goal {goal} "Horizon goal" of {product} has the key result {key_result} "Quantum key result",
measured by the KPI {kpi} "Orbit revenue". Admins and product managers write; every member reads."""

from tests.test_access_matrix import MANAGERS, api, page

GOAL_FORM = {"title": "Win the mid-market", "period_start": "2026-01-01", "period_end": "2026-12-31"}
KEY_RESULT_FORM = {"title": "Churn to 4 %", "start_value": "8", "target_value": "4", "manual_value": "6"}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/goals/": [
        page("GET", "/portfolios/{portfolio}/goals/", "read"),
        page("GET", "/portfolios/{portfolio}/goals/?product={product}&period=all", "read"),
        page("GET", "/portfolios/{portfolio}/goals/?period=all&format=csv", "read"),
    ],
    "products/<int:product_id>/goals/": [
        page("GET", "/products/{product}/goals/", "read"),
        page("GET", "/products/{product}/goals/?period=current&format=csv", "read"),
    ],
    "products/<int:product_id>/goals/new/": [
        page("GET", "/products/{product}/goals/new/", MANAGERS),
        page("POST", "/products/{product}/goals/new/", MANAGERS, GOAL_FORM),
    ],
    "products/<int:product_id>/vision/": [
        page("GET", "/products/{product}/vision/", MANAGERS),
        page("POST", "/products/{product}/vision/", MANAGERS, {"vision": "Tracking for every nebula."}),
    ],
    "goals/<int:goal_id>/edit/": [
        page("GET", "/goals/{goal}/edit/", MANAGERS),
        page(
            "POST", "/goals/{goal}/edit/", MANAGERS, {**GOAL_FORM, "title": "Horizon goal", "period_end": "2027-06-30"}
        ),
    ],
    "goals/<int:goal_id>/delete/": [
        page("GET", "/goals/{goal}/delete/", MANAGERS),
        page("POST", "/goals/{goal}/delete/", MANAGERS, {}),
    ],
    "goals/<int:goal_id>/key-results/new/": [
        page("GET", "/goals/{goal}/key-results/new/", MANAGERS),
        page("POST", "/goals/{goal}/key-results/new/", MANAGERS, KEY_RESULT_FORM),
    ],
    "key-results/<int:key_result_id>/edit/": [
        page("GET", "/key-results/{key_result}/edit/", MANAGERS),
        page(
            "POST",
            "/key-results/{key_result}/edit/",
            MANAGERS,
            {"title": "Quantum key result", "start_value": "0", "target_value": "200", "kpi": "{kpi}"},
        ),
    ],
    "key-results/<int:key_result_id>/delete/": [
        page("GET", "/key-results/{key_result}/delete/", MANAGERS),
        page("POST", "/key-results/{key_result}/delete/", MANAGERS, {}),
    ],
    # --- API ---
    "api/v1/^goals/$": [
        api("GET", "/api/v1/goals/?search=Horizon", "read", scoped_list=True),
        api("GET", "/api/v1/goals/?product={product}&period=all&format=csv", "read", scoped_list=True),
        api("POST", "/api/v1/goals/", MANAGERS, {"product": "{product}", **GOAL_FORM}),
    ],
    "api/v1/^goals/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/goals/{goal}/", "read"),
        api("PATCH", "/api/v1/goals/{goal}/", MANAGERS, {"title": "Horizon goal 2"}),
        api("DELETE", "/api/v1/goals/{goal}/", MANAGERS),
    ],
    "api/v1/^key-results/$": [
        api("GET", "/api/v1/key-results/?search=Quantum", "read", scoped_list=True),
        api("GET", "/api/v1/key-results/?goal={goal}&kpi={kpi}&format=csv", "read", scoped_list=True),
        api("POST", "/api/v1/key-results/", MANAGERS, {"goal": "{goal}", "title": "NPS at 40", "target_value": 40}),
    ],
    "api/v1/^key-results/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/key-results/{key_result}/", "read"),
        api("PATCH", "/api/v1/key-results/{key_result}/", MANAGERS, {"kpi": None, "manual_value": 12}),
        api("DELETE", "/api/v1/key-results/{key_result}/", MANAGERS),
    ],
}
