"""The API definition of /ogc, OpenAPI 3.0 (OGC API - Features /conf/oas30), built from the
collections themselves: each collection's paths, its queryables as parameters, the documented
maximum of ``limit``, and the bearer token the restricted collections need."""

from __future__ import annotations

from typing import Any

from nte.ogc.collections import COLLECTIONS
from nte.ogc.collections.base import Collection
from nte.ogc.crs import SUPPORTED
from nte.ogc.documents import DESCRIPTION, GEOJSON, HTML, JSON, OPENAPI_JSON, SCHEMA_JSON, TITLE, url
from nte.ogc.query import DEFAULT_LIMIT, FILTER_LANGS, MAX_LIMIT

_ERROR = {"$ref": "#/components/schemas/Error"}


def _param(name: str, description: str, schema: dict[str, Any], *, style: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if style:
        out["style"], out["explode"] = style, False
    return out


_COMMON = {
    "f": _param("f", "The format: json (the default) or html.", {"type": "string", "enum": ["json", "html"]}),
    "limit": _param(
        "limit",
        f"How many features a page holds (at most {MAX_LIMIT}; a larger number gives {MAX_LIMIT}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        style="form",  # as /req/core/fc-limit-definition gives it
    ),
    "bbox": _param(
        "bbox",
        "Only features whose geometry meets this box: minx,miny,maxx,maxy in bbox-crs (CRS84 by default).",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        style="form",
    ),
    "bbox-crs": _param("bbox-crs", "The CRS of bbox.", {"type": "string", "format": "uri", "enum": list(SUPPORTED)}),
    "crs": _param(
        "crs", "The CRS of the geometries returned.", {"type": "string", "format": "uri", "enum": list(SUPPORTED)}
    ),
    "datetime": _param(
        "datetime",
        "An instant (2016-06-01T22:00:00Z), a date, or an interval start/end (.. for an open end). "
        "Only reports and patrol shifts have a time; the other collections ignore it (hotspot cells take from and to).",
        {"type": "string"},
        style="form",  # as /req/core/fc-time-definition gives it
    ),
    "filter": _param("filter", "A CQL2 filter on the collection's queryables.", {"type": "string"}),
    "filter-lang": _param(
        "filter-lang", "The language of filter.", {"type": "string", "enum": list(FILTER_LANGS), "default": "cql2-text"}
    ),
    "filter-crs": _param(
        "filter-crs", "The CRS of geometries in filter.", {"type": "string", "format": "uri", "enum": list(SUPPORTED)}
    ),
    "cursor": _param("cursor", "Where a page starts: take it from the previous page's next link.", {"type": "string"}),
}


def _ref(name: str) -> dict[str, str]:
    """A shared parameter, by reference: QGIS reads the page size's maximum and default from
    ``components.parameters.limit`` only."""
    return {"$ref": f"#/components/parameters/{name}"}


def _responses(media: str, description: str, *, restricted: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "200": {
            "description": description,
            "content": {media: {"schema": {"type": "object"}}, HTML: {"schema": {"type": "string"}}},
        },
        "400": {"description": "A parameter is wrong (named in field)", "content": {JSON: {"schema": _ERROR}}},
        "404": {"description": "Not found", "content": {JSON: {"schema": _ERROR}}},
    }
    if restricted:
        out["401"] = {"description": "No or a wrong bearer token", "content": {JSON: {"schema": _ERROR}}}
        out["403"] = {"description": "Your role may not see this collection", "content": {JSON: {"schema": _ERROR}}}
    return out


def _operation(
    c: Collection | None, op_id: str, summary: str, media: str, params: list[dict[str, Any]]
) -> dict[str, Any]:
    restricted = c is not None and not c.is_public
    op: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "tags": ["Collections" if c else "Capabilities"],
        "parameters": params,
        "responses": _responses(media, summary, restricted=restricted),
    }
    if restricted:
        assert c is not None and c.allowed_roles is not None
        op["security"] = [{"bearer": []}]
        op["description"] = "For " + ", ".join(sorted(c.allowed_roles)) + " (a bearer token from POST /api/auth/token)."
    return op


def _collection_paths(c: Collection) -> dict[str, Any]:
    path = f"/collections/{c.id}"
    key = c.id.replace("-", "_")
    queryable_params = [
        _param(q.name, f"Only features whose {q.name} equals this.", q.schema(), style="form") for q in c.queryables
    ]
    own = [
        _param(p.name, p.description, {"type": "string", **({"enum": list(p.enum)} if p.enum else {})})
        for p in c.params
    ]
    items_params = [
        _ref(n)
        for n in ("f", "limit", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang", "filter-crs", "cursor")
    ]
    feature_id = {"name": "featureId", "in": "path", "required": True, "schema": {"type": c.key_type}}
    return {
        path: {"get": _operation(c, f"describe_{key}", c.title, JSON, [_ref("f")])},
        f"{path}/queryables": {
            "get": _operation(c, f"queryables_{key}", f"{c.title}: queryables", SCHEMA_JSON, [_ref("f")])
        },
        f"{path}/items": {
            "get": _operation(
                c, f"items_{key}", f"{c.title}: features", GEOJSON, [*items_params, *queryable_params, *own]
            )
        },
        f"{path}/items/{{featureId}}": {
            "get": _operation(
                c, f"feature_{key}", f"{c.title}: one feature", GEOJSON, [feature_id, _ref("f"), _ref("crs")]
            )
        },
    }


def definition(base: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": {"get": _operation(None, "landing_page", "Landing page", JSON, [_ref("f")])},
        "/conformance": {"get": _operation(None, "conformance", "Conformance classes", JSON, [_ref("f")])},
        "/api": {"get": _operation(None, "api", "This API definition", OPENAPI_JSON, [_ref("f")])},
        "/collections": {"get": _operation(None, "collections", "The collections you may see", JSON, [_ref("f")])},
    }
    for c in COLLECTIONS:
        paths.update(_collection_paths(c))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{TITLE} - OGC API - Features",
            "description": DESCRIPTION,
            "version": "1.0.0",
            "license": {
                "name": "Open Government Licence v3.0",
                "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
            },
        },
        "servers": [{"url": url(base), "description": "This service"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": _COMMON,
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {
                        "error": {"type": "string"},
                        "detail": {"type": "string"},
                        "field": {"type": "string", "nullable": True},
                    },
                }
            },
        },
    }
