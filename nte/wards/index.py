"""Assign points to wards in memory, fast and exactly as the database would: every point-to-ward
assignment in NTE Safe (a report at intake, a bulk import, a venue's pin, a new vintage) goes
through it, so there is one rule for a point on a shared edge.

Built from a list of wards (one set, or the current set of each borough) and cached by
``nte.wards.service`` per set and version. A regular lattice over the service
area classifies each cell as inside one ward (no point test needed), outside every ward, or
mixed; only points in mixed cells get an exact vectorised ``shapely.intersects_xy`` test against
the wards whose bounding box holds them. A point on a shared edge goes to the lowest ward code,
like ``nte.wards.repository.ward_at_point_sql`` (ST_Intersects ... ORDER BY code)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

OUTSIDE = -1
MIXED = -2
CELL_DEGREES = 0.0005  # ~35 m east-west, ~55 m north-south in London


@dataclass
class WardIndex:
    codes: list[str]  # sorted: index order is code order
    names: list[str]
    borough_codes: list[str]
    ids: list[int]  # ward row ids (0 when built from bare polygons)
    polygons: list[BaseGeometry]
    bounds: np.ndarray  # (n, 4)
    origin: tuple[float, float]
    cell: float
    grid: np.ndarray  # (rows, cols) int32: ward index, OUTSIDE or MIXED

    @classmethod
    def build(
        cls,
        wards: list[tuple[str, str, str, BaseGeometry]],
        *,
        cell: float = CELL_DEGREES,
        ids: list[int] | None = None,
    ) -> WardIndex:
        """``wards``: (code, name, borough_code, WGS84 polygon); ``ids``: their row ids, same order."""
        order = sorted(range(len(wards)), key=lambda i: wards[i][0])
        row_ids = [ids[i] if ids is not None else 0 for i in order]
        wards = [wards[i] for i in order]
        polygons = [w[3] for w in wards]
        for p in polygons:
            shapely.prepare(p)
        bounds = shapely.bounds(np.array(polygons, dtype=object)) if polygons else np.zeros((0, 4))
        if not polygons:
            return cls([], [], [], [], [], bounds, (0.0, 0.0), cell, np.full((0, 0), OUTSIDE, dtype=np.int32))
        minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
        maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
        cols = int(np.ceil((maxx - minx) / cell)) + 1
        rows = int(np.ceil((maxy - miny) / cell)) + 1
        jj, ii = np.meshgrid(np.arange(cols), np.arange(rows))
        x0 = minx + jj.ravel() * cell
        y0 = miny + ii.ravel() * cell
        boxes = shapely.box(x0, y0, x0 + cell, y0 + cell)
        tree = shapely.STRtree(boxes)
        grid = np.full(rows * cols, OUTSIDE, dtype=np.int32)
        # Any cell touching a ward is mixed until shown to lie strictly inside exactly one ward.
        touching = tree.query(np.array(polygons, dtype=object), predicate="intersects")
        grid[touching[1]] = MIXED
        inside = tree.query(np.array(polygons, dtype=object), predicate="contains_properly")
        grid[inside[1]] = inside[0].astype(np.int32)
        return cls(
            [w[0] for w in wards],
            [w[1] for w in wards],
            [w[2] for w in wards],
            row_ids,
            polygons,
            bounds,
            (float(minx), float(miny)),
            cell,
            grid.reshape(rows, cols),
        )

    def assign(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Ward index per point (into ``codes``), or OUTSIDE. Non-finite coordinates are OUTSIDE."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        out = np.full(lon.shape, OUTSIDE, dtype=np.int32)
        if not self.codes or lon.size == 0:
            return out
        rows, cols = self.grid.shape
        with np.errstate(invalid="ignore"):
            fx = np.floor((lon - self.origin[0]) / self.cell)
            fy = np.floor((lat - self.origin[1]) / self.cell)
        ok = np.isfinite(fx) & np.isfinite(fy) & (fx >= 0) & (fy >= 0) & (fx < cols) & (fy < rows)
        idx = np.flatnonzero(ok)
        labels = self.grid[fy[idx].astype(np.intp), fx[idx].astype(np.intp)]
        out[idx] = np.where(labels >= 0, labels, OUTSIDE)
        mixed = idx[labels == MIXED]
        if mixed.size:
            mx, my = lon[mixed], lat[mixed]
            result = np.full(mixed.size, OUTSIDE, dtype=np.int32)
            for k, (b, poly) in enumerate(zip(self.bounds, self.polygons, strict=True)):  # code order
                cand = np.flatnonzero((result == OUTSIDE) & (mx >= b[0]) & (mx <= b[2]) & (my >= b[1]) & (my <= b[3]))
                if cand.size:
                    hit = shapely.intersects_xy(poly, mx[cand], my[cand])
                    result[cand[hit]] = k
            out[mixed] = result
        return out

    def locate(self, lon: float, lat: float) -> int:
        """Ward index of one point, or OUTSIDE."""
        return int(self.assign(np.array([lon]), np.array([lat]))[0])
