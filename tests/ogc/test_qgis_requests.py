"""QGIS's OGC API - Features provider, replayed against /ogc: the requests it makes when it connects,
adds a layer, draws, pans and filters, in its order, with its Accept headers and its query strings
written the way it writes them, and each answer read the way it reads it. Where each request and
each reading comes from (file and function of qgis/QGIS): docs/QGIS-REQUESTS.md.

A public layer (wards) and an officers' layer (report points, with a bearer token as an "API
Header" authentication would send it), on both databases. Each layer is checked to be non-empty
before anything is counted, and each count is checked against what the test put there."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box, shape

from nte.config import get_settings
from tests.factories import bearer, make_map_report, make_user

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BNG = "http://www.opengis.net/def/crs/EPSG/0/27700"
OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"

# The Accept header of each request (qgsoapif*request.cpp, ``request()`` / ``sendGET``).
ACCEPT_JSON = "application/json"
ACCEPT_API = f"{OPENAPI_30}, application/openapi+json;version=3.0, application/json"
ACCEPT_QUERYABLES = "application/schema+json"
ACCEPT_ITEMS = "application/geo+json, application/json"

_CQL2 = ("http://www.opengis.net/spec/cql2/1.0/conf/", "http://www.opengis.net/spec/cql2/0.0/conf/")
_F3 = (
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/",
    "http://www.opengis.net/spec/ogcapi-features-3/0.0/conf/",
)
PART2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
LONDON = ZoneInfo("Europe/London")


# --- QGIS's readings, as its code does them ----------------------------------------------------------


def find_link(links: Any, rel: str, preferred: tuple[str, ...] = ()) -> str:
    """``QgsOAPIFJson::parseLinks`` + ``findLink``: the href of a link of ``rel``; a link whose type
    is in ``preferred`` wins (earlier is better), a link of another or no type ranks last."""
    best, best_rank = "", None
    for link in links if isinstance(links, list) else []:
        if not (isinstance(link, dict) and isinstance(link.get("href"), str) and link.get("rel") == rel):
            continue
        kind = link.get("type")
        rank = preferred.index(kind) if kind in preferred else len(preferred)
        if best_rank is None or rank < best_rank:
            best, best_rank = link["href"], rank
    return best


def declares(classes: list[str], prefixes: tuple[str, ...], name: str) -> bool:
    return any(p + name in classes for p in prefixes)


def qgs_double(value: float) -> str:
    """``qgsDoubleToString``: 17 decimals, trailing zeros cut (-0.1337 -> -0.13370000000000001)."""
    text = f"{value:.17f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def qgis_param(name: str, value: str) -> str:
    """``getEncodedQueryParam`` (QUrlQuery, FullyEncoded): ``&`` ``=`` ``%`` spaces and quotes encoded;
    QUrlQuery leaves a ``+`` as it is."""
    return name + "=" + quote(value, safe="!$'()*+,;:@/?")


def server_filter(cql2_text: str, *, geometry_literal: bool = False, crs: str = CRS84) -> str:
    """``QgsOapifSharedData::computeFilter`` with CQL2 text: what goes after ``limit``."""
    out = qgis_param("filter", cql2_text) + "&filter-lang=cql2-text"
    if geometry_literal and crs != CRS84:
        out += f"&filter-crs={crs}"
    return out


_STANDARD = ("crs", "bbox", "bbox-crs", "filter", "filter-lang", "filter-crs", "datetime", "limit")


def _resolve(api: dict[str, Any], ref: Any) -> Any:
    """``resolveRef``: a ``#/a/b/c`` reference, from the document's root."""
    if not (isinstance(ref, str) and ref.startswith("#/")):
        return None
    node: Any = api
    for part in ref[2:].split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def simple_queryables(api: dict[str, Any], type_name: str) -> dict[str, str]:
    """``QgsOapifApiRequest::processReply``: query parameters of ``/collections/{id}/items`` with
    style form, explode false and a schema type, other than the standard ones."""
    out: dict[str, str] = {}
    get = (api.get("paths", {}).get(f"/collections/{type_name}/items") or {}).get("get") or {}
    for parameter in get.get("parameters", []):
        p = _resolve(api, parameter["$ref"]) if isinstance(parameter, dict) and "$ref" in parameter else parameter
        if not (isinstance(p, dict) and all(k in p for k in ("name", "in", "style", "explode", "schema"))):
            continue
        kind = p["schema"].get("type") if isinstance(p["schema"], dict) else None
        if p["in"] == "query" and p["style"] == "form" and p["explode"] is False and isinstance(kind, str):
            if p["name"] not in _STANDARD:
                out[p["name"]] = kind
    return out


