"""Ward statistics and hotspot maps for officers: counts by each report's ward in the chosen
boundaries (each borough's current vintage, or one vintage for all: ``MapFilter.vintage``), rates,
shares, ranks, change against the previous equal period, monthly trends, Gi* hotspots, and the
exports (CSV, GeoJSON). Public views are in ``nte.maps.public``; Folium in ``nte.maps.render``."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.exports import csv_text, neutralise
from nte.maps import repository as repo
from nte.maps.exceptions import HotspotsUnavailable, InvalidMapFilter
from nte.maps.filters import POLICE_ATTRIBUTION, SOURCE_GROUPS, MapFilter
from nte.maps.grid import HotspotError, default_cell_size
from nte.maps.hotspots import HotspotResult, IslandCells, compute_hotspots
from nte.reports import service as report_service
from nte.spatial.coords import COORD_DECIMALS
from nte.wards import service as ward_service
from nte.wards.models import Ward
from nte.wards.service import Placement

#: ColorBrewer YlOrRd, 5 classes (colour-blind safe, prints in grey).
CLASS_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA_COLOUR = "#f2f2f2"
#: ArcGIS hot spot palette, bins -3..3.
BIN_COLOURS = {-3: "#4575b5", -2: "#849eba", -1: "#c0ccbe", 0: "#ffffbf", 1: "#fab984", 2: "#ed7551", 3: "#d62f27"}
BIN_LABELS = {
    -3: "Cold spot, 99% confidence",
    -2: "Cold spot, 95% confidence",
    -1: "Cold spot, 90% confidence",
    0: "Not significant",
    1: "Hot spot, 90% confidence",
    2: "Hot spot, 95% confidence",
    3: "Hot spot, 99% confidence",
}
MIN_CELL_SIZE = 50.0
MAX_CELL_SIZE = 5000.0


@dataclass
class WardRow:
    code: str
    name: str
    borough_code: str
    borough_name: str
    area_km2: float
    count: int = 0
    rate_per_km2: float = 0.0
    share_pct: float = 0.0
    rank: int = 0
    previous: int = 0
    change: int = 0
    change_pct: float | None = None
    colour: str = NO_DATA_COLOUR
    klass: int = 0
    trend: list[int] = field(default_factory=list)
    #: What ``count`` counts, in words ("public reports and police-recorded crime").
    source: str = ""
    #: The count of each source counted (``SOURCE_GROUPS`` key), kept apart.
    by_source: dict[str, int] = field(default_factory=dict)

    def properties(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "counts_by_source": dict(self.by_source),
            "code": self.code,
            "name": self.name,
            "borough_code": self.borough_code,
            "borough_name": self.borough_name,
            "area_km2": round(self.area_km2, 4),
            "count": self.count,
            "rate_per_km2": self.rate_per_km2,
            "share_of_borough_pct": self.share_pct,
            "rank_in_borough": self.rank,
            "previous_count": self.previous,
            "change": self.change,
            "change_pct": self.change_pct,
            "class": self.klass,
            "fill": self.colour,
        }


@dataclass
class WardStatistics:
    filter: MapFilter
    placement: Placement
    rows: list[WardRow]
    months: list[str]
    borough_totals: dict[str, int]
    previous_total: int
    breaks: list[float]
    legend: list[tuple[str, str]]
    notes: list[str]
    #: What the figures count and, with police records, police.uk's attribution: first in every export's notes.
    source_notes: list[str] = field(default_factory=list)

    @property
    def all_notes(self) -> list[str]:
        return self.source_notes + self.notes

    @property
    def total(self) -> int:
        return sum(self.borough_totals.values())

    @property
    def source_totals(self) -> dict[str, int]:
        """The total of each source counted, kept apart."""
        return {g: sum(r.by_source.get(g, 0) for r in self.rows) for g in self.filter.source_groups()}

    def row(self, code: str) -> WardRow | None:
        return next((r for r in self.rows if r.code == code), None)


def placement_for(session: Session, flt: MapFilter, settings: Settings) -> Placement:
    """Which ward set each of the filter's boroughs is counted in."""
    return ward_service.placement(session, settings=settings, vintage=flt.vintage, borough=flt.borough)


