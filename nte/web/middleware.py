"""ASGI middleware: body size limits, security headers, and an access log that records no
client address, user agent, query string or body (the default uvicorn access log is off)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("nte.access")


class HttpMiddleware:
    """An ASGI middleware for HTTP requests (``http``); anything else (the lifespan) passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodyTooLarge(Exception):
    pass


def _json_413(limit: int) -> tuple[dict[str, Any], bytes]:
    body = json.dumps(
        {"error": "too_large", "detail": f"The request body is larger than {limit} bytes.", "field": "body"}
    ).encode()
    return {
        "type": "http.response.start",
        "status": 413,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }, body


class BodySizeLimit(HttpMiddleware):
    """Refuse bodies over the limit: at once from Content-Length, or while streaming."""

    def __init__(self, app: ASGIApp, *, default: int, per_path: dict[str, int]) -> None:
        super().__init__(app)
        self.default = default
        self.per_path = per_path

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.per_path.items():
            if path.startswith(prefix):
                return limit
        return self.default

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True
            if too_big:
                start, body = _json_413(limit)
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                start, body = _json_413(limit)
                await send(start)
                await send({"type": "http.response.body", "body": body})


class SecurityHeaders(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, tile_url: str, hsts: bool) -> None:
        super().__init__(app)
        tiles = ""
        if tile_url and tile_url != "none":
            parsed = urlparse(tile_url.replace("{s}", "a"))
            tiles = f" {parsed.scheme}://{parsed.netloc.replace('a.', '*.', 1) if '{s}' in tile_url else parsed.netloc}"
        self.csp = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob:{tiles}; font-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
        )
        self.hsts = hsts

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                add = {
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"x-frame-options": b"DENY",
                    b"permissions-policy": b"geolocation=(self), camera=(), microphone=()",
                    b"cross-origin-opener-policy": b"same-origin",
                }
                if b"content-security-policy" not in present:
                    add[b"content-security-policy"] = self.csp.encode()
                if self.hsts:
                    add[b"strict-transport-security"] = b"max-age=31536000; includeSubDomains"
                for key, value in add.items():
                    if key not in present:
                        headers.append((key, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


#: Requests that leave no access-log line at all: report submissions and receipt look-ups (the
#: form page too). A line, even without a path, would put a millisecond timestamp next to the hour a
#: report was stored in, and a duration; nothing the log holds may help tell who sent a report or
#: when. Matched on the route template when the request was routed, else on the raw path (a body
#: refused before routing, or a receipt "code" with a slash that matches no route).
SILENT_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/api/reports"),
        ("*", "/api/reports/receipts/{code}"),
        ("*", "/report"),
        ("*", "/report/status"),
    }
)
SILENT_PATH_PREFIXES = ("/api/reports/receipts/", "/report/")


def is_silent(method: str, path: str, template: str | None) -> bool:
    """Whether a request must leave no access-log line (see ``SILENT_ROUTES``)."""
    if template is not None and ((method, template) in SILENT_ROUTES or ("*", template) in SILENT_ROUTES):
        return True
    path = "/" + path.strip("/")
    return (method, path) in SILENT_ROUTES or ("*", path) in SILENT_ROUTES or path.startswith(SILENT_PATH_PREFIXES)


class PrivateAccessLog(HttpMiddleware):
    """One line per request: method, route template (never the concrete path, which may hold a
    receipt code or a calendar-feed token), status, duration. Never the client address, user agent,
    cookies, query string or body; and no line at all for report submissions and receipt look-ups
    (``is_silent``)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) if route is not None else None
            if not is_silent(scope["method"], scope["path"], template):
                shown = template or ("/static/..." if scope["path"].startswith("/static/") else "<unmatched>")
                access_log.info("%s %s %d %.1fms", scope["method"], shown, status, (time.perf_counter() - start) * 1000)


class RefuseNulCharacters(HttpMiddleware):
    """NUL characters cannot be stored (PostgreSQL text refuses them) and never belong in a form,
    a query or JSON: refuse them up front with a 422 naming where they were."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query or "\x00" in scope.get("path", ""):
            await self._refuse(send, "query" if b"%00" in query or b"\x00" in query else "path")
            return
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        media = content_type.split(b";", 1)[0].strip().lower()
        # Whatever the client calls it: JSON by any name (APPLICATION/json, application/vnd.x+json,
        # text/json), forms, and the text fields of a multipart form (its files may hold NUL bytes).
        textual = media.endswith((b"/json", b"+json")) or media == b"application/x-www-form-urlencoded"
        multipart = media == b"multipart/form-data"
        if not (textual or multipart):
            await self.app(scope, receive, send)
            return
        # Buffer the (size-limited) body once, check it, and replay it to the app.
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if textual and (b"\\u0000" in body or b"%00" in body or b"\x00" in body):
            await self._refuse(send, "body")
            return
        if multipart and (field := await self._nul_field(scope, body)):
            await self._refuse(send, field, what=f"form field {field!r}")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _nul_field(scope: Scope, body: bytes) -> str | None:
        """The name of the first text field of a multipart body that holds a NUL, or None."""
        delivered = False

        async def once() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        request = Request(scope, once)
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 - a malformed body is the route's to refuse, with its own message
            return None
        try:
            for name, value in form.multi_items():
                if isinstance(value, str) and "\x00" in value:
                    return name[:60]
        finally:
            await form.close()
        return None

    @staticmethod
    async def _refuse(send: Send, where: str, *, what: str | None = None) -> None:
        body = json.dumps(
            {"error": "invalid", "detail": f"The {what or where} contains a NUL character.", "field": where}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
