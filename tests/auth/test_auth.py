from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.auth import service
from nte.auth.deps import SESSION_COOKIE
from nte.auth.exceptions import BadCredentials, LoginThrottled
from nte.auth.models import AuthSession, User
from nte.db import utcnow
from tests.factories import PASSWORD, bearer, login, make_user


def test_passwords_are_argon2_hashed(db):
    user = make_user(db, role="officer")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_login_page_sets_a_secure_session_cookie(client, db, anon_csrf):
    user = make_user(db, role="officer")
    r = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": anon_csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/officer"
    cookie = r.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    stored = db.scalars(sa.select(AuthSession).where(AuthSession.user_id == user.id)).one()
    assert client.cookies.get(SESSION_COOKIE) not in (stored.token_hash, None)  # only the hash is stored


def test_login_without_csrf_token_is_refused(client, db):
    user = make_user(db, role="officer")
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 403 and r.json()["error"] == "csrf_failed" and r.json()["field"] == "csrf_token"


def test_wrong_password_re_shows_the_form(client, db, anon_csrf):
    user = make_user(db)
    r = client.post(
        "/login",
        data={"email": user.email, "password": "nope", "csrf_token": anon_csrf},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 401 and "not right" in r.text
    db.expire_all()
    assert db.get(User, user.id).failed_login_count == 1


@pytest.mark.parametrize(
    ("email", "password", "field"), [("", "", "email"), ("   ", "x", "email"), ("someone@example.org", "", "password")]
)
def test_a_missing_field_is_named_and_counts_no_failure(client, db, anon_csrf, email, password, field):
    user = make_user(db, email="someone@example.org")
    r = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": anon_csrf}, headers={"accept": "text/html"}
    )
    assert r.status_code == 422
    assert (
        'aria-invalid="true"' in r.text
        and ("Enter your e-mail address." if field == "email" else "Enter your password.") in r.text
    )
    db.expire_all()
    assert db.get(User, user.id).failed_login_count == 0
    api = client.post("/api/auth/token", json={"email": email, "password": password, "name": "t"})
    assert api.status_code == 422 and api.json()["field"] == field, api.json()


def test_repeated_failures_are_slowed_down_per_account(db, settings):
    user = make_user(db)
    other = make_user(db)
    now = utcnow()
    for _ in range(settings.login_free_attempts):
        with pytest.raises(BadCredentials):
            service.authenticate(db, email=user.email, password="wrong", now=now, settings=settings)
    # Even the right password is refused during the delay ...
    with pytest.raises(LoginThrottled) as info:
        service.authenticate(db, email=user.email, password=PASSWORD, now=now, settings=settings)
    assert info.value.retry_after >= 1
    # ... other accounts are not affected ...
    assert service.authenticate(db, email=other.email, password=PASSWORD, now=now, settings=settings) == other
    # ... and after the delay the right password works and resets the counter.
    later = now + timedelta(seconds=2)
    assert service.authenticate(db, email=user.email, password=PASSWORD, now=later, settings=settings) == user
    assert user.failed_login_count == 0


def test_throttled_api_login_says_429(client, db, settings):
    user = make_user(db)
    for _ in range(settings.login_free_attempts):
        assert client.post("/api/auth/token", json={"email": user.email, "password": "wrong"}).status_code == 401
    r = client.post("/api/auth/token", json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_bearer_tokens_are_hashed_and_revoke_at_once(client, db):
    user = make_user(db, role="coordinator")
    headers = bearer(db, user)
    assert client.get("/api/auth/me", headers=headers).json()["role"] == "coordinator"
    created = client.post("/api/auth/tokens", json={"name": "partner"}, headers=headers)
    assert created.status_code == 201
    token, token_id = created.json()["token"], created.json()["id"]
    listed = client.get("/api/auth/tokens", headers=headers).json()
    assert all(token not in str(t) for t in listed)
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.delete(f"/api/auth/tokens/{token_id}", headers=headers).status_code == 200
    r = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["field"] == "authorization"


def test_token_for_password_exchange(client, db):
    user = make_user(db, role="volunteer")
    r = client.post("/api/auth/token", json={"email": user.email, "password": PASSWORD, "name": "phone"})
    assert r.status_code == 201
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json()['token']}"}).status_code == 200


