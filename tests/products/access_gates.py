"""Stage gates: rows of the generated access test (tests/test_access_matrix.py merges them). The house's
gate {gate} is its portfolio's Research gate (“has a description”); the other stages have no row (their
defaults apply). Every member reads the gates; admins write them. The defaults and the criterion types
are the same for everyone signed in."""

from tests.test_access_matrix import api, page

ADMINS = frozenset({"admin"})

GATE_JSON = {
    "portfolio": "{portfolio}",
    "stage": "planning",
    "criteria": [{"type": "has_description"}, {"type": "has_roadmap_items", "params": {"min": 2}}],
}
GATE_FORM = {"one_stage_forward": "on", "has_goal": "on", "has_roadmap_items__min": "1"}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/gates/": [page("GET", "/portfolios/{portfolio}/gates/", "read")],
    "portfolios/<int:portfolio_id>/gates/<slug:stage>/": [
        page("GET", "/portfolios/{portfolio}/gates/research/", ADMINS),
        page("POST", "/portfolios/{portfolio}/gates/research/", ADMINS, GATE_FORM),
        page("POST", "/portfolios/{portfolio}/gates/planning/", ADMINS, GATE_FORM),
        page("POST", "/portfolios/{portfolio}/gates/research/", ADMINS, {"reset": "1"}),
    ],
    # --- API ---
    "api/v1/^stage-gates/$": [
        api("GET", "/api/v1/stage-gates/", "read", scoped_list=True),
        api("GET", "/api/v1/stage-gates/?portfolio={portfolio}&stage=research", "read", scoped_list=True),
        api("POST", "/api/v1/stage-gates/", ADMINS, GATE_JSON),
    ],
    "api/v1/^stage-gates/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/stage-gates/{gate}/", "read"),
        api("PATCH", "/api/v1/stage-gates/{gate}/", ADMINS, {"criteria": [{"type": "has_goal"}]}),
        api("PUT", "/api/v1/stage-gates/{gate}/", ADMINS, {**GATE_JSON, "stage": "research"}),
        api("DELETE", "/api/v1/stage-gates/{gate}/", ADMINS),
    ],
    "api/v1/^stage-gates/defaults/$": [api("GET", "/api/v1/stage-gates/defaults/", "anyone")],
    "api/v1/^stage-gates/criterion-types/$": [api("GET", "/api/v1/stage-gates/criterion-types/", "anyone")],
}
