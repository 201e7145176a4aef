#!/usr/bin/env bash
# README command 2: set up and run the whole test suite on SpatiaLite AND PostGIS (the suite
# starts its own throwaway PostGIS cluster) plus the browser tests in headless Chromium.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
set +e
.venv/bin/python -m pytest -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
