#!/usr/bin/env bash
# make upgrade-check: what the newest allowed versions would do, before a user meets them. Resolves
# pyproject.toml afresh (--upgrade) into a throwaway venv, prints what moved against the lock, and
# runs the quick suite there. Changes nothing in the checkout; to take the upgrade, run
# `make lock LOCK_ARGS=--upgrade`, then the whole suite, and commit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes --no-header --no-annotate \
  --upgrade pyproject.toml requirements/build.in --extra test --extra bench --extra dev -o "$work/newest.lock"
pins() { grep -E '^[a-z0-9]' "$1" | sed 's/ .*//' | sort; }
echo "Moved against requirements/dev.lock (locked -> newest):"
join -t= -j1 <(pins requirements/dev.lock | tr -s '=' ) <(pins "$work/newest.lock" | tr -s '=') \
  | awk -F= '$2 != $3 {printf "  %-28s %s -> %s\n", $1, $2, $3; n++} END {if (!n) print "  nothing"}'
/usr/bin/python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r "$work/newest.lock"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . \
  >"$work/editable.log" 2>&1 || { cat "$work/editable.log" >&2; exit 1; }
"$work/venv/bin/python" -m pip check
# The lock test would fail by design here (this venv is not the locked one); everything else must pass.
NTE_TEST_BACKENDS=spatialite "$work/venv/bin/python" -m pytest -p no:cacheprovider -q \
  -m "not browser and not slow" --deselect tests/test_lock.py::test_every_locked_package_is_installed_at_its_locked_version
