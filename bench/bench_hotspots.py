"""Benchmark: NTE Safe grid Gi* against PySAL esda on the same grid, side by side.

Counts are real: every 2016 police.uk street-level point of the five borough CSVs, gridded over the
union of the six boroughs' wards (Dec 2013). The cell size is chosen so the grid has about
``--cells`` cells. Both sides use binary distance-band weights with self-weight 1:

* NTE grid:   ``nte.maps.hotspots.gi_star_grid`` (disk-kernel FFT convolution);
* NTE sparse: ``distance_band_weights`` + ``gi_star_z`` (KD-tree pairs, sparse matrix);
* esda:       ``libpysal.weights.DistanceBand(..., binary=True)`` +
              ``esda.G_Local(y, w, transform="B", star=True, permutations=0)``.

esda runs in a child process with a time limit; if it does not finish, it is retried on smaller
grids (halving the cells) and the comparison is made at the largest size that finished.

    .venv/bin/python bench/bench_hotspots.py [--cells 250000] [--band-cells 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import multiprocessing as mp
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nte.config import SHARED_DATA  # noqa: E402
from nte.maps.grid import Grid, build_grid  # noqa: E402
from nte.maps.hotspots import (  # noqa: E402
    compute_hotspots,
    distance_band_weights,
    gi_star_grid,
    gi_star_z,
    points_to_bng,
    to_bng,
)

DATA_DIR = SHARED_DATA
AREA_FILE = "wards/six-boroughs-wards-dec2013.geojson"
CRIME_GLOB = "crime/2016-metropolitan-street-api-*.csv"


def load_area(path: Path) -> BaseGeometry:
    """Union of the GeoJSON polygons, projected to EPSG:27700."""
    features = json.loads(path.read_text())["features"]
    return to_bng(shapely.union_all([shape(f["geometry"]) for f in features]))


def load_points(paths: Sequence[Path]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """EPSG:27700 coordinates of the police.uk rows that have a location."""
    lons: list[float] = []
    lats: list[float] = []
    for path in paths:
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row["Longitude"] and row["Latitude"]:
                    lons.append(float(row["Longitude"]))
                    lats.append(float(row["Latitude"]))
    return points_to_bng(lons, lats)


def grid_with_about(area: BaseGeometry, cells: int) -> Grid:
    """Grid over the area whose cell count is close to ``cells``.

    The cell size is a multiple of 0.25 m, exact in binary, so cell centres and the distances
    between them are exact on both sides and "distance <= band" ties are decided identically.
    """
    size = math.sqrt(area.area / cells)
    for _ in range(4):
        grid = build_grid(area, cell_size=round(size * 4) / 4)
        size *= math.sqrt(grid.n_cells / cells)
    return build_grid(area, cell_size=round(size * 4) / 4)


def best_time(func: Callable[[], Any], *, repeat: int) -> tuple[float, Any]:
    """Fastest wall time of ``repeat`` runs, and the last result."""
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def _esda_child(conn: Any, centres: NDArray[np.float64], values: NDArray[np.float64], band: float) -> None:
    import esda
    import libpysal

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    w = libpysal.weights.DistanceBand(centres, threshold=band, binary=True, silence_warnings=True)
    g = esda.G_Local(values, w, transform="B", star=True, permutations=0)
    conn.send((time.perf_counter() - start, np.asarray(g.Zs)))
    conn.close()


def run_esda(
    centres: NDArray[np.float64], values: NDArray[np.float64], band: float, *, timeout: float
) -> tuple[float, NDArray[np.float64]] | None:
    """esda time and z in a child process, or None if it did not finish within ``timeout`` s."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_esda_child, args=(child, centres, values, band))
    proc.start()
    child.close()
    result = None
    if parent.poll(timeout):
        try:
            result = parent.recv()
        except EOFError:  # the child died (e.g. out of memory)
            result = None
    proc.join(timeout=5)
    if proc.is_alive():
        proc.terminate()
        proc.join()
    return result


@dataclass
class Row:
    cells: int
    cell_size: float
    band: float
    neighbours: float
    grid_s: float
    sparse_s: float
    esda_s: float | None
    max_dz: float | None
    note: str


