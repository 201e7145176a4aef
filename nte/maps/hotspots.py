"""Getis-Ord Gi* hot and cold spots on a regular EPSG:27700 grid, as ArcGIS Optimized Hot Spot Analysis.

Pure numpy/scipy: no database, no web. The statistic is PySAL esda's
``G_Local(y, DistanceBand(xy, threshold=band, binary=True), transform="B", star=True)``:
binary weights for cells whose centres are within ``band`` metres (inclusive), self-weight 1, and

    z_i = (sum_j w_ij y_j - ybar W_i) / (s * sqrt(W_i (n - W_i) / (n - 1)))

with ``W_i = sum_j w_ij``, ``n`` cells, ``ybar`` and ``s`` the mean and population standard
deviation of the counts (esda's ``Var[G_i*] = W_i (n - W_i) / ((n - 1) n^2) * s^2 / ybar^2``
rearranged; for binary weights it is also the Ord-Getis/ArcGIS z). On the grid the neighbour sums
are a 2-D convolution with a disk kernel; cells outside the area are not features at all (they add
nothing to the sums, to ``W_i`` or to ``n``). For arbitrary points ``gi_star_z`` takes a sparse
weights matrix and gives the same z.

p-values are two-sided normal; Benjamini-Hochberg FDR (``scipy.stats.false_discovery_control``)
then gives bins +-3/+-2/+-1 at 99/95/90 % confidence, signed by z.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import signal, stats
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from nte.maps.grid import (
    Grid,
    HotspotError,
    TooFewPoints,
    build_grid,
    cells_geojson,
    default_cell_size,
    points_to_bng,
    to_bng,
)

__all__ = [
    "BandChoice",
    "HotspotError",
    "HotspotResult",
    "IslandCells",
    "MIN_CELLS",
    "NoVariation",
    "TooFewCells",
    "TooFewPoints",
    "choose_band",
    "compute_hotspots",
    "confidence_bins",
    "disk_kernel",
    "distance_band_weights",
    "gi_star_grid",
    "gi_star_z",
    "morans_i_grid",
    "neighbour_distances",
    "points_to_bng",
    "to_bng",
    "two_sided_p",
]

#: Gi* is unreliable on fewer features (ArcGIS refuses below 30).
MIN_CELLS = 30
#: (bin magnitude, FDR level), strictest first.
CONFIDENCE_LEVELS: tuple[tuple[int, float], ...] = ((3, 0.01), (2, 0.05), (1, 0.10))
#: Incremental spatial autocorrelation: number of distances and the z a peak must exceed.
MORAN_INCREMENTS = 10
MORAN_PEAK_MIN_Z = 1.65
#: Relative tolerance on "distance <= band", so a band equal to a grid distance includes it.
_BAND_RTOL = 1e-9


class TooFewCells(HotspotError):
    """The grid has fewer than ``MIN_CELLS`` cells: Gi* would not be meaningful."""


class NoVariation(HotspotError):
    """Every cell has the same count (e.g. no points at all): z is undefined."""


class IslandCells(HotspotError):
    """The distance band leaves some cell with no neighbour but itself."""


# --------------------------------------------------------------------------------------------
# Gi*


def _gi_star_z(
    sums: NDArray[np.float64], weight_sums: NDArray[np.float64], values: NDArray[np.float64]
) -> NDArray[np.float64]:
    """z from neighbour sums (self included) and weight sums; ``values`` are all n features."""
    n = values.size
    mean = float(values.mean())
    std = float(values.std())  # population standard deviation, as esda
    if not std > 0:
        raise NoVariation("all values are equal: Gi* z-scores are undefined")
    numerator = sums - mean * weight_sums
    denominator = std * np.sqrt(weight_sums * (n - weight_sums) / (n - 1))
    # W_i == n (the band covers every feature) gives 0/0: no information, reported as z = 0.
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def gi_star_z(
    values: ArrayLike,
    weights: sp.sparray | sp.spmatrix | Sequence[Sequence[int]] | Mapping[int, Sequence[int]],
) -> NDArray[np.float64]:
    """Gi* z-scores for arbitrary features with binary weights and self-weight 1.

    ``weights`` is an n x n sparse matrix whose non-zeros mark neighbours (values and diagonal
    are ignored: weights are made binary and the diagonal set to 1), or neighbour index lists
    (``neighbours[i]`` = indices of i's neighbours, as libpysal's ``W.neighbors``).
    Equals ``esda.G_Local(values, w, transform="B", star=True).Zs``.
    """
    y = np.asarray(values, dtype=np.float64).ravel()
    n = y.size
    if isinstance(weights, sp.sparray | sp.spmatrix):
        if weights.shape != (n, n):
            raise ValueError(f"weights are {weights.shape}, expected {(n, n)}")
        coo = sp.coo_array(weights)
        nonzero = coo.data != 0
        rows, cols = coo.coords[0][nonzero], coo.coords[1][nonzero]
    else:
        lists = [weights[i] for i in range(n)]
        rows = np.repeat(np.arange(n), [len(neigh) for neigh in lists])
        cols = np.fromiter((j for neigh in lists for j in neigh), dtype=np.int64, count=rows.size)
    off_diagonal = rows != cols
    diagonal = np.arange(n)
    star = sp.csr_array(
        (np.ones(off_diagonal.sum() + n), (np.r_[rows[off_diagonal], diagonal], np.r_[cols[off_diagonal], diagonal])),
        shape=(n, n),
    )
    star.sum_duplicates()
    star.data[:] = 1.0  # binary, whatever the input weights or repeated neighbours
    return _gi_star_z(star @ y, np.asarray(star.sum(axis=1)).ravel(), y)


def distance_band_weights(xs: ArrayLike, ys: ArrayLike, *, band: float) -> sp.csr_array:
    """Binary adjacency of points within ``band`` of each other (inclusive), no self-weight.

    Like ``libpysal.weights.DistanceBand(xy, threshold=band, binary=True)``, except that
    coincident points are neighbours here.
    """
    xy = np.column_stack([np.asarray(xs, float).ravel(), np.asarray(ys, float).ravel()])
    pairs = cKDTree(xy).query_pairs(r=band, output_type="ndarray")
    n = len(xy)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))


def disk_kernel(*, cell_size: float, band: float, centre: bool = True) -> NDArray[np.int64]:
    """0/1 kernel of the grid offsets whose centre distance is <= ``band`` (square, odd side).

    Distances are exact lattice distances (integer offsets times ``cell_size``). Point-based tools
    (libpysal) measure them from float centre coordinates, so when ``band`` equals a lattice
    distance they can disagree about that tie unless the cell size is exact in binary (whole or
    quarter metres: the default cell size is a whole number of metres).
    """
    if not band > 0:
        raise ValueError(f"band must be positive, got {band!r}")
    reach = (band / cell_size) ** 2 * (1 + _BAND_RTOL)
    radius = int(math.floor(math.sqrt(reach)))
    offsets = np.arange(-radius, radius + 1)
    kernel = (offsets[:, np.newaxis] ** 2 + offsets[np.newaxis, :] ** 2 <= reach).astype(np.int64)
    if not centre:
        kernel[radius, radius] = 0
    return kernel


def _convolve_exact(grid: NDArray[Any], kernel: NDArray[np.int64]) -> NDArray[np.float64]:
    """Same-size 2-D convolution of integer-valued arrays, rounded back to exact integers."""
    convolved = signal.fftconvolve(grid.astype(np.float64), kernel.astype(np.float64), mode="same")
    return np.rint(np.asarray(convolved, dtype=np.float64))


def gi_star_grid(counts: ArrayLike, mask: ArrayLike, *, cell_size: float, band: float) -> NDArray[np.float64]:
    """Gi* z for every cell of a masked 2-D grid of integer counts; NaN outside the mask.

    Neighbour sums and weight sums are FFT convolutions with a disk kernel, rounded to the
    exact integers they are, so z matches the sparse computation to float precision.
    """
    mask_a = np.asarray(mask, dtype=bool)
    y = np.where(mask_a, np.asarray(counts, dtype=np.float64), 0.0)
    if np.any(y != np.rint(y)):
        raise ValueError("gi_star_grid needs integer counts (use gi_star_z for other values)")
    kernel = disk_kernel(cell_size=cell_size, band=band, centre=True)
    sums = _convolve_exact(y, kernel)[mask_a]
    weight_sums = _convolve_exact(mask_a, kernel)[mask_a]
    z = np.full(mask_a.shape, np.nan)
    z[mask_a] = _gi_star_z(sums, weight_sums, y[mask_a])
    return z


# --------------------------------------------------------------------------------------------
# Inference


def two_sided_p(z: ArrayLike) -> NDArray[np.float64]:
    """Two-sided normal p-value (twice esda's one-sided ``p_norm``)."""
    return np.asarray(2.0 * stats.norm.sf(np.abs(np.asarray(z, dtype=np.float64))), dtype=np.float64)


def confidence_bins(z: ArrayLike, p: ArrayLike) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    """ArcGIS Gi_Bin with FDR: +-3/+-2/+-1 where the BH-adjusted two-sided p <= 0.01/0.05/0.10.

    Returns the bins and the Benjamini-Hochberg adjusted p-values.
    """
    z_a = np.asarray(z, dtype=np.float64)
    p_fdr = stats.false_discovery_control(np.asarray(p, dtype=np.float64), method="bh")
    level = np.zeros(z_a.shape, dtype=np.int8)
    for magnitude, alpha in reversed(CONFIDENCE_LEVELS):
        level[p_fdr <= alpha] = magnitude
    return (np.sign(z_a).astype(np.int8) * level).astype(np.int8), p_fdr


# --------------------------------------------------------------------------------------------
# Distance band


@dataclass(frozen=True)
class BandChoice:
    """The distance band and how it was chosen (``rule``: "moran_peak", "knn_mean", "given")."""

    band: float
    rule: str
    min_band: float
    moran_profile: tuple[tuple[float, float], ...] = ()


def morans_i_grid(counts: ArrayLike, mask: ArrayLike, *, cell_size: float, band: float) -> tuple[float, float]:
    """Global Moran's I and its z (randomisation) for a masked grid, row-standardised band weights.

    As ArcGIS Spatial Autocorrelation / esda ``Moran(y, w, transformation="r").z_rand`` with
    ``w`` the distance band without self-weight. Every cell needs a neighbour (band >= the
    largest nearest-neighbour distance).
    """
    mask_a = np.asarray(mask, dtype=bool)
    y = np.where(mask_a, np.asarray(counts, dtype=np.float64), 0.0)
    kernel = disk_kernel(cell_size=cell_size, band=band, centre=False)
    k = _convolve_exact(mask_a, kernel)[mask_a]  # neighbours per cell
    if np.any(k == 0):
        raise IslandCells(f"band {band:.1f} m leaves cells without neighbours")
    values = y[mask_a]
    n = values.size
    dev = values - values.mean()
    lag_sum = _convolve_exact(y, kernel)[mask_a] - values.mean() * k  # sum_j a_ij dev_j
    inv_k = np.zeros(mask_a.shape)
    inv_k[mask_a] = 1.0 / k
    col_sums = signal.fftconvolve(inv_k, kernel.astype(np.float64), mode="same")[mask_a]

    m2 = float(np.sum(dev**2))
    s0 = float(n)
    s1 = float(np.sum(1.0 / k) + np.sum(col_sums / k))
    s2 = float(np.sum((1.0 + col_sums) ** 2))
    moran_i = float(np.sum(dev * lag_sum / k)) / m2  # (n / s0) * ... with s0 = n
    expected = -1.0 / (n - 1)
    b2 = n * float(np.sum(dev**4)) / m2**2
    expected_sq = (
        n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0) - b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    ) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0)
    variance = expected_sq - expected**2
    z = (moran_i - expected) / math.sqrt(variance) if variance > 0 else math.nan
    return moran_i, z


