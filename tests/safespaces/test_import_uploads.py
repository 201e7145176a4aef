"""Safe-space CSV imports the csv module cannot read (a lone CR line ending, a header or value
over its 131,072-character field limit) are a 422 naming the upload, never a 500, and store
nothing (issue 14)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from nte.safespaces.models import SafeSpace
from tests.factories import bearer, login, make_user

# --- safe-space CSV import --------------------------------------------------------------------------

SPACES_HEADER = "name,kind,latitude,longitude,external_id"
SPACES_ROW = "Upload one,pharmacy,51.5136,-0.1337,up:cr1"
BAD_SPACE_CSVS = {
    "lone_cr_line_endings": (SPACES_HEADER + "\r" + SPACES_ROW + "\r").encode(),
    "lone_cr_in_a_row": (SPACES_HEADER + "\n" + "Upload one,pharmacy\r,51.5136,-0.1337,up:cr1\n").encode(),
    "header_over_the_field_limit": (SPACES_HEADER + "," + "x" * 131_073 + "\n" + SPACES_ROW + ",\n").encode(),
    "value_over_the_field_limit": (SPACES_HEADER + ",note\n" + SPACES_ROW + "," + "y" * 131_073 + "\n").encode(),
}


def _spaces(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(SafeSpace))


@pytest.mark.parametrize("kind", sorted(BAD_SPACE_CSVS))
def test_safe_space_import_api_refuses_unreadable_csv_naming_the_file(client, db, kind):
    headers = bearer(db, make_user(db, role="officer"))
    before = _spaces(db)
    r = client.post(
        "/api/safe-spaces/import", headers=headers, files={"file": ("spaces.csv", BAD_SPACE_CSVS[kind], "text/csv")}
    )
    assert r.status_code == 422, r.text[:300]
    assert r.json()["field"] == "file" and r.json()["error"] == "invalid_import"
    assert _spaces(db) == before


@pytest.mark.parametrize("kind", sorted(BAD_SPACE_CSVS))
def test_safe_space_import_page_refuses_unreadable_csv_naming_the_file(client, db, kind):
    csrf = login(client, db, make_user(db, role="officer"))
    before = _spaces(db)
    r = client.post(
        "/officer/safe-spaces/import",
        data={"csrf_token": csrf},
        files={"file": ("spaces.csv", BAD_SPACE_CSVS[kind], "text/csv")},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422, r.text[:300]
    assert 'id="file-error"' in r.text
    assert _spaces(db) == before