def source_note(flt: MapFilter) -> str:
    """Which of the two sources the figures count, said in the notes of every view and export."""
    words = flt.source_words()
    text = f"Source: {words[0].upper() + words[1:]}."
    if len(flt.source_groups()) > 1:
        text += " The two sources are counted together in each figure; their counts are kept apart by source."
    return text


def source_notes(flt: MapFilter) -> list[str]:
    """``source_note``, and police.uk's attribution when police records are counted."""
    return [source_note(flt)] + ([POLICE_ATTRIBUTION] if flt.includes_police else [])


def competition_ranks(values: Sequence[float]) -> list[int]:
    """1 for the largest; ties share the better rank (1, 2, 2, 4)."""
    return [1 + sum(1 for other in values if other > v) for v in values]


def quantile_breaks(values: Sequence[float], classes: int = len(CLASS_COLOURS)) -> list[float]:
    """Upper class bounds (exclusive) from quantiles of the values, distinct and increasing."""
    positive = [v for v in values if v > 0]
    if not positive:
        return []
    qs = np.quantile(np.asarray(positive), [i / classes for i in range(1, classes)])
    return sorted({round(float(q), 1) for q in qs if q > 0})


def classify(value: float, breaks: Sequence[float]) -> int:
    return sum(1 for b in breaks if value >= b)


def legend_for(breaks: Sequence[float], unit: str = "reports per km²") -> list[tuple[str, str]]:
    if not breaks:
        return [(CLASS_COLOURS[0], f"0 {unit}")]
    labels = [f"under {breaks[0]:g}"]
    labels += [f"{lo:g} to under {hi:g}" for lo, hi in zip(breaks, breaks[1:], strict=False)]
    labels.append(f"{breaks[-1]:g} or more")
    return [(CLASS_COLOURS[i], f"{label} {unit}") for i, label in enumerate(labels)]


