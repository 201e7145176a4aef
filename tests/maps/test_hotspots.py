"""Hotspot engine: grid, counting, distance band, Gi* (against esda), FDR bins, GeoJSON."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from scipy import signal, stats
from shapely.geometry import shape

from nte.maps.grid import build_grid, cells_geojson, default_cell_size
from nte.maps.hotspots import (
    HotspotError,
    IslandCells,
    NoVariation,
    TooFewCells,
    TooFewPoints,
    choose_band,
    compute_hotspots,
    confidence_bins,
    disk_kernel,
    distance_band_weights,
    gi_star_grid,
    gi_star_z,
    morans_i_grid,
    points_to_bng,
    to_bng,
    two_sided_p,
)

REFERENCE = json.loads((Path(__file__).parents[1] / "data" / "gistar_reference.json").read_text())
from nte.config import SHARED_DATA  # noqa: E402

WESTMINSTER_WARDS = SHARED_DATA / "wards" / "E09000033.geojson"
WESTMINSTER_CRIME = SHARED_DATA / "crime" / "2016-metropolitan-street-api-westminster.csv"
TOL = 1e-6


def _esda():
    esda = pytest.importorskip("esda", reason="esda is not installed (pip install esda libpysal)")
    libpysal = pytest.importorskip("libpysal", reason="libpysal is not installed (pip install esda libpysal)")
    return esda, libpysal


@pytest.fixture(scope="module")
def westminster() -> tuple[shapely.Geometry, np.ndarray, np.ndarray]:
    if not (WESTMINSTER_WARDS.exists() and WESTMINSTER_CRIME.exists()):
        pytest.skip(f"real data not found under {SHARED_DATA} (set NTE_SHARED_DATA)")
    features = json.loads(WESTMINSTER_WARDS.read_text())["features"]
    area = to_bng(shapely.union_all([shape(f["geometry"]) for f in features]))
    with WESTMINSTER_CRIME.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Longitude"] and r["Latitude"]]
    xs, ys = points_to_bng([float(r["Longitude"]) for r in rows], [float(r["Latitude"]) for r in rows])
    return area, xs, ys


def _random_masked_grid(seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = np.ones((23, 31), bool)
    mask[:6, :9] = False  # a notch
    mask[15:, 24:] = False
    mask[10:13, 12:15] = False  # a hole
    counts = rng.poisson(rng.gamma(1.0, 2.0, size=mask.shape))
    counts[~mask] = 99  # must be ignored: not features
    return counts, mask


# ---------------------------------------------------------------- reference vectors (esda's own)


def test_gi_star_matches_esda_reference_with_neighbour_lists() -> None:
    inputs = REFERENCE["inputs"]
    neighbours = [inputs["neighbors"][str(i)] for i in range(len(inputs["y"]))]
    z = gi_star_z(inputs["y"], neighbours)
    np.testing.assert_allclose(z, REFERENCE["cases"]["Gistar_binary"]["Zs"], rtol=0, atol=TOL)
    np.testing.assert_allclose(z, REFERENCE["closed_form_check_Gistar_binary_Zs"], rtol=0, atol=TOL)
    assert z[0] == pytest.approx(REFERENCE["asserted_in_esda_tests"]["Gistar_binary.Zs[0]"], abs=TOL)


def test_gi_star_matches_esda_reference_with_sparse_matrix_and_distance_band() -> None:
    inputs = REFERENCE["inputs"]
    expected = REFERENCE["cases"]["Gistar_binary"]["Zs"]
    adjacency = sp.csr_array(np.array(inputs["adjacency_zero_diagonal"], float))
    np.testing.assert_allclose(gi_star_z(inputs["y"], adjacency), expected, rtol=0, atol=TOL)
    # Weight values, explicit zeros and any diagonal are ignored: binary weights, self-weight 1.
    messy = sp.coo_array(2.5 * np.array(inputs["adjacency_zero_diagonal"], float) + 7 * np.eye(6))
    messy = sp.coo_array((np.r_[messy.data, 0.0], (np.r_[messy.coords[0], 2], np.r_[messy.coords[1], 5])), shape=(6, 6))
    np.testing.assert_allclose(gi_star_z(inputs["y"], messy), expected, rtol=0, atol=TOL)

    points = np.array(inputs["points"], float)
    band = distance_band_weights(points[:, 0], points[:, 1], band=inputs["distance_band_threshold"])
    assert (band.toarray() == np.array(inputs["adjacency_zero_diagonal"])).all()
    z = gi_star_z(inputs["y"], band)
    np.testing.assert_allclose(z, expected, rtol=0, atol=TOL)
    np.testing.assert_allclose(two_sided_p(z), REFERENCE["cases"]["Gistar_binary"]["p_norm_two_sided"], atol=TOL)


def test_grid_convolution_matches_esda_lattice_reference() -> None:
    lattice = REFERENCE["lattice_5x5"]
    counts = np.array(lattice["y"]).reshape(5, 5)  # cell k at row k // 5, column k % 5
    z = gi_star_grid(counts, np.ones((5, 5), bool), cell_size=1.0, band=1.0)
    np.testing.assert_allclose(z.ravel(), lattice["Zs"], rtol=0, atol=TOL)
    np.testing.assert_allclose(two_sided_p(z.ravel()), lattice["p_norm_two_sided"], rtol=0, atol=TOL)


@pytest.mark.parametrize("band_cells", [1.0, math.sqrt(2), 2.0, 2.5, 3.7, 6.0])
def test_grid_convolution_agrees_with_sparse_implementation(band_cells: float) -> None:
    counts, mask = _random_masked_grid()
    cell = 50.0
    z_grid = gi_star_grid(counts, mask, cell_size=cell, band=band_cells * cell)
    assert np.isnan(z_grid[~mask]).all()
    rows, cols = np.nonzero(mask)
    weights = distance_band_weights(cols * cell, rows * cell, band=band_cells * cell * (1 + 1e-12))
    z_sparse = gi_star_z(counts[mask], weights)
    np.testing.assert_allclose(z_grid[mask], z_sparse, rtol=0, atol=1e-12)


def test_gi_star_edge_cases() -> None:
    with pytest.raises(NoVariation):
        gi_star_z([3, 3, 3], [[1], [0, 2], [1]])
    # A band covering every feature carries no information: z is 0, not NaN.
    z = gi_star_z([1, 2, 3], [[1, 2], [0, 2], [0, 1]])
    assert (z == 0).all()
    with pytest.raises(ValueError, match="integer counts"):
        gi_star_grid(np.full((3, 3), 0.5), np.ones((3, 3), bool), cell_size=1, band=1)


def test_disk_kernel_is_inclusive() -> None:
    kernel = disk_kernel(cell_size=100.0, band=200.0)
    assert kernel.shape == (5, 5)
    assert kernel.sum() == 13  # d <= 2 cells: centre, 4 at 1, 4 at sqrt 2, 4 at 2
    assert disk_kernel(cell_size=100.0, band=200.0, centre=False).sum() == 12


# ---------------------------------------------------------------- esda on a real-data grid


def test_gi_star_matches_esda_on_westminster_grid(westminster) -> None:
    esda, libpysal = _esda()
    area, xs, ys = westminster
    result = compute_hotspots(xs, ys, area)
    assert 1_000 <= result.n_cells <= 5_000
    centres = np.column_stack([(result.ix + 0.5) * result.cell_size, (result.iy + 0.5) * result.cell_size])
    for band in (result.band, 2.5 * result.cell_size):
        if band != result.band:
            result = compute_hotspots(xs, ys, area, cell_size=result.cell_size, band=band)
        w = libpysal.weights.DistanceBand(centres, threshold=band, binary=True, silence_warnings=True)
        g = esda.G_Local(result.count.astype(float), w, transform="B", star=True, permutations=0)
        np.testing.assert_allclose(result.z, g.Zs, rtol=0, atol=TOL)
        np.testing.assert_allclose(result.p, 2 * g.p_norm, rtol=0, atol=TOL)


def test_morans_i_matches_esda_randomisation_z() -> None:
    esda, libpysal = _esda()
    counts, mask = _random_masked_grid(3)
    rows, cols = np.nonzero(mask)
    for band in (1.0, 2.0, 3.5):
        moran_i, z = morans_i_grid(counts, mask, cell_size=1.0, band=band)
        w = libpysal.weights.DistanceBand(
            np.column_stack([cols, rows]).astype(float), threshold=band, binary=True, silence_warnings=True
        )
        expected = esda.Moran(counts[mask], w, transformation="r", permutations=0)
        assert moran_i == pytest.approx(expected.I, abs=1e-10)
        assert z == pytest.approx(expected.z_rand, abs=1e-8)


# ---------------------------------------------------------------- FDR and bins


def test_fdr_is_scipy_benjamini_hochberg() -> None:
    rng = np.random.default_rng(11)
    z = rng.normal(0, 2, 500)
    p = two_sided_p(z)
    bins, p_fdr = confidence_bins(z, p)
    np.testing.assert_array_equal(p_fdr, stats.false_discovery_control(p, method="bh"))
    # Same as the textbook BH step-up: reject the k smallest p where p_(k) <= k alpha / m.
    order = np.argsort(p)
    m = len(p)
    for magnitude, alpha in ((1, 0.10), (2, 0.05), (3, 0.01)):
        passing = np.nonzero(p[order] <= np.arange(1, m + 1) * alpha / m)[0]
        rejected = np.zeros(m, bool)
        if passing.size:
            rejected[order[: passing.max() + 1]] = True
        np.testing.assert_array_equal(np.abs(bins) >= magnitude, rejected)
    assert (np.sign(bins[bins != 0]) == np.sign(z[bins != 0])).all()


def test_bins_on_lattice_match_esda_fdr_cutoffs() -> None:
    lattice = REFERENCE["lattice_5x5"]
    z = np.array(lattice["Zs"])
    p = np.array(lattice["p_norm_two_sided"])
    bins, _ = confidence_bins(z, p)
    np.testing.assert_array_equal(bins != 0, p <= lattice["esda_fdr_cutoff_alpha_0.10_on_two_sided_p"])
    np.testing.assert_array_equal(np.abs(bins) >= 2, p <= lattice["esda_fdr_cutoff_alpha_0.05_on_two_sided_p"])
    assert bins[13] == 3 and bins[12] == 1 and bins[18] == 1 and (np.delete(bins, [12, 13, 18]) == 0).all()


def test_bin_levels_and_signs() -> None:
    # 100 cells, 95 unremarkable: BH adjusts the 5 smallest p to p * 100 / rank (then a running min).
    handmade = np.array([1e-6, 2e-6, 0.0004, 0.0006, 0.0008] + [0.9] * 95)  # BH: p * 100 / rank
    bins, p_fdr = confidence_bins(np.r_[1, -1, 1, -1, 1, [1] * 95], handmade)
    np.testing.assert_allclose(p_fdr[:5], [1e-4, 1e-4, 0.04 / 3, 0.015, 0.016])
    assert bins[:5].tolist() == [3, -3, 2, -2, 2] and (bins[5:] == 0).all()
    bins, _ = confidence_bins([0.0, 8.0], [1e-9, 1e-9])
    assert bins.tolist() == [0, 3]  # the sign comes from z: z = 0 is never a hot or cold spot


# ---------------------------------------------------------------- grid, islands, errors


def test_grid_keeps_zero_count_cells_and_ignores_points_outside() -> None:
    area = shapely.box(0, 0, 1000, 1000)
    xs = np.array([10, 20, 30, 150, 999.9, 1000.0, -5, 2000])
    ys = np.array([10, 20, 30, 150, 999.9, 500.0, 5, 2000])
    grid = build_grid(area, cell_size=100)
    assert grid.n_cells == 100  # cells that only touch the square's edge are not in it
    counts = grid.count(xs, ys)
    assert counts.sum() == 5 and counts[0, 0] == 3 and counts[1, 1] == 1 and counts[9, 9] == 1
    result = compute_hotspots(xs, ys, area, cell_size=100, band=150)
    assert result.n_cells == 100 and (result.count == 0).sum() == 97
    assert set(zip(result.ix.tolist(), result.iy.tolist(), strict=True)) == {
        (i, j) for i in range(10) for j in range(10)
    }


def test_grid_matches_brute_force_intersects_on_real_area(westminster) -> None:
    area = westminster[0]
    for cell in (75.0, 250.0):
        grid = build_grid(area, cell_size=cell)
        nrows, ncols = grid.shape
        cols, rows = np.meshgrid(np.arange(ncols) + grid.ix0, np.arange(nrows) + grid.iy0)
        boxes = shapely.box(cols * cell, rows * cell, (cols + 1) * cell, (rows + 1) * cell)
        expected = shapely.intersects(area, boxes) & ~shapely.touches(area, boxes)
        np.testing.assert_array_equal(grid.mask, expected)


def test_lattice_is_anchored_at_the_bng_origin() -> None:
    grid = build_grid(shapely.box(530_010, 179_990, 530_390, 180_110), cell_size=100)
    assert (grid.ix0, grid.iy0, grid.shape) == (5300, 1799, (3, 4))
    ix, iy = grid.cell_indices()
    assert ix.min() == 5300 and iy.max() == 1801


def test_no_cell_is_an_island() -> None:
    mask = np.zeros((30, 30), bool)
    mask[2:9, 2:9] = True  # 49 cells
    mask[20, 25] = True  # a lone cell: its nearest cell is far away
    counts = np.zeros(mask.shape, int)
    counts[3:5, 3:5] = 8
    counts[20, 25] = 1
    choice = choose_band(counts, mask, cell_size=10.0)
    lone_to_block = math.hypot(25 - 8, 20 - 8) * 10.0
    assert choice.min_band == pytest.approx(lone_to_block)
    assert choice.band >= choice.min_band
    kernel = disk_kernel(cell_size=10.0, band=choice.band).astype(float)
    neighbours = np.rint(signal.fftconvolve(mask.astype(float), kernel, mode="same"))
    assert (neighbours[mask] >= 2).all()  # itself and at least one other cell


def test_given_band_that_leaves_islands_is_refused() -> None:
    area = shapely.union_all([shapely.box(0, 0, 800, 800), shapely.box(2000, 2000, 2100, 2100)])
    xs, ys = np.array([50, 60, 450, 2050]), np.array([50, 60, 450, 2050])
    with pytest.raises(IslandCells, match="at least"):
        compute_hotspots(xs, ys, area, cell_size=100, band=150)
    result = compute_hotspots(xs, ys, area, cell_size=100)
    assert result.band >= math.hypot(1300, 1300) - 1e-6


def test_too_few_cells_is_a_domain_error() -> None:
    area = shapely.box(0, 0, 500, 500)  # 25 cells of 100 m
    with pytest.raises(TooFewCells, match="at least 30") as caught:
        compute_hotspots([10.0, 20.0], [10.0, 20.0], area, cell_size=100)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, HotspotError)


def test_no_points_is_no_variation() -> None:
    with pytest.raises(NoVariation):
        compute_hotspots([], [], shapely.box(0, 0, 1000, 1000), cell_size=100)
    with pytest.raises(TooFewPoints):
        compute_hotspots([1.0, 2.0], [1.0, 2.0], shapely.box(0, 0, 1000, 1000))


# ---------------------------------------------------------------- defaults on real data


def test_default_cell_size_is_deterministic_and_reasonable(westminster) -> None:
    area, xs, ys = westminster
    size = default_cell_size(xs, ys)
    order = np.random.default_rng(0).permutation(xs.size)
    assert default_cell_size(xs[order], ys[order]) == size
    assert size == math.ceil(size) and 50 <= size <= 300
    assert 500 <= build_grid(area, cell_size=size).n_cells <= 10_000


def test_default_cell_size_is_at_least_50_m() -> None:
    rng = np.random.default_rng(5)
    xs, ys = rng.uniform(0, 100, 500), rng.uniform(0, 100, 500)  # about 2 m apart
    assert default_cell_size(xs, ys) == 50.0


def test_compute_hotspots_on_westminster(westminster) -> None:
    area, xs, ys = westminster
    first = compute_hotspots(xs, ys, area)
    again = compute_hotspots(xs, ys, area)
    assert (first.cell_size, first.band, first.band_rule) == (again.cell_size, again.band, again.band_rule)
    np.testing.assert_array_equal(first.z, again.z)
    assert first.band_rule in {"moran_peak", "knn_mean"}
    assert first.cell_size <= first.band <= 20 * first.cell_size
    assert len(first.moran_profile) == 10
    assert first.count.sum() == xs.size  # police.uk Westminster points all fall in the grid
    assert (first.bin == 3).any() and (first.bin == -3).any()
    # The West End is a hot spot: the cell holding the most incidents is in bin 3.
    assert first.bin[np.argmax(first.count)] == 3


# ---------------------------------------------------------------- projection and GeoJSON


def test_projection_to_bng() -> None:
    x, y = points_to_bng([-0.124625], [51.500729])  # Elizabeth Tower, Westminster
    assert abs(x[0] - 530_268) < 10 and abs(y[0] - 179_644) < 10
    square = to_bng(shapely.box(-0.13, 51.50, -0.12, 51.51))
    assert 600_000 < square.area < 800_000  # about 0.69 km x 1.11 km


def test_geojson_is_rfc7946_wgs84() -> None:
    area = to_bng(shapely.box(-0.15, 51.49, -0.11, 51.52))
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = area.bounds
    xs, ys = rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)
    result = compute_hotspots(xs, ys, area, cell_size=250)
    collection = json.loads(json.dumps(result.to_geojson()))  # plain JSON types only
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == result.n_cells
    feature = collection["features"][0]
    assert set(feature["properties"]) == {"count", "z", "p", "p_fdr", "bin"}
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    lon, lat = ring[0]
    assert -0.2 < lon < -0.05 and 51.4 < lat < 51.6  # lon, lat order
    assert shapely.Polygon(ring).exterior.is_ccw  # RFC 7946 right-hand rule
    back = to_bng(shapely.Polygon(ring))
    assert back.area == pytest.approx(250 * 250, rel=1e-3)


def test_cells_geojson_checks_property_lengths() -> None:
    with pytest.raises(ValueError, match="property"):
        cells_geojson([1, 2], [1, 2], cell_size=100, properties={"count": [1]})
