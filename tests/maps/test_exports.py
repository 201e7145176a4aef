"""Every maps export leaves through one door (``nte.web.downloads.download``): an attachment that no
shared cache keeps and no browser sniffs, and an audit event saying who took which figures with which
filter. Before, the hotspot cells left with no audit event at all."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from tests.factories import bearer, login, make_map_report, make_user

SOHO = (-0.1337, 51.5136)
MONTH = {"from": "2026-10-01", "to": "2026-10-31", "borough": "E09000033"}
#: Every maps export: (address, how it is asked for, format, what the audit event names).
EXPORTS = [
    ("/api/maps/stats.csv", "bearer", "csv", "ward_stats", "ward-statistics-2026-10-01-2026-10-31.csv"),
    ("/api/maps/stats.geojson", "bearer", "geojson", "ward_stats", "ward-statistics-2026-10-01-2026-10-31.geojson"),
    ("/api/maps/hotspots.geojson", "bearer", "geojson", "hotspots", "hotspots-2026-10-01-2026-10-31.geojson"),
    ("/officer/maps/export.html", "session", "html", "map_html", "nte-map-2026-10-01-2026-10-31.html"),
]


def _seed(db):
    from datetime import UTC, datetime

    for i in range(40):
        make_map_report(
            db,
            lon=SOHO[0] + (i % 7) * 0.0004,
            lat=SOHO[1] + (i % 5) * 0.0003,
            occurred_at=datetime(2026, 10, 1 + i % 28, 22, tzinfo=UTC),
        )


@pytest.mark.parametrize(("path", "how", "kind", "target_type", "filename"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_every_maps_export_is_a_download_and_audited(client, db, path, how, kind, target_type, filename):
    _seed(db)
    officer = make_user(db, role="officer")
    headers = {}
    if how == "bearer":
        headers = bearer(db, officer)
    else:
        login(client, db, officer)
    params = MONTH | ({"cell_size": "250"} if "hotspots" in path else {})
    r = client.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert r.headers["cache-control"] == "private, no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    events = list(db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "maps.export").order_by(AuditEvent.id)))
    assert len(events) == 1, [(e.target_type, e.detail) for e in events]
    event = events[0]
    assert event.actor_user_id == officer.id
    assert (event.target_type, event.target_id) == (target_type, "2026-10-01..2026-10-31")
    filter_params = {"from": "2026-10-01", "to": "2026-10-31", "borough": "E09000033"}
    shaped = {"cell_size": "250"} if "hotspots" in path else {}
    assert event.detail == {"format": kind, "filename": filename, **filter_params, **shaped}


def test_the_standalone_map_keeps_its_own_sandboxed_policy(client, db):
    _seed(db)
    login(client, db, make_user(db, role="officer"))
    r = client.get("/officer/maps/export.html", params=MONTH)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp


def test_a_wrong_map_filter_names_every_field_in_json(client, db):
    """The API's answer to a filter with several mistakes lists each (``fields``), as the page does."""
    headers = bearer(db, make_user(db, role="officer"))
    r = client.get("/api/maps/stats", params={"from": "yesterday", "day": "funday", "categroy": "x"}, headers=headers)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_filter" and body["field"] == "from"
    assert {f["field"] for f in body["fields"]} == {"from", "day", "categroy"}
    assert all(f["detail"] for f in body["fields"])
