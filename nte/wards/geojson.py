"""Read a ward boundary GeoJSON file into validated WGS84 MultiPolygons, or refuse it whole.

Pure: no database, no settings. ``parse_wards`` either returns every feature (each geometry valid,
lon/lat, exterior rings counter-clockwise and holes clockwise as RFC 7946 asks, always a MultiPolygon)
or raises ``InvalidWardFile`` with one line naming the feature (index and code) or the CRS at fault.

Coordinates are taken as longitude/latitude unless the file's legacy ``crs`` member or the ``crs``
argument names another CRS, in which case they are reprojected with pyproj. Coordinates that are out
of longitude/latitude range with no CRS given are refused (they are usually British National Grid
metres), so degrees that are really metres are never returned."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj.exceptions import CRSError, ProjError
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from nte.wards.exceptions import InvalidWardFile

WGS84 = "OGC:CRS84"
NAME_MAX = 120
CODE_MAX = 20
#: A repaired polygon whose area differs from the input's by more than this share of it is refused.
REPAIR_AREA_TOLERANCE = 0.5
_POLYGONAL = ("Polygon", "MultiPolygon")
_WGS84_CRS = pyproj.CRS.from_user_input(WGS84)


@dataclass(frozen=True)
class WardFeature:
    code: str
    name: str
    borough_code: str
    borough_name: str
    geometry: MultiPolygon  # WGS84 lon/lat, valid, every exterior ring counter-clockwise, holes clockwise


@dataclass
class ParsedWards:
    features: list[WardFeature]
    source_crs: str  # e.g. "OGC:CRS84" or "EPSG:27700", as recognised
    reprojected: bool
    notes: list[str] = field(default_factory=list)  # one line per repair or normalisation, naming the feature
    attribution: str | None = None  # the collection's own ``attribution`` member, if any


# --- reading -------------------------------------------------------------------------------------


def read_feature_collection(path: Path) -> dict[str, Any]:
    """The whole FeatureCollection (a legacy ``crs`` member and ``attribution`` are kept)."""
    try:
        with path.open("rb") as fh:
            data = json.load(fh)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split())
        raise InvalidWardFile(f"{path.name} is not readable GeoJSON: {reason}", field="file") from None
    _check_collection(data, where=path.name)
    return data


def _check_collection(data: Any, *, where: str = "The file") -> list[Any]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidWardFile(f"{where} is not a GeoJSON FeatureCollection.", field="file")
    features = data.get("features")
    if not isinstance(features, list):
        raise InvalidWardFile(f"{where} is not a GeoJSON FeatureCollection (no 'features' list).", field="file")
    if not features:
        raise InvalidWardFile(f"{where} holds no features.", field="file")
    return features


_PROPERTY_PATTERNS = {
    "code_property": re.compile(r"^WD(\d{2})CD$"),
    "name_property": re.compile(r"^WD(\d{2})NM$"),
    "borough_code_property": re.compile(r"^LAD(\d{2})CD$"),
    "borough_name_property": re.compile(r"^LAD(\d{2})NM$"),
}


def detect_properties(collection: dict[str, Any]) -> dict[str, str | None]:
    """Guess the ONS property names (WDnnCD, WDnnNM, LADnnCD, LADnnNM, any two-digit year) from the
    first feature's keys. Keys match ``parse_wards``'s keyword arguments; a property not found is None
    (for the ward code and name, keep ``parse_wards``'s default or ask the user). The ward code's year
    is preferred for the other three when the file has more than one year."""
    found: dict[str, str | None] = dict.fromkeys(_PROPERTY_PATTERNS)
    features = collection.get("features") if isinstance(collection, dict) else None
    first = features[0] if isinstance(features, list) and features else None
    props = first.get("properties") if isinstance(first, dict) else None
    if not isinstance(props, dict):
        return found
    keys = [k for k in props if isinstance(k, str)]
    year: str | None = None
    for name, pattern in _PROPERTY_PATTERNS.items():
        matches = [(m.group(1), k) for k in keys if (m := pattern.match(k))]
        if not matches:
            continue
        same_year = [k for y, k in matches if y == year]
        chosen = same_year[0] if same_year else max(matches)[1]  # otherwise the latest year
        found[name] = chosen
        if year is None:
            year = chosen[-4:-2]
    return found


# --- CRS -----------------------------------------------------------------------------------------


def _crs_from_member(collection: dict[str, Any]) -> str | None:
    member = collection.get("crs")
    if member is None:
        return None
    props = member.get("properties") if isinstance(member, dict) else None
    kind = member.get("type") if isinstance(member, dict) else None
    if isinstance(props, dict):
        if kind == "name" and isinstance(props.get("name"), str) and props["name"].strip():
            return str(props["name"]).strip()
        if kind == "EPSG" and isinstance(props.get("code"), (int, str)) and str(props["code"]).strip():
            return f"EPSG:{str(props['code']).strip()}"
    shown = json.dumps(member)[:80]
    raise InvalidWardFile(
        f"The file's 'crs' member {shown} is not a named CRS (expected "
        '{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}).',
        field="crs",
    )


def _parse_crs(text: str) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(text)
    except CRSError:
        raise InvalidWardFile(
            f"Unknown CRS {text[:80]!r}: pyproj does not recognise it (give e.g. --crs EPSG:27700).", field="crs"
        ) from None


def _crs_label(crs: pyproj.CRS) -> str:
    authority = crs.to_authority(min_confidence=90)
    return f"{authority[0]}:{authority[1]}" if authority else str(crs.name)


def _is_wgs84(crs: pyproj.CRS) -> bool:
    return bool(crs.equals(_WGS84_CRS, ignore_axis_order=True))


def _same_crs(a: pyproj.CRS, b: pyproj.CRS) -> bool:
    return bool(a.equals(b, ignore_axis_order=True)) or (_is_wgs84(a) and _is_wgs84(b))


@dataclass
class _Source:
    crs: pyproj.CRS | None  # None: GeoJSON's own lon/lat, nothing declared
    label: str
    transform: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]] | None

    @property
    def projected_metres(self) -> bool:
        return self.crs is not None and self.crs.is_projected


def _source(collection: dict[str, Any], crs: str | None) -> _Source:
    member_text = _crs_from_member(collection)
    member = _parse_crs(member_text) if member_text is not None else None
    given = _parse_crs(crs) if crs is not None else None
    if member is not None and given is not None and not _same_crs(member, given):
        raise InvalidWardFile(
            f"The file says its CRS is {member_text!r} but {crs!r} was given; they differ. "
            "Correct the file's 'crs' member or leave out --crs.",
            field="crs",
        )
    chosen = given or member
    if chosen is None:
        return _Source(crs=None, label=WGS84, transform=None)
    if _is_wgs84(chosen):
        return _Source(crs=chosen, label=_crs_label(chosen), transform=None)
    try:
        transformer = pyproj.Transformer.from_crs(chosen, WGS84, always_xy=True)
    except (CRSError, ProjError):
        raise InvalidWardFile(
            f"CRS {_crs_label(chosen)!r} cannot be converted to longitude/latitude.", field="crs"
        ) from None

    def transform(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])

    return _Source(crs=chosen, label=_crs_label(chosen), transform=transform)


def _in_lon_lat_range(geom: BaseGeometry) -> bool:
    minx, miny, maxx, maxy = geom.bounds
    return -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0


# --- geometry ------------------------------------------------------------------------------------


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons in ``geom`` (flattening multi-parts and collections), nothing else."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        out: list[Polygon] = []
        for part in shapely.get_parts(geom):
            out.extend(_polygons(part))
        return out
    return []


def _ring_area(coords: npt.NDArray[np.float64]) -> float:
    x, y = coords[:, 0], coords[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def _stated_area(geom: BaseGeometry) -> float:
    """The area the input's rings describe: each exterior's |signed area| less its holes', summed."""
    total = 0.0
    for poly in _polygons(geom):
        total += _ring_area(np.asarray(poly.exterior.coords))
        total -= sum(_ring_area(np.asarray(ring.coords)) for ring in poly.interiors)
    return total


def _shape(raw: Any, label: str) -> BaseGeometry:
    if raw is None:
        raise InvalidWardFile(f"{label}: geometry is missing (null).", field="geometry")
    if not isinstance(raw, dict):
        raise InvalidWardFile(f"{label}: geometry is malformed (not a GeoJSON object).", field="geometry")
    kind = raw.get("type")
    if kind not in _POLYGONAL:
        shown = kind if isinstance(kind, str) else "no type"
        raise InvalidWardFile(f"{label}: geometry is a {shown[:40]}, not a Polygon or MultiPolygon.", field="geometry")
    try:
        with warnings.catch_warnings():  # NaN coordinates warn in numpy; refused just below
            warnings.simplefilter("ignore", RuntimeWarning)
            geom = shape(raw)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, GEOSException) as exc:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise InvalidWardFile(f"{label}: geometry is malformed ({reason}).", field="geometry") from None
    if geom.is_empty:
        raise InvalidWardFile(f"{label}: geometry is empty.", field="geometry")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise InvalidWardFile(f"{label}: geometry has coordinates that are not finite numbers.", field="geometry")
    return geom


