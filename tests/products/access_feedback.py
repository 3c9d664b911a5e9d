"""Customer feedback: rows of the generated access test (tests/test_access_matrix.py merges them). The house's
feedback {feedback} is "Meteorite feedback" on {product}, in {segment}, supporting {idea}. Import rows send
a file: ("name.csv", b"bytes")."""

from tests.test_access_matrix import api, page

WRITERS = frozenset({"admin", "product_manager", "marketer"})

FEEDBACK_CSV = (
    "feedback.csv",
    b"product,source,customer,segment,text,importance,deal_value,received_on\n"
    b"Nebula Tracker,sales,Acme,Galaxy segment,Wants an export,4,1200,2026-03-02\n",
)
FEEDBACK_FORM = {
    "product": "{product}",
    "text": "Needs single sign-on",
    "customer": "Acme",
    "source": "sales",
    "segment": "{segment}",
    "importance": "4",
    "deal_value": "12000",
    "received_on": "2026-03-02",
    "ideas": "{idea}",
}
FEEDBACK_JSON = {
    "product": "{product}",
    "text": "Needs single sign-on",
    "source": "sales",
    "importance": 4,
    "deal_value": 12000,
    "received_on": "2026-03-02",
    "segment": "{segment}",
    "ideas": ["{idea}"],
}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/feedback/": [
        page("GET", "/portfolios/{portfolio}/feedback/", "read"),
        page(
            "GET",
            "/portfolios/{portfolio}/feedback/?product={product}&source=interview&segment={segment}&importance=3"
            "&idea={idea}&roadmap_item={item}&received_from=2026-01-01&received_to=2026-12-31&search=Meteorite",
            "read",
        ),
        page("GET", "/portfolios/{portfolio}/feedback/?format=csv", "read"),
    ],
    "portfolios/<int:portfolio_id>/feedback/import/": [
        page("GET", "/portfolios/{portfolio}/feedback/import/", "read"),
        page("GET", "/portfolios/{portfolio}/feedback/import/?format=csv", "read"),
        page("POST", "/portfolios/{portfolio}/feedback/import/", WRITERS, {"file": FEEDBACK_CSV}),
    ],
    "feedback/new/": [
        page("GET", "/feedback/new/?portfolio={portfolio}&product={product}", WRITERS),
        page("POST", "/feedback/new/?portfolio={portfolio}", WRITERS, FEEDBACK_FORM),
    ],
    "feedback/<int:feedback_id>/": [page("GET", "/feedback/{feedback}/", "read")],
    "feedback/<int:feedback_id>/edit/": [
        page("GET", "/feedback/{feedback}/edit/", WRITERS),
        page("POST", "/feedback/{feedback}/edit/", WRITERS, {**FEEDBACK_FORM, "text": "Meteorite feedback, again"}),
    ],
    "feedback/<int:feedback_id>/delete/": [
        page("GET", "/feedback/{feedback}/delete/", WRITERS),
        page("POST", "/feedback/{feedback}/delete/", WRITERS, {}),
    ],
    # --- API ---
    "api/v1/^feedback/$": [
        api("GET", "/api/v1/feedback/?search=Meteorite", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/feedback/?portfolio={portfolio}&product={product}&segment={segment}&idea={idea}"
            "&roadmap_item={item}&source=interview&importance=3&from=2026-01-01&to=2026-12-31",
            "read",
            scoped_list=True,
        ),
        api("GET", "/api/v1/feedback/?format=csv", "read", scoped_list=True),
        api("POST", "/api/v1/feedback/", WRITERS, FEEDBACK_JSON),
    ],
    "api/v1/^feedback/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/feedback/{feedback}/", "read"),
        api("PATCH", "/api/v1/feedback/{feedback}/", WRITERS, {"importance": 5, "deal_value": 500}),
        api("PUT", "/api/v1/feedback/{feedback}/", WRITERS, FEEDBACK_JSON),
        api("DELETE", "/api/v1/feedback/{feedback}/", WRITERS),
    ],
    "api/v1/feedback/imports/": [
        api("POST", "/api/v1/feedback/imports/", WRITERS, {"portfolio": "{portfolio}", "file": FEEDBACK_CSV}),
    ],
}
