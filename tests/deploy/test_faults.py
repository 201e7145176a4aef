"""The database goes away mid-traffic: requests fail fast with a clear 503, nothing that was
accepted (201) is lost, and the service recovers without a restart when the database returns.
Real uvicorn workers, a real PostGIS cluster, loopback only, bounded in time."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from nte.config import get_settings
from nte.db import engine_for
from tests.support.server import client_from, loopback_address, report_body, serve

pytestmark = pytest.mark.slow


def test_database_outage_mid_traffic(tmp_path):
    from tests.conftest import make_database
    from tests.support.postgres import start_cluster

    cluster = start_cluster()
    app = None
    try:
        url = make_database("postgis", "nte_faults", tmp_path, cluster)
        app = serve(url, workers=2)
        accepted: list[str] = []
        outcomes: list[tuple[int, float, dict]] = []
        stop = threading.Event()
        lock = threading.Lock()

        def reporter(worker: int) -> None:
            n = worker * 10_000
            while not stop.is_set():
                n += 1
                with client_from(loopback_address(n), app.url) as client:
                    started = time.perf_counter()
                    try:
                        r = client.post("/api/reports", json=report_body(n))
                        body = r.json()
                        status = r.status_code
                    except Exception:  # noqa: BLE001 - a dropped connection counts as a failure
                        status, body = 0, {}
                    elapsed = time.perf_counter() - started
                with lock:
                    outcomes.append((status, elapsed, body))
                    if status == 201:
                        accepted.append(body["receipt_code"])
                time.sleep(0.02)

        threads = [threading.Thread(target=reporter, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(3)
        cluster.stop(mode="fast")
        outage_started = len(outcomes)
        time.sleep(4)
        outage = outcomes[outage_started:]
        cluster.start()
        time.sleep(6)
        stop.set()
        for t in threads:
            t.join(30)

        during = [o for o in outage if o[0] != 201]
        assert during, "no request failed while the database was down"
        assert all(status == 503 for status, _, _ in during), {s for s, _, _ in during}
        assert all(body.get("error") == "database_unavailable" for _, _, body in during)
        assert max(elapsed for _, elapsed, _ in during) < 10, "requests did not fail fast"
        after = outcomes[-5:]
        assert all(status == 201 for status, _, _ in after), "service did not recover by itself"

        engine = engine_for(url, get_settings().spatialite_library)
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT count(*) FROM report")).scalar_one()
        assert stored == len(accepted), f"{len(accepted)} accepted but {stored} stored"
        with client_from("127.200.0.1", app.url) as client:
            for code in accepted[:: max(1, len(accepted) // 20)]:
                assert client.get(f"/api/reports/receipts/{code}").status_code == 200
        engine.dispose()
    finally:
        if app:
            app.stop()
        cluster.destroy()
