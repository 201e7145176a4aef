"""The OpenAPI document tells the truth about errors (nte/web/openapi.py): each operation lists the
statuses and ``error`` codes its code can answer with, not every status there is. The route x role
matrix (tests/test_access_matrix.py) checks the answers it observes against the same document."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from nte.patrols.exceptions import SIGNUP_RULES
from nte.web.openapi import Analysis, answers_by_operation

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def api():
    from nte.app import create_app
    from nte.config import get_settings

    return create_app(get_settings(), check_db=False)


@pytest.fixture(scope="module")
def doc(api) -> dict:
    return api.openapi()


def _operations(doc: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def _errors(doc: dict, method: str, path: str) -> dict[int, set[str]]:
    responses = doc["paths"][path][method.lower()]["responses"]
    return {int(s): set(r["x-error-codes"]) for s, r in responses.items() if s.isdigit() and int(s) >= 400}


# --- (a) known operations document what they answer ------------------------------------------------


def test_the_patrol_sign_up_documents_every_refusal_rule(doc):
    errors = _errors(doc, "POST", "/api/patrols/shifts/{shift_id}/signup")
    assert set(SIGNUP_RULES) <= errors[409], f"sign-up refusals missing: {set(SIGNUP_RULES) - errors[409]}"
    assert "no_volunteer_profile" in errors[404]
    assert errors[401] == {"not_authenticated"}
    assert {"forbidden", "csrf_failed"} <= errors[403]
    assert "invalid" in errors[422]


def test_the_venue_status_change_documents_the_state_machine_refusals(doc):
    errors = _errors(doc, "POST", "/api/venues/{venue_id}/status")
    assert {"transition_refused", "resubmit_refused", "renewal_not_open", "already_renewed"} <= errors[409]
    assert "venue_not_found" in errors[404]
    assert {"forbidden", "not_your_venue", "action_not_allowed_for_role"} <= errors[403]


def test_a_public_get_without_input_documents_no_access_or_validation_errors(doc):
    errors = _errors(doc, "GET", "/api/ward-vintages")
    assert not {401, 403, 422} & set(errors), errors
    assert errors == {503: {"database_unavailable"}}
    # Public, with a query: validation, but nobody is refused.
    errors = _errors(doc, "GET", "/api/safe-spaces/nearest")
    assert 422 in errors and not {401, 403} & set(errors), errors


def test_answers_returned_rather_than_raised_are_documented(doc):
    # The token exchange returns the sign-in refusals (so the failed-attempt count commits).
    errors = _errors(doc, "POST", "/api/auth/token")
    assert "bad_credentials" in errors[401]
    assert "login_throttled" in errors[429]
    # /healthz answers 503 with its own body, built by hand.
    health = doc["paths"]["/healthz"]["get"]["responses"]
    assert set(health) == {"200", "503"}


def test_rate_limits_and_media_types_are_where_they_apply(doc):
    assert "rate_limited" in _errors(doc, "POST", "/api/reports")[429]
    assert "rate_limited" in _errors(doc, "GET", "/api/reports/receipts/{code}")[429]
    assert "rate_limited" in _errors(doc, "POST", "/api/venues/sign-ups")[429]
    assert "unsupported_media_type" in _errors(doc, "POST", "/api/safe-spaces/import")[415]
    with_415 = [f"{m} {p}" for m, p, op in _operations(doc) if "415" in op["responses"]]
    assert with_415 == ["POST /api/safe-spaces/import"], with_415


def test_a_get_never_documents_a_csrf_refusal(doc):
    gets = [(p, op) for m, p, op in _operations(doc) if m == "GET"]
    assert gets
    wrong = [p for p, op in gets if "csrf_failed" in op["responses"].get("403", {}).get("x-error-codes", [])]
    assert not wrong, wrong


def test_each_documented_error_lists_its_codes_with_the_error_schema_and_examples(doc):
    entries = [
        (f"{m} {p} {s}", r)
        for m, p, op in _operations(doc)
        for s, r in op["responses"].items()
        if s.isdigit() and int(s) >= 400
    ]
    assert entries
    problems = []
    for where, entry in entries:
        media = entry["content"]["application/json"]
        codes = entry["x-error-codes"]
        if not codes:  # a body built by hand (/healthz): no Error schema claimed
            if media["schema"] != {"type": "object"}:
                problems.append(f"{where}: no codes but the Error schema")
            continue
        if media["schema"] != {"$ref": "#/components/schemas/Error"}:
            problems.append(f"{where}: not the Error schema")
        if sorted(media["examples"]) != sorted(codes):
            problems.append(f"{where}: examples {sorted(media['examples'])} != codes {codes}")
        missing = [c for c in codes if f"`{c}`" not in entry["description"]]
        if missing:
            problems.append(f"{where}: description does not name {missing}")
    assert not problems, "\n".join(problems)
    assert doc["components"]["schemas"]["Error"]["required"] == ["error", "detail"]


def test_declared_success_and_redirect_responses_are_kept(doc):
    geojson = doc["paths"]["/api/venues.geojson"]["get"]["responses"]
    assert geojson["304"]["description"] == "Not modified"
    assert "application/geo+json" in geojson["200"]["content"]
    assert "202" in doc["paths"]["/api/venues/sign-ups"]["post"]["responses"]
    assert "text/csv" in doc["paths"]["/api/reports/export.csv"]["get"]["responses"]["200"]["content"]


def test_the_answers_are_computed_once_per_app(api):
    assert api.openapi() is api.openapi()
    assert answers_by_operation(api) is answers_by_operation(api)


# --- (c) a documented set is not "everything" -------------------------------------------------------


def _reads_input(operation: dict) -> bool:
    return bool(operation.get("parameters") or operation.get("requestBody"))


def test_no_operation_documents_every_status(doc):
    operations = list(_operations(doc))
    assert len(operations) > 50
    counts = {f"{m} {p}": sum(s.isdigit() and int(s) >= 400 for s in op["responses"]) for m, p, op in operations}
    assert min(counts.values()) < 4, "every operation documents four or more error statuses"
    assert len(set(counts.values())) > 3, f"every operation documents about the same errors: {set(counts.values())}"


def test_no_operation_documents_a_status_its_code_cannot_answer(doc, api):
    """Facts read from the document and the route alone, not from the analysis: a body status
    needs a request body, validation needs input (or a rule of the operation's own), a plain 401
    needs an access check or the caller's credentials read, and every status names at least one code."""
    from nte.web.openapi import api_routes, dependants

    reads_credentials = {}
    for route in api_routes(api):
        calls = [d.call for d in dependants(route.dependant)]
        checks = any(getattr(c, "allowed_roles", None) is not None for c in calls) or any(
            getattr(c, "__name__", "") == "get_principal" for c in calls
        )
        for method in route.methods:
            reads_credentials[(method, route.path_format)] = checks
    problems = []
    operations = list(_operations(doc))
    assert operations
    for method, path, operation in operations:
        statuses = {int(s): r for s, r in operation["responses"].items() if s.isdigit() and int(s) >= 400}
        for status in (400, 413, 415):
            if status in statuses and "requestBody" not in operation:
                problems.append(f"{method} {path} documents {status} but takes no body")
        if 422 in statuses and not _reads_input(operation) and statuses[422].get("x-error-codes") == ["invalid"]:
            problems.append(f"{method} {path} documents 422 `invalid` but takes no input")
        if (
            401 in statuses
            and statuses[401].get("x-error-codes") == ["not_authenticated"]
            and not reads_credentials[(method, path)]
        ):
            problems.append(f"{method} {path} documents 401 but never reads credentials")
        if 405 in statuses:
            problems.append(f"{method} {path} documents 405 for its own method")
        for status, entry in statuses.items():
            if not entry.get("x-error-codes") and path != "/healthz":
                problems.append(f"{method} {path} documents {status} without a code")
    assert not problems, "\n".join(problems)


# --- the analysis follows code wherever it lives -----------------------------------------------------

PROBE = {
    # A service split into a package: the names re-exported by its __init__.
    "service_signups": """
        from nte.errors import Conflict, NotFound

        class Refused(Conflict):
            def __init__(self, code: str, detail: str) -> None:
                super().__init__(detail, code=code)

        def _eligibility(ok):
            if not ok:
                return ("probe_inactive", "Not active.")
            return None

        def refusal(ok):
            return None if ok else NotFound("Gone.", code="probe_gone")

        def book(ok):
            problem = _eligibility(ok)
            if problem is not None:
                raise Refused(problem[0], problem[1])
            found = refusal(ok)
            if found is not None:
                raise found
            try:
                _quiet()
            except NotFound:
                pass
            raise Refused("probe_full", "Full.")

        def _quiet():
            raise NotFound("Caught by the caller.", code="probe_caught")

        def walk_up(n):
            if n:
                walk_down(n - 1)
            raise NotFound("Up.", code="probe_up")

        def walk_down(n):
            walk_up(n)
            raise Conflict("Down.", code="probe_down")
    """,
    "service": """
        from nte._openapi_probe.service_signups import book, walk_down, walk_up
    """,
    "router": """
        from nte._openapi_probe import service

        def endpoint(ok: bool):
            return service.book(ok)

        def up(n: int):
            return service.walk_up(n)

        def down(n: int):
            return service.walk_down(n)
    """,
}


@pytest.fixture()
def probe(tmp_path: Path):
    names = []
    for name, source in PROBE.items():
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        full = f"nte._openapi_probe.{name}"
        spec = importlib.util.spec_from_file_location(full, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        names.append(full)
    package = type(sys)("nte._openapi_probe")
    sys.modules["nte._openapi_probe"] = package
    for full in names:
        spec_module = sys.modules[full]
        spec_module.__spec__.loader.exec_module(spec_module)  # type: ignore[union-attr]
        setattr(package, full.rsplit(".", 1)[1], spec_module)
    yield sys.modules["nte._openapi_probe.router"]
    for full in [*names, "nte._openapi_probe"]:
        sys.modules.pop(full, None)


def test_the_analysis_follows_re_exports_helpers_and_handlers(probe):
    found = {(r.cls.status_code, r.code) for r in Analysis().raises(probe.endpoint)}
    assert found == {(409, "probe_inactive"), (409, "probe_full"), (404, "probe_gone")}, found


def test_a_cycle_of_calls_is_read_whole_from_either_end(probe):
    analysis = Analysis()
    both = {(404, "probe_up"), (409, "probe_down")}
    # walk_down is first met inside the cycle walk_up -> walk_down -> walk_up: not remembered half-read.
    assert {(r.cls.status_code, r.code) for r in analysis.raises(probe.up)} == both
    assert {(r.cls.status_code, r.code) for r in analysis.raises(probe.down)} == both
