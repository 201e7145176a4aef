#!/usr/bin/env bash
# README command 2: set up and run the whole test suite on SpatiaLite AND PostGIS (the suite
# starts its own throwaway PostGIS cluster) plus the browser tests in headless Chromium.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
set +e
# Three workers on two cores (NTE_TEST_WORKERS=0 runs in one process): with two, the cores sat
# about 30 % idle while workers waited on Chromium, PostGIS and live servers; a third cut the time
# per test by about 6 % (CI, user+sys over wall: 71 % -> 73 %). Each worker has its
# own PostGIS cluster, databases and live server; a file's tests stay on one worker, so its module
# fixtures and its order hold.
.venv/bin/python -m pytest -p no:cacheprovider -n "${NTE_TEST_WORKERS:-3}" --dist loadfile "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
