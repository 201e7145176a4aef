"""Regular square grids in British National Grid (EPSG:27700, metres) over a service area.

Pure numpy/shapely/pyproj: no database, no web. Cells sit on a fixed lattice anchored at the
EPSG:27700 origin, so cell ``(ix, iy)`` always covers ``[ix*c, (ix+1)*c) x [iy*c, (iy+1)*c)``
whatever the area: the same cell keeps the same key across runs and periods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from nte.spatial.coords import COORD_DECIMALS

WGS84 = 4326
BNG = 27700

#: Smallest default cell size (metres); explicit cell sizes may be smaller.
MIN_DEFAULT_CELL_SIZE = 50.0
#: ArcGIS Optimized Hot Spot Analysis needs at least 30 incidents to size a fishnet inside a boundary.
MIN_POINTS_FOR_DEFAULT_CELL_SIZE = 30


class HotspotError(ValueError):
    """Base of the hotspot domain errors (bad input for the statistics, not a bug)."""


class TooFewPoints(HotspotError):
    """Too few distinct point locations to derive a default cell size."""


@lru_cache(maxsize=4)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def to_bng(geom_wgs84: BaseGeometry) -> BaseGeometry:
    """Project a WGS84 lon/lat shapely geometry to EPSG:27700 metres."""
    transformer = _transformer(WGS84, BNG)

    def apply(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom_wgs84, apply)


def points_to_bng(lons: ArrayLike, lats: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project WGS84 longitude/latitude arrays to EPSG:27700 eastings/northings (metres)."""
    x, y = _transformer(WGS84, BNG).transform(np.asarray(lons, float), np.asarray(lats, float))
    return np.asarray(x, float), np.asarray(y, float)