@dataclass
class Sent:
    method: str
    url: str
    accept: str | None


@dataclass
class Service:
    api_url: str
    collections_url: str
    conformance_url: str


@dataclass
class Layer:
    """What ``QgsOapifProvider::init`` has learnt once the layer is added."""

    type_name: str
    collection_url: str
    items_url: str
    crs: str
    page_size: int
    api_max_limit: int | None
    api_default_limit: int | None
    conformance: list[str]
    cql2_text: bool
    like_between_in: bool
    case_insensitive: bool
    basic_spatial: bool
    queryables: dict[str, dict[str, Any]]
    #: Part 1 equality parameters QGIS found in the API definition (name -> JSON type).
    simple_queryables: dict[str, str]
    first_page: dict[str, Any]
    number_matched: int | None
    allow: str
    server_filter: str = ""

    @property
    def geometry_queryable(self) -> str | None:
        return next((n for n, q in sorted(self.queryables.items()) if q.get("geometry")), None)


@dataclass
class Download:
    features: list[dict[str, Any]] = field(default_factory=list)
    pages: list[Any] = field(default_factory=list)

    @property
    def ids(self) -> list[Any]:
        return [f["id"] for f in self.features]


class Qgis:
    """One QGIS connection to ``url`` (the landing page), with the headers its authentication adds."""

    def __init__(self, client: TestClient, url: str, *, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.url = url
        self.headers = headers or {}
        self.sent: list[Sent] = []

    def get(self, url: str, accept: str, *, expect: int = 200) -> Any:
        self.sent.append(Sent("GET", url, accept))
        r = self.client.get(url, headers={**self.headers, "Accept": accept})
        assert r.status_code == expect, f"GET {url} (Accept: {accept}) -> {r.status_code}: {r.text[:600]}"
        return r

    def connect(self) -> Service:
        """``QgsOapifLandingPageRequest``: service-desc, data and conformance hrefs."""
        links = self.get(self.url, ACCEPT_JSON).json().get("links")
        apis = (OPENAPI_30, "application/openapi+json;version=3.0")
        api = find_link(links, "service-desc", apis) or find_link(links, "service", apis)
        data = find_link(links, "data", ("application/json",)) or find_link(links, "collections", apis)
        if data.find("?") > 0:
            data = data[: data.find("?")]
        assert api and data, "QGIS: 'Download of landing page failed: Missing information in response'"
        return Service(api, data, find_link(links, "conformance"))

    def list_collections(self, service: Service) -> list[dict[str, Any]]:
        """``QgsWFSSourceSelect::oapifCollectionsReplyFinished``: every page, by next links."""
        url, out = service.collections_url, []
        while url:
            body = self.get(url, ACCEPT_JSON).json()
            out += [c for c in body.get("collections", []) if isinstance(c, dict) and isinstance(c.get("id"), str)]
            url = find_link(body.get("links"), "next", ("application/json",))
        return out

    def add_layer(self, type_name: str, *, srs_name: str | None = None, page_size: int | None = None) -> Layer:
        """``QgsOapifProvider::init`` (``page_size``: the connection's page size; ``srs_name``: the CRS
        picked in the dialog, as a URI)."""
        service = self.connect()

        api = self.get(service.api_url, ACCEPT_API).json()
        simple = simple_queryables(api, type_name)
        limit_schema = api.get("components", {}).get("parameters", {}).get("limit", {}).get("schema", {})
        max_limit = limit_schema.get("maximum") if isinstance(limit_schema.get("maximum"), int) else None
        default_limit = limit_schema.get("default") if isinstance(limit_schema.get("default"), int) else None
        if page_size and max_limit:
            size = min(page_size, max_limit)
        elif page_size:
            size = page_size
        elif default_limit and max_limit:
            size = min(max(1000, default_limit), max_limit)
        elif default_limit:
            size = max(1000, default_limit)
        else:
            size = max_limit or 100

        collection_url = f"{service.collections_url}/{type_name}"
        collection = self.get(collection_url, ACCEPT_JSON).json()

        classes: list[str] = []
        if service.conformance_url:
            body = self.get(service.conformance_url, ACCEPT_JSON).json()
            classes = [c for c in body.get("conformsTo", []) if isinstance(c, str)]
        part2 = PART2 in classes
        cql2_text = (
            declares(classes, _CQL2, "basic-cql2")
            and declares(classes, _F3, "filter")
            and declares(classes, _F3, "features-filter")
            and declares(classes, _CQL2, "cql2-text")
        )
        if part2 and srs_name:
            crs = srs_name
        elif part2 and isinstance(collection.get("storageCrs"), str):
            crs = collection["storageCrs"]
        elif part2 and collection.get("crs"):
            crs = collection["crs"][0]
        else:
            crs = CRS84

        queryables: dict[str, dict[str, Any]] = {}
        if cql2_text:
            schema = self.get(f"{collection_url}/queryables", ACCEPT_QUERYABLES).json()
            for name, value in (schema.get("properties") or {}).items():
                if isinstance(value, dict) and isinstance(value.get("type"), str):
                    queryables[name] = {"type": value["type"], "format": value.get("format")}
                elif isinstance(value, dict) and str(value.get("$ref", "")).startswith("https://geojson.org/schema/"):
                    queryables[name] = {"geometry": True}

        items_url = f"{collection_url}/items"
        first_url = f"{items_url}?limit=10" + (f"&crs={crs}" if crs != CRS84 else "")
        first = self.get(first_url, ACCEPT_ITEMS).json()
        matched = first.get("numberMatched")

        self.sent.append(Sent("OPTIONS", items_url, None))
        options = self.client.options(items_url, headers=self.headers)
        assert options.status_code < 500, f"OPTIONS {items_url} -> {options.status_code}: {options.text[:300]}"

        return Layer(
            type_name=type_name,
            collection_url=collection_url,
            items_url=items_url,
            crs=crs,
            page_size=size,
            api_max_limit=max_limit,
            api_default_limit=default_limit,
            conformance=classes,
            cql2_text=cql2_text,
            like_between_in=declares(classes, _CQL2, "advanced-comparison-operators"),
            case_insensitive=declares(classes, _CQL2, "case-insensitive-comparison"),
            basic_spatial=declares(classes, _CQL2, "basic-spatial-functions")
            or declares(classes, _CQL2, "basic-spatial-operators"),
            queryables=queryables,
            simple_queryables=simple,
            first_page=first,
            number_matched=matched if isinstance(matched, int) and not isinstance(matched, bool) else None,
            allow=options.headers.get("allow", ""),
        )

    def first_url(self, layer: Layer, *, bbox: tuple[float, float, float, float] | None = None) -> str:
        """``QgsOapifFeatureDownloaderImpl::run``: limit, then the filter, then bbox (+bbox-crs), then crs."""
        url = f"{layer.items_url}?limit={layer.page_size}"
        if layer.server_filter:
            url += "&" + layer.server_filter
        if bbox is not None:
            url += "&bbox=" + ",".join(qgs_double(v) for v in bbox)
            if layer.crs != CRS84:
                url += f"&bbox-crs={layer.crs}"
        if layer.crs != CRS84:
            url += f"&crs={layer.crs}"
        return url

    def download(self, layer: Layer, *, bbox: tuple[float, float, float, float] | None = None) -> Download:
        """One draw: the first page, then each ``next`` href as given, until no features or no next."""
        out, url = Download(), self.first_url(layer, bbox=bbox)
        while url:
            r = self.get(url, ACCEPT_ITEMS)
            body = r.json()
            if not body.get("features"):
                break
            out.pages.append(r)
            out.features += body["features"]
            url = find_link(body.get("links"), "next", ("application/geo+json",))
        return out

    def feature_count(self, layer: Layer) -> int | None:
        """``QgsOapifProvider::featureCount`` with a server-side filter: ``limit=1`` and numberMatched."""
        url = f"{layer.items_url}?limit=1" + (f"&{layer.server_filter}" if layer.server_filter else "")
        matched = self.get(url, ACCEPT_ITEMS).json().get("numberMatched")
        return matched if isinstance(matched, int) else None


# --- data ----------------------------------------------------------------------------------------------

SOHO = (-0.1337, 51.5136)


@dataclass
class Seeded:
    """A report point the test made, with where and when."""

    index: int
    id: int
    lon: float
    lat: float
    easting: float
    northing: float
    category: str
    occurred_at: datetime

    @property
    def london_hour(self) -> int:
        return self.occurred_at.astimezone(LONDON).hour


def _seed_reports(db) -> list[Seeded]:
    """30 report points on a 10 x 3 grid in Soho (about 28 m by 44 m apart), a quarter of them in 2015,
    every third one 'followed', odd ones at 22:00 UTC and even ones at noon."""
    made = []
    for i in range(30):
        lon, lat = SOHO[0] + (i % 10) * 0.0004, SOHO[1] + (i // 10) * 0.0004
        at = datetime(2015 if i % 4 == 0 else 2026, 10, 1 + i % 28, 22 if i % 2 else 12, tzinfo=UTC)
        category = "followed" if i % 3 == 0 else "verbal_harassment"
        report = make_map_report(db, lon=lon, lat=lat, occurred_at=at, main_category=category)
        made.append(Seeded(i, report.id, lon, lat, report.easting, report.northing, category, at))
    return made


def _landing() -> str:
    return f"{get_settings().base_url.rstrip('/')}/ogc"


def _officer(client: TestClient, db) -> Qgis:
    return Qgis(client, _landing(), headers=bearer(db, make_user(db, role="officer")))


def _in_box(feature: dict[str, Any], bbox: tuple[float, float, float, float]) -> bool:
    return shape(feature["geometry"]).intersects(box(*bbox))


def _paths(qgis: Qgis) -> list[tuple[str, str, str | None]]:
    return [(s.method, s.url.split("/ogc", 1)[1], s.accept) for s in qgis.sent]


# --- connecting ----------------------------------------------------------------------------------------


def test_connect_reads_the_landing_page_and_lists_what_each_role_may_add(client, db):
    public = Qgis(client, _landing())
    service = public.connect()
    base = get_settings().base_url.rstrip("/")
    for href in (service.api_url, service.collections_url, service.conformance_url):
        assert href.startswith(f"{base}/ogc/"), href  # absolute, from NTE_BASE_URL
    assert service.conformance_url, "without a conformance link QGIS never filters on the server"

    listed = {c["id"]: c for c in public.list_collections(service)}
    assert "wards-2022-05" in listed and "reports" not in listed
    assert all(c.get("title") for c in listed.values())
    assert _paths(public) == [("GET", "", ACCEPT_JSON), ("GET", "/collections", ACCEPT_JSON)]

    officer_listed = {c["id"] for c in _officer(client, db).list_collections(service)}
    assert {"reports", "wards-2022-05"} <= officer_listed


# --- a public layer ------------------------------------------------------------------------------------


def test_public_wards_layer_added_drawn_and_panned_to_the_end(client):
    qgis = Qgis(client, _landing())
    layer = qgis.add_layer("wards-2022-05")
    assert _paths(qgis) == [
        ("GET", "", ACCEPT_JSON),
        ("GET", "/api", ACCEPT_API),
        ("GET", "/collections/wards-2022-05", ACCEPT_JSON),
        ("GET", "/conformance", ACCEPT_JSON),
        ("GET", "/collections/wards-2022-05/queryables", ACCEPT_QUERYABLES),
        ("GET", "/collections/wards-2022-05/items?limit=10", ACCEPT_ITEMS),
        ("OPTIONS", "/collections/wards-2022-05/items", None),
    ]
    # The API definition gives QGIS its page size: default 100 and maximum 10000 make pages of 1000.
    assert (layer.api_default_limit, layer.api_max_limit) == (100, 10_000)
    assert layer.page_size == 1000
    # Filters go to the server (all four classes QGIS needs); the layer is read-only; CRS84.
    assert layer.cql2_text and layer.like_between_in and layer.basic_spatial
    assert "POST" not in layer.allow
    assert layer.crs == CRS84
    assert layer.queryables["name"] == {"type": "string", "format": None}
    assert layer.queryables["area_km2"]["type"] == "number"
    assert layer.geometry_queryable == "geometry", "QGIS pushes no spatial filter without a geometry queryable"
    # Part 1 equality parameters (used by QGIS only against a server without CQL2).
    assert layer.simple_queryables["name"] == "string" and layer.simple_queryables["area_km2"] == "number"

    collection = client.get(layer.collection_url, headers={"Accept": ACCEPT_JSON}).json()
    assert CRS84 in collection["crs"] and BNG in collection["crs"]  # the CRSs the dialog offers

    first = layer.first_page
    wards = layer.number_matched
    assert wards is not None and wards > 25, "the shipped wards must be there"
    assert 0 < first["numberReturned"] == len(first["features"]) == 10
    assert all(isinstance(f["id"], str) and f["id"] for f in first["features"])

    # A whole draw with the connection's page size set to 25: every page through next links.
    paged = Qgis(client, _landing())
    small = paged.add_layer("wards-2022-05", page_size=25)
    everything = paged.download(small)
    assert len(everything.pages) == -(-wards // 25)
    assert len(everything.features) == wards == len(set(everything.ids))
    assert all(page.headers["content-crs"] == f"<{CRS84}>" for page in everything.pages)
    assert paged.download(small).ids == everything.ids  # the same ids in the same order next time

    # Panning to Soho and Covent Garden, the view's edges as QGIS prints them.
    view = (-0.14373, 51.50861, -0.12111, 51.51789)
    panned = paged.download(small, bbox=view)
    matched = panned.pages[0].json()["numberMatched"]
    assert 0 < matched < wards
    assert len(panned.features) == matched == len(set(panned.ids))
    assert set(panned.ids) == {f["id"] for f in everything.features if _in_box(f, view)}


def test_ward_name_with_an_apostrophe_as_qgis_quotes_it(client):
    qgis = Qgis(client, _landing())
    layer = qgis.add_layer("wards-2022-05")
    everything = qgis.download(layer)
    named = [f["id"] for f in everything.features if f["properties"]["name"] == "St James's"]
    assert len(named) == 1, "the shipped May 2022 wards have St James's (Westminster)"
    # The subset string "name" = 'St James''s': CQL2 doubles the quote, as QGIS's literalValue does.
    layer.server_filter = server_filter("(name = 'St James''s')")
    assert qgis.download(layer).ids == named


# --- an officers' layer --------------------------------------------------------------------------------


def test_officer_layer_needs_the_token_qgis_sends(client, db):
    _seed_reports(db)
    anonymous = Qgis(client, _landing())
    service = anonymous.connect()
    assert anonymous.get(f"{service.collections_url}/reports", ACCEPT_JSON, expect=401).json()["error"]
    coordinator = Qgis(client, _landing(), headers=bearer(db, make_user(db, role="coordinator")))
    assert coordinator.get(f"{service.collections_url}/reports", ACCEPT_JSON, expect=403).json()["error"]
    coordinator.get(f"{service.collections_url}/reports/items?limit=10", ACCEPT_ITEMS, expect=403)

    officer = _officer(client, db)
    layer = officer.add_layer("reports")
    assert layer.number_matched == 30
    assert layer.queryables["occurred_at"] == {"type": "string", "format": "date-time"}
    assert layer.queryables["category"]["type"] == "string"
    assert layer.queryables["hour"]["type"] == "integer"
    assert "POST" not in layer.allow
    assert [f["id"] for f in layer.first_page["features"]] == sorted(f["id"] for f in layer.first_page["features"])


def test_officer_layer_with_the_filter_qgis_compiles_in_a_view_page_by_page(client, db):
    seeded = _seed_reports(db)
    qgis = _officer(client, db)
    layer = qgis.add_layer("reports", page_size=4)
    assert layer.number_matched == 30 and layer.cql2_text

    # The subset string "category" = 'followed' AND "occurred_at" >= '2016-01-01T00:00:00Z', as
    # QgsOapifCql2TextExpressionCompiler writes it: category is letters only (bare), occurred_at is
    # not (double quotes); the string becomes a TIMESTAMP as the queryable's format is date-time.
    layer.server_filter = server_filter(
        "((category = 'followed') AND (\"occurred_at\" >= TIMESTAMP('2016-01-01T00:00:00.000Z')))"
    )
    wanted = [s for s in seeded if s.category == "followed" and s.occurred_at.year >= 2016]
    assert len(wanted) == 7
    assert qgis.feature_count(layer) == 7
    drawn = qgis.download(layer)
    assert drawn.ids == [s.id for s in wanted] and len(drawn.pages) == 2

    # Panned to the two southern rows of the grid. The top edge is printed with 7 significant
    # digits: 51.51438 is below the third row (51.5144), 51.5144 (6 digits) would take it in.
    view = (-0.13391, 51.51331, -0.12991, 51.51438)
    in_view = [s for s in wanted if s.lat < 51.51438]
    assert len(in_view) == 5
    panned = qgis.download(layer, bbox=view)
    assert len(panned.pages) == 2
    for page in panned.pages:
        assert page.json()["numberMatched"] == 5
    assert panned.ids == [s.id for s in in_view]
    for f in panned.features:
        assert f["properties"]["category"] == "followed" and f["properties"]["occurred_at"] >= "2016-01-01T00:00:00"


# What QgsOapifCql2TextExpressionCompiler writes for other subset strings (the QGIS expression in the
# comment), and which seeded reports each must give.
COMPILED = [
    # "category" IN ('followed', 'spiking')
    ("in", "category IN ('followed','spiking')", lambda s: s.category == "followed"),
    # "category" <> 'followed'
    ("not-equal", "(category <> 'followed')", lambda s: s.category != "followed"),
    # "hour" >= 22 OR "hour" < 4
    ("or", "((hour >= 22) OR (hour < 4))", lambda s: s.london_hour >= 22 or s.london_hour < 4),
    # "hour" BETWEEN 12 AND 13
    ("between", "hour BETWEEN 12 AND 13", lambda s: 12 <= s.london_hour <= 13),
    # "category" LIKE 'foll%'
    ("like", "(category LIKE 'foll%')", lambda s: s.category.startswith("foll")),
    # "category" ILIKE 'FOLL%' (sent only if case-insensitive-comparison is declared)
    ("casei", "(CASEI(category) LIKE CASEI('FOLL%'))", lambda s: s.category == "followed"),
    # "hour" IS NOT NULL
    ("not-null", "(hour IS NOT NULL)", lambda s: True),
    # "hour" * 2 = 46
    ("arithmetic", "((hour * 2) = 46)", lambda s: s.london_hour == 23),
    # "hour" > -1
    ("minus", "(hour > ( - (1)))", lambda s: True),
    # "occurred_at" >= make_datetime(2026,10,5,0,0,0) AND "occurred_at" < '2026-10-10T00:00:00Z'
    (
        "timestamps",
        "((\"occurred_at\" >= TIMESTAMP('2026-10-05T00:00:00.000Z')) AND "
        "(\"occurred_at\" < TIMESTAMP('2026-10-10T00:00:00.000Z')))",
        lambda s: datetime(2026, 10, 5, tzinfo=UTC) <= s.occurred_at < datetime(2026, 10, 10, tzinfo=UTC),
    ),
    # NOT "category" = 'followed'
    # (pygeofilter 0.4's own grammar refused this: nte/ogc/cql.py fixes its NOT rule)
    ("not", "(NOT ((category = 'followed')))", lambda s: s.category != "followed"),
]


def _case(c: Any) -> Any:
    """A case as a parameter named by its first item (a ``pytest.param`` keeps its marks)."""
    if hasattr(c, "marks"):
        return pytest.param(*c.values[1:], id=c.values[0], marks=c.marks)
    return pytest.param(*c[1:], id=c[0])


@pytest.mark.parametrize(("cql2", "wanted"), [_case(c) for c in COMPILED])
def test_officer_layer_takes_each_filter_shape_qgis_writes(client, db, cql2, wanted):
    seeded = _seed_reports(db)
    qgis = _officer(client, db)
    layer = qgis.add_layer("reports")
    assert layer.number_matched == 30
    expected = [s.id for s in seeded if wanted(s)]
    assert expected, "each shape must match some of the seeded reports"
    layer.server_filter = server_filter(cql2)
    drawn = qgis.download(layer)
    assert drawn.ids == expected
    assert drawn.pages[0].json()["numberMatched"] == len(expected)


def test_a_plus_qgis_leaves_unencoded_is_a_clear_400(client, db):
    """QGIS encodes the filter with QUrlQuery, which leaves ``+`` as it is; the server reads a ``+`` in
    a query as a space (form encoding), so ``"hour" + 1 = 24`` arrives as ``((hour   1) = 24)``.
    QGIS then shows the server's message: it must name the filter, never be a 500."""
    seeded = _seed_reports(db)
    qgis = _officer(client, db)
    layer = qgis.add_layer("reports")
    assert layer.number_matched == 30
    layer.server_filter = server_filter("((hour + 1) = 24)")
    assert "+" in layer.server_filter
    answer = qgis.get(qgis.first_url(layer), ACCEPT_ITEMS, expect=400).json()
    assert answer["error"] == "invalid_parameter" and answer["field"] == "filter"
    # The same filter with the plus encoded (%2B), as other clients send it, works.
    layer.server_filter = layer.server_filter.replace("+", "%2B")
    at_eleven = [s.id for s in seeded if s.london_hour == 23]
    assert at_eleven
    assert qgis.download(layer).ids == at_eleven


# --- British National Grid -----------------------------------------------------------------------------


def test_officer_layer_in_british_national_grid_with_bbox_crs(client, db):
    seeded = _seed_reports(db)
    qgis = _officer(client, db)
    layer = qgis.add_layer("reports", srs_name=BNG, page_size=4)
    assert layer.crs == BNG and PART2 in layer.conformance
    assert ("GET", "/collections/reports/items?limit=10&crs=" + BNG, ACCEPT_ITEMS) in _paths(qgis)
    first = layer.first_page
    assert first["numberMatched"] == 30 and len(first["features"]) == 10
    for f in first["features"]:
        x, y = f["geometry"]["coordinates"]
        assert 529_000 < x < 530_500 and 180_500 < y < 181_800, (x, y)  # metres, Soho

    # Columns 2 to 6 of the grid, all three rows: the edges midway between columns, in metres.
    columns = sorted({round(s.easting) for s in seeded if s.index < 10})
    assert len(columns) == 10
    west, east = (columns[1] + columns[2]) / 2 + 0.123, (columns[6] + columns[7]) / 2 - 0.456
    south, north = min(s.northing for s in seeded) - 5.5, max(s.northing for s in seeded) + 5.5
    view = (west, south, east, north)
    in_view = [s.id for s in seeded if west <= s.easting <= east]
    assert len(in_view) == 15

    panned = qgis.download(layer, bbox=view)
    assert qgis.sent[-len(panned.pages)].url.endswith(
        f"&bbox={qgs_double(west)},{qgs_double(south)},{qgs_double(east)},{qgs_double(north)}&bbox-crs={BNG}&crs={BNG}"
    )
    assert len(panned.pages) == 4
    assert panned.ids == in_view
    for page in panned.pages:
        assert page.headers["content-crs"] == f"<{BNG}>"
        for f in page.json()["features"]:
            x, y = f["geometry"]["coordinates"]
            assert west <= x <= east and south <= y <= north, (x, y)

    # The same area as a spatial filter: intersects_bbox($geometry, geom_from_wkt('POLYGON(...)'))
    # becomes S_INTERSECTS with a BBOX literal, in the layer's CRS (filter-crs).
    assert layer.geometry_queryable == "geometry"
    literal = ",".join(qgs_double(v) for v in view)
    layer.server_filter = server_filter(f"S_INTERSECTS(geometry,BBOX({literal}))", geometry_literal=True, crs=BNG)
    assert "&filter-crs=" + BNG in layer.server_filter
    assert qgis.download(layer).ids == in_view
