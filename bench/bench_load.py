"""Load test on PostGIS with several uvicorn workers (loopback only, bounded in time).

Sustained anonymous report submissions (each simulated reporter on its own 127.x.y.z address, as
real reporters have their own) plus public map reads, against `python main.py serve --workers N`.
Prints throughput, p50/p99 latency and errors per kind of request.

    python bench/bench_load.py [--seconds 20] [--workers 4] [--reporters 8] [--readers 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import make_database  # noqa: E402
from tests.support.postgres import start_cluster  # noqa: E402
from tests.support.server import client_from, loopback_address, report_body, serve  # noqa: E402

READS = [
    "/api/wards?borough=E09000033",
    "/api/maps/public/wards.geojson",
    "/api/venues.geojson",
    "/api/safe-spaces/nearest?lon=-0.1337&lat=51.5132&limit=5",
    "/healthz",
]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--reporters", type=int, default=8)
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args(argv)

    cluster = start_cluster()
    app = None
    try:
        url = make_database("postgis", "nte_load", Path(tempfile.mkdtemp()), cluster)
        app = serve(url, workers=args.workers)
        samples: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        lock = threading.Lock()
        first_error: dict[int, str] = {}
        deadline = time.perf_counter() + args.seconds

        def record(kind: str, status: int, elapsed: float, ok: int) -> None:
            with lock:
                if status == ok:
                    samples[kind].append(elapsed)
                else:
                    errors[kind][status] += 1

        def reporter(i: int) -> None:
            n = i * 1_000_000
            while time.perf_counter() < deadline:
                n += 1
                with client_from(loopback_address(n), app.url) as client:
                    t0 = time.perf_counter()
                    try:
                        response = client.post("/api/reports", json=report_body(n))
                        status = response.status_code
                        if status != 201:
                            with lock:
                                first_error.setdefault(status, response.text[:200])
                    except Exception:  # noqa: BLE001
                        status = 0
                    record("POST /api/reports", status, time.perf_counter() - t0, 201)

        def reader(i: int) -> None:
            with client_from(f"127.250.0.{i + 1}", app.url) as client:
                k = i
                while time.perf_counter() < deadline:
                    path = READS[k % len(READS)]
                    k += 1
                    t0 = time.perf_counter()
                    try:
                        status = client.get(path).status_code
                    except Exception:  # noqa: BLE001
                        status = 0
                    record("GET " + path.split("?")[0], status, time.perf_counter() - t0, 200)

        threads = [threading.Thread(target=reporter, args=(i,)) for i in range(args.reporters)]
        threads += [threading.Thread(target=reader, args=(i,)) for i in range(args.readers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started

        print(
            f"\nLoad test: {args.workers} uvicorn workers on PostGIS, {args.reporters} reporters + "
            f"{args.readers} map readers, {wall:.1f} s, loopback only\n"
        )
        print(f"| {'request':38} | {'ok':>6} | {'per s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | errors |")
        print(f"|{'-' * 40}|{'-' * 8}|{'-' * 9}|{'-' * 9}|{'-' * 9}|--------|")
        kinds = sorted(set(samples) | set(errors))
        total_ok = total_err = 0
        for kind in kinds:
            values = samples.get(kind, [])
            errs = dict(errors.get(kind, {}))
            total_ok += len(values)
            total_err += sum(errs.values())
            print(
                f"| {kind:38} | {len(values):6d} | {len(values) / wall:7.1f} | "
                f"{statistics.median(values) * 1000 if values else float('nan'):7.1f} | "
                f"{percentile(values, 0.99) * 1000:7.1f} | {errs or 0} |"
            )
        print(f"\nTotal: {total_ok / wall:.1f} ok requests/s, {total_err} errors")
        for status, body in first_error.items():
            print(f"first {status} body: {body}")
        return 0 if total_err == 0 else 1
    finally:
        if app:
            app.stop()
        cluster.destroy()


if __name__ == "__main__":
    raise SystemExit(main())
