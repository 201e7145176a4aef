"""Schemathesis against our own OpenAPI schema: every operation, anonymous and with an officer's
bearer token. No 5xx, and responses match the schema. Examples per operation are bounded here
(NTE_SCHEMATHESIS_EXAMPLES, default 15); `make fuzz` / bench/fuzz_api.sh runs a longer campaign."""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, settings

from tests.factories import bearer, make_user

EXAMPLES = int(os.environ.get("NTE_SCHEMATHESIS_EXAMPLES", "15"))


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


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@schema.parametrize()
@SETTINGS
def test_api_conforms_anonymous(case, app):
    case.call_and_validate(app=app, checks=_checks())


@schema.parametrize()
@SETTINGS
def test_api_conforms_as_officer(case, app, db):
    case.call_and_validate(app=app, headers=bearer(db, make_user(db, role="officer")), checks=_checks())
