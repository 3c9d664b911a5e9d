"""OpenAPI schema helpers: enum references for query parameters and the documented error responses.

drf-spectacular documents what a view returns on success; `document_errors` (a postprocessing hook,
see SPECTACULAR_SETTINGS) adds the error statuses every endpoint can answer, with their bodies, so a
client generated from the schema (and schemathesis, tests/api/) knows every status it may get.
Responses a view documents itself (409 on a transition, 429 on the token) are left as they are.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

SCHEMAS = {
    "RollupFormatEnum": {"type": "string", "enum": ["json", "csv"], "description": "`csv` answers text/csv."},
    "Error": {
        "type": "object",
        "description": "An error with a message; conflicts (409) add what blocks the request, e.g. `unmet`.",
        "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
        "required": ["detail"],
        "additionalProperties": True,
    },
    "ValidationError": {
        "type": "object",
        "description": (
            "Bad input, nothing written: field name → list of messages (`non_field_errors` for the whole "
            'object); a bulk write answers `{"errors": [{"index", "field", "message"}]}`.'
        ),
        "additionalProperties": True,
    },
}

# Query parameters that never make a request a 400: an unknown ordering is ignored, a bad page, cursor or
# format is a 404. (`page_size` is checked: a 400.)
_LENIENT_QUERY = {"page", "ordering", "cursor", "format"}
_WRITES = {"post", "put", "patch", "delete"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def enum_parameter(name: str, enum_component: str, *, many: bool = False, description: str = "") -> OpenApiParameter:
    """A query parameter whose values are a named enum component (clients get one enum type, not one per
    operation). `many`: the parameter may repeat (`?stage=launch&stage=growth`)."""
    schema = {"type": "array", "items": _ref(enum_component)} if many else _ref(enum_component)
    return OpenApiParameter(name, schema, description=description)


def error_response(description: str) -> OpenApiResponse:
    """A documented error status with the `Error` body, for `extend_schema(responses=…)`."""
    return OpenApiResponse(response=_ref("Error"), description=description)


def validation_error_response(description: str) -> OpenApiResponse:
    """A documented 400 with the `ValidationError` body (field name → messages)."""
    return OpenApiResponse(response=_ref("ValidationError"), description=description)


# DRF's SearchFilter refuses a NUL character in `search` with a bare list of messages.
_MESSAGES = {"type": "array", "items": {"type": "string"}}


def _error(name: str, description: str, csv: bool, search: bool = False) -> dict:
    content = {"application/json": {"schema": {"oneOf": [_ref(name), _MESSAGES]} if search else _ref(name)}}
    if csv:  # `format=csv` renders the error as CSV too
        content["text/csv"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


# Text fields of request bodies as DRF's CharField takes them: no NUL character, and a required one
# (`minLength` 1) is not blank after trimming whitespace (a name of "\x1d" is blank to the server).
_NO_NUL = "^[^\\x00]*$"
_NOT_BLANK = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"


def _document_text(schemas: dict) -> None:
    for name, component in schemas.items():
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            free = prop.get("type") == "string" and not {"format", "enum", "pattern", "anyOf", "readOnly"} & set(prop)
            if free:
                prop["pattern"] = _NOT_BLANK if prop.get("minLength", 0) >= 1 else _NO_NUL


def document_errors(result, generator, request, public):
    """Add 400/401/403/404 where an operation can answer them, unless the view documented them."""
    components = result.setdefault("components", {})
    components["schemas"] = dict(sorted({**components.get("schemas", {}), **SCHEMAS}.items()))
    _document_text(components["schemas"])
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _WRITES | {"get"}:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            strict_query = [p for p in parameters if p["in"] == "query" and p["name"] not in _LENIENT_QUERY]
            authenticated = bool(operation.get("security")) and {} not in operation["security"]
            paged = any(p["in"] == "query" and p["name"] == "page" for p in parameters)
            csv = any("text/csv" in r.get("content", {}) for r in responses.values())
            search = any(p["in"] == "query" and p["name"] == "search" for p in parameters)
            errors = {}
            if "requestBody" in operation or strict_query:
                errors["400"] = _error(
                    "ValidationError", "Bad input (field-level messages); nothing written.", csv, search
                )
            if operation.get("security"):
                errors["401"] = _error("Error", "No token or session, or the token is invalid or expired.", csv)
            if authenticated and method in _WRITES:
                errors["403"] = _error("Error", "Your role in the portfolio may read but not write this.", csv)
            if "{" in path or paged or any(p["in"] == "query" and p["name"] == "format" for p in parameters):
                errors["404"] = _error(
                    "Error", "Not found, another portfolio's, a page past the end, or an unknown `format`.", csv
                )
            for parameter in strict_query:
                # A filter given with no value is a 400 (products.api.filters.StrictFilterSet).
                plain = parameter.get("schema", {})
                free = plain.get("type") == "string" and not {"enum", "pattern", "format", "minLength"} & set(plain)
                if free and parameter["name"] == "search":  # any text but NUL, which DRF refuses (400)
                    plain["pattern"] = _NO_NUL
                elif free:  # a filter given without a value, or with NUL, is a 400
                    plain.update(minLength=1, pattern=_NO_NUL)
            for status, response in errors.items():
                responses.setdefault(status, response)
            operation["responses"] = dict(sorted(responses.items()))
    return result
