"""The account page's tokens: made for oneself only, shown once, revoked by their owner only."""

from __future__ import annotations

from nte.auth import service as auth_service
from nte.db import utcnow
from tests.factories import login, make_user


def test_token_is_made_shown_once_and_only_its_owner_revokes_it(client, db):
    officer = make_user(db, role="officer")
    csrf = login(client, db, officer)
    made = client.post("/account/tokens", data={"name": "QGIS", "days": "90", "csrf_token": csrf})
    assert made.status_code == 201
    [token] = auth_service.list_api_tokens(db, user=officer)
    assert token.name == "QGIS" and token.expires_at is not None
    assert (token.expires_at - utcnow()).days in (89, 90)

    bad = client.post("/account/tokens", data={"name": "QGIS", "days": "9999", "csrf_token": csrf})
    assert bad.status_code == 422 and "days" in bad.text
    long_name = client.post("/account/tokens", data={"name": "x" * 81, "days": "30", "csrf_token": csrf})
    assert long_name.status_code == 422
    assert len(auth_service.list_api_tokens(db, user=officer)) == 1  # nothing stored by a refusal

    # An admin's own page revokes only the admin's own tokens.
    admin = make_user(db, role="admin")
    csrf_admin = login(client, db, admin)
    other = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_admin}, follow_redirects=False)
    assert other.status_code == 404
    db.refresh(token)
    assert token.revoked_at is None

    csrf = login(client, db, officer)
    mine = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert mine.status_code == 303 and mine.headers["location"].startswith("/account?done=")
    db.refresh(token)
    assert token.revoked_at is not None
    page = client.get(mine.headers["location"])
    assert "Token QGIS revoked" in page.text