def _to_lon_lat(geom: BaseGeometry, source: _Source, label: str) -> BaseGeometry:
    if source.transform is None:
        if not _in_lon_lat_range(geom):
            x, y = shapely.get_coordinates(geom)[0]
            declared = f"the file declares {source.label}, but " if source.crs is not None else ""
            raise InvalidWardFile(
                f"{label}: {declared}coordinates such as ({x:.6g}, {y:.6g}) are outside longitude/latitude "
                "range; they look like projected metres (British National Grid?). Give --crs EPSG:27700 "
                "(or the file's own CRS) to reproject them.",
                field="crs",
            )
        return geom
    if source.projected_metres and _in_lon_lat_range(geom):
        x, y = shapely.get_coordinates(geom)[0]
        raise InvalidWardFile(
            f"{label}: coordinates such as ({x:.6g}, {y:.6g}) look like longitude/latitude degrees, not the "
            f"metres of {source.label}. Leave out --crs if the file is already longitude/latitude.",
            field="crs",
        )
    out = shapely.transform(geom, source.transform)
    coords = shapely.get_coordinates(out)
    if not np.isfinite(coords).all() or not _in_lon_lat_range(out):
        raise InvalidWardFile(
            f"{label}: coordinates cannot be reprojected from {source.label} to longitude/latitude "
            "(outside the CRS's area?).",
            field="crs",
        )
    return out