def choose_band(counts: ArrayLike, mask: ArrayLike, *, cell_size: float) -> BandChoice:
    """Distance band as ArcGIS Optimized Hot Spot Analysis chooses it for a fishnet.

    1. ``min_band`` = the largest distance from a cell to its nearest other cell, so that no
       cell is an island.
    2. Incremental spatial autocorrelation: Moran's I z at 10 distances starting at
       ``min_band``, stepping by the mean nearest-neighbour distance (on a full grid, one cell);
       capped at the standard distance of the cells (then spread evenly up to it).
    3. Band = the first peak (a z above both neighbours in the sequence and above 1.65).
    4. Without a peak: the mean distance to the k-th nearest cell, k = 5 % of the cells
       clamped to 3..30, capped at the standard distance; never below ``min_band``.
    """
    mask_a = np.asarray(mask, dtype=bool)
    n = int(mask_a.sum())
    if n < MIN_CELLS:
        raise TooFewCells(f"{n} cells; Gi* needs at least {MIN_CELLS}")
    nearest = neighbour_distances(mask_a, cell_size=cell_size, k=1)
    min_band = float(nearest.max())
    increment = float(nearest.mean())
    rows, cols = np.nonzero(mask_a)
    standard_distance = float(cell_size * np.sqrt(rows.var() + cols.var()))

    distances = min_band + increment * np.arange(MORAN_INCREMENTS)
    if distances[-1] > standard_distance > min_band:
        distances = np.linspace(min_band, standard_distance, MORAN_INCREMENTS)
    profile = tuple((float(d), morans_i_grid(counts, mask_a, cell_size=cell_size, band=float(d))[1]) for d in distances)
    zs = [z for _, z in profile]
    for i in range(1, len(zs) - 1):
        if zs[i] > zs[i - 1] and zs[i] > zs[i + 1] and zs[i] > MORAN_PEAK_MIN_Z:
            return BandChoice(band=profile[i][0], rule="moran_peak", min_band=min_band, moran_profile=profile)

    k = min(max(int(n * 0.05), 3), 30, n - 1)
    knn_mean = float(neighbour_distances(mask_a, cell_size=cell_size, k=k).mean())
    band = max(min(knn_mean, standard_distance), min_band)
    return BandChoice(band=band, rule="knn_mean", min_band=min_band, moran_profile=profile)


