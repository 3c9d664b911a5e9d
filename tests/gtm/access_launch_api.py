"""The launch API's rows of the generated access test (tests/test_access_matrix.py merges them). The
house's {plan} "Nova launch" has the open required task {task}: a plain launch is the contract's 409 for
the roles that may launch; {plan_ready} has no task, so a plain launch succeeds."""

from products.models import Role
from tests.test_access_matrix import MANAGERS, api

WRITERS = frozenset({Role.ADMIN, Role.PRODUCT_MANAGER, Role.MARKETER})

TEMPLATE_JSON = {
    "portfolio": "{portfolio}",
    "name": "API checklist",
    "tier": 2,
    "tasks": [{"title": "Brief support", "function": "support", "offset_days": -3, "required": True}],
}
PLAN_JSON = {"product": "{product}", "name": "API launch", "launch_date": "2027-02-01", "template": "{template}"}
TASK_JSON = {"launch_plan": "{plan}", "title": "API task", "function": "legal", "due_date": "2027-01-20"}

ENDPOINTS = {
    "api/v1/^launch-templates/$": [
        api("GET", "/api/v1/launch-templates/?search=Tier", "read", scoped_list=True),
        api("GET", "/api/v1/launch-templates/?portfolio={portfolio}&tier=1", "read", scoped_list=True),
        api("POST", "/api/v1/launch-templates/", WRITERS, TEMPLATE_JSON),
    ],
    "api/v1/^launch-templates/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/launch-templates/{template}/", "read"),
        api("PATCH", "/api/v1/launch-templates/{template}/", WRITERS, {"description": "changed"}),
        api("PUT", "/api/v1/launch-templates/{template}/", WRITERS, {**TEMPLATE_JSON, "name": "Tier one checklist"}),
        api("DELETE", "/api/v1/launch-templates/{template}/", WRITERS),
    ],
    "api/v1/^launch-plans/$": [
        api("GET", "/api/v1/launch-plans/?search=Nova", "read", scoped_list=True),
        api(
            "GET",
            "/api/v1/launch-plans/?product={product}&status=planning&ordering=-readiness",
            "read",
            scoped_list=True,
        ),
        api("POST", "/api/v1/launch-plans/", WRITERS, PLAN_JSON),
    ],
    "api/v1/^launch-plans/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/launch-plans/{plan}/", "read"),
        api("PATCH", "/api/v1/launch-plans/{plan}/", WRITERS, {"launch_date": "2027-03-01", "tier": 2}),
        api("DELETE", "/api/v1/launch-plans/{plan}/", WRITERS),
    ],
    "api/v1/^launch-plans/(?P<pk>[^/.]+)/launch/$": [
        # Refused for the open required task: 409 listing it, nothing launched.
        api("POST", "/api/v1/launch-plans/{plan}/launch/", WRITERS, {}, ok=(409,)),
        api("POST", "/api/v1/launch-plans/{plan_ready}/launch/", WRITERS, {}),
        # Only managers override readiness; a marketer's override is a 403.
        api("POST", "/api/v1/launch-plans/{plan}/launch/", MANAGERS, {"override": True, "reason": "Embargo lifts"}),
    ],
    "api/v1/^launch-plans/(?P<pk>[^/.]+)/cancel/$": [
        api("POST", "/api/v1/launch-plans/{plan}/cancel/", WRITERS, {"reason": "The release slipped"}),
    ],
    "api/v1/^launch-tasks/$": [
        api("GET", "/api/v1/launch-tasks/?search=Stardust", "read", scoped_list=True),
        api("GET", "/api/v1/launch-tasks/?launch_plan={plan}&overdue=false&function=sales", "read", scoped_list=True),
        api("GET", "/api/v1/launch-tasks/?format=csv&portfolio={portfolio}", "read", scoped_list=True),
        api("POST", "/api/v1/launch-tasks/", WRITERS, TASK_JSON),
    ],
    "api/v1/^launch-tasks/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/launch-tasks/{task}/", "read"),
        api("PATCH", "/api/v1/launch-tasks/{task}/", WRITERS, {"status": "blocked", "blocked_reason": "Legal review"}),
        api("PATCH", "/api/v1/launch-tasks/{task}/", WRITERS, {"status": "done"}),
        api("DELETE", "/api/v1/launch-tasks/{task}/", WRITERS),
    ],
}
