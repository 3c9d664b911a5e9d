"""The roadmap timeline's and value/effort matrix's rows of the generated access test
(tests/test_access_matrix.py merges them): GET pages every member reads."""

from tests.test_access_matrix import page

ENDPOINTS = {
    "portfolios/<int:portfolio_id>/roadmap/timeline/": [
        page("GET", "/portfolios/{portfolio}/roadmap/timeline/", "read"),
        page("GET", "/portfolios/{portfolio}/roadmap/timeline/?product={product}&from=2026-01&to=2026-12", "read"),
        page("GET", "/portfolios/{portfolio}/roadmap/timeline/?product={product}&format=csv", "read"),
    ],
    "portfolios/<int:portfolio_id>/roadmap/matrix/": [
        page("GET", "/portfolios/{portfolio}/roadmap/matrix/", "read"),
        page("GET", "/portfolios/{portfolio}/roadmap/matrix/?product={product}&status=done&kind=feature", "read"),
        page("GET", "/portfolios/{portfolio}/roadmap/matrix/?product={product}&format=csv", "read"),
    ],
}
