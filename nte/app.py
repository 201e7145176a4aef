"""Create the NTE Safe application: routers, error handlers, middleware, start-up checks."""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from nte.config import Settings, get_settings
from nte.db import get_engine, session_factory
from nte.errors import install_error_handlers
from nte.health import check_database
from nte.web.middleware import BodySizeLimit, PrivateAccessLog, RefuseNulCharacters, SecurityHeaders
from nte.web.templating import TEMPLATE_DIR

log = logging.getLogger("nte")

STATIC_DIR = TEMPLATE_DIR.parent / "static"

#: Every module with a ``router``. A domain adds its JSON API (router) and pages here.
ROUTER_MODULES = [
    "nte.health",
    "nte.web.pages",
    "nte.auth.router",
    "nte.auth.pages",
    "nte.maps.router",
    "nte.maps.stats_router",
    "nte.maps.pages",
    "nte.notifications.pages",
    "nte.reports.router",
    "nte.reports.pages",
    "nte.patrols.router",
    "nte.patrols.pages",
    "nte.audit.pages",
    "nte.venues.router",
    "nte.venues.pages",
    "nte.safespaces.router",
    "nte.safespaces.pages",
]

#: Larger body limits for upload routes (path prefix -> bytes); domains add theirs.
UPLOAD_LIMITS: dict[str, int] = {}


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
COMMON_ERRORS = {
    "400": "Bad request",
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


def document_errors(app: FastAPI) -> None:
    """Every operation documents the one error body shape for every status it can answer with."""

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = FastAPI.openapi(app)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/Error"}
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                for status, description in COMMON_ERRORS.items():
                    responses[status] = {"description": description, "content": {"application/json": {"schema": ref}}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None, *, check_db: bool = True) -> FastAPI:
    settings = settings or get_settings()
    engine = get_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if check_db:
            problem = check_database(engine)
            if problem:
                log.error("NTE Safe will not start: %s", problem)
                raise SystemExit(f"NTE Safe will not start: {problem}")
        # Everything loaded at start-up (modules, templates, the app) will live as long as the
        # process: move it out of the garbage collector's generations, so that a full collection
        # during a large response no longer walks it (measured: the 5,000-venue GeoJSON's p99
        # dropped from ~350 ms to ~150 ms).
        gc.freeze()
        yield

    app = FastAPI(
        title="NTE Safe",
        version="0.1.0",
        summary="Safe night-time economy for women and girls: venues, safe spaces, patrols, reports, hotspot maps.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)

    install_error_handlers(app)
    for module_name in ROUTER_MODULES:
        module = importlib.import_module(module_name)
        app.include_router(module.router)
        UPLOAD_LIMITS.update(getattr(module, "BODY_LIMITS", {}))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    document_errors(app)

    # Outermost last: the access log sees the final status, the size limit runs before parsing.
    app.add_middleware(RefuseNulCharacters)
    app.add_middleware(BodySizeLimit, default=settings.max_body_bytes, per_path=dict(UPLOAD_LIMITS))
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url, hsts=settings.env == "prod")
    app.add_middleware(PrivateAccessLog)
    return app