def _repair(geom: BaseGeometry, label: str, notes: list[str]) -> BaseGeometry:
    if geom.is_valid:
        return geom
    reason = shapely.is_valid_reason(geom)
    fixed = _polygons(shapely.make_valid(geom))
    if not fixed:
        raise InvalidWardFile(
            f"{label}: invalid polygon ({reason}) that cannot be repaired: nothing polygonal remains.",
            field="geometry",
        )
    repaired = MultiPolygon(fixed)
    stated = _stated_area(geom)
    if stated <= 0 or abs(repaired.area - stated) > REPAIR_AREA_TOLERANCE * stated:
        ratio = f"{repaired.area / stated:.2f}" if stated > 0 else "undefined"
        raise InvalidWardFile(
            f"{label}: invalid polygon ({reason}) that cannot be repaired safely: the repair changes its area "
            f"(repaired/stated = {ratio}).",
            field="geometry",
        )
    notes.append(f"{label}: repaired invalid polygon ({reason}); {len(fixed)} part(s) kept.")
    return repaired


def _has_clockwise_exterior(geom: BaseGeometry) -> bool:
    return any(not shapely.is_ccw(poly.exterior) for poly in _polygons(geom))


def _multipolygon(geom: BaseGeometry) -> MultiPolygon:
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    return MultiPolygon(_polygons(oriented))


# --- properties ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return " ".join(str(value).split())


def _cut(value: str, limit: int, what: str, label: str, notes: list[str]) -> str:
    if len(value) <= limit:
        return value
    notes.append(f"{label}: {what} cut to {limit} characters.")
    return value[:limit].rstrip()


