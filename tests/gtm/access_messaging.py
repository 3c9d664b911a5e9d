"""The messaging pages' and API's rows of the generated access test (tests/test_access_matrix.py merges
them). The house's messaging: {messaging} a draft of the launch {plan} ("Photon positioning"),
{messaging_review} in review, {messaging_approved} approved (frozen: a write is the contract's 409 for the
roles that may write). Writers: admins, product managers and marketers; reviewers (approve, request
changes): admins and product managers."""

from tests.test_access_matrix import MANAGERS, Op, api, page

WRITERS = frozenset({"admin", "product_manager", "marketer"})

FORM = {
    "launch_plan": "{plan}",
    "positioning": "Photon positioning",
    "value_proposition": "Every launch on time.",
    "target_segments": "{segment}",
    "target_personas": "{persona}",
    "messages-TOTAL_FORMS": "1",
    "messages-INITIAL_FORMS": "0",
    "messages-0-message": "Ready on time",
    "messages-0-proof_points": "Fewer slips",
    "objections-TOTAL_FORMS": "1",
    "objections-INITIAL_FORMS": "0",
    "objections-0-objection": "Too pricey",
    "objections-0-response": "Pays back in a quarter",
}
BODY = {
    "product": "{product}",
    "launch_plan": "{plan}",
    "positioning": "Photon positioning",
    "value_proposition": "Every launch on time.",
    "target_segments": ["{segment}"],
    "target_personas": ["{persona}"],
    "key_messages": [{"message": "Ready on time", "proof_points": ["Fewer slips"]}],
    "objections": [{"objection": "Too pricey", "response": "Pays back in a quarter"}],
}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/messaging/": [
        page("GET", "/portfolios/{portfolio}/messaging/", "read"),
        page("GET", "/portfolios/{portfolio}/messaging/?product={product}&launch_plan={plan}&status=draft", "read"),
    ],
    "messaging/new/": [
        page("GET", "/messaging/new/?product={product}&launch_plan={plan}", WRITERS),
        page("POST", "/messaging/new/?product={product}", WRITERS, FORM),
    ],
    "messaging/<int:messaging_id>/": [
        page("GET", "/messaging/{messaging}/", "read"),
        page("GET", "/messaging/{messaging_review}/", "read"),
        page("GET", "/messaging/{messaging_approved}/", "read"),
    ],
    "messaging/<int:messaging_id>/edit/": [
        page("GET", "/messaging/{messaging}/edit/", WRITERS),
        page("POST", "/messaging/{messaging}/edit/", WRITERS, FORM),
        # Frozen: the service's 409 on the page, nothing changed.
        Op("POST", "/messaging/{messaging_approved}/edit/", WRITERS, FORM, ok=(409,)),
    ],
    "messaging/<int:messaging_id>/delete/": [
        page("GET", "/messaging/{messaging}/delete/", WRITERS),
        page("POST", "/messaging/{messaging}/delete/", WRITERS, {}),
        Op("POST", "/messaging/{messaging_approved}/delete/", WRITERS, {}, ok=(409,)),
    ],
    "messaging/<int:messaging_id>/submit/": [
        page("POST", "/messaging/{messaging}/submit/", WRITERS, {}),
        Op("POST", "/messaging/{messaging_approved}/submit/", WRITERS, {}, ok=(409,)),
    ],
    "messaging/<int:messaging_id>/approve/": [
        page("POST", "/messaging/{messaging_review}/approve/", MANAGERS, {}),
        Op("POST", "/messaging/{messaging}/approve/", MANAGERS, {}, ok=(409,)),
    ],
    "messaging/<int:messaging_id>/request-changes/": [
        page("POST", "/messaging/{messaging_review}/request-changes/", MANAGERS, {"comment": "Cite the survey."}),
    ],
    "messaging/<int:messaging_id>/revise/": [
        page("POST", "/messaging/{messaging_approved}/revise/", WRITERS, {}),
        Op("POST", "/messaging/{messaging}/revise/", WRITERS, {}, ok=(409,)),
    ],
    "messaging/<int:messaging_id>/diff/": [
        page("GET", "/messaging/{messaging_approved}/diff/", "read"),
        page("GET", "/messaging/{messaging_approved}/diff/?against={messaging_approved}", "read"),
    ],
    # --- API ---
    "api/v1/^messaging/$": [
        api("GET", "/api/v1/messaging/?search=Photon", "read", scoped_list=True),
        api("GET", "/api/v1/messaging/?portfolio={portfolio}&latest=true&status=draft", "read", scoped_list=True),
        api("POST", "/api/v1/messaging/", WRITERS, BODY),
    ],
    "api/v1/^messaging/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/messaging/{messaging}/", "read"),
        api("PATCH", "/api/v1/messaging/{messaging}/", WRITERS, {"value_proposition": "Sharper."}),
        api("PUT", "/api/v1/messaging/{messaging}/", WRITERS, BODY),
        api("DELETE", "/api/v1/messaging/{messaging}/", WRITERS),
        # Frozen: 409 for the roles that may write, nothing changed.
        api("PATCH", "/api/v1/messaging/{messaging_approved}/", WRITERS, {"positioning": "x"}, ok=(409,)),
        api("DELETE", "/api/v1/messaging/{messaging_approved}/", WRITERS, ok=(409,)),
    ],
    "api/v1/^messaging/(?P<pk>[^/.]+)/submit/$": [
        api("POST", "/api/v1/messaging/{messaging}/submit/", WRITERS, {}),
        api("POST", "/api/v1/messaging/{messaging_review}/submit/", WRITERS, {}, ok=(409,)),
    ],
    "api/v1/^messaging/(?P<pk>[^/.]+)/approve/$": [
        api("POST", "/api/v1/messaging/{messaging_review}/approve/", MANAGERS, {}),
        api("POST", "/api/v1/messaging/{messaging}/approve/", MANAGERS, {}, ok=(409,)),
    ],
    "api/v1/^messaging/(?P<pk>[^/.]+)/request-changes/$": [
        api("POST", "/api/v1/messaging/{messaging_review}/request-changes/", MANAGERS, {"comment": "Cite it."}),
        api("POST", "/api/v1/messaging/{messaging}/request-changes/", MANAGERS, {"comment": "No"}, ok=(409,)),
    ],
    "api/v1/^messaging/(?P<pk>[^/.]+)/revise/$": [
        api("POST", "/api/v1/messaging/{messaging_approved}/revise/", WRITERS, {}),
        api("POST", "/api/v1/messaging/{messaging}/revise/", WRITERS, {}, ok=(409,)),
    ],
    "api/v1/^messaging/(?P<pk>[^/.]+)/diff/$": [
        api("GET", "/api/v1/messaging/{messaging_approved}/diff/?against={messaging_approved}", "read"),
    ],
}