def test_sessions_expire(client, db):
    user = make_user(db)
    login(client, db, user)
    assert client.get("/api/auth/me").status_code == 200
    db.execute(
        sa.update(AuthSession).where(AuthSession.user_id == user.id).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.flush()
    assert client.get("/api/auth/me").status_code == 401


def test_cookie_auth_on_unsafe_api_calls_needs_csrf_header(client, db):
    user = make_user(db)
    csrf = login(client, db, user)
    assert client.post("/api/auth/tokens", json={"name": "x"}).status_code == 403
    assert client.post("/api/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_password_change_signs_out_other_sessions(client, db):
    user = make_user(db)
    other = service.start_session(db, user=user, now=utcnow(), settings=client.app.state.settings)
    csrf = login(client, db, user)
    r = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new long passphrase",
            "confirm_password": "a new long passphrase",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 200 and "has been changed" in r.text
    db.expire_all()
    assert db.get(AuthSession, other.record.id).revoked_at is not None
    assert client.get("/api/auth/me").status_code == 200  # this session stays


@pytest.mark.parametrize(
    "new,confirm,field",
    [("short", "short", "new_password"), ("a long enough one", "different one!!", "confirm_password")],
)
def test_password_change_errors_name_the_field(client, db, new, confirm, field):
    user = make_user(db)
    csrf = login(client, db, user)
    r = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm_password": confirm, "csrf_token": csrf},
    )
    assert r.status_code == 422 and f'id="{field}-error"' in r.text


def test_logout_revokes_the_session(client, db):
    user = make_user(db)
    csrf = login(client, db, user)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/api/auth/me").status_code == 401


def test_email_confirmation_link(client, db, anon_csrf):
    user = make_user(db, role="venue_manager", confirmed_at=None)
    token = service.create_email_token(db, user=user, purpose="confirm_email", now=utcnow())
    assert client.get(f"/confirm-email?token={token}").status_code == 200
    r = client.post("/confirm-email", data={"token": token, "csrf_token": anon_csrf})
    assert r.status_code == 200 and "confirmed" in r.text
    db.expire_all()
    assert db.get(User, user.id).email_confirmed_at is not None
    again = client.post("/confirm-email", data={"token": token, "csrf_token": anon_csrf})
    assert again.status_code == 422


def test_cli_creates_users_and_tokens(engine, monkeypatch):
    from typer.testing import CliRunner

    from nte import cli
    from nte.config import get_settings

    monkeypatch.setenv("NTE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    email = f"cli-{engine.dialect.name}@example.org"
    try:
        runner = CliRunner()
        r = runner.invoke(
            cli.app,
            [
                "users",
                "create",
                "--email",
                email,
                "--role",
                "officer",
                "--name",
                "CLI Officer",
                "--password",
                "a long cli password",
            ],
        )
        assert r.exit_code == 0, r.output
        r = runner.invoke(
            cli.app,
            [
                "users",
                "create",
                "--email",
                email,
                "--role",
                "officer",
                "--name",
                "Again",
                "--password",
                "a long cli password",
            ],
        )
        assert r.exit_code == 2 and "already exists" in r.output
        r = runner.invoke(
            cli.app,
            [
                "users",
                "create",
                "--email",
                "x@example.org",
                "--role",
                "wizard",
                "--name",
                "X",
                "--password",
                "a long cli password",
            ],
        )
        assert r.exit_code == 2
        r = runner.invoke(cli.app, ["tokens", "create", "--email", email, "--name", "script"])
        assert r.exit_code == 0 and "nte_" in r.output
    finally:
        from sqlalchemy.orm import Session

        with Session(engine) as s, s.begin():
            s.execute(sa.delete(User).where(User.email == email))
        get_settings.cache_clear()


def test_admins_read_the_audit_log(client, db):
    admin = make_user(db, role="admin")
    make_user(db, role="officer", actor=admin)
    login(client, db, admin)
    r = client.get("/admin/audit", params={"action": "user."})
    assert r.status_code == 200 and "user.create" in r.text and admin.email in r.text