def measure(
    area: BaseGeometry,
    xs: NDArray[np.float64],
    ys: NDArray[np.float64],
    cells: int,
    *,
    band_cells: float,
    repeat: int,
    esda_timeout: float | None,
) -> Row:
    grid = grid_with_about(area, cells)
    counts = grid.count(xs, ys)
    band = band_cells * grid.cell_size
    grid_s, z_grid = best_time(
        lambda: gi_star_grid(counts, grid.mask, cell_size=grid.cell_size, band=band)[grid.mask], repeat=repeat
    )
    cx, cy = grid.centres()
    values = counts[grid.mask].astype(np.float64)

    def sparse() -> NDArray[np.float64]:
        return gi_star_z(values, distance_band_weights(cx, cy, band=band))

    sparse_s, z_sparse = best_time(sparse, repeat=max(1, repeat // 2))
    neighbours = float(distance_band_weights(cx, cy, band=band).sum(axis=1).mean())
    note = f"grid vs sparse max|dz| {np.abs(z_grid - z_sparse).max():.1e}"
    esda_s = max_dz = None
    if esda_timeout is not None:
        got = run_esda(np.column_stack([cx, cy]), values, band, timeout=esda_timeout)
        if got is None:
            note = f"esda did not finish in {esda_timeout:.0f} s; " + note
        else:
            esda_s, z_esda = got
            max_dz = float(np.abs(z_esda - z_grid).max())
    return Row(grid.n_cells, grid.cell_size, band, neighbours, grid_s, sparse_s, esda_s, max_dz, note)


def format_table(rows: Sequence[Row]) -> str:
    head = [
        "cells",
        "cell m",
        "band m",
        "mean nbrs",
        "NTE grid s",
        "NTE sparse s",
        "esda s",
        "speed-up",
        "max|dz|",
        "note",
    ]
    lines = []
    for r in rows:
        lines.append(
            [
                f"{r.cells:,}",
                f"{r.cell_size:g}",
                f"{r.band:.1f}",
                f"{r.neighbours:.1f}",
                f"{r.grid_s:.4f}",
                f"{r.sparse_s:.3f}",
                "-" if r.esda_s is None else f"{r.esda_s:.2f}",
                "-" if r.esda_s is None else f"{r.esda_s / r.grid_s:,.0f}x",
                "-" if r.max_dz is None else f"{r.max_dz:.1e}",
                r.note,
            ]
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=250_000, help="target number of grid cells")
    parser.add_argument(
        "--band-cells",
        type=float,
        default=3.0,
        help="distance band in cell sizes (3 -> 28 neighbours + self inside the area)",
    )
    parser.add_argument("--esda-timeout", type=float, default=180.0, help="seconds allowed for one esda run")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the NTE functions (best time kept)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)

    area = load_area(args.data_dir / AREA_FILE)
    crime_files = sorted(args.data_dir.glob(CRIME_GLOB))
    xs, ys = load_points(crime_files)
    print(
        f"Data: {len(xs):,} real police.uk 2016 points ({len(crime_files)} CSVs) over the six-borough "
        f"ward union ({area.area / 1e6:.1f} km2); counts are real, no synthetic data."
    )
    print(f"Weights: binary distance band of {args.band_cells:g} cells, self-weight 1 (Gi*, transform='B').")

    rows = []
    cells = args.cells
    while True:
        row = measure(
            area, xs, ys, cells, band_cells=args.band_cells, repeat=args.repeat, esda_timeout=args.esda_timeout
        )
        rows.append(row)
        print(f"  measured {row.cells:,} cells", file=sys.stderr, flush=True)
        if row.esda_s is not None or cells < 1_000:
            break
        cells //= 2
    print()
    print(format_table(rows))

    print()
    for label, cell_size in (("default cell size", None), (f"{rows[0].cell_size:g} m cells", rows[0].cell_size)):
        start = time.perf_counter()
        result = compute_hotspots(xs, ys, area, cell_size=cell_size)
        elapsed = time.perf_counter() - start
        print(
            f"Full pipeline compute_hotspots ({label}; grid, counts, ArcGIS band choice, Gi*, FDR): "
            f"{elapsed:.3f} s -> {result.n_cells:,} cells of {result.cell_size:g} m, band {result.band:.1f} m "
            f"({result.band_rule}), {int((result.bin > 0).sum()):,} hot / {int((result.bin < 0).sum()):,} cold cells."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
