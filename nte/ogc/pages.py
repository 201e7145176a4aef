"""The HTML of /ogc (OGC API - Features /conf/html): each resource as a page of the site, in the
site's layout and language, linking back to the rest of the service.

What the pages show is the same as the JSON says; this module only arranges it for people: words
for who may see a collection, London times in the reader's language, "Showing 101-200 of 2,345".
Links are relative (a page is read where it was served); only the address a GIS team pastes is the
configured absolute one. Text the collections write (titles, descriptions, attributions) is English
and marked so (``lang="en"``); data values are in ``<bdi>``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlencode

import orjson
import shapely
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from dateutil.parser import isoparse
from fastapi import Request
from fastapi.responses import HTMLResponse

from nte.config import get_settings
from nte.i18n import N_
from nte.london import LONDON
from nte.ogc.collections.base import Collection, Feature, Queryable
from nte.ogc.crs import CRS84, EPSG_27700
from nte.ogc.documents import PREFIX
from nte.ogc.query import ItemsQuery, cursor_start, decode_cursor, encode_cursor
from nte.ogc.service import ItemsAnswer
from nte.web.templating import render, request_gettext, request_language

#: The CRSs /ogc writes, in words (the URI is shown beside them).
CRS_NAMES = {
    CRS84: N_("WGS 84 longitude and latitude (GPS, web maps; the default)"),
    EPSG_27700: N_("British National Grid, metres (Ordnance Survey)"),
}
#: Who a role is, in words, for "who may see it".
ROLE_NAMES = {
    "officer": N_("police and council officers"),
    "admin": N_("administrators"),
    "coordinator": N_("patrol coordinators"),
    "volunteer": N_("patrol volunteers"),
    "venue_manager": N_("venue managers"),
}
#: What a property's JSON Schema type is called on the queryables page.
TYPE_NAMES = {
    "string": N_("text"),
    "integer": N_("whole number"),
    "number": N_("number"),
    "boolean": N_("true or false"),
    "date-time": N_("date and time (UTC)"),
    "date": N_("date"),
}


def _locale(request: Request) -> str:
    """The page's language as a locale Babel knows (dates and numbers), English when it knows none
    (the pseudo-locale)."""
    lang = request_language(request)
    try:
        Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return "en_GB"
    return "en_GB" if lang == "en" else lang


def cache_tag(request: Request) -> str:
    """What an HTML page's ETag adds to the data version: its language (chosen by ``?lang=`` or by
    the Accept-Language header, so a cached English page never answers an Arabic reader) and who
    is signed in (the layout's navigation is theirs)."""
    viewer = getattr(request.state, "viewer", None)
    return f"html:{request_language(request)}:{viewer.id if viewer else '-'}"


def _page(request: Request, name: str, context: dict[str, Any], headers: dict[str, str] | None = None) -> HTMLResponse:
    if headers is not None and "Vary" in headers:
        headers = {**headers, "Vary": headers["Vary"] + ", Accept-Language"}
    return render(request, f"ogc/{name}.html", context, headers=headers)


def collection_path(c: Collection, rest: str = "") -> str:
    return f"{PREFIX}/collections/{c.id}{rest}"


def feature_path(c: Collection, feature_id: int | str) -> str:
    return collection_path(c, f"/items/{quote(str(feature_id), safe='')}")


def with_params(path: str, params: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def audience(c: Collection, gettext: Callable[[str], str]) -> str:
    """Who may see a collection, in words."""
    roles = c.allowed_roles
    if roles is None:
        return gettext("Everyone")
    return ", ".join(gettext(ROLE_NAMES[r]) if r in ROLE_NAMES else r for r in sorted(roles))


# --- values as people read them --------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One property value as shown: ``text`` (data, shown in <bdi>) or ``word`` (translated text)."""

    text: str = ""
    word: str = ""
    empty: bool = False


def show_value(value: Any, *, lang: str, gettext: Callable[[str], str], q: Queryable | None = None) -> Value:
    if value is None or value == "" or value == []:
        return Value(empty=True)
    if isinstance(value, bool):
        return Value(word=gettext("yes") if value else gettext("no"))
    if isinstance(value, str) and q is not None and q.format == "date-time":
        try:
            value = isoparse(value)
        except ValueError:
            return Value(text=value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # naive: stored UTC
        return Value(text=format_datetime(moment, "d MMM y, HH:mm", tzinfo=LONDON, locale=lang))
    if isinstance(value, date):
        return Value(text=format_date(value, "d MMM y", locale=lang))
    if isinstance(value, float):
        return Value(text=format_decimal(value, locale=lang))
    if isinstance(value, list | tuple):
        return Value(text=", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return Value(text=orjson.dumps(value).decode())
    return Value(text=str(value))


@dataclass(frozen=True)
class Column:
    name: str
    #: The queryable's title (English, from the collection), if the property is a queryable.
    title: str | None
    queryable: Queryable | None


def columns_of(c: Collection, features: Sequence[Feature]) -> list[Column]:
    """Every property any feature of the page has, in the order the first features list them."""
    names: dict[str, None] = {}
    for f in features:
        names.update(dict.fromkeys(f.properties))
    by_name = {q.name: q for q in c.queryables}
    return [Column(n, by_name[n].title if n in by_name else None, by_name.get(n)) for n in names]


@dataclass
class Row:
    id: str
    href: str
    cells: list[Value] = field(default_factory=list)


# --- the pages ---------------------------------------------------------------------------------------


def landing(request: Request, doc: dict[str, Any]) -> HTMLResponse:
    address = get_settings().base_url.rstrip("/") + PREFIX
    return _page(request, "landing", {"doc": doc, "address": address})


def conformance(request: Request, doc: dict[str, Any]) -> HTMLResponse:
    return _page(request, "conformance", {"doc": doc})


@dataclass(frozen=True)
class Operation:
    path: str
    summary: str
    restricted: str | None
    parameters: list[dict[str, Any]]


def api_page(request: Request, definition: dict[str, Any]) -> HTMLResponse:
    operations = []
    for path, item in definition["paths"].items():
        op = item["get"]
        operations.append(
            Operation(
                path=PREFIX + (path if path != "/" else ""),
                summary=op.get("summary", ""),
                restricted=op.get("description") if op.get("security") else None,
                parameters=[_parameter(_resolved(p, definition)) for p in op.get("parameters", [])],
            )
        )
    return _page(request, "api", {"definition": definition, "operations": operations, "type_names": TYPE_NAMES})


def _resolved(p: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    """A parameter, or the one its ``$ref`` names (``#/components/parameters/limit``)."""
    ref = p.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/components/parameters/"):
        return p
    found = definition.get("components", {}).get("parameters", {}).get(ref.rsplit("/", 1)[1])
    return found if isinstance(found, dict) else {"name": ref.rsplit("/", 1)[1]}


def _parameter(p: dict[str, Any]) -> dict[str, Any]:
    schema = p.get("schema", {})
    kind = schema.get("format") if schema.get("format") in TYPE_NAMES else schema.get("type", "string")
    if schema.get("type") == "array":
        kind = "number" if schema.get("items", {}).get("type") == "number" else "string"
    return {
        "name": p["name"],
        "where": p.get("in", "query"),
        "required": p.get("required", False),
        "type": kind if kind in TYPE_NAMES else "string",
        "list": schema.get("type") == "array",
        "description": p.get("description", ""),
        "enum": schema.get("enum", []),
        "default": schema.get("default"),
        "maximum": schema.get("maximum"),
    }


def collections(request: Request, doc: dict[str, Any], visible: list[Collection]) -> HTMLResponse:
    gettext = request_gettext(request)
    rows = [{"c": c, "audience": audience(c, gettext)} for c in visible]
    return _page(request, "collections", {"doc": doc, "rows": rows})


def _extent(doc: dict[str, Any], lang: str) -> dict[str, Any] | None:
    extent = doc.get("extent") or {}
    out: dict[str, Any] = {}
    boxes = (extent.get("spatial") or {}).get("bbox") or []
    if boxes and len(boxes[0]) >= 4:
        west, south, east, north = boxes[0][:4]
        out["bbox"] = {
            k: format_decimal(round(v, 4), locale=lang)
            for k, v in (("west", west), ("south", south), ("east", east), ("north", north))
        }
    intervals = (extent.get("temporal") or {}).get("interval") or []
    if intervals and len(intervals[0]) == 2:
        ends: list[str | None] = []
        for end in intervals[0]:
            if end is None:
                ends.append(None)
                continue
            if isinstance(end, datetime):
                moment = end if end.tzinfo is not None else end.replace(tzinfo=UTC)
            else:
                try:
                    moment = isoparse(str(end))
                except ValueError:
                    ends.append(str(end))
                    continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            ends.append(format_date(moment.astimezone(LONDON).date(), "d MMM y", locale=lang))
        out["interval"] = ends
    return out or None


def collection(request: Request, doc: dict[str, Any], c: Collection) -> HTMLResponse:
    gettext = request_gettext(request)
    lang = _locale(request)
    crs = [{"uri": uri, "name": CRS_NAMES.get(uri)} for uri in doc.get("crs", [])]
    return _page(
        request,
        "collection",
        {
            "doc": doc,
            "c": c,
            "audience": audience(c, gettext),
            "extent": _extent(doc, lang),
            "crs_list": crs,
            "paths": _paths(c),
        },
    )


def _paths(c: Collection) -> dict[str, str]:
    return {
        "collection": collection_path(c),
        "items": collection_path(c, "/items"),
        "queryables": collection_path(c, "/queryables"),
    }


def queryables(request: Request, doc: dict[str, Any], c: Collection) -> HTMLResponse:
    rows = []
    for q in c.queryables:
        kind = q.format if q.format in TYPE_NAMES else q.type
        rows.append({"q": q, "type": kind if kind in TYPE_NAMES else "string", "temporal": q.name == c.temporal})
    example = next((q for q in c.queryables if q.enum), None)
    return _page(
        request,
        "queryables",
        {"doc": doc, "c": c, "rows": rows, "example": example, "paths": _paths(c), "type_names": TYPE_NAMES},
    )


def _filters_in_force(query: ItemsQuery) -> list[tuple[str, str]]:
    """Each parameter that narrows the features, as sent (what the page says it shows)."""
    shown = query.params()
    return [(k, v) for k, v in shown.items() if k not in ("limit", "crs", "cursor")]


def items(
    request: Request, c: Collection, query: ItemsQuery, answer: ItemsAnswer, *, headers: dict[str, str]
) -> HTMLResponse:
    gettext = request_gettext(request)
    lang = _locale(request)
    start = cursor_start(request.query_params.get("cursor"))
    shown = len(answer.features)
    next_href = None
    if answer.next_cursor:
        after = decode_cursor(answer.next_cursor)
        cursor = encode_cursor(after, start=start + shown if start is not None else None)
        next_href = with_params(collection_path(c, "/items"), {**query.params(cursor=cursor), "f": "html"})
    columns = columns_of(c, answer.features)
    rows = [
        Row(
            id=str(f.id),
            href=feature_path(c, f.id),
            cells=[
                show_value(f.properties.get(col.name), lang=lang, gettext=gettext, q=col.queryable) for col in columns
            ],
        )
        for f in answer.features
    ]
    params = query.params()
    counts = {
        "first": format_decimal(start + 1, locale=lang) if start is not None else None,
        "last": format_decimal(start + shown, locale=lang) if start is not None else None,
        "shown": format_decimal(shown, locale=lang),
        "matched": format_decimal(answer.matched, locale=lang),
    }
    return _page(
        request,
        "items",
        {
            "c": c,
            "query": query,
            "answer": answer,
            "counts": counts,
            "columns": columns,
            "rows": rows,
            "filters": _filters_in_force(query),
            "next_href": next_href,
            "first_href": with_params(collection_path(c, "/items"), {**params, "f": "html"}) if start != 0 else None,
            "json_href": with_params(collection_path(c, "/items"), {**params, "f": "json"}),
            "unfiltered_href": with_params(collection_path(c, "/items"), {"f": "html"}),
            "paths": _paths(c),
            "times_shown": any(col.queryable is not None and col.queryable.format == "date-time" for col in columns)
            or any(isinstance(v, datetime) for f in answer.features for v in f.properties.values()),
        },
        headers=headers,
    )


def feature(request: Request, c: Collection, found: Feature, *, headers: dict[str, str]) -> HTMLResponse:
    gettext = request_gettext(request)
    lang = _locale(request)
    by_name = {q.name: q for q in c.queryables}
    properties = [
        (
            name,
            by_name[name].title if name in by_name else None,
            show_value(v, lang=lang, gettext=gettext, q=by_name.get(name)),
        )
        for name, v in found.properties.items()
    ]
    return _page(
        request,
        "feature",
        {
            "c": c,
            "f": found,
            "properties": properties,
            "geometry_type": found.geometry.geom_type if found.geometry is not None else None,
            # For the page's small map (WGS 84, as stored; the JSON answers round it).
            "geometry_json": shapely.to_geojson(found.geometry) if found.geometry is not None else None,
            "json_href": feature_path(c, found.id) + "?f=json",
            "paths": _paths(c),
        },
        headers=headers,
    )
