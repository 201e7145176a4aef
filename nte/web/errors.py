"""The one set of error handlers: every ``nte.errors.NTEError`` (and FastAPI's own validation and
HTTP errors, database errors, the unexpected) becomes one JSON body shape, or the site's error page
for a browser (``text/html``, outside ``/api/``). Installed by ``nte.app.create_app``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from nte.errors import (
    HTTP_PROBLEM,
    METHOD_NOT_ALLOWED,
    NOTHING_HERE,
    OUR_PROBLEM,
    UNREADABLE_FORM,
    UNREADABLE_VALUE,
    LoginRequired,
    NTEError,
    RateLimited,
)
from nte.web.templating import render, render_error_page

log = logging.getLogger("nte.errors")


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    if request.url.path == "/ogc" or request.url.path.startswith("/ogc/"):
        # OGC API - Features: ``f=`` chooses the format of the answer, errors included.
        chosen = request.query_params.get("f")
        if chosen in ("json", "html"):
            return chosen == "html"
    return "text/html" in request.headers.get("accept", "")


def _same_site_referer(request: Request) -> str | None:
    """The page the form was sent from, when it is one of ours (its path and query only)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if not referer.path.startswith("/") or referer.netloc not in ("", request.url.netloc):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _validation_field(err: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    """One entry of a validation error's ``fields``, and the sentence for ``detail`` when it comes
    first. A JSON decode error's location is the body and the character offset where decoding
    stopped: its field is the body, and the offset goes in the sentence."""
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "json_invalid":
        at = next((p for p in loc if isinstance(p, int)), None)
        sentence = f"The request body is not valid JSON{f' (at character {at})' if at is not None else ''}."
        return {"field": "body", "detail": sentence}, sentence
    field, message = _field_name(loc), str(err.get("msg", "invalid"))
    return {"field": field, "detail": message}, f"{field}: {message}"


async def handle_nte_error(request: Request, exc: NTEError) -> Response:
    if isinstance(exc, LoginRequired):
        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if _wants_html(request):
        return render_error_page(
            request, exc.status_code, exc.detail, headers=headers, field=exc.field, error_code=exc.code
        )
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)


async def handle_validation(request: Request, exc: RequestValidationError) -> Response:
    entries = [_validation_field(err) for err in exc.errors()] or [
        ({"field": "body", "detail": "invalid"}, "body: invalid")
    ]
    fields = [entry for entry, _ in entries]
    first, sentence = entries[0]
    if _wants_html(request) and request.method == "GET":
        # A page address with a value that cannot be read (/venues/abc): the site's error page,
        # naming the field, in the reader's language.
        return render(
            request,
            "error.html",
            {"status_code": 422, "detail": UNREADABLE_VALUE, "detail_args": {"field": first["field"]}},
            status_code=422,
        )
    if _wants_html(request):
        # A form whose values the route cannot even parse (a box sent empty that must hold a
        # number, a file field sent as text): a page naming the fields, never a JSON body, with
        # the way back to the form.
        return render(
            request,
            "error.html",
            {
                "status_code": 422,
                "detail": UNREADABLE_FORM,
                "detail_args": {"field": ", ".join(dict.fromkeys(f["field"] for f in fields))},
                "back_url": _same_site_referer(request),
            },
            status_code=422,
        )
    body = {
        "error": "invalid",
        "detail": sentence,
        "field": first["field"],
        "fields": fields,
    }
    return JSONResponse(body, status_code=422)


async def handle_http(request: Request, exc: StarletteHTTPException) -> Response:
    if isinstance(exc.__cause__, (RecursionError, UnicodeDecodeError)):
        # FastAPI answers a JSON body its decoder gave up on (arrays or objects nested about
        # 1,000 deep, bytes that are not UTF-8) with a bare 400 naming nothing: it is invalid
        # input in the body like any other.
        detail = (
            "The request body is nested too deeply to read; send plain JSON objects."
            if isinstance(exc.__cause__, RecursionError)
            else "The request body is not UTF-8 text."
        )
        return JSONResponse({"error": "invalid", "detail": detail, "field": "body"}, status_code=422)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    detail = str(exc.detail) if exc.detail else code
    if exc.status_code == 404:
        detail = NOTHING_HERE
    if _wants_html(request):
        # Starlette's reason phrases ("Method Not Allowed") are not sentences for people.
        shown = {404: NOTHING_HERE, 405: METHOD_NOT_ALLOWED}.get(exc.status_code, HTTP_PROBLEM)
        return render_error_page(request, exc.status_code, shown, headers=getattr(exc, "headers", None))
    return JSONResponse(
        {"error": code, "detail": detail, "field": None},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def handle_unstorable(request: Request, exc: Exception) -> Response:
    # A value the database cannot hold (an id past its integer range, a NUL character in text):
    # bad input, so a 422 and nothing stored (the request's transaction was rolled back).
    body = {
        "error": "invalid",
        "detail": "A value is out of range or contains characters that cannot be stored (such as NUL).",
        "field": None,
    }
    return JSONResponse(body, status_code=422)


async def handle_db_down(request: Request, exc: Exception) -> Response:
    log.error("database unavailable: %s", type(exc).__name__)
    body = {
        "error": "database_unavailable",
        "detail": "The database is not answering; nothing was saved. Please try again shortly.",
        "field": None,
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    # Logged without the request body or query: it may hold report text.
    route = request.scope.get("route")
    log.exception("unexpected error on %s %s", request.method, route.path if route else "?")
    if _wants_html(request):
        try:
            return render_error_page(request, 500, OUR_PROBLEM)
        except Exception:  # noqa: BLE001 - the page itself failed: fall back to the plain body
            log.exception("the error page could not be rendered")
    body = {"error": "internal_error", "detail": OUR_PROBLEM, "field": None}
    return JSONResponse(body, status_code=500)


#: Each exception class and its handler; Starlette picks the handler of the nearest class in an
#: exception's MRO (so ``LoginRequired`` is an ``NTEError``, a ``DataError`` is not "unexpected").
HANDLERS: dict[type[Exception], Callable[[Request, Any], Awaitable[Response]]] = {
    NTEError: handle_nte_error,
    RequestValidationError: handle_validation,
    StarletteHTTPException: handle_http,
    OverflowError: handle_unstorable,
    sa.exc.DataError: handle_unstorable,
    sa.exc.TimeoutError: handle_db_down,
    sa.exc.InterfaceError: handle_db_down,
    sa.exc.OperationalError: handle_db_down,
    Exception: handle_unexpected,
}


def install_error_handlers(app: FastAPI) -> None:
    """Pages render errors in the site layout; the API answers ``{"error", "detail", "field"}``."""
    for error, handler in HANDLERS.items():
        app.add_exception_handler(error, handler)
