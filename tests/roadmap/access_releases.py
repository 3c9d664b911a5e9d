"""The release pages' and the scoring weights page's rows of the generated access test
(tests/test_access_matrix.py merges them). The house's release {release} "Aurora release" 9.9 holds
the open item {item}: a plain ship is the contract's 409 for the roles that may ship."""

from tests.test_access_matrix import ADMINS, MANAGERS, Op, page

WEIGHTS_FORM = {
    "value": "3",
    "business_value": "2",
    "time_criticality": "1",
    "risk_reduction": "1",
    "reach": "0",
    "impact": "0",
    "confidence": "0",
    "effort": "-2",
    "job_size": "0",
}

ENDPOINTS = {
    "portfolios/<int:portfolio_id>/releases/": [
        page("GET", "/portfolios/{portfolio}/releases/", "read"),
        page("GET", "/portfolios/{portfolio}/releases/?product={product}&status=planned", "read"),
    ],
    "releases/new/": [
        page("GET", "/releases/new/?product={product}", MANAGERS),
        page("POST", "/releases/new/?product={product}", MANAGERS, {"version": "10.0", "target_date": "2027-01-15"}),
    ],
    "releases/<int:release_id>/": [page("GET", "/releases/{release}/", "read")],
    "releases/<int:release_id>/edit/": [
        page("GET", "/releases/{release}/edit/", MANAGERS),
        page(
            "POST",
            "/releases/{release}/edit/",
            MANAGERS,
            {"version": "9.9", "name": "Aurora release", "target_date": "2027-03-01"},
        ),
    ],
    "releases/<int:release_id>/delete/": [
        page("GET", "/releases/{release}/delete/", MANAGERS),
        page("POST", "/releases/{release}/delete/", MANAGERS, {}),
    ],
    "releases/<int:release_id>/ship/": [
        page("GET", "/releases/{release}/ship/", MANAGERS),
        # Refused for the open item: 409 with the item listed, nothing shipped.
        Op("POST", "/releases/{release}/ship/", MANAGERS, {}, ok=(409,)),
        page("POST", "/releases/{release}/ship/", MANAGERS, {"override": "true", "reason": "Hotfix"}),
    ],
    "portfolios/<int:portfolio_id>/scoring/": [
        page("GET", "/portfolios/{portfolio}/scoring/", "read"),
        page("POST", "/portfolios/{portfolio}/scoring/", ADMINS, WEIGHTS_FORM),
    ],
}

ENDPOINTS["releases/<int:release_id>/items/"] = [
    page("POST", "/releases/{release}/items/", MANAGERS, {"remove": "{item}"}),
    page("POST", "/releases/{release}/items/", MANAGERS, {"add": "{initiative}"}),
]