def neighbour_distances(mask: ArrayLike, *, cell_size: float, k: int) -> NDArray[np.float64]:
    """Distance from each cell of the mask (row-major order) to its k-th nearest other cell.

    Where the mask holds every lattice cell within the full-lattice k-th distance, that is the
    answer; only the other cells (near edges and holes) are looked up in a KD-tree.
    """
    mask_a = np.asarray(mask, dtype=bool)
    n = int(mask_a.sum())
    if not 1 <= k < n:
        raise ValueError(f"k must be in 1..{n - 1}, got {k}")
    reach = math.ceil(math.sqrt(k / math.pi)) + 2  # the disk of this radius holds > k + 1 cells
    offsets = np.arange(-reach, reach + 1)
    squared = offsets[:, np.newaxis] ** 2 + offsets[np.newaxis, :] ** 2
    kth_squared = np.sort(squared.ravel())[k]  # [0] is the cell itself
    kernel = (squared <= kth_squared).astype(np.int64)
    full = _convolve_exact(mask_a, kernel)[mask_a] == kernel.sum()
    distances = np.full(n, math.sqrt(kth_squared) * cell_size)
    if not full.all():
        rows, cols = np.nonzero(mask_a)
        centres = np.column_stack([cols, rows]).astype(np.float64) * cell_size
        distances[~full] = cKDTree(centres).query(centres[~full], k=k + 1)[0][:, k]
    return distances


