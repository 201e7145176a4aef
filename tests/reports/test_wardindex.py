"""The in-memory ward index agrees with the database's ST_Intersects lookup."""

from __future__ import annotations

import numpy as np

from nte.maps.exceptions import LocationOutsideServiceArea
from nte.maps.wards import locate
from nte.reports.wardindex import OUTSIDE, WardIndex


def test_index_agrees_with_database(db, settings):
    index = WardIndex.from_session(db, settings=settings)
    rng = np.random.default_rng(7)
    lon = rng.uniform(-0.26, -0.02, 150)
    lat = rng.uniform(51.42, 51.58, 150)
    # Points on ward vertices (shared edges) too: the lowest code wins on both sides.
    first = index.polygons[0].geoms[0].exterior.coords[3]
    lon = np.append(lon, [first[0], float("nan"), 5.0])
    lat = np.append(lat, [first[1], 51.5, 51.5])
    got = index.assign(lon, lat)
    for x, y, k in zip(lon, lat, got, strict=True):
        if not np.isfinite(x):
            assert k == OUTSIDE
            continue
        try:
            expected = locate(db, lon=float(x), lat=float(y), settings=settings).code
        except LocationOutsideServiceArea:
            expected = None
        assert (index.codes[k] if k != OUTSIDE else None) == expected, (x, y)
    assert (got != OUTSIDE).sum() > 30
