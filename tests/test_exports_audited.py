"""Every export is audited: each route that hands out a file (``Content-Disposition: attachment``)
answers a permitted user with the file AND writes an ``audit_event`` whose action ends in
``.export`` (``nte.web.downloads.download`` does both), so the audit log answers "who took a copy
of what" for every export, not only some.

``EXPORTS`` lists every export route; ``NOT_EXPORTS`` the file-like routes that are not downloads,
each with its reason. A route that looks like a file (its path ends in .csv, .geojson, .html or .ics,
or its path or function says export, or its code builds a download) and is in neither table fails
``test_every_file_route_is_in_a_table``."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nte.audit.models import AuditEvent
from nte.auth.models import User
from nte.config import get_settings
from tests.factories import login, make_map_report, make_report, make_user, make_venue

MONTH = {"from": "2026-10-01", "to": "2026-10-31"}


def _officer(db: Session) -> User:
    return make_user(db, role="officer")


def _coordinator(db: Session) -> User:
    return make_user(db, role="coordinator")


def _venue_manager(db: Session) -> User:
    venue = make_venue(db)
    user = db.get(User, venue.manager_user_id)
    assert user is not None
    return user


def _hotspot_officer(db: Session) -> User:
    """An officer, and a month of reports clustered in Soho among others spread over Westminster
    (so the hotspot analysis finds cells that differ)."""
    import random
    from datetime import UTC, datetime

    rng = random.Random(3)
    for i in range(40):
        when = datetime(2026, 10, 1 + i % 28, 22, tzinfo=UTC)
        make_map_report(
            db, lon=-0.1337 + rng.uniform(-0.002, 0.002), lat=51.5136 + rng.uniform(-0.001, 0.001), occurred_at=when
        )
        make_map_report(db, lon=rng.uniform(-0.18, -0.13), lat=rng.uniform(51.495, 51.515), occurred_at=when)
    return _officer(db)


def _import_errors_url(db: Session, client: TestClient, user: User, csrf: str) -> str:
    """An import with its file of rejected lines, where the upload leaves it."""
    from nte.reports.models import ReportImport

    run = ReportImport(filename="2026-10-metropolitan-street.csv", file_format="police")
    db.add(run)
    db.flush()
    folder = get_settings().upload_dir / "report-imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{run.id}-errors.csv").write_text("line,reason,detail\r\n3,no location,\r\n", encoding="utf-8")
    return f"/officer/reports/imports/{run.id}/errors.csv"


def _evidence_url(db: Session, client: TestClient, user: User, csrf: str) -> str:
    """A certificate the venue's manager uploaded through the portal."""
    from nte.venues.models import Venue, VenueEvidence

    venue = db.scalars(sa.select(Venue).where(Venue.manager_user_id == user.id)).one()
    sent = client.post(
        f"/venue-portal/uploads/{venue.id}",
        data={"csrf_token": csrf},
        files={"file": ("certificate.pdf", b"%PDF-1.4 export test")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:300]
    row = db.scalars(sa.select(VenueEvidence).where(VenueEvidence.venue_id == venue.id)).one()
    return f"/venue-portal/evidence/{row.id}"


@dataclass(frozen=True)
class Export:
    path: str  # the route's path, as declared (the key the completeness check matches)
    user: Callable[[Session], User]  # a user the route admits
    params: dict[str, str] = field(default_factory=dict)
    page: bool = False  # an HTML page route (asked with Accept: text/html), not the JSON API
    url: Callable[[Session, TestClient, User, str], str] | None = None  # makes what the route needs
    method: str = "GET"

    @property
    def id(self) -> str:
        kind = self.params.get("format", "")
        return f"{self.path}{'?format=' + kind if kind else ''}"


#: Every route that hands out a file.
EXPORTS: list[Export] = [
    Export("/api/reports/export.csv", _officer),
    Export("/api/reports/export.geojson", _officer),
    Export("/officer/reports/export.csv", _officer, page=True),
    Export("/officer/reports/export.geojson", _officer, page=True),
    Export("/officer/reports/imports/{import_id:int}/errors.csv", _officer, page=True, url=_import_errors_url),
    Export("/api/venues/register", _officer, {"format": "csv"}),
    Export("/api/venues/register", _officer, {"format": "geojson"}),
    Export("/api/maps/stats.csv", _officer, MONTH),
    Export("/api/maps/stats.geojson", _officer, MONTH),
    Export("/api/maps/hotspots.geojson", _hotspot_officer, MONTH | {"borough": "E09000033", "cell_size": "250"}),
    Export("/officer/maps/export.html", _officer, MONTH, page=True),
    Export("/coordinator/reports/monthly.csv", _coordinator, {"month": "2026-10"}, page=True),
    Export("/venue-portal/evidence/{evidence_id}", _venue_manager, page=True, url=_evidence_url),
]

#: File-like routes that are not downloads (no Content-Disposition: attachment), and why.
NOT_EXPORTS: dict[str, str] = {
    "/api/venues.geojson": "the public venue map layer, drawn by the map page",
    "/api/safe-spaces.geojson": "the public safe-space map layer, drawn by the map page",
    "/api/maps/public/wards.geojson": "the published (suppressed, rounded) public ward counts, drawn by the map",
    "/api/patrols/areas.geojson": "the patrol areas map layer, drawn by the staff pages",
    "/api/patrols/me/shifts/{shift_id}/area.geojson": "a volunteer's own shift area, drawn on their shift page",
    "/api/patrols/feed/{token}.ics": "a calendar subscription polled by calendar apps (the secret token is the key)",
    "/ogc/api.html": "the OGC API's documentation page (public); restricted OGC reads are audited as ogc.read",
}
#: The ones ``test_the_other_file_routes_hand_out_no_file`` can call without making a shift or a feed.
NOT_EXPORTS_CALLED = {
    "/api/venues.geojson": None,
    "/api/safe-spaces.geojson": None,
    "/api/maps/public/wards.geojson": None,
    "/api/patrols/areas.geojson": "coordinator",
}

FILE_PATH = re.compile(r"\.(csv|geojson|html|ics)$|export")
DOWNLOAD_CODE = re.compile(r"Content-Disposition|FileResponse|\bdownload(_file)?\(")


def _routes() -> list[APIRoute]:
    from nte.app import ROUTERS

    routes = [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    assert len(routes) > 150, f"only {len(routes)} routes"
    return routes


def _looks_like_a_file(route: APIRoute) -> bool:
    return bool(
        FILE_PATH.search(route.path)
        or "export" in route.endpoint.__name__
        or DOWNLOAD_CODE.search(inspect.getsource(route.endpoint))
    )


def _unlisted(routes: list[APIRoute], listed: set[str]) -> list[str]:
    return sorted({route.path for route in routes if _looks_like_a_file(route)} - listed)


def test_every_file_route_is_in_a_table() -> None:
    routes = _routes()
    listed = {e.path for e in EXPORTS} | set(NOT_EXPORTS)
    missing = _unlisted(routes, listed)
    assert not missing, f"file-like routes in neither EXPORTS nor NOT_EXPORTS: {missing}"
    served = {route.path for route in routes}
    stale = sorted(listed - served)
    assert not stale, f"listed but not served: {stale}"
    assert not {e.path for e in EXPORTS} & set(NOT_EXPORTS)
    # Each listed route is found by the check on its own: dropping any one from the tables fails.
    for path in sorted(listed):
        assert _unlisted(routes, listed - {path}) == [path], f"{path} does not look like a file route"
    assert len(listed) >= 18


def _exports_recorded(db: Session) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("%.export")).order_by(AuditEvent.id)))


