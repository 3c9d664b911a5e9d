"""Rows of the generated access test (tests/test_access_matrix.py merges them) for the KPIs of launches and
campaigns: the shared before-and-after view of a launch, and what a marketer may write on the KPI routes.

The house's {kpi} "Orbit revenue" is the product's own KPI (admins and product managers write it and its
values; a marketer's write is 403); {plan} "Nova launch" and its {campaign} "Eclipse campaign" may be given
to a new KPI by every go-to-market writer. The KPI routes keep the base rows and gain these."""

from tests.test_access_matrix import ENDPOINTS as BASE
from tests.test_access_matrix import KPI_FORM, MANAGERS, api, page

GTM_WRITERS = frozenset({"admin", "product_manager", "marketer"})

LAUNCH_KPI_JSON = {"product": "{product}", "key": "launch_signups", "name": "Launch sign-ups", "launch_plan": "{plan}"}
CAMPAIGN_KPI_JSON = {
    "product": "{product}",
    "key": "eclipse_leads",
    "name": "Eclipse leads",
    "launch_plan": "{plan}",
    "campaign": "{campaign}",
}

ENDPOINTS = {
    "launches/<int:plan_id>/kpis/": [
        page("GET", "/launches/{plan}/kpis/", "read"),
        page("GET", "/launches/{plan}/kpis/?weeks=13", "read"),
        page("GET", "/launches/{plan}/kpis/?weeks=4&format=csv", "read"),
    ],
    "kpis/new/": [
        *BASE["kpis/new/"],
        page("GET", "/kpis/new/?product={product}&launch_plan={plan}", GTM_WRITERS),
        page(
            "POST",
            "/kpis/new/?product={product}&launch_plan={plan}",
            GTM_WRITERS,
            {**KPI_FORM, "launch_plan": "{plan}", "campaign": "{campaign}"},
        ),
    ],
    "api/v1/^kpis/$": [
        *BASE["api/v1/^kpis/$"],
        api("GET", "/api/v1/kpis/?launch_plan={plan}", "read", scoped_list=True),
        api("GET", "/api/v1/kpis/?campaign={campaign}", "read", scoped_list=True),
        api("POST", "/api/v1/kpis/", GTM_WRITERS, LAUNCH_KPI_JSON),
        api("POST", "/api/v1/kpis/", GTM_WRITERS, CAMPAIGN_KPI_JSON),
    ],
    "api/v1/^kpis/(?P<pk>[^/.]+)/$": [
        *BASE["api/v1/^kpis/(?P<pk>[^/.]+)/$"],
        # A marketer may not narrow the product's own KPI (nor write it at all).
        api("PATCH", "/api/v1/kpis/{kpi}/", MANAGERS, {"launch_plan": "{plan}"}),
    ],
}
