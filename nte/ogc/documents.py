"""The JSON documents /ogc answers with: landing page, conformance, collections, queryables,
features. Every link is absolute, built from the configured base URL (never the Host header)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import numpy as np
import orjson
import shapely

from nte.ogc.collections.base import Collection, Feature
from nte.ogc.conformance import CONFORMS_TO
from nte.ogc.crs import CRS84, EPSG_27700, PRECISION, SUPPORTED, srid_of
from nte.ogc.query import MAX_LIMIT, ItemsQuery
from nte.spatial.geometry import BNG, WGS84, many_to_bng

PREFIX = "/ogc"
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
SCHEMA_JSON = "application/schema+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
TITLE = "NTE Safe"
DESCRIPTION = (
    "Night-time safety data of the London boroughs NTE Safe serves, as OGC API - Features: ward boundaries, "
    "charter venues, safe spaces, published ward counts (public); patrol areas and shifts (coordinators); "
    "report points, hotspot cells and the venue register (officers, with a bearer token)."
)
_DUMP = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"


def url(base: str, path: str = "", params: dict[str, str] | None = None) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{base.rstrip('/')}{PREFIX}{path}{query}"


def _link(href: str, rel: str, type_: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": type_, "title": title}


def _with(params: dict[str, str] | None, **more: str) -> dict[str, str]:
    return {**(params or {}), **more}


def format_links(base: str, path: str, params: dict[str, str] | None, *, json_type: str = JSON) -> list[dict[str, str]]:
    """self (JSON) and alternate (HTML) for a resource."""
    return [
        _link(url(base, path, _with(params, f="json")), "self", json_type, "This document"),
        _link(url(base, path, _with(params, f="html")), "alternate", HTML, "This document as HTML"),
    ]


def landing(base: str) -> dict[str, Any]:
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "links": [
            *format_links(base, "", None),
            _link(url(base, "/api"), "service-desc", OPENAPI_JSON, "The API definition (OpenAPI 3.0)"),
            _link(url(base, "/api.html"), "service-doc", HTML, "The API documentation"),
            _link(url(base, "/conformance"), "conformance", JSON, "Conformance classes"),
            _link(url(base, "/collections"), "data", JSON, "Collections"),
            _link(url(base, "/collections"), "http://www.opengis.net/def/rel/ogc/1.0/data", JSON, "Collections"),
            _link(
                url(base, "/conformance"),
                "http://www.opengis.net/def/rel/ogc/1.0/conformance",
                JSON,
                "Conformance classes",
            ),
        ],
    }


def conformance(base: str) -> dict[str, Any]:
    return {"conformsTo": list(CONFORMS_TO), "links": format_links(base, "/conformance", None)}


def collection(base: str, c: Collection, extent: dict[str, Any] | None = None) -> dict[str, Any]:
    path = f"/collections/{c.id}"
    doc: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": list(SUPPORTED),
        "storageCrs": CRS84,
        "links": [
            *format_links(base, path, None),
            _link(url(base, f"{path}/items", {"f": "json"}), "items", GEOJSON, f"{c.title}: features"),
            _link(url(base, f"{path}/items", {"f": "html"}), "items", HTML, f"{c.title}: features as HTML"),
            _link(url(base, f"{path}/queryables"), QUERYABLES_REL, SCHEMA_JSON, "Queryables"),
        ],
    }
    if c.attribution:
        doc["attribution"] = c.attribution
    if extent:
        doc["extent"] = extent
    return doc


def collections(base: str, visible: Sequence[Collection], extents: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    return {
        "collections": [collection(base, c, extents.get(c.id)) for c in visible],
        "crs": list(SUPPORTED),
        "links": format_links(base, "/collections", None),
    }


def _geometry_schema(geometry_type: str) -> dict[str, Any]:
    return {
        "title": "Geometry",
        # QGIS knows a geometry queryable by its $ref to a GeoJSON schema; Part 3 by its format.
        "$ref": f"https://geojson.org/schema/{geometry_type}.json",
        "format": f"geometry-{geometry_type.lower()}",
        "x-ogc-role": "primary-geometry",
    }


def queryables(base: str, c: Collection) -> dict[str, Any]:
    properties: dict[str, Any] = {"geometry": _geometry_schema(c.geometry_type)}
    for q in c.queryables:
        schema = q.schema()
        if q.name == c.temporal:
            schema["x-ogc-role"] = "primary-instant"
        properties[q.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url(base, f"/collections/{c.id}/queryables"),
        "type": "object",
        "title": c.title,
        "properties": properties,
        "additionalProperties": False,
    }


def _rounded(geoms: np.ndarray, srid: int) -> np.ndarray:
    digits = PRECISION[srid]
    return shapely.transform(geoms, lambda coords: np.round(coords, digits))


def geometries_json(features: Sequence[Feature], crs: str) -> list[orjson.Fragment | None]:
    """Each feature's GeoJSON geometry in ``crs`` (all at once: vectorised in Shapely and PROJ)."""
    geoms = np.array([f.geometry for f in features], dtype=object)
    if not len(geoms):
        return []
    srid = srid_of(crs)
    present = np.array([g is not None for g in geoms], dtype=bool)
    if srid == BNG and present.any():
        geoms[present] = many_to_bng(geoms[present])
    texts = shapely.to_geojson(_rounded(geoms, srid if srid in (BNG, WGS84) else WGS84))
    return [orjson.Fragment(t) if t is not None else None for t in texts]


