"""The OpenAPI document: each operation's error responses rewritten to what it can answer with."""

from __future__ import annotations

import json
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from nte.errors import ERROR_RESPONSES
from nte.web.openapi.operations import ErrorAnswer, answers_by_operation

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "machine-readable code, e.g. outside_service_area"},
        "detail": {"type": "string", "description": "a sentence for people"},
        "field": {"type": ["string", "null"], "description": "the input field at fault"},
        "fields": {"type": "array", "items": {"type": "object"}},
    },
}
#: What each error status means, whichever operation answers with it.
COMMON_ERRORS = {
    "400": "Bad request (a form body that cannot be parsed)",
    "401": "Not signed in, or the bearer token is invalid, expired or revoked",
    "403": "Your role does not allow this (or a missing CSRF token)",
    "404": "Not found",
    "405": "Method not allowed",
    "409": "Conflicts with the current state",
    "413": "Body too large",
    "415": "Unsupported media type",
    "422": "A field is missing or invalid; `field` names it",
    "429": "Too many requests; see Retry-After",
    "503": "The database is not answering; nothing was saved",
}
#: What any address may answer, whatever its operation: said once, in the document's description.
EVERY_ADDRESS = (
    'Errors share one body: `{"error": code, "detail": sentence, "field": name}`. Each operation lists the '
    "statuses and codes it can answer with (`x-error-codes`). Any address may also answer 404 `not_found` "
    "(nothing there), 405 `method_not_allowed`, 413 `too_large` (a body over the size limit) and 422 `invalid` "
    "(a NUL character in the address or body)."
)
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
#: Descriptions that say nothing about one operation (a router's blanket ``responses=``, FastAPI's own).
_GENERIC = {"Validation Error", *COMMON_ERRORS.values(), *(v.get("description") for v in ERROR_RESPONSES.values())}


def _response(status: int, answers: Iterable[ErrorAnswer], declared: dict[str, Any] | None) -> dict[str, Any]:
    sentences: dict[str, list[str]] = {}
    hand_built = False
    for answer in sorted(answers, key=lambda a: (a.code or "", a.detail or "")):
        if answer.code is None:
            hand_built = True
            continue
        said = sentences.setdefault(answer.code, [])
        if answer.detail and answer.detail not in said:
            said.append(answer.detail)
    by_code = {code: said[0] if said else None for code, said in sentences.items()}
    lines = [COMMON_ERRORS.get(str(status)) or HTTPStatus(status).phrase]
    if declared and declared.get("description") not in _GENERIC:
        lines.append(str(declared["description"]))
    if sentences:
        items = [f"- `{code}`" + (f": {' / '.join(said)}" if said else "") for code, said in sentences.items()]
        lines.append("`error` is one of:\n" + "\n".join(items))
    media: dict[str, Any] = {"schema": {"type": "object"} if hand_built else {"$ref": "#/components/schemas/Error"}}
    if by_code:
        media["examples"] = {
            code: {"summary": detail or code, "value": {"error": code, "detail": detail or "…", "field": None}}
            for code, detail in by_code.items()
        }
    entry = {k: v for k, v in (declared or {}).items() if k not in ("description", "content")}
    entry.update(
        {"description": "\n\n".join(lines), "content": {"application/json": media}, "x-error-codes": list(by_code)}
    )
    if status in (429, 503):
        entry["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
    return entry


def describe_errors(schema: dict[str, Any], app: FastAPI) -> None:
    """Rewrite each operation's error responses (4xx/5xx) to what it can answer with; its 2xx/3xx
    stay as its route declared them, and a declared error entry keeps its own words."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    info = schema.setdefault("info", {})
    info["description"] = "\n\n".join(filter(None, [info.get("description"), EVERY_ADDRESS]))
    answers = answers_by_operation(app)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            found = answers.get((method.upper(), path)) if method in HTTP_METHODS else None
            if found is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            declared = {s: responses.pop(s) for s in list(responses) if s.isdigit() and int(s) >= 400}
            for status in sorted({a.status for a in found}):
                group = [a for a in found if a.status == status]
                responses[str(status)] = _response(status, group, declared.get(str(status)))
            operation["responses"] = dict(sorted(responses.items()))
    text = json.dumps(schema.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in text and unused != "Error":
            schema["components"]["schemas"].pop(unused, None)


def document_errors(app: FastAPI) -> None:
    """Serve the OpenAPI document with each operation's errors as :func:`describe_errors` finds them."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = FastAPI.openapi(app)
        describe_errors(schema, app)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