# --------------------------------------------------------------------------------------------
# Entry point


@dataclass(frozen=True, eq=False)
class HotspotResult:
    """Gi* hotspots per grid cell; arrays are aligned, one entry per cell in the area.

    ``ix``/``iy`` are lattice indices: the cell covers ``[ix*cell_size, (ix+1)*cell_size) x
    [iy*cell_size, (iy+1)*cell_size)`` in EPSG:27700. ``p`` is two-sided, ``p_fdr`` its
    Benjamini-Hochberg adjustment, ``bin`` in -3..3.
    """

    cell_size: float
    band: float
    band_rule: str
    ix: NDArray[np.int64]
    iy: NDArray[np.int64]
    count: NDArray[np.int64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    p_fdr: NDArray[np.float64]
    bin: NDArray[np.int8]
    moran_profile: tuple[tuple[float, float], ...] = field(default=())

    @property
    def n_cells(self) -> int:
        return int(self.ix.size)

    def to_geojson(self, *, precision: int = 6) -> dict[str, Any]:
        """Cells as a WGS84 GeoJSON FeatureCollection with properties count, z, p, p_fdr, bin.

        Raw counts: apply the public suppression rules before publishing.
        """
        return cells_geojson(
            self.ix,
            self.iy,
            cell_size=self.cell_size,
            properties={"count": self.count, "z": self.z, "p": self.p, "p_fdr": self.p_fdr, "bin": self.bin},
            precision=precision,
        )


def compute_hotspots(
    xs: ArrayLike,
    ys: ArrayLike,
    area_27700: BaseGeometry,
    *,
    cell_size: float | None = None,
    band: float | None = None,
) -> HotspotResult:
    """Count EPSG:27700 points into a grid over the area and compute Gi* hot and cold spots.

    ``cell_size`` defaults to ``default_cell_size`` of the points inside the area; ``band``
    defaults to ``choose_band``. Raises ``TooFewCells`` (< 30 cells), ``NoVariation`` (all
    counts equal), ``IslandCells`` (a given band leaves a cell without neighbours) and
    ``TooFewPoints`` (no cell size given and < 30 distinct locations).
    """
    x = np.asarray(xs, dtype=np.float64).ravel()
    y = np.asarray(ys, dtype=np.float64).ravel()
    if cell_size is None:
        inside = shapely.contains_xy(area_27700, x, y)
        cell_size = default_cell_size(x[inside], y[inside])
    grid: Grid = build_grid(area_27700, cell_size=cell_size)
    if grid.n_cells < MIN_CELLS:
        raise TooFewCells(f"{grid.n_cells} cells of {cell_size:g} m in the area; Gi* needs at least {MIN_CELLS}")
    counts = grid.count(x, y)
    cells = counts[grid.mask]
    if cells.min() == cells.max():
        raise NoVariation("every cell has the same count: no hot or cold spots can be found")

    if band is None:
        choice = choose_band(counts, grid.mask, cell_size=grid.cell_size)
    else:
        min_band = float(neighbour_distances(grid.mask, cell_size=grid.cell_size, k=1).max())
        if band < min_band * (1 - _BAND_RTOL):
            raise IslandCells(f"band {band:g} m leaves cells without neighbours; use at least {min_band:g} m")
        choice = BandChoice(band=float(band), rule="given", min_band=min_band)

    z = gi_star_grid(counts, grid.mask, cell_size=grid.cell_size, band=choice.band)[grid.mask]
    p = two_sided_p(z)
    bins, p_fdr = confidence_bins(z, p)
    ix, iy = grid.cell_indices()
    return HotspotResult(
        cell_size=grid.cell_size,
        band=choice.band,
        band_rule=choice.rule,
        ix=ix,
        iy=iy,
        count=cells,
        z=z,
        p=p,
        p_fdr=p_fdr,
        bin=bins,
        moran_profile=choice.moran_profile,
    )
