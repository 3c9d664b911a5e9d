"""The roadmap board's rows of the generated access test (tests/test_access_matrix.py merges them)."""

from tests.test_access_matrix import MANAGERS, page

ENDPOINTS = {
    "products/<int:product_id>/roadmap/": [
        page("GET", "/products/{product}/roadmap/", "read"),
        page("GET", "/products/{product}/roadmap/?kind=feature&release={release}&score=wsjf_score", "read"),
    ],
    "portfolios/<int:portfolio_id>/roadmap/": [
        page("GET", "/portfolios/{portfolio}/roadmap/", "read"),
        page("GET", "/portfolios/{portfolio}/roadmap/?product={product}&hide_finished=on", "read"),
    ],
    "roadmap-items/<int:item_id>/move/": [
        page("POST", "/roadmap-items/{item}/move/", MANAGERS, {"horizon": "now", "before": ""}),
        page("POST", "/roadmap-items/{item}/move/", MANAGERS, {"horizon": "next", "before": "{initiative}"}),
    ],
}