def ward_statistics(session: Session, *, flt: MapFilter, settings: Settings) -> WardStatistics:
    """Every served ward (of the borough, if chosen) in the filter's boundaries, with its figures."""
    where = placement_for(session, flt, settings)
    wards = ward_service.wards_of(session, where)
    months = flt.months()
    by_month = repo.count_by_ward_month(session, flt=flt, placement=where.by_set)  # counts and trends, one scan
    monthly = {(code, months[i]): n for (code, i), n in by_month.items()}
    counts: dict[str, int] = {}
    for (code, _month), n in monthly.items():
        counts[code] = counts.get(code, 0) + n
    previous = repo.count_by_ward(session, flt=flt.previous(), placement=where.by_set)

    by_source = repo.count_by_ward_source(session, flt=flt, placement=where.by_set)
    group_of = {member: g for g, members in SOURCE_GROUPS.items() for member in members}

    known = {w.code for w in wards}
    notes: list[str] = [f"Wards: {where.label}."]
    if where.missing:
        notes.append(f"No wards of these boundaries for {', '.join(where.missing)}: left out.")
    if flt.uses_time_of_day:
        excluded = repo.count_month_precision(session, flt=flt.without_time_of_day(), placement=where.by_set)
        if excluded:
            notes.append(
                f"{excluded} records known only to the month (e.g. imported police data) are left out "
                "because a day or hour filter is set."
            )
    unplaced = repo.count_unplaced(session, flt=flt, placement=where.by_set)
    if unplaced:
        notes.append(
            f"{unplaced} reports of these boroughs fall outside these ward boundaries (or are not assigned "
            "to them yet: python main.py wards assign) and are not counted."
        )

    rows = [
        WardRow(code=w.code, name=w.name, borough_code=w.borough_code, borough_name=w.borough_name, area_km2=w.area_km2)
        for w in wards
    ]
    totals: dict[str, int] = {}
    for row in rows:
        row.count = counts.get(row.code, 0)
        row.previous = previous.get(row.code, 0)
        row.change = row.count - row.previous
        row.change_pct = round(100.0 * row.change / row.previous, 1) if row.previous else None
        row.rate_per_km2 = round(row.count / row.area_km2, 2) if row.area_km2 > 0 else 0.0
        row.trend = [monthly.get((row.code, m), 0) for m in months]
        row.source = flt.source_words()
        row.by_source = dict.fromkeys(flt.source_groups(), 0)
        for (code, src), n in by_source.items():
            if code == row.code:
                row.by_source[group_of[src]] = row.by_source.get(group_of[src], 0) + n
        totals[row.borough_code] = totals.get(row.borough_code, 0) + row.count
    for borough, total in totals.items():
        in_borough = [r for r in rows if r.borough_code == borough]
        for r, rank in zip(in_borough, competition_ranks([r.count for r in in_borough]), strict=True):
            r.rank = rank
            r.share_pct = round(100.0 * r.count / total, 1) if total else 0.0
    breaks = quantile_breaks([r.rate_per_km2 for r in rows])
    for r in rows:
        r.klass = classify(r.rate_per_km2, breaks)
        r.colour = CLASS_COLOURS[r.klass] if r.count else NO_DATA_COLOUR
    return WardStatistics(
        filter=flt,
        placement=where,
        rows=rows,
        months=months,
        borough_totals=totals,
        previous_total=sum(previous.get(c, 0) for c in known),
        breaks=breaks,
        legend=legend_for(breaks),
        notes=notes,
        source_notes=source_notes(flt),
    )


# --- hotspots ---------------------------------------------------------------------------------------


def area_bng(
    session: Session, *, settings: Settings, borough: str | None = None, vintage: str | None = None
) -> BaseGeometry:
    """The service area (or one served borough) in EPSG:27700, in the chosen boundaries."""
    where = ward_service.placement(session, settings=settings, vintage=vintage, borough=borough)
    return ward_service.placement_area(session, where, bng=True)


