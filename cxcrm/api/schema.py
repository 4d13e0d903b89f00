"""OpenAPI schema postprocessing: every operation documents the error statuses the API answers
with (cxcrm/api/exceptions.py, the permission class, pagination), so a client and the schema fuzzer
in CI (scripts/api_fuzz.sh) know every status an operation can return.

- 400: bad input — a body, a filter, `?ordering=`, `?page_size=` (field → messages), or a refused
  change (`non_field_errors`).
- 401: no or a bad token; 403: the role lacks the permission (or another author's note).
- 404: an unknown id, or a `?page=` past the last page.
- 414: the URL with its query string is longer than the web server takes (gunicorn's request line limit).
- 503: the database did not answer; nothing was stored, send it again (Retry-After).
"""

import threading

from drf_spectacular.views import SpectacularAPIView

ERROR_SCHEMAS = {
    "ErrorDetail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "description": "What went wrong, in words.",
    },
    "ValidationErrors": {
        "type": "object",
        "additionalProperties": {},
        "description": (
            'Messages per field (`{"name": ["This field is required."]}`), nested positions named in the '
            "key (`stages[1].touchpoints[0].key`) or in nested objects; `non_field_errors` for the whole request."
        ),
    },
    "DatabaseUnavailable": {
        "type": "object",
        "properties": {"detail": {"type": "string"}, "stored": {"type": "boolean"}},
        "required": ["detail", "stored"],
    },
}


def _ref(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


ERROR_RESPONSES = {
    "400": {"description": "Bad input: messages per field.", "content": _ref("ValidationErrors")},
    "401": {"description": "No valid token or session.", "content": _ref("ErrorDetail")},
    "403": {"description": "The role lacks the permission this call needs.", "content": _ref("ErrorDetail")},
    "404": {"description": "Unknown id, or a page past the last one.", "content": _ref("ErrorDetail")},
    "414": {
        "description": "The request line (URL with its query) is too long for the web server (gunicorn: 4,094 bytes)."
    },
    "503": {
        "description": "The database did not answer; nothing was stored. Retry after the Retry-After seconds.",
        "content": _ref("DatabaseUnavailable"),
    },
}

METHODS = ("get", "post", "put", "patch", "delete")


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the error responses above to every operation
    (keeping any an operation documents itself) and their schemas to the components."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in ERROR_SCHEMAS.items():
        schemas.setdefault(name, schema)
    for path_item in result.get("paths", {}).values():
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in ERROR_RESPONSES.items():
                responses.setdefault(status, response)
    return result


_generation = threading.Lock()


class SchemaView(SpectacularAPIView):
    """GET /api/schema/: the OpenAPI 3 document (drf-spectacular), YAML or JSON (`?format=json`).

    Generated one request at a time in each process: drf-spectacular's generator loads its extension
    registry lazily and is not safe when two threads of a worker (gunicorn --threads) build the document
    at once; they raced and answered 500.
    """

    def _get_schema_response(self, request):
        with _generation:
            return super()._get_schema_response(request)
