"""Every route x every role: nobody reaches what their role does not allow.

Each route must declare its access with exactly one dependency carrying ``allowed_roles``
(``public``, ``require_roles``, ``require_page_roles``, ``signed_in_page``). A new route that
declares none fails this test. Denied callers get 401/403 (API) or a redirect to sign-in /
403 (pages); allowed callers never do (they may still get 404/405/422 from dummy inputs)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from nte.auth.models import Role
from tests.factories import login, make_user

ROLES = [None, *[r.value for r in Role]]


def _access(route: APIRoute):
    found = []

    def walk(dependant):
        for dep in dependant.dependencies:
            if dep.call is not None and hasattr(dep.call, "allowed_roles"):
                found.append(dep.call)
            walk(dep)

    walk(route.dependant)
    return found


#: How many routes the app serves today. A walk that finds fewer has lost routes, or stopped
#: seeing them (as when FastAPI 0.165 turned ``app.routes`` into included-router entries and the
#: old walk over ``app.routes`` found 0 and passed). Raise it when you add routes.
ROUTES_TODAY = 249
#: How many of them the OpenAPI document lists (the JSON API; pages are not in it).
OPERATIONS_TODAY = 82


def _routes(app):
    """Every route the app serves, from the routers ``create_app`` includes (``nte.app.ROUTERS``)."""
    from nte.app import ROUTERS

    routes = []
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute), (
                f"router {router.prefix or '/'} holds a {type(route).__name__}: list each router in "
                "nte.app.ROUTERS instead of including one router in another"
            )
            routes.append(route)
    assert len(routes) >= ROUTES_TODAY, f"the walk found {len(routes)} routes; the app serves {ROUTES_TODAY}"
    return routes


def test_the_walk_covers_every_documented_operation(app):
    walked = {(method, re.sub(r":\w+}", "}", r.path)) for r in _routes(app) for method in r.methods}
    documented = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert len(documented) >= OPERATIONS_TODAY, f"only {len(documented)} operations in the OpenAPI document"
    missing = sorted(documented - walked)
    assert not missing, f"served and documented, but not walked: {missing}"


def test_every_route_declares_its_access(app):
    missing = [f"{sorted(r.methods)} {r.path}" for r in _routes(app) if len(_access(r)) != 1]
    assert not missing, f"routes without exactly one access declaration: {missing}"


# Who each area of the site is for, stated apart from the code: a route whose declared roles differ
# from its area's fails, so widening a page to a wrong role needs a change here too, in review.
# First match wins. ``None`` = everyone (signed in or not).
ALL_SIGNED_IN = frozenset(r.value for r in Role)
OFFICERS = frozenset({"officer", "admin"})
STAFF = OFFICERS | {"coordinator"}
COORDINATORS = frozenset({"coordinator", "admin"})
VOLUNTEERS = frozenset({"volunteer"})
MANAGERS = frozenset({"venue_manager"})
AUDIENCES: list[tuple[str | None, str, frozenset[str] | None]] = [
    (None, r"^/(healthz|about/.+|login|confirm-email|map|report(/status)?|help-now|venues(/.+)?)?$", None),
    # "Forgot your password?" and an invitation's link: the one-time token in the link is the key.
    (None, r"^/(password-reset(/\{token\})?|invite/\{token\})$", None),
    (None, r"^/volunteer/apply$", None),  # anyone may apply to volunteer
    (None, r"^/(logout|account(/.+)?)$", ALL_SIGNED_IN),
    ("GET", r"^/api/docs$", None),  # the API's documentation (nte/web/docs.py)
    ("POST", r"^/api/auth/token$", None),  # exchanging a password for a token needs no token
    (None, r"^/api/auth/", ALL_SIGNED_IN),
    (None, r"^/api/(boroughs|wards|ward-vintages)", None),  # public boundaries, in any vintage
    (None, r"^/api/maps/public/", None),
    ("GET", r"^/api/places(/postcode/\{postcode\})?$", None),  # place search: public places only
    (None, r"^/api/maps/coordinator$", STAFF),
    (None, r"^/api/maps/", OFFICERS),
    ("POST", r"^/api/reports$", None),  # anonymous reporting
    ("GET", r"^/api/reports/receipts/", None),  # the receipt code is the reporter's only key
    (None, r"^/api/reports", OFFICERS),
    ("GET", r"^/api/patrols/feed/\{token\}\.ics$", None),  # the feed token is the credential
    (None, r"^/api/patrols/(areas\.geojson|reports/monthly)$", STAFF),
    ("GET", r"^/api/patrols/shifts$", COORDINATORS | VOLUNTEERS),
    ("POST", r"^/api/patrols/shifts/\{shift_id\}/debrief$", COORDINATORS | VOLUNTEERS),
    # A volunteer's own shift's area; the service answers 404 for any shift they are not on.
    ("GET", r"^/api/patrols/me/shifts/\{shift_id\}/area\.geojson$", VOLUNTEERS),
    (None, r"^/api/patrols/(shifts/\{shift_id\}/(signup|offer|check-in|home-safe)$|me/)", VOLUNTEERS),
    (None, r"^/api/patrols/", COORDINATORS),
    (None, r"^/api/venues(/sign-ups|\.geojson)$", None),
    (None, r"^/api/venues/", OFFICERS),
    (None, r"^/api/safe-spaces(\.geojson|/nearest)$", None),
    ("GET", r"^/api/safe-spaces/\{space_id\}$", None),
    ("POST", r"^/api/safe-spaces/\{space_id\}/proposals$", OFFICERS | MANAGERS),
    (None, r"^/api/safe-spaces", OFFICERS),
    (None, r"^/admin", frozenset({"admin"})),
    (None, r"^/officer", OFFICERS),
    (None, r"^/coordinator/(maps|reports/monthly)", STAFF),
    (None, r"^/coordinator", COORDINATORS),
    (None, r"^/volunteer", VOLUNTEERS),
    (None, r"^/venue-portal/evidence/", OFFICERS | MANAGERS),
    (None, r"^/venue-portal", MANAGERS),
    (None, r"^/safe-spaces/mine", OFFICERS | MANAGERS),
    # OGC API - Features (nte/ogc): each restricted collection's every route, then the public rest.
    (None, r"^/ogc/collections/(reports|hotspot-cells|venue-register)(/|$)", OFFICERS),
    (None, r"^/ogc/collections/(patrol-areas|patrol-shifts)(/|$)", COORDINATORS),
    (None, r"^/ogc(/|$)", None),
]


def _audience(method: str, path: str) -> tuple[bool, frozenset[str] | None]:
    for rule_method, pattern, who in AUDIENCES:
        if rule_method in (None, method) and re.search(pattern, path):
            return True, who
    return False, None


def test_each_route_admits_the_audience_its_area_promises(app):
    problems = []
    checked = 0
    for route in _routes(app):
        (access,) = _access(route)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found, who = _audience(method, re.sub(r":\w+}", "}", route.path))
            checked += 1
            if not found:
                problems.append(f"{method} {route.path}: no area in AUDIENCES; say who it is for")
            elif access.allowed_roles != who:
                declared = "everyone" if access.allowed_roles is None else sorted(access.allowed_roles)
                expected = "everyone" if who is None else sorted(who)
                problems.append(f"{method} {route.path} admits {declared}; its area is for {expected}")
    assert checked >= ROUTES_TODAY, f"only {checked} route methods checked"
    assert not problems, "\n".join(problems)


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _documented_errors(app) -> dict[tuple[str, str], dict[int, set[str]]]:
    """(METHOD, path) -> status -> the ``error`` codes the OpenAPI document lists for it."""
    documented: dict[tuple[str, str], dict[int, set[str]]] = {}
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            documented[(method.upper(), path)] = {
                int(status): set(entry.get("x-error-codes", []))
                for status, entry in operation.get("responses", {}).items()
                if status.isdigit() and int(status) >= 400
            }
    assert documented, "the OpenAPI document lists no operations"
    return documented


def _undocumented(documented, method: str, path: str, response) -> str | None:
    """Why an error answer of a documented operation is not in the document, or None."""
    statuses = documented[(method, path)]
    if response.status_code not in statuses:
        return f"{method} {path} answered {response.status_code}; it documents {sorted(statuses)}"
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    if code is not None and code not in statuses[response.status_code]:
        documented_codes = sorted(statuses[response.status_code])
        return f"{method} {path} answered {response.status_code} {code!r}; it documents {documented_codes}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_route_role_matrix(app, client, db, role):
    csrf = None
    if role:
        csrf = login(client, db, make_user(db, role=role))
    problems = []
    requests = 0
    # The OpenAPI document must tell the truth: every error an operation answers with here is one
    # it documents, with its code (nte/web/openapi.py reads them from the code).
    documented = _documented_errors(app)
    undocumented = []
    checked = 0
    # Sign-out ends the caller's own session: it goes last, or every route after it would be refused.
    routes = sorted(_routes(app), key=lambda r: bool(getattr(_access(r)[0], "ends_session", False)))
    assert sum(bool(getattr(_access(r)[0], "ends_session", False)) for r in routes) == 1, "one sign-out route"
    for route in routes:
        (access,) = _access(route)
        allowed = access.allowed_roles is None or (role is not None and role in access.allowed_roles)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            headers = {"accept": "text/html" if access.is_page else "application/json"}
            if csrf:
                headers["X-CSRF-Token"] = csrf
            r = client.request(method, _fill(route.path), headers=headers, follow_redirects=False)
            requests += 1
            denied = r.status_code in (401, 403) or (
                r.status_code == 303 and r.headers.get("location", "").startswith("/login")
            )
            csrf_refusal = r.status_code == 403 and "csrf" in r.text.lower()
            if allowed and denied and not csrf_refusal:
                problems.append(f"{role} was refused {method} {route.path} ({r.status_code})")
            if not allowed and not denied:
                problems.append(f"{role} reached {method} {route.path} ({r.status_code})")
            if r.status_code >= 500:
                problems.append(f"{role}: {method} {route.path} gave {r.status_code}")
            operation = (method, re.sub(r":\w+}", "}", route.path))
            if r.status_code >= 400 and operation in documented:
                checked += 1
                if why := _undocumented(documented, *operation, r):
                    undocumented.append(f"{role}: {why}")
    assert requests >= ROUTES_TODAY, f"only {requests} requests made"
    assert checked > 0, "no error answer of a documented operation was checked against the document"
    assert not undocumented, "answers the OpenAPI document does not list:\n" + "\n".join(undocumented)
    if role:
        after = client.get("/account", follow_redirects=False)
        if not (after.status_code == 303 and after.headers["location"].startswith("/login")):
            problems.append(f"{role} was still signed in after POST /logout ({after.status_code})")
    assert not problems, "\n".join(problems)