def validate_cell_size(value: float | str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        size = float(value)
    except (TypeError, ValueError):
        raise InvalidMapFilter("'cell_size' must be a number of metres.", field="cell_size") from None
    if not math.isfinite(size) or not MIN_CELL_SIZE <= size <= MAX_CELL_SIZE:
        raise InvalidMapFilter(
            f"'cell_size' must be between {MIN_CELL_SIZE:g} and {MAX_CELL_SIZE:g} metres.", field="cell_size"
        )
    return size


def hotspots(
    session: Session,
    *,
    flt: MapFilter,
    settings: Settings,
    cell_size: float | None = None,
    area: BaseGeometry | None = None,
) -> HotspotResult:
    """Gi* on a grid over the area (default: the filter's borough or the whole service area)."""
    arr = repo.locations_bng(session, flt=flt, placement=placement_for(session, flt, settings).by_set)
    locations = arr.shape[0] > 0
    if locations:
        reps = arr[:, 2].astype(np.int64)
        xs, ys = np.repeat(arr[:, 0], reps), np.repeat(arr[:, 1], reps)
    else:
        xs = ys = np.empty(0)
    area = area if area is not None else area_bng(session, settings=settings, borough=flt.borough, vintage=flt.vintage)
    try:
        if cell_size is None and locations:
            # The default size depends only on the distinct locations inside the area: size it from the
            # (far fewer) distinct rows rather than from every repeated point (same result, less work).
            inside = shapely.contains_xy(area, arr[:, 0], arr[:, 1])
            cell_size = default_cell_size(arr[inside, 0], arr[inside, 1])
        return compute_hotspots(xs, ys, area, cell_size=cell_size)
    except IslandCells as exc:
        raise HotspotsUnavailable(str(exc), field="cell_size") from exc
    except HotspotError as exc:
        raise HotspotsUnavailable(f"No hotspot analysis for this selection: {exc}.", field="filters") from exc


def hotspot_summary(result: HotspotResult) -> dict[str, Any]:
    return {
        "cell_size_m": result.cell_size,
        "band_m": round(result.band, 1),
        "band_rule": result.band_rule,
        "cells": result.n_cells,
        "hot_cells": int((result.bin > 0).sum()),
        "cold_cells": int((result.bin < 0).sum()),
    }


def hotspot_geojson(
    result: HotspotResult, *, significant_only: bool = False, precision: int = COORD_DECIMALS
) -> dict[str, Any]:
    """RFC 7946 cells (WGS84) with count, z, p, p_fdr, bin, label and colour; metadata as foreign members."""
    keep = result.bin != 0 if significant_only else np.ones(result.n_cells, bool)
    from nte.maps.grid import cells_geojson

    bins = result.bin[keep]
    collection = cells_geojson(
        result.ix[keep],
        result.iy[keep],
        cell_size=result.cell_size,
        precision=precision,
        properties={
            "count": result.count[keep],
            "z": np.round(result.z[keep], 4),
            "p": result.p[keep],
            "p_fdr": result.p_fdr[keep],
            "bin": bins.astype(np.int64),
            "label": np.asarray([BIN_LABELS[int(b)] for b in bins], dtype=object),
            "fill": np.asarray([BIN_COLOURS[int(b)] for b in bins], dtype=object),
        },
    )
    collection["hotspot_analysis"] = hotspot_summary(result) | {
        "method": "Getis-Ord Gi*, binary distance-band weights with self-weight, two-sided p, "
        "Benjamini-Hochberg FDR 10/5/1%",
        "crs_of_grid": "EPSG:27700",
    }
    return collection


# --- the officer map bundle (cached per filter, invalidated by the data version) ------------------


def ward_geometry(session: Session, ward: Ward) -> dict[str, Any]:
    return ward_service.ward_geometry(session, ward)


def stats_geojson(session: Session, stats: WardStatistics, *, settings: Settings) -> dict[str, Any]:
    wards = {w.code: w for w in ward_service.wards_of(session, stats.placement)}
    features = [
        {
            "type": "Feature",
            "id": r.code,
            "geometry": ward_geometry(session, wards[r.code]),
            "properties": r.properties() | {"trend": dict(zip(stats.months, r.trend, strict=True))},
        }
        for r in stats.rows
        if r.code in wards
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "filter": stats.filter.to_params(),
        "description": stats.filter.describe(),
        "vintage": stats.placement.vintage or ward_service.CURRENT,
        "ward_set": stats.placement.label,
        "attribution": stats.placement.attribution,
        "source": stats.filter.source_words(),
        "source_totals": stats.source_totals,
        "source_attribution": POLICE_ATTRIBUTION if stats.filter.includes_police else None,
        "notes": stats.all_notes,
    }


def build_officer_map(
    session: Session,
    *,
    flt: MapFilter,
    settings: Settings,
    cell_size: float | None = None,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Everything the officer map shows, as plain data (the page's JS and the Folium renderer read it).
    ``on_step`` is told when each stage starts (for a progress bar)."""
    step = on_step or (lambda _name: None)
    step("Counting reports by ward")
    stats = ward_statistics(session, flt=flt, settings=settings)
    bundle: dict[str, Any] = {
        "filter": flt.to_params(),
        "description": flt.describe(),
        "vintage": stats.placement.vintage or ward_service.CURRENT,
        "ward_set": stats.placement.label,
        "wards": stats_geojson(session, stats, settings=settings),
        "legend": [{"colour": c, "label": label} for c, label in stats.legend],
        "bins": [{"bin": b, "colour": BIN_COLOURS[b], "label": BIN_LABELS[b]} for b in sorted(BIN_COLOURS) if b],
        "total": stats.total,
        "previous_total": stats.previous_total,
        "source": flt.source_words(),
        "source_totals": stats.source_totals,
        "source_attribution": POLICE_ATTRIBUTION if flt.includes_police else None,
        "notes": stats.all_notes,
    }
    step("Computing Gi* hotspots")
    try:
        result = hotspots(session, flt=flt, settings=settings, cell_size=cell_size)
    except HotspotsUnavailable as exc:
        bundle["hotspots"] = None
        bundle["hotspot_analysis"] = None
        bundle["notes"].append(exc.detail)
    else:
        bundle["hotspots"] = hotspot_geojson(result, significant_only=True, precision=5)
        bundle["hotspot_analysis"] = hotspot_summary(result)
    return bundle


def officer_map(
    session: Session, *, flt: MapFilter, settings: Settings, now: datetime, cell_size: float | None = None
) -> tuple[dict[str, Any], bool]:
    """The officer map bundle from the shared cache, rebuilt when reports changed. Returns (bundle, hit)."""
    version = report_service.data_version(session).tag
    where = placement_for(session, flt, settings)
    key = flt.cache_key("officer", cell_size, where.key, sorted(settings.boroughs))
    entry = repo.get_cache(session, key)
    if entry is not None and entry.data_version == version:
        return json.loads(entry.body), True
    bundle = build_officer_map(session, flt=flt, settings=settings, cell_size=cell_size)
    repo.put_cache(
        session,
        key=key,
        kind="officer",
        label=flt.describe()[:120],
        data_version=version,
        content_type="application/json",
        body=json.dumps(bundle, separators=(",", ":")).encode(),
        now=now,
    )
    return bundle, False


# --- exports ------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "ward_code",
    "ward_name",
    "borough_code",
    "borough_name",
    "count",
    "area_km2",
    "rate_per_km2",
    "share_of_borough_pct",
    "rank_in_borough",
    "previous_period_count",
    "change",
    "change_pct",
    "period_from",
    "period_to",
    "ward_vintage",
    "source",
    "public_reports_count",
    "police_recorded_crime_count",
    "source_notes",
)
#: The CSV's per-source columns, by ``SOURCE_GROUPS`` key.
CSV_SOURCE_COLUMNS = {"public": "public_reports_count", "police": "police_recorded_crime_count"}
neutralise_cell = neutralise  # spreadsheet-safe cells: nte.exports


def stats_csv(stats: WardStatistics) -> str:
    """One row per ward; ``ward_vintage`` says which boundaries (ward set vintage) the row is in,
    ``source`` what ``count`` counts, one column per source its count (empty: that source is not
    counted), and ``source_notes`` the notes on the source (police.uk's attribution with its data)."""
    notes = " ".join(stats.source_notes)
    rows = [
        (
            r.code,
            r.name,
            r.borough_code,
            r.borough_name,
            r.count,
            round(r.area_km2, 4),
            r.rate_per_km2,
            r.share_pct,
            r.rank,
            r.previous,
            r.change,
            r.change_pct,
            stats.filter.date_from.isoformat(),
            stats.filter.date_to.isoformat(),
            stats.placement.vintage_of(r.borough_code),
            r.source,
            *(r.by_source.get(g) for g in CSV_SOURCE_COLUMNS),
            notes,
        )
        for r in stats.rows
    ]
    return csv_text(CSV_COLUMNS, rows)


def ward_assignment_mismatches(
    session: Session, *, settings: Settings, limit: int = 100, vintage: str | None = None
) -> list[tuple[int, str, str | None]]:
    """Reports whose assigned ward (in the chosen boundaries) does not contain their exact point (should be none)."""
    where = ward_service.placement(session, settings=settings, vintage=vintage)
    return repo.reports_with_ward_mismatch(session, placement=where.by_set, limit=limit)
