"""Gi* hotspot grid cells for officers: the officer map's hotspot analysis for a filter, one square
cell (EPSG:27700 grid, served in WGS84 or back in EPSG:27700) per feature.

The filter is the officer map's, with its parameter names and its defaults (from, to, category,
day, hours, source, status, borough, vintage, cell_size): the same filter gives the same cells and
bins as ``/api/maps/hotspots.geojson``. Each answer is computed once per filter and report data
version and kept in a small per-process cache; CQL2 then filters the published cell properties
(``bin >= 2``)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from hashlib import sha256
from typing import Any

import orjson
from shapely.geometry import shape
from sqlalchemy.orm import Session

from nte.auth.deps import OfficerApi
from nte.maps import coverage
from nte.maps import statistics as stats_service
from nte.maps.exceptions import HotspotsUnavailable, InvalidMapFilter
from nte.maps.filters import FILTER_PARAMS, POLICE_ATTRIBUTION, MapFilter
from nte.maps.params import parse_officer_filter
from nte.ogc.collections.base import ComputedCollection, Context, Feature, Param, Queryable, Version
from nte.ogc.exceptions import InvalidParameter
from nte.reports import service as report_service
from nte.wards import service as ward_service

#: Confidence of a cell's bin in words (the sign says hot or cold).
CONFIDENCE = {0: "not significant", 1: "90%", 2: "95%", 3: "99%"}
#: Computed answers kept per process (each a whole grid).
CACHE_SIZE = 16


def _params() -> tuple[Param, ...]:
    return (
        Param("from", "First day (London), YYYY-MM-DD; none: the latest 12 months with data (as the officer map)."),
        Param("to", "Last day (London), YYYY-MM-DD, inclusive."),
        Param("category", "Comma-separated report categories (any of)."),
        Param("day", "Days of the week: 1-7 (Monday-Sunday) or mon..sun, comma-separated."),
        Param("hours", "London hour bands, e.g. 18-06 (crosses midnight), comma-separated."),
        Param("source", "public, import, police (comma-separated; none: all)."),
        Param("status", "new, accepted, duplicate (comma-separated; default new and accepted; spam never counts)."),
        Param("borough", "Borough (ONS LAD) code: the grid covers that borough only."),
        Param("vintage", "Ward boundary vintage of the area, e.g. 2013-12; default: each borough's current wards."),
        Param("cell_size", "Grid cell size in metres (50-5000); default: chosen from the data."),
    )


class HotspotCellsCollection(ComputedCollection):
    id = "hotspot-cells"
    title = "Hotspot cells (officers)"
    description = (
        "Getis-Ord Gi* hot and cold spots of the reports officers count, on a square grid (EPSG:27700) over the "
        "service area or one borough: each cell's count, z score, p value, bin (-3 cold spot 99% ... 0 not "
        "significant ... 3 hot spot 99%, Benjamini-Hochberg FDR) and label. Takes the officer map's filter "
        "(from, to, category, day, hours, source, status, borough, vintage, cell_size; the same defaults). "
        "A selection too small for Gi* (fewer than 30 distinct places, or every cell alike) has no cells; the "
        "officer map says why. Filter the cells with CQL2, e.g. bin >= 2."
    )
    access = OfficerApi
    geometry_type = "Polygon"
    key_type = "string"
    site_path = "/officer/map"
    attribution = POLICE_ATTRIBUTION
    params = _params()
    queryables = (
        Queryable("bin", "integer", "Confidence bin (-3..3)", "Negative: cold spot; positive: hot spot; 0: neither."),
        Queryable("z", "number", "Gi* z score"),
        Queryable("count", "integer", "Reports in the cell"),
        Queryable("p", "number", "Two-sided p value"),
        Queryable("p_fdr", "number", "p value adjusted for the false discovery rate (Benjamini-Hochberg)"),
    )

    def __init__(self) -> None:
        self._cache: OrderedDict[str, list[Feature]] = OrderedDict()
        self._lock = threading.Lock()

    def parse_key(self, text: str) -> int | str | None:
        return text if len(text) <= 40 else None

    def _filter(self, session: Session, ctx: Context) -> tuple[MapFilter, float | None]:
        """The officer map's filter from this request's parameters, with its default period."""
        extra = ctx.extra
        try:
            flt = parse_officer_filter(
                session,
                now=ctx.now,
                sent=[name for name in extra if name in FILTER_PARAMS],
                also_allowed=(),
                date_from=extra.get("from"),
                date_to=extra.get("to"),
                category=extra.get("category"),
                day=extra.get("day"),
                hours=extra.get("hours"),
                source=extra.get("source"),
                status=extra.get("status"),
                borough=extra.get("borough"),
                vintage=extra.get("vintage"),
            )
            cell_size = stats_service.validate_cell_size(extra.get("cell_size"))
        except InvalidMapFilter as exc:  # every field's message is the map's; the first one is named
            raise InvalidParameter(f"{exc.field}: {exc.detail}", field=exc.field) from None
        if not extra.get("from") and not extra.get("to"):  # the latest period with data, as the officer map
            flt, _covered = coverage.with_default_period(session, flt, settings=ctx.settings, now=ctx.now)
        return flt, cell_size

    def version(self, session: Session, ctx: Context) -> Version:
        flt, cell_size = self._filter(session, ctx)
        return _version(session, ctx, flt, cell_size)

    def features(self, session: Session, ctx: Context) -> list[Feature]:
        flt, cell_size = self._filter(session, ctx)
        tag = _version(session, ctx, flt, cell_size).tag
        with self._lock:
            if tag in self._cache:
                self._cache.move_to_end(tag)
                return self._cache[tag]
        try:
            result = stats_service.hotspots(session, flt=flt, settings=ctx.settings, cell_size=cell_size)
        except HotspotsUnavailable:
            # Too few places for Gi* (or no variation): no cells. A layer, not an error, so a GIS client
            # listing the officer's layers still opens; the maps API and the officer map say why.
            found: list[Feature] = []
        else:
            cells = stats_service.hotspot_geojson(result)
            found = sorted((_feature(cell, result.cell_size) for cell in cells["features"]), key=lambda f: str(f.id))
        with self._lock:
            self._cache[tag] = found
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return found


def _feature(cell: Mapping[str, Any], cell_size: float) -> Feature:
    props = cell["properties"]
    b = int(props["bin"])
    return Feature(
        id=str(cell["id"]),
        geometry=shape(cell["geometry"]),
        properties={
            "count": props["count"],
            "z": props["z"],
            "p": props["p"],
            "p_fdr": props["p_fdr"],
            "bin": b,
            "confidence": CONFIDENCE[abs(b)],
            "label": props["label"],
            "cell_size_m": cell_size,
        },
    )


def _version(session: Session, ctx: Context, flt: MapFilter, cell_size: float | None) -> Version:
    """The report data version, the filter as resolved (its period too), the cell size and the ward
    boundaries the grid's area comes from."""
    reports = report_service.data_version(session)
    boundaries = [ward_service.stamp(s) for s in ward_service.vintages(session)]
    raw = orjson.dumps(
        [reports.tag, flt.to_params(), cell_size, boundaries, sorted(ctx.settings.boroughs)],
        option=orjson.OPT_SORT_KEYS,
    )
    return Version(f"hotspot-cells:{sha256(raw).hexdigest()[:32]}", reports.modified)
