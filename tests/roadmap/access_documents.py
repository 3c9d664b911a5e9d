"""Documents: rows of the generated access test (tests/test_access_matrix.py merges them). The house's
document {document} "Andromeda PRD" is a PRD of {product} at version 1 linked to the idea {idea}, with the
review comment {comment} "Pulsar review comment"; admins and product managers write documents and
comments, everyone else reads."""

from tests.test_access_matrix import MANAGERS, api, page

DOCUMENT_FORM = {
    "product": "{product}",
    "kind": "interview",
    "title": "Star interview",
    "body": "# Notes",
    "status": "draft",
}

ENDPOINTS = {
    # --- pages ---
    "portfolios/<int:portfolio_id>/documents/": [
        page("GET", "/portfolios/{portfolio}/documents/", "read"),
        page(
            "GET",
            "/portfolios/{portfolio}/documents/?search=Andromeda&product={product}&kind=prd&status=draft&idea={idea}",
            "read",
        ),
        page("GET", "/portfolios/{portfolio}/documents/?feedback={feedback}&roadmap_item={item}", "read"),
        page("GET", "/portfolios/{portfolio}/documents/?format=csv", "read"),
    ],
    "documents/new/": [
        page("GET", "/documents/new/?portfolio={portfolio}&product={product}&template=prd", MANAGERS),
        page("GET", "/documents/new/?portfolio={portfolio}&template=interview_guide&feedback={feedback}", MANAGERS),
        page(
            "POST",
            "/documents/new/?portfolio={portfolio}",
            MANAGERS,
            {**DOCUMENT_FORM, "feedback": "{feedback}", "roadmap_items": "{item}"},
        ),
    ],
    "documents/<int:document_id>/": [page("GET", "/documents/{document}/", "read")],
    "documents/<int:document_id>/edit/": [
        page("GET", "/documents/{document}/edit/", MANAGERS),
        page("GET", "/documents/{document}/edit/?preview=1", MANAGERS),
        page(
            "POST",
            "/documents/{document}/edit/",
            MANAGERS,
            {
                "kind": "prd",
                "title": "Andromeda PRD",
                "body": "# Problem\n\nRevised.",
                "status": "draft",
                "ideas": "{idea}",
            },
        ),
    ],
    "documents/<int:document_id>/delete/": [
        page("GET", "/documents/{document}/delete/", MANAGERS),
        page("POST", "/documents/{document}/delete/", MANAGERS, {}),
    ],
    "documents/<int:document_id>/status/": [
        page("POST", "/documents/{document}/status/", MANAGERS, {"status": "in_review"})
    ],
    "documents/<int:document_id>/comments/": [
        page("POST", "/documents/{document}/comments/", MANAGERS, {"body": "Name the KPIs"})
    ],
    "documents/<int:document_id>/comments/<int:comment_id>/resolve/": [
        page("POST", "/documents/{document}/comments/{comment}/resolve/", MANAGERS, {"resolved": "true"})
    ],
    "documents/<int:document_id>/versions/": [page("GET", "/documents/{document}/versions/", "read")],
    "documents/<int:document_id>/versions/<int:number>/": [page("GET", "/documents/{document}/versions/1/", "read")],
    "documents/<int:document_id>/diff/": [
        page("GET", "/documents/{document}/diff/", "read"),
        page("GET", "/documents/{document}/diff/?from=1&to=1", "read"),
    ],
    # --- API ---
    "api/v1/^documents/$": [
        api("GET", "/api/v1/documents/?search=Andromeda", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/documents/?product={product}&kind=prd&status=draft&idea={idea}&feedback={feedback}"
            "&roadmap_item={item}&ordering=-updated_at",
            "read",
            scoped_list=True,
        ),
        api("GET", "/api/v1/documents/?format=csv", "read", scoped_list=True),
        api(
            "POST",
            "/api/v1/documents/",
            MANAGERS,
            {**DOCUMENT_FORM, "ideas": ["{idea}"], "feedback": ["{feedback}"], "roadmap_items": ["{item}"]},
        ),
    ],
    "api/v1/^documents/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/documents/{document}/", "read"),
        api(
            "PATCH",
            "/api/v1/documents/{document}/",
            MANAGERS,
            {"body": "# Problem\n\nRevised.", "roadmap_items": ["{item}"]},
        ),
        api("DELETE", "/api/v1/documents/{document}/", MANAGERS),
    ],
    "api/v1/^documents/(?P<pk>[^/.]+)/versions/$": [api("GET", "/api/v1/documents/{document}/versions/", "read")],
    "api/v1/^documents/(?P<pk>[^/.]+)/versions/(?P<number>[0-9]{1,19})/$": [
        api("GET", "/api/v1/documents/{document}/versions/1/", "read")
    ],
    "api/v1/^documents/(?P<pk>[^/.]+)/diff/$": [api("GET", "/api/v1/documents/{document}/diff/?from=1&to=1", "read")],
    "api/v1/^documents/(?P<pk>[^/.]+)/comments/$": [
        api("GET", "/api/v1/documents/{document}/comments/", "read"),
        api("POST", "/api/v1/documents/{document}/comments/", MANAGERS, {"body": "Name the KPIs"}),
    ],
    "api/v1/^documents/(?P<pk>[^/.]+)/comments/(?P<comment_id>[0-9]{1,19})/resolve/$": [
        api("POST", "/api/v1/documents/{document}/comments/{comment}/resolve/", MANAGERS, {"resolved": True})
    ],
}
