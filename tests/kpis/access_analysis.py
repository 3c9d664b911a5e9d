"""The portfolio analysis and its thresholds: rows of the generated access test (tests/test_access_matrix.py
merges them). Every member reads the analysis of {portfolio} or its line {line} (an outsider gets the empty
answer, as from /rollups/?portfolio=); only admins change the thresholds (403 for the others, nothing
changed; 404 for an outsider)."""

from tests.test_access_matrix import ADMINS, api, page

THRESHOLDS_FORM = {
    "retire_falling_quarters": "3",
    "extend_segment_min_growth_pct": "12.5",
    "extend_segment_min_priority": "3",
    "extend_demand_min_growth_pct": "25",
}
THRESHOLDS_JSON = {
    "retire_falling_quarters": 3,
    "extend_segment_min_growth_pct": 12.5,
    "extend_segment_min_priority": 3,
    "extend_demand_min_growth_pct": 25,
}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/analysis/": [
        page("GET", "/portfolios/{portfolio}/analysis/", "read"),
        page("GET", "/portfolios/{portfolio}/analysis/?product_line={line}", "read"),
        page("GET", "/portfolios/{portfolio}/analysis/?product_line={line}&format=csv", "read"),
    ],
    "portfolios/<int:portfolio_id>/analysis/settings/": [
        page("GET", "/portfolios/{portfolio}/analysis/settings/", "read"),
        page("POST", "/portfolios/{portfolio}/analysis/settings/", ADMINS, THRESHOLDS_FORM),
    ],
    # --- API ---
    "api/v1/portfolio-analysis/": [
        api("GET", "/api/v1/portfolio-analysis/?portfolio={portfolio}", "read", scoped_list=True),
        api("GET", "/api/v1/portfolio-analysis/?product_line={line}", "read", scoped_list=True),
    ],
    "api/v1/portfolios/<int:id>/analysis-settings/": [
        api("GET", "/api/v1/portfolios/{portfolio}/analysis-settings/", "read"),
        api("PUT", "/api/v1/portfolios/{portfolio}/analysis-settings/", ADMINS, THRESHOLDS_JSON),
        api("PATCH", "/api/v1/portfolios/{portfolio}/analysis-settings/", ADMINS, {"retire_falling_quarters": 4}),
    ],
}
