"""The in-memory ward index agrees with the database's ST_Intersects lookup."""

from __future__ import annotations

import numpy as np
import pytest

from nte.wards import repository as ward_repo
from nte.wards import service as ward_service
from nte.wards.index import OUTSIDE


@pytest.mark.parametrize("vintage", ["2022-05", "2013-12"])
def test_index_agrees_with_database(db, settings, vintage):
    ward_set = ward_service.resolve_vintage(db, vintage)
    index = ward_service.set_index(db, ward_set)
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
        found = ward_repo.ward_at_point_sql(db, ward_set_id=ward_set.id, lon=float(x), lat=float(y))
        expected = found.code if found is not None else None
        assert (index.codes[k] if k != OUTSIDE else None) == expected, (x, y)
    assert (got != OUTSIDE).sum() > 30
