"""Schemathesis against our own OpenAPI schema: every operation, anonymous and with an officer's
bearer token. No 5xx, and responses match the schema. Examples per operation are bounded here
(NTE_SCHEMATHESIS_EXAMPLES, default 10, on PostGIS); `make fuzz` runs a longer campaign on both databases."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.factories import bearer, make_user
from tests.test_access_matrix import OPERATIONS_TODAY

EXAMPLES = int(os.environ.get("NTE_SCHEMATHESIS_EXAMPLES", "10"))
# The production database by default (the SpatiaLite run takes as long again and finds the same
# schema problems); NTE_SCHEMATHESIS_BACKENDS=spatialite,postgis for both.
BACKENDS = os.environ.get("NTE_SCHEMATHESIS_BACKENDS", "postgis").split(",")


def _schema():
    from nte.app import create_app
    from nte.config import get_settings

    # The schema only: each test calls the per-test app (bound to the rolled-back test connection).
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(get_settings(), check_db=False))


schema = _schema()


def _checks():
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


#: Requests made by this run, per backend and caller (printed at the end of the module, with ``-s``).
CALLS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_calls():
    yield
    if CALLS:
        print("\nschemathesis requests: " + ", ".join(f"{k} {v}" for k, v in sorted(CALLS.items())))


def _count(backend: str, who: str) -> None:
    key = f"{backend}/{who}"
    CALLS[key] = CALLS.get(key, 0) + 1


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@pytest.fixture()
def fuzz_app(app, backend):
    if backend not in BACKENDS:
        pytest.skip(f"schemathesis runs on {', '.join(BACKENDS)} (NTE_SCHEMATHESIS_BACKENDS)")
    return app


@pytest.fixture()
def officer_headers(db) -> dict[str, str]:
    return bearer(db, make_user(db, role="officer"))


def test_the_fuzzed_schema_lists_every_operation():
    # An empty or shrunken schema would make the two tests below fewer, or skip them, and stay green.
    operations = list(schema.get_all_operations())
    assert len(operations) >= OPERATIONS_TODAY, (
        f"schemathesis sees {len(operations)} API operations; the app documented {OPERATIONS_TODAY}"
    )


@schema.parametrize()
@SETTINGS
def test_api_conforms_anonymous(case, fuzz_app, backend):
    _count(backend, "anonymous")
    case.call_and_validate(app=fuzz_app, checks=_checks())


@schema.parametrize()
@SETTINGS
def test_api_conforms_as_officer(case, fuzz_app, officer_headers, backend):
    _count(backend, "officer")
    case.call_and_validate(app=fuzz_app, headers=officer_headers, checks=_checks())
