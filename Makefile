# The few commands everyone runs. The README's two set-up commands are scripts/demo.sh and scripts/test.sh.
PY := .venv/bin/python
PATHS := nte tests bench migrations main.py

.PHONY: demo test quick check lint fmt typecheck lock upgrade-check fuzz bench load

demo:            ## set up, load demo data, serve http://127.0.0.1:8000
	scripts/demo.sh

test:            ## the whole suite (SpatiaLite + PostGIS + browser), as CI runs it
	scripts/test.sh

quick:           ## the quick loop: one database, no browser or multi-process tests
	NTE_TEST_BACKENDS=spatialite scripts/test.sh -q -m "not browser and not slow" -x

check:           ## lint, format, types and the lock, as CI runs them
	scripts/check.sh

lint:
	scripts/bootstrap.sh dev >/dev/null && .venv/bin/ruff check $(PATHS)

fmt:             ## format and fix what ruff can
	scripts/bootstrap.sh dev >/dev/null && .venv/bin/ruff format $(PATHS) && .venv/bin/ruff check --fix $(PATHS)

typecheck:
	scripts/bootstrap.sh dev >/dev/null && .venv/bin/mypy nte

lock:            ## regenerate requirements/*.lock from pyproject.toml (LOCK_ARGS=--upgrade for newest)
	scripts/lock.sh $(LOCK_ARGS)

upgrade-check:   ## the newest allowed versions in a throwaway venv, with the quick suite: drift before a user sees it
	scripts/upgrade-check.sh

fuzz:            ## a longer Schemathesis campaign against every API operation, on both databases
	NTE_SCHEMATHESIS_EXAMPLES=200 NTE_SCHEMATHESIS_BACKENDS=spatialite,postgis \
		scripts/test.sh -q tests/test_schemathesis.py

bench:           ## every benchmark, side by side with its reference tool
	$(PY) bench/run_all.py

load:            ## load test: several uvicorn workers on PostGIS, loopback only
	$(PY) bench/bench_load.py --seconds 30 --workers 4