@pytest.mark.parametrize("export", EXPORTS, ids=[e.id for e in EXPORTS])
def test_each_export_hands_out_a_file_and_records_who_took_it(client: TestClient, db: Session, export: Export) -> None:
    make_report(db)  # something to export
    user = export.user(db)
    csrf = login(client, db, user)
    url = export.url(db, client, user, csrf) if export.url else export.path
    before = _exports_recorded(db)
    headers = {"accept": "text/html" if export.page else "application/json"}
    r = client.request(export.method, url, params=export.params, headers=headers, follow_redirects=False)
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("content-disposition", "").startswith("attachment"), dict(r.headers)
    assert r.content, "an empty file"
    new = _exports_recorded(db)[len(before) :]
    assert len(new) == 1, (
        f"{export.id}: {len(new)} export events recorded (want exactly one): {[e.action for e in new]}"
    )
    assert new[0].actor_user_id == user.id


def test_the_other_file_routes_hand_out_no_file(client: TestClient, db: Session) -> None:
    called = 0
    for path, role in NOT_EXPORTS_CALLED.items():
        assert path in NOT_EXPORTS
        client.cookies.clear()
        if role:
            login(client, db, make_user(db, role=role))
        r = client.get(path, headers={"accept": "application/json"})
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        assert "attachment" not in r.headers.get("content-disposition", ""), path
        called += 1
    assert called >= 4


def _cleanup_import_files() -> Any:
    folder = get_settings().upload_dir / "report-imports"
    return sorted(folder.glob("*-errors.csv")) if folder.exists() else []


@pytest.fixture(autouse=True)
def _no_error_files_left():
    before = set(_cleanup_import_files())
    yield
    for path in set(_cleanup_import_files()) - before:
        path.unlink(missing_ok=True)
