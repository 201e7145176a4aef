#!/usr/bin/env bash
# Installs what NTE Safe needs on Debian 12: system packages (when run as root; otherwise it
# prints the exact command and stops) and a virtual environment in .venv with exactly the locked
# Python packages (requirements/*.lock, hashes checked; scripts/lock.sh makes them).
# Usage: scripts/bootstrap.sh [runtime|test|dev]
#   runtime  the service (requirements/runtime.lock)
#   test     + PostgreSQL/PostGIS, Chromium and GDAL, and the test, benchmark and check tools (requirements/dev.lock),
#            and the OGC API test suite in its own venv, .venv-ogctests (requirements/ogctests.lock)
#   dev      the tools without the test servers (requirements/dev.lock): make lock, lint, fmt, typecheck
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-runtime}"
packages=(python3 python3-venv python3-dev libsqlite3-mod-spatialite)
if [ "$profile" = "test" ]; then
  packages+=(postgresql-15 postgresql-15-postgis-3 chromium fonts-dejavu-core nginx gdal-bin)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "NTE Safe needs these Debian packages. Install them, then run this again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# Debian's python3 can load SQLite extensions (SpatiaLite); pyenv builds often cannot.
PY=/usr/bin/python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
case "$profile" in
  runtime) lock=requirements/runtime.lock ;;
  test|dev) lock=requirements/dev.lock ;;
  *) echo "usage: scripts/bootstrap.sh [runtime|test|dev]" >&2; exit 2 ;;
esac
stamp=".venv/.installed-$(cat "$lock" pyproject.toml | sha256sum | cut -c1-16)-$(basename "$lock")"
if [ ! -f "$stamp" ]; then
  # Exactly the locked versions, each checked against its hash; nothing resolved today.
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r "$lock"
  # NTE Safe itself, editable, built with the locked setuptools (no build environment to fetch).
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . \
    >.venv/editable-install.log 2>&1 || { cat .venv/editable-install.log >&2; exit 1; }
  .venv/bin/python -m pip check -q >/dev/null || { .venv/bin/python -m pip check; exit 1; }
  touch "$stamp"
fi

# The OGC API - Features test suite (tests/ogc/test_ogctests.py) pins httpx<0.28 and pytest<9: its
# own venv, exactly its own lock, run by the tests as a separate process against a live server.
if [ "$profile" = "test" ]; then
  lock=requirements/ogctests.lock
  [ -x .venv-ogctests/bin/python ] || "$PY" -m venv .venv-ogctests
  stamp=".venv-ogctests/.installed-$(sha256sum <"$lock" | cut -c1-16)-$(basename "$lock")"
  if [ ! -f "$stamp" ]; then
    .venv-ogctests/bin/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r "$lock"
    .venv-ogctests/bin/python -m pip check -q >/dev/null || { .venv-ogctests/bin/python -m pip check; exit 1; }
    touch "$stamp"
  fi
fi
