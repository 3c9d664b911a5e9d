"""The campaign pages' and API's rows of the generated access test (tests/test_access_matrix.py merges them).
The house's campaign {campaign} "Eclipse campaign" belongs to the launch plan {plan} "Nova launch" of the
product {product}, for the segment {segment} "Galaxy segment"."""

from tests.test_access_matrix import api, page

WRITERS = frozenset({"admin", "product_manager", "marketer"})

CAMPAIGN_FORM = {
    "name": "Eclipse campaign",
    "launch_plan": "{plan}",
    "channel": "paid_search",
    "segment": "{segment}",
    "status": "active",
    "start_date": "2027-01-10",
    "end_date": "2027-02-10",
    "budget": "8000",
    "spend": "2500.50",
}
CAMPAIGN_JSON = {
    "product": "{product}",
    "launch_plan": "{plan}",
    "name": "API campaign",
    "channel": "email",
    "segment": "{segment}",
    "start_date": "2027-01-10",
    "end_date": "2027-02-10",
    "budget": 8000,
    "spend": 0,
}

ENDPOINTS = {
    "portfolios/<int:portfolio_id>/campaigns/": [
        page("GET", "/portfolios/{portfolio}/campaigns/", "read"),
        page("GET", "/portfolios/{portfolio}/campaigns/?product={product}&launch_plan={plan}&year=all", "read"),
        page("GET", "/portfolios/{portfolio}/campaigns/?format=csv&year=all", "read"),
    ],
    "campaigns/new/": [
        page("GET", "/campaigns/new/?product={product}&launch_plan={plan}", WRITERS),
        page("POST", "/campaigns/new/?product={product}", WRITERS, CAMPAIGN_FORM),
    ],
    "campaigns/<int:campaign_id>/": [page("GET", "/campaigns/{campaign}/", "read")],
    "campaigns/<int:campaign_id>/edit/": [
        page("GET", "/campaigns/{campaign}/edit/", WRITERS),
        page("POST", "/campaigns/{campaign}/edit/", WRITERS, CAMPAIGN_FORM),
    ],
    "campaigns/<int:campaign_id>/delete/": [
        page("GET", "/campaigns/{campaign}/delete/", WRITERS),
        page("POST", "/campaigns/{campaign}/delete/", WRITERS, {}),
    ],
    "campaigns/<int:campaign_id>/spend/": [
        page("POST", "/campaigns/{campaign}/spend/", WRITERS, {"spend": "6100"}),
    ],
    "api/v1/^campaigns/$": [
        api("GET", "/api/v1/campaigns/?search=Eclipse", "read", scoped_list=True),
        api("GET", "/api/v1/campaigns/?launch_plan={plan}&ordering=-spend", "read", scoped_list=True),
        api("GET", "/api/v1/campaigns/?format=csv&product={product}", "read", scoped_list=True),
        api("POST", "/api/v1/campaigns/", WRITERS, CAMPAIGN_JSON),
    ],
    "api/v1/^campaigns/budget/$": [
        api("GET", "/api/v1/campaigns/budget/?portfolio={portfolio}", "read", scoped_list=True),
        api("GET", "/api/v1/campaigns/budget/?launch_plan={plan}&year=2026", "read", scoped_list=True),
    ],
    "api/v1/^campaigns/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/campaigns/{campaign}/", "read"),
        api("PATCH", "/api/v1/campaigns/{campaign}/", WRITERS, {"spend": 6100, "status": "active"}),
        api("DELETE", "/api/v1/campaigns/{campaign}/", WRITERS),
    ],
}
