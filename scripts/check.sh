#!/usr/bin/env bash
# The project's own checks, as CI runs them (make check): lint, format, types, and that the locks
# are what pyproject.toml gives. Fails on the first problem.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev >/dev/null
paths=(nte tests bench migrations main.py)
echo "ruff check";          .venv/bin/ruff check "${paths[@]}"
echo "ruff format --check"; .venv/bin/ruff format --check "${paths[@]}"
echo "mypy nte";            .venv/bin/mypy nte
echo "lock";                scripts/lock.sh --check
