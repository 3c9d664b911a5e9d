"""The audit API: rows of the generated access test (tests/test_access_matrix.py merges them). Every
member reads the history of the house's objects; an outsider gets 404 for each (the object is not theirs),
never an empty page that would confirm it exists."""

from tests.test_access_matrix import api

ENDPOINTS = {
    "api/v1/^audit/$": [
        api("GET", "/api/v1/audit/?object_type=product&object_id={product}", "read"),
        api("GET", "/api/v1/audit/?object_type=lifecycle_rule&object_id={rule}", "read"),
        api("GET", "/api/v1/audit/?object_type=kpi&object_id={kpi}", "read"),
        api("GET", "/api/v1/audit/?object_type=roadmap_item&object_id={item}", "read"),
        api("GET", "/api/v1/audit/?object_type=release&object_id={release}", "read"),
        api("GET", "/api/v1/audit/?object_type=launch_plan&object_id={plan}", "read"),
        api("GET", "/api/v1/audit/?object_type=launch_task&object_id={task}", "read"),
        api("GET", "/api/v1/audit/?object_type=campaign&object_id={campaign}", "read"),
        api("GET", "/api/v1/audit/?object_type=messaging&object_id={messaging}", "read"),
        api("GET", "/api/v1/audit/?object_type=portfolio&object_id={portfolio}", "read"),
        api("GET", "/api/v1/audit/?object_type=stage_gate&object_id={gate}", "read"),
    ],
}
