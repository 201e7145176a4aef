"""Every page, in the states its refusals and errors put it in, renders: a walk over every page route
(not the JSON API) as a person it is for, on real objects (a venue and its manager, a shift with a
volunteer signed up, a series, a report, a safe space), sending each form empty and then with a
wrong value in every field.

What it proves, per route: nothing answers 500, and a refused or wrong form comes back as a page
(HTML, with the reason in it), never a raw JSON body. This is the guard the volunteer pages lacked
when "Check in" four days early crashed with ``'_' is undefined`` (an error summary imported without
its context): that crash was a 500 on exactly such a POST."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute

from nte.db import utcnow
from nte.patrols import service as patrols
from nte.patrols.models import ShiftSeries
from tests.factories import (
    login,
    make_patrol_area,
    make_report,
    make_safe_space,
    make_shift,
    make_user,
    make_venue,
    make_volunteer,
)
from tests.test_access_matrix import _access, _routes

#: Which role walks a route open to several: the one with the most to lose (the volunteer on the
#: shift, the venue's own manager) before the wider staff roles.
PREFERENCE = ("volunteer", "venue_manager", "coordinator", "officer", "admin")
#: Downloads, feeds and the sign-out: not pages with states.
NOT_PAGES = re.compile(r"(\.csv|\.geojson|\.ics|\.json|/export\.html)$|^/(logout|healthz)$|^/venue-portal/evidence/")
#: What a person might type wrongly into any box.
WRONG = "not a value <b>"
#: How many page routes there are today (GET and POST). A walk that finds fewer has lost them.
PAGE_ROUTES_TODAY = 98


@pytest.fixture()
def world(db):
    """Real objects the page routes' ids point at, and a signed-in user per role."""
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db, actor=coordinator)
    shift = make_shift(db, area=area)
    volunteer = make_volunteer(db)
    signup = patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=utcnow())
    series = ShiftSeries(
        area_id=area.id,
        name="Friday nights",
        rrule="FREQ=WEEKLY;BYDAY=FR",
        start_date=utcnow().date() + timedelta(days=1),
        start_time=shift.start_at.time().replace(hour=22, minute=0),
        end_time=shift.start_at.time().replace(hour=3, minute=0),
        min_volunteers=2,
        max_volunteers=6,
        min_team_leads=0,
    )
    db.add(series)
    venue = make_venue(db, status="verified")
    report, receipt = make_report(db)
    space = make_safe_space(db)
    db.flush()
    users = {
        "coordinator": coordinator,
        "volunteer": db.get(patrols.User, volunteer.user_id),
        "venue_manager": db.get(patrols.User, venue.manager_user_id),
        "officer": make_user(db, role="officer"),
        "admin": make_user(db, role="admin"),
    }
    ids = {
        "shift_id": shift.id,
        "signup_id": signup.id,
        "series_id": series.id,
        "volunteer_id": volunteer.id,
        "venue_id": venue.id,
        "report_id": report.id,
        "space_id": space.id,
        "code": receipt,
        "token": "a-link-that-was-never-sent",
    }
    return users, ids


def _path(route: APIRoute, ids: dict) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(ids.get(m.group(1), 1)), route.path)


def _who(route: APIRoute) -> str | None:
    (access,) = _access(route)
    if access.allowed_roles is None:
        return None
    return next(r for r in PREFERENCE if r in access.allowed_roles)


def _form_fields(route: APIRoute) -> list[str]:
    return [p.alias for p in route.dependant.body_params if p.alias not in ("csrf_token",)]


def test_every_page_renders_its_refusals_and_errors(app, client, db, world):
    users, ids = world
    routes = [r for r in _routes(app) if not r.path.startswith("/api") and not NOT_PAGES.search(r.path)]
    assert len(routes) >= PAGE_ROUTES_TODAY, f"the walk found {len(routes)} page routes"
    by_role: dict[str | None, list[APIRoute]] = {}
    for route in routes:
        by_role.setdefault(_who(route), []).append(route)

    problems: list[str] = []
    posts = refused_as_pages = 0
    for role, mine in by_role.items():
        client.cookies.clear()
        headers = {"accept": "text/html"}
        if role is not None:
            headers["X-CSRF-Token"] = login(client, db, users[role])
        # GETs first, then POSTs: a POST may change the object (cancel the shift) and the later
        # pages must still render in the state it leaves.
        for route in sorted(mine, key=lambda r: "POST" in r.methods):
            path = _path(route, ids)
            for method in sorted(route.methods & {"GET", "POST"}):
                if method == "GET":
                    attempts = [None]
                else:
                    fields = _form_fields(route)
                    attempts = [{}, dict.fromkeys(fields, WRONG)] if fields else [{}]
                for form in attempts:
                    r = client.request(method, path, data=form, headers=headers, follow_redirects=False)
                    where = f"{role or 'anyone'}: {method} {path} {'' if form is None else sorted(form)}"
                    if r.status_code >= 500:
                        problems.append(f"{where} gave {r.status_code}: {r.text[:200]}")
                        continue
                    if method == "POST":
                        posts += 1
                    if 400 <= r.status_code < 500 and r.status_code != 404:
                        kind = r.headers.get("content-type", "")
                        if not kind.startswith("text/html"):
                            problems.append(f"{where} answered {r.status_code} with {kind}: {r.text[:200]}")
                        elif "<main" not in r.text:
                            problems.append(f"{where} answered {r.status_code} without a page")
                        else:
                            refused_as_pages += method == "POST"
    # The walk reached real forms and real refusals, not only 404s for missing objects.
    assert posts >= 60, f"only {posts} form posts were made"
    assert refused_as_pages >= 40, f"only {refused_as_pages} posts were refused with a page"
    assert not problems, "\n".join(problems)


def test_the_walk_refuses_on_the_objects_it_made(client, db, world):
    """The world is what the walk needs: the volunteer is on the shift, so their check-in days early
    is refused by the rules (409, a page naming the reason), not a 404 for somebody else's shift."""
    users, ids = world
    csrf = login(client, db, users["volunteer"])
    r = client.post(
        f"/volunteer/shifts/{ids['shift_id']}/check-in",
        headers={"accept": "text/html", "X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 409 and r.headers["content-type"].startswith("text/html")
    assert "check in" in r.text.lower()
    assert db.scalar(sa.select(sa.func.count()).select_from(ShiftSeries)) >= 1