@dataclass(frozen=True)
class Grid:
    """Cells of a square lattice that meet a service area.

    ``mask[r, c]`` is True for cell ``(ix0 + c, iy0 + r)``: rows go north, columns go east.
    """

    cell_size: float
    ix0: int
    iy0: int
    mask: NDArray[np.bool_]

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.mask.shape[0]), int(self.mask.shape[1]))

    @property
    def n_cells(self) -> int:
        return int(self.mask.sum())

    def cell_indices(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Lattice indices ``(ix, iy)`` of the cells in the area, in row-major (mask) order."""
        rows, cols = np.nonzero(self.mask)
        return cols.astype(np.int64) + self.ix0, rows.astype(np.int64) + self.iy0

    def centres(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """EPSG:27700 centres of the cells in the area, in row-major (mask) order."""
        ix, iy = self.cell_indices()
        return (ix + 0.5).astype(np.float64) * self.cell_size, (iy + 0.5).astype(np.float64) * self.cell_size

    def count(self, xs: ArrayLike, ys: ArrayLike) -> NDArray[np.int64]:
        """Count EPSG:27700 points per cell as a 2-D array shaped like ``mask``.

        Points in no cell of the area (outside the bounding grid or in a masked-out cell) are
        ignored. A point on a cell edge belongs to the cell east/north of it.
        """
        x = np.asarray(xs, float).ravel()
        y = np.asarray(ys, float).ravel()
        if x.shape != y.shape:
            raise ValueError("xs and ys must have the same length")
        nrows, ncols = self.shape
        finite = np.isfinite(x) & np.isfinite(y)
        col = np.floor(x[finite] / self.cell_size).astype(np.int64) - self.ix0
        row = np.floor(y[finite] / self.cell_size).astype(np.int64) - self.iy0
        inside = (col >= 0) & (col < ncols) & (row >= 0) & (row < nrows)
        flat = row[inside] * ncols + col[inside]
        counts = np.bincount(flat, minlength=nrows * ncols).reshape(nrows, ncols)
        counts[~self.mask] = 0
        return counts.astype(np.int64)


def build_grid(area: BaseGeometry, *, cell_size: float) -> Grid:
    """Lattice cells whose square shares interior with ``area`` (EPSG:27700), zero-count cells included.

    A cell belongs when it intersects the area and does not merely touch its boundary. Vectorised:
    cells whose centre lies inside belong; the only other candidates are the cells within one cell
    of the area's boundary (densified to vertices at most one cell apart), tested exactly.
    """
    if not cell_size > 0 or not math.isfinite(cell_size):
        raise ValueError(f"cell_size must be a positive number of metres, got {cell_size!r}")
    if area.is_empty or area.area <= 0:
        raise ValueError("service area has no area")
    minx, miny, maxx, maxy = area.bounds
    ix0, iy0 = math.floor(minx / cell_size), math.floor(miny / cell_size)
    ncols = math.floor(maxx / cell_size) - ix0 + 1
    nrows = math.floor(maxy / cell_size) - iy0 + 1

    shapely.prepare(area)
    cx = (np.arange(ncols) + ix0 + 0.5) * cell_size
    cy = (np.arange(nrows) + iy0 + 0.5) * cell_size
    mask = shapely.contains_xy(area, cx[np.newaxis, :], cy[:, np.newaxis])

    # Every cell the boundary passes through is in the 3x3 block around the cell of a vertex
    # of the boundary densified to segments no longer than one cell.
    vertices = shapely.get_coordinates(shapely.segmentize(area.boundary, cell_size))
    col = np.floor(vertices[:, 0] / cell_size).astype(np.int64) - ix0
    row = np.floor(vertices[:, 1] / cell_size).astype(np.int64) - iy0
    near = np.zeros((nrows, ncols), bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            r, c = row + dr, col + dc
            ok = (r >= 0) & (r < nrows) & (c >= 0) & (c < ncols)
            near[r[ok], c[ok]] = True
    rows, cols = np.nonzero(near & ~mask)
    x0 = (cols + ix0) * cell_size
    y0 = (rows + iy0) * cell_size
    boxes = shapely.box(x0, y0, x0 + cell_size, y0 + cell_size)
    shares_interior = shapely.intersects(area, boxes) & ~shapely.touches(area, boxes)
    mask[rows[shares_interior], cols[shares_interior]] = True
    return Grid(cell_size=float(cell_size), ix0=ix0, iy0=iy0, mask=mask)


def default_cell_size(xs: ArrayLike, ys: ArrayLike, *, minimum: float = MIN_DEFAULT_CELL_SIZE) -> float:
    """Fishnet cell size from the spacing of the points (the ArcGIS Optimized Hot Spot Analysis rule).

    1. Keep distinct point locations (police.uk points are snapped, so many coincide).
    2. Distance from each location to its nearest other location; drop locational outliers,
       i.e. distances above mean + 3 standard deviations.
    3. ``d = max(mean, median)`` of those distances and ``scale = max(2, max/min of mean, median)``.
    4. Cell size = ``d * scale``, rounded up to a whole metre, at least ``minimum`` metres.

    Deterministic: the same points give the same size. Raises ``TooFewPoints`` below 30 distinct
    locations (ArcGIS's minimum number of incidents for a fishnet inside a boundary).
    """
    xy = np.column_stack([np.asarray(xs, float).ravel(), np.asarray(ys, float).ravel()])
    xy = np.unique(xy[np.isfinite(xy).all(axis=1)], axis=0)
    if len(xy) < MIN_POINTS_FOR_DEFAULT_CELL_SIZE:
        raise TooFewPoints(
            f"{len(xy)} distinct point locations; at least {MIN_POINTS_FOR_DEFAULT_CELL_SIZE} are needed "
            "to choose a cell size (pass cell_size explicitly)"
        )
    nn = cKDTree(xy).query(xy, k=2)[0][:, 1]
    nn = nn[nn <= nn.mean() + 3 * nn.std()]
    mean, median = float(nn.mean()), float(np.median(nn))
    larger, smaller = max(mean, median), min(mean, median)
    scale = max(2.0, larger / smaller) if smaller > 0 else 2.0
    return max(float(minimum), float(math.ceil(larger * scale)))


def cells_geojson(
    ix: ArrayLike,
    iy: ArrayLike,
    *,
    cell_size: float,
    properties: dict[str, ArrayLike],
    precision: int = COORD_DECIMALS,
) -> dict[str, Any]:
    """Square cells as an RFC 7946 FeatureCollection in WGS84 (lon, lat; exterior rings anticlockwise).

    ``properties`` maps a name to one value per cell; numpy scalars become plain JSON numbers
    (NaN becomes null). Six decimals of a degree is about 0.1 m.
    """
    ix_a = np.asarray(ix, np.int64)
    iy_a = np.asarray(iy, np.int64)
    x0 = ix_a * cell_size
    y0 = iy_a * cell_size
    # Corners in ring order SW, SE, NE, NW: anticlockwise in both EPSG:27700 and lon/lat.
    cx = np.stack([x0, x0 + cell_size, x0 + cell_size, x0], axis=1)
    cy = np.stack([y0, y0, y0 + cell_size, y0 + cell_size], axis=1)
    lon, lat = _transformer(BNG, WGS84).transform(cx.ravel(), cy.ravel())
    lon_rows = np.round(np.asarray(lon).reshape(-1, 4), precision).tolist()
    lat_rows = np.round(np.asarray(lat).reshape(-1, 4), precision).tolist()

    columns = {name: np.asarray(values) for name, values in properties.items()}
    for name, values in columns.items():
        if values.shape != ix_a.shape:
            raise ValueError(f"property {name!r} has {values.shape} values for {ix_a.shape} cells")
    plain = {name: values.tolist() for name, values in columns.items()}

    features = []
    for k in range(len(ix_a)):
        ring = [[lon_rows[k][j], lat_rows[k][j]] for j in (0, 1, 2, 3, 0)]
        props = {name: _json_number(values[k]) for name, values in plain.items()}
        features.append(
            {
                "type": "Feature",
                "id": f"{int(ix_a[k])}_{int(iy_a[k])}",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
