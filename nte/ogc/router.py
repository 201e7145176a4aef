"""/ogc: OGC API - Features. Every collection gets its own routes with its own role dependency, so
the route x role matrix (tests/test_access_matrix.py) walks each one; JSON by default, HTML with
``f=html`` or a browser's Accept header.

The OGC part has its own OpenAPI 3.0 definition at /ogc/api (``nte.ogc.openapi``), so its routes
stay out of the JSON API's document."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import format_datetime
from hashlib import sha256
from typing import Any, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from nte.auth.deps import CurrentPrincipal, public
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NotFound
from nte.ogc import documents, openapi, pages, service
from nte.ogc.collections import COLLECTIONS
from nte.ogc.collections.base import Collection, Context, Version
from nte.ogc.crs import header as crs_header
from nte.ogc.crs import parse_crs
from nte.ogc.exceptions import InvalidParameter, UnknownCollection
from nte.ogc.query import FEATURE_PARAMS, check_known, parse_items_query

router = APIRouter(prefix="/ogc", tags=["ogc"], include_in_schema=False)

_FORMATS = ("json", "html")


def _params(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        out.setdefault(name, []).append(value)
    return out


def wants_html(request: Request) -> bool:
    """``f=html`` / ``f=json``, else the Accept header (JSON unless HTML is preferred)."""
    chosen = request.query_params.get("f")
    if chosen:
        if chosen not in _FORMATS:
            raise InvalidParameter(f"f: json or html, not {chosen[:20]!r}.", field="f")
        return chosen == "html"
    accept = request.headers.get("accept", "")
    if not accept or "json" in accept.split(",")[0]:
        return False
    return "text/html" in accept


def _context(request: Request, principal: Any) -> Context:
    return Context(settings=get_settings(), now=utcnow(), role=principal.user.role if principal else None)


def _base() -> str:
    return get_settings().base_url


def _caching(collection: Collection | None, version: Version | None, request: Request, body_tag: str) -> dict[str, str]:
    headers = {"Vary": "Accept, Authorization, Cookie"}
    if collection is None or collection.is_public:
        headers["Cache-Control"] = "public, max-age=60"
    else:
        headers["Cache-Control"] = "private, no-store"
    if version is not None:
        digest = sha256(f"{version.tag}|{body_tag}|{request.url.query}".encode()).hexdigest()[:32]
        headers["ETag"] = f'W/"{digest}"'
        if version.modified is not None:
            headers["Last-Modified"] = format_datetime(version.modified.replace(microsecond=0), usegmt=True)
    return headers


def _not_modified(request: Request, headers: dict[str, str]) -> Response | None:
    sent = request.headers.get("if-none-match")
    if sent and "ETag" in headers and headers["ETag"] in [t.strip() for t in sent.split(",")]:
        return Response(status_code=304, headers=headers)
    return None


def _json(body: bytes, media_type: str, headers: dict[str, str]) -> Response:
    return Response(body, media_type=media_type, headers=headers)


def _simple(request: Request, allowed: tuple[str, ...] = ("f", "lang")) -> None:
    check_known(_params(request), allowed)


@router.get("", dependencies=[Depends(public)], summary="Landing page")
# The landing page is at {root}/ (OGC API - Features 1, /req/core/root-op): clients that take
# /ogc as the root ask for /ogc/, and a redirect is not the 200 they must get.
@router.get("/", dependencies=[Depends(public)], summary="Landing page")
def landing(request: Request) -> Response:
    _simple(request)
    doc = documents.landing(_base())
    if wants_html(request):
        return pages.landing(request, doc)
    return _json(documents.dumps(doc), documents.JSON, _caching(None, None, request, "landing"))


@router.get("/conformance", dependencies=[Depends(public)], summary="Conformance classes")
def conformance(request: Request) -> Response:
    _simple(request)
    doc = documents.conformance(_base())
    if wants_html(request):
        return pages.conformance(request, doc)
    return _json(documents.dumps(doc), documents.JSON, _caching(None, None, request, "conformance"))


@router.get("/api", dependencies=[Depends(public)], summary="The API definition (OpenAPI 3.0)")
def api_definition(request: Request) -> Response:
    _simple(request)
    if wants_html(request):
        return pages.api_page(request, openapi.definition(_base()))
    return _json(
        documents.dumps(openapi.definition(_base())), documents.OPENAPI_JSON, {"Cache-Control": "public, max-age=300"}
    )


@router.get("/api.html", dependencies=[Depends(public)], summary="The API documentation")
def api_page(request: Request) -> Response:
    _simple(request)
    return pages.api_page(request, openapi.definition(_base()))


@router.get("/collections", dependencies=[Depends(public)], summary="The collections you may see")
def collections(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    _simple(request)
    ctx = _context(request, principal)
    visible = service.visible(ctx.role)
    extents = {c.id: service.extent(session, c, ctx) for c in visible}
    doc = documents.collections(_base(), visible, extents)
    headers = {"Vary": "Accept, Authorization, Cookie", "Cache-Control": "private, no-cache"}
    if wants_html(request):
        return pages.collections(request, doc, visible)
    return _json(documents.dumps(doc), documents.JSON, headers)


def _collection_route(c: Collection) -> Callable[..., Response]:
    def collection(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
        _simple(request)
        ctx = _context(request, principal)
        version = c.version(session, ctx)
        headers = _caching(c, version, request, "collection")
        if (unchanged := _not_modified(request, headers)) is not None:
            return unchanged
        doc = documents.collection(_base(), c, service.extent(session, c, ctx))
        if wants_html(request):
            return pages.collection(request, doc, c)
        return _json(documents.dumps(doc), documents.JSON, headers)

    return collection


def _queryables_route(c: Collection) -> Callable[..., Response]:
    def queryables(request: Request) -> Response:
        _simple(request)
        doc = documents.queryables(_base(), c)
        if wants_html(request):
            return pages.queryables(request, doc, c)
        return _json(documents.dumps(doc), documents.SCHEMA_JSON, _caching(c, None, request, "queryables"))

    return queryables


def _items_route(c: Collection) -> Callable[..., Response]:
    def items(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
        params = _params(request)
        query = parse_items_query(params, queryables=[q.name for q in c.queryables], extra=[p.name for p in c.params])
        html = wants_html(request)
        ctx = _context(request, principal)
        ctx = Context(settings=ctx.settings, now=ctx.now, role=ctx.role, extra=query.extra)
        answer = service.items(session, c, query, ctx)
        headers = _caching(c, answer.version, request, pages.cache_tag(request) if html else "items")
        headers["Content-Crs"] = crs_header(query.crs)
        if (unchanged := _not_modified(request, headers)) is not None:
            return unchanged
        if html:
            return pages.items(request, c, query, answer, headers=headers)
        body = documents.items_bytes(
            _base(), c, query, answer.features, matched=answer.matched, next_cursor=answer.next_cursor, now=ctx.now
        )
        links = documents.items_links(_base(), c, query, next_cursor=answer.next_cursor)
        headers["Link"] = documents.link_header(links)
        return _json(body, documents.GEOJSON, headers)

    return items


def _feature_route(c: Collection) -> Callable[..., Response]:
    def feature(request: Request, session: SessionDep, principal: CurrentPrincipal, feature_id: str) -> Response:
        params = _params(request)
        check_known(params, FEATURE_PARAMS)
        crs = parse_crs(request.query_params.get("crs"), field="crs")
        html = wants_html(request)
        ctx = _context(request, principal)
        found, version = service.feature(session, c, feature_id, ctx)
        headers = _caching(c, version, request, pages.cache_tag(request) if html else "feature")
        headers["Content-Crs"] = crs_header(crs)
        if (unchanged := _not_modified(request, headers)) is not None:
            return unchanged
        if html:
            return pages.feature(request, c, found, headers=headers)
        return _json(documents.feature_bytes(_base(), c, found, crs=crs), documents.GEOJSON, headers)

    return feature


def _access(c: Collection) -> Any:
    """The collection's role dependency (the ``Depends`` inside its ``...Api`` name), or ``public``."""
    return get_args(c.access)[1] if c.access is not None else Depends(public)


for _c in COLLECTIONS:
    _deps = [_access(_c)]
    _path = f"/collections/{_c.id}"
    router.add_api_route(_path, _collection_route(_c), methods=["GET"], dependencies=_deps, summary=_c.title)
    router.add_api_route(f"{_path}/queryables", _queryables_route(_c), methods=["GET"], dependencies=_deps)
    router.add_api_route(f"{_path}/items", _items_route(_c), methods=["GET"], dependencies=_deps)
    router.add_api_route(f"{_path}/items/{{feature_id}}", _feature_route(_c), methods=["GET"], dependencies=_deps)


@router.get("/collections/{collection_id}", dependencies=[Depends(public)], summary="No such collection")
def unknown_collection(collection_id: str) -> Response:
    # Every collection has its own routes, matched before this one: whatever reaches here is unknown.
    raise UnknownCollection(f"There is no collection {collection_id[:80]!r} here.", field="collectionId")


@router.get("/collections/{collection_id}/{rest:path}", dependencies=[Depends(public)], summary="No such collection")
def unknown_collection_part(collection_id: str, rest: str) -> Response:
    service.get_collection(collection_id)  # 404 for an unknown collection
    raise NotFound(f"A collection has no {rest[:80]!r}: see its items and queryables.", field="path")
