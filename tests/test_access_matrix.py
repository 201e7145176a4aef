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


def _routes(app):
    return [r for r in app.routes if isinstance(r, APIRoute)]


def test_every_route_declares_its_access(app):
    missing = [f"{sorted(r.methods)} {r.path}" for r in _routes(app) if len(_access(r)) != 1]
    assert not missing, f"routes without exactly one access declaration: {missing}"


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("role", ROLES)
def test_route_role_matrix(app, client, db, role):
    csrf = None
    if role:
        csrf = login(client, db, make_user(db, role=role))
    problems = []
    for route in _routes(app):
        (access,) = _access(route)
        allowed = access.allowed_roles is None or (role is not None and role in access.allowed_roles)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            headers = {"accept": "text/html" if access.is_page else "application/json"}
            if csrf:
                headers["X-CSRF-Token"] = csrf
            r = client.request(method, _fill(route.path), headers=headers, follow_redirects=False)
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
    assert not problems, "\n".join(problems)