# --- parse ---------------------------------------------------------------------------------------


def parse_wards(
    collection: dict[str, Any],
    *,
    code_property: str = "WD13CD",
    name_property: str = "WD13NM",
    borough_code_property: str | None = "LAD13CD",
    borough_name_property: str | None = "LAD13NM",
    borough_code: str | None = None,
    borough_name: str | None = None,
    crs: str | None = None,
) -> ParsedWards:
    """Every feature as a WardFeature, or InvalidWardFile naming the first unusable one.

    ``borough_code``/``borough_name`` override the properties for the whole file (a single-borough
    file); ``crs`` names the coordinates' CRS when the file has no legacy ``crs`` member."""
    raw_features = _check_collection(collection)
    source = _source(collection, crs)
    attribution = collection.get("attribution")
    notes: list[str] = []
    out: list[WardFeature] = []
    seen: dict[str, int] = {}
    clockwise = 0
    given_code = _text(borough_code)
    given_name = _text(borough_name)
    for index, feature in enumerate(raw_features):
        if not isinstance(feature, dict) or feature.get("type", "Feature") != "Feature":
            raise InvalidWardFile(f"feature {index}: is not a GeoJSON Feature.", field="file")
        props = feature.get("properties")
        props = props if isinstance(props, dict) else {}
        code = _text(props.get(code_property))
        label = f"feature {index} ({code[:CODE_MAX] or 'no code'})"
        if not code:
            raise InvalidWardFile(
                f"{label}: property {code_property!r} (the ward code) is missing.", field=code_property
            )
        code = _cut(code, CODE_MAX, "ward code", label, notes)
        if code in seen:
            raise InvalidWardFile(
                f"{label}: ward code {code} appears twice (features {seen[code]} and {index}).", field=code_property
            )
        seen[code] = index
        ward_name = _text(props.get(name_property))
        if not ward_name:
            raise InvalidWardFile(
                f"{label}: property {name_property!r} (the ward name) is missing.", field=name_property
            )
        ward_name = _cut(ward_name, NAME_MAX, "ward name", label, notes)
        b_code = given_code or (_text(props.get(borough_code_property)) if borough_code_property else "")
        if not b_code:
            wanted = f"property {borough_code_property!r} is missing" if borough_code_property else "none given"
            raise InvalidWardFile(
                f"{label}: no borough code ({wanted}; set --borough-code or --borough-code-property).",
                field="borough_code",
            )
        b_code = _cut(b_code, CODE_MAX, "borough code", label, notes)
        b_name = given_name or (_text(props.get(borough_name_property)) if borough_name_property else "") or b_code
        b_name = _cut(b_name, NAME_MAX, "borough name", label, notes)

        geom = _shape(feature.get("geometry"), label)
        geom = _to_lon_lat(geom, source, label)
        geom = _repair(geom, label, notes)
        if _has_clockwise_exterior(geom):
            clockwise += 1
        multi = _multipolygon(geom)
        if multi.is_empty or not multi.is_valid:
            raise InvalidWardFile(
                f"{label}: geometry is not a valid polygon after repair ({shapely.is_valid_reason(multi)}).",
                field="geometry",
            )
        out.append(WardFeature(code=code, name=ward_name, borough_code=b_code, borough_name=b_name, geometry=multi))
    if clockwise:
        noun = "feature" if clockwise == 1 else "features"
        notes.append(f"{clockwise} {noun} had clockwise exterior rings; normalised to counter-clockwise (RFC 7946).")
    if source.transform is not None:
        notes.append(f"all {len(out)} features reprojected from {source.label} to {WGS84} (longitude/latitude).")
    return ParsedWards(
        features=out,
        source_crs=source.label,
        reprojected=source.transform is not None,
        notes=notes,
        attribution=(attribution.strip() or None) if isinstance(attribution, str) else None,
    )


__all__ = [
    "ParsedWards",
    "WardFeature",
    "detect_properties",
    "parse_wards",
    "read_feature_collection",
]
