"""The coordinate reference systems /ogc serves (OGC API - Features Part 2: CRS by reference).

Stored geometry is WGS84 (lon/lat: CRS84's axis order); EPSG:27700 (British National Grid,
metres) is what council GIS teams work in."""

from __future__ import annotations

from nte.ogc.exceptions import InvalidParameter
from nte.spatial.coords import COORD_DECIMALS
from nte.spatial.geometry import BNG, WGS84

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_27700 = "http://www.opengis.net/def/crs/EPSG/0/27700"
#: URI -> SRID of what is stored or computed. CRS84 is WGS84 in longitude, latitude order.
SUPPORTED: dict[str, int] = {CRS84: WGS84, EPSG_27700: BNG}
#: Other spellings clients send for the same two (QGIS and GDAL use the URIs; people type these).
_ALIASES = {
    "crs84": CRS84,
    "ogc:crs84": CRS84,
    "urn:ogc:def:crs:ogc:1.3:crs84": CRS84,
    "epsg:27700": EPSG_27700,
    "urn:ogc:def:crs:epsg::27700": EPSG_27700,
    "https://www.opengis.net/def/crs/epsg/0/27700": EPSG_27700,
    "https://www.opengis.net/def/crs/ogc/1.3/crs84": CRS84,
}
#: Decimal places written: the service's one rounding of degrees (about 0.1 m), centimetres in BNG.
PRECISION = {WGS84: COORD_DECIMALS, BNG: 2}


def parse_crs(value: str | None, *, field: str) -> str:
    """The CRS URI a parameter names (CRS84 when absent); 400 naming ``field`` for any other."""
    if value is None or value == "":
        return CRS84
    uri = value.strip()
    if uri.startswith("[") and uri.endswith("]"):  # a safe CURIE, [EPSG:27700]
        uri = uri[1:-1]
    if uri in SUPPORTED:
        return uri
    known = _ALIASES.get(uri.lower())
    if known:
        return known
    raise InvalidParameter(f"{field}: this service serves {CRS84} and {EPSG_27700}, not {value[:120]!r}.", field=field)


def srid_of(uri: str) -> int:
    return SUPPORTED[uri]


def header(uri: str) -> str:
    """The ``Content-Crs`` header value."""
    return f"<{uri}>"
