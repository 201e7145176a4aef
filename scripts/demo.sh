#!/usr/bin/env bash
# README command 1: set up, load the demo data (real wards, venues, safe spaces, police data)
# into an embedded SpatiaLite file, and serve NTE Safe at http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh runtime
.venv/bin/python main.py demo
echo "Serving NTE Safe at http://127.0.0.1:${PORT:-8000} (Ctrl+C to stop)"
exec .venv/bin/python main.py serve --host 127.0.0.1 --port "${PORT:-8000}"
