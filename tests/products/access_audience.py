"""Segments and personas: rows of the generated access test (tests/test_access_matrix.py merges them). The
house's segment {segment} "Galaxy segment" is served by {product}; its persona {persona} "Ops Olga" is in
that segment. Admins, product managers and marketers write both; viewers read."""

from tests.test_access_matrix import api, page

WRITERS = frozenset({"admin", "product_manager", "marketer"})

SEGMENT_FORM = {"name": "Public sector", "priority": "3", "size": "2600", "growth_pct": "3.5", "products": "{product}"}
PERSONA_FORM = {"name": "Paula, programme manager", "segment": "{segment}", "goals": "One plan", "pains": "Tenders"}
JOURNEY_FORM = {
    "stages-TOTAL_FORMS": "2",
    "stages-INITIAL_FORMS": "0",
    "stages-MIN_NUM_FORMS": "0",
    "stages-MAX_NUM_FORMS": "12",
    "stages-0-stage": "Awareness",
    "stages-0-touchpoints": "Trade show",
    "stages-0-pains": "No time",
    "stages-0-opportunities": "Short demo",
    "stages-1-stage": "Purchase",
}
STAGE = {"stage": "Awareness", "touchpoints": "Webinar", "pains": "", "opportunities": "A case study"}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/segments/": [
        page("GET", "/portfolios/{portfolio}/segments/", "read"),
        page("GET", "/portfolios/{portfolio}/segments/?product={product}&priority=3&served=yes&sort=-size", "read"),
        page("GET", "/portfolios/{portfolio}/segments/?format=csv", "read"),
    ],
    "portfolios/<int:portfolio_id>/segments/matrix/": [
        page("GET", "/portfolios/{portfolio}/segments/matrix/", "read"),
    ],
    "segments/new/": [
        page("GET", "/segments/new/?portfolio={portfolio}&product={product}", WRITERS),
        page("POST", "/segments/new/?portfolio={portfolio}", WRITERS, SEGMENT_FORM),
    ],
    "segments/<int:segment_id>/edit/": [
        page("GET", "/segments/{segment}/edit/", WRITERS),
        page("POST", "/segments/{segment}/edit/", WRITERS, {**SEGMENT_FORM, "name": "Galaxy segment"}),
    ],
    "segments/<int:segment_id>/delete/": [
        page("GET", "/segments/{segment}/delete/", WRITERS),
        page("POST", "/segments/{segment}/delete/", WRITERS, {}),
    ],
    "segments/<int:segment_id>/products/<int:product_id>/": [
        page("POST", "/segments/{segment}/products/{product}/", WRITERS, {"serves": "false"}),
    ],
    "portfolios/<int:portfolio_id>/personas/": [
        page("GET", "/portfolios/{portfolio}/personas/", "read"),
        page("GET", "/portfolios/{portfolio}/personas/?segment={segment}", "read"),
    ],
    "personas/new/": [
        page("GET", "/personas/new/?portfolio={portfolio}&segment={segment}", WRITERS),
        page("POST", "/personas/new/?portfolio={portfolio}", WRITERS, PERSONA_FORM),
    ],
    "personas/<int:persona_id>/": [page("GET", "/personas/{persona}/", "read")],
    "personas/<int:persona_id>/edit/": [
        page("GET", "/personas/{persona}/edit/", WRITERS),
        page("POST", "/personas/{persona}/edit/", WRITERS, {**PERSONA_FORM, "name": "Ops Olga"}),
    ],
    "personas/<int:persona_id>/journey/": [
        page("GET", "/personas/{persona}/journey/", WRITERS),
        page("POST", "/personas/{persona}/journey/", WRITERS, JOURNEY_FORM),
    ],
    "personas/<int:persona_id>/delete/": [
        page("GET", "/personas/{persona}/delete/", WRITERS),
        page("POST", "/personas/{persona}/delete/", WRITERS, {}),
    ],
    # --- API ---
    "api/v1/^segments/$": [
        api("GET", "/api/v1/segments/?search=Galaxy", "read", scoped_list=True),
        api("GET", "/api/v1/segments/?product={product}&priority=3&served=true", "read", scoped_list=True),
        api("GET", "/api/v1/segments/?format=csv", "read", scoped_list=True),
        api(
            "POST",
            "/api/v1/segments/",
            WRITERS,
            {"portfolio": "{portfolio}", "name": "Public sector", "priority": 2, "products": ["{product}"]},
        ),
    ],
    "api/v1/^segments/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/segments/{segment}/", "read"),
        api("PATCH", "/api/v1/segments/{segment}/", WRITERS, {"size": 1200, "growth_pct": 4.5}),
        api("DELETE", "/api/v1/segments/{segment}/", WRITERS),
    ],
    "api/v1/^personas/$": [
        api("GET", "/api/v1/personas/?search=Olga", "read", scoped_list=True),
        api("GET", "/api/v1/personas/?segment={segment}", "read", scoped_list=True),
        api(
            "POST",
            "/api/v1/personas/",
            WRITERS,
            {"portfolio": "{portfolio}", "name": "Paula", "segment": "{segment}", "journey": [STAGE]},
        ),
    ],
    "api/v1/^personas/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/personas/{persona}/", "read"),
        api("PATCH", "/api/v1/personas/{persona}/", WRITERS, {"journey": [STAGE, {**STAGE, "stage": "Purchase"}]}),
        api("DELETE", "/api/v1/personas/{persona}/", WRITERS),
    ],
}
