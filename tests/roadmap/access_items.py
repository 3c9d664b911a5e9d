"""The roadmap item pages' rows of the generated access test (tests/test_access_matrix.py merges them)."""

from tests.test_access_matrix import MANAGERS, page

ITEM_FORM = {"kind": "feature", "title": "Page feature", "status": "proposed", "horizon": "later"}

ENDPOINTS = {
    "roadmap-items/new/": [
        page("GET", "/roadmap-items/new/?product={product}&parent={initiative}", MANAGERS),
        page("POST", "/roadmap-items/new/?product={product}", MANAGERS, ITEM_FORM),
    ],
    "roadmap-items/<int:item_id>/": [page("GET", "/roadmap-items/{item}/", "read")],
    "roadmap-items/<int:item_id>/edit/": [
        page("GET", "/roadmap-items/{item}/edit/", MANAGERS),
        page(
            "POST",
            "/roadmap-items/{item}/edit/",
            MANAGERS,
            {**ITEM_FORM, "title": "Pulsar feature", "parent": "{initiative}", "status": "planned", "reach": "500"},
        ),
    ],
    "roadmap-items/<int:item_id>/delete/": [
        page("GET", "/roadmap-items/{item}/delete/", MANAGERS),
        page("POST", "/roadmap-items/{item}/delete/", MANAGERS, {}),
    ],
    # {item} already relates to {initiative}; the initiative blocked by the item closes no `blocks` cycle.
    "roadmap-items/<int:item_id>/dependencies/": [
        page("POST", "/roadmap-items/{initiative}/dependencies/", MANAGERS, {"depends_on": "{item}", "kind": "blocks"}),
    ],
    "roadmap-dependencies/<int:dependency_id>/delete/": [
        page("POST", "/roadmap-dependencies/{dependency}/delete/", MANAGERS, {"from": "{item}"}),
    ],
    "portfolios/<int:portfolio_id>/roadmap/items/": [
        page("GET", "/portfolios/{portfolio}/roadmap/items/", "read"),
        page("GET", "/portfolios/{portfolio}/roadmap/items/?product={product}&sort=-rice_score&kind=feature", "read"),
        page("GET", "/portfolios/{portfolio}/roadmap/items/?format=csv&search=Pulsar", "read"),
    ],
}
