"""Run every ``bench/bench_*.py`` one after another (they share 2 cores: never in parallel) and print
each one's comparison table, then a summary of exit codes and wall times.

    .venv/bin/python bench/run_all.py [-k maps] [--timeout 1800]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", dest="pattern", default="", help="only benchmarks whose file name contains this")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per benchmark")
    args = parser.parse_args()
    scripts = sorted(p for p in BENCH_DIR.glob("bench_*.py") if args.pattern in p.name)
    summary: list[tuple[str, str, float]] = []
    for script in scripts:
        print(f"\n===== {script.name} =====", flush=True)
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, str(script)],
                cwd=BENCH_DIR.parent,  # noqa: S603 - our files
                timeout=args.timeout,
                check=False,
            )
            status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
        except subprocess.TimeoutExpired:
            status = f"timed out after {args.timeout:g} s"
        summary.append((script.name, status, time.perf_counter() - start))
    print("\n===== summary =====")
    print(f"{'benchmark':<32}{'result':<28}{'wall':>10}")
    for name, status, wall in summary:
        print(f"{name:<32}{status:<28}{wall:>8.1f} s")
    return 0 if all(s == "ok" for _, s, _ in summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
