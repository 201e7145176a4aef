from __future__ import annotations

from fastapi.testclient import TestClient

from nte.app import create_app


def test_prod_adds_hsts_and_secure_cookies(engine, session_factory, settings, db):
    import re

    from tests.factories import PASSWORD, make_user

    prod = settings.model_copy(
        update={"env": "prod", "secret_key": settings.secret_key, "base_url": "https://testserver"}
    )
    app = create_app(prod, check_db=False)
    app.state.engine = engine
    app.state.session_factory = session_factory
    user = make_user(db, role="officer")
    with TestClient(app, base_url="https://testserver") as client:
        r = client.get("/")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        form = client.get("/login")
        assert "Secure" in form.headers["set-cookie"] and "SameSite=strict" in form.headers["set-cookie"]
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        r = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
        )
        assert r.status_code == 303
        assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_pages_forbid_framing_and_third_party_sources(client):
    for path in ["/", "/login", "/about/privacy"]:
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "http:" not in csp and "https:" not in csp  # tiles are off in tests: 'self' only
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_tile_host_is_the_only_third_party_allowed_when_configured(settings):
    app = create_app(
        settings.model_copy(update={"tile_url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"}), check_db=False
    )
    with TestClient(app) as client:
        csp = client.get("/static/css/site.css").headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org;" in csp
    assert "script-src 'self';" in csp


def test_error_pages_render_for_signed_in_users(client, db):
    """An error raised after the request's session rolled back still renders the layout (no 500)."""
    from tests.factories import login, make_user

    login(client, db, make_user(db, role="venue_manager"))
    r = client.get("/officer", headers={"accept": "text/html"})
    assert r.status_code == 403 and "You cannot see this page" in r.text and "My venue" in r.text