def _feature(f: Feature, geometry: orjson.Fragment | None) -> dict[str, Any]:
    return {"type": "Feature", "id": f.id, "geometry": geometry, "properties": f.properties}


def items_links(base: str, c: Collection, query: ItemsQuery, *, next_cursor: str | None) -> list[dict[str, str]]:
    """An items page's links: self, alternate, its collection, the queryables a filter may name
    (Features 3, /req/queryables/get-queryables-uris: the filterable resource links to them), next."""
    path = f"/collections/{c.id}/items"
    links = [
        *format_links(base, path, query.params(), json_type=GEOJSON),
        _link(url(base, f"/collections/{c.id}"), "collection", JSON, c.title),
        _link(url(base, f"/collections/{c.id}/queryables"), QUERYABLES_REL, SCHEMA_JSON, "Queryables"),
    ]
    if next_cursor:
        links.append(
            _link(url(base, path, _with(query.params(cursor=next_cursor), f="json")), "next", GEOJSON, "Next page")
        )
    return links


def link_header(links: Sequence[dict[str, str]]) -> str:
    """The same links as an HTTP Link header (RFC 8288; Features 1, /rec/core/link-header), without
    titles: a title is free text, and clients that split the header on commas would split it too."""
    return ", ".join(f'<{link["href"]}>; rel="{link["rel"]}"; type="{link["type"]}"' for link in links)


def items_bytes(
    base: str,
    c: Collection,
    query: ItemsQuery,
    features: Sequence[Feature],
    *,
    matched: int,
    next_cursor: str | None,
    now: datetime,
) -> bytes:
    links = items_links(base, c, query, next_cursor=next_cursor)
    geometries = geometries_json(features, query.crs)
    doc = {
        "type": "FeatureCollection",
        "features": [_feature(f, g) for f, g in zip(features, geometries, strict=True)],
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": now.astimezone(UTC).replace(microsecond=0),
        "links": links,
    }
    return orjson.dumps(doc, option=_DUMP)


def feature_bytes(base: str, c: Collection, f: Feature, *, crs: str) -> bytes:
    path = f"/collections/{c.id}/items/{f.id}"
    params = {"crs": crs} if crs != CRS84 else None
    doc = _feature(f, geometries_json([f], crs)[0])
    doc["links"] = [
        *format_links(base, path, params, json_type=GEOJSON),
        _link(url(base, f"/collections/{c.id}"), "collection", JSON, c.title),
    ]
    return orjson.dumps(doc, option=_DUMP)


def dumps(doc: Any) -> bytes:
    return orjson.dumps(doc, option=_DUMP)


__all__ = ["EPSG_27700", "MAX_LIMIT"]
