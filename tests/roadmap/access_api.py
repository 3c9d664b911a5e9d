"""The roadmap API's rows of the generated access test (tests/test_access_matrix.py merges them)."""

from tests.test_access_matrix import ADMINS, MANAGERS, api

ITEM_JSON = {"product": "{product}", "kind": "requirement", "title": "API requirement", "parent": "{item}"}

ENDPOINTS = {
    "api/v1/^roadmap-items/$": [
        api("GET", "/api/v1/roadmap-items/?ordering=-rice_score", "read", scoped_list=True),
        api("GET", "/api/v1/roadmap-items/?search=Pulsar", "read", scoped_list=True),
        api("GET", "/api/v1/roadmap-items/?format=csv&product={product}", "read", scoped_list=True),
        api("POST", "/api/v1/roadmap-items/", MANAGERS, ITEM_JSON),
    ],
    "api/v1/^roadmap-items/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/roadmap-items/{item}/", "read"),
        api("PATCH", "/api/v1/roadmap-items/{item}/", MANAGERS, {"status": "planned", "reach": 500}),
        api("DELETE", "/api/v1/roadmap-items/{item}/", MANAGERS),
    ],
    "api/v1/^roadmap-items/(?P<pk>[^/.]+)/move/$": [
        api("POST", "/api/v1/roadmap-items/{item}/move/", MANAGERS, {"horizon": "now", "position": 0}),
    ],
    "api/v1/^releases/$": [
        api("GET", "/api/v1/releases/?search=Aurora", "read", scoped_list=True),
        api("POST", "/api/v1/releases/", MANAGERS, {"product": "{product}", "version": "10.0"}),
    ],
    "api/v1/^releases/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/releases/{release}/", "read"),
        api("PATCH", "/api/v1/releases/{release}/", MANAGERS, {"target_date": "2027-03-01"}),
        api("DELETE", "/api/v1/releases/{release}/", MANAGERS),
    ],
    "api/v1/^releases/(?P<pk>[^/.]+)/ship/$": [
        api("POST", "/api/v1/releases/{release}/ship/", MANAGERS, {"override": True, "reason": "Hotfix"}),
    ],
    "api/v1/^roadmap-dependencies/$": [
        api("GET", "/api/v1/roadmap-dependencies/?item={item}", "read", scoped_list=True),
        api("POST", "/api/v1/roadmap-dependencies/", MANAGERS, {"item": "{initiative}", "depends_on": "{item}"}),
    ],
    "api/v1/^roadmap-dependencies/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/roadmap-dependencies/{dependency}/", "read"),
        api("DELETE", "/api/v1/roadmap-dependencies/{dependency}/", MANAGERS),
    ],
    "api/v1/^scoring-weights/$": [api("GET", "/api/v1/scoring-weights/", "read", scoped_list=True)],
    "api/v1/^scoring-weights/(?P<pk>[^/.]+)/$": [
        api("GET", "/api/v1/scoring-weights/{portfolio}/", "read"),
        api("PATCH", "/api/v1/scoring-weights/{portfolio}/", ADMINS, {"effort": -3}),
        api("PUT", "/api/v1/scoring-weights/{portfolio}/", ADMINS, {"value": 4, "reach": 1}),
    ],
}
