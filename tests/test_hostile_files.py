"""Hostile files: decompression bombs and archives with a lying name, and formula injection in
every CSV export (values starting = + - @ reach officers' spreadsheets neutralised)."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile

import sqlalchemy as sa

from nte.reports.models import Report
from tests.factories import bearer, login, make_report, make_user, make_venue


def _bomb() -> bytes:
    """~50 MB of zeros compressed to ~50 kB."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        chunk = b"\0" * 1_000_000
        for _ in range(50):
            gz.write(chunk)
    return out.getvalue()


def test_a_gzip_bomb_uploaded_as_a_police_csv_is_refused_not_inflated(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    before = db.scalar(sa.select(sa.func.count()).select_from(Report))
    r = client.post(
        "/api/reports/imports",
        headers=headers,
        files={"file": ("2024-01-metropolitan-street.csv", _bomb(), "text/csv")},
    )
    assert 400 <= r.status_code < 500 or (r.status_code == 201 and r.json()["inserted"] == 0), r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(Report)) == before


def test_a_zip_archive_named_like_a_certificate_is_refused(client, db):
    venue = make_venue(db)
    from nte.auth.models import User

    csrf = login(client, db, db.get(User, venue.manager_user_id))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("certificate.pdf", b"%PDF-" + b"0" * 5_000_000)
    r = client.post(
        f"/venue-portal/uploads/{venue.id}",
        data={"csrf_token": csrf},
        files={"file": ("certificate.pdf", archive.getvalue(), "application/pdf")},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 415


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_formula_injection_is_neutralised_in_every_csv_export(client, db):
    officer = bearer(db, make_user(db, role="officer"))
    make_report(db, description='=HYPERLINK("http://evil.example","click")')
    make_venue(db, name="=cmd|' /C calc'!A0", status="verified")
    exports = {
        "reports": client.get("/api/reports/export.csv", headers=officer),
        "venues": client.get("/api/venues/register", params={"format": "csv"}, headers=officer),
    }
    for name, response in exports.items():
        assert response.status_code == 200, (name, response.text[:200])
        cells = _cells(response.text)
        dangerous = [c for c in cells if c[:1] in ("=", "+", "@") and not c.lstrip("+-").replace(".", "").isdigit()]
        assert not dangerous, (name, dangerous)
        assert any(c.startswith("'=") for c in cells), f"{name}: the injected value is missing"
