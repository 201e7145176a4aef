"""What each operation can answer with: its endpoint's and dependencies' raises, what the framework
adds for its input, and error responses it builds by hand."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing

from nte.auth.deps import SAFE_METHODS
from nte.db import get_session
from nte.web.openapi.names import Raised, parse, plain_function, resolve, scope_of
from nte.web.openapi.raises import Analysis

#: What the framework answers, by where it happens (code, sentence).
VALIDATION = (422, "invalid", "A field is missing or invalid; `field` names it and `fields` lists them all.")
TOO_LARGE = (413, "too_large", "The request body is larger than the limit.")
NO_ROUTE = (404, "not_found", "There is nothing at this address.")  # a path value the route cannot match
UNPARSABLE = (400, "http_error", "There was an error parsing the body.")
DATABASE_DOWN = (
    503,
    "database_unavailable",
    "The database is not answering; nothing was saved. Please try again shortly.",
)


@dataclass(frozen=True, order=True)
class ErrorAnswer:
    """One error an operation can answer with: its status, ``error`` code and, where the code says it
    in one sentence, that sentence (``…`` marks what varies). ``code`` is None when the body is not
    the Error shape (an answer built by hand) or the code cannot be read."""

    status: int
    code: str | None
    detail: str | None = field(default=None, compare=False)


ANALYSIS = Analysis()


def dependants(dependant: Any) -> Iterator[Any]:
    yield dependant
    for dep in dependant.dependencies:
        yield from dependants(dep)


def operation_errors(route: Any, analysis: Analysis = ANALYSIS) -> frozenset[ErrorAnswer]:
    """Every error an operation can answer with: what its endpoint and dependencies raise (and what
    they call), what the framework adds for its input, and hand-built error responses it returns."""
    raised: set[Raised] = set()
    answers: set[ErrorAnswer] = set()
    has_input = reads_body = uses_session = False
    for dependant in dependants(route.dependant):
        call = dependant.call
        if call is get_session:
            uses_session = True
        if call is not None:
            raised |= analysis.raises(call)
            reads_body = reads_body or analysis.reads_body(call)
            answers |= _answered(call)
        if dependant.path_params or dependant.query_params or dependant.body_params:
            has_input = True
        if dependant.path_params:
            answers.add(ErrorAnswer(*NO_ROUTE))
        if dependant.body_params:
            reads_body = True
            if any(type(p.field_info).__name__ in ("Form", "File") for p in dependant.body_params):
                answers.add(ErrorAnswer(*UNPARSABLE))
    answers |= {ErrorAnswer(r.cls.status_code, r.code, r.detail) for r in raised}
    if has_input or reads_body:
        answers.add(ErrorAnswer(*VALIDATION))
    if reads_body:
        answers.add(ErrorAnswer(*TOO_LARGE))
    if uses_session:
        answers.add(ErrorAnswer(*DATABASE_DOWN))
    return frozenset(answers)


def _answered(call: Callable[..., Any], *, follow: bool = True) -> set[ErrorAnswer]:
    """Error statuses a function answers by hand (``JSONResponse(..., status_code=503)``), itself or
    through a helper whose response it returns (``return _unavailable(...)``). Their body is not
    necessarily the Error shape, so they carry no code."""
    fn = plain_function(call)
    tree = parse(fn.__code__, fn) if fn else None
    if fn is None or tree is None:
        return set()
    found: set[ErrorAnswer] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.endswith("Response"):
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "status_code" and isinstance(value, ast.Constant) and isinstance(value.value, int):
                    if value.value >= 400:
                        found.add(ErrorAnswer(value.value, None))
        elif follow and isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
            helper = plain_function(resolve(node.value.func, scope_of(fn, tree)))
            if helper is not None and helper is not fn:
                found |= _answered(helper, follow=False)
    return found


def api_routes(app: FastAPI) -> Iterator[Any]:
    """The routes the document describes, however this FastAPI keeps included routers."""
    contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    for route in contexts(app.routes) if contexts else app.routes:
        if getattr(route, "include_in_schema", False) and getattr(route, "dependant", None) is not None:
            yield route


def answers_by_operation(app: FastAPI) -> dict[tuple[str, str], frozenset[ErrorAnswer]]:
    """(METHOD, path) -> the errors that operation can answer with; computed once per app. CSRF
    tokens are checked on unsafe methods only, so a GET never answers ``csrf_failed``."""
    cached: dict[tuple[str, str], frozenset[ErrorAnswer]] | None = getattr(app.state, "error_answers", None)
    if cached is None:
        cached = {}
        for route in api_routes(app):
            answers = operation_errors(route)
            for method in route.methods:
                cached[(method, route.path_format)] = (
                    frozenset(a for a in answers if a.code != "csrf_failed") if method in SAFE_METHODS else answers
                )
        app.state.error_answers = cached
    return cached
