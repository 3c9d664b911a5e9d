"""The launch pages' rows of the generated access test (tests/test_access_matrix.py merges them). The
house's {plan} "Nova launch" has one open required task {task}: a plain launch is the contract's 409 for
the roles that may launch; {plan_ready} has none, so a plain launch succeeds. Go-to-market writers are
admins, product managers and marketers; only admins and product managers override readiness."""

from tests.test_access_matrix import MANAGERS, Op, page

WRITERS = frozenset({"admin", "product_manager", "marketer"})

TEMPLATE_FORM = {
    "name": "Tier one checklist",
    "tier": "1",
    "description": "For big launches",
    "tasks-TOTAL_FORMS": "2",
    "tasks-INITIAL_FORMS": "0",
    "tasks-0-title": "Brief the press",
    "tasks-0-function": "marketing",
    "tasks-0-offset_days": "-7",
    "tasks-0-required": "on",
    "tasks-1-title": "",
    "tasks-1-function": "marketing",
    "tasks-1-offset_days": "0",
}

ENDPOINTS = {
    "portfolios/<int:portfolio_id>/launches/": [
        page("GET", "/portfolios/{portfolio}/launches/", "read"),
        page("GET", "/portfolios/{portfolio}/launches/?product={product}&tier=1&older=on", "read"),
    ],
    "portfolios/<int:portfolio_id>/launch-tasks/": [
        page("GET", "/portfolios/{portfolio}/launch-tasks/", "read"),
        page("GET", "/portfolios/{portfolio}/launch-tasks/?plan={plan}&function=sales&overdue=on", "read"),
        page("GET", "/portfolios/{portfolio}/launch-tasks/?format=csv", "read"),
    ],
    "launches/new/": [
        page("GET", "/launches/new/?product={product}", WRITERS),
        page(
            "POST", "/launches/new/?product={product}", WRITERS, {"name": "Matrix launch", "launch_date": "2027-01-15"}
        ),
        page(
            "POST",
            "/launches/new/?product={product}",
            WRITERS,
            {"name": "Templated launch", "launch_date": "2027-01-15", "template": "{template}"},
        ),
    ],
    "launches/<int:plan_id>/": [page("GET", "/launches/{plan}/", "read")],
    "launches/<int:plan_id>/edit/": [
        page("GET", "/launches/{plan}/edit/", WRITERS),
        page(
            "POST",
            "/launches/{plan}/edit/",
            WRITERS,
            {"name": "Nova launch", "tier": "1", "launch_date": "2027-02-01", "move_tasks": "on"},
        ),
    ],
    "launches/<int:plan_id>/delete/": [
        page("GET", "/launches/{plan}/delete/", WRITERS),
        page("POST", "/launches/{plan}/delete/", WRITERS, {}),
    ],
    "launches/<int:plan_id>/launch/": [
        page("GET", "/launches/{plan}/launch/", WRITERS),
        # Refused for the open required task: 409 with the task listed, nothing launched.
        Op("POST", "/launches/{plan}/launch/", WRITERS, {}, ok=(409,)),
        page("POST", "/launches/{plan_ready}/launch/", WRITERS, {}),
        # Launch anyway: admins and product managers only (a marketer's override is a 403).
        page("POST", "/launches/{plan}/launch/", MANAGERS, {"override": "true", "reason": "The date is public"}),
    ],
    "launches/<int:plan_id>/cancel/": [
        page("GET", "/launches/{plan}/cancel/", WRITERS),
        page("POST", "/launches/{plan}/cancel/", WRITERS, {"reason": "Merged into the next launch"}),
    ],
    "launches/<int:plan_id>/tasks/new/": [
        page("GET", "/launches/{plan}/tasks/new/", WRITERS),
        page(
            "POST",
            "/launches/{plan}/tasks/new/",
            WRITERS,
            {"title": "Partners told", "function": "sales", "status": "todo", "required": "on"},
        ),
    ],
    "launch-tasks/<int:task_id>/edit/": [
        page("GET", "/launch-tasks/{task}/edit/", WRITERS),
        page(
            "POST",
            "/launch-tasks/{task}/edit/",
            WRITERS,
            {"title": "Stardust task", "function": "sales", "status": "doing", "required": "on"},
        ),
    ],
    "launch-tasks/<int:task_id>/delete/": [
        page("GET", "/launch-tasks/{task}/delete/", WRITERS),
        page("POST", "/launch-tasks/{task}/delete/", WRITERS, {}),
    ],
    "launch-tasks/<int:task_id>/status/": [
        page("POST", "/launch-tasks/{task}/status/", WRITERS, {"status": "done"}),
        page("POST", "/launch-tasks/{task}/status/", WRITERS, {"status": "blocked", "blocked_reason": "Legal"}),
        # Blocked without a reason: the page again with the message (400), nothing changed.
        Op("POST", "/launch-tasks/{task}/status/", WRITERS, {"status": "blocked"}, ok=(400,)),
    ],
    "portfolios/<int:portfolio_id>/launch-templates/": [
        page("GET", "/portfolios/{portfolio}/launch-templates/", "read"),
    ],
    "portfolios/<int:portfolio_id>/launch-templates/new/": [
        page("GET", "/portfolios/{portfolio}/launch-templates/new/?tier=2", WRITERS),
        page("POST", "/portfolios/{portfolio}/launch-templates/new/", WRITERS, {**TEMPLATE_FORM, "name": "Tier 2"}),
    ],
    "launch-templates/<int:template_id>/edit/": [
        page("GET", "/launch-templates/{template}/edit/", WRITERS),
        page("POST", "/launch-templates/{template}/edit/", WRITERS, TEMPLATE_FORM),
    ],
    "launch-templates/<int:template_id>/delete/": [
        page("GET", "/launch-templates/{template}/delete/", WRITERS),
        page("POST", "/launch-templates/{template}/delete/", WRITERS, {}),
    ],
}
