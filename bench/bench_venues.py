"""Public venue GeoJSON for 5,000 verified venues: latency on SpatiaLite and PostGIS, in process
(FastAPI TestClient, no network). First (uncached) reads are measured by invalidating the cache
before each request; repeated reads hit the per-process cache keyed by the register version.

    python bench/bench_venues.py [--venues 5000] [--runs 30] [--backends spatialite,postgis]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("NTE_ENV", "test")
os.environ.setdefault("NTE_TILE_URL", "none")


def seed(url: str, n: int) -> None:
    import sqlalchemy as sa
    from shapely.geometry import Point
    from sqlalchemy.orm import sessionmaker

    from nte.config import get_settings
    from nte.db import engine_for, utcnow
    from nte.schema import upgrade
    from nte.spatial import to_db
    from nte.venues.models import Venue, VenueAccreditation, VenuePledge
    from nte.wards.service import served_wards
    from nte.wards.shipped import import_shipped_wards

    settings = get_settings()
    engine = engine_for(url, settings.spatialite_library)
    upgrade(engine)
    factory = sessionmaker(bind=engine)
    with factory.begin() as session:
        import_shipped_wards(session)
    with factory.begin() as session:
        wards = served_wards(session, settings=settings)
        from nte.spatial import from_db

        points = []
        rng = random.Random(7)
        for w in wards:
            c = from_db(w.geom).representative_point()
            points.append((w.code, w.borough_code, c.x, c.y))
        now = utcnow()
        today = now.date()
        for i in range(n):
            code, borough, x, y = points[i % len(points)]
            v = Venue(
                name=f"Bench Venue {i}",
                name_key=f"bench venue {i}",
                venue_type=rng.choice(["pub", "bar", "nightclub"]),
                address=f"{i} Bench Street",
                postcode="W1D 4DQ",
                geom=to_db(Point(x + rng.uniform(-1e-4, 1e-4), y)),
                ward_code=code,
                borough_code=borough,
                contact_email="bench@example.org",
                contact_phone="+442079460000",
                champion_name="Champion",
                champion_role="Manager",
                status="verified",
                renewal_date=today,
                submitted_at=now,
                created_at=now,
                updated_at=now,
            )
            v.pledges = [VenuePledge(number=k, met=True, how_met="yes", reviewed_at=now) for k in range(1, 8)]
            session.add(v)
            if i % 5 == 0:
                session.flush()
                session.add(
                    VenueAccreditation(
                        venue_id=v.id,
                        scheme="night_haven",
                        valid_from_date=today,
                        valid_to_date=today.replace(year=today.year + 1),
                        created_at=now,
                    )
                )
        session.flush()
        assert session.scalar(sa.select(sa.func.count(Venue.id))) >= n


def measure(url: str, runs: int) -> dict[str, list[float]]:
    from fastapi.testclient import TestClient

    from nte.app import create_app
    from nte.config import get_settings
    from nte.venues import service

    settings = get_settings().model_copy(update={"database_url": url})
    app = create_app(settings, check_db=False)
    out: dict[str, list[float]] = {"first": [], "cached": []}
    with TestClient(app) as client:
        client.get("/api/venues.geojson")  # warm up imports, ward names, connections
        for _ in range(runs):
            service.clear_public_cache()
            t0 = time.perf_counter()
            r = client.get("/api/venues.geojson")
            out["first"].append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200
        size = len(r.content)
        count = len(r.json()["features"])
        for _ in range(runs):
            t0 = time.perf_counter()
            r = client.get("/api/venues.geojson")
            out["cached"].append((time.perf_counter() - t0) * 1000)
    out["meta"] = [count, size]
    return out


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--venues", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--backends", default="spatialite,postgis")
    args = parser.parse_args()
    rows = []
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            if backend == "spatialite":
                url = f"sqlite:///{tmp}/bench_venues.sqlite"
            else:
                from tests.support.postgres import start_cluster

                cluster = cluster or start_cluster()
                url = cluster.create_database("bench_venues")
            seed(url, args.venues)
            result = measure(url, args.runs)
            count, size = result["meta"]
            first, cached = result["first"], result["cached"]
            rows.append(
                (backend, count, size, statistics.median(first), p99(first), statistics.median(cached), p99(cached))
            )
    if cluster is not None:
        cluster.destroy()
    print(f"\nPublic venue GeoJSON, in process (TestClient), {args.runs} requests each; target p99 < 100 ms\n")
    print(
        f"{'backend':<11} {'features':>8} {'bytes':>9} | {'first median':>12} {'first p99':>10} | "
        f"{'cached median':>13} {'cached p99':>10} | {'cached/first':>12}"
    )
    for backend, count, size, fm, fp, cm, cp in rows:
        print(
            f"{backend:<11} {count:>8} {size:>9} | {fm:>10.1f}ms {fp:>8.1f}ms | {cm:>11.1f}ms {cp:>8.1f}ms | "
            f"{cm / fm:>11.0%}"
        )


if __name__ == "__main__":
    main()
